//! The scenario: what the simulation is asked to play out, parsed from TOML or built by the estimator, and
//! validated in one place so both paths refuse the same nonsense.
use std::collections::HashSet;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

/// Above these the run would take minutes or exhaust memory; no real office plans at such scales.
pub const MAX_DAYS: f64 = 1_000_000.0;
pub const MAX_EXPECTED_ARRIVALS: f64 = 20_000_000.0;
/// Service times are drawn up front for every application and visit of a stage: this bounds that memory.
pub const MAX_EXPECTED_SERVICES_PER_STAGE: f64 = 50_000_000.0;
pub const MAX_SERVERS: u32 = 100_000;
pub const MAX_VISITS: u32 = 100;
pub const MAX_SERVICE_CV: f64 = 100.0;

/// A whole scenario: horizon, arrival rate and the stages in pipeline order.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Simulated horizon in days, warm-up included.
    pub days: f64,
    /// The first days, excluded from every statistic (the system starts empty).
    pub warmup_days: f64,
    /// Mean of the Poisson arrival process, spread over all 24 hours of every day.
    pub arrivals_per_day: f64,
    pub stages: Vec<Stage>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    pub name: String,
    /// Staff working this stage in parallel.
    pub servers: u32,
    pub service: ServiceTime,
    /// Working hours each server gives per day; 24 means round the clock.
    pub hours_per_day: f64,
    /// Share of applications that leave the pipeline after finishing this stage.
    pub leave_probability: f64,
    /// Services each application needs at this stage (2 for the double polygraph).
    pub visits: u32,
}

/// Working hours one service takes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ServiceTime {
    pub mean_hours: f64,
    /// `None`: exponential. `Some(cv)`: lognormal with that coefficient of variation (0 = always the mean).
    pub cv: Option<f64>,
}

/// A problem with a scenario, with the 1-based line of the offending value when it came from TOML.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}{problem}", line.map(|line| format!("line {line}: ")).unwrap_or_default())]
pub struct ScenarioError {
    pub line: Option<usize>,
    pub problem: String,
}

/// Which value a validation complaint is about, so the TOML path can point at its line.
#[derive(Debug, Clone, Copy)]
enum Field {
    Days,
    WarmupDays,
    ArrivalsPerDay,
    Stages,
    Stage(usize, StageField),
}

#[derive(Debug, Clone, Copy)]
enum StageField {
    Name,
    ServiceHoursMean,
    ServiceHoursCv,
    HoursPerDay,
    LeaveProbability,
}

impl Scenario {
    /// Parses and validates a scenario in the format of contracts/simulate.md. Unknown keys are refused.
    pub fn from_toml_str(text: &str) -> Result<Scenario, ScenarioError> {
        let raw: RawScenario = toml::from_str(text).map_err(|error| ScenarioError {
            line: error.span().map(|span| line_of(text, &span)),
            problem: error.message().trim_end().to_owned(),
        })?;
        let spans = raw.spans();
        let scenario = raw.into_scenario(text)?;
        scenario.check(|field| spans.of(field).map(|span| line_of(text, &span)))?;
        Ok(scenario)
    }

    /// Validates a scenario built in code (for example by the estimator).
    pub fn validate(&self) -> Result<(), ScenarioError> {
        self.check(|_| None)
    }

    /// The stage with this name, if any.
    pub fn stage_index(&self, name: &str) -> Option<usize> {
        self.stages.iter().position(|stage| stage.name == name)
    }

    /// Expected applications reaching each stage per day, from the leave probabilities upstream.
    pub fn expected_entries_per_day(&self) -> Vec<f64> {
        let mut reaching = self.arrivals_per_day;
        self.stages
            .iter()
            .map(|stage| {
                let here = reaching;
                reaching *= 1.0 - stage.leave_probability;
                here
            })
            .collect()
    }

