//! The pure state machine: a command by an actor on a case yields events or a refusal that says why. A case's
//! state is the fold of its events, so the event log is the truth and every projection can be rebuilt from it.
//!
//! Architecture invariant: `decide` never mutates anything and `apply` never refuses. Everything a stage demands
//! (owner role, checklist, guards) is checked in `decide`; `apply` only folds.
use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::findings::{FindingProblem, Findings};
use crate::ids::{CaseId, StaffId, UnitId};
use crate::model::{Category, FieldGroup, Phase, Role};
use crate::pipeline::{Guard, Pipeline, Stage};
use crate::validate::Problem;

pub use crate::model::Status;
pub use crate::refusal::Refusal;

/// Who acts: a staff member in their role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Actor {
    pub id: StaffId,
    pub role: Role,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolygraphOutcome {
    NoDeceptionIndicated,
    DeceptionIndicated,
    Inconclusive,
}

impl PolygraphOutcome {
    pub const ALL: [Self; 3] = [
        Self::NoDeceptionIndicated,
        Self::DeceptionIndicated,
        Self::Inconclusive,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NoDeceptionIndicated => "no_deception_indicated",
            Self::DeceptionIndicated => "deception_indicated",
            Self::Inconclusive => "inconclusive",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|outcome| outcome.as_str() == text)
    }
}

/// The terminal outcomes a staff member can close a case with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Closure {
    Rejected,
    Withdrawn,
    Held,
    Referred,
}

impl Closure {
    const fn status(self) -> Status {
        match self {
            Self::Rejected => Status::Rejected,
            Self::Withdrawn => Status::Withdrawn,
            Self::Held => Status::Held,
            Self::Referred => Status::Referred,
        }
    }
}

/// What a staff member asks the machine to do to a case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// A check without findings: the same as `RecordCheck` with none, so refused for a check that requires some.
    TickCheck {
        check: String,
    },
    /// A check with what it found, validated against the pipeline's declaration for the check.
    RecordCheck {
        check: String,
        findings: Findings,
    },
    /// An examination without a report: the same as `RecordExamination` with no findings.
    RecordPolygraph {
        outcome: PolygraphOutcome,
    },
    /// The examiner's polygraph: outcome and report. The examiner is the actor.
    RecordExamination {
        outcome: PolygraphOutcome,
        findings: Findings,
    },
    /// A board approval without reasons: the same as `ApproveWithReasons` with none.
    Approve,
    ApproveWithReasons {
        findings: Findings,
    },
    /// The planning commit books the case's visit: sets every booking check of the stage. Only planning sends it
    /// (as the logistics officer who commits the plan); no person's tick sets a booking check.
    BookVisit,
    /// The booked visit is cancelled: the booking checks are cleared so the case waits for planning again.
    CancelVisit {
        reason: String,
    },
    Advance {
        note: String,
    },
    /// Choose the unit and move the case on to the final stage. `assigned` is the unit's current strength.
    AssignUnit {
        unit: UnitId,
        assigned: u32,
        target: u32,
    },
    Close {
        closure: Closure,
        reason: String,
    },
    Reopen {
        reason: String,
    },
    ReturnToApplicant {
        message: String,
    },
    ClearActionNeeded,
    OpenFlag {
        flag: String,
        summary: String,
    },
    ResolveFlag {
        flag: String,
        confirmed: bool,
        reason: String,
    },
}

