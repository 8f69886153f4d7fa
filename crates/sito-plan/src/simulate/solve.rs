//! The inverse question: how many servers at one stage keep the mean time to decision at or under a target.
use std::collections::BTreeMap;

use super::engine::{Outcome, simulate};
use super::scenario::{MAX_SERVERS, Scenario};

/// The answer: the fewest servers meeting the target, the run with that many, and the run with one fewer.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerSolution {
    pub stage: String,
    pub servers: u32,
    pub outcome: Outcome,
    /// The run with `servers - 1` (absent when one server already suffices), to show what one fewer costs.
    pub one_fewer: Option<Outcome>,
    /// Simulation runs the search took.
    pub runs: u32,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SolveError {
    #[error("no stage named \"{name}\" (stages: {})", known.join(", "))]
    UnknownStage { name: String, known: Vec<String> },
    #[error("the target must be a positive number of days, got {0}")]
    BadTarget(f64),
    #[error(
        "no staffing of \"{stage}\" up to {max_servers} servers brings the mean time to decision to {target_days} \
         days or under: with {max_servers} it is {}; other stages, working hours or the service times themselves \
         set the floor",
        best_mean_days.map_or("undefined (nothing decided in the window)".to_owned(), |days| format!("{days:.2} days"))
    )]
    Unreachable {
        stage: String,
        target_days: f64,
        max_servers: u32,
        best_mean_days: Option<f64>,
    },
}

/// Searches outward from the staffing that just keeps up with the stage's expected work (gallops: ±1, ±2, ±4, …)
/// until the answer is bracketed, then bisects, always with the same seed: every run sees the same applicants
/// with the same service times (common random numbers), so the comparison between two staffing levels is not
/// blurred by different draws and the mean time to decision falls as servers are added. The answer usually lies
/// a little above that starting point, so a search takes a handful of runs.
///
/// The search gives up at a ceiling well past the point where the stage stops mattering: twenty times the servers
/// the stage's expected work keeps busy (so it would be at most 5% utilised), and at least 64.
pub fn solve_servers(
    scenario: &Scenario,
    stage_name: &str,
    target_days: f64,
    seed: u64,
) -> Result<ServerSolution, SolveError> {
    let Some(index) = scenario.stage_index(stage_name) else {
        return Err(SolveError::UnknownStage {
            name: stage_name.to_owned(),
            known: scenario
                .stages
                .iter()
                .map(|stage| stage.name.clone())
                .collect(),
        });
    };
    if !(target_days.is_finite() && target_days > 0.0) {
        return Err(SolveError::BadTarget(target_days));
    }
    let busy = busy_servers(scenario, index);
    let max_servers = ceiling(busy);
    let mut outcomes: BTreeMap<u32, Outcome> = BTreeMap::new();
    let mut meets = |servers: u32| {
        let outcome = outcomes.entry(servers).or_insert_with(|| {
            let mut staffed = scenario.clone();
            staffed.stages[index].servers = servers;
            simulate(&staffed, seed)
        });
        outcome
            .time_to_decision
            .is_some_and(|decision| decision.mean <= target_days)
    };

    // Invariant of the bisection: `failing` misses the target (0 stands for "no servers"), `meeting` meets it.
    let start = (busy.ceil() as u32).clamp(1, max_servers);
    let (mut failing, mut meeting) = if meets(start) {
        let mut meeting = start;
        let mut step = 1;
        loop {
            let probe = meeting.saturating_sub(step);
            if probe == 0 || !meets(probe) {
                break (probe, meeting);
            }
            meeting = probe;
            step = step.saturating_mul(2);
        }
    } else {
        let mut failing = start;
        let mut step = 1;
        loop {
            if failing >= max_servers {
                return Err(SolveError::Unreachable {
                    stage: stage_name.to_owned(),
                    target_days,
                    max_servers,
                    best_mean_days: outcomes
                        .get(&failing)
                        .and_then(|outcome| outcome.time_to_decision.map(|decision| decision.mean)),
                });
            }
            let probe = failing.saturating_add(step).min(max_servers);
            if meets(probe) {
                break (failing, probe);
            }
            failing = probe;
            step = step.saturating_mul(2);
        }
    };
    while meeting - failing > 1 {
        let middle = failing + (meeting - failing) / 2;
        if meets(middle) {
            meeting = middle;
        } else {
            failing = middle;
        }
    }
    if failing > 0 {
        meets(failing);
    }
    let runs = u32::try_from(outcomes.len()).unwrap_or(u32::MAX);
    let one_fewer = outcomes.remove(&failing);
    // Always recorded by `meets`; re-running is only a fallback that keeps this path free of panics.
    let outcome = outcomes.remove(&meeting).unwrap_or_else(|| {
        let mut staffed = scenario.clone();
        staffed.stages[index].servers = meeting;
        simulate(&staffed, seed)
    });
    Ok(ServerSolution {
        stage: stage_name.to_owned(),
        servers: meeting,
        outcome,
        one_fewer,
        runs,
    })
}