    fn check(&self, line: impl Fn(Field) -> Option<usize>) -> Result<(), ScenarioError> {
        let fail = |field: Field, problem: String| {
            Err(ScenarioError {
                line: line(field),
                problem,
            })
        };
        if !(self.days.is_finite() && self.days > 0.0 && self.days <= MAX_DAYS) {
            return fail(
                Field::Days,
                format!(
                    "days must be above 0 and at most {MAX_DAYS}, got {}",
                    self.days
                ),
            );
        }
        if !(self.warmup_days.is_finite()
            && self.warmup_days >= 0.0
            && self.warmup_days < self.days)
        {
            return fail(
                Field::WarmupDays,
                format!(
                    "warmup_days must be at least 0 and below days ({}), got {}",
                    self.days, self.warmup_days
                ),
            );
        }
        if !(self.arrivals_per_day.is_finite() && self.arrivals_per_day > 0.0) {
            return fail(
                Field::ArrivalsPerDay,
                format!(
                    "arrivals_per_day must be above 0, got {}",
                    self.arrivals_per_day
                ),
            );
        }
        if self.arrivals_per_day * self.days > MAX_EXPECTED_ARRIVALS {
            return fail(
                Field::ArrivalsPerDay,
                format!(
                    "arrivals_per_day × days = {:.0} expected applications, more than the {MAX_EXPECTED_ARRIVALS:.0} \
                     a run can hold",
                    self.arrivals_per_day * self.days
                ),
            );
        }
        if self.stages.is_empty() {
            return fail(
                Field::Stages,
                "the scenario has no [[stage]]: at least one is needed".to_owned(),
            );
        }
        let mut seen = HashSet::new();
        for (index, stage) in self.stages.iter().enumerate() {
            let at = |field| Field::Stage(index, field);
            let name = &stage.name;
            if name.trim().is_empty() {
                return fail(
                    at(StageField::Name),
                    format!("stage {} has an empty name", index + 1),
                );
            }
            if !seen.insert(name.as_str()) {
                return fail(
                    at(StageField::Name),
                    format!("stage name \"{name}\" is used twice"),
                );
            }
            if stage.servers == 0 || stage.servers > MAX_SERVERS {
                return fail(
                    at(StageField::Name),
                    format!(
                        "stage \"{name}\": servers must be 1 to {MAX_SERVERS}, got {}",
                        stage.servers
                    ),
                );
            }
            if stage.visits == 0 || stage.visits > MAX_VISITS {
                return fail(
                    at(StageField::Name),
                    format!(
                        "stage \"{name}\": visits must be 1 to {MAX_VISITS}, got {}",
                        stage.visits
                    ),
                );
            }
            let services = self.arrivals_per_day * self.days * f64::from(stage.visits);
            if services > MAX_EXPECTED_SERVICES_PER_STAGE {
                return fail(
                    at(StageField::Name),
                    format!(
                        "stage \"{name}\": arrivals_per_day × days × visits = {services:.0} services, more than the \
                         {MAX_EXPECTED_SERVICES_PER_STAGE:.0} a run can hold"
                    ),
                );
            }
            let mean = stage.service.mean_hours;
            if !(mean.is_finite() && mean > 0.0) {
                return fail(
                    at(StageField::ServiceHoursMean),
                    format!("stage \"{name}\": service_hours_mean must be above 0, got {mean}"),
                );
            }
            if let Some(cv) = stage.service.cv
                && !(cv.is_finite() && (0.0..=MAX_SERVICE_CV).contains(&cv))
            {
                return fail(
                    at(StageField::ServiceHoursCv),
                    format!(
                        "stage \"{name}\": service_hours_cv must be 0 to {MAX_SERVICE_CV}, got {cv}"
                    ),
                );
            }
            let hours = stage.hours_per_day;
            if !(hours.is_finite() && hours > 0.0 && hours <= 24.0) {
                return fail(
                    at(StageField::HoursPerDay),
                    format!(
                        "stage \"{name}\": hours_per_day must be above 0 and at most 24, got {hours}"
                    ),
                );
            }
            let leave = stage.leave_probability;
            if !(0.0..=1.0).contains(&leave) {
                return fail(
                    at(StageField::LeaveProbability),
                    format!(
                        "stage \"{name}\": leave_probability must be between 0 and 1, got {leave}"
                    ),
                );
            }
        }
        Ok(())
    }
}

fn line_of(text: &str, span: &Range<usize>) -> usize {
    let end = span.start.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&byte| byte == b'\n')
        .count()
        + 1
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    days: Spanned<f64>,
    warmup_days: Option<Spanned<f64>>,
    arrivals_per_day: Spanned<f64>,
    #[serde(default)]
    stage: Vec<RawStage>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStage {
    name: Spanned<String>,
    servers: Spanned<i64>,
    service_hours_mean: Spanned<f64>,
    service_hours_cv: Option<Spanned<f64>>,
    hours_per_day: Option<Spanned<f64>>,
    leave_probability: Option<Spanned<f64>>,
    visits: Option<Spanned<i64>>,
}

/// Where each value sat in the TOML text, kept apart from the values so validation stays format-free.
struct Spans {
    days: Range<usize>,
    warmup_days: Option<Range<usize>>,
    arrivals_per_day: Range<usize>,
    stages: Vec<StageSpans>,
}

