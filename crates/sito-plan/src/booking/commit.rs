//! What committing a built plan books: for each case of the plan, the booking event decided by the state machine
//! and the visit to keep; and what a commit cut short by a crash leaves to clear. The staff site loads the cases,
//! writes the visits and then the events (all or nothing), and renders the problems.
use std::collections::BTreeMap;

use sito_core::machine::{Actor, CaseState, Command, Event, Refusal};
use sito_core::{CaseId, Pipeline, Role};

use super::{Built, Visit, booking_of, task_records};

/// One case's booking: its events (expected at `expected_version`), the state after them, the role that owns the
/// case then, and the visit to keep.
#[derive(Clone, Debug, PartialEq)]
pub struct Booking {
    pub case: CaseId,
    pub expected_version: u64,
    pub events: Vec<Event>,
    pub next: CaseState,
    pub owner: Role,
    pub visit: Visit,
}

/// Why a case of the plan can't be booked; any one stops the whole commit.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CommitProblem {
    /// The case changed since the plan was built on it.
    #[error("{call_sign}: the case changed since the plan was built")]
    Stale { call_sign: String },
    /// The case no longer waits for a visit (moved on, or booked another way).
    #[error("{call_sign}: the case no longer waits for a visit")]
    NotWaiting { call_sign: String },
    #[error("{call_sign}: {refusal}")]
    Refused { call_sign: String, refusal: Refusal },
}

/// Books the plan for `week`. `current` holds the current state of each case of the plan that has no appointment
/// yet; a case of the plan not in it was committed before, so a re-submitted commit books nothing twice. `versions`
/// are the cases' versions the plan was built on. Every case is booked, or none: the problems of all are returned.
pub fn commit(
    pipeline: &Pipeline,
    built: &Built,
    versions: &BTreeMap<String, u64>,
    week: i64,
    current: &[CaseState],
    actor: Actor,
    now: i64,
) -> Result<Vec<Booking>, Vec<CommitProblem>> {
    let mut bookings = Vec::new();
    let mut problems = Vec::new();
    for assignment in &built.plan.assignments {
        let Some(case) = current
            .iter()
            .find(|case| case.id.to_string() == assignment.candidate)
        else {
            continue;
        };
        let call_sign = case.call_sign.clone();
        if versions.get(&assignment.candidate).copied() != Some(case.version) {
            problems.push(CommitProblem::Stale { call_sign });
            continue;
        }
        if booking_of(pipeline, case).is_none() {
            problems.push(CommitProblem::NotWaiting { call_sign });
            continue;
        }
        // The machine sets every booking check of the stage (the visit and its transfer).
        match case.decide(pipeline, actor, &Command::BookVisit) {
            Ok(kinds) => {
                let events = case.stamp(kinds, Some(actor.id), now);
                let mut next = case.clone();
                for event in &events {
                    next.apply(event);
                }
                let owner = pipeline
                    .stage(&next.stage)
                    .map(|stage| stage.owner)
                    .unwrap_or(actor.role);
                bookings.push(Booking {
                    case: case.id,
                    expected_version: case.version,
                    events,
                    next,
                    owner,
                    visit: Visit {
                        case: case.id,
                        week,
                        location: assignment.location.clone(),
                        arrive_day: week + i64::from(assignment.arrive_day),
                        leave_day: week + i64::from(assignment.leave_day),
                        tasks: task_records(assignment, week, built.first_hour),
                    },
                });
            }
            Err(refusal) => problems.push(CommitProblem::Refused { call_sign, refusal }),
        }
    }
    if problems.is_empty() {
        Ok(bookings)
    } else {
        Err(problems)
    }
}

