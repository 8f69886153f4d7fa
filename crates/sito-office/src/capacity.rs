//! The capacity-planning page (issue 6): a simulation of the vetting pipeline whose defaults are estimated from the
//! office's own event log, and a form to ask "what if" of it.
//!
//! The page shows aggregate figures only. The store hands over the flow of cases between stages without case ids
//! or content (`Store::case_flow`); this module turns that flow into `sito_plan` observations, the estimators
//! there turn those into a scenario, and the simulation runs off the async runtime within bounds that keep a
//! request to a couple of seconds.
//!
//! How the log becomes observations:
//! - **arrivals**: `received` events inside the observation window;
//! - **stages**: the pipeline's stages up to and including the decision, in order; stages that no track passes
//!   together (the meeting at a safe location and the meeting at the camp) are alternatives and are simulated as
//!   one stage;
//! - **service time**: the log records when a case left a stage and who moved it, not when work on it began. A
//!   staff member works one case at a time, so work on a case began at the later of its entry into the stage and
//!   the moment the same staff member last moved a case on (the departure recursion of a first-come,
//!   first-served server). Measured in working hours on the simulation's clock. This is exact for staff who are
//!   never idle and an overestimate for staff who are; a service lying wholly outside working hours measures
//!   zero and is left out (and counted);
//! - **leaving**: cases rejected, withdrawn or referred to the security service at a stage left the pipeline there;
//!   a case put on hold neither left nor passed;
//! - **repeat visits**: services at the stage over distinct cases served there (a reopened case is served again);
//! - **staff**: distinct staff members who moved cases on from the stage in the window (a plan, editable).
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use askama::Template;
use axum::extract::{RawForm, State};
use axum::http::StatusCode;
use axum::response::Response;
use sito_core::machine::Closure;
use sito_core::{Category, Phase, Pipeline, StaffId};
use sito_plan::simulate::{
    self, EstimateError, Observations, Outcome, Scenario, ServiceTime, Stage, StageObservations,
};
use sito_store::capacity::{FlowEvent, FlowKind};
use tokio::sync::Semaphore;

use crate::AppState;
use crate::auth::Staff;
use crate::error::WebError;
use crate::frame::{chrome, render};
use crate::i18n::Tr;
use crate::views::Chrome;

const SECONDS_PER_DAY: i64 = 86_400;

/// Bounds of the form. The horizon and the arrival rate together are bounded by `MAX_EXPECTED_ARRIVALS`, which
/// keeps one run (and a server search of a handful of runs) within about two seconds on the office machine.
pub const WINDOW_DAYS: Bound<u32> = Bound::new(7, 365, 56);
pub const HOURS_PER_DAY: Bound<f64> = Bound::new(1.0, 24.0, 8.0);
pub const HORIZON_DAYS: Bound<u32> = Bound::new(14, 730, 180);
pub const WARMUP_DAYS: Bound<u32> = Bound::new(0, 365, 30);
pub const ARRIVALS_PER_DAY: Bound<f64> = Bound::new(0.01, 2_000.0, 1.0);
pub const SERVERS: Bound<u32> = Bound::new(1, 500, 1);
pub const SERVICE_HOURS: Bound<f64> = Bound::new(0.01, 500.0, 1.0);
pub const TARGET_DAYS: Bound<f64> = Bound::new(0.1, 730.0, 30.0);
pub const MAX_EXPECTED_ARRIVALS: f64 = 150_000.0;

/// One simulation at a time: the machine has few cores and the office's own work comes first.
static SIMULATIONS: Semaphore = Semaphore::const_new(1);

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bound<T> {
    pub min: T,
    pub max: T,
    pub default: T,
}

impl<T> Bound<T> {
    pub const fn new(min: T, max: T, default: T) -> Self {
        Self { min, max, default }
    }
}

// ---- From the event log to observations (pure) ----

/// A stage of the simulation: one pipeline stage, or alternatives no track passes together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StageGroup {
    pub members: Vec<String>,
}

impl StageGroup {
    pub fn name(&self) -> String {
        self.members.join("+")
    }
}

