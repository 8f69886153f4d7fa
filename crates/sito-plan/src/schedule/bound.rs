//! An upper bound on the objective of every valid plan, by Lagrangian relaxation of the day-bucketed problem.
//!
//! Relaxation: a scheduled candidate at location `l` uses (a) one place at `l` on every day from its interview
//! day to its second polygraph day, (b) one psychologist task on the interview day and (c) one examiner task on
//! each polygraph day. The supply of each is counted per location and day: the capacity; and per staff member
//! available that day, the most tasks they can do in a day (`min(max_tasks_per_day, slots / duration)`). The
//! days `(di, d1, d2)` must admit slots that respect the order and the gap. Every valid plan satisfies these
//! aggregated constraints, so the relaxation's optimum bounds the plan's objective.
//!
//! Pricing each constraint with a multiplier `λ ≥ 0` and moving it into the objective gives, for ANY such λ,
//! `Σ λ·supply + Σ_c max(0, value_c − cheapest pattern cost_c(λ))` ≥ the relaxation's optimum (weak duality).
//! Subgradient steps search for small values; whatever λ they reach, the value is a valid bound.

use super::state::{Model, Prices};

#[derive(Debug, Clone, Copy)]
struct Pattern {
    cost: f64,
    interview_day: u32,
    first_day: u32,
    second_day: u32,
}

pub struct Relaxation<'m, 'a> {
    model: &'m Model<'a>,
    stay_supply: Vec<f64>,
    interview_supply: Vec<f64>,
    polygraph_supply: Vec<f64>,
    /// Whether two different examiners work at the location that day (both polygraphs on one day need them).
    two_examiners: Vec<bool>,
    values: Vec<f64>,
}

#[derive(Debug, Clone)]
pub struct BoundResult {
    pub bound: f64,
    pub prices: Prices,
}

impl<'m, 'a> Relaxation<'m, 'a> {
    pub fn new(model: &'m Model<'a>) -> Self {
        let instance = model.instance;
        let cells = instance.locations.len() * model.days as usize;
        let mut stay_supply = vec![0.0; cells];
        let mut interview_supply = vec![0.0; cells];
        let mut polygraph_supply = vec![0.0; cells];
        let mut examiners_per_day = vec![0_u32; cells];
        for (location_at, location) in instance.locations.iter().enumerate() {
            for day in 0..model.days {
                stay_supply[model.at(location_at, day)] = f64::from(location.capacity);
            }
        }
        let per_day = |len: u32| model.slots / len;
        for (staff_at, staff) in instance.staff.iter().enumerate() {
            let (supply, len) = match staff.role {
                super::instance::Role::Psychologist => {
                    (&mut interview_supply, instance.interview_len)
                }
                super::instance::Role::Examiner => (&mut polygraph_supply, instance.polygraph_len),
            };
            let most = per_day(len).min(model.staff_cap[staff_at]);
            for day in 0..model.days {
                if staff.available[day as usize] && most > 0 {
                    supply[model.at(staff.location, day)] += f64::from(most);
                    if staff.role == super::instance::Role::Examiner {
                        examiners_per_day[model.at(staff.location, day)] += 1;
                    }
                }
            }
        }
        Self {
            model,
            stay_supply,
            interview_supply,
            polygraph_supply,
            two_examiners: examiners_per_day.iter().map(|&n| n >= 2).collect(),
            values: instance.candidates.iter().map(|c| c.value()).collect(),
        }
    }

    /// The first day on which polygraph 2 can start, given polygraph 1's day, and whether it can share that day.
    fn earliest_second_day(&self, interview_day: u32, first_day: u32) -> Option<(u32, bool)> {
        let instance = self.model.instance;
        let slots = u64::from(self.model.slots);
        let (interview_len, polygraph_len) = (
            u64::from(instance.interview_len),
            u64::from(instance.polygraph_len),
        );
        if interview_len > slots || polygraph_len > slots {
            return None;
        }
        let ready = u64::from(interview_day) * slots + interview_len;
        let first_start = ready.max(u64::from(first_day) * slots);
        if first_start + polygraph_len > u64::from(first_day) * slots + slots {
            return None;
        }
        let second_ready = first_start + polygraph_len + u64::from(instance.min_gap);
        // Day d works when d·slots + slots − polygraph_len ≥ second_ready.
        let latest_start_in_day = slots - polygraph_len;
        let day = second_ready
            .saturating_sub(latest_start_in_day)
            .div_ceil(slots);
        let day = u32::try_from(day).unwrap_or(u32::MAX).max(first_day);
        Some((day, day == first_day))
    }