/// Servers the stage's expected work keeps busy: the staffing at which it only just keeps up.
fn busy_servers(scenario: &Scenario, index: usize) -> f64 {
    let stage = &scenario.stages[index];
    let entries = scenario.expected_entries_per_day()[index];
    entries * f64::from(stage.visits) * stage.service.mean_hours / stage.hours_per_day
}

fn ceiling(busy_servers: f64) -> u32 {
    let ceiling = (busy_servers * 20.0).ceil().max(64.0);
    if ceiling >= f64::from(MAX_SERVERS) {
        MAX_SERVERS
    } else {
        ceiling as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulate::scenario::{ServiceTime, Stage};

    fn pipeline() -> Scenario {
        let stage = |name: &str, servers, mean_hours, visits| Stage {
            name: name.to_owned(),
            servers,
            service: ServiceTime {
                mean_hours,
                cv: None,
            },
            hours_per_day: 8.0,
            leave_probability: 0.1,
            visits,
        };
        Scenario {
            days: 200.0,
            warmup_days: 50.0,
            arrivals_per_day: 30.0,
            stages: vec![stage("scrutiny", 8, 1.5, 1), stage("polygraph", 1, 2.0, 2)],
        }
    }

    #[test]
    fn the_answer_meets_the_target_and_one_fewer_does_not() {
        let solution = solve_servers(&pipeline(), "polygraph", 5.0, 9).unwrap();
        let mean = solution.outcome.time_to_decision.unwrap().mean;
        assert!(mean <= 5.0, "{mean}");
        let fewer = solution.one_fewer.as_ref().unwrap();
        assert!(
            fewer
                .time_to_decision
                .is_none_or(|decision| decision.mean > 5.0)
        );
        // 27 a day × 2 visits × 2 hours over 8-hour days: at least 14 examiners to keep up at all.
        assert!(solution.servers >= 14, "{}", solution.servers);
        assert_eq!(solution.outcome.stages[1].servers, solution.servers);
    }

    #[test]
    fn unknown_stage_and_bad_target_are_refused() {
        assert!(matches!(
            solve_servers(&pipeline(), "board", 5.0, 1),
            Err(SolveError::UnknownStage { known, .. }) if known == ["scrutiny", "polygraph"]
        ));
        assert_eq!(
            solve_servers(&pipeline(), "polygraph", -1.0, 1),
            Err(SolveError::BadTarget(-1.0))
        );
    }

    #[test]
    fn an_unreachable_target_says_so_with_the_floor() {
        // Offices open 8 hours a day: a night arrival waits until morning at every stage, so a tenth of a day
        // is out of reach however many examiners there are.
        let error = solve_servers(&pipeline(), "polygraph", 0.1, 1).unwrap_err();
        let SolveError::Unreachable {
            best_mean_days: Some(floor),
            ..
        } = error
        else {
            panic!("{error}")
        };
        assert!(floor > 0.1);
    }
}
