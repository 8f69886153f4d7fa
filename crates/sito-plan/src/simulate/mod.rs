//! The discrete-event capacity simulation (contracts/simulate.md).
//!
//! [`Scenario`] is what to simulate (parsed from TOML, or estimated from observations by [`estimate_scenario`]),
//! [`simulate`] plays it out and returns an [`Outcome`], [`solve_servers`] answers the inverse question, and
//! [`chart_svg`] draws an outcome. Everything here is pure: no files, no clocks, randomness only from the seed.
//! How the model works and what each figure means: docs/simulation.md.

mod chart;
mod clock;
mod engine;
mod estimate;
mod scenario;
mod solve;

pub use chart::chart_svg;
pub use clock::DAY_OPENS_AT;
pub use engine::{DEFAULT_SEED, DayPoint, Outcome, StageOutcome, Summary, simulate};
pub use estimate::{
    EstimateError, EstimatedParts, Horizon, Observations, StageObservations, estimate_parts,
    estimate_scenario, working_hours_between,
};
pub use scenario::{Scenario, ScenarioError, ServiceTime, Stage};
pub use solve::{ServerSolution, SolveError, solve_servers};