/// A commit keeps a visit first and then books the case; a crash between the two leaves a visit whose case still
/// waits. Of the cases that have a visit (`with_visits`, their current states), these are the ones to forget, so
/// the case is planned again and the stale visit holds no people or rooms.
pub fn unbooked(pipeline: &Pipeline, with_visits: &[CaseState]) -> Vec<CaseId> {
    with_visits
        .iter()
        .filter(|case| booking_of(pipeline, case).is_some())
        .map(|case| case.id)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::booking::tests::case_at;
    use crate::schedule::{Assignment, Plan, Task, TaskKind};
    use sito_core::{Category, StaffId};

    const NOW: i64 = 100 * 86_400;
    const WEEK: i64 = 107;

    fn built_for(case: &CaseState) -> Built {
        Built {
            plan: Plan {
                objective: 4.0,
                upper_bound: None,
                assignments: vec![Assignment {
                    candidate: case.id.to_string(),
                    location: "house".into(),
                    arrive_day: 0,
                    leave_day: 0,
                    tasks: vec![Task {
                        kind: TaskKind::Interview,
                        staff: "heron".into(),
                        day: 0,
                        slot: 1,
                    }],
                }],
            },
            upper_bound: 4.0,
            first_hour: 9,
            candidates: 1,
            booked: Vec::new(),
            dropped_pins: Vec::new(),
        }
    }

    fn logistics() -> Actor {
        Actor {
            id: StaffId::from_uuid(uuid::Uuid::from_u128(99)),
            role: Role::LogisticsOfficer,
        }
    }

    #[test]
    fn a_commit_books_each_waiting_case_at_the_version_it_was_planned_on() {
        let pipeline = Pipeline::default_legion().expect("pipeline");
        let case = case_at(
            &pipeline,
            Category::FormerServiceman,
            "meeting_arranged",
            1,
            &[],
        );
        let built = built_for(&case);
        let versions = BTreeMap::from([(case.id.to_string(), case.version)]);
        let bookings = commit(
            &pipeline,
            &built,
            &versions,
            WEEK,
            std::slice::from_ref(&case),
            logistics(),
            NOW,
        )
        .expect("booked");
        assert_eq!(bookings.len(), 1);
        let booking = &bookings[0];
        assert_eq!(booking.expected_version, case.version);
        assert!(booking.next.checks_done.contains("safe_location_booked"));
        assert!(
            booking_of(&pipeline, &booking.next).is_none(),
            "no longer waits"
        );
        assert_eq!(
            (booking.visit.arrive_day, booking.visit.leave_day),
            (WEEK, WEEK)
        );
        assert_eq!(booking.visit.tasks[0].hour, 10);
        assert_eq!(
            unbooked(&pipeline, std::slice::from_ref(&case)),
            vec![case.id]
        );
        assert!(unbooked(&pipeline, std::slice::from_ref(&booking.next)).is_empty());

        // Committed before: nothing to book twice.
        assert_eq!(
            commit(&pipeline, &built, &versions, WEEK, &[], logistics(), NOW),
            Ok(Vec::new())
        );
        // Changed since the plan was built, or no longer waiting, or booked by someone who may not: nothing.
        let stale = BTreeMap::from([(case.id.to_string(), case.version - 1)]);
        assert_eq!(
            commit(
                &pipeline,
                &built,
                &stale,
                WEEK,
                std::slice::from_ref(&case),
                logistics(),
                NOW
            ),
            Err(vec![CommitProblem::Stale {
                call_sign: case.call_sign.clone()
            }])
        );
        let moved_on = case_at(&pipeline, Category::FormerServiceman, "polygraph_1", 1, &[]);
        let versions = BTreeMap::from([(moved_on.id.to_string(), moved_on.version)]);
        assert_eq!(
            commit(
                &pipeline,
                &built,
                &versions,
                WEEK,
                std::slice::from_ref(&moved_on),
                logistics(),
                NOW
            ),
            Err(vec![CommitProblem::NotWaiting {
                call_sign: moved_on.call_sign.clone()
            }])
        );
        let versions = BTreeMap::from([(case.id.to_string(), case.version)]);
        let psychologist = Actor {
            role: Role::Psychologist,
            ..logistics()
        };
        let refused = commit(
            &pipeline,
            &built,
            &versions,
            WEEK,
            &[case],
            psychologist,
            NOW,
        )
        .expect_err("refused");
        assert!(
            matches!(refused.as_slice(), [CommitProblem::Refused { .. }]),
            "{refused:?}"
        );
    }
}
