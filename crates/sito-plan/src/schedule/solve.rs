//! The solver: pinned placements first, then the better of a few greedy constructions (by value, guided by the
//! bound's prices), then a large neighbourhood search (remove the candidates around one location and day, refill
//! from everyone who could go there, keep the result unless it is worse), then a final tightening of the bound.
//!
//! Determinism: all choices come from a seeded generator and the search stops on a work count (elementary steps
//! of the insertion search), not on the clock. The clock is only a safety stop for a machine many times slower
//! than the calibration; `SolveStats::stopped_by_clock` says when it fired.
use std::time::{Duration, Instant};

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::bound::Relaxation;
use super::instance::{Instance, TaskKind};
use super::plan::{Assignment, Plan, Task};
use super::state::{Model, Placement, Prices, State, TaskAt};

/// Work units per second of time limit. Calibrated so a run takes 15–45% of the limit on the 2-core
/// development machine (see docs/planning.md), leaving room for a slower or busier machine.
pub const WORK_PER_SECOND: u64 = 16_000_000;

/// The clock stop: the search ends at this share of the limit whatever the work count says.
const CLOCK_SHARE: f64 = 0.8;

#[derive(Debug, Clone)]
pub struct SolveOptions {
    pub time_limit: Duration,
    /// Assignments that must be kept as given; the rest of the plan works around them.
    pub pinned: Vec<Assignment>,
    pub seed: u64,
    /// Work budget to use instead of the one derived from `time_limit` (tests use it to stay quick while the
    /// clock stays far away).
    pub work_limit: Option<u64>,
}