/// The stages a case passes up to its decision, in pipeline order, alternatives merged.
pub fn simulated_stages(pipeline: &Pipeline) -> Vec<StageGroup> {
    let passed_together = |first: &str, second: &str| {
        Category::ALL.iter().any(|category| {
            pipeline.is_on_track(*category, first) && pipeline.is_on_track(*category, second)
        })
    };
    let mut groups: Vec<StageGroup> = Vec::new();
    for stage in pipeline.stages() {
        let alternative = groups.last_mut().filter(|group| {
            group
                .members
                .iter()
                .all(|member| !passed_together(member, &stage.id))
        });
        match alternative {
            Some(group) => group.members.push(stage.id.clone()),
            None => groups.push(StageGroup {
                members: vec![stage.id.clone()],
            }),
        }
        if stage.phase == Phase::Decision {
            break;
        }
    }
    groups
}

/// What the log shows beyond the estimators' inputs, to tell the reader what each estimate rests on.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StageEvidence {
    /// Distinct cases served at the stage in the window.
    pub cases: u64,
    /// Services that lay wholly outside working hours and measured zero.
    pub outside_hours: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Observed {
    pub observations: Observations,
    /// In the order of `observations.stages`.
    pub evidence: Vec<StageEvidence>,
}

struct Service {
    group: usize,
    case: u32,
    actor: Option<StaffId>,
    entered: i64,
    done: i64,
}

/// When the office works: `hours` a day from `opens_at_hour` (UTC).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WorkingDay {
    pub opens_at_hour: u32,
    pub hours: f64,
}

/// Share of the staff's moves the estimated working day must hold.
const WORKING_DAY_SHARE: f64 = 0.95;

impl WorkingDay {
    /// The simulation's own schedule for days of this length.
    pub fn simulation(hours: f64) -> Self {
        Self {
            opens_at_hour: simulation_opening(hours) as u32,
            hours,
        }
    }

    /// Working hours between two instants, on the simulation's clock: the office's opening is moved onto the
    /// simulation's, so that a service is counted in the hours the office actually works.
    fn hours_between(&self, from: i64, to: i64) -> f64 {
        let shift =
            ((simulation_opening(self.hours) - f64::from(self.opens_at_hour)) * 3600.0) as i64;
        simulate::working_hours_between(from + shift, to + shift, self.hours)
    }
}

fn simulation_opening(hours: f64) -> f64 {
    simulate::DAY_OPENS_AT.min(24.0 - hours).max(0.0)
}

/// The working day the log shows: the shortest stretch of whole UTC hours (wrapping midnight) holding 95% of the
/// moves staff made in the window, with the number of moves it rests on. `None` when staff made none.
pub fn working_day_from_log(
    events: &[FlowEvent],
    (from, to): (i64, i64),
) -> Option<(WorkingDay, u64)> {
    let mut by_hour = [0u64; 24];
    for event in events {
        let staff_move = matches!(
            event.kind,
            FlowKind::Advanced { .. } | FlowKind::Closed { .. }
        );
        if staff_move && event.actor.is_some() && event.at >= from && event.at < to {
            by_hour[(event.at.rem_euclid(SECONDS_PER_DAY) / 3600) as usize] += 1;
        }
    }
    let moves: u64 = by_hour.iter().sum();
    if moves == 0 {
        return None;
    }
    let held =
        |opens: usize, hours: usize| (0..hours).map(|k| by_hour[(opens + k) % 24]).sum::<u64>();
    (1..=24usize).find_map(|hours| {
        let opens = (0..24).max_by_key(|&opens| (held(opens, hours), std::cmp::Reverse(opens)))?;
        (held(opens, hours) as f64 >= WORKING_DAY_SHARE * moves as f64).then_some((
            WorkingDay {
                opens_at_hour: opens as u32,
                hours: hours as f64,
            },
            moves,
        ))
    })
}

