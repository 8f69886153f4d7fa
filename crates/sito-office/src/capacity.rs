//! The capacity-planning page (issue 6): a simulation of the vetting pipeline whose defaults are estimated from the
//! office's own event log, and a form to ask "what if" of it.
//!
//! The page shows aggregate figures only. The store hands over the flow of cases between stages without case ids
//! or content (`Store::case_flow`); `sito_plan::capacity` turns that flow into observations and a scenario (how:
//! its module notes) and runs it. This page parses the form, calls those off the async runtime within bounds that
//! keep a request to a couple of seconds, and renders.
use std::collections::HashMap;

use askama::Template;
use axum::extract::{RawForm, State};
use axum::http::StatusCode;
use axum::response::Response;
use sito_plan::capacity::{
    self, ARRIVALS_PER_DAY, Bound, HORIZON_DAYS, HOURS_PER_DAY, Observed, Problem, Ran, SEED,
    SERVERS, SERVICE_HOURS, Settings, StageGroup, TARGET_DAYS, WARMUP_DAYS, WINDOW_DAYS,
    WorkingDay, build_scenario, observe, simulated_stages, working_day_from_log,
};
use sito_plan::simulate::{self, EstimateError, Scenario, Stage};
use tokio::sync::Semaphore;

use crate::AppState;
use crate::auth::Staff;
use crate::error::WebError;
use crate::frame::{chrome, render};
use crate::i18n::Tr;
use crate::views::Chrome;

/// One simulation at a time: the machine has few cores and the office's own work comes first.
static SIMULATIONS: Semaphore = Semaphore::const_new(1);

// ---- The form ----

/// A field the user filled in wrongly, and why, already translated.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

fn parse_field<T: std::str::FromStr + PartialOrd + Copy + std::fmt::Display>(
    tr: &Tr,
    fields: &HashMap<String, String>,
    name: &str,
    label: &str,
    bound: Bound<T>,
    errors: &mut Vec<FieldError>,
) -> Option<T> {
    let text = fields.get(name).map(|value| value.trim()).unwrap_or("");
    if text.is_empty() {
        return None;
    }
    let range = || {
        tr.args(
            "capacity-error-range",
            vec![
                ("field", label.to_owned().into()),
                ("min", bound.min.to_string().into()),
                ("max", bound.max.to_string().into()),
            ],
        )
    };
    match text.parse::<T>() {
        Ok(value) if value >= bound.min && value <= bound.max => Some(value),
        _ => {
            errors.push(FieldError {
                field: name.to_owned(),
                message: range(),
            });
            None
        }
    }
}

/// Reads the form. Empty fields keep the estimate; anything unreadable or out of range is an error naming the
/// field and the range.
pub fn parse_settings(
    tr: &Tr,
    fields: &HashMap<String, String>,
    stage_names: &[String],
) -> (Settings, Vec<FieldError>) {
    let mut errors = Vec::new();
    let errors_ref = &mut errors;
    let mut settings = Settings {
        window_days: parse_field(
            tr,
            fields,
            "window_days",
            &tr.t("capacity-window-days"),
            WINDOW_DAYS,
            errors_ref,
        ),
        hours_per_day: parse_field(
            tr,
            fields,
            "hours_per_day",
            &tr.t("capacity-hours-per-day"),
            HOURS_PER_DAY,
            errors_ref,
        ),
        arrivals_per_day: parse_field(
            tr,
            fields,
            "arrivals_per_day",
            &tr.t("capacity-arrivals-per-day"),
            ARRIVALS_PER_DAY,
            errors_ref,
        ),
        days: parse_field(
            tr,
            fields,
            "days",
            &tr.t("capacity-days"),
            HORIZON_DAYS,
            errors_ref,
        ),
        warmup_days: parse_field(
            tr,
            fields,
            "warmup_days",
            &tr.t("capacity-warmup-days"),
            WARMUP_DAYS,
            errors_ref,
        ),
        seed: parse_field(tr, fields, "seed", &tr.t("capacity-seed"), SEED, errors_ref),
        ..Settings::default()
    };
    for (index, name) in stage_names.iter().enumerate() {
        let label = stage_label(tr, name);
        let servers_label = format!("{label}: {}", tr.t("capacity-servers"));
        if let Some(servers) = parse_field(
            tr,
            fields,
            &format!("servers_{index}"),
            &servers_label,
            SERVERS,
            &mut errors,
        ) {
            settings.servers.insert(index, servers);
        }
        let service_label = format!("{label}: {}", tr.t("capacity-service-hours"));
        if let Some(hours) = parse_field(
            tr,
            fields,
            &format!("service_{index}"),
            &service_label,
            SERVICE_HOURS,
            &mut errors,
        ) {
            settings.service_hours.insert(index, hours);
        }
    }
    let solve_stage = fields
        .get("solve_stage")
        .map(|value| value.trim())
        .unwrap_or("");
    if !solve_stage.is_empty() {
        match stage_names.iter().position(|name| name == solve_stage) {
            Some(index) => {
                let target = parse_field(
                    tr,
                    fields,
                    "target_days",
                    &tr.t("capacity-target-days"),
                    TARGET_DAYS,
                    &mut errors,
                );
                match target {
                    Some(target) => settings.solve = Some((index, target)),
                    None if !errors.iter().any(|error| error.field == "target_days") => {
                        errors.push(FieldError {
                            field: "target_days".into(),
                            message: tr.t("capacity-error-target-missing"),
                        });
                    }
                    None => {}
                }
            }
            None => errors.push(FieldError {
                field: "solve_stage".into(),
                message: tr.t("capacity-error-unknown-stage"),
            }),
        }
    }
    (settings, errors)
}

