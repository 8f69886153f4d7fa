//! Hand-made cases: an instance where nothing fits, malformed instances, invalid pins, and the checker
//! catching each rule.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test
use std::time::Duration;

use sito_plan::schedule::{Instance, InstanceError, SolveError, SolveOptions, solve, validate};

const SMALL: &str = r#"{
  "days": 2, "slots_per_day": 8, "durations": {"interview": 2, "polygraph": 3}, "min_gap_slots": 1,
  "locations": [{"id": "safe-1", "capacity": 1}],
  "staff": [
    {"id": "psy-1", "role": "psychologist", "location": "safe-1", "available_days": [0, 1]},
    {"id": "poly-1", "role": "examiner", "location": "safe-1", "available_days": [0, 1], "max_tasks_per_day": 2},
    {"id": "poly-2", "role": "examiner", "location": "safe-1", "available_days": [0, 1]}
  ],
  "candidates": [
    {"id": "c-1", "priority": 3, "waiting_days": 40, "earliest_day": 0, "locations": ["safe-1"]},
    {"id": "c-2", "priority": 5, "waiting_days": 10, "earliest_day": 0, "locations": ["safe-1"]}
  ]
}"#;

fn quick() -> SolveOptions {
    SolveOptions {
        time_limit: Duration::from_millis(50),
        ..SolveOptions::default()
    }
}

#[test]
fn the_best_candidate_is_chosen_when_only_one_fits() {
    let instance = Instance::from_json(SMALL).unwrap();
    let solution = solve(&instance, &quick()).unwrap();
    assert!(validate(&instance, &solution.plan).is_empty());
    assert_eq!(
        solution.plan.assignments.len(),
        1,
        "capacity 1 on both days, one candidate a day at most"
    );
    // Interview, polygraph and gap do not fit in one day, so each stay takes both days: c-2 (5 + 10/30) beats
    // c-1 (3 + 40/30).
    assert_eq!(solution.plan.assignments[0].candidate, "c-2");
    assert!((solution.plan.objective - (5.0 + 10.0 / 30.0)).abs() < 1e-12);
    assert!(
        solution.upper_bound < 5.0 + 10.0 / 30.0 + 3.0 + 40.0 / 30.0,
        "the bound sees that one fits"
    );
}

#[test]
fn nothing_fits_gives_an_empty_valid_plan() {
    // A polygraph longer than the day: no one can ever be scheduled, which is not malformed.
    let text = SMALL.replace(r#""polygraph": 3"#, r#""polygraph": 9"#);
    let instance = Instance::from_json(&text).unwrap();
    let solution = solve(&instance, &quick()).unwrap();
    assert!(solution.plan.assignments.is_empty());
    assert_eq!(solution.plan.objective, 0.0);
    assert!(validate(&instance, &solution.plan).is_empty());
    assert_eq!(solution.upper_bound, 0.0);

    // No staff at all, and a location with no room: empty too.
    for text in [
        SMALL.replace(r#""role": "psychologist""#, r#""role": "examiner""#),
        SMALL.replace(r#""capacity": 1"#, r#""capacity": 0"#),
    ] {
        let instance = Instance::from_json(&text).unwrap();
        let solution = solve(&instance, &quick()).unwrap();
        assert!(solution.plan.assignments.is_empty());
        assert!(validate(&instance, &solution.plan).is_empty());
    }
}

#[test]
fn malformed_instances_are_refused_with_a_reason() {
    let cases: &[(String, &str)] = &[
        ("{".to_string(), "EOF"),
        (
            SMALL.replace(r#""days": 2"#, r#""days": 0"#),
            "days must be at least 1",
        ),
        (
            SMALL.replace(r#""priority": 3"#, r#""priority": 7"#),
            "priority 7",
        ),
        (
            SMALL.replace(r#""priority": 3"#, r#""priority": 3.5"#),
            "expected u32 at line 10",
        ),
        (
            SMALL.replace(
                r#""location": "safe-1", "available_days": [0, 1]}"#,
                r#""location": "x", "available_days": [0]}"#,
            ),
            "unknown location",
        ),
        (
            SMALL.replace(r#""id": "c-2""#, r#""id": "c-1""#),
            "duplicate id",
        ),
        (
            SMALL.replace(r#""role": "examiner""#, r#""role": "driver""#),
            "unknown variant",
        ),
        (
            SMALL.replace(r#""waiting_days": 40, "#, ""),
            "missing field `waiting_days`",
        ),
        (
            SMALL.replace(r#""slots_per_day": 8"#, r#""slots_per_day": 65"#),
            "slots_per_day",
        ),
    ];
    for (text, expected) in cases {
        let error = Instance::from_json(text).expect_err(expected);
        assert!(
            error.to_string().contains(expected),
            "{error} should mention {expected}"
        );
        if let InstanceError::Json(json) = &error {
            assert!(json.line() >= 1, "JSON errors carry a line");
        }
    }
}

#[test]
fn invalid_pins_are_refused() {
    let instance = Instance::from_json(SMALL).unwrap();
    let solution = solve(&instance, &quick()).unwrap();
    let mut pin = solution.plan.assignments[0].clone();
    pin.tasks[2].staff = pin.tasks[1].staff.clone();
    let result = solve(
        &instance,
        &SolveOptions {
            pinned: vec![pin],
            ..quick()
        },
    );
    assert!(
        matches!(result, Err(SolveError::Pinned { index: 0, .. })),
        "{result:?}"
    );

    let mut twice = solution.plan.assignments.clone();
    twice.push(twice[0].clone());
    let result = solve(
        &instance,
        &SolveOptions {
            pinned: twice,
            ..quick()
        },
    );
    assert!(result.is_err());
}

#[test]
fn the_checker_reports_each_broken_rule() {
    let instance = Instance::from_json(SMALL).unwrap();
    let good = solve(&instance, &quick()).unwrap().plan;
    assert!(validate(&instance, &good).is_empty());
    let rules_of = |plan: &sito_plan::schedule::Plan| {
        validate(&instance, plan)
            .iter()
            .map(|v| v.rule)
            .collect::<Vec<_>>()
    };

    let mut plan = good.clone();
    plan.assignments[0].tasks[0].slot = 7; // interview [7, 9) leaves the day, and ends after polygraph 1
    assert!(rules_of(&plan).contains(&1));

    let mut plan = good.clone();
    plan.assignments[0].tasks[2].staff = plan.assignments[0].tasks[1].staff.clone();
    assert!(rules_of(&plan).contains(&3));

    let mut plan = good.clone();
    plan.assignments[0].arrive_day = 1;
    plan.assignments[0].leave_day = 1;
    plan.assignments[0].tasks.iter_mut().for_each(|t| t.day = 0);
    assert!(rules_of(&plan).contains(&4));

    let mut plan = good.clone();
    plan.assignments.push(plan.assignments[0].clone());
    plan.objective *= 2.0;
    assert!(rules_of(&plan).contains(&5));

    let mut plan = good.clone();
    plan.objective += 0.01;
    assert!(rules_of(&plan).contains(&6));

    // Two candidates on one examiner at the same time, and the location over capacity.
    let mut plan = good.clone();
    let mut other = plan.assignments[0].clone();
    other.candidate = if other.candidate == "c-1" {
        "c-2".into()
    } else {
        "c-1".into()
    };
    plan.assignments.push(other);
    plan.objective = sito_plan::schedule::Plan::objective_of(&instance, &plan.assignments);
    let rules = rules_of(&plan);
    assert!(rules.contains(&2) && rules.contains(&4), "{rules:?}");
}