/// An event of a case's history. `seq` counts from 1 and is also the case version after the event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub seq: u64,
    pub at: i64,
    pub actor: Option<StaffId>,
    pub kind: EventKind,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    Received {
        category: Category,
        call_sign: String,
        stage: String,
    },
    CheckTicked {
        check: String,
    },
    PolygraphRecorded {
        round: u8,
        examiner: StaffId,
        outcome: PolygraphOutcome,
    },
    Approved {
        by: StaffId,
    },
    StageAdvanced {
        from: String,
        to: String,
        note: String,
    },
    UnitAssigned {
        unit: UnitId,
    },
    Closed {
        closure: Closure,
        reason: String,
    },
    Reopened {
        reason: String,
    },
    ActionNeeded {
        message: String,
    },
    ActionCleared,
    FlagOpened {
        flag: String,
        summary: String,
    },
    FlagResolved {
        flag: String,
        confirmed: bool,
        reason: String,
    },
    /// What a check (or an examination, or an approval) found, by the event's actor. The store keeps `findings`
    /// encrypted under the case key in `group`; the payload of the event never holds them in plaintext.
    FindingsRecorded {
        check: String,
        group: FieldGroup,
        findings: Findings,
    },
    /// The booked visit was cancelled; `cleared` are the booking checks it unset.
    VisitCancelled {
        reason: String,
        cleared: Vec<String>,
    },
}

impl EventKind {
    /// A short identifier for lists and the audit trail.
    pub const fn name(&self) -> &'static str {
        match self {
            Self::Received { .. } => "received",
            Self::CheckTicked { .. } => "check_ticked",
            Self::PolygraphRecorded { .. } => "polygraph_recorded",
            Self::Approved { .. } => "approved",
            Self::StageAdvanced { .. } => "stage_advanced",
            Self::UnitAssigned { .. } => "unit_assigned",
            Self::Closed { .. } => "closed",
            Self::Reopened { .. } => "reopened",
            Self::ActionNeeded { .. } => "action_needed",
            Self::ActionCleared => "action_cleared",
            Self::FlagOpened { .. } => "flag_opened",
            Self::FlagResolved { .. } => "flag_resolved",
            Self::FindingsRecorded { .. } => "findings_recorded",
            Self::VisitCancelled { .. } => "visit_cancelled",
        }
    }
}

/// The state of a case: nothing but the fold of its events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseState {
    pub id: CaseId,
    pub category: Category,
    pub call_sign: String,
    pub stage: String,
    pub status: Status,
    pub version: u64,
    pub received_at: i64,
    pub stage_entered_at: i64,
    pub updated_at: i64,
    pub checks_done: BTreeSet<String>,
    /// Examiners of the first and second polygraph.
    pub examiners: [Option<StaffId>; 2],
    pub approvals: BTreeSet<StaffId>,
    pub open_flags: BTreeSet<String>,
    pub unit: Option<UnitId>,
    pub action_needed: bool,
    /// Checks whose findings are recorded (the values live in the events and the store, not in the state).
    pub findings_recorded: BTreeSet<String>,
}

impl CaseState {
    /// The state before any event: the fold's starting point. Only `Received` gives it meaning.
    fn empty(id: CaseId) -> Self {
        Self {
            id,
            category: Category::Other,
            call_sign: String::new(),
            stage: String::new(),
            status: Status::Active,
            version: 0,
            received_at: 0,
            stage_entered_at: 0,
            updated_at: 0,
            checks_done: BTreeSet::new(),
            examiners: [None, None],
            approvals: BTreeSet::new(),
            open_flags: BTreeSet::new(),
            unit: None,
            action_needed: false,
            findings_recorded: BTreeSet::new(),
        }
    }

