//! The simulation proper.
//!
//! Applications arrive by a Poisson process and pass the stages in order; at each stage they join one first-come,
//! first-served queue in front of `servers` identical servers, need `visits` services there (after each but the
//! last they rejoin the back of the same queue: the second polygraph is a second wait), and after the last one
//! leave the pipeline with `leave_probability` or go on to the next stage.
//!
//! Because the pipeline only flows forward and every queue serves in arrival order, the stages can be played out
//! one after another instead of interleaving one global event list: a stage's departures are fully known before
//! the next stage looks at them, and nothing a later stage does can change an earlier one. Each stage is a sweep
//! over its entrants in the order they join, with a heap of the servers' next free instants on the stage's work
//! clock (see [`super::clock`]). This is exact, not an approximation, and it is what makes a year of a busy
//! office take milliseconds.
//!
//! Randomness is drawn per application, not per event: application `i`'s service times and leave decision at a
//! stage come from that stage's own ChaCha stream at position `i`, whatever the staffing. Two runs that differ
//! only in servers therefore see the very same applicants (common random numbers), which is what lets
//! [`super::solve_servers`] compare staffing levels without the noise of different draws.
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp, Exp1, LogNormal};

use super::clock::WorkClock;
use super::scenario::{Scenario, ServiceTime, Stage};

/// The seed used when the caller gives none, so that two runs of the same scenario agree.
pub const DEFAULT_SEED: u64 = 20_260_101;

const HOURS_PER_DAY: f64 = 24.0;

/// Everything a run measured. Statistics cover the measurement window `[warmup_days, days)` only.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Applications completing the last stage per day of the window.
    pub decided_per_day: f64,
    /// Arrival to completing the last stage, in days, of the applications decided within the window. Applications
    /// that leave the pipeline early are not decisions here (see [`Outcome::left_per_day`]). `None` when no
    /// application was decided within the window.
    pub time_to_decision: Option<Summary>,
    /// Applications in the system at the end of the horizon (arrived and neither decided nor left).
    pub backlog_at_end: u64,
    pub stages: Vec<StageOutcome>,
    /// Index in `stages` of the stage with the highest utilisation.
    pub bottleneck: usize,
    /// Applications that arrived per day of the window (the realised Poisson rate).
    pub arrived_per_day: f64,
    /// Applications that left the pipeline after some stage (not decided) per day of the window.
    pub left_per_day: f64,
    /// Time-average number of applications in the system over the window.
    pub in_system_mean: f64,
    /// Mean days in the system of every application that exited within the window, leavers included: with
    /// `arrived_per_day` and `in_system_mean` this is Little's law for the whole pipeline.
    pub time_in_system_days_mean: Option<f64>,
    /// One point per simulated day, warm-up included, for charts.
    pub daily: Vec<DayPoint>,
    pub warmup_days: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub mean: f64,
    pub p50: f64,
    pub p90: f64,
    pub count: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StageOutcome {
    pub name: String,
    pub servers: u32,
    /// Busy share of the servers' working hours within the window.
    pub utilisation: f64,
    /// Time-average number of applications waiting (not in service) at this stage, over all hours of the window.
    pub queue_mean: f64,
    /// Mean wall-clock days an application waited in this stage's queue, summed over its visits, for the
    /// applications that finished the stage within the window. `None` when none did.
    pub wait_days_mean: Option<f64>,
    /// Applications that reached the stage per day of the window.
    pub entered_per_day: f64,
    /// Applications that left the pipeline after this stage per day of the window.
    pub left_per_day: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DayPoint {
    pub day: u32,
    /// Applications in the system at the end of the day.
    pub backlog: u64,
    /// Applications decided during the day.
    pub decided: u32,
    /// Sum of their times to decision in days (mean = sum / decided).
    pub decision_days_sum: f64,
}

/// Runs the scenario with the given seed. The scenario must be valid (as [`Scenario::from_toml_str`] and
/// [`Scenario::validate`] ensure); values outside their ranges give meaningless but finite results, not panics.
pub fn simulate(scenario: &Scenario, seed: u64) -> Outcome {
    let window = Window {
        from: scenario.warmup_days * HOURS_PER_DAY,
        to: scenario.days * HOURS_PER_DAY,
    };
    let arrivals = draw_arrivals(scenario, seed);
    let count = arrivals.len();
    let mut exits = vec![Exit::Pending; count];
    let mut entrants: Vec<Entrant> = arrivals
        .iter()
        .enumerate()
        .map(|(id, &wall)| Entrant {
            id: id_of(id),
            wall,
        })
        .collect();
    let mut wait_scratch = vec![0.0; count];
    let mut stages = Vec::with_capacity(scenario.stages.len());
    for (index, stage) in scenario.stages.iter().enumerate() {
        let is_last = index + 1 == scenario.stages.len();
        let draws = StageDraws::new(stage, seed, index, count);
        let (outcome, next) = run_stage(
            stage,
            &draws,
            &entrants,
            window,
            is_last,
            &mut exits,
            &mut wait_scratch,
        );
        stages.push(outcome);
        entrants = next;
    }
    summarise(scenario, &arrivals, &exits, stages, window)
}

/// The measurement window in wall hours.
#[derive(Debug, Clone, Copy)]
struct Window {
    from: f64,
    to: f64,
}

impl Window {
    fn contains(&self, wall: f64) -> bool {
        wall >= self.from && wall < self.to
    }

    /// Length of `[start, end)` inside the window.
    fn overlap(&self, start: f64, end: f64) -> f64 {
        (end.min(self.to) - start.max(self.from)).max(0.0)
    }

    fn days(&self) -> f64 {
        (self.to - self.from) / HOURS_PER_DAY
    }
}

/// How an application's time in the system ended, at which wall hour.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Exit {
    /// Still in the system at the end of the horizon.
    Pending,
    Left(f64),
    Decided(f64),
}

