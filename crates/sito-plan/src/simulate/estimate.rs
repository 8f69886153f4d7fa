//! A scenario estimated from what the event log shows, for capacity planning that starts from reality.
//!
//! Pure: the caller (the staff site) extracts the observations from its store and hands them in.
use super::clock::WorkClock;
use super::scenario::{Scenario, ScenarioError, ServiceTime, Stage};

const SECONDS_PER_DAY: f64 = 86_400.0;

/// What was observed over some period.
#[derive(Debug, Clone, PartialEq)]
pub struct Observations {
    /// When applications arrived, in seconds since the Unix epoch (any order).
    pub arrivals_unix_seconds: Vec<i64>,
    /// The period watched, `[from, to)` in Unix seconds. When absent, the span from the first to the last arrival.
    pub window_unix_seconds: Option<(i64, i64)>,
    /// The stages in pipeline order.
    pub stages: Vec<StageObservations>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StageObservations {
    pub name: String,
    /// Working hours each observed service took (one entry per visit).
    pub service_hours: Vec<f64>,
    /// Applications that left the pipeline after this stage (rejected, withdrawn).
    pub left: u64,
    /// Applications that went on to the next stage (or were decided, at the last stage).
    pub passed: u64,
    /// Staffing is a plan, not an observation: the caller states the current one.
    pub servers: u32,
    pub hours_per_day: f64,
    pub visits: u32,
}

/// The horizon to simulate the estimated scenario over.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Horizon {
    pub days: f64,
    pub warmup_days: f64,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EstimateError {
    #[error("too few arrivals to estimate a rate: need a window or at least two arrivals")]
    TooFewArrivals,
    #[error("the observation window is empty or reversed")]
    EmptyWindow,
    #[error("stage \"{stage}\": no service durations observed")]
    NoServices { stage: String },
    #[error(
        "stage \"{stage}\": service duration {index} is {value}, not a positive number of hours"
    )]
    BadService {
        stage: String,
        index: usize,
        value: f64,
    },
    #[error("the estimated scenario is not valid: {0}")]
    Invalid(#[from] ScenarioError),
}

/// Estimates each parameter by maximum likelihood:
/// - arrivals per day: arrivals in the window over its length (with no window: `n - 1` gaps over the span);
/// - leave probability: leavers over leavers and passers (0 when nobody was seen at the stage);
/// - service time: the sample mean, and the shape chosen between exponential and lognormal by Akaike's
///   criterion; a lognormal's coefficient of variation is taken from the spread of the logarithms, which is less
///   at the mercy of a few very long services than the raw standard deviation.
pub fn estimate_scenario(
    observations: &Observations,
    horizon: Horizon,
) -> Result<Scenario, EstimateError> {
    let arrivals_per_day = arrival_rate(observations)?;
    let stages = observations
        .stages
        .iter()
        .map(|stage| {
            Ok(Stage {
                name: stage.name.clone(),
                servers: stage.servers,
                service: service_time(&stage.name, &stage.service_hours)?,
                hours_per_day: stage.hours_per_day,
                leave_probability: leave_probability(stage.left, stage.passed),
                visits: stage.visits,
            })
        })
        .collect::<Result<Vec<_>, EstimateError>>()?;
    let scenario = Scenario {
        days: horizon.days,
        warmup_days: horizon.warmup_days,
        arrivals_per_day,
        stages,
    };
    scenario.validate()?;
    Ok(scenario)
}

/// Each part of the estimate on its own, for a caller that shows what it could estimate even when some stage
/// lacks observations (`estimate_scenario` needs every part).
#[derive(Debug, Clone, PartialEq)]
pub struct EstimatedParts {
    pub arrivals_per_day: Result<f64, EstimateError>,
    /// In the order of `Observations::stages`.
    pub stages: Vec<Result<Stage, EstimateError>>,
}

/// The same estimators as [`estimate_scenario`], part by part, without assembling or validating a scenario.
pub fn estimate_parts(observations: &Observations) -> EstimatedParts {
    EstimatedParts {
        arrivals_per_day: arrival_rate(observations),
        stages: observations
            .stages
            .iter()
            .map(|stage| {
                Ok(Stage {
                    name: stage.name.clone(),
                    servers: stage.servers,
                    service: service_time(&stage.name, &stage.service_hours)?,
                    hours_per_day: stage.hours_per_day,
                    leave_probability: leave_probability(stage.left, stage.passed),
                    visits: stage.visits,
                })
            })
            .collect(),
    }
}

