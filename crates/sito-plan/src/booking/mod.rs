//! Booking visits to safe locations (issue 6), from the office's data to the scheduler and back: which cases wait
//! for a visit, the week's instance (one-hour slots over the hours every location is open), solving around pins,
//! moving one case by hand (`mod.rs`); what a built plan proposes and how a visit's tasks are kept and read back
//! (`visits.rs`); and what committing a plan books, and what a crashed commit left to clear (`commit.rs`).
//!
//! No I/O here: the staff site reads the store and passes plain values (`sito_core::planning`, case states), so
//! every rule is tested without a database; the handlers parse, call these, write and render.
mod commit;
mod visits;

pub use commit::{Booking, CommitProblem, commit, unbooked};
pub use visits::{
    MoveRefusal, TaskRecord, Visit, booked_visit, meeting_stages, move_target, sort_waiting,
    task_hours, task_records, transfer_hours, wants_transfer,
};

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sito_core::machine::CaseState;
use sito_core::planning::{CalendarEntry, LocationKind, PlanningRole, SafeLocation};
use sito_core::{CaseId, Phase, Pipeline};

use crate::schedule::{
    Assignment, CandidateFile, DurationsFile, Instance, InstanceFile, LocationFile, Plan,
    Role as PlanRole, SolveError, SolveOptions, StaffFile, solve,
};

/// The checks of the pipeline's meeting stages that mean "the visit is booked", and the kind of location each
/// books. Committing a plan ticks the one on the case's stage checklist, through the state machine.
pub const BOOKING_CHECKS: [(&str, LocationKind); 2] = [
    ("safe_location_booked", LocationKind::SafeHouse),
    ("camp_visit_arranged", LocationKind::Camp),
];

/// Task lengths and the rest between the two examinations, in one-hour slots.
pub const INTERVIEW_HOURS: u32 = 2;
pub const POLYGRAPH_HOURS: u32 = 3;
pub const MIN_GAP_HOURS: u32 = 2;
/// The plan covers one week, Monday to Sunday.
pub const DAYS: u32 = 7;

/// The Monday (as a Unix day number) of the week after the one `now` falls in.
pub fn next_week(now: i64) -> i64 {
    let today = now.div_euclid(86_400);
    // Unix day 0 (1970-01-01) was a Thursday: weekday 3 when Monday is 0.
    let weekday = (today + 3).rem_euclid(7);
    today + 7 - weekday
}

/// A case that waits for its visit (interview and both examinations at one location).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Waiting {
    pub case: CaseId,
    pub call_sign: String,
    pub version: u64,
    pub stage: String,
    pub kind: LocationKind,
    pub booking_check: &'static str,
    pub priority: u32,
    pub waiting_days: u32,
}

/// Whether a case waits for a visit: active, at a meeting stage whose booking check is not ticked yet. Returns the
/// check and the kind of location it books.
pub fn booking_of(pipeline: &Pipeline, case: &CaseState) -> Option<(&'static str, LocationKind)> {
    if case.status != sito_core::Status::Active {
        return None;
    }
    let stage = pipeline.stage(&case.stage)?;
    if stage.phase != Phase::Meeting {
        return None;
    }
    BOOKING_CHECKS.into_iter().find(|(check, _)| {
        stage.checklist.iter().any(|item| item == check) && !case.checks_done.contains(*check)
    })
}

/// The case as a candidate: priority 3, 4 once past the stage's target time, 5 past twice that; waiting counted
/// from the application.
pub fn waiting(pipeline: &Pipeline, case: &CaseState, now: i64) -> Option<Waiting> {
    let (booking_check, kind) = booking_of(pipeline, case)?;
    let target = pipeline
        .stage(&case.stage)
        .map(|stage| i64::from(stage.target_days))
        .unwrap_or(0);
    let age = case.stage_age_days(now);
    let priority = if target > 0 && age > 2 * target {
        5
    } else if target > 0 && age > target {
        4
    } else {
        3
    };
    Some(Waiting {
        case: case.id,
        call_sign: case.call_sign.clone(),
        version: case.version,
        stage: case.stage.clone(),
        kind,
        booking_check,
        priority,
        waiting_days: u32::try_from((now - case.received_at).max(0) / 86_400).unwrap_or(u32::MAX),
    })
}

