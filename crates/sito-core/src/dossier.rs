//! The board's dossier: a case's record assembled stage by stage from its events, cut down to what one reader may
//! see. The rules that decide which field group an event's detail belongs to live here, so the case page's history
//! and the dossier hide the same things.
//!
//! No I/O: the caller passes the pipeline, the case's events (with findings already unsealed by the store) and the
//! reader's permission as a function of the field group.
use crate::findings::Findings;
use crate::machine::{APPROVAL_CHECK, Closure, Event, EventKind, PolygraphOutcome};
use crate::{CaseState, FieldGroup, Phase, Pipeline, StaffId};

/// Which field group an event's detail belongs to, at the phase the case was in when it happened. `None` for
/// events whose detail is no group's (the case arrived, a unit was assigned).
pub fn event_group(kind: &EventKind, phase: Phase) -> Option<FieldGroup> {
    match kind {
        EventKind::PolygraphRecorded { .. } => Some(FieldGroup::Polygraph),
        EventKind::FlagOpened { .. } | EventKind::FlagResolved { .. } => {
            Some(FieldGroup::Screening)
        }
        EventKind::Closed { .. } | EventKind::Reopened { .. } | EventKind::Approved { .. } => {
            Some(FieldGroup::Decision)
        }
        EventKind::ActionNeeded { .. } => Some(FieldGroup::Documents),
        EventKind::StageAdvanced { .. } | EventKind::CheckTicked { .. } => Some(phase_group(phase)),
        EventKind::FindingsRecorded { group, .. } => Some(*group),
        EventKind::VisitCancelled { .. } => Some(FieldGroup::Logistics),
        EventKind::Received { .. } | EventKind::UnitAssigned { .. } | EventKind::ActionCleared => {
            None
        }
    }
}

/// The field group whose work a phase is.
pub const fn phase_group(phase: Phase) -> FieldGroup {
    match phase {
        Phase::Intake => FieldGroup::Documents,
        Phase::Vetting => FieldGroup::Screening,
        Phase::Meeting => FieldGroup::Logistics,
        Phase::Interview => FieldGroup::Psychology,
        Phase::FirstPolygraph | Phase::SecondPolygraph => FieldGroup::Polygraph,
        Phase::Decision => FieldGroup::Decision,
        Phase::Training | Phase::Assigned => FieldGroup::Training,
    }
}

/// Who did something and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    pub actor: Option<StaffId>,
    pub at: i64,
}

impl Recorded {
    fn of(event: &Event) -> Self {
        Self {
            actor: event.actor,
            at: event.at,
        }
    }
}

/// One check of a stage's checklist: whether it is done, who ticked it (when the reader may know), and what was
/// found (the findings of groups the reader may see).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckRecord {
    pub check: String,
    pub done: bool,
    pub ticked: Option<Recorded>,
    pub findings: Vec<FindingRecord>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FindingRecord {
    pub recorded: Recorded,
    pub group: FieldGroup,
    pub findings: Findings,
}

/// A polygraph examination: the round (1 for the first), the examiner, the result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Examination {
    pub round: u8,
    pub examiner: StaffId,
    pub outcome: PolygraphOutcome,
    pub at: i64,
}

/// One stage the case has reached, in track order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StageRecord {
    pub stage: String,
    pub phase: Phase,
    pub current: bool,
    pub checks: Vec<CheckRecord>,
    pub examinations: Vec<Examination>,
}

