//! `cargo bench -p sito-plan --bench schedule`: the parts of `sito plan` that set its pace, on generated
//! instances of the contract's family: the construction plus a fixed amount of search (a work budget, so the
//! measure is of speed, not of the clock), and the bound alone. The objective against CP-SAT is measured by
//! bench/planning/run.sh, not here.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark on generated input: failing loudly is right
use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use sito_plan::schedule::{Instance, SolveOptions, generate, solve};

fn schedule(c: &mut Criterion) {
    let mut group = c.benchmark_group("schedule");
    group.sample_size(10);
    for size in [300_usize, 2_000] {
        let instance =
            Instance::from_file(generate(size, 7)).expect("generated instances are valid");
        let options = SolveOptions {
            time_limit: Duration::from_secs(60),
            work_limit: Some(20_000_000),
            ..SolveOptions::default()
        };
        group.bench_function(format!("solve, {size} candidates, 20M work units"), |b| {
            b.iter(|| {
                solve(black_box(&instance), &options)
                    .unwrap()
                    .plan
                    .objective
            })
        });
    }
    group.finish();
}

criterion_group!(benches, schedule);
criterion_main!(benches);
