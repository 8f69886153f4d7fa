//! Properties of the simulation that hold for any valid scenario, and the shipped example scenarios.
use proptest::prelude::*;
use sito_plan::simulate::{
    DEFAULT_SEED, Horizon, Observations, Scenario, ServiceTime, Stage, StageObservations,
    estimate_scenario, simulate, solve_servers,
};

fn stage_strategy() -> impl Strategy<Value = Stage> {
    (
        1u32..12,
        0.05f64..4.0,
        prop::option::of(0.0f64..2.0),
        prop_oneof![Just(24.0), Just(8.0), 2.0f64..24.0],
        prop_oneof![Just(0.0), 0.0f64..=1.0],
        1u32..4,
    )
        .prop_map(
            |(servers, mean_hours, cv, hours_per_day, leave_probability, visits)| Stage {
                name: String::new(),
                servers,
                service: ServiceTime { mean_hours, cv },
                hours_per_day,
                leave_probability,
                visits,
            },
        )
}

fn scenario_strategy() -> impl Strategy<Value = Scenario> {
    (
        5.0f64..60.0,
        0.0f64..0.9,
        0.5f64..40.0,
        prop::collection::vec(stage_strategy(), 1..5),
    )
        .prop_map(|(days, warmup_share, arrivals_per_day, mut stages)| {
            for (index, stage) in stages.iter_mut().enumerate() {
                stage.name = format!("stage_{index}");
            }
            Scenario {
                days,
                warmup_days: (days * warmup_share).floor(),
                arrivals_per_day,
                stages,
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    /// Whatever the scenario, stable or overloaded, the figures are finite, in range and consistent.
    #[test]
    fn outcomes_are_well_formed(scenario in scenario_strategy(), seed in 0u64..1000) {
        prop_assert!(scenario.validate().is_ok());
        let outcome = simulate(&scenario, seed);
        prop_assert_eq!(outcome.stages.len(), scenario.stages.len());
        prop_assert!(outcome.bottleneck < outcome.stages.len());
        for stage in &outcome.stages {
            prop_assert!((0.0..=1.0 + 1e-9).contains(&stage.utilisation), "{:?}", stage);
            prop_assert!(stage.queue_mean.is_finite() && stage.queue_mean >= 0.0);
            prop_assert!(stage.wait_days_mean.is_none_or(|wait| wait.is_finite() && wait >= 0.0));
        }
        let bottleneck = outcome.stages[outcome.bottleneck].utilisation;
        prop_assert!(outcome.stages.iter().all(|stage| stage.utilisation <= bottleneck));
        if let Some(decision) = outcome.time_to_decision {
            prop_assert!(decision.mean > 0.0 && decision.p50 <= decision.p90);
            prop_assert!(decision.p90 <= scenario.days);
        }
        // Nobody is decided faster than the office could have served them: at least the mean-free lower bound
        // of zero, and nobody outlives the horizon in the system.
        prop_assert!(outcome.decided_per_day >= 0.0 && outcome.in_system_mean >= 0.0);
        // The daily series ends where the backlog figure does.
        let last = outcome.daily.last().map(|point| point.backlog);
        prop_assert_eq!(last, Some(outcome.backlog_at_end));
        // Flow: what arrived in the window is at most what left, was decided, or is still in the system, plus
        // what was already there at its start.
        let window_days = scenario.days - scenario.warmup_days;
        let arrived = (outcome.arrived_per_day * window_days).round() as i64;
        let gone = ((outcome.decided_per_day + outcome.left_per_day) * window_days).round() as i64;
        let before = if scenario.warmup_days > 0.0 {
            outcome.daily[scenario.warmup_days as usize - 1].backlog as i64
        } else {
            0
        };
        prop_assert_eq!(before + arrived - gone, outcome.backlog_at_end as i64);
    }

    /// At a single stage with one visit, more servers never serve anybody later: with the same applicants and
    /// service times (common random numbers) each start is the arrival or the earliest free server, and adding
    /// a server only makes servers free earlier. So the backlog and the mean number in the system cannot grow.
    /// (Across several stages this holds on average, not for every sample: applications tied to their own
    /// service times can change order between stages.)
    #[test]
    fn more_servers_never_serve_anybody_later(scenario in scenario_strategy(), extra in 1u32..5) {
        let mut single = scenario.clone();
        single.stages.truncate(1);
        single.stages[0].visits = 1;
        let mut staffed = single.clone();
        staffed.stages[0].servers += extra;
        let before = simulate(&single, DEFAULT_SEED);
        let after = simulate(&staffed, DEFAULT_SEED);
        prop_assert!(after.backlog_at_end <= before.backlog_at_end);
        prop_assert!(after.in_system_mean <= before.in_system_mean + 1e-9);
        prop_assert!(after.stages[0].queue_mean <= before.stages[0].queue_mean + 1e-9);
    }
}

/// Every example in scenarios/ parses and runs, and its stages are all reached.
#[test]
fn the_shipped_scenarios_run() {
    let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scenarios");
    let mut count = 0;
    for entry in std::fs::read_dir(folder).expect("scenarios/ exists") {
        let path = entry.expect("readable entry").path();
        if path.extension().is_none_or(|extension| extension != "toml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("readable scenario");
        let mut scenario = Scenario::from_toml_str(&text)
            .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        // Keep the test quick: a shorter horizon says as much about whether the file is sound.
        scenario.days = scenario.days.min(scenario.warmup_days + 120.0);
        let outcome = simulate(&scenario, DEFAULT_SEED);
        assert!(outcome.time_to_decision.is_some(), "{}", path.display());
        assert!(
            outcome
                .stages
                .iter()
                .all(|stage| stage.wait_days_mean.is_some()),
            "{}",
            path.display()
        );
        count += 1;
    }
    assert!(count >= 2, "expected example scenarios in {folder}");
}

/// The planning loop the staff site will run: observe the office, estimate a scenario, simulate it, and find
/// the figures of the office that produced the observations.
#[test]
fn a_scenario_estimated_from_a_run_reproduces_the_run() {
    let truth = Scenario {
        days: 400.0,
        warmup_days: 40.0,
        arrivals_per_day: 60.0,
        stages: vec![
            Stage {
                name: "scrutiny".to_owned(),
                servers: 12,
                service: ServiceTime {
                    mean_hours: 1.2,
                    cv: Some(0.5),
                },
                hours_per_day: 8.0,
                leave_probability: 0.25,
                visits: 1,
            },
            Stage {
                name: "polygraph".to_owned(),
                servers: 20,
                service: ServiceTime {
                    mean_hours: 2.5,
                    cv: None,
                },
                hours_per_day: 8.0,
                leave_probability: 0.0,
                visits: 2,
            },
        ],
    };
    // What an event log of that office would show, drawn the way the scenario says.
    use rand::SeedableRng;
    use rand_distr::{Distribution, Exp, LogNormal};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(42);
    let gaps = Exp::new(60.0 / 86_400.0).expect("positive rate");
    let mut at = 0.0;
    let arrivals: Vec<i64> = (0..24_000)
        .map(|_| {
            at += gaps.sample(&mut rng);
            at as i64
        })
        .collect();
    let scrutiny: Vec<f64> = LogNormal::from_mean_cv(1.2, 0.5)
        .expect("valid")
        .sample_iter(&mut rng)
        .take(18_000)
        .collect();
    let polygraph: Vec<f64> = Exp::new(1.0 / 2.5)
        .expect("valid")
        .sample_iter(&mut rng)
        .take(27_000)
        .collect();
    let observations = Observations {
        arrivals_unix_seconds: arrivals,
        window_unix_seconds: None,
        stages: vec![
            StageObservations {
                name: "scrutiny".to_owned(),
                service_hours: scrutiny,
                left: 6_000,
                passed: 18_000,
                servers: 12,
                hours_per_day: 8.0,
                visits: 1,
            },
            StageObservations {
                name: "polygraph".to_owned(),
                service_hours: polygraph,
                left: 0,
                passed: 13_500,
                servers: 20,
                hours_per_day: 8.0,
                visits: 2,
            },
        ],
    };
    let estimated = estimate_scenario(
        &observations,
        Horizon {
            days: 400.0,
            warmup_days: 40.0,
        },
    )
    .expect("estimable");
    assert_eq!(estimated.stages[1].service.cv, None);
    assert!(estimated.stages[0].service.cv.is_some());
    let expected = simulate(&truth, 1)
        .time_to_decision
        .expect("decisions")
        .mean;
    let got = simulate(&estimated, 1)
        .time_to_decision
        .expect("decisions")
        .mean;
    assert!(
        (got - expected).abs() / expected < 0.1,
        "estimated {got:.2} days vs true {expected:.2}"
    );
    // And it can be asked the inverse question straight away.
    let solution = solve_servers(&estimated, "polygraph", expected * 1.5, 1).expect("reachable");
    assert!(solution.servers <= 20);
}
