//! Visits as the office keeps them (absolute days and clock hours) and as the engine plans them (days of the week,
//! slots of the day), and the small rules around them: which stages wait for a visit, the order of the waiting
//! list, where a case may be moved, and when a transfer starts and ends.
use serde::{Deserialize, Serialize};
use sito_core::planning::{LocationKind, SafeLocation};
use sito_core::{CaseId, Phase, Pipeline};

use super::{INTERVIEW_HOURS, POLYGRAPH_HOURS, Waiting};
use crate::schedule::{Assignment, Task, TaskKind};

/// One task of a committed visit, as the office keeps it (the store holds these as JSON, so the shape stays).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct TaskRecord {
    pub kind: TaskKind,
    pub staff: String,
    /// Unix day number.
    pub day: i64,
    pub hour: u8,
}

/// A committed visit of one case: the week (its Monday as a Unix day number), the location, the stay and the tasks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Visit {
    pub case: CaseId,
    pub week: i64,
    pub location: String,
    pub arrive_day: i64,
    pub leave_day: i64,
    pub tasks: Vec<TaskRecord>,
}

/// How many one-hour slots a task takes.
pub fn task_hours(kind: TaskKind) -> u32 {
    match kind {
        TaskKind::Interview => INTERVIEW_HOURS,
        TaskKind::Polygraph1 | TaskKind::Polygraph2 => POLYGRAPH_HOURS,
    }
}

/// The assignment's tasks with absolute days and clock hours, for a plan of `week` whose first slot starts at
/// `first_hour`.
pub fn task_records(assignment: &Assignment, week: i64, first_hour: u8) -> Vec<TaskRecord> {
    assignment
        .tasks
        .iter()
        .map(|task| TaskRecord {
            kind: task.kind,
            staff: task.staff.clone(),
            day: week + i64::from(task.day),
            hour: first_hour.saturating_add(u8::try_from(task.slot).unwrap_or(u8::MAX)),
        })
        .collect()
}

/// A visit committed for `week` as the engine's assignment, so a new plan keeps its people, rooms and hours taken.
/// `None` for a visit of another week or at a location that is gone, and for one that no longer fits the day's
/// hours (the locations' hours changed), which can't be expressed.
pub fn booked_visit(
    visit: &Visit,
    week: i64,
    first_hour: u8,
    locations: &[SafeLocation],
) -> Option<Assignment> {
    if visit.week != week || !locations.iter().any(|place| place.id == visit.location) {
        return None;
    }
    let tasks = visit
        .tasks
        .iter()
        .map(|task| {
            Some(Task {
                kind: task.kind,
                staff: task.staff.clone(),
                day: u32::try_from(task.day - week).ok()?,
                slot: u32::from(task.hour.checked_sub(first_hour)?),
            })
        })
        .collect::<Option<Vec<Task>>>()?;
    Some(Assignment {
        candidate: visit.case.to_string(),
        location: visit.location.clone(),
        arrive_day: u32::try_from(visit.arrive_day - week).ok()?,
        leave_day: u32::try_from(visit.leave_day - week).ok()?,
        tasks,
    })
}

/// Whether a committed visit needs a transfer still to come: only safe houses are reached by one (a camp is
/// visited where the candidate already is), and only if the stay has not begun by `today`.
pub fn wants_transfer(location: &SafeLocation, arrive_day: i64, today: i64) -> bool {
    location.kind == LocationKind::SafeHouse && arrive_day >= today
}

/// When a transfer delivers and collects: by the first task on the day of arrival and after the last task on the
/// day of leaving; the location's opening hours when no task falls on that day.
pub fn transfer_hours(visit: &Visit, location: &SafeLocation) -> (u8, u8) {
    let first = visit
        .tasks
        .iter()
        .filter(|task| task.day == visit.arrive_day)
        .map(|task| task.hour)
        .min()
        .unwrap_or(location.open_hour);
    let last = visit
        .tasks
        .iter()
        .filter(|task| task.day == visit.leave_day)
        .map(|task| {
            task.hour
                .saturating_add(u8::try_from(task_hours(task.kind)).unwrap_or(u8::MAX))
        })
        .max()
        .unwrap_or(location.close_hour);
    (first, last)
}

/// The stages whose cases may wait for a visit: those of the meeting phase.
pub fn meeting_stages(pipeline: &Pipeline) -> Vec<&str> {
    let mut stages: Vec<&str> = pipeline
        .stages()
        .iter()
        .filter(|stage| stage.phase == Phase::Meeting)
        .map(|stage| stage.id.as_str())
        .collect();
    stages.dedup();
    stages
}

/// The waiting list's order: longest waiting first, then by case id, so equal lists read the same.
pub fn sort_waiting(waiting: &mut [Waiting]) {
    waiting.sort_by(|a, b| {
        b.waiting_days
            .cmp(&a.waiting_days)
            .then(a.case.cmp(&b.case))
    });
}

/// Why a case can't be moved by hand to a location.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MoveRefusal {
    #[error("the case does not wait for a visit")]
    NotWaiting,
    #[error("no such location")]
    UnknownLocation,
    #[error("the location does not receive cases of this kind")]
    WrongKind,
}

