//! From the estimates and what the user changed of them to a scenario, within bounds that keep one request to a
//! couple of seconds, and the run (with the server search when one was asked for).
use std::collections::BTreeMap;

use crate::simulate::{
    self, Outcome, Scenario, ServerSolution, ServiceTime, SolveError, Stage, estimate_parts,
};

use super::observe::{Observed, SECONDS_PER_DAY};

/// Bounds of what may be asked. The horizon and the arrival rate together are bounded by `MAX_EXPECTED_ARRIVALS`,
/// which keeps one run (and a server search of a handful of runs) within about two seconds on the office machine.
pub const WINDOW_DAYS: Bound<u32> = Bound::new(7, 365, 56);
pub const HOURS_PER_DAY: Bound<f64> = Bound::new(1.0, 24.0, 8.0);
pub const HORIZON_DAYS: Bound<u32> = Bound::new(14, 730, 180);
pub const WARMUP_DAYS: Bound<u32> = Bound::new(0, 365, 30);
pub const ARRIVALS_PER_DAY: Bound<f64> = Bound::new(0.01, 2_000.0, 1.0);
pub const SERVERS: Bound<u32> = Bound::new(1, 500, 1);
pub const SERVICE_HOURS: Bound<f64> = Bound::new(0.01, 500.0, 1.0);
pub const TARGET_DAYS: Bound<f64> = Bound::new(0.1, 730.0, 30.0);
pub const SEED: Bound<u64> = Bound::new(0, u64::MAX, simulate::DEFAULT_SEED);
pub const MAX_EXPECTED_ARRIVALS: f64 = 150_000.0;

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

/// What the user asked for; `None` means "the estimate". Values are within their bounds (the caller checks).
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

impl Settings {
    /// The observation window ending at `now`: `[from, now)`.
    pub fn window(&self, now: i64) -> (i64, i64) {
        let days = self.window_days.unwrap_or(WINDOW_DAYS.default);
        (now - i64::from(days) * SECONDS_PER_DAY, now)
    }
}

/// Why no scenario could be built.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum Problem {
    #[error("no arrivals observed in the window and no arrival rate given")]
    NoArrivals,
    /// `stage` is the simulated stage's name (alternatives joined with `+`).
    #[error("no services observed at `{stage}` and no service time given")]
    NoServices { stage: String },
    #[error("the warm-up must be shorter than the horizon")]
    WarmupTooLong,
    #[error("more than {limit} expected arrivals over the horizon")]
    TooLarge { limit: u64 },
    #[error("{0}")]
    Invalid(String),
}

impl Problem {
    /// The user asked for something out of bounds (an answer of 400), rather than the log lacking something.
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, Problem::NoArrivals | Problem::NoServices { .. })
    }
}