/// Working hours between two Unix instants for staff working `hours_per_day` a day on the simulation's
/// schedule (opening at [`super::DAY_OPENS_AT`], UTC days): what a service observed in the event log took on
/// the same clock the simulation counts service times on.
pub fn working_hours_between(from_unix: i64, to_unix: i64, hours_per_day: f64) -> f64 {
    let clock = WorkClock::new(hours_per_day);
    // Unix time starts at a UTC midnight, as the simulation's wall clock does.
    let wall = |unix: i64| unix as f64 / 3600.0;
    clock.work_at(wall(to_unix)) - clock.work_at(wall(from_unix))
}

fn arrival_rate(observations: &Observations) -> Result<f64, EstimateError> {
    let arrivals = &observations.arrivals_unix_seconds;
    match observations.window_unix_seconds {
        Some((from, to)) => {
            if to <= from {
                return Err(EstimateError::EmptyWindow);
            }
            let inside = arrivals.iter().filter(|&&at| at >= from && at < to).count();
            Ok(inside as f64 / ((to - from) as f64 / SECONDS_PER_DAY))
        }
        None => {
            let (Some(first), Some(last)) = (arrivals.iter().min(), arrivals.iter().max()) else {
                return Err(EstimateError::TooFewArrivals);
            };
            if arrivals.len() < 2 || last <= first {
                return Err(EstimateError::TooFewArrivals);
            }
            Ok((arrivals.len() - 1) as f64 / ((last - first) as f64 / SECONDS_PER_DAY))
        }
    }
}

fn leave_probability(left: u64, passed: u64) -> f64 {
    let seen = left.saturating_add(passed);
    if seen == 0 {
        0.0
    } else {
        left as f64 / seen as f64
    }
}

