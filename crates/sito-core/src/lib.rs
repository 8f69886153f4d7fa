//! sito-core: the domain of Sito — roles, field groups, cases, the pipeline as data, the pure state machine that
//! decides what a command does to a case, and the need-to-know policy.
//!
//! Architecture invariant: this crate does no I/O. It never reads a clock, a file or a socket: callers pass times,
//! file contents and identifiers in. That keeps every rule here testable by folding plain values.
#![forbid(unsafe_code)]

pub mod actions;
pub mod dossier;
pub mod findings;
pub mod flow;
pub mod ids;
pub mod machine;
pub mod model;
pub mod pipeline;
pub mod planning;
pub mod policy;
pub mod refusal;
pub mod sensitive;
pub mod validate;

pub use ids::{CaseId, StaffId, UnitId};
pub use machine::{CaseState, Command, Event, EventKind, Refusal, Status};
pub use model::{Category, FieldGroup, Phase, Role};
pub use pipeline::{Pipeline, PipelineError};
pub use policy::{Access, CaseContent, GroupContent, Permit};
pub use sensitive::Sensitive;

/// The default pipeline of DESIGN.md section 2, embedded so `sito demo` needs no file beside the binary.
pub const DEFAULT_PIPELINE_TOML: &str = include_str!("../../../pipelines/legion.toml");
pub const DEFAULT_PIPELINE_PATH: &str = "pipelines/legion.toml";