struct StageSpans {
    name: Range<usize>,
    service_hours_mean: Range<usize>,
    service_hours_cv: Option<Range<usize>>,
    hours_per_day: Option<Range<usize>>,
    leave_probability: Option<Range<usize>>,
}

impl Spans {
    fn of(&self, field: Field) -> Option<Range<usize>> {
        match field {
            Field::Days => Some(self.days.clone()),
            Field::WarmupDays => self.warmup_days.clone(),
            Field::ArrivalsPerDay => Some(self.arrivals_per_day.clone()),
            Field::Stages => None,
            Field::Stage(index, field) => {
                let stage = self.stages.get(index)?;
                match field {
                    StageField::Name => Some(stage.name.clone()),
                    StageField::ServiceHoursMean => Some(stage.service_hours_mean.clone()),
                    StageField::ServiceHoursCv => stage.service_hours_cv.clone(),
                    StageField::HoursPerDay => stage.hours_per_day.clone(),
                    StageField::LeaveProbability => stage.leave_probability.clone(),
                }
                .or_else(|| Some(stage.name.clone()))
            }
        }
    }
}

/// A stage without `hours_per_day` has no working-hours restriction: its servers are always available (the
/// pure M/M/c reading of a scenario). Offices say how long their day is.
const DEFAULT_HOURS_PER_DAY: f64 = 24.0;

impl RawScenario {
    fn spans(&self) -> Spans {
        Spans {
            days: self.days.span(),
            warmup_days: self.warmup_days.as_ref().map(Spanned::span),
            arrivals_per_day: self.arrivals_per_day.span(),
            stages: self
                .stage
                .iter()
                .map(|stage| StageSpans {
                    name: stage.name.span(),
                    service_hours_mean: stage.service_hours_mean.span(),
                    service_hours_cv: stage.service_hours_cv.as_ref().map(Spanned::span),
                    hours_per_day: stage.hours_per_day.as_ref().map(Spanned::span),
                    leave_probability: stage.leave_probability.as_ref().map(Spanned::span),
                })
                .collect(),
        }
    }

    /// Converts, refusing the integers that do not fit before they are narrowed.
    fn into_scenario(self, text: &str) -> Result<Scenario, ScenarioError> {
        let mut stages = Vec::with_capacity(self.stage.len());
        for raw in self.stage {
            let name = raw.name.get_ref().clone();
            let servers = bounded_count(text, &raw.servers, MAX_SERVERS, || {
                format!("stage \"{name}\": servers")
            })?;
            let visits = match &raw.visits {
                Some(visits) => bounded_count(text, visits, MAX_VISITS, || {
                    format!("stage \"{name}\": visits")
                })?,
                None => 1,
            };
            stages.push(Stage {
                name,
                servers,
                service: ServiceTime {
                    mean_hours: *raw.service_hours_mean.get_ref(),
                    cv: raw.service_hours_cv.map(Spanned::into_inner),
                },
                hours_per_day: raw
                    .hours_per_day
                    .map_or(DEFAULT_HOURS_PER_DAY, Spanned::into_inner),
                leave_probability: raw.leave_probability.map_or(0.0, Spanned::into_inner),
                visits,
            });
        }
        Ok(Scenario {
            days: self.days.into_inner(),
            warmup_days: self.warmup_days.map_or(0.0, Spanned::into_inner),
            arrivals_per_day: self.arrivals_per_day.into_inner(),
            stages,
        })
    }
}