    /// Cheapest pattern for each location and interview day under `prices`; `None` where nothing fits.
    fn cheapest_patterns(&self, prices: &Prices) -> Vec<Option<Pattern>> {
        let m = self.model;
        let days = m.days;
        let mut out = vec![None; self.stay_supply.len()];
        for location in 0..m.instance.locations.len() {
            if m.instance.locations[location].capacity == 0 {
                continue;
            }
            let at = |day: u32| m.at(location, day);
            // stay_prefix[d] = Σ stay prices of days < d.
            let mut stay_prefix = vec![0.0; days as usize + 1];
            for day in 0..days {
                stay_prefix[day as usize + 1] = stay_prefix[day as usize] + prices.stay[at(day)];
            }
            let polygraph_open = |day: u32| self.polygraph_supply[at(day)] > 0.0;
            // best_second_from[d] = cheapest (stay_prefix[d2 + 1] + polygraph price d2) over d2 ≥ d.
            let mut best_second_from: Vec<Option<(f64, u32)>> = vec![None; days as usize + 1];
            for day in (0..days).rev() {
                let here = polygraph_open(day).then(|| {
                    (
                        stay_prefix[day as usize + 1] + prices.polygraph[at(day)],
                        day,
                    )
                });
                best_second_from[day as usize] = match (here, best_second_from[day as usize + 1]) {
                    (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
                    (a, b) => a.or(b),
                };
            }
            for interview_day in 0..days {
                if self.interview_supply[at(interview_day)] <= 0.0 {
                    continue;
                }
                let mut best: Option<Pattern> = None;
                for first_day in interview_day..days {
                    if !polygraph_open(first_day) {
                        continue;
                    }
                    let Some((second_from, same_day)) =
                        self.earliest_second_day(interview_day, first_day)
                    else {
                        continue;
                    };
                    let base = prices.interview[at(interview_day)]
                        + prices.polygraph[at(first_day)]
                        - stay_prefix[interview_day as usize];
                    let mut consider = |cost: f64, second_day: u32| {
                        if best.is_none_or(|b| cost < b.cost) {
                            best = Some(Pattern {
                                cost,
                                interview_day,
                                first_day,
                                second_day,
                            });
                        }
                    };
                    if same_day
                        && self.two_examiners[at(first_day)]
                        && self.polygraph_supply[at(first_day)] >= 2.0
                    {
                        consider(
                            base + stay_prefix[first_day as usize + 1]
                                + prices.polygraph[at(first_day)],
                            first_day,
                        );
                    }
                    let later = second_from.max(first_day + 1);
                    if let Some(Some((tail, second_day))) = best_second_from.get(later as usize) {
                        consider(base + tail, *second_day);
                    }
                }
                out[at(interview_day)] = best;
            }
        }
        out
    }

    /// Value of the Lagrangian function at `prices`, and the usage of each resource by the chosen patterns.
    fn evaluate(&self, prices: &Prices) -> (f64, Prices) {
        let m = self.model;
        let days = m.days;
        let patterns = self.cheapest_patterns(prices);
        // Cheapest pattern with interview day ≥ e, per location and e.
        let mut from_day = vec![None; patterns.len()];
        for location in 0..m.instance.locations.len() {
            let mut best: Option<Pattern> = None;
            for day in (0..days).rev() {
                if let Some(p) = patterns[m.at(location, day)]
                    && best.is_none_or(|b| p.cost < b.cost)
                {
                    best = Some(p);
                }
                from_day[m.at(location, day)] = best;
            }
        }
        let mut usage = Prices {
            stay: vec![0.0; patterns.len()],
            interview: vec![0.0; patterns.len()],
            polygraph: vec![0.0; patterns.len()],
        };
        let mut value: f64 = self
            .stay_supply
            .iter()
            .zip(&prices.stay)
            .map(|(s, p)| s * p)
            .sum::<f64>()
            + self
                .interview_supply
                .iter()
                .zip(&prices.interview)
                .map(|(s, p)| s * p)
                .sum::<f64>()
            + self
                .polygraph_supply
                .iter()
                .zip(&prices.polygraph)
                .map(|(s, p)| s * p)
                .sum::<f64>();
        for (candidate, c) in m.instance.candidates.iter().enumerate() {
            if c.earliest_day >= days {
                continue;
            }
            let mut best: Option<(Pattern, usize)> = None;
            for &location in &c.locations {
                if let Some(p) = from_day[m.at(location, c.earliest_day)]
                    && best.is_none_or(|(b, _)| p.cost < b.cost)
                {
                    best = Some((p, location));
                }
            }
            let Some((p, location)) = best else { continue };
            let gain = self.values[candidate] - p.cost;
            if gain > 0.0 {
                value += gain;
                for day in p.interview_day..=p.second_day {
                    usage.stay[m.at(location, day)] += 1.0;
                }
                usage.interview[m.at(location, p.interview_day)] += 1.0;
                usage.polygraph[m.at(location, p.first_day)] += 1.0;
                usage.polygraph[m.at(location, p.second_day)] += 1.0;
            }
        }
        (value, usage)
    }

    /// Subgradient descent on the Lagrangian dual for `iterations` steps, with Polyak steps aimed at `target` (the
    /// best known plan's objective). Returns the smallest value seen, a valid upper bound, and its prices.
    pub fn solve(&self, target: f64, iterations: usize, start: Option<&Prices>) -> BoundResult {
        let cells = self.stay_supply.len();
        let trivial: f64 = self.values.iter().sum();
        let mut prices = start.cloned().unwrap_or(Prices {
            stay: vec![0.0; cells],
            interview: vec![0.0; cells],
            polygraph: vec![0.0; cells],
        });
        let mut best = BoundResult {
            bound: trivial,
            prices: prices.clone(),
        };
        let mut scale = 1.0;
        let mut since_improvement = 0;
        for _ in 0..iterations {
            let (value, usage) = self.evaluate(&prices);
            if value < best.bound {
                best = BoundResult {
                    bound: value,
                    prices: prices.clone(),
                };
                since_improvement = 0;
            } else {
                since_improvement += 1;
                if since_improvement >= 25 {
                    scale /= 2.0;
                    since_improvement = 0;
                }
            }
            let gaps = |supply: &[f64], used: &[f64]| {
                supply
                    .iter()
                    .zip(used)
                    .map(|(s, u)| s - u)
                    .collect::<Vec<_>>()
            };
            let g_stay = gaps(&self.stay_supply, &usage.stay);
            let g_interview = gaps(&self.interview_supply, &usage.interview);
            let g_polygraph = gaps(&self.polygraph_supply, &usage.polygraph);
            // A resource whose multiplier is 0 and whose supply is not exceeded cannot move: leave it out of the norm.
            let norm = |g: &[f64], p: &[f64]| -> f64 {
                g.iter()
                    .zip(p)
                    .filter(|(g, p)| **g < 0.0 || **p > 0.0)
                    .map(|(g, _)| g * g)
                    .sum()
            };
            let norm = norm(&g_stay, &prices.stay)
                + norm(&g_interview, &prices.interview)
                + norm(&g_polygraph, &prices.polygraph);
            let distance = value - target;
            if norm <= 0.0 || distance <= 1e-9 || scale < 1e-6 {
                break;
            }
            let step = scale * distance / norm;
            let update = |p: &mut [f64], g: &[f64]| {
                for (p, g) in p.iter_mut().zip(g) {
                    *p = (*p - step * g).max(0.0);
                }
            };
            update(&mut prices.stay, &g_stay);
            update(&mut prices.interview, &g_interview);
            update(&mut prices.polygraph, &g_polygraph);
        }
        best.bound = best.bound.min(trivial);
        best
    }
}
