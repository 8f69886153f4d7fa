//! `cargo bench -p sito-plan --bench simulate`: a year at 500 applications a day through the default pipeline
//! (scenarios/year-500.toml), and the inverse question on it. The end-to-end command is timed by the script in
//! docs/simulation.md.
#![allow(clippy::expect_used)] // a benchmark with a broken fixture should stop loudly
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use sito_plan::simulate::{DEFAULT_SEED, Scenario, simulate, solve_servers};

const YEAR_AT_500: &str = include_str!("../../../scenarios/year-500.toml");

fn year_at_500(c: &mut Criterion) {
    let scenario = Scenario::from_toml_str(YEAR_AT_500).expect("the benchmark scenario is valid");
    c.bench_function("simulate: year at 500 a day, 8 stages", |b| {
        b.iter(|| simulate(black_box(&scenario), DEFAULT_SEED))
    });
    let mut group = c.benchmark_group("solve");
    group.sample_size(10);
    group.bench_function("solve_servers: polygraph, year at 500 a day", |b| {
        b.iter(|| solve_servers(black_box(&scenario), "polygraph", 3.0, DEFAULT_SEED))
    });
    group.finish();
}

criterion_group!(benches, year_at_500);
criterion_main!(benches);