impl Default for SolveOptions {
    fn default() -> Self {
        Self {
            time_limit: Duration::from_secs(10),
            pinned: Vec::new(),
            seed: 0x005E_ED0F_517A,
            work_limit: None,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct SolveStats {
    pub greedy_objective: f64,
    pub iterations: u64,
    pub improvements: u64,
    pub work: u64,
    pub stopped_by_clock: bool,
}

#[derive(Debug, Clone)]
pub struct Solution {
    /// The plan, with `upper_bound` filled in.
    pub plan: Plan,
    pub upper_bound: f64,
    pub stats: SolveStats,
}

impl Solution {
    /// How far below the bound the plan may be, as a share of the bound (0 when the bound is 0).
    pub fn gap(&self) -> f64 {
        if self.upper_bound > 0.0 {
            (self.upper_bound - self.plan.objective) / self.upper_bound
        } else {
            0.0
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SolveError {
    #[error("pinned[{index}]: {reason}")]
    Pinned { index: usize, reason: String },
}

/// What the solver is doing, for a progress display.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// Share of the work budget spent, 0..=1.
    pub done: f64,
    pub objective: f64,
    pub upper_bound: f64,
}

pub fn solve(instance: &Instance, options: &SolveOptions) -> Result<Solution, SolveError> {
    solve_with_progress(instance, options, &mut |_| {})
}

fn pinned_placement(
    instance: &Instance,
    index: usize,
    a: &Assignment,
) -> Result<(usize, Placement), SolveError> {
    let fail = |reason: String| SolveError::Pinned { index, reason };
    let candidate = instance
        .candidate_by_id(&a.candidate)
        .ok_or_else(|| fail("unknown candidate".into()))?;
    let location = instance
        .location_by_id(&a.location)
        .ok_or_else(|| fail(format!("unknown location {:?}", a.location)))?;
    if a.tasks.len() != 3 {
        return Err(fail(format!("expected 3 tasks, got {}", a.tasks.len())));
    }
    let task = |kind: TaskKind| -> Result<TaskAt, SolveError> {
        let mut found = a.tasks.iter().filter(|t| t.kind == kind);
        let (Some(t), None) = (found.next(), found.next()) else {
            return Err(fail(format!("needs exactly one {} task", kind.name())));
        };
        let staff = instance
            .staff_by_id(&t.staff)
            .ok_or_else(|| fail(format!("unknown staff {:?}", t.staff)))?;
        if t.day >= instance.days || t.slot + instance.duration(kind) > instance.slots_per_day {
            return Err(fail(format!(
                "{} does not fit in the horizon or the day",
                kind.name()
            )));
        }
        Ok(TaskAt {
            staff,
            day: t.day,
            slot: t.slot,
        })
    };
    let placement = Placement {
        location,
        arrive: a.arrive_day,
        leave: a.leave_day,
        interview: task(TaskKind::Interview)?,
        first: task(TaskKind::Polygraph1)?,
        second: task(TaskKind::Polygraph2)?,
    };
    Ok((candidate, placement))
}

fn to_plan(state: &State, upper_bound: f64) -> Plan {
    let instance = state.model.instance;
    let task = |kind: TaskKind, t: &TaskAt| Task {
        kind,
        staff: instance.staff[t.staff].id.clone(),
        day: t.day,
        slot: t.slot,
    };
    let assignments: Vec<Assignment> = state
        .placement
        .iter()
        .enumerate()
        .filter_map(|(candidate, p)| {
            let p = p.as_ref()?;
            Some(Assignment {
                candidate: instance.candidates[candidate].id.clone(),
                location: instance.locations[p.location].id.clone(),
                arrive_day: p.arrive,
                leave_day: p.leave,
                tasks: vec![
                    task(TaskKind::Interview, &p.interview),
                    task(TaskKind::Polygraph1, &p.first),
                    task(TaskKind::Polygraph2, &p.second),
                ],
            })
        })
        .collect();
    let objective = Plan::objective_of(instance, &assignments);
    Plan {
        objective,
        upper_bound: Some(upper_bound),
        assignments,
    }
}

fn objective(state: &State) -> f64 {
    state.value_30 as f64 / 30.0
}

fn greedy(base: &State<'_, '_>, order: &[usize], prices: &Prices) -> u64 {
    let mut state = base.clone();
    for &candidate in order {
        if state.placement[candidate].is_none() {
            state.insert(candidate, prices);
        }
    }
    state.value_30
}

fn greedy_state<'m, 'a>(base: &State<'m, 'a>, order: &[usize], prices: &Prices) -> State<'m, 'a> {
    let mut state = base.clone();
    for &candidate in order {
        if state.placement[candidate].is_none() {
            state.insert(candidate, prices);
        }
    }
    state
}

pub fn solve_with_progress(
    instance: &Instance,
    options: &SolveOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Solution, SolveError> {
    let started = Instant::now();
    let clock_stop = options.time_limit.mul_f64(CLOCK_SHARE);
    let budget = options
        .work_limit
        .unwrap_or((options.time_limit.as_secs_f64() * WORK_PER_SECOND as f64) as u64);
    let model = Model::new(instance);
    let mut base = State::new(&model);
    for (index, assignment) in options.pinned.iter().enumerate() {
        let (candidate, placement) = pinned_placement(instance, index, assignment)?;
        base.fits(candidate, &placement)
            .map_err(|reason| SolveError::Pinned { index, reason })?;
        base.commit(candidate, placement);
        base.pinned[candidate] = true;
    }

    let candidates = instance.candidates.len();
    let mut by_value: Vec<usize> = (0..candidates).collect();
    by_value.sort_by_key(|&c| (std::cmp::Reverse(model.value_30[c]), c));

    let flat = Prices::flat(instance.locations.len(), instance.days);
    let first = greedy_state(&base, &by_value, &flat);
    let mut stats = SolveStats {
        greedy_objective: objective(&first),
        ..SolveStats::default()
    };

    let relaxation = Relaxation::new(&model);
    let horizon = u64::from(instance.days) * u64::from(instance.slots_per_day);
    let per_iteration =
        (instance.locations.len() as u64) * horizon * (u64::from(instance.days) + 8)
            + candidates as u64 * 4;
    let bound_iterations = |share: f64| -> usize {
        let affordable = (budget as f64 * share / per_iteration.max(1) as f64) as usize;
        affordable.clamp(30, 2_000)
    };
    let dual = relaxation.solve(objective(&first), bound_iterations(0.05), None);
    progress(Progress {
        done: 0.0,
        objective: objective(&first),
        upper_bound: dual.bound,
    });

    // Guided prices: the dual prices plus a little of the flat ones, so ties still favour short stays.
    let dual_prices = relaxation.prices(&dual.multipliers);
    let guided = Prices {
        stay: dual_prices
            .stay
            .iter()
            .zip(&flat.stay)
            .map(|(d, f)| d + 0.01 * f)
            .collect(),
        interview: dual_prices
            .interview
            .iter()
            .zip(&flat.interview)
            .map(|(d, f)| d + 0.01 * f)
            .collect(),
        polygraph: dual_prices
            .polygraph
            .iter()
            .zip(&flat.polygraph)
            .map(|(d, f)| d + 0.01 * f)
            .collect(),
    };
    let mut state = first;
    let mut prices = flat;
    if greedy(&base, &by_value, &guided) > state.value_30 {
        state = greedy_state(&base, &by_value, &guided);
        prices = guided;
    }
    stats.greedy_objective = objective(&state);
    state.work = 0;

    let mut by_location: Vec<Vec<usize>> = vec![Vec::new(); instance.locations.len()];
    for &c in &by_value {
        for &location in &instance.candidates[c].locations {
            by_location[location].push(c);
        }
    }
    large_neighbourhood_search(
        &mut state,
        &prices,
        &by_location,
        budget,
        options,
        started,
        clock_stop,
        &mut stats,
        progress,
    );

    let final_objective = objective(&state);
    // After a clock stop the machine is slow: keep the tightening short so the limit holds.
    let final_iterations = if stats.stopped_by_clock {
        30
    } else {
        bound_iterations(0.1)
    };
    let tightened = relaxation.solve(final_objective, final_iterations, Some(&dual.multipliers));
    let upper_bound = dual.bound.min(tightened.bound);
    stats.work = state.work;
    let plan = to_plan(&state, upper_bound);
    progress(Progress {
        done: 1.0,
        objective: plan.objective,
        upper_bound,
    });
    Ok(Solution {
        plan,
        upper_bound,
        stats,
    })
}

#[allow(clippy::too_many_arguments)]
fn large_neighbourhood_search(
    state: &mut State<'_, '_>,
    prices: &Prices,
    by_location: &[Vec<usize>],
    budget: u64,
    options: &SolveOptions,
    started: Instant,
    clock_stop: Duration,
    stats: &mut SolveStats,
    progress: &mut dyn FnMut(Progress),
) {
    let model = state.model;
    let instance = model.instance;
    let candidates = instance.candidates.len();
    if candidates == 0 || instance.locations.is_empty() {
        return;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let mut victims = Vec::new();
    let mut pool: Vec<(u64, usize)> = Vec::new();
    let mut inserted = Vec::new();
    let mut removed: Vec<(usize, Placement)> = Vec::new();
    while state.work < budget {
        stats.iterations += 1;
        if stats.iterations.is_multiple_of(64) {
            if started.elapsed() >= clock_stop {
                stats.stopped_by_clock = true;
                break;
            }
            progress(Progress {
                done: state.work as f64 / budget as f64,
                objective: objective(state),
                upper_bound: f64::NAN,
            });
        }
        // The fixed cost of an iteration (drawing, scanning), in units of the insertion search's steps.
        state.work += 12;

        // Anchor: a location and a day to clear around, from a placed candidate or from one left out.
        let anchor = rng.random_range(0..candidates);
        let (location, day) = match state.placement[anchor] {
            Some(p) => (p.location, rng.random_range(p.arrive..=p.leave)),
            None => {
                let c = &instance.candidates[anchor];
                if c.locations.is_empty() || c.earliest_day >= model.days {
                    continue;
                }
                let location = c.locations[rng.random_range(0..c.locations.len())];
                let last = (c.earliest_day + 2).min(model.days - 1);
                (location, rng.random_range(c.earliest_day..=last))
            }
        };
        let reach = rng.random_range(0..=1_u32);
        victims.clear();
        for &c in &by_location[location] {
            if let Some(p) = state.placement[c]
                && p.location == location
                && !state.pinned[c]
                && p.arrive <= day + reach
                && p.leave + reach >= day
            {
                victims.push(c);
            }
        }
        state.work += by_location[location].len() as u64 / 2;
        if victims.is_empty() {
            continue;
        }
        let most = victims.len().min(2 + (victims.len() / 2).min(24));
        let take = rng.random_range(1..=most);
        for i in 0..take {
            let j = rng.random_range(i..victims.len());
            victims.swap(i, j);
        }
        let before = state.value_30;
        removed.clear();
        for &c in &victims[..take] {
            if let Some(p) = state.remove(c) {
                removed.push((c, p));
            }
        }

        // Refill in decreasing value, loosened by drawing each next try at random from a small window of the
        // best remaining ones; walking the value-sorted list lazily stops as soon as patience runs out.
        let window = [1_usize, 2, 4, 8][rng.random_range(0..4)];
        pool.clear();
        inserted.clear();
        let mut failures = 0;
        let patience = 8 + 2 * take;
        let mut next = by_location[location].iter();
        loop {
            while pool.len() < window {
                let Some(&c) = next.next() else { break };
                state.work += 1;
                if state.placement[c].is_none()
                    && instance.candidates[c].earliest_day <= day + reach
                {
                    pool.push((model.value_30[c], c));
                }
            }
            if pool.is_empty() {
                break;
            }
            let (_, c) = pool.swap_remove(rng.random_range(0..pool.len()));
            if state.insert(c, prices) {
                inserted.push(c);
                failures = 0;
            } else {
                failures += 1;
                if failures > patience {
                    break;
                }
            }
        }
        if state.value_30 >= before {
            if state.value_30 > before {
                stats.improvements += 1;
            }
        } else {
            for &c in &inserted {
                state.remove(c);
            }
            for &(c, p) in &removed {
                state.commit(c, p);
            }
        }
    }
}