/// The hours of the plan's day: those every location is open, `[open, close)`. `None` without locations or when
/// their hours do not overlap.
pub fn day_hours(locations: &[SafeLocation]) -> Option<(u8, u8)> {
    let open = locations.iter().map(|location| location.open_hour).max()?;
    let close = locations.iter().map(|location| location.close_hour).min()?;
    (open < close).then_some((open, close))
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PlanningError {
    #[error("no safe location is set up yet")]
    NoLocations,
    #[error("the locations' opening hours do not overlap")]
    NoCommonHours,
    #[error("the instance is not valid: {0}")]
    Instance(String),
    #[error("the plan names a malformed case `{0}`")]
    MalformedCase(String),
}

/// The week's instance. Candidate ids are case ids; staff ids are call signs; a staff member is available on the
/// days they work and their location is open. Visits already committed for the week (`booked`) are candidates too,
/// worth exactly 1 each and only at their own location, so that pinning them keeps their people, rooms and hours
/// taken (see `Built::booked`).
pub fn instance(
    locations: &[SafeLocation],
    calendar: &[CalendarEntry],
    waiting: &[Waiting],
    booked: &[Assignment],
) -> Result<(Instance, u8), PlanningError> {
    if locations.is_empty() {
        return Err(PlanningError::NoLocations);
    }
    let (open, close) = day_hours(locations).ok_or(PlanningError::NoCommonHours)?;
    let by_id: BTreeMap<&str, &SafeLocation> = locations
        .iter()
        .map(|location| (location.id.as_str(), location))
        .collect();
    let staff = calendar
        .iter()
        .filter_map(|entry| {
            let location = by_id.get(entry.location.as_str())?;
            Some(StaffFile {
                id: entry.call_sign.clone(),
                role: match entry.role {
                    PlanningRole::Psychologist => PlanRole::Psychologist,
                    PlanningRole::Examiner => PlanRole::Examiner,
                },
                location: entry.location.clone(),
                available_days: (0..DAYS)
                    .filter(|day| {
                        entry.work_days.contains(*day) && location.open_days.contains(*day)
                    })
                    .map(i64::from)
                    .collect(),
                max_tasks_per_day: entry.max_tasks_per_day,
            })
        })
        .collect();
    let candidates = waiting
        .iter()
        .map(|case| CandidateFile {
            id: case.case.to_string(),
            priority: case.priority,
            waiting_days: case.waiting_days,
            earliest_day: 0,
            locations: locations
                .iter()
                .filter(|location| location.kind == case.kind)
                .map(|location| location.id.clone())
                .collect(),
        })
        .chain(booked.iter().map(|visit| CandidateFile {
            id: visit.candidate.clone(),
            priority: 1,
            waiting_days: 0,
            earliest_day: 0,
            locations: vec![visit.location.clone()],
        }))
        .collect();
    let file = InstanceFile {
        days: DAYS,
        slots_per_day: u32::from(close - open),
        durations: DurationsFile {
            interview: INTERVIEW_HOURS,
            polygraph: POLYGRAPH_HOURS,
        },
        min_gap_slots: MIN_GAP_HOURS,
        locations: locations
            .iter()
            .map(|location| LocationFile {
                id: location.id.clone(),
                capacity: location.capacity,
            })
            .collect(),
        staff,
        candidates,
    };
    let instance =
        Instance::from_file(file).map_err(|error| PlanningError::Instance(error.to_string()))?;
    Ok((instance, open))
}

/// A built plan: the engine's plan, the pins that could not be kept (as case ids, with the reason), and the
/// hour the day's first slot starts at.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Built {
    pub plan: Plan,
    pub upper_bound: f64,
    pub first_hour: u8,
    /// Cases waiting for a visit when the plan was built.
    pub candidates: usize,
    /// Visits committed before for the week, kept in the plan as pins so nobody is booked twice; each is worth
    /// exactly 1 in `plan.objective` and `upper_bound`, which `new_objective` and `new_bound` take off.
    #[serde(default)]
    pub booked: Vec<String>,
    pub dropped_pins: Vec<(String, String)>,
}

