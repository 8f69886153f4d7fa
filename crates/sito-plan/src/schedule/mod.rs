//! The vetting scheduler (contracts/plan.md): which candidates to bring to which safe location, when, and with
//! which psychologist and examiners, to maximise the sum of `priority + waiting_days / 30` over those scheduled.
//!
//! - [`Instance::from_json`] parses and validates an instance (typed [`InstanceError`]s).
//! - [`solve`] builds a plan within the time limit, deterministically, keeping [`SolveOptions::pinned`]
//!   assignments as given, and reports an upper bound beside the objective.
//! - [`validate`] checks a plan against every rule of the contract, independently of the solver.
//! - [`generate`] draws random instances of the contract's family, for tests and benchmarks.
//!
//! Architecture invariant: no I/O here; the binary reads files and prints.
mod bound;
mod check;
mod generate;
mod instance;
mod plan;
mod solve;
mod state;

pub use check::{Violation, validate};
pub use generate::generate;
pub use instance::{
    Candidate, CandidateFile, DurationsFile, Instance, InstanceError, InstanceFile, Location,
    LocationFile, MAX_DAYS, MAX_SLOTS_PER_DAY, Role, Staff, StaffFile, TaskKind,
};
pub use plan::{Assignment, Plan, Task};
pub use solve::{
    Progress, Solution, SolveError, SolveOptions, SolveStats, WORK_PER_SECOND, solve,
    solve_with_progress,
};