/// A stage's name for people: the pipeline's labels, alternatives joined.
fn stage_label(tr: &Tr, group_name: &str) -> String {
    group_name
        .split('+')
        .map(|id| tr.label("stage", id))
        .collect::<Vec<_>>()
        .join(" / ")
}

/// Why no scenario could be built, in the reader's language.
fn problem_text(tr: &Tr, problem: &Problem) -> String {
    match problem {
        Problem::NoArrivals => tr.t("capacity-error-no-arrivals"),
        Problem::NoServices { stage } => tr.t1(
            "capacity-error-no-services",
            "stage",
            stage_label(tr, stage),
        ),
        Problem::WarmupTooLong => tr.t("capacity-error-warmup"),
        Problem::TooLarge { limit } => tr.t1("capacity-error-too-large", "limit", *limit),
        Problem::Invalid(problem) => problem.clone(),
    }
}

// ---- The page ----

pub struct EstimateRow {
    pub index: usize,
    pub name: String,
    pub label: String,
    pub services: usize,
    /// Distinct cases and services outside working hours, in words.
    pub services_note: String,
    pub service_mean: String,
    pub shape: String,
    pub leave: String,
    /// "left of seen", in words.
    pub leave_note: String,
    pub visits: u32,
    pub servers_observed: u32,
    pub servers_input: String,
    pub service_input: String,
}

pub struct ResultRow {
    pub label: String,
    pub servers: u32,
    pub utilisation: String,
    pub queue_mean: String,
    pub wait_days: String,
    pub bottleneck: bool,
}

pub struct Results {
    pub decided_per_day: String,
    pub time_to_decision: String,
    pub backlog_at_end: u64,
    pub arrived_per_day: String,
    pub left_per_day: String,
    pub bottleneck: String,
    pub stages: Vec<ResultRow>,
    pub chart_svg: String,
    /// The answer to "how many servers": sentence, already translated.
    pub solved: Option<String>,
}

#[derive(Template)]
#[template(path = "capacity/page.html")]
struct CapacityPage {
    chrome: Chrome,
    window_line: String,
    arrivals_estimate: String,
    rows: Vec<EstimateRow>,
    errors: Vec<String>,
    window_days: String,
    hours_per_day: String,
    arrivals_input: String,
    days: String,
    warmup_days: String,
    seed: String,
    solve_stage: String,
    target_days: String,
    window_placeholder: u32,
    hours_placeholder: f64,
    /// How the working day was read from the log.
    hours_note: Option<String>,
    days_placeholder: u32,
    warmup_placeholder: u32,
    seed_placeholder: u64,
    results: Option<Results>,
}

fn fmt2(value: f64) -> String {
    format!("{value:.2}")
}

fn fmt1(value: f64) -> String {
    format!("{value:.1}")
}

pub async fn page(staff: Staff, State(state): State<AppState>) -> Result<Response, WebError> {
    respond(&staff, &state, HashMap::new()).await
}

pub async fn run(
    staff: Staff,
    State(state): State<AppState>,
    RawForm(form): RawForm,
) -> Result<Response, WebError> {
    let fields: HashMap<String, String> = form_urlencoded::parse(&form).into_owned().collect();
    staff.check_csrf(fields.get("csrf").map(String::as_str))?;
    respond(&staff, &state, fields).await
}

