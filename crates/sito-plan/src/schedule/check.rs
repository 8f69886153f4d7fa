//! The checker: every rule of contracts/plan.md, independent of the solver's own bookkeeping, so a solver bug
//! cannot hide behind the same mistake twice.
use std::collections::{HashMap, HashSet};
use std::fmt;

use super::instance::{Instance, TaskKind};
use super::plan::Plan;

/// One broken rule. `rule` is the contract's rule number (0 for the plan's shape, 6 for the objective).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub rule: u8,
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (rule {})", self.message, self.rule)
    }
}

const OBJECTIVE_TOLERANCE: f64 = 1e-6;

/// Every violation of the contract by `plan` on `instance`; empty when the plan is valid.
pub fn validate(instance: &Instance, plan: &Plan) -> Vec<Violation> {
    let mut violations = Vec::new();
    let mut report = |rule: u8, message: String| violations.push(Violation { rule, message });
    let spd = i64::from(instance.slots_per_day);
    let days = instance.days;

    // (staff, day) -> intervals [start, end) with the assignment index, for overlaps and daily caps.
    // (staff, day) -> the tasks' slot intervals [start, end) with their assignment index.
    type Intervals = Vec<(u32, u32, usize)>;
    let mut busy: HashMap<(usize, u32), Intervals> = HashMap::new();
    let mut stays: HashMap<(usize, u32), u32> = HashMap::new();
    let mut seen: HashSet<usize> = HashSet::new();
    let mut total = 0.0_f64;

    if !plan.objective.is_finite() {
        report(
            0,
            format!("objective {} is not a finite number", plan.objective),
        );
    }

    for (index, assignment) in plan.assignments.iter().enumerate() {
        let at = format!("assignment[{index}]");
        let Some(candidate_at) = instance.candidate_by_id(&assignment.candidate) else {
            report(0, format!("{at}: unknown candidate"));
            continue;
        };
        if !seen.insert(candidate_at) {
            report(5, format!("{at}: candidate already scheduled"));
            continue;
        }
        let candidate = &instance.candidates[candidate_at];
        total += candidate.value();

        let location = instance.location_by_id(&assignment.location);
        match location {
            None => report(
                0,
                format!("{at}: unknown location {:?}", assignment.location),
            ),
            Some(location) if !candidate.locations.contains(&location) => {
                report(
                    4,
                    format!(
                        "{at}: location {} is not one of the candidate's",
                        assignment.location
                    ),
                );
            }
            Some(_) => {}
        }
        let (arrive, leave) = (assignment.arrive_day, assignment.leave_day);
        if arrive > leave {
            report(
                4,
                format!("{at}: arrive_day {arrive} after leave_day {leave}"),
            );
        }
        if leave >= days {
            report(
                4,
                format!(
                    "{at}: stay {arrive}..{leave} outside the horizon 0..{}",
                    days - 1
                ),
            );
        }
        if arrive < candidate.earliest_day {
            report(
                4,
                format!(
                    "{at}: arrive_day {arrive} before earliest_day {}",
                    candidate.earliest_day
                ),
            );
        }
        if let Some(location) = location {
            for day in arrive..=leave.min(days.saturating_sub(1)) {
                *stays.entry((location, day)).or_default() += 1;
            }
        }

        if assignment.tasks.len() != 3 {
            report(
                0,
                format!(
                    "{at}: expected exactly 3 tasks, got {}",
                    assignment.tasks.len()
                ),
            );
        }
        let mut by_kind = HashMap::new();
        for task in &assignment.tasks {
            if by_kind.insert(task.kind, task).is_some() {
                report(0, format!("{at}: task {} appears twice", task.kind.name()));
            }
        }
        let mut placed: HashMap<TaskKind, (usize, i64, i64)> = HashMap::new();
        for kind in TaskKind::ALL {
            let Some(task) = by_kind.get(&kind) else {
                report(0, format!("{at}: task {} missing", kind.name()));
                continue;
            };
            let tat = format!("{at} {}", kind.name());
            let duration = instance.duration(kind);
            if task.day >= days {
                report(1, format!("{tat}: day {} outside the horizon", task.day));
            }
            if task.slot + duration > instance.slots_per_day {
                report(
                    1,
                    format!(
                        "{tat}: slots [{}, {}) do not fit in the day",
                        task.slot,
                        task.slot + duration
                    ),
                );
            }
            if !(arrive..=leave).contains(&task.day) {
                report(
                    4,
                    format!("{tat}: day {} outside the stay {arrive}..{leave}", task.day),
                );
            }
            let Some(staff_at) = instance.staff_by_id(&task.staff) else {
                report(0, format!("{tat}: unknown staff {:?}", task.staff));
                continue;
            };
            let staff = &instance.staff[staff_at];
            if staff.role != kind.role() {
                report(1, format!("{tat}: staff {} has the wrong role", staff.id));
            }
            if location.is_some_and(|location| staff.location != location) {
                report(1, format!("{tat}: staff {} works elsewhere", staff.id));
            }
            if !staff
                .available
                .get(task.day as usize)
                .copied()
                .unwrap_or(false)
            {
                report(
                    1,
                    format!(
                        "{tat}: staff {} is not available on day {}",
                        staff.id, task.day
                    ),
                );
            }
            busy.entry((staff_at, task.day)).or_default().push((
                task.slot,
                task.slot + duration,
                index,
            ));
            placed.insert(
                kind,
                (
                    staff_at,
                    i64::from(task.day) * spd + i64::from(task.slot),
                    i64::from(duration),
                ),
            );
        }
        if let (Some(interview), Some(first), Some(second)) = (
            placed.get(&TaskKind::Interview),
            placed.get(&TaskKind::Polygraph1),
            placed.get(&TaskKind::Polygraph2),
        ) {
            if interview.1 + interview.2 > first.1 {
                report(
                    3,
                    format!("{at}: the interview ends after polygraph 1 starts"),
                );
            }
            if first.1 + first.2 + i64::from(instance.min_gap) > second.1 {
                report(
                    3,
                    format!(
                        "{at}: polygraph 2 starts less than {} slots after polygraph 1",
                        instance.min_gap
                    ),
                );
            }
            if first.0 == second.0 {
                report(3, format!("{at}: both polygraphs by the same examiner"));
            }
        }
    }

    let mut busy: Vec<_> = busy.into_iter().collect();
    busy.sort_unstable();
    for ((staff_at, day), mut intervals) in busy {
        let staff = &instance.staff[staff_at];
        intervals.sort_unstable();
        for pair in intervals.windows(2) {
            if pair[1].0 < pair[0].1 {
                report(
                    2,
                    format!(
                        "staff {} day {day}: tasks of assignment[{}] and assignment[{}] overlap",
                        staff.id, pair[0].2, pair[1].2
                    ),
                );
            }
        }
        // Sorted by start, some pair overlaps exactly when some adjacent pair does, so no overlap goes unseen.
        if let Some(cap) = staff.max_tasks_per_day
            && intervals.len() > cap as usize
        {
            report(
                2,
                format!(
                    "staff {} day {day}: {} tasks, above max_tasks_per_day {cap}",
                    staff.id,
                    intervals.len()
                ),
            );
        }
    }

    let mut stays: Vec<_> = stays.into_iter().collect();
    stays.sort_unstable();
    for ((location_at, day), count) in stays {
        let location = &instance.locations[location_at];
        if count > location.capacity {
            report(
                4,
                format!(
                    "location {} day {day}: {count} candidates stay, capacity {}",
                    location.id, location.capacity
                ),
            );
        }
    }

    if plan.objective.is_finite() && (plan.objective - total).abs() > OBJECTIVE_TOLERANCE {
        report(
            6,
            format!(
                "objective {} differs from the assignments' sum {total}",
                plan.objective
            ),
        );
    }
    violations
}
