//! An upper bound on the objective of every valid plan, by Lagrangian relaxation of a time-indexed aggregate of
//! the problem.
//!
//! Relaxation: a scheduled candidate at location `l` with tasks starting at absolute times `ti ≤ t1 ≤ t2`
//! (time = day × slots + slot; order and gap respected; each task inside its day; interview day ≥ earliest day)
//! uses one place at `l` on every day from the interview day to the polygraph 2 day, one psychologist task on
//! the interview day, one examiner task on each polygraph day, and, at every slot a task covers, one of the
//! staff of its role at work that day. Supply per location and day: the capacity; per staff member available
//! that day, `min(max_tasks_per_day, slots / duration)` tasks; and at each slot, as many running tasks as staff
//! of the role available that day. Both polygraphs on one day need two examiners there. Every valid plan meets
//! these constraints (a real stay covers at least those days, a staff member does one thing at a time), so the
//! relaxation's optimum bounds the plan's objective.
//!
//! Pricing each constraint with a multiplier `λ ≥ 0` and moving it into the objective gives, for ANY such λ,
//! `Σ λ·supply + Σ_c max(0, value_c − cheapest pattern cost_c(λ))` ≥ the relaxation's optimum (weak duality).
//! Subgradient steps search for small values; whatever λ they reach, the value is a valid bound. The cheapest
//! pattern is exact: a scan over start times, since the cost splits into a part per task.

use super::instance::Role;
use super::state::{Model, Prices};

#[derive(Debug, Clone, Copy)]
struct Pattern {
    cost: f64,
    interview: u32,
    first: u32,
    second: u32,
}

/// Layout of the multiplier vector: five blocks per (location, day), the last two per slot too.
#[derive(Debug, Clone, Copy)]
struct Layout {
    cells: usize,
    slots: usize,
    locations: usize,
}

impl Layout {
    fn stay(self, cell: usize) -> usize {
        cell
    }
    fn interview_day(self, cell: usize) -> usize {
        self.cells + cell
    }
    fn polygraph_day(self, cell: usize) -> usize {
        2 * self.cells + cell
    }
    fn interview_slot(self, cell: usize, slot: usize) -> usize {
        3 * self.cells + cell * self.slots + slot
    }
    fn polygraph_slot(self, cell: usize, slot: usize) -> usize {
        3 * self.cells + self.cells * self.slots + cell * self.slots + slot
    }
    /// Per location: how many candidates it can take at all, given that each needs two different examiners.
    fn distinct_examiners(self, location: usize) -> usize {
        3 * self.cells + 2 * self.cells * self.slots + location
    }
    fn len(self) -> usize {
        3 * self.cells + 2 * self.cells * self.slots + self.locations
    }
}

pub struct Relaxation<'m, 'a> {
    model: &'m Model<'a>,
    layout: Layout,
    supply: Vec<f64>,
    /// Whether two different examiners work at the location that day (both polygraphs on one day need them).
    two_examiners: Vec<bool>,
    /// Whether the location has two examiners who can work at all: the two polygraphs need two people.
    two_examiners_ever: Vec<bool>,
    values: Vec<f64>,
}

#[derive(Debug, Clone)]
pub struct BoundResult {
    pub bound: f64,
    /// Multipliers of the best bound, for a warm start.
    pub multipliers: Vec<f64>,
}

const NONE: f64 = f64::INFINITY;