fn service_time(stage: &str, hours: &[f64]) -> Result<ServiceTime, EstimateError> {
    if hours.is_empty() {
        return Err(EstimateError::NoServices {
            stage: stage.to_owned(),
        });
    }
    if let Some((index, &value)) = hours
        .iter()
        .enumerate()
        .find(|(_, value)| !(value.is_finite() && **value > 0.0))
    {
        return Err(EstimateError::BadService {
            stage: stage.to_owned(),
            index,
            value,
        });
    }
    let count = hours.len() as f64;
    let mean = hours.iter().sum::<f64>() / count;
    if hours.len() < 2 {
        return Ok(ServiceTime {
            mean_hours: mean,
            cv: None,
        });
    }
    let logs: Vec<f64> = hours.iter().map(|value| value.ln()).collect();
    let log_mean = logs.iter().sum::<f64>() / count;
    let log_variance = logs.iter().map(|log| (log - log_mean).powi(2)).sum::<f64>() / count;
    if log_variance <= 0.0 {
        // Every service took the same time.
        return Ok(ServiceTime {
            mean_hours: mean,
            cv: Some(0.0),
        });
    }
    let exponential_log_likelihood = -count * mean.ln() - count;
    let lognormal_log_likelihood = -logs.iter().sum::<f64>()
        - count / 2.0 * (2.0 * std::f64::consts::PI * log_variance).ln()
        - count / 2.0;
    let exponential_aic = 2.0 - 2.0 * exponential_log_likelihood;
    let lognormal_aic = 4.0 - 2.0 * lognormal_log_likelihood;
    let cv = (lognormal_aic < exponential_aic).then(|| (log_variance.exp() - 1.0).sqrt());
    Ok(ServiceTime {
        mean_hours: mean,
        cv,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use rand_distr::{Distribution, Exp, LogNormal};

    fn stage(service_hours: Vec<f64>, left: u64, passed: u64) -> StageObservations {
        StageObservations {
            name: "polygraph".to_owned(),
            service_hours,
            left,
            passed,
            servers: 3,
            hours_per_day: 8.0,
            visits: 2,
        }
    }

    const HORIZON: Horizon = Horizon {
        days: 365.0,
        warmup_days: 30.0,
    };

    #[test]
    fn recovers_the_parameters_that_generated_the_data() {
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let exponential: Vec<f64> = Exp::new(1.0 / 3.0)
            .unwrap()
            .sample_iter(&mut rng)
            .take(4000)
            .collect();
        let lognormal: Vec<f64> = LogNormal::from_mean_cv(1.5, 0.4)
            .unwrap()
            .sample_iter(&mut rng)
            .take(4000)
            .collect();
        // Arrivals every 12 minutes for 10 days: 120 a day.
        let arrivals = (0..1200).map(|step| 1_700_000_000 + step * 720).collect();
        let observations = Observations {
            arrivals_unix_seconds: arrivals,
            window_unix_seconds: Some((1_700_000_000, 1_700_000_000 + 10 * 86_400)),
            stages: vec![stage(lognormal, 300, 700), stage(exponential, 0, 700)],
        };
        let mut observations = observations;
        observations.stages[1].name = "board".to_owned();
        let scenario = estimate_scenario(&observations, HORIZON).unwrap();
        assert!((scenario.arrivals_per_day - 120.0).abs() < 1e-9);
        let [first, second] = &scenario.stages[..] else {
            panic!()
        };
        assert_eq!(first.leave_probability, 0.3);
        assert_eq!(second.leave_probability, 0.0);
        assert!(
            (first.service.mean_hours - 1.5).abs() < 0.05,
            "{:?}",
            first.service
        );
        assert!(
            (first.service.cv.unwrap() - 0.4).abs() < 0.03,
            "{:?}",
            first.service
        );
        assert!(
            (second.service.mean_hours - 3.0).abs() < 0.15,
            "{:?}",
            second.service
        );
        assert_eq!(
            second.service.cv, None,
            "exponential data should stay exponential"
        );
        assert_eq!((first.servers, first.visits), (3, 2));
    }

    #[test]
    fn working_hours_count_only_the_open_hours() {
        let monday = 1_800_000_000 - 1_800_000_000 % 86_400;
        let at = |day: i64, hour: i64| monday + day * 86_400 + hour * 3600;
        assert_eq!(working_hours_between(at(0, 10), at(0, 12), 8.0), 2.0);
        // 09:00-17:00: from 16:00 to the next day's 10:00 is one hour before closing and one after opening.
        assert_eq!(working_hours_between(at(0, 16), at(1, 10), 8.0), 2.0);
        assert_eq!(working_hours_between(at(0, 20), at(0, 23), 8.0), 0.0);
        assert_eq!(working_hours_between(at(0, 20), at(0, 23), 24.0), 3.0);
    }

    #[test]
    fn parts_are_estimated_even_when_a_stage_has_no_services() {
        let observations = Observations {
            arrivals_unix_seconds: vec![0, 86_400],
            window_unix_seconds: None,
            stages: vec![stage(vec![2.0, 2.0], 1, 3), stage(Vec::new(), 0, 0)],
        };
        let parts = estimate_parts(&observations);
        assert_eq!(parts.arrivals_per_day, Ok(1.0));
        let first = parts.stages[0].as_ref().unwrap();
        assert_eq!(
            (first.service.mean_hours, first.leave_probability),
            (2.0, 0.25)
        );
        assert!(matches!(
            parts.stages[1],
            Err(EstimateError::NoServices { .. })
        ));
    }

    #[test]
    fn without_a_window_the_rate_comes_from_the_gaps() {
        let observations = Observations {
            arrivals_unix_seconds: vec![86_400, 0, 43_200],
            window_unix_seconds: None,
            stages: vec![stage(vec![1.0], 0, 0)],
        };
        let scenario = estimate_scenario(&observations, HORIZON).unwrap();
        assert_eq!(scenario.arrivals_per_day, 2.0);
        assert_eq!(
            scenario.stages[0].service,
            ServiceTime {
                mean_hours: 1.0,
                cv: None
            }
        );
    }

    #[test]
    fn bad_observations_are_refused() {
        let base = Observations {
            arrivals_unix_seconds: vec![0, 100],
            window_unix_seconds: None,
            stages: vec![stage(vec![1.0, -2.0], 0, 0)],
        };
        assert!(matches!(
            estimate_scenario(&base, HORIZON),
            Err(EstimateError::BadService { index: 1, .. })
        ));
        let mut no_services = base.clone();
        no_services.stages[0].service_hours.clear();
        assert!(matches!(
            estimate_scenario(&no_services, HORIZON),
            Err(EstimateError::NoServices { .. })
        ));
        let mut one_arrival = base.clone();
        one_arrival.arrivals_unix_seconds = vec![5];
        assert_eq!(
            estimate_scenario(&one_arrival, HORIZON),
            Err(EstimateError::TooFewArrivals)
        );
        let mut no_staff = base;
        no_staff.stages[0].service_hours = vec![1.0];
        no_staff.stages[0].servers = 0;
        assert!(matches!(
            estimate_scenario(&no_staff, HORIZON),
            Err(EstimateError::Invalid(_))
        ));
    }
}