async fn respond(
    staff: &Staff,
    state: &AppState,
    fields: HashMap<String, String>,
) -> Result<Response, WebError> {
    let chrome = chrome(staff, "/capacity", "/capacity");
    let tr = chrome.tr.clone();
    let groups = simulated_stages(&state.pipeline);
    let names: Vec<String> = groups.iter().map(StageGroup::name).collect();
    let (settings, field_errors) = parse_settings(&tr, &fields, &names);
    let mut errors: Vec<String> = field_errors
        .iter()
        .map(|error| error.message.clone())
        .collect();

    let (from, now) = settings.window(crate::now());
    let flow = state.store.case_flow(from).await?;
    let logged_day = working_day_from_log(&flow, (from, now));
    let day = WorkingDay::chosen(
        settings.hours_per_day,
        logged_day.map(|(logged, _)| logged),
        HOURS_PER_DAY.default,
    );
    let hours_note = logged_day.map(|(logged, moves)| {
        tr.args(
            "capacity-hours-note",
            vec![
                ("moves", moves.into()),
                ("from", format!("{:02}:00", logged.opens_at_hour).into()),
                (
                    "to",
                    format!(
                        "{:02}:00",
                        (logged.opens_at_hour + logged.hours as u32) % 24
                    )
                    .into(),
                ),
                ("hours", (logged.hours as u32).into()),
            ],
        )
    });
    let observed = observe(&groups, &flow, (from, now), day);
    let parts = simulate::estimate_parts(&observed.observations);

    let rows = estimate_rows(&tr, &observed, &parts.stages, &fields);
    let arrivals = observed.observations.arrivals_unix_seconds.len();
    let arrivals_estimate = match &parts.arrivals_per_day {
        Ok(rate) => fmt2(*rate),
        Err(_) => "—".to_owned(),
    };

    let mut results = None;
    let mut bad_input = !field_errors.is_empty();
    if errors.is_empty() {
        match build_scenario(&observed, &settings) {
            Ok(scenario) => {
                let ran = simulate_off_runtime(scenario, &settings)
                    .await
                    .map_err(WebError::Internal)?;
                results = Some(results_view(&tr, ran, &settings));
            }
            Err(problems) => {
                bad_input |= problems.iter().any(Problem::is_bad_input);
                errors.extend(problems.iter().map(|problem| problem_text(&tr, problem)));
            }
        }
    }
    let status = if !bad_input {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let field = |name: &str| fields.get(name).cloned().unwrap_or_default();
    let mut response = render(CapacityPage {
        window_line: tr.args(
            "capacity-window",
            vec![
                ("from", crate::views::date(from).into()),
                ("to", crate::views::date(now).into()),
                ("arrivals", arrivals.into()),
                ("rate", arrivals_estimate.clone().into()),
            ],
        ),
        arrivals_estimate,
        rows,
        errors,
        window_days: field("window_days"),
        hours_per_day: field("hours_per_day"),
        arrivals_input: field("arrivals_per_day"),
        days: field("days"),
        warmup_days: field("warmup_days"),
        seed: field("seed"),
        solve_stage: field("solve_stage"),
        target_days: field("target_days"),
        window_placeholder: WINDOW_DAYS.default,
        hours_placeholder: logged_day.map_or(HOURS_PER_DAY.default, |(logged, _)| logged.hours),
        hours_note,
        days_placeholder: HORIZON_DAYS.default,
        warmup_placeholder: WARMUP_DAYS.default,
        seed_placeholder: simulate::DEFAULT_SEED,
        results,
        chrome,
    })?;
    *response.status_mut() = status;
    Ok(response)
}

fn estimate_rows(
    tr: &Tr,
    observed: &Observed,
    estimates: &[Result<Stage, EstimateError>],
    fields: &HashMap<String, String>,
) -> Vec<EstimateRow> {
    observed
        .observations
        .stages
        .iter()
        .zip(&observed.evidence)
        .zip(estimates)
        .enumerate()
        .map(|(index, ((stage, evidence), estimate))| {
            let (service_mean, shape) = match estimate {
                Ok(estimate) => (
                    fmt2(estimate.service.mean_hours),
                    match estimate.service.cv {
                        Some(cv) => tr.t1("capacity-shape-lognormal", "cv", fmt2(cv)),
                        None => tr.t("capacity-shape-exponential"),
                    },
                ),
                Err(_) => ("—".to_owned(), String::new()),
            };
            let seen = stage.left + stage.passed;
            EstimateRow {
                index,
                name: stage.name.clone(),
                label: stage_label(tr, &stage.name),
                services: stage.service_hours.len(),
                services_note: {
                    let cases = tr.t1("capacity-cases", "count", evidence.cases);
                    if evidence.outside_hours > 0 {
                        let outside =
                            tr.t1("capacity-outside-hours", "count", evidence.outside_hours);
                        format!("{cases} · {outside}")
                    } else {
                        cases
                    }
                },
                service_mean,
                shape,
                leave: if seen == 0 {
                    "—".to_owned()
                } else {
                    format!("{:.0}%", 100.0 * stage.left as f64 / seen as f64)
                },
                leave_note: tr.args(
                    "capacity-left-of",
                    vec![("left", stage.left.into()), ("seen", seen.into())],
                ),
                visits: stage.visits,
                servers_observed: stage.servers,
                servers_input: fields
                    .get(&format!("servers_{index}"))
                    .cloned()
                    .unwrap_or_default(),
                service_input: fields
                    .get(&format!("service_{index}"))
                    .cloned()
                    .unwrap_or_default(),
            }
        })
        .collect()
}

/// Runs the simulation on the blocking pool, one at a time, so the async workers keep serving pages.
async fn simulate_off_runtime(scenario: Scenario, settings: &Settings) -> Result<Ran, String> {
    let _permit = SIMULATIONS
        .acquire()
        .await
        .map_err(|error| error.to_string())?;
    let settings = settings.clone();
    tokio::task::spawn_blocking(move || capacity::run(&scenario, &settings))
        .await
        .map_err(|error| error.to_string())
}

fn results_view(tr: &Tr, ran: Ran, settings: &Settings) -> Results {
    let outcome = ran.outcome;
    let label_of = |name: &str| stage_label(tr, name);
    let stages = outcome
        .stages
        .iter()
        .enumerate()
        .map(|(index, stage)| ResultRow {
            label: label_of(&stage.name),
            servers: stage.servers,
            utilisation: format!("{:.0}%", stage.utilisation * 100.0),
            queue_mean: fmt1(stage.queue_mean),
            wait_days: stage.wait_days_mean.map_or("—".to_owned(), fmt1),
            bottleneck: index == outcome.bottleneck,
        })
        .collect();
    let bottleneck = outcome
        .stages
        .get(outcome.bottleneck)
        .map(|stage| label_of(&stage.name))
        .unwrap_or_default();
    let solved = ran.solved.map(|solved| match solved {
        Ok(solution) => tr.args(
            "capacity-solved",
            vec![
                ("servers", solution.servers.into()),
                ("stage", label_of(&solution.stage).into()),
                (
                    "mean",
                    solution
                        .outcome
                        .time_to_decision
                        .map_or("—".to_owned(), |summary| fmt1(summary.mean))
                        .into(),
                ),
                (
                    "fewer",
                    solution
                        .one_fewer
                        .as_ref()
                        .and_then(|outcome| outcome.time_to_decision)
                        .map_or("—".to_owned(), |summary| fmt1(summary.mean))
                        .into(),
                ),
                (
                    "target",
                    settings
                        .solve
                        .map_or(String::new(), |(_, target)| fmt1(target))
                        .into(),
                ),
            ],
        ),
        Err(simulate::SolveError::Unreachable {
            max_servers,
            best_mean_days,
            ..
        }) => tr.args(
            "capacity-unreachable",
            vec![
                ("servers", max_servers.into()),
                ("mean", best_mean_days.map_or("—".to_owned(), fmt1).into()),
            ],
        ),
        Err(other) => other.to_string(),
    });
    let chart_title = tr.t("capacity-chart-title");
    Results {
        decided_per_day: fmt2(outcome.decided_per_day),
        time_to_decision: match outcome.time_to_decision {
            Some(summary) => tr.args(
                "capacity-ttd-values",
                vec![
                    ("mean", fmt1(summary.mean).into()),
                    ("p50", fmt1(summary.p50).into()),
                    ("p90", fmt1(summary.p90).into()),
                ],
            ),
            None => tr.t("capacity-nothing-decided"),
        },
        backlog_at_end: outcome.backlog_at_end,
        arrived_per_day: fmt2(outcome.arrived_per_day),
        left_per_day: fmt2(outcome.left_per_day),
        bottleneck,
        stages,
        chart_svg: simulate::chart_svg(&outcome, &chart_title),
        solved,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect()
    }

    #[test]
    fn the_form_refuses_what_is_out_of_range_and_names_the_field() {
        let tr = crate::i18n::tr(crate::i18n::Lang::En);
        let names = vec!["triage".to_owned(), "scrutiny".to_owned()];
        let (settings, errors) = parse_settings(
            &tr,
            &form(&[
                ("days", "100000"),
                ("servers_1", "abc"),
                ("service_0", "2.5"),
                ("arrivals_per_day", ""),
                ("solve_stage", "scrutiny"),
            ]),
            &names,
        );
        let fields: Vec<&str> = errors.iter().map(|error| error.field.as_str()).collect();
        assert_eq!(fields, ["days", "servers_1", "target_days"], "{errors:?}");
        assert!(
            errors
                .iter()
                .any(|error| error.message.contains("Horizon (days)")
                    && error.message.contains("730")),
            "{errors:?}"
        );
        assert_eq!(settings.service_hours.get(&0), Some(&2.5));
        assert_eq!(settings.arrivals_per_day, None, "empty keeps the estimate");
        let (_, errors) = parse_settings(&tr, &form(&[("solve_stage", "nowhere")]), &names);
        assert_eq!(errors[0].field, "solve_stage");
    }
}