/// Turns the flow of cases into observations over the window `[from, to)` (see the module's notes).
pub fn observe(
    groups: &[StageGroup],
    events: &[FlowEvent],
    (from, to): (i64, i64),
    day: WorkingDay,
) -> Observed {
    let hours_per_day = day.hours;
    let group_of: HashMap<&str, usize> = groups
        .iter()
        .enumerate()
        .flat_map(|(index, group)| group.members.iter().map(move |id| (id.as_str(), index)))
        .collect();
    let inside = |at: i64| at >= from && at < to;
    let mut arrivals = Vec::new();
    let mut left = vec![0u64; groups.len()];
    let mut passed = vec![0u64; groups.len()];
    let mut services: Vec<Service> = Vec::new();
    // Where each case is and since when; `None` while it is closed.
    let mut position: HashMap<u32, (String, i64)> = HashMap::new();
    let mut closed_at: HashMap<u32, String> = HashMap::new();
    for event in events {
        let mut finish = |stage: &str, position_entered: i64| {
            group_of.get(stage).map(|&group| {
                services.push(Service {
                    group,
                    case: event.case,
                    actor: event.actor,
                    entered: position_entered,
                    done: event.at,
                });
                group
            })
        };
        match &event.kind {
            FlowKind::Received { stage } => {
                if inside(event.at) {
                    arrivals.push(event.at);
                }
                position.insert(event.case, (stage.clone(), event.at));
            }
            FlowKind::Advanced {
                from: stage,
                to: next,
            } => {
                let entered = position.get(&event.case).map_or(event.at, |(_, at)| *at);
                if let Some(group) = finish(stage, entered)
                    && inside(event.at)
                    && group_of.get(next.as_str()) != Some(&group)
                {
                    passed[group] += 1;
                }
                position.insert(event.case, (next.clone(), event.at));
            }
            FlowKind::Closed { closure } => {
                if let Some((stage, entered)) = position.remove(&event.case) {
                    let leaves = matches!(
                        closure,
                        Closure::Rejected | Closure::Withdrawn | Closure::Referred
                    );
                    if let Some(group) = finish(&stage, entered)
                        && leaves
                        && inside(event.at)
                    {
                        left[group] += 1;
                    }
                    closed_at.insert(event.case, stage);
                }
            }
            FlowKind::Reopened => {
                if let Some(stage) = closed_at.remove(&event.case) {
                    position.insert(event.case, (stage, event.at));
                }
            }
        }
    }

    let mut service_hours = vec![Vec::new(); groups.len()];
    let mut evidence = vec![StageEvidence::default(); groups.len()];
    let mut cases_served = vec![BTreeSet::new(); groups.len()];
    let mut staff_seen = vec![BTreeSet::new(); groups.len()];
    // Each staff member's services in the order they finished them.
    services.sort_by_key(|service| (service.actor, service.done));
    let mut previous: Option<(Option<StaffId>, i64)> = None;
    for service in &services {
        let began = match (service.actor, previous) {
            (Some(actor), Some((Some(last_actor), last_done))) if actor == last_actor => {
                service.entered.max(last_done)
            }
            _ => service.entered,
        };
        previous = Some((service.actor, service.done));
        if !inside(service.done) {
            continue;
        }
        let hours = day.hours_between(began, service.done);
        cases_served[service.group].insert(service.case);
        if let Some(actor) = service.actor {
            staff_seen[service.group].insert(actor);
        }
        if hours > 0.0 {
            service_hours[service.group].push(hours);
        } else {
            evidence[service.group].outside_hours += 1;
        }
    }

    let stages = groups
        .iter()
        .enumerate()
        .map(|(index, group)| {
            let cases = cases_served[index].len() as u64;
            let services = service_hours[index].len() as u64 + evidence[index].outside_hours;
            evidence[index].cases = cases;
            StageObservations {
                name: group.name(),
                service_hours: std::mem::take(&mut service_hours[index]),
                left: left[index],
                passed: passed[index],
                servers: (staff_seen[index].len() as u32).max(1),
                hours_per_day,
                visits: repeat_visits(services, cases),
            }
        })
        .collect();
    Observed {
        observations: Observations {
            arrivals_unix_seconds: arrivals,
            window_unix_seconds: Some((from, to)),
            stages,
        },
        evidence,
    }
}

/// Services per case served, to the nearest whole visit (the simulation's visits are whole), at least one.
fn repeat_visits(services: u64, cases: u64) -> u32 {
    if cases == 0 {
        return 1;
    }
    ((services as f64 / cases as f64).round() as u32).max(1)
}

// ---- The form ----

/// What the user asked for; `None` means "the estimate".
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Settings {
    pub window_days: Option<u32>,
    pub hours_per_day: Option<f64>,
    pub arrivals_per_day: Option<f64>,
    pub days: Option<u32>,
    pub warmup_days: Option<u32>,
    pub seed: Option<u64>,
    pub servers: BTreeMap<usize, u32>,
    pub service_hours: BTreeMap<usize, f64>,
    /// Stage index and target mean time to decision in days.
    pub solve: Option<(usize, f64)>,
}

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
        seed: parse_field(
            tr,
            fields,
            "seed",
            &tr.t("capacity-seed"),
            Bound::new(0, u64::MAX, simulate::DEFAULT_SEED),
            errors_ref,
        ),
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