impl Built {
    /// The objective of the visits this plan adds.
    pub fn new_objective(&self) -> f64 {
        let booked = self.kept_booked();
        (self.plan.objective - booked).max(0.0)
    }

    /// An upper bound on what the visits this plan adds can be worth: the bound with the booked visits fixed, less
    /// their worth (they are in every plan the solver considers).
    pub fn new_bound(&self) -> f64 {
        (self.upper_bound - self.kept_booked()).max(0.0)
    }

    /// How far the new visits' objective may be from the best possible, in percent of the bound.
    pub fn gap_percent(&self) -> f64 {
        let (objective, bound) = (self.new_objective(), self.new_bound());
        if bound > 0.0 {
            (bound - objective) / bound * 100.0
        } else {
            0.0
        }
    }

    /// The visits this plan adds to those committed before.
    pub fn new_visits(&self) -> usize {
        self.plan
            .assignments
            .iter()
            .filter(|assignment| !self.booked.contains(&assignment.candidate))
            .count()
    }

    /// The visits still proposed: those of cases that still wait (`waiting`, as case ids); a case that meanwhile
    /// got an appointment or moved on is not proposed any more. In the order of the week: arrival, first task,
    /// location.
    pub fn proposed(&self, waiting: &HashSet<String>) -> Vec<&Assignment> {
        let mut proposed: Vec<&Assignment> = self
            .plan
            .assignments
            .iter()
            .filter(|assignment| waiting.contains(&assignment.candidate))
            .collect();
        proposed.sort_by_key(|assignment| {
            let start = assignment
                .tasks
                .iter()
                .map(|task| (task.day, task.slot))
                .min();
            (assignment.arrive_day, start, assignment.location.clone())
        });
        proposed
    }

    /// The plan's visit of `case`, to pin as it is.
    pub fn visit_of(&self, case: CaseId) -> Option<&Assignment> {
        let id = case.to_string();
        self.plan
            .assignments
            .iter()
            .find(|assignment| assignment.candidate == id)
    }

    /// The cases the plan visits, in its order.
    pub fn cases(&self) -> Result<Vec<CaseId>, PlanningError> {
        self.plan
            .assignments
            .iter()
            .map(|assignment| {
                assignment
                    .candidate
                    .parse()
                    .map_err(|_| PlanningError::MalformedCase(assignment.candidate.clone()))
            })
            .collect()
    }

    fn kept_booked(&self) -> f64 {
        self.plan
            .assignments
            .iter()
            .filter(|assignment| self.booked.contains(&assignment.candidate))
            .count() as f64
    }
}

/// Solves the week around the pins. A pin that no longer fits (the calendar changed, or the case moved on) is
/// left out with its reason rather than failing the whole plan.
pub fn build(
    instance: &Instance,
    first_hour: u8,
    pins: &[Assignment],
    booked: &[Assignment],
    time_limit: Duration,
) -> Result<Built, PlanningError> {
    let mut pins: Vec<Assignment> = booked
        .iter()
        .chain(pins)
        .filter(|pin| instance.candidate_by_id(&pin.candidate).is_some())
        .cloned()
        .collect();
    let mut dropped = Vec::new();
    loop {
        let options = SolveOptions {
            time_limit,
            pinned: pins.clone(),
            ..SolveOptions::default()
        };
        match solve(instance, &options) {
            Ok(solution) => {
                return Ok(Built {
                    plan: solution.plan,
                    upper_bound: solution.upper_bound,
                    first_hour,
                    candidates: instance.candidates.len() - booked.len(),
                    booked: booked.iter().map(|visit| visit.candidate.clone()).collect(),
                    dropped_pins: dropped,
                });
            }
            Err(SolveError::Pinned { index, reason }) if index < pins.len() => {
                let pin = pins.remove(index);
                dropped.push((pin.candidate, reason));
            }
            Err(other) => return Err(PlanningError::Instance(other.to_string())),
        }
    }
}

