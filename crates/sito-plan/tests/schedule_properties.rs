//! Property tests on small random instances of the contract's family: every plan passes the crate's checker,
//! stays under its bound, is the same on a second run, and keeps pinned assignments as given.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test
use std::time::Duration;

use proptest::prelude::*;
use sito_plan::schedule::{Instance, SolveOptions, generate, solve, validate};

/// A fixed work budget and a clock far away, so the runs are deterministic however loaded the machine is.
fn options(work: u64) -> SolveOptions {
    SolveOptions {
        time_limit: Duration::from_secs(30),
        work_limit: Some(work),
        ..SolveOptions::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn random_instances_give_valid_deterministic_plans(size in 1_usize..60, seed in any::<u64>()) {
        let instance = Instance::from_file(generate(size, seed)).unwrap();
        let first = solve(&instance, &options(150_000)).unwrap();
        let violations = validate(&instance, &first.plan);
        prop_assert!(violations.is_empty(), "{:?}", violations);
        prop_assert!(first.upper_bound + 1e-6 >= first.plan.objective);
        let second = solve(&instance, &options(150_000)).unwrap();
        prop_assert!(!first.stats.stopped_by_clock);
        prop_assert_eq!(&first.plan, &second.plan);
    }

    #[test]
    fn pinned_assignments_are_kept(size in 5_usize..40, seed in any::<u64>(), keep in 1_usize..4) {
        let instance = Instance::from_file(generate(size, seed)).unwrap();
        let full = solve(&instance, &options(100_000)).unwrap();
        let pinned: Vec<_> = full.plan.assignments.iter().rev().take(keep).cloned().collect();
        let replanned = solve(&instance, &SolveOptions { pinned: pinned.clone(), ..options(100_000) }).unwrap();
        prop_assert!(validate(&instance, &replanned.plan).is_empty());
        for assignment in &pinned {
            prop_assert!(replanned.plan.assignments.contains(assignment));
        }
    }
}
