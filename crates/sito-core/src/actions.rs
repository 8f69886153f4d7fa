//! What an actor can do to a case now, for pages to show every action with its button enabled or disabled and,
//! when disabled, the refusal (a key and arguments the page translates) that says why.
use crate::findings::Findings;
use crate::ids::UnitId;
use crate::machine::{Actor, CaseState, Command, Refusal};
use crate::model::Phase;
use crate::pipeline::{Guard, Pipeline};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Record a check of the stage (with its findings, if the check declares any).
    RecordCheck {
        check: String,
    },
    RecordExamination,
    Approve,
    Advance,
    AssignUnit,
}

impl Action {
    pub const fn key(&self) -> &'static str {
        match self {
            Self::RecordCheck { .. } => "record_check",
            Self::RecordExamination => "record_examination",
            Self::Approve => "approve",
            Self::Advance => "advance",
            Self::AssignUnit => "assign_unit",
        }
    }
}

/// One action and why it is disabled (`None` when it can run).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Availability {
    pub action: Action,
    pub disabled: Option<Refusal>,
}

impl Availability {
    pub fn enabled(&self) -> bool {
        self.disabled.is_none()
    }
}

/// Every action the case's stage offers, for this actor. Findings are not judged here (the form collects them):
/// a check is enabled when the actor may record it. Booking checks are not listed: planning sets them. Unit
/// capacity is judged when the unit is chosen, so assignment is enabled here if everything else is ready.
pub fn available(pipeline: &Pipeline, case: &CaseState, actor: Actor) -> Vec<Availability> {
    let Some(stage) = pipeline.stage(&case.stage) else {
        return Vec::new();
    };
    let probe = |command: Command| {
        let result = case.decide(pipeline, actor, &command);
        match result {
            Ok(_) => None,
            Err(
                Refusal::FindingRequired { .. }
                | Refusal::FindingInvalid { .. }
                | Refusal::FindingUndeclared { .. },
            ) => None,
            Err(refusal) => Some(refusal),
        }
    };
    let mut actions = Vec::new();
    if matches!(stage.phase, Phase::FirstPolygraph | Phase::SecondPolygraph) {
        actions.push(Availability {
            action: Action::RecordExamination,
            disabled: probe(Command::RecordExamination {
                outcome: crate::machine::PolygraphOutcome::Inconclusive,
                findings: Findings::new(),
            }),
        });
    } else {
        for check in stage
            .checklist
            .iter()
            .filter(|check| !pipeline.is_booking_check(check))
            .filter(|check| !case.checks_done.contains(*check))
        {
            actions.push(Availability {
                action: Action::RecordCheck {
                    check: check.clone(),
                },
                disabled: probe(Command::RecordCheck {
                    check: check.clone(),
                    findings: Findings::new(),
                }),
            });
        }
    }
    if stage.guards.contains(&Guard::TwoApprovals) {
        actions.push(Availability {
            action: Action::Approve,
            disabled: probe(Command::Approve),
        });
    }
    if stage.guards.contains(&Guard::UnitCapacity) {
        actions.push(Availability {
            action: Action::AssignUnit,
            disabled: probe(Command::AssignUnit {
                unit: UnitId::from_uuid(uuid::Uuid::nil()),
                assigned: 0,
                target: u32::MAX,
            }),
        });
    } else if pipeline.next_stage(case.category, &stage.id).is_some() {
        actions.push(Availability {
            action: Action::Advance,
            disabled: probe(Command::Advance {
                note: String::new(),
            }),
        });
    }
    actions
}