#[derive(Debug, Clone, Copy)]
struct Entrant {
    id: u32,
    wall: f64,
}

/// Application ids fit in u32: validation caps expected arrivals far below it and [`draw_arrivals`] stops there.
fn id_of(index: usize) -> u32 {
    u32::try_from(index).unwrap_or(u32::MAX)
}

/// Stream numbers inside one seed: 0 for arrivals, then two per stage.
fn stream_rng(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

fn draw_arrivals(scenario: &Scenario, seed: u64) -> Vec<f64> {
    let mut rng = stream_rng(seed, 0);
    let end = scenario.days * HOURS_PER_DAY;
    let mean_gap_hours = HOURS_PER_DAY / scenario.arrivals_per_day;
    let mut arrivals =
        Vec::with_capacity((scenario.arrivals_per_day * scenario.days * 1.01) as usize + 16);
    let mut wall = 0.0;
    let cap = u32::MAX as usize;
    loop {
        let gap: f64 = Exp1.sample(&mut rng);
        wall += gap * mean_gap_hours;
        if wall >= end || arrivals.len() >= cap {
            return arrivals;
        }
        arrivals.push(wall);
    }
}

/// Every application's service times and leave decision at one stage, drawn up front in application order.
struct StageDraws {
    service_hours: Vec<f64>,
    leaves: Vec<bool>,
}

impl StageDraws {
    fn new(stage: &Stage, seed: u64, index: usize, count: usize) -> Self {
        let stream = 1 + 2 * index as u64;
        let visits = stage.visits as usize;
        let mut service_rng = stream_rng(seed, stream);
        let service_hours = draw_services(stage.service, count * visits, &mut service_rng);
        let leaves = if stage.leave_probability > 0.0 {
            let mut leave_rng = stream_rng(seed, stream + 1);
            (0..count)
                .map(|_| leave_rng.random::<f64>() < stage.leave_probability)
                .collect()
        } else {
            Vec::new()
        };
        StageDraws {
            service_hours,
            leaves,
        }
    }

    fn service(&self, id: u32, visit: u32, visits: u32) -> f64 {
        let index = id as usize * visits as usize + visit as usize;
        self.service_hours.get(index).copied().unwrap_or(0.0)
    }

    fn leaves(&self, id: u32) -> bool {
        self.leaves.get(id as usize).copied().unwrap_or(false)
    }
}

fn draw_services(service: ServiceTime, count: usize, rng: &mut ChaCha8Rng) -> Vec<f64> {
    let mean = service.mean_hours;
    match service.cv {
        Some(cv) if cv <= 0.0 => vec![mean; count],
        Some(cv) => match LogNormal::from_mean_cv(mean, cv) {
            Ok(lognormal) => lognormal.sample_iter(rng).take(count).collect(),
            Err(_) => vec![mean; count],
        },
        None => match Exp::new(1.0 / mean) {
            Ok(exponential) => exponential.sample_iter(rng).take(count).collect(),
            Err(_) => vec![mean; count],
        },
    }
}

/// An instant on a work clock, ordered totally so it can live in a heap.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Instant(f64);

impl Eq for Instant {}

impl PartialOrd for Instant {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Instant {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// An application back in the queue for its next visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Return {
    join_work: Instant,
    id: u32,
    visit: u32,
}

fn run_stage(
    stage: &Stage,
    draws: &StageDraws,
    entrants: &[Entrant],
    window: Window,
    is_last: bool,
    exits: &mut [Exit],
    wait_scratch: &mut [f64],
) -> (StageOutcome, Vec<Entrant>) {
    let clock = WorkClock::new(stage.hours_per_day);
    let work_window = Window {
        from: clock.work_at(window.from),
        to: clock.work_at(window.to),
    };
    let mut free_at: BinaryHeap<Reverse<Instant>> =
        (0..stage.servers).map(|_| Reverse(Instant(0.0))).collect();
    let mut returns: BinaryHeap<Reverse<Return>> = BinaryHeap::new();
    let mut next = Vec::with_capacity(entrants.len());
    let mut busy_work_hours = 0.0;
    let mut waiting_hours = 0.0;
    let mut wait_sum_hours = 0.0;
    let mut waits_counted = 0usize;
    let mut left = 0usize;
    let entered = entrants
        .iter()
        .filter(|entrant| window.contains(entrant.wall))
        .count();
    let mut upcoming = entrants.iter().peekable();
    let mut upcoming_work = upcoming.peek().map(|entrant| clock.work_at(entrant.wall));
    loop {
        // First come, first served across newcomers and returning applications, by wall time: an application
        // back at closing time is ahead of the night's arrivals, though all of them join at the same instant of
        // the work clock.
        let from_newcomers = match (upcoming_work, returns.peek()) {
            (Some(newcomer), Some(Reverse(back))) => {
                let back_work = back.join_work.0;
                newcomer < back_work
                    || (newcomer == back_work
                        && upcoming
                            .peek()
                            .is_some_and(|entrant| entrant.wall <= clock.wall_finishing(back_work)))
            }
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        let (id, visit, join_work, join_wall) = if from_newcomers {
            let Some(entrant) = upcoming.next() else {
                break;
            };
            let join_work = upcoming_work.unwrap_or(0.0);
            upcoming_work = upcoming.peek().map(|entrant| clock.work_at(entrant.wall));
            wait_scratch[entrant.id as usize] = 0.0;
            (entrant.id, 0, join_work, entrant.wall)
        } else {
            let Some(Reverse(back)) = returns.pop() else {
                break;
            };
            (
                back.id,
                back.visit,
                back.join_work.0,
                clock.wall_finishing(back.join_work.0),
            )
        };
        // The earliest free server takes the application; replacing the heap's top in place is one sift.
        let Some(mut earliest) = free_at.peek_mut() else {
            break;
        };
        let Reverse(Instant(free)) = *earliest;
        let start_work = join_work.max(free);
        let end_work = start_work + draws.service(id, visit, stage.visits);
        *earliest = Reverse(Instant(end_work));
        drop(earliest);

        let start_wall = clock.wall_starting(start_work).max(join_wall);
        waiting_hours += window.overlap(join_wall, start_wall);
        busy_work_hours += work_window.overlap(start_work, end_work);
        wait_scratch[id as usize] += start_wall - join_wall;

        let end_wall = clock.wall_finishing(end_work);
        if end_wall >= window.to {
            // Still here at the end of the horizon: part of the backlog, nothing later can be measured.
            continue;
        }
        if visit + 1 < stage.visits {
            returns.push(Reverse(Return {
                join_work: Instant(end_work),
                id,
                visit: visit + 1,
            }));
            continue;
        }
        if window.contains(end_wall) {
            wait_sum_hours += wait_scratch[id as usize];
            waits_counted += 1;
        }
        if draws.leaves(id) {
            exits[id as usize] = Exit::Left(end_wall);
            left += usize::from(window.contains(end_wall));
        } else if is_last {
            exits[id as usize] = Exit::Decided(end_wall);
        } else {
            next.push(Entrant { id, wall: end_wall });
        }
    }
    // Wall times are never negative, so their bit patterns sort like the numbers and integer keys sort fastest.
    next.sort_unstable_by_key(|entrant| (entrant.wall.to_bits(), entrant.id));

    let window_days = window.days();
    let available_work_hours = f64::from(stage.servers) * (work_window.to - work_window.from);
    let outcome = StageOutcome {
        name: stage.name.clone(),
        servers: stage.servers,
        utilisation: if available_work_hours > 0.0 {
            busy_work_hours / available_work_hours
        } else {
            0.0
        },
        queue_mean: waiting_hours / (window.to - window.from),
        wait_days_mean: (waits_counted > 0)
            .then(|| wait_sum_hours / waits_counted as f64 / HOURS_PER_DAY),
        entered_per_day: entered as f64 / window_days,
        left_per_day: left as f64 / window_days,
    };
    (outcome, next)
}

fn summarise(
    scenario: &Scenario,
    arrivals: &[f64],
    exits: &[Exit],
    stages: Vec<StageOutcome>,
    window: Window,
) -> Outcome {
    let window_days = window.days();
    let day_count = (scenario.days.ceil() as usize).max(1);
    let mut arrived_on = vec![0u64; day_count];
    let mut exited_on = vec![0u64; day_count];
    let mut decided_on = vec![0u32; day_count];
    let mut decision_days_on = vec![0.0; day_count];
    let day_of = |wall: f64| ((wall / HOURS_PER_DAY) as usize).min(day_count - 1);

    let mut decision_days = Vec::new();
    let mut in_system_hours = 0.0;
    let mut time_in_system_sum = 0.0;
    let mut exits_counted = 0usize;
    let mut arrived = 0usize;
    let mut left = 0usize;
    let mut backlog_at_end = 0u64;
    for (&arrival, &exit) in arrivals.iter().zip(exits) {
        arrived_on[day_of(arrival)] += 1;
        arrived += usize::from(window.contains(arrival));
        let exit_wall = match exit {
            Exit::Pending => {
                backlog_at_end += 1;
                window.to
            }
            Exit::Left(wall) | Exit::Decided(wall) => wall,
        };
        in_system_hours += window.overlap(arrival, exit_wall);
        if matches!(exit, Exit::Pending) {
            continue;
        }
        exited_on[day_of(exit_wall)] += 1;
        if window.contains(exit_wall) {
            time_in_system_sum += exit_wall - arrival;
            exits_counted += 1;
        }
        let days = (exit_wall - arrival) / HOURS_PER_DAY;
        match exit {
            Exit::Decided(_) => {
                decided_on[day_of(exit_wall)] += 1;
                decision_days_on[day_of(exit_wall)] += days;
                if window.contains(exit_wall) {
                    decision_days.push(days);
                }
            }
            _ => left += usize::from(window.contains(exit_wall)),
        }
    }

    let mut backlog = 0u64;
    let daily = (0..day_count)
        .map(|day| {
            backlog = (backlog + arrived_on[day]).saturating_sub(exited_on[day]);
            DayPoint {
                day: u32::try_from(day).unwrap_or(u32::MAX),
                backlog,
                decided: decided_on[day],
                decision_days_sum: decision_days_on[day],
            }
        })
        .collect();

    let bottleneck = stages
        .iter()
        .enumerate()
        .max_by(|(a_index, a), (b_index, b)| {
            // On a full tie (say, nothing reached either stage) the upstream stage is named.
            a.utilisation
                .total_cmp(&b.utilisation)
                .then(a.queue_mean.total_cmp(&b.queue_mean))
                .then(b_index.cmp(a_index))
        })
        .map_or(0, |(index, _)| index);
    Outcome {
        decided_per_day: decision_days.len() as f64 / window_days,
        time_to_decision: summary(decision_days),
        backlog_at_end,
        stages,
        bottleneck,
        arrived_per_day: arrived as f64 / window_days,
        left_per_day: left as f64 / window_days,
        in_system_mean: in_system_hours / (window.to - window.from),
        time_in_system_days_mean: (exits_counted > 0)
            .then(|| time_in_system_sum / exits_counted as f64 / HOURS_PER_DAY),
        daily,
        warmup_days: scenario.warmup_days,
    }
}

/// Mean and interpolated percentiles (the usual "linear" definition).
fn summary(mut values: Vec<f64>) -> Option<Summary> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable_by(f64::total_cmp);
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    Some(Summary {
        mean,
        p50: percentile(&values, 0.5),
        p90: percentile(&values, 0.9),
        count: values.len(),
    })
}

fn percentile(sorted: &[f64], share: f64) -> f64 {
    let position = share * (sorted.len() - 1) as f64;
    let below = position.floor() as usize;
    let above = (below + 1).min(sorted.len() - 1);
    let fraction = position - below as f64;
    sorted[below] + (sorted[above] - sorted[below]) * fraction
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_stage(servers: u32, hours_per_day: f64, service: ServiceTime) -> Scenario {
        Scenario {
            days: 60.0,
            warmup_days: 10.0,
            arrivals_per_day: 20.0,
            stages: vec![Stage {
                name: "only".to_owned(),
                servers,
                service,
                hours_per_day,
                leave_probability: 0.0,
                visits: 1,
            }],
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_outcome_and_another_seed_another() {
        let scenario = one_stage(
            2,
            8.0,
            ServiceTime {
                mean_hours: 0.5,
                cv: None,
            },
        );
        assert_eq!(simulate(&scenario, 7), simulate(&scenario, 7));
        assert_ne!(simulate(&scenario, 7), simulate(&scenario, 8));
    }

    #[test]
    fn percentiles_interpolate_between_order_statistics() {
        let values: Vec<f64> = (1..=11).map(f64::from).collect();
        let summary = summary(values).unwrap();
        assert_eq!((summary.mean, summary.p50, summary.p90), (6.0, 6.0, 10.0));
        assert_eq!(percentile(&[1.0, 2.0], 0.5), 1.5);
    }

    #[test]
    fn constant_service_at_light_load_has_no_waits_round_the_clock() {
        // Round the clock with far more servers than arrivals, nobody ever waits and the time to decision
        // is the service time.
        let scenario = one_stage(
            200,
            24.0,
            ServiceTime {
                mean_hours: 2.4,
                cv: Some(0.0),
            },
        );
        let outcome = simulate(&scenario, 1);
        let decision = outcome.time_to_decision.unwrap();
        assert!((decision.mean - 0.1).abs() < 1e-9, "{decision:?}");
        assert_eq!(outcome.stages[0].wait_days_mean, Some(0.0));
        assert_eq!(outcome.stages[0].queue_mean, 0.0);
    }

    #[test]
    fn office_hours_make_night_arrivals_wait_for_the_morning() {
        // Plenty of servers, so every wait is the time until the office opens: arrivals are spread evenly over
        // the day and the two thirds arriving while it is closed wait 8 hours on average: 16/3 hours in all.
        let mut scenario = one_stage(
            200,
            8.0,
            ServiceTime {
                mean_hours: 0.1,
                cv: Some(0.0),
            },
        );
        scenario.days = 1000.0;
        let outcome = simulate(&scenario, 3);
        let wait = outcome.stages[0].wait_days_mean.unwrap();
        assert!((wait - 16.0 / 3.0 / 24.0).abs() < 0.005, "{wait}");
        assert!(outcome.stages[0].utilisation < 0.02);
    }

    #[test]
    fn an_overloaded_stage_grows_a_backlog_and_is_the_bottleneck() {
        let mut scenario = one_stage(
            1,
            8.0,
            ServiceTime {
                mean_hours: 1.0,
                cv: None,
            },
        );
        scenario.stages.insert(
            0,
            Stage {
                name: "light".to_owned(),
                servers: 20,
                service: ServiceTime {
                    mean_hours: 0.2,
                    cv: None,
                },
                hours_per_day: 8.0,
                leave_probability: 0.0,
                visits: 1,
            },
        );
        let outcome = simulate(&scenario, 5);
        assert_eq!(outcome.bottleneck, 1);
        assert!(
            outcome.stages[1].utilisation > 0.99,
            "{:?}",
            outcome.stages[1]
        );
        // 20 a day arrive, 8 a day can be served: about 12 a day pile up over 60 days.
        assert!(outcome.backlog_at_end > 600, "{}", outcome.backlog_at_end);
        assert!(
            (outcome.decided_per_day - 8.0).abs() < 1.0,
            "{}",
            outcome.decided_per_day
        );
    }

    #[test]
    fn leavers_are_not_decisions_and_the_rest_pass_on() {
        let mut scenario = one_stage(
            50,
            24.0,
            ServiceTime {
                mean_hours: 0.5,
                cv: None,
            },
        );
        scenario.days = 400.0;
        scenario.stages[0].leave_probability = 0.25;
        scenario.stages.push(Stage {
            name: "second".to_owned(),
            ..scenario.stages[0].clone()
        });
        scenario.stages[1].leave_probability = 0.0;
        let outcome = simulate(&scenario, 11);
        let passing = outcome.stages[1].entered_per_day / outcome.stages[0].entered_per_day;
        assert!((passing - 0.75).abs() < 0.02, "{passing}");
        assert!((outcome.left_per_day / outcome.arrived_per_day - 0.25).abs() < 0.02);
        assert!((outcome.decided_per_day / outcome.arrived_per_day - 0.75).abs() < 0.02);
    }

    #[test]
    fn an_application_back_at_closing_time_goes_before_the_nights_arrivals() {
        // One server, 8-hour days, services of a full working day, two visits each. A arrives at 08:00 and is
        // served 09:00-17:00, back in the queue at 17:00; B arrives at 20:00. Both join at the same instant of
        // the work clock, but A was first: A's second visit is day 1, B's two visits days 2 and 3.
        let stage = Stage {
            name: "polygraph".to_owned(),
            servers: 1,
            service: ServiceTime {
                mean_hours: 8.0,
                cv: Some(0.0),
            },
            hours_per_day: 8.0,
            leave_probability: 0.0,
            visits: 2,
        };
        let draws = StageDraws {
            service_hours: vec![8.0; 4],
            leaves: Vec::new(),
        };
        let entrants = [Entrant { id: 0, wall: 8.0 }, Entrant { id: 1, wall: 20.0 }];
        let window = Window {
            from: 0.0,
            to: 24.0 * 10.0,
        };
        let mut exits = vec![Exit::Pending; 2];
        let mut waits = vec![0.0; 2];
        let (outcome, next) = run_stage(
            &stage, &draws, &entrants, window, true, &mut exits, &mut waits,
        );
        assert!(next.is_empty());
        assert_eq!(
            exits,
            [Exit::Decided(24.0 + 17.0), Exit::Decided(3.0 * 24.0 + 17.0)]
        );
        // A waited 1 hour then 16 (17:00 to 09:00); B 37 hours then 16.
        assert_eq!(waits, [17.0, 53.0]);
        assert_eq!(outcome.wait_days_mean, Some(35.0 / 24.0));
    }

    #[test]
    fn repeated_visits_double_the_work() {
        let mut scenario = one_stage(
            50,
            24.0,
            ServiceTime {
                mean_hours: 1.0,
                cv: None,
            },
        );
        scenario.days = 400.0;
        let once = simulate(&scenario, 2).stages[0].utilisation;
        scenario.stages[0].visits = 2;
        let twice = simulate(&scenario, 2).stages[0].utilisation;
        // 20 a day × 1 hour over 50 × 24 server hours: 1/60 for one visit.
        assert!((once - 1.0 / 60.0).abs() < 0.001, "{once}");
        assert!((twice / once - 2.0).abs() < 0.05, "{once} {twice}");
    }
}