impl<'m, 'a> Relaxation<'m, 'a> {
    pub fn new(model: &'m Model<'a>) -> Self {
        let instance = model.instance;
        let cells = instance.locations.len() * model.days as usize;
        let layout = Layout {
            cells,
            slots: model.slots as usize,
            locations: instance.locations.len(),
        };
        let mut supply = vec![0.0; layout.len()];
        let mut examiners_per_day = vec![0_u32; cells];
        // Tasks each examiner can do over the horizon, for the distinct-examiner rows.
        let mut examiner_total = vec![0.0_f64; instance.staff.len()];
        for (location_at, location) in instance.locations.iter().enumerate() {
            for day in 0..model.days {
                supply[layout.stay(model.at(location_at, day))] = f64::from(location.capacity);
            }
        }
        for (staff_at, staff) in instance.staff.iter().enumerate() {
            let len = match staff.role {
                Role::Psychologist => instance.interview_len,
                Role::Examiner => instance.polygraph_len,
            };
            let most = (model.slots / len).min(model.staff_cap[staff_at]);
            if most == 0 {
                continue;
            }
            for day in 0..model.days {
                if !staff.available[day as usize] {
                    continue;
                }
                let cell = model.at(staff.location, day);
                let (day_at, slot_at): (usize, fn(Layout, usize, usize) -> usize) = match staff.role
                {
                    Role::Psychologist => (layout.interview_day(cell), Layout::interview_slot),
                    Role::Examiner => {
                        examiners_per_day[cell] += 1;
                        (layout.polygraph_day(cell), Layout::polygraph_slot)
                    }
                };
                supply[day_at] += f64::from(most);
                if staff.role == Role::Examiner {
                    examiner_total[staff_at] += f64::from(most);
                }
                for slot in 0..layout.slots {
                    supply[slot_at(layout, cell, slot)] += 1.0;
                }
            }
        }
        // Every candidate at a location has a polygraph by someone other than its busiest examiner, so the
        // candidates there number at most the tasks of all its other examiners.
        for location in 0..instance.locations.len() {
            let totals = model.examiners[location].iter().map(|&e| examiner_total[e]);
            let all: f64 = totals.clone().sum();
            let busiest = totals.fold(0.0, f64::max);
            supply[layout.distinct_examiners(location)] = all - busiest;
        }
        let mut two_examiners_ever = vec![false; instance.locations.len()];
        for (location, flag) in two_examiners_ever.iter_mut().enumerate() {
            let working = |&&staff: &&usize| {
                model.staff_cap[staff] > 0
                    && instance.staff[staff].available.iter().any(|&a| a)
                    && instance.polygraph_len <= model.slots
            };
            *flag = model.examiners[location].iter().filter(working).count() >= 2;
        }
        Self {
            model,
            two_examiners_ever,
            layout,
            supply,
            two_examiners: examiners_per_day.iter().map(|&n| n >= 2).collect(),
            values: instance.candidates.iter().map(|c| c.value()).collect(),
        }
    }

    /// Price of a task of `len` slots starting at absolute time `t` at `location`, or `NONE` if no one works then.
    fn task_price(&self, lambda: &[f64], location: usize, t: usize, len: usize, role: Role) -> f64 {
        let slots = self.layout.slots;
        let (day, slot) = (t / slots, t % slots);
        if slot + len > slots {
            return NONE;
        }
        let cell = self.model.at(location, day as u32);
        let (day_at, slot_at): (usize, fn(Layout, usize, usize) -> usize) = match role {
            Role::Psychologist => (self.layout.interview_day(cell), Layout::interview_slot),
            Role::Examiner => (self.layout.polygraph_day(cell), Layout::polygraph_slot),
        };
        if self.supply[day_at] <= 0.0 {
            return NONE;
        }
        lambda[day_at]
            + (slot..slot + len)
                .map(|s| lambda[slot_at(self.layout, cell, s)])
                .sum::<f64>()
    }