    /// The state a list of events leaves a case in.
    pub fn fold<'a>(id: CaseId, events: impl IntoIterator<Item = &'a Event>) -> Self {
        let mut state = Self::empty(id);
        for event in events {
            state.apply(event);
        }
        state
    }

    /// The first event of a new case.
    pub fn receive(
        pipeline: &Pipeline,
        category: Category,
        call_sign: &str,
        at: i64,
    ) -> Option<Event> {
        let stage = pipeline.first_stage(category)?;
        Some(Event {
            seq: 1,
            at,
            actor: None,
            kind: EventKind::Received {
                category,
                call_sign: call_sign.to_owned(),
                stage: stage.id.clone(),
            },
        })
    }

    pub fn apply(&mut self, event: &Event) {
        self.version = event.seq;
        self.updated_at = event.at;
        match &event.kind {
            EventKind::Received {
                category,
                call_sign,
                stage,
            } => {
                self.category = *category;
                self.call_sign.clone_from(call_sign);
                self.stage.clone_from(stage);
                self.received_at = event.at;
                self.stage_entered_at = event.at;
            }
            EventKind::CheckTicked { check } => {
                self.checks_done.insert(check.clone());
            }
            EventKind::PolygraphRecorded {
                round, examiner, ..
            } => {
                if let Some(slot) = self.examiners.get_mut(usize::from(round.saturating_sub(1))) {
                    *slot = Some(*examiner);
                }
            }
            EventKind::Approved { by } => {
                self.approvals.insert(*by);
            }
            EventKind::StageAdvanced { to, .. } => {
                self.stage.clone_from(to);
                self.stage_entered_at = event.at;
            }
            EventKind::UnitAssigned { unit } => self.unit = Some(*unit),
            EventKind::Closed { closure, .. } => self.status = closure.status(),
            EventKind::Reopened { .. } => self.status = Status::Active,
            EventKind::ActionNeeded { .. } => self.action_needed = true,
            EventKind::ActionCleared => self.action_needed = false,
            EventKind::FlagOpened { flag, .. } => {
                self.open_flags.insert(flag.clone());
            }
            EventKind::FlagResolved { flag, .. } => {
                self.open_flags.remove(flag);
            }
            EventKind::FindingsRecorded { check, .. } => {
                self.findings_recorded.insert(check.clone());
            }
            EventKind::VisitCancelled { cleared, .. } => {
                for check in cleared {
                    self.checks_done.remove(check);
                }
            }
        }
        if self.status == Status::Active
            && self.unit.is_some()
            && matches!(event.kind, EventKind::StageAdvanced { .. })
        {
            // Reaching the final stage with a unit is what "completed" means; the fold derives it.
            self.status = Status::Completed;
        }
    }

    /// Turns event kinds decided for this state into numbered, timed events.
    pub fn stamp(&self, kinds: Vec<EventKind>, actor: Option<StaffId>, at: i64) -> Vec<Event> {
        kinds
            .into_iter()
            .enumerate()
            .map(|(offset, kind)| Event {
                seq: self.version + offset as u64 + 1,
                at,
                actor,
                kind,
            })
            .collect()
    }

    /// Decides what a command does: the events to append, or why not.
    pub fn decide(
        &self,
        pipeline: &Pipeline,
        actor: Actor,
        command: &Command,
    ) -> Result<Vec<EventKind>, Refusal> {
        let stage = pipeline
            .stage(&self.stage)
            .ok_or_else(|| Refusal::UnknownStage(self.stage.clone()))?;
        match command {
            Command::Reopen { reason } => return self.reopen(actor, reason),
            Command::ResolveFlag {
                flag,
                confirmed,
                reason,
            } => {
                require_role(actor, Role::SecurityOfficer)?;
                require_reason(reason)?;
                if !self.open_flags.contains(flag) {
                    return Err(Refusal::UnknownFlag(flag.clone()));
                }
                return Ok(vec![EventKind::FlagResolved {
                    flag: flag.clone(),
                    confirmed: *confirmed,
                    reason: reason.trim().to_owned(),
                }]);
            }
            _ => {}
        }
        if self.status != Status::Active {
            return Err(Refusal::NotActive(self.status));
        }
        match command {
            Command::TickCheck { check } => {
                self.record_check(pipeline, stage, actor, check, &Findings::new())
            }
            Command::RecordCheck { check, findings } => {
                self.record_check(pipeline, stage, actor, check, findings)
            }
            Command::BookVisit => {
                require_role(actor, Role::LogisticsOfficer)?;
                let open: Vec<&String> = stage
                    .checklist
                    .iter()
                    .filter(|check| pipeline.is_booking_check(check))
                    .filter(|check| !self.checks_done.contains(*check))
                    .collect();
                if open.is_empty() {
                    return Err(Refusal::NothingToBook);
                }
                Ok(open
                    .into_iter()
                    .map(|check| EventKind::CheckTicked {
                        check: check.clone(),
                    })
                    .collect())
            }
            Command::CancelVisit { reason } => {
                require_role(actor, Role::LogisticsOfficer)?;
                require_reason(reason)?;
                // Only the visit the case waits at this stage for: a visit that happened stays in the history.
                let cleared: Vec<String> = stage
                    .checklist
                    .iter()
                    .filter(|check| pipeline.is_booking_check(check))
                    .filter(|check| self.checks_done.contains(*check))
                    .cloned()
                    .collect();
                if cleared.is_empty() {
                    return Err(Refusal::NoVisitBooked);
                }
                Ok(vec![EventKind::VisitCancelled {
                    reason: reason.trim().to_owned(),
                    cleared,
                }])
            }
            Command::RecordExamination { outcome, findings } => {
                self.record_examination(pipeline, stage, actor, *outcome, findings)
            }
            Command::ApproveWithReasons { findings } => {
                self.approve(pipeline, stage, actor, findings)
            }
            Command::RecordPolygraph { outcome } => {
                self.record_examination(pipeline, stage, actor, *outcome, &Findings::new())
            }
            Command::Approve => self.approve(pipeline, stage, actor, &Findings::new()),
            Command::Advance { note } => {
                require_role(actor, stage.owner)?;
                let next = self.ready_to_leave(pipeline, stage)?;
                if stage.guards.contains(&Guard::UnitCapacity) {
                    return Err(Refusal::UnitRequired);
                }
                Ok(vec![EventKind::StageAdvanced {
                    from: stage.id.clone(),
                    to: next.id.clone(),
                    note: note.trim().to_owned(),
                }])
            }
            Command::AssignUnit {
                unit,
                assigned,
                target,
            } => {
                require_role(actor, stage.owner)?;
                if !stage.guards.contains(&Guard::UnitCapacity) {
                    return Err(Refusal::NotHere("unit assignment"));
                }
                let next = self.ready_to_leave(pipeline, stage)?;
                if assigned >= target {
                    return Err(Refusal::UnitFull(*target));
                }
                Ok(vec![
                    EventKind::UnitAssigned { unit: *unit },
                    EventKind::StageAdvanced {
                        from: stage.id.clone(),
                        to: next.id.clone(),
                        note: String::new(),
                    },
                ])
            }
            Command::Close { closure, reason } => {
                let allowed = match closure {
                    Closure::Rejected => {
                        actor.role == stage.owner || actor.role == Role::SecurityOfficer
                    }
                    Closure::Withdrawn => actor.role == Role::IntakeCoordinator,
                    Closure::Held | Closure::Referred => actor.role == Role::SecurityOfficer,
                };
                if !allowed {
                    let required = match closure {
                        Closure::Withdrawn => Role::IntakeCoordinator,
                        Closure::Rejected if actor.role != Role::SecurityOfficer => stage.owner,
                        _ => Role::SecurityOfficer,
                    };
                    return Err(Refusal::WrongRole { required });
                }
                require_reason(reason)?;
                Ok(vec![EventKind::Closed {
                    closure: *closure,
                    reason: reason.trim().to_owned(),
                }])
            }
            Command::ReturnToApplicant { message } => {
                require_role(actor, Role::IntakeCoordinator)?;
                require_reason(message)?;
                Ok(vec![EventKind::ActionNeeded {
                    message: message.trim().to_owned(),
                }])
            }
            Command::ClearActionNeeded => {
                require_role(actor, Role::IntakeCoordinator)?;
                if !self.action_needed {
                    return Err(Refusal::NotHere("clearing of a request"));
                }
                Ok(vec![EventKind::ActionCleared])
            }
            Command::OpenFlag { flag, summary } => {
                require_role(actor, Role::SecurityOfficer)?;
                if self.open_flags.contains(flag) {
                    return Err(Refusal::FlagAlreadyOpen(flag.clone()));
                }
                Ok(vec![EventKind::FlagOpened {
                    flag: flag.clone(),
                    summary: summary.clone(),
                }])
            }
            Command::Reopen { .. } | Command::ResolveFlag { .. } => {
                Err(Refusal::NotHere("command"))
            }
        }
    }

    /// Everything a person's check must satisfy before its findings are looked at.
    fn may_record_check(
        &self,
        pipeline: &Pipeline,
        stage: &Stage,
        actor: Actor,
        check: &str,
    ) -> Result<(), Refusal> {
        if pipeline.is_booking_check(check) {
            return Err(Refusal::SetByPlanning(check.to_owned()));
        }
        require_role(actor, stage.owner)?;
        if matches!(stage.phase, Phase::FirstPolygraph | Phase::SecondPolygraph) {
            return Err(Refusal::RecordInstead);
        }
        if !stage.checklist.iter().any(|item| item == check) {
            return Err(Refusal::NotOnChecklist(check.to_owned()));
        }
        if self.checks_done.contains(check) {
            return Err(Refusal::AlreadyTicked(check.to_owned()));
        }
        Ok(())
    }

    fn record_check(
        &self,
        pipeline: &Pipeline,
        stage: &Stage,
        actor: Actor,
        check: &str,
        findings: &Findings,
    ) -> Result<Vec<EventKind>, Refusal> {
        self.may_record_check(pipeline, stage, actor, check)?;
        let mut events = findings_event(pipeline, check, findings)?;
        events.push(EventKind::CheckTicked {
            check: check.to_owned(),
        });
        Ok(events)
    }

    /// Whether the actor may record this stage's examination, and which round it is.
    fn may_examine(&self, stage: &Stage, actor: Actor) -> Result<u8, Refusal> {
        require_role(actor, stage.owner)?;
        let round = match stage.phase {
            Phase::FirstPolygraph => 1u8,
            Phase::SecondPolygraph => 2u8,
            _ => return Err(Refusal::NotHere("polygraph examination")),
        };
        if self.examiners[usize::from(round - 1)].is_some() {
            return Err(Refusal::AlreadyRecorded);
        }
        if round == 2 && self.examiners[0] == Some(actor.id) {
            return Err(Refusal::SameExaminer);
        }
        Ok(round)
    }

    /// The examination ticks the stage's own check: the examiner who records it is the one who did it.
    fn record_examination(
        &self,
        pipeline: &Pipeline,
        stage: &Stage,
        actor: Actor,
        outcome: PolygraphOutcome,
        findings: &Findings,
    ) -> Result<Vec<EventKind>, Refusal> {
        let round = self.may_examine(stage, actor)?;
        let mut events = vec![EventKind::PolygraphRecorded {
            round,
            examiner: actor.id,
            outcome,
        }];
        for check in stage
            .checklist
            .iter()
            .filter(|check| !self.checks_done.contains(*check))
        {
            let mut report = findings.clone();
            if let Some(spec) = pipeline.findings(check)
                && spec.fields.iter().any(|field| field.key == "result")
            {
                // The report's result is the outcome chosen with it; a different one typed beside is refused.
                let result = report
                    .entry("result".to_owned())
                    .or_insert_with(|| outcome.as_str().to_owned());
                if result.trim() != outcome.as_str() {
                    return Err(Refusal::FindingInvalid {
                        check: check.clone(),
                        field: "result".into(),
                        problem: Problem::UnknownOption,
                    });
                }
            }
            events.extend(findings_event(pipeline, check, &report)?);
            events.push(EventKind::CheckTicked {
                check: check.clone(),
            });
        }
        Ok(events)
    }

    fn may_approve(&self, stage: &Stage, actor: Actor) -> Result<(), Refusal> {
        require_role(actor, stage.owner)?;
        if !stage.guards.contains(&Guard::TwoApprovals) {
            return Err(Refusal::NotHere("approval"));
        }
        if self.approvals.contains(&actor.id) {
            return Err(Refusal::AlreadyApproved);
        }
        Ok(())
    }

    fn approve(
        &self,
        pipeline: &Pipeline,
        stage: &Stage,
        actor: Actor,
        findings: &Findings,
    ) -> Result<Vec<EventKind>, Refusal> {
        self.may_approve(stage, actor)?;
        let mut events = findings_event(pipeline, APPROVAL_CHECK, findings)?;
        events.push(EventKind::Approved { by: actor.id });
        Ok(events)
    }

    fn reopen(&self, actor: Actor, reason: &str) -> Result<Vec<EventKind>, Refusal> {
        let required = match self.status {
            Status::Rejected | Status::Withdrawn => Role::IntakeCoordinator,
            Status::Held | Status::Referred => Role::SecurityOfficer,
            Status::Active | Status::Completed => return Err(Refusal::NotClosed),
        };
        require_role(actor, required)?;
        require_reason(reason)?;
        Ok(vec![EventKind::Reopened {
            reason: reason.trim().to_owned(),
        }])
    }

    /// Checks the checklist and every guard of the current stage; returns the next stage.
    fn ready_to_leave<'p>(
        &self,
        pipeline: &'p Pipeline,
        stage: &Stage,
    ) -> Result<&'p Stage, Refusal> {
        let next = pipeline
            .next_stage(self.category, &stage.id)
            .ok_or(Refusal::EndOfTrack)?;
        let missing: Vec<String> = stage
            .checklist
            .iter()
            .filter(|check| !self.checks_done.contains(*check))
            .cloned()
            .collect();
        if !missing.is_empty() {
            return Err(Refusal::ChecklistIncomplete(missing));
        }
        for guard in &stage.guards {
            match guard {
                Guard::NoOpenFlags if !self.open_flags.is_empty() => {
                    return Err(Refusal::OpenFlags(self.open_flags.len()));
                }
                Guard::DistinctExaminer => match self.examiners {
                    [Some(first), Some(second)] if first != second => {}
                    _ => return Err(Refusal::SameExaminer),
                },
                Guard::TwoApprovals if self.approvals.len() < 2 => {
                    return Err(Refusal::NeedTwoApprovals(self.approvals.len()));
                }
                Guard::CheckDone(check) if !self.checks_done.contains(check) => {
                    return Err(Refusal::EarlierCheckMissing(check.clone()));
                }
                _ => {}
            }
        }
        Ok(next)
    }

    /// Days the case has spent in its current stage, and whether that is past the stage's target.
    pub fn stage_age_days(&self, now: i64) -> i64 {
        (now - self.stage_entered_at).max(0) / 86_400
    }
}