/// A board member's approval with the reasons they gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Approval {
    pub by: StaffId,
    pub at: i64,
    pub reasons: Findings,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClosureRecord {
    pub closure: Closure,
    pub reason: String,
    pub recorded: Recorded,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dossier {
    pub stages: Vec<StageRecord>,
    pub approvals: Vec<Approval>,
    /// The last closure, if the case is closed now.
    pub closure: Option<ClosureRecord>,
}

/// Assembles the dossier of `case` from its `events`. `may_see` answers for the reader, at the case's current
/// stage, whether a field group is granted; nothing of a group it refuses is copied into the dossier.
pub fn assemble(
    pipeline: &Pipeline,
    case: &CaseState,
    events: &[Event],
    may_see: impl Fn(FieldGroup) -> bool,
) -> Dossier {
    let current_position = pipeline.position(case.category, &case.stage);
    let mut stages: Vec<StageRecord> = pipeline
        .track(case.category)
        .enumerate()
        .filter(|(position, stage)| {
            stage.id == case.stage || current_position.is_some_and(|current| *position <= current)
        })
        .map(|(_, stage)| StageRecord {
            stage: stage.id.clone(),
            phase: stage.phase,
            current: stage.id == case.stage,
            checks: stage
                .checklist
                .iter()
                .map(|check| CheckRecord {
                    check: check.clone(),
                    done: case.checks_done.contains(check),
                    ticked: None,
                    findings: Vec::new(),
                })
                .collect(),
            examinations: Vec::new(),
        })
        .collect();
    // A case moved off its track (a category change) still shows the stage it is at.
    if !stages.iter().any(|stage| stage.current)
        && let Some(stage) = pipeline.stage(&case.stage)
    {
        stages.push(StageRecord {
            stage: stage.id.clone(),
            phase: stage.phase,
            current: true,
            checks: Vec::new(),
            examinations: Vec::new(),
        });
    }

    let mut dossier = Dossier::default();
    let mut stage_now = String::new();
    for event in events {
        let phase_now = pipeline
            .stage(&stage_now)
            .map_or(Phase::Intake, |stage| stage.phase);
        let visible = event_group(&event.kind, phase_now).is_none_or(&may_see);
        match &event.kind {
            EventKind::Received { stage, .. } | EventKind::StageAdvanced { to: stage, .. } => {
                stage_now.clone_from(stage);
            }
            EventKind::CheckTicked { check } if visible => {
                if let Some(record) = check_record(&mut stages, check, &stage_now) {
                    record.ticked = Some(Recorded::of(event));
                }
            }
            EventKind::FindingsRecorded {
                check,
                group,
                findings,
            } if visible => {
                if check == APPROVAL_CHECK {
                    // The reasons are recorded just before the approval they belong to, by the approver.
                    if let Some(by) = event.actor {
                        dossier.approvals.push(Approval {
                            by,
                            at: event.at,
                            reasons: findings.clone(),
                        });
                    }
                } else if let Some(record) = check_record(&mut stages, check, &stage_now) {
                    record.findings.push(FindingRecord {
                        recorded: Recorded::of(event),
                        group: *group,
                        findings: findings.clone(),
                    });
                }
            }
            EventKind::PolygraphRecorded {
                round,
                examiner,
                outcome,
            } if visible => {
                if let Some(stage) = stages.iter_mut().find(|stage| stage.stage == stage_now) {
                    stage.examinations.push(Examination {
                        round: *round,
                        examiner: *examiner,
                        outcome: *outcome,
                        at: event.at,
                    });
                }
            }
            EventKind::Approved { by } if visible => {
                match dossier
                    .approvals
                    .iter_mut()
                    .rev()
                    .find(|approval| approval.by == *by && approval.at <= event.at)
                {
                    Some(approval) => approval.at = event.at,
                    None => dossier.approvals.push(Approval {
                        by: *by,
                        at: event.at,
                        reasons: Findings::new(),
                    }),
                }
            }
            EventKind::Closed { closure, reason } => {
                dossier.closure = visible.then(|| ClosureRecord {
                    closure: *closure,
                    reason: reason.clone(),
                    recorded: Recorded::of(event),
                });
            }
            EventKind::Reopened { .. } => dossier.closure = None,
            _ => {}
        }
    }
    dossier.stages = stages;
    dossier
}

/// The record of `check`: on the stage whose checklist names it, the stage the case was at first.
fn check_record<'a>(
    stages: &'a mut [StageRecord],
    check: &str,
    stage_now: &str,
) -> Option<&'a mut CheckRecord> {
    let index = stages
        .iter()
        .position(|stage| {
            stage.stage == stage_now && stage.checks.iter().any(|record| record.check == check)
        })
        .or_else(|| {
            stages
                .iter()
                .position(|stage| stage.checks.iter().any(|record| record.check == check))
        })?;
    stages[index]
        .checks
        .iter_mut()
        .find(|record| record.check == check)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CaseId, Category};
    use uuid::Uuid;

    fn staff(n: u128) -> StaffId {
        StaffId::from_uuid(Uuid::from_u128(n))
    }

    struct Log(Vec<Event>);

    impl Log {
        fn push(&mut self, actor: Option<StaffId>, kind: EventKind) {
            let seq = self.0.len() as u64 + 1;
            self.0.push(Event {
                seq,
                at: 1_000 * seq as i64,
                actor,
                kind,
            });
        }
        fn advance(&mut self, from: &str, to: &str) {
            self.push(
                Some(staff(9)),
                EventKind::StageAdvanced {
                    from: from.into(),
                    to: to.into(),
                    note: String::new(),
                },
            );
        }
        fn found(
            &mut self,
            actor: StaffId,
            check: &str,
            group: FieldGroup,
            pairs: &[(&str, &str)],
        ) {
            self.push(
                Some(actor),
                EventKind::FindingsRecorded {
                    check: check.into(),
                    group,
                    findings: pairs
                        .iter()
                        .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
                        .collect(),
                },
            );
        }
        fn tick(&mut self, actor: StaffId, check: &str) {
            self.push(
                Some(actor),
                EventKind::CheckTicked {
                    check: check.into(),
                },
            );
        }
    }

    /// A case walked from arrival to the board: a psychologist's assessment, one examination, two approvals.
    fn at_the_board() -> (Pipeline, CaseState, Vec<Event>) {
        let pipeline = Pipeline::default_legion().unwrap();
        let (psychologist, examiner) = (staff(1), staff(2));
        let mut log = Log(Vec::new());
        log.push(
            None,
            EventKind::Received {
                category: Category::FormerServiceman,
                call_sign: "Sokol".into(),
                stage: "received".into(),
            },
        );
        log.advance("received", "psychologist_interview");
        log.found(
            psychologist,
            "assessment_written",
            FieldGroup::Psychology,
            &[("recommendation", "suitable"), ("notes", "calm, motivated")],
        );
        log.tick(psychologist, "assessment_written");
        log.advance("psychologist_interview", "polygraph_1");
        log.push(
            Some(examiner),
            EventKind::PolygraphRecorded {
                round: 1,
                examiner,
                outcome: PolygraphOutcome::NoDeceptionIndicated,
            },
        );
        log.found(
            examiner,
            "polygraph_1_recorded",
            FieldGroup::Polygraph,
            &[("result", "no_deception_indicated")],
        );
        log.tick(examiner, "polygraph_1_recorded");
        log.advance("polygraph_1", "board_decision");
        for member in [staff(3), staff(4)] {
            log.found(
                member,
                APPROVAL_CHECK,
                FieldGroup::Decision,
                &[("reason", "fit")],
            );
            log.push(Some(member), EventKind::Approved { by: member });
        }
        let case = CaseState::fold(CaseId::from_uuid(Uuid::from_u128(77)), &log.0);
        (pipeline, case, log.0)
    }

    #[test]
    fn the_dossier_holds_every_stage_reached_with_who_found_what() {
        let (pipeline, case, events) = at_the_board();
        let dossier = assemble(&pipeline, &case, &events, |_| true);
        let stages: Vec<&str> = dossier.stages.iter().map(|s| s.stage.as_str()).collect();
        assert_eq!(stages.first(), Some(&"received"));
        assert_eq!(stages.last(), Some(&"board_decision"));
        assert!(!stages.contains(&"training"), "{stages:?}");
        assert!(
            !stages.contains(&"camp_meeting"),
            "another track's stage: {stages:?}"
        );
        assert!(dossier.stages.last().is_some_and(|stage| stage.current));

        let interview = &dossier.stages[stages
            .iter()
            .position(|s| *s == "psychologist_interview")
            .unwrap()];
        let assessment = interview
            .checks
            .iter()
            .find(|c| c.check == "assessment_written")
            .unwrap();
        assert!(assessment.done);
        assert_eq!(
            assessment.ticked.as_ref().and_then(|t| t.actor),
            Some(staff(1))
        );
        assert_eq!(assessment.findings.len(), 1);
        assert_eq!(
            assessment.findings[0].findings["recommendation"],
            "suitable"
        );
        let interview_done = interview
            .checks
            .iter()
            .find(|c| c.check == "interview_done")
            .unwrap();
        assert!(!interview_done.done && interview_done.ticked.is_none());

        let polygraph = &dossier.stages[stages.iter().position(|s| *s == "polygraph_1").unwrap()];
        assert_eq!(polygraph.examinations.len(), 1);
        assert_eq!(polygraph.examinations[0].examiner, staff(2));
        assert_eq!(
            polygraph.checks[0].findings[0].findings["result"],
            "no_deception_indicated"
        );

        let approvers: Vec<StaffId> = dossier.approvals.iter().map(|a| a.by).collect();
        assert_eq!(approvers, vec![staff(3), staff(4)]);
        assert!(
            dossier
                .approvals
                .iter()
                .all(|a| a.reasons["reason"] == "fit")
        );
        assert!(dossier.closure.is_none());
    }

    #[test]
    fn nothing_of_a_refused_group_reaches_the_dossier() {
        let (pipeline, case, events) = at_the_board();
        let dossier = assemble(&pipeline, &case, &events, |group| {
            !matches!(group, FieldGroup::Psychology | FieldGroup::Polygraph)
        });
        for stage in &dossier.stages {
            assert!(stage.examinations.is_empty(), "{}", stage.stage);
            for check in &stage.checks {
                assert!(
                    check.findings.iter().all(|f| !matches!(
                        f.group,
                        FieldGroup::Psychology | FieldGroup::Polygraph
                    )),
                    "{}",
                    check.check
                );
                if matches!(stage.phase, Phase::Interview | Phase::FirstPolygraph) {
                    // Done is on every checklist the reader sees; who did it is the group's detail.
                    assert!(check.ticked.is_none(), "{}", check.check);
                }
            }
        }
        assert_eq!(dossier.approvals.len(), 2, "the decision group is granted");
        let none = assemble(&pipeline, &case, &events, |_| false);
        assert!(none.approvals.is_empty() && none.closure.is_none());
    }

    #[test]
    fn a_closure_shows_until_the_case_is_reopened() {
        let (pipeline, _, mut events) = at_the_board();
        let mut log = Log(std::mem::take(&mut events));
        log.push(
            Some(staff(3)),
            EventKind::Closed {
                closure: Closure::Rejected,
                reason: "security_risk: contacts with handlers".into(),
            },
        );
        let case = CaseState::fold(CaseId::from_uuid(Uuid::from_u128(77)), &log.0);
        let closed = assemble(&pipeline, &case, &log.0, |_| true);
        let closure = closed.closure.unwrap();
        assert_eq!(closure.closure, Closure::Rejected);
        assert_eq!(closure.recorded.actor, Some(staff(3)));
        log.push(
            Some(staff(5)),
            EventKind::Reopened {
                reason: "new evidence".into(),
            },
        );
        let case = CaseState::fold(CaseId::from_uuid(Uuid::from_u128(77)), &log.0);
        assert!(
            assemble(&pipeline, &case, &log.0, |_| true)
                .closure
                .is_none()
        );
    }

    #[test]
    fn history_and_dossier_agree_on_each_events_group() {
        assert_eq!(
            event_group(
                &EventKind::CheckTicked { check: "x".into() },
                Phase::Interview
            ),
            Some(FieldGroup::Psychology)
        );
        assert_eq!(
            event_group(
                &EventKind::UnitAssigned {
                    unit: crate::UnitId::from_uuid(Uuid::nil())
                },
                Phase::Assigned
            ),
            None
        );
        for phase in Phase::ALL {
            assert_eq!(
                event_group(&EventKind::CheckTicked { check: "x".into() }, *phase),
                Some(phase_group(*phase))
            );
        }
    }
}
