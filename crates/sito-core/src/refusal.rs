//! Why the state machine refused a command: each refusal names what is missing, with a stable key and arguments
//! a user interface translates.
use crate::model::{Role, Status};
use crate::validate::Problem;

/// Why a command was refused. Every refusal names what is missing, so staff know what to do next.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the case is {} and can't be changed until it is reopened", .0.as_str())]
    NotActive(Status),
    #[error("only the {required} may do this at this stage")]
    WrongRole { required: Role },
    #[error("`{0}` is not on this stage's checklist")]
    NotOnChecklist(String),
    #[error("`{0}` is already ticked")]
    AlreadyTicked(String),
    #[error("the checklist is incomplete: {}", .0.join(", "))]
    ChecklistIncomplete(Vec<String>),
    #[error("{0} screening flag(s) are unresolved")]
    OpenFlags(usize),
    #[error("the second polygraph must be done by another examiner than the first")]
    SameExaminer,
    #[error("the examination of this stage is already recorded")]
    AlreadyRecorded,
    #[error("record the examination instead of ticking it")]
    RecordInstead,
    #[error("two different board members must approve ({0} so far)")]
    NeedTwoApprovals(usize),
    #[error("you have already approved this case")]
    AlreadyApproved,
    #[error("this stage takes no {0}")]
    NotHere(&'static str),
    #[error("the unit is at its target strength of {0}")]
    UnitFull(u32),
    #[error("choose a unit to assign the case to")]
    UnitRequired,
    #[error("required check `{0}` of an earlier stage is not done")]
    EarlierCheckMissing(String),
    #[error("the case is at the end of its track")]
    EndOfTrack,
    #[error("a reason is required")]
    ReasonRequired,
    #[error("the case is not closed")]
    NotClosed,
    #[error("no open flag `{0}`")]
    UnknownFlag(String),
    #[error("flag `{0}` is already open")]
    FlagAlreadyOpen(String),
    #[error("the case's stage `{0}` is not in the pipeline")]
    UnknownStage(String),
    #[error("`{check}` needs the finding `{field}`")]
    FindingRequired { check: String, field: String },
    #[error("finding `{field}` of `{check}`: {problem}")]
    FindingInvalid {
        check: String,
        field: String,
        problem: Problem,
    },
    #[error("`{check}` has no finding `{field}`")]
    FindingUndeclared { check: String, field: String },
    #[error("`{0}` is set by the planning commit, not by hand")]
    SetByPlanning(String),
    #[error("no visit is booked for this case")]
    NoVisitBooked,
    #[error("there is nothing to book at this stage")]
    NothingToBook,
}

impl Refusal {
    /// A stable key for the UI to translate (Fluent id), e.g. `refusal-finding-required`.
    pub const fn key(&self) -> &'static str {
        match self {
            Self::NotActive(_) => "refusal-not-active",
            Self::WrongRole { .. } => "refusal-wrong-role",
            Self::NotOnChecklist(_) => "refusal-not-on-checklist",
            Self::AlreadyTicked(_) => "refusal-already-ticked",
            Self::ChecklistIncomplete(_) => "refusal-checklist-incomplete",
            Self::OpenFlags(_) => "refusal-open-flags",
            Self::SameExaminer => "refusal-same-examiner",
            Self::AlreadyRecorded => "refusal-already-recorded",
            Self::RecordInstead => "refusal-record-instead",
            Self::NeedTwoApprovals(_) => "refusal-need-two-approvals",
            Self::AlreadyApproved => "refusal-already-approved",
            Self::NotHere(_) => "refusal-not-here",
            Self::UnitFull(_) => "refusal-unit-full",
            Self::UnitRequired => "refusal-unit-required",
            Self::EarlierCheckMissing(_) => "refusal-earlier-check-missing",
            Self::EndOfTrack => "refusal-end-of-track",
            Self::ReasonRequired => "refusal-reason-required",
            Self::NotClosed => "refusal-not-closed",
            Self::UnknownFlag(_) => "refusal-unknown-flag",
            Self::FlagAlreadyOpen(_) => "refusal-flag-already-open",
            Self::UnknownStage(_) => "refusal-unknown-stage",
            Self::FindingRequired { .. } => "refusal-finding-required",
            Self::FindingInvalid { .. } => "refusal-finding-invalid",
            Self::FindingUndeclared { .. } => "refusal-finding-undeclared",
            Self::SetByPlanning(_) => "refusal-set-by-planning",
            Self::NoVisitBooked => "refusal-no-visit-booked",
            Self::NothingToBook => "refusal-nothing-to-book",
        }
    }

    /// The key's arguments: check and stage ids, field keys, roles and counts (ids the UI labels in its language).
    /// A `FindingInvalid` carries the validation problem's key as `problem` and that problem's own arguments.
    pub fn args(&self) -> Vec<(&'static str, String)> {
        let one = |name: &'static str, value: &dyn ToString| vec![(name, value.to_string())];
        match self {
            Self::NotActive(status) => one("status", status),
            Self::WrongRole { required } => one("role", required),
            Self::NotOnChecklist(check)
            | Self::AlreadyTicked(check)
            | Self::EarlierCheckMissing(check)
            | Self::SetByPlanning(check) => one("check", check),
            Self::ChecklistIncomplete(checks) => vec![
                ("checks", checks.join(", ")),
                ("count", checks.len().to_string()),
            ],
            Self::OpenFlags(count) | Self::NeedTwoApprovals(count) => one("count", count),
            Self::NotHere(what) => one("what", what),
            Self::UnitFull(target) => one("target", target),
            Self::UnknownFlag(flag) | Self::FlagAlreadyOpen(flag) => one("flag", flag),
            Self::UnknownStage(stage) => one("stage", stage),
            Self::FindingRequired { check, field } | Self::FindingUndeclared { check, field } => {
                vec![("check", check.clone()), ("field", field.clone())]
            }
            Self::FindingInvalid {
                check,
                field,
                problem,
            } => {
                let mut args = vec![
                    ("check", check.clone()),
                    ("field", field.clone()),
                    ("problem", problem.key().to_owned()),
                ];
                args.extend(problem.args());
                args
            }
            Self::SameExaminer
            | Self::AlreadyRecorded
            | Self::RecordInstead
            | Self::AlreadyApproved
            | Self::UnitRequired
            | Self::EndOfTrack
            | Self::ReasonRequired
            | Self::NotClosed
            | Self::NoVisitBooked
            | Self::NothingToBook => Vec::new(),
        }
    }
}