/// The pseudo-check a board approval's reasons are declared under in the pipeline (`[findings.board_approval]`).
pub const APPROVAL_CHECK: &str = "board_approval";

/// The findings event of a check, or none when the check declares no findings and none were given.
fn findings_event(
    pipeline: &Pipeline,
    check: &str,
    findings: &Findings,
) -> Result<Vec<EventKind>, Refusal> {
    let Some(spec) = pipeline.findings(check) else {
        return match findings.keys().next() {
            Some(field) => Err(Refusal::FindingUndeclared {
                check: check.to_owned(),
                field: field.clone(),
            }),
            None => Ok(Vec::new()),
        };
    };
    let accepted = spec
        .validate(findings)
        .map_err(|error| match error.problem {
            FindingProblem::Undeclared => Refusal::FindingUndeclared {
                check: check.to_owned(),
                field: error.field,
            },
            FindingProblem::Invalid(Problem::Required) => Refusal::FindingRequired {
                check: check.to_owned(),
                field: error.field,
            },
            FindingProblem::Invalid(problem) => Refusal::FindingInvalid {
                check: check.to_owned(),
                field: error.field,
                problem,
            },
        })?;
    if accepted.is_empty() {
        return Ok(Vec::new());
    }
    Ok(vec![EventKind::FindingsRecorded {
        check: check.to_owned(),
        group: spec.group,
        findings: accepted,
    }])
}

fn require_role(actor: Actor, required: Role) -> Result<(), Refusal> {
    if actor.role == required {
        Ok(())
    } else {
        Err(Refusal::WrongRole { required })
    }
}

fn require_reason(reason: &str) -> Result<(), Refusal> {
    if reason.trim().is_empty() {
        Err(Refusal::ReasonRequired)
    } else {
        Ok(())
    }
}