/// Where a case goes when moved by hand: the first placement at `location` arriving on `day` or later that fits
/// around the other pins, found by the engine on the instance reduced to the pinned cases and this one.
pub fn move_case(
    instance_file: InstanceFile,
    case: &str,
    location: &str,
    day: u32,
    pins: &[Assignment],
) -> Result<Option<Assignment>, PlanningError> {
    let pinned: BTreeSet<&str> = pins
        .iter()
        .filter(|pin| pin.candidate != case)
        .map(|pin| pin.candidate.as_str())
        .collect();
    let mut file = instance_file;
    file.candidates
        .retain(|candidate| candidate.id == case || pinned.contains(candidate.id.as_str()));
    for candidate in &mut file.candidates {
        if candidate.id == case {
            candidate.earliest_day = day;
            candidate.locations = vec![location.to_owned()];
        }
    }
    let instance =
        Instance::from_file(file).map_err(|error| PlanningError::Instance(error.to_string()))?;
    let options = SolveOptions {
        time_limit: Duration::from_secs(1),
        pinned: pins
            .iter()
            .filter(|pin| pin.candidate != case)
            .cloned()
            .collect(),
        // One candidate to place: the construction finds it; a little search is plenty.
        work_limit: Some(200_000),
        ..SolveOptions::default()
    };
    let solution =
        solve(&instance, &options).map_err(|error| PlanningError::Instance(error.to_string()))?;
    Ok(solution
        .plan
        .assignments
        .into_iter()
        .find(|assignment| assignment.candidate == case))
}