/// The location a waiting case is moved to, if it may go there: it must still wait, and the location must exist
/// and be of the kind its visit books.
pub fn move_target<'a>(
    waiting: &[Waiting],
    locations: &'a [SafeLocation],
    case: CaseId,
    location: &str,
) -> Result<&'a SafeLocation, MoveRefusal> {
    let moving = waiting
        .iter()
        .find(|candidate| candidate.case == case)
        .ok_or(MoveRefusal::NotWaiting)?;
    let target = locations
        .iter()
        .find(|place| place.id == location)
        .ok_or(MoveRefusal::UnknownLocation)?;
    if target.kind != moving.kind {
        return Err(MoveRefusal::WrongKind);
    }
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sito_core::planning::Weekdays;

    fn house(id: &str, kind: LocationKind) -> SafeLocation {
        SafeLocation {
            id: id.into(),
            name: id.into(),
            kind,
            capacity: 2,
            open_days: Weekdays::EVERY_DAY,
            open_hour: 8,
            close_hour: 18,
            pickup_point: "station".into(),
        }
    }

    fn case(n: u128) -> CaseId {
        CaseId::from_uuid(uuid::Uuid::from_u128(n))
    }

    fn assignment() -> Assignment {
        let task = |kind, staff: &str, day, slot| Task {
            kind,
            staff: staff.into(),
            day,
            slot,
        };
        Assignment {
            candidate: case(1).to_string(),
            location: "house".into(),
            arrive_day: 1,
            leave_day: 2,
            tasks: vec![
                task(TaskKind::Interview, "heron", 1, 0),
                task(TaskKind::Polygraph1, "owl", 1, 4),
                task(TaskKind::Polygraph2, "owl", 2, 1),
            ],
        }
    }

    #[test]
    fn a_committed_visit_reads_back_as_the_assignment_it_was() {
        let week = 20_787;
        let records = task_records(&assignment(), week, 9);
        assert_eq!(
            records
                .iter()
                .map(|task| (task.day, task.hour))
                .collect::<Vec<_>>(),
            vec![(week + 1, 9), (week + 1, 13), (week + 2, 10)]
        );
        let visit = Visit {
            case: case(1),
            week,
            location: "house".into(),
            arrive_day: week + 1,
            leave_day: week + 2,
            tasks: records,
        };
        let locations = [house("house", LocationKind::SafeHouse)];
        assert_eq!(
            booked_visit(&visit, week, 9, &locations),
            Some(assignment())
        );
        assert_eq!(
            booked_visit(&visit, week + 7, 9, &locations),
            None,
            "another week"
        );
        assert_eq!(
            booked_visit(&visit, week, 9, &[]),
            None,
            "the location is gone"
        );
        assert_eq!(
            booked_visit(&visit, week, 10, &locations),
            None,
            "the day now starts after a task"
        );
        // Delivered by the interview, collected after the second examination's three hours.
        assert_eq!(transfer_hours(&visit, &locations[0]), (9, 13));
        let empty = Visit {
            tasks: Vec::new(),
            ..visit
        };
        assert_eq!(transfer_hours(&empty, &locations[0]), (8, 18));
    }

    #[test]
    fn transfers_are_to_safe_houses_and_still_to_come() {
        let today = 100;
        assert!(wants_transfer(
            &house("h", LocationKind::SafeHouse),
            today,
            today
        ));
        assert!(!wants_transfer(
            &house("h", LocationKind::SafeHouse),
            today - 1,
            today
        ));
        assert!(!wants_transfer(
            &house("c", LocationKind::Camp),
            today + 1,
            today
        ));
    }

    #[test]
    fn a_case_moves_only_to_a_location_of_its_kind_while_it_waits() {
        let waiting = [Waiting {
            case: case(1),
            call_sign: "Сокол".into(),
            version: 3,
            stage: "meeting_arranged".into(),
            kind: LocationKind::SafeHouse,
            booking_check: "safe_location_booked",
            priority: 3,
            waiting_days: 10,
        }];
        let locations = [
            house("house", LocationKind::SafeHouse),
            house("camp", LocationKind::Camp),
        ];
        assert_eq!(
            move_target(&waiting, &locations, case(1), "house").map(|place| place.id.as_str()),
            Ok("house")
        );
        assert_eq!(
            move_target(&waiting, &locations, case(1), "camp"),
            Err(MoveRefusal::WrongKind)
        );
        assert_eq!(
            move_target(&waiting, &locations, case(1), "nowhere"),
            Err(MoveRefusal::UnknownLocation)
        );
        assert_eq!(
            move_target(&waiting, &locations, case(2), "house"),
            Err(MoveRefusal::NotWaiting)
        );
    }

    #[test]
    fn the_longest_waiting_come_first_and_meetings_are_the_stages_that_wait() {
        let pipeline = Pipeline::default_legion().expect("pipeline");
        assert_eq!(
            meeting_stages(&pipeline),
            vec!["meeting_arranged", "camp_meeting"]
        );
        let one = |n, days| Waiting {
            case: case(n),
            call_sign: String::new(),
            version: 1,
            stage: "meeting_arranged".into(),
            kind: LocationKind::SafeHouse,
            booking_check: "safe_location_booked",
            priority: 3,
            waiting_days: days,
        };
        let mut list = vec![one(3, 5), one(2, 9), one(1, 5)];
        sort_waiting(&mut list);
        let order: Vec<CaseId> = list.iter().map(|waiting| waiting.case).collect();
        assert_eq!(order, vec![case(2), case(1), case(3)]);
    }
}