    /// Cheapest pattern per location and earliest day under `lambda`; `None` where nothing fits.
    fn cheapest_patterns(&self, lambda: &[f64]) -> Vec<Option<Pattern>> {
        let m = self.model;
        let instance = m.instance;
        let days = m.days as usize;
        let slots = self.layout.slots;
        let horizon = days * slots;
        let (interview_len, polygraph_len) = (
            instance.interview_len as usize,
            instance.polygraph_len as usize,
        );
        let gap = instance.min_gap as usize;
        let mut out = vec![None; self.layout.cells];
        for location in 0..instance.locations.len() {
            if instance.locations[location].capacity == 0
                || !self.two_examiners_ever[location]
                || interview_len > slots
                || polygraph_len > slots
            {
                continue;
            }
            let mut stay_prefix = vec![0.0; days + 1];
            for day in 0..days {
                stay_prefix[day + 1] =
                    stay_prefix[day] + lambda[self.layout.stay(m.at(location, day as u32))];
            }
            let interview: Vec<f64> = (0..horizon)
                .map(|t| {
                    self.task_price(lambda, location, t, interview_len, Role::Psychologist)
                        - stay_prefix[t / slots]
                })
                .collect();
            let polygraph: Vec<f64> = (0..horizon)
                .map(|t| self.task_price(lambda, location, t, polygraph_len, Role::Examiner))
                .collect();
            // second_from[t] = cheapest (polygraph 2 at t2 ≥ t, with the stay up to its day).
            let mut second_from = vec![(NONE, 0_usize); horizon + 1];
            for t in (0..horizon).rev() {
                let here = polygraph[t] + stay_prefix[t / slots + 1];
                second_from[t] = if here <= second_from[t + 1].0 {
                    (here, t)
                } else {
                    second_from[t + 1]
                };
            }
            // with_second[t1] = polygraph 1 at t1 plus its cheapest polygraph 2.
            let with_second: Vec<(f64, usize)> = (0..horizon)
                .map(|t1| {
                    if polygraph[t1] == NONE {
                        return (NONE, 0);
                    }
                    let mut from = t1 + polygraph_len + gap;
                    if !self.two_examiners[m.at(location, (t1 / slots) as u32)] {
                        from = from.max((t1 / slots + 1) * slots);
                    }
                    match second_from.get(from) {
                        Some(&(cost, t2)) => (polygraph[t1] + cost, t2),
                        None => (NONE, 0),
                    }
                })
                .collect();
            for earliest in 0..days {
                let mut best_interview = (NONE, 0_usize);
                let mut best: Option<Pattern> = None;
                for (t1, &(tail, second)) in with_second.iter().enumerate().skip(earliest * slots) {
                    if let Some(ti) = t1.checked_sub(interview_len)
                        && ti >= earliest * slots
                        && interview[ti] < best_interview.0
                    {
                        best_interview = (interview[ti], ti);
                    }
                    let cost =
                        best_interview.0 + tail + lambda[self.layout.distinct_examiners(location)];
                    if cost < NONE && best.is_none_or(|b| cost < b.cost) {
                        best = Some(Pattern {
                            cost,
                            interview: best_interview.1 as u32,
                            first: t1 as u32,
                            second: second as u32,
                        });
                    }
                }
                out[m.at(location, earliest as u32)] = best;
            }
        }
        out
    }

    /// Value of the Lagrangian function at `lambda`, and each resource's use by the chosen patterns.
    fn evaluate(&self, lambda: &[f64]) -> (f64, Vec<f64>) {
        let m = self.model;
        let instance = m.instance;
        let slots = self.layout.slots;
        let patterns = self.cheapest_patterns(lambda);
        let mut usage = vec![0.0; self.layout.len()];
        let mut value: f64 = self.supply.iter().zip(lambda).map(|(s, l)| s * l).sum();
        for (candidate, c) in instance.candidates.iter().enumerate() {
            if c.earliest_day >= m.days {
                continue;
            }
            let mut best: Option<(Pattern, usize)> = None;
            for &location in &c.locations {
                if let Some(p) = patterns[m.at(location, c.earliest_day)]
                    && best.is_none_or(|(b, _)| p.cost < b.cost)
                {
                    best = Some((p, location));
                }
            }
            let Some((p, location)) = best else { continue };
            let gain = self.values[candidate] - p.cost;
            if gain <= 0.0 {
                continue;
            }
            value += gain;
            let (ti, t1, t2) = (p.interview as usize, p.first as usize, p.second as usize);
            for day in ti / slots..=t2 / slots {
                usage[self.layout.stay(m.at(location, day as u32))] += 1.0;
            }
            let cell = |t: usize| m.at(location, (t / slots) as u32);
            usage[self.layout.interview_day(cell(ti))] += 1.0;
            usage[self.layout.distinct_examiners(location)] += 1.0;
            for s in ti % slots..ti % slots + instance.interview_len as usize {
                usage[self.layout.interview_slot(cell(ti), s)] += 1.0;
            }
            for t in [t1, t2] {
                usage[self.layout.polygraph_day(cell(t))] += 1.0;
                for s in t % slots..t % slots + instance.polygraph_len as usize {
                    usage[self.layout.polygraph_slot(cell(t), s)] += 1.0;
                }
            }
        }
        (value, usage)
    }