/// The instance's wire form again, for `move_case` (the validated `Instance` does not give it back).
pub fn instance_file(
    locations: &[SafeLocation],
    calendar: &[CalendarEntry],
    waiting: &[Waiting],
    booked: &[Assignment],
) -> Result<InstanceFile, PlanningError> {
    let (instance, _) = instance(locations, calendar, waiting, booked)?;
    Ok(InstanceFile {
        days: instance.days,
        slots_per_day: instance.slots_per_day,
        durations: DurationsFile {
            interview: instance.interview_len,
            polygraph: instance.polygraph_len,
        },
        min_gap_slots: instance.min_gap,
        locations: instance
            .locations
            .iter()
            .map(|location| LocationFile {
                id: location.id.clone(),
                capacity: location.capacity,
            })
            .collect(),
        staff: instance
            .staff
            .iter()
            .map(|member| StaffFile {
                id: member.id.clone(),
                role: member.role,
                location: instance.locations[member.location].id.clone(),
                available_days: member
                    .available
                    .iter()
                    .enumerate()
                    .filter(|(_, available)| **available)
                    .map(|(day, _)| day as i64)
                    .collect(),
                max_tasks_per_day: member.max_tasks_per_day,
            })
            .collect(),
        candidates: instance
            .candidates
            .iter()
            .map(|candidate| CandidateFile {
                id: candidate.id.clone(),
                priority: candidate.priority,
                waiting_days: candidate.waiting_days,
                earliest_day: candidate.earliest_day,
                locations: candidate
                    .locations
                    .iter()
                    .map(|location| instance.locations[*location].id.clone())
                    .collect(),
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sito_core::planning::Weekdays;

    fn visit(case: u128, arrive_day: u32, slot: u32) -> Assignment {
        Assignment {
            candidate: CaseId::from_uuid(uuid::Uuid::from_u128(case)).to_string(),
            location: "house".into(),
            arrive_day,
            leave_day: arrive_day,
            tasks: vec![crate::schedule::Task {
                kind: crate::schedule::TaskKind::Interview,
                staff: "heron".into(),
                day: arrive_day,
                slot,
            }],
        }
    }

    #[test]
    fn a_built_plan_counts_and_proposes_only_its_new_visits_of_cases_still_waiting() {
        let booked = visit(1, 0, 0);
        let built = Built {
            plan: Plan {
                objective: 1.0 + 4.0 + 3.0,
                upper_bound: None,
                assignments: vec![booked.clone(), visit(2, 2, 3), visit(3, 2, 1)],
            },
            upper_bound: 1.0 + 9.0,
            first_hour: 8,
            candidates: 3,
            booked: vec![booked.candidate.clone()],
            dropped_pins: Vec::new(),
        };
        assert_eq!(built.new_objective(), 7.0);
        assert_eq!(built.new_bound(), 9.0);
        assert!((built.gap_percent() - 200.0 / 9.0).abs() < 1e-9);
        assert_eq!(built.new_visits(), 2);
        let waiting: HashSet<String> = [2, 3, 4]
            .into_iter()
            .map(|n| CaseId::from_uuid(uuid::Uuid::from_u128(n)).to_string())
            .collect();
        // Same day: the earlier first task comes first; the booked visit's case no longer waits.
        let proposed: Vec<&str> = built
            .proposed(&waiting)
            .iter()
            .map(|assignment| assignment.candidate.as_str())
            .collect();
        assert_eq!(
            proposed,
            vec![
                built.plan.assignments[2].candidate.as_str(),
                built.plan.assignments[1].candidate.as_str()
            ]
        );
        let second = CaseId::from_uuid(uuid::Uuid::from_u128(2));
        assert_eq!(built.visit_of(second), Some(&built.plan.assignments[1]));
        assert_eq!(
            built.cases().expect("cases")[1..],
            [second, CaseId::from_uuid(uuid::Uuid::from_u128(3))]
        );
        let mut broken = built.clone();
        broken.plan.assignments[0].candidate = "not a case".into();
        assert_eq!(
            broken.cases(),
            Err(PlanningError::MalformedCase("not a case".into()))
        );
    }

    #[test]
    fn next_week_starts_on_the_following_monday() {
        // 2026-11-23 is a Monday: the plan is for 2026-11-30.
        let monday = 20_780 * 86_400;
        assert_eq!(next_week(monday + 3_600), 20_787);
        // Sunday 2026-11-29 still plans 2026-11-30.
        assert_eq!(next_week(monday + 6 * 86_400 + 80_000), 20_787);
    }

    /// A case walked to `stage` `days_in_stage` days ago, received 40 days ago, with `ticked` checks done.
    pub(super) fn case_at(
        pipeline: &Pipeline,
        category: sito_core::Category,
        stage: &str,
        days_in_stage: i64,
        ticked: &[&str],
    ) -> CaseState {
        use sito_core::machine::EventKind;
        let now = 100 * 86_400;
        let id = CaseId::from_uuid(uuid::Uuid::from_u128(7));
        let first =
            CaseState::receive(pipeline, category, "Сокол", now - 40 * 86_400).expect("receive");
        let mut state = CaseState::fold(id, std::slice::from_ref(&first));
        let mut kinds = vec![EventKind::StageAdvanced {
            from: state.stage.clone(),
            to: stage.into(),
            note: String::new(),
        }];
        kinds.extend(ticked.iter().map(|check| EventKind::CheckTicked {
            check: (*check).into(),
        }));
        for event in state.stamp(kinds, None, now - days_in_stage * 86_400) {
            state.apply(&event);
        }
        state
    }

    #[test]
    fn which_cases_wait_and_how_urgent_they_are() {
        use sito_core::Category::{FormerServiceman, PrisonerOfWar};
        let pipeline = Pipeline::default_legion().expect("pipeline");
        let now = 100 * 86_400;
        // Category, stage, days in stage, checks ticked, and what the planner makes of it.
        type Row = (
            sito_core::Category,
            &'static str,
            i64,
            &'static [&'static str],
            Option<(&'static str, LocationKind, u32)>,
        );
        let table: &[Row] = &[
            (
                FormerServiceman,
                "meeting_arranged",
                1,
                &[],
                Some(("safe_location_booked", LocationKind::SafeHouse, 3)),
            ),
            (
                FormerServiceman,
                "meeting_arranged",
                8,
                &[],
                Some(("safe_location_booked", LocationKind::SafeHouse, 4)),
            ),
            (
                FormerServiceman,
                "meeting_arranged",
                15,
                &[],
                Some(("safe_location_booked", LocationKind::SafeHouse, 5)),
            ),
            (
                FormerServiceman,
                "meeting_arranged",
                1,
                &["safe_location_booked"],
                None,
            ),
            (
                FormerServiceman,
                "meeting_arranged",
                1,
                &["transfer_arranged"],
                Some(("safe_location_booked", LocationKind::SafeHouse, 3)),
            ),
            (
                PrisonerOfWar,
                "camp_meeting",
                1,
                &[],
                Some(("camp_visit_arranged", LocationKind::Camp, 3)),
            ),
            (FormerServiceman, "screening_review", 1, &[], None),
            (FormerServiceman, "polygraph_1", 1, &[], None),
        ];
        for (category, stage, days, ticked, expected) in table {
            let case = case_at(&pipeline, *category, stage, *days, ticked);
            let got = waiting(&pipeline, &case, now)
                .map(|case| (case.booking_check, case.kind, case.priority));
            assert_eq!(
                got, *expected,
                "{stage} after {days} days, ticked {ticked:?}"
            );
            if let Some(found) = waiting(&pipeline, &case, now) {
                assert_eq!(found.waiting_days, 40);
            }
        }
    }

    fn location(id: &str, kind: LocationKind, open: u8, close: u8) -> SafeLocation {
        SafeLocation {
            id: id.into(),
            name: id.into(),
            kind,
            capacity: 2,
            open_days: Weekdays::MONDAY_TO_FRIDAY,
            open_hour: open,
            close_hour: close,
            pickup_point: "station".into(),
        }
    }

    #[test]
    fn the_day_is_the_hours_every_location_is_open() {
        let locations = [
            location("a", LocationKind::SafeHouse, 8, 18),
            location("b", LocationKind::Camp, 9, 17),
        ];
        assert_eq!(day_hours(&locations), Some((9, 17)));
        let apart = [
            location("a", LocationKind::SafeHouse, 8, 10),
            location("b", LocationKind::Camp, 12, 17),
        ];
        assert_eq!(day_hours(&apart), None);
        assert_eq!(day_hours(&[]), None);
    }

    #[test]
    fn cases_go_only_to_locations_of_their_kind_and_staff_only_on_open_days() {
        let locations = [
            location("house", LocationKind::SafeHouse, 8, 18),
            location("camp", LocationKind::Camp, 8, 18),
        ];
        let calendar = [CalendarEntry {
            call_sign: "heron".into(),
            role: PlanningRole::Psychologist,
            location: "house".into(),
            work_days: Weekdays::EVERY_DAY,
            max_tasks_per_day: Some(3),
        }];
        let case = Waiting {
            case: CaseId::from_uuid(uuid::Uuid::from_u128(1)),
            call_sign: "Сокол".into(),
            version: 7,
            stage: "camp_meeting".into(),
            kind: LocationKind::Camp,
            booking_check: "camp_visit_arranged",
            priority: 3,
            waiting_days: 30,
        };
        let (instance, first_hour) =
            instance(&locations, &calendar, std::slice::from_ref(&case), &[]).expect("instance");
        assert_eq!(first_hour, 8);
        assert_eq!(instance.slots_per_day, 10);
        assert_eq!(
            instance.candidates[0].locations,
            vec![instance.location_by_id("camp").expect("camp")]
        );
        // Open Monday to Friday: the weekend is off even for someone who works every day.
        assert_eq!(
            instance.staff[0].available,
            vec![true, true, true, true, true, false, false]
        );
    }
}