// ---- From estimates and settings to a scenario ----

/// Why no scenario could be built, already translated.
#[derive(Clone, Debug, PartialEq)]
pub struct Refused {
    pub problems: Vec<String>,
    /// The user asked for something out of bounds (an answer of 400), rather than the log lacking something.
    pub bad_input: bool,
}

/// The scenario to simulate: the estimate with the user's changes.
pub fn build_scenario(
    tr: &Tr,
    observed: &Observed,
    settings: &Settings,
) -> Result<Scenario, Refused> {
    let parts = simulate::estimate_parts(&observed.observations);
    let mut problems = Vec::new();
    let arrivals_per_day = match (settings.arrivals_per_day, &parts.arrivals_per_day) {
        (Some(rate), _) => Some(rate),
        (None, Ok(rate)) if *rate > 0.0 => Some(*rate),
        (None, _) => {
            problems.push(tr.t("capacity-error-no-arrivals"));
            None
        }
    };
    let mut stages = Vec::new();
    for (index, (observations, estimate)) in observed
        .observations
        .stages
        .iter()
        .zip(&parts.stages)
        .enumerate()
    {
        let service = match (settings.service_hours.get(&index), estimate) {
            (Some(&mean_hours), Ok(stage)) => Some(ServiceTime {
                mean_hours,
                cv: stage.service.cv,
            }),
            (Some(&mean_hours), Err(_)) => Some(ServiceTime {
                mean_hours,
                cv: None,
            }),
            (None, Ok(stage)) => Some(stage.service),
            (None, Err(_)) => {
                problems.push(tr.t1(
                    "capacity-error-no-services",
                    "stage",
                    stage_label(tr, &observations.name),
                ));
                None
            }
        };
        let leave_probability = estimate
            .as_ref()
            .map_or(0.0, |stage| stage.leave_probability);
        if let Some(service) = service {
            stages.push(Stage {
                name: observations.name.clone(),
                servers: settings
                    .servers
                    .get(&index)
                    .copied()
                    .unwrap_or(observations.servers),
                service,
                hours_per_day: observations.hours_per_day,
                leave_probability,
                visits: observations.visits,
            });
        }
    }
    // A busy office's default horizon shrinks to what the bound allows; a horizon the user chose is refused.
    let days = settings.days.unwrap_or_else(|| {
        let affordable = arrivals_per_day.map_or(f64::from(HORIZON_DAYS.default), |rate| {
            (MAX_EXPECTED_ARRIVALS / rate).floor()
        }) as u32;
        HORIZON_DAYS.default.min(affordable.max(HORIZON_DAYS.min))
    });
    let warmup_days = settings
        .warmup_days
        .unwrap_or(WARMUP_DAYS.default.min(days / 4));
    let mut bad_input = false;
    if warmup_days >= days {
        problems.push(tr.t("capacity-error-warmup"));
        bad_input = true;
    }
    if arrivals_per_day.is_some_and(|rate| rate * f64::from(days) > MAX_EXPECTED_ARRIVALS) {
        problems.push(tr.t1(
            "capacity-error-too-large",
            "limit",
            MAX_EXPECTED_ARRIVALS as u64,
        ));
        bad_input = true;
    }
    let Some(arrivals_per_day) = arrivals_per_day.filter(|_| problems.is_empty()) else {
        return Err(Refused {
            problems,
            bad_input,
        });
    };
    let scenario = Scenario {
        days: f64::from(days),
        warmup_days: f64::from(warmup_days),
        arrivals_per_day,
        stages,
    };
    scenario.validate().map_err(|error| Refused {
        problems: vec![error.problem.clone()],
        bad_input: true,
    })?;
    Ok(scenario)
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

    let now = crate::now();
    let window_days = settings.window_days.unwrap_or(WINDOW_DAYS.default);
    let from = now - i64::from(window_days) * SECONDS_PER_DAY;
    let flow = state.store.case_flow(from).await?;
    let logged_day = working_day_from_log(&flow, (from, now));
    let day = match (settings.hours_per_day, logged_day) {
        (Some(hours), Some((logged, _))) => WorkingDay {
            opens_at_hour: logged.opens_at_hour,
            hours,
        },
        (Some(hours), None) => WorkingDay::simulation(hours),
        (None, Some((logged, _))) => logged,
        (None, None) => WorkingDay::simulation(HOURS_PER_DAY.default),
    };
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
        match build_scenario(&tr, &observed, &settings) {
            Ok(scenario) => {
                let ran = simulate_off_runtime(scenario, &settings)
                    .await
                    .map_err(WebError::Internal)?;
                results = Some(results_view(&tr, ran, &settings));
            }
            Err(refused) => {
                bad_input |= refused.bad_input;
                errors.extend(refused.problems);
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

/// A run, and the server search when one was asked for.
struct Ran {
    outcome: Outcome,
    solved: Option<Result<simulate::ServerSolution, simulate::SolveError>>,
}

/// Runs the simulation on the blocking pool, one at a time, so the async workers keep serving pages.
async fn simulate_off_runtime(scenario: Scenario, settings: &Settings) -> Result<Ran, String> {
    let seed = settings.seed.unwrap_or(simulate::DEFAULT_SEED);
    let solve = settings.solve.and_then(|(index, target)| {
        scenario
            .stages
            .get(index)
            .map(|stage| (stage.name.clone(), target))
    });
    let _permit = SIMULATIONS
        .acquire()
        .await
        .map_err(|error| error.to_string())?;
    let scenario = Arc::new(scenario);
    tokio::task::spawn_blocking(move || {
        let solved =
            solve.map(|(stage, target)| simulate::solve_servers(&scenario, &stage, target, seed));
        // With an answer, the page shows the run with the staffing found; otherwise the scenario as given.
        let outcome = match &solved {
            Some(Ok(solution)) => solution.outcome.clone(),
            _ => simulate::simulate(&scenario, seed),
        };
        Ran { outcome, solved }
    })
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
    use sito_core::Pipeline;

    const HOUR: i64 = 3600;
    const START: i64 = 1_800_000_000 - 1_800_000_000 % SECONDS_PER_DAY;

    fn staff(n: u128) -> Option<StaffId> {
        Some(StaffId::from_uuid(uuid::Uuid::from_u128(n)))
    }

    fn event(case: u32, at: i64, actor: Option<StaffId>, kind: FlowKind) -> FlowEvent {
        FlowEvent {
            case,
            at,
            actor,
            kind,
        }
    }

    fn received(case: u32, at: i64) -> FlowEvent {
        event(
            case,
            at,
            None,
            FlowKind::Received {
                stage: "triage".into(),
            },
        )
    }

    fn advanced(case: u32, at: i64, actor: Option<StaffId>) -> FlowEvent {
        event(
            case,
            at,
            actor,
            FlowKind::Advanced {
                from: "triage".into(),
                to: "scrutiny".into(),
            },
        )
    }

    fn two_stages() -> Vec<StageGroup> {
        ["triage", "scrutiny"]
            .into_iter()
            .map(|id| StageGroup {
                members: vec![id.to_owned()],
            })
            .collect()
    }

    #[test]
    fn the_decision_path_merges_alternative_meetings() {
        let pipeline = Pipeline::default_legion().unwrap();
        let names: Vec<String> = simulated_stages(&pipeline)
            .iter()
            .map(StageGroup::name)
            .collect();
        assert_eq!(names.first().map(String::as_str), Some("received"));
        assert_eq!(names.last().map(String::as_str), Some("board_decision"));
        assert!(names.contains(&"meeting_arranged+camp_meeting".to_owned()));
        assert!(!names.iter().any(|name| name == "training"));
    }

    #[test]
    fn a_busy_examiner_s_services_start_when_the_previous_one_ended() {
        // Three cases wait at once; one staff member finishes them two hours apart: three services of two hours,
        // not two, four and six hours of waiting.
        let mut events = Vec::new();
        for case in 0..3 {
            events.push(received(case, START));
            events.push(advanced(
                case,
                START + 2 * HOUR * (i64::from(case) + 1),
                staff(1),
            ));
        }
        let observed = observe(
            &two_stages(),
            &events,
            (START, START + 86_400),
            WorkingDay::simulation(24.0),
        );
        let triage = &observed.observations.stages[0];
        assert_eq!(triage.service_hours, vec![2.0, 2.0, 2.0]);
        assert_eq!((triage.passed, triage.left, triage.servers), (3, 0, 1));
        assert_eq!(observed.evidence[0].cases, 3);
        assert_eq!(observed.observations.arrivals_unix_seconds.len(), 3);
    }

    #[test]
    fn leavers_reopened_cases_and_working_hours_are_counted_as_documented() {
        let rejected = FlowKind::Closed {
            closure: Closure::Rejected,
        };
        let held = FlowKind::Closed {
            closure: Closure::Held,
        };
        let morning = START + 9 * HOUR;
        let events = vec![
            received(0, morning),
            event(0, morning + HOUR, staff(1), rejected),
            received(1, morning),
            event(1, morning + 2 * HOUR, staff(2), held),
            event(1, morning + 3 * HOUR, staff(2), FlowKind::Reopened),
            advanced(1, morning + 4 * HOUR, staff(2)),
            // Moved on at night: no working hour in it.
            received(2, START + 20 * HOUR),
            advanced(2, START + 21 * HOUR, staff(3)),
        ];
        let observed = observe(
            &two_stages(),
            &events,
            (START, START + 86_400),
            WorkingDay::simulation(8.0),
        );
        let triage = &observed.observations.stages[0];
        assert_eq!((triage.left, triage.passed), (1, 2), "a hold is neither");
        assert_eq!(triage.service_hours, vec![1.0, 2.0, 1.0]);
        assert_eq!(observed.evidence[0].outside_hours, 1);
        assert_eq!(observed.evidence[0].cases, 3);
        assert_eq!(
            triage.visits, 1,
            "4 services over 3 cases rounds to one visit"
        );
        assert_eq!(triage.servers, 3);
    }

    #[test]
    fn only_the_window_counts() {
        let events = vec![
            received(0, START - 86_400),
            advanced(0, START + HOUR, staff(1)),
            received(1, START + 2 * 86_400),
        ];
        let observed = observe(
            &two_stages(),
            &events,
            (START, START + 86_400),
            WorkingDay::simulation(24.0),
        );
        assert!(observed.observations.arrivals_unix_seconds.is_empty());
        // The service ended inside the window and began when the case arrived, before it.
        assert_eq!(observed.observations.stages[0].service_hours, vec![25.0]);
    }

    #[test]
    fn the_working_day_is_where_the_staff_moved_cases() {
        // Moves between 07:00 and 15:59 UTC, one stray at 22:00 (under 5%).
        let mut events: Vec<FlowEvent> = (0..40)
            .map(|n| advanced(n, START + (7 + i64::from(n) % 9) * HOUR + 600, staff(1)))
            .collect();
        events.push(advanced(40, START + 22 * HOUR, staff(1)));
        events.push(received(41, START + 23 * HOUR));
        let (day, moves) = working_day_from_log(&events, (START, START + 86_400)).unwrap();
        assert_eq!((day.opens_at_hour, day.hours, moves), (7, 9.0, 41));
        // 07:00-08:00 of that office is the first working hour: on the simulation's clock, one working hour.
        assert_eq!(day.hours_between(START + 7 * HOUR, START + 8 * HOUR), 1.0);
        assert_eq!(
            day.hours_between(START + 16 * HOUR, START + 31 * HOUR),
            0.0,
            "closed at night"
        );
        assert!(working_day_from_log(&events[41..], (START, START + 86_400)).is_none());
    }

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

    #[test]
    fn a_scenario_needs_every_stage_estimated_or_given() {
        let tr = crate::i18n::tr(crate::i18n::Lang::En);
        let events = vec![
            received(0, START),
            advanced(0, START + 2 * HOUR, staff(1)),
            received(1, START + 86_400),
        ];
        let observed = observe(
            &two_stages(),
            &events,
            (START, START + 2 * 86_400),
            WorkingDay::simulation(24.0),
        );
        let refused = build_scenario(&tr, &observed, &Settings::default()).unwrap_err();
        assert!(!refused.bad_input);
        assert!(
            refused.problems[0].contains("no services observed"),
            "{refused:?}"
        );
        let settings = Settings {
            service_hours: BTreeMap::from([(1, 3.0)]),
            servers: BTreeMap::from([(0, 4)]),
            ..Settings::default()
        };
        let scenario = build_scenario(&tr, &observed, &settings).unwrap();
        assert_eq!(scenario.arrivals_per_day, 1.0);
        assert_eq!(scenario.stages[0].servers, 4);
        assert_eq!(scenario.stages[0].service.mean_hours, 2.0);
        assert_eq!(scenario.stages[1].service.mean_hours, 3.0);
        let too_long = Settings {
            days: Some(730),
            arrivals_per_day: Some(1_000.0),
            ..settings
        };
        let refused = build_scenario(&tr, &observed, &too_long).unwrap_err();
        assert!(refused.bad_input, "{refused:?}");
    }
}