    /// Subgradient descent on the Lagrangian dual for at most `iterations` steps, with Polyak steps aimed at
    /// `target` (the best known plan's objective). Returns the smallest value seen, a valid upper bound.
    pub fn solve(&self, target: f64, iterations: usize, start: Option<&[f64]>) -> BoundResult {
        let trivial: f64 = self.values.iter().sum();
        let mut lambda = match start {
            Some(start) if start.len() == self.layout.len() => start.to_vec(),
            _ => vec![0.0; self.layout.len()],
        };
        let mut best = BoundResult {
            bound: trivial,
            multipliers: lambda.clone(),
        };
        let mut scale = 1.0;
        let mut since_improvement = 0;
        // Deflected subgradient: each direction keeps part of the previous one, which damps the zig-zag of
        // plain subgradient steps between the faces of the dual function.
        let mut direction = vec![0.0; self.layout.len()];
        for _ in 0..iterations {
            let (value, usage) = self.evaluate(&lambda);
            if value < best.bound {
                best = BoundResult {
                    bound: value,
                    multipliers: lambda.clone(),
                };
                since_improvement = 0;
            } else {
                since_improvement += 1;
                if since_improvement >= 30 {
                    scale /= 2.0;
                    since_improvement = 0;
                    if scale < 1e-3 {
                        // Stalled: start again from the best point with fresh steps.
                        lambda.clone_from(&best.multipliers);
                        direction.iter_mut().for_each(|d| *d = 0.0);
                        scale = 0.25;
                        continue;
                    }
                }
            }
            for ((d, s), u) in direction.iter_mut().zip(&self.supply).zip(&usage) {
                *d = (s - u) + 0.5 * *d;
            }
            // A multiplier at 0 pushed further down cannot move: leave it out of the step's norm.
            let norm: f64 = direction
                .iter()
                .zip(&lambda)
                .filter(|(d, l)| **d < 0.0 || **l > 0.0)
                .map(|(d, _)| d * d)
                .sum();
            let distance = value - target;
            if norm <= 0.0 || distance <= 1e-9 {
                break;
            }
            let step = scale * distance / norm;
            for (l, d) in lambda.iter_mut().zip(&direction) {
                *l = (*l - step * d).max(0.0);
            }
        }
        best.bound = best.bound.min(trivial);
        best
    }

    /// Day-level prices for the construction, from multipliers: a slot's price is folded into its day at the
    /// cheapest start, which is what the construction tends to take.
    pub fn prices(&self, multipliers: &[f64]) -> Prices {
        let m = self.model;
        let cells = self.layout.cells;
        let mut prices = Prices {
            stay: vec![0.0; cells],
            interview: vec![0.0; cells],
            polygraph: vec![0.0; cells],
        };
        if multipliers.len() != self.layout.len() {
            return prices;
        }
        let instance = m.instance;
        for location in 0..instance.locations.len() {
            for day in 0..m.days {
                let cell = m.at(location, day);
                let start = day as usize * self.layout.slots;
                let cheapest = |len: u32, role: Role| {
                    (start..start + self.layout.slots)
                        .map(|t| self.task_price(multipliers, location, t, len as usize, role))
                        .fold(NONE, f64::min)
                };
                prices.stay[cell] = multipliers[self.layout.stay(cell)];
                prices.interview[cell] =
                    cheapest(instance.interview_len, Role::Psychologist).min(1e6);
                prices.polygraph[cell] = cheapest(instance.polygraph_len, Role::Examiner).min(1e6);
            }
        }
        prices
    }
}