fn bounded_count(
    text: &str,
    value: &Spanned<i64>,
    max: u32,
    what: impl Fn() -> String,
) -> Result<u32, ScenarioError> {
    let number = *value.get_ref();
    match u32::try_from(number) {
        Ok(count) if (1..=max).contains(&count) => Ok(count),
        _ => Err(ScenarioError {
            line: Some(line_of(text, &value.span())),
            problem: format!("{} must be 1 to {max}, got {number}", what()),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONTRACT_EXAMPLE: &str = r#"
days = 180                 # simulated horizon
warmup_days = 30           # excluded from the statistics
arrivals_per_day = 120     # Poisson arrivals

[[stage]]
name = "document_scrutiny"
servers = 6
service_hours_mean = 1.5
hours_per_day = 8
leave_probability = 0.3

[[stage]]
name = "polygraph"
servers = 4
service_hours_mean = 3.0
visits = 2
hours_per_day = 8
"#;

    #[test]
    fn the_contract_example_parses_with_defaults_filled_in() {
        let scenario = Scenario::from_toml_str(CONTRACT_EXAMPLE).unwrap();
        assert_eq!(scenario.days, 180.0);
        assert_eq!(scenario.warmup_days, 30.0);
        assert_eq!(scenario.stages.len(), 2);
        let polygraph = &scenario.stages[1];
        assert_eq!(polygraph.visits, 2);
        assert_eq!(polygraph.leave_probability, 0.0);
        assert_eq!(
            polygraph.service,
            ServiceTime {
                mean_hours: 3.0,
                cv: None
            }
        );
        assert_eq!(scenario.stages[0].visits, 1);
        assert_eq!(scenario.expected_entries_per_day(), vec![120.0, 84.0]);
    }

    /// (edit of the contract example, expected line, words the message must contain)
    const BAD: &[(&str, &str, Option<usize>, &str)] = &[
        ("servers = 4", "servers = 0", Some(15), "servers must be 1"),
        ("servers = 4", "servers = -2", Some(15), "got -2"),
        (
            "leave_probability = 0.3",
            "leave_probability = 1.5",
            Some(11),
            "between 0 and 1",
        ),
        (
            "leave_probability = 0.3",
            "leave_probability = -0.1",
            Some(11),
            "between 0 and 1",
        ),
        ("visits = 2", "visits = 0", Some(17), "visits must be 1"),
        ("visits = 2", "vistis = 2", Some(17), "vistis"),
        (
            "warmup_days = 30",
            "warmup_days = 180",
            Some(3),
            "warmup_days",
        ),
        ("days = 180", "days = -1", Some(2), "days must be above 0"),
        (
            "service_hours_mean = 3.0",
            "service_hours_mean = 0.0",
            Some(16),
            "service_hours_mean",
        ),
        (
            "hours_per_day = 8\nleave",
            "hours_per_day = 25\nleave",
            Some(10),
            "hours_per_day",
        ),
        (
            "name = \"polygraph\"",
            "name = \"document_scrutiny\"",
            Some(14),
            "used twice",
        ),
        (
            "arrivals_per_day = 120",
            "arrivals_per_day = 0",
            Some(4),
            "arrivals_per_day",
        ),
        ("servers = 4", "servers = 4.5", Some(15), "expected i64"),
        ("days = 180 ", "days = 180\nweeks = 3", Some(3), "weeks"),
    ];

    #[test]
    fn bad_values_are_refused_with_their_line() {
        for (from, to, line, words) in BAD {
            assert!(
                CONTRACT_EXAMPLE.contains(from),
                "test edit {from:?} does not apply"
            );
            let text = CONTRACT_EXAMPLE.replacen(from, to, 1);
            let error = Scenario::from_toml_str(&text).unwrap_err();
            assert_eq!(error.line, *line, "{to:?}: {error}");
            assert!(error.problem.contains(words), "{to:?}: {error}");
        }
    }

    #[test]
    fn runs_too_big_to_hold_are_refused_before_they_start() {
        let mut scenario = Scenario::from_toml_str(CONTRACT_EXAMPLE).unwrap();
        scenario.arrivals_per_day = 10_000.0;
        scenario.stages[1].visits = 100;
        let error = scenario.validate().unwrap_err();
        assert!(
            error.problem.contains("polygraph") && error.problem.contains("services"),
            "{error}"
        );
        scenario.stages[1].visits = 2;
        scenario.days = 3_000.0;
        let error = scenario.validate().unwrap_err();
        assert!(error.problem.contains("expected applications"), "{error}");
    }

    #[test]
    fn a_stage_without_working_hours_works_round_the_clock() {
        let text = CONTRACT_EXAMPLE.replace("hours_per_day = 8\nleave", "leave");
        let scenario = Scenario::from_toml_str(&text).unwrap();
        assert_eq!(scenario.stages[0].hours_per_day, 24.0);
        assert_eq!(scenario.stages[1].hours_per_day, 8.0);
    }

    #[test]
    fn a_scenario_without_stages_is_refused() {
        let error = Scenario::from_toml_str("days = 10\narrivals_per_day = 5\n").unwrap_err();
        assert!(error.problem.contains("no [[stage]]"), "{error}");
    }

    #[test]
    fn a_missing_required_key_is_named() {
        let error = Scenario::from_toml_str(
            "arrivals_per_day = 5\n[[stage]]\nname='a'\nservers=1\nservice_hours_mean=1\n",
        )
        .unwrap_err();
        assert!(error.problem.contains("days"), "{error}");
    }
}