/// The scenario to simulate: the estimate with the user's changes.
pub fn build_scenario(observed: &Observed, settings: &Settings) -> Result<Scenario, Vec<Problem>> {
    let parts = estimate_parts(&observed.observations);
    let mut problems = Vec::new();
    let arrivals_per_day = match (settings.arrivals_per_day, &parts.arrivals_per_day) {
        (Some(rate), _) => Some(rate),
        (None, Ok(rate)) if *rate > 0.0 => Some(*rate),
        (None, _) => {
            problems.push(Problem::NoArrivals);
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
                problems.push(Problem::NoServices {
                    stage: observations.name.clone(),
                });
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
    if warmup_days >= days {
        problems.push(Problem::WarmupTooLong);
    }
    if arrivals_per_day.is_some_and(|rate| rate * f64::from(days) > MAX_EXPECTED_ARRIVALS) {
        problems.push(Problem::TooLarge {
            limit: MAX_EXPECTED_ARRIVALS as u64,
        });
    }
    let Some(arrivals_per_day) = arrivals_per_day.filter(|_| problems.is_empty()) else {
        return Err(problems);
    };
    let scenario = Scenario {
        days: f64::from(days),
        warmup_days: f64::from(warmup_days),
        arrivals_per_day,
        stages,
    };
    scenario
        .validate()
        .map_err(|error| vec![Problem::Invalid(error.problem.clone())])?;
    Ok(scenario)
}

/// A run, and the server search when one was asked for.
#[derive(Debug)]
pub struct Ran {
    pub outcome: Outcome,
    pub solved: Option<Result<ServerSolution, SolveError>>,
}

/// Runs the scenario with the settings' seed and, when asked, searches the servers the target needs. CPU-bound:
/// callers on an async runtime run it on a blocking thread.
pub fn run(scenario: &Scenario, settings: &Settings) -> Ran {
    let seed = settings.seed.unwrap_or(simulate::DEFAULT_SEED);
    let solved = settings.solve.and_then(|(index, target)| {
        let stage = scenario.stages.get(index)?;
        Some(simulate::solve_servers(scenario, &stage.name, target, seed))
    });
    // With an answer, the run shown is the one with the staffing found; otherwise the scenario as given.
    let outcome = match &solved {
        Some(Ok(solution)) => solution.outcome.clone(),
        _ => simulate::simulate(scenario, seed),
    };
    Ran { outcome, solved }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capacity::{StageGroup, WorkingDay, observe};
    use sito_core::StaffId;
    use sito_core::flow::{FlowEvent, FlowKind};

    const HOUR: i64 = 3600;
    const START: i64 = 1_800_000_000 - 1_800_000_000 % SECONDS_PER_DAY;

    fn flow(case: u32, at: i64, kind: FlowKind) -> FlowEvent {
        FlowEvent {
            case,
            at,
            actor: Some(StaffId::from_uuid(uuid::Uuid::from_u128(1))),
            kind,
        }
    }

    fn received(case: u32, at: i64) -> FlowEvent {
        flow(
            case,
            at,
            FlowKind::Received {
                stage: "triage".into(),
            },
        )
    }

    #[test]
    fn a_scenario_needs_every_stage_estimated_or_given() {
        let events = vec![
            received(0, START),
            flow(
                0,
                START + 2 * HOUR,
                FlowKind::Advanced {
                    from: "triage".into(),
                    to: "scrutiny".into(),
                },
            ),
            received(1, START + 86_400),
        ];
        let groups: Vec<StageGroup> = ["triage", "scrutiny"]
            .into_iter()
            .map(|id| StageGroup {
                members: vec![id.to_owned()],
            })
            .collect();
        let observed = observe(
            &groups,
            &events,
            (START, START + 2 * 86_400),
            WorkingDay::simulation(24.0),
        );
        let refused = build_scenario(&observed, &Settings::default()).unwrap_err();
        assert_eq!(
            refused,
            vec![Problem::NoServices {
                stage: "scrutiny".into()
            }]
        );
        assert!(!refused.iter().any(Problem::is_bad_input));
        let settings = Settings {
            service_hours: BTreeMap::from([(1, 3.0)]),
            servers: BTreeMap::from([(0, 4)]),
            ..Settings::default()
        };
        let scenario = build_scenario(&observed, &settings).unwrap();
        assert_eq!(scenario.arrivals_per_day, 1.0);
        assert_eq!(scenario.stages[0].servers, 4);
        assert_eq!(scenario.stages[0].service.mean_hours, 2.0);
        assert_eq!(scenario.stages[1].service.mean_hours, 3.0);
        let too_long = Settings {
            days: Some(730),
            arrivals_per_day: Some(1_000.0),
            ..settings.clone()
        };
        let refused = build_scenario(&observed, &too_long).unwrap_err();
        assert_eq!(refused, vec![Problem::TooLarge { limit: 150_000 }]);
        assert!(refused.iter().all(Problem::is_bad_input));
        // The default horizon of a busy office shrinks to what the bound allows instead.
        let busy = Settings {
            arrivals_per_day: Some(1_000.0),
            ..settings.clone()
        };
        assert_eq!(build_scenario(&observed, &busy).unwrap().days, 150.0);
        let warm = Settings {
            days: Some(20),
            warmup_days: Some(20),
            ..settings
        };
        assert_eq!(
            build_scenario(&observed, &warm).unwrap_err(),
            vec![Problem::WarmupTooLong]
        );
    }

    #[test]
    fn the_window_ends_now() {
        let settings = Settings {
            window_days: Some(7),
            ..Settings::default()
        };
        assert_eq!(settings.window(10 * 86_400), (3 * 86_400, 10 * 86_400));
        assert_eq!(Settings::default().window(0).0, -56 * 86_400);
    }
}
