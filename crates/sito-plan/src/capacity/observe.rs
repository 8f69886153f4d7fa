//! From the flow of cases in the event log to `simulate` observations (see the module notes of `capacity`).
use std::collections::{BTreeSet, HashMap};

use sito_core::flow::{FlowEvent, FlowKind};
use sito_core::machine::Closure;
use sito_core::{Category, Phase, Pipeline, StaffId};

use crate::simulate::{self, Observations, StageObservations};

pub(crate) const SECONDS_PER_DAY: i64 = 86_400;

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

    /// The day to simulate: the length the user gave, else the log's, else `default_hours`; opening when the log
    /// shows the office opens, else when the simulation's day does.
    pub fn chosen(hours: Option<f64>, logged: Option<WorkingDay>, default_hours: f64) -> Self {
        match (hours, logged) {
            (Some(hours), Some(logged)) => Self {
                opens_at_hour: logged.opens_at_hour,
                hours,
            },
            (Some(hours), None) => Self::simulation(hours),
            (None, Some(logged)) => logged,
            (None, None) => Self::simulation(default_hours),
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

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn the_day_simulated_is_the_users_length_at_the_logs_opening() {
        let logged = WorkingDay {
            opens_at_hour: 7,
            hours: 9.0,
        };
        let table = [
            (Some(6.0), Some(logged), (7, 6.0)),
            (
                Some(6.0),
                None,
                (WorkingDay::simulation(6.0).opens_at_hour, 6.0),
            ),
            (None, Some(logged), (7, 9.0)),
            (None, None, (WorkingDay::simulation(8.0).opens_at_hour, 8.0)),
        ];
        for (hours, from_log, (opens, length)) in table {
            let day = WorkingDay::chosen(hours, from_log, 8.0);
            assert_eq!(
                (day.opens_at_hour, day.hours),
                (opens, length),
                "{hours:?} {from_log:?}"
            );
        }
    }
}
