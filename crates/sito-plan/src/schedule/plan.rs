//! The plan: the contract's output JSON, also the shape of pinned assignments handed in by a caller.
use serde::{Deserialize, Serialize};

use super::instance::{Instance, TaskKind};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub objective: f64,
    /// An upper bound on the objective of any valid plan (see docs/planning.md); absent in plans from elsewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upper_bound: Option<f64>,
    pub assignments: Vec<Assignment>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    pub candidate: String,
    pub location: String,
    pub arrive_day: u32,
    pub leave_day: u32,
    pub tasks: Vec<Task>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    pub kind: TaskKind,
    pub staff: String,
    pub day: u32,
    pub slot: u32,
}

impl Plan {
    pub fn empty() -> Self {
        Self {
            objective: 0.0,
            upper_bound: None,
            assignments: Vec::new(),
        }
    }

    /// The contract's objective for these assignments, summed in plan order. Unknown candidates count nothing
    /// (the checker reports them).
    pub fn objective_of(instance: &Instance, assignments: &[Assignment]) -> f64 {
        assignments
            .iter()
            .filter_map(|assignment| instance.candidate_by_id(&assignment.candidate))
            .map(|index| instance.candidates[index].value())
            .sum::<f64>()
            // An empty f64 sum is -0.0; the contract's empty plan says 0.
            + 0.0
    }
}
