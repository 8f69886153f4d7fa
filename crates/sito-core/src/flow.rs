//! The flow of cases between stages, as capacity planning reads it from the event log: when cases arrived, moved
//! on, left and came back, and which staff member moved them. No case id (cases are numbered within one answer),
//! no content, no notes or reasons. The store produces these values; `sito-plan` estimates from them.
use crate::StaffId;
use crate::machine::Closure;

/// One step of one case through the pipeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowEvent {
    /// The case, as a number valid within one answer only: equal numbers are the same case.
    pub case: u32,
    pub at: i64,
    pub actor: Option<StaffId>,
    pub kind: FlowKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FlowKind {
    Received {
        stage: String,
    },
    Advanced {
        from: String,
        to: String,
    },
    Closed {
        closure: Closure,
    },
    /// A closed case taken up again at the stage it was closed at.
    Reopened,
}
