//! Property tests of the pipeline state machine over random command sequences by random actors.
#![allow(clippy::expect_used, clippy::unwrap_used)] // test helpers may panic: a panic is a test failure
use proptest::prelude::*;
use sito_core::machine::{Actor, CaseState, Closure, Command, Event, PolygraphOutcome};
use sito_core::{CaseId, Category, Pipeline, Role, StaffId, Status, UnitId};
use uuid::Uuid;

fn staff(n: u8) -> StaffId {
    StaffId::from_uuid(Uuid::from_u128(1000 + u128::from(n)))
}

fn arb_actor() -> impl Strategy<Value = Actor> {
    // Two people per role, so "another examiner" and "two board members" are possible and mistakes too.
    (0..Role::ALL.len(), 0u8..2).prop_map(|(role, person)| Actor {
        id: staff(role as u8 * 2 + person),
        role: Role::ALL[role],
    })
}

fn arb_command(checks: Vec<String>) -> impl Strategy<Value = Command> {
    let check = proptest::sample::select(checks);
    prop_oneof![
        4 => check.prop_map(|check| Command::TickCheck { check }),
        3 => Just(Command::Advance { note: String::new() }),
        2 => proptest::sample::select(PolygraphOutcome::ALL.to_vec()).prop_map(|outcome| Command::RecordPolygraph { outcome }),
        2 => Just(Command::Approve),
        1 => (0u32..3).prop_map(|assigned| Command::AssignUnit {
            unit: UnitId::from_uuid(Uuid::from_u128(7)), assigned, target: 2 }),
        1 => Just(Command::OpenFlag { flag: "hit-1".into(), summary: "watchlist".into() }),
        1 => any::<bool>().prop_map(|confirmed| Command::ResolveFlag { flag: "hit-1".into(), confirmed, reason: "checked".into() }),
        1 => Just(Command::Close { closure: Closure::Rejected, reason: "test".into() }),
        1 => Just(Command::Reopen { reason: "appeal".into() }),
        1 => Just(Command::ReturnToApplicant { message: "scan unreadable".into() }),
        2 => Just(Command::BookVisit),
        1 => Just(Command::CancelVisit { reason: "safe house compromised".into() }),
        3 => proptest::sample::select(all_checks(&pipeline())).prop_map(|check| {
            let findings = pipeline().findings(&check).map(|spec| spec.example("seen")).unwrap_or_default();
            Command::RecordCheck { check, findings }
        }),
        1 => proptest::sample::select(PolygraphOutcome::ALL.to_vec()).prop_map(|outcome| Command::RecordExamination {
            outcome,
            findings: [("question_areas".to_owned(), "contacts with services".to_owned())].into(),
        }),
        1 => Just(Command::ApproveWithReasons { findings: [("reasons".to_owned(), "consistent".to_owned())].into() }),
    ]
}

fn pipeline() -> Pipeline {
    Pipeline::default_legion().expect("default pipeline")
}

fn all_checks(pipeline: &Pipeline) -> Vec<String> {
    pipeline
        .stages()
        .iter()
        .flat_map(|stage| stage.checklist.iter().cloned())
        .collect()
}

/// Runs commands against a fresh case, returning the events appended and the final state.
fn run(
    pipeline: &Pipeline,
    category: Category,
    steps: &[(Actor, Command)],
) -> (Vec<Event>, CaseState) {
    let (events, _, state) = run_traced(pipeline, category, steps);
    (events, state)
}

/// Per appended event, the command (and actor) it came from; `None` for the `Received` event.
type Origins = Vec<Option<(Actor, Command)>>;

/// As `run`, with the command (and actor) each appended event came from.
fn run_traced(
    pipeline: &Pipeline,
    category: Category,
    steps: &[(Actor, Command)],
) -> (Vec<Event>, Origins, CaseState) {
    let mut origins = vec![None];
    let id = CaseId::from_uuid(Uuid::from_u128(42));
    let first = CaseState::receive(pipeline, category, "Тихий", 0).expect("category has a track");
    let mut events = vec![first];
    let mut state = CaseState::fold(id, &events);
    for (tick, (actor, command)) in steps.iter().enumerate() {
        let before = state.clone();
        match state.decide(pipeline, *actor, command) {
            Ok(kinds) => {
                let stamped = state.stamp(kinds, Some(actor.id), tick as i64 + 1);
                for event in &stamped {
                    state.apply(event);
                    origins.push(Some((*actor, command.clone())));
                }
                events.extend(stamped);
            }
            Err(_) => assert_eq!(state, before, "a refused command changed the state"),
        }
    }
    (events, origins, state)
}

/// Commands that walk a case straight to the unit, used to make long random runs reach the end often.
fn happy_path(pipeline: &Pipeline, category: Category) -> Vec<(Actor, Command)> {
    let mut steps = Vec::new();
    let mut examiner = 0u8;
    for stage in pipeline.track(category) {
        let owner = Role::ALL
            .iter()
            .position(|role| *role == stage.owner)
            .unwrap_or(0) as u8;
        let actor = |person: u8| Actor {
            id: staff(owner * 2 + person),
            role: stage.owner,
        };
        match stage.id.as_str() {
            "polygraph_1" | "polygraph_2" => {
                steps.push((
                    actor(examiner),
                    Command::RecordExamination {
                        outcome: PolygraphOutcome::NoDeceptionIndicated,
                        findings: [("question_areas".to_owned(), "contacts".to_owned())].into(),
                    },
                ));
                examiner += 1;
            }
            "board_decision" => {
                let reasons = || Command::ApproveWithReasons {
                    findings: [("reasons".to_owned(), "consistent findings".to_owned())].into(),
                };
                steps.push((actor(0), reasons()));
                steps.push((actor(1), reasons()));
            }
            _ => {
                if stage
                    .checklist
                    .iter()
                    .any(|check| pipeline.is_booking_check(check))
                {
                    steps.push((actor(0), Command::BookVisit));
                }
                steps.extend(
                    stage
                        .checklist
                        .iter()
                        .filter(|check| !pipeline.is_booking_check(check))
                        .map(|check| {
                            let findings = pipeline
                                .findings(check)
                                .map(|spec| spec.example("seen and noted"))
                                .unwrap_or_default();
                            (
                                actor(0),
                                Command::RecordCheck {
                                    check: check.clone(),
                                    findings,
                                },
                            )
                        }),
                );
            }
        }
        if stage.id == "briefing" {
            steps.push((
                actor(0),
                Command::AssignUnit {
                    unit: UnitId::from_uuid(Uuid::from_u128(7)),
                    assigned: 0,
                    target: 2,
                },
            ));
        } else {
            steps.push((
                actor(0),
                Command::Advance {
                    note: String::new(),
                },
            ));
        }
    }
    steps
}

fn arb_category() -> impl Strategy<Value = Category> {
    proptest::sample::select(Category::ALL.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// Whatever the order of commands, reaching the unit requires every check, two approvals by different board
    /// members, two examinations by different examiners and no open flag.
    #[test]
    fn no_sequence_reaches_the_unit_without_every_check_and_both_approvals(
        category in arb_category(),
        random in proptest::collection::vec((arb_actor(), arb_command(all_checks(&pipeline()))), 0..80),
        splice in 0usize..80,
    ) {
        let pipeline = pipeline();
        // Mix a valid walk into the random commands, so the property is exercised on cases that do finish.
        let mut steps = happy_path(&pipeline, category);
        let at = splice.min(steps.len());
        steps.splice(at..at, random);
        let (_, state) = run(&pipeline, category, &steps);
        if state.stage == "assigned_to_unit" {
            for stage in pipeline.track(category) {
                for check in &stage.checklist {
                    prop_assert!(state.checks_done.contains(check), "missing {check}");
                }
            }
            prop_assert!(state.approvals.len() >= 2);
            prop_assert!(matches!(state.examiners, [Some(a), Some(b)] if a != b));
            prop_assert!(state.unit.is_some());
            prop_assert_eq!(state.status, Status::Completed);
        }
    }

    /// A check is ticked only by the command of the person who did it, naming it (or by their examination of this
    /// stage, or by planning's booking for a booking check), never implied by a later action; a check that
    /// declares required findings is ticked only together with them.
    #[test]
    fn checks_come_only_from_their_own_command_with_their_findings(
        category in arb_category(),
        random in proptest::collection::vec((arb_actor(), arb_command(all_checks(&pipeline()))), 0..80),
        splice in 0usize..80,
    ) {
        use sito_core::machine::EventKind;
        let pipeline = pipeline();
        let mut steps = happy_path(&pipeline, category);
        let at = splice.min(steps.len());
        steps.splice(at..at, random);
        let (events, origins, _) = run_traced(&pipeline, category, &steps);
        for (index, event) in events.iter().enumerate() {
            let EventKind::CheckTicked { check } = &event.kind else { continue };
            let (actor, command) = origins[index].clone().expect("ticks come from commands");
            prop_assert_eq!(event.actor, Some(actor.id));
            let booking = pipeline.is_booking_check(check);
            match &command {
                Command::BookVisit => prop_assert!(booking && actor.role == Role::LogisticsOfficer),
                Command::TickCheck { check: named } | Command::RecordCheck { check: named, .. } => {
                    prop_assert!(!booking, "{} ticked by hand", check);
                    prop_assert_eq!(named, check);
                }
                Command::RecordExamination { .. } | Command::RecordPolygraph { .. } => {
                    prop_assert!(check.starts_with("polygraph_"));
                }
                other => prop_assert!(false, "{} implied by {:?}", check, other),
            }
            if pipeline.findings(check).is_some_and(|spec| spec.has_required()) {
                let recorded = index > 0 && matches!(&events[index - 1].kind,
                    EventKind::FindingsRecorded { check: found, .. } if found == check)
                    && events[index - 1].actor == event.actor;
                prop_assert!(recorded, "{} ticked without its findings", check);
            }
        }
    }

    /// The state is the fold of the events: replaying them from scratch gives the same state.
    #[test]
    fn replaying_events_gives_the_same_state(
        category in arb_category(),
        steps in proptest::collection::vec((arb_actor(), arb_command(all_checks(&pipeline()))), 0..120),
    ) {
        let pipeline = pipeline();
        let (events, state) = run(&pipeline, category, &steps);
        prop_assert_eq!(CaseState::fold(state.id, &events), state.clone());
        prop_assert_eq!(state.version, events.len() as u64);
    }
}

#[test]
fn the_happy_path_reaches_the_unit_on_every_track() {
    let pipeline = pipeline();
    for category in Category::ALL {
        let (_, state) = run(&pipeline, *category, &happy_path(&pipeline, *category));
        assert_eq!(state.stage, "assigned_to_unit", "{category}");
        assert_eq!(state.status, Status::Completed);
    }
}

#[test]
fn guards_refuse_with_reasons() {
    let pipeline = pipeline();
    let category = Category::FormerServiceman;
    let full = happy_path(&pipeline, category);
    // Stop just before the second polygraph and let the first examiner try again.
    let cut = full
        .iter()
        .position(|(_, c)| matches!(c, Command::RecordExamination { .. }))
        .expect("polygraph step");
    let (_, state) = run(&pipeline, category, &full[..cut + 2]);
    assert_eq!(state.stage, "polygraph_2");
    let first_examiner = full[cut].0;
    let refusal = state
        .decide(
            &pipeline,
            first_examiner,
            &Command::RecordPolygraph {
                outcome: PolygraphOutcome::Inconclusive,
            },
        )
        .expect_err("same examiner");
    assert_eq!(
        refusal.to_string(),
        "the second polygraph must be done by another examiner than the first"
    );

    let security = Actor {
        id: staff(2),
        role: Role::SecurityOfficer,
    };
    let advance = Command::Advance {
        note: String::new(),
    };
    let psychologist = Actor {
        id: staff(6),
        role: Role::Psychologist,
    };
    assert!(
        state
            .decide(&pipeline, psychologist, &advance)
            .expect_err("wrong role")
            .to_string()
            .contains("polygraph_examiner")
    );
    let flagged = {
        let mut flagged = state.clone();
        let events = flagged.stamp(
            flagged
                .decide(
                    &pipeline,
                    security,
                    &Command::OpenFlag {
                        flag: "w1".into(),
                        summary: "hit".into(),
                    },
                )
                .expect("open"),
            Some(security.id),
            9,
        );
        events.iter().for_each(|event| flagged.apply(event));
        flagged
    };
    assert_eq!(flagged.open_flags.len(), 1);
}

#[test]
fn assignment_needs_the_briefing_recorded_by_the_trainer_and_findings_are_required() {
    use sito_core::Refusal;
    let pipeline = pipeline();
    let category = Category::FormerServiceman;
    let mut steps = happy_path(&pipeline, category);
    let briefing = steps
        .iter()
        .position(
            |(_, c)| matches!(c, Command::RecordCheck { check, .. } if check == "briefing_done"),
        )
        .expect("briefing step");
    let trainer = steps[briefing].0;
    let assign = steps.remove(briefing + 1);
    steps.truncate(briefing);
    let (_, state) = run(&pipeline, category, &steps);
    assert_eq!(state.stage, "briefing");
    assert_eq!(
        state.decide(&pipeline, trainer, &assign.1),
        Err(Refusal::ChecklistIncomplete(vec!["briefing_done".into()]))
    );
    // The actions a page shows: assignment disabled, with the reason's key and the missing check.
    let actions = sito_core::actions::available(&pipeline, &state, trainer);
    let assign_action = actions
        .iter()
        .find(|a| a.action == sito_core::actions::Action::AssignUnit)
        .expect("assign offered");
    let reason = assign_action.disabled.clone().expect("disabled");
    assert_eq!(reason.key(), "refusal-checklist-incomplete");
    assert_eq!(reason.args()[0], ("checks", "briefing_done".to_owned()));

    // The psychologist's assessment can't be ticked bare, and says which field is missing.
    let at_interview = steps
        .iter()
        .position(|(_, c)| matches!(c, Command::RecordCheck { check, .. } if check == "assessment_written"))
        .expect("assessment step");
    let psychologist = steps[at_interview].0;
    let (_, state) = run(&pipeline, category, &steps[..at_interview]);
    let refusal = state
        .decide(
            &pipeline,
            psychologist,
            &Command::TickCheck {
                check: "assessment_written".into(),
            },
        )
        .expect_err("needs findings");
    assert_eq!(refusal.key(), "refusal-finding-required");
    assert_eq!(
        refusal.args(),
        vec![
            ("check", "assessment_written".to_owned()),
            ("field", "motivation".to_owned())
        ]
    );
    let mut findings = pipeline
        .findings("assessment_written")
        .unwrap()
        .example("calm");
    findings.insert("stability".into(), "9".into());
    let refusal = state
        .decide(
            &pipeline,
            psychologist,
            &Command::RecordCheck {
                check: "assessment_written".into(),
                findings,
            },
        )
        .expect_err("out of bounds");
    assert_eq!(refusal.key(), "refusal-finding-invalid");
    assert!(
        refusal
            .args()
            .contains(&("problem", "validate-out-of-bounds".to_owned()))
    );
}

#[test]
fn bookings_come_from_planning_and_a_cancellation_clears_them() {
    use sito_core::Refusal;
    let pipeline = pipeline();
    let category = Category::FormerServiceman;
    let steps = happy_path(&pipeline, category);
    let book = steps
        .iter()
        .position(|(_, c)| matches!(c, Command::BookVisit))
        .expect("booking step");
    let logistics = steps[book].0;
    let (_, state) = run(&pipeline, category, &steps[..book]);
    assert_eq!(state.stage, "meeting_arranged");
    for check in ["safe_location_booked", "transfer_arranged"] {
        assert_eq!(
            state.decide(
                &pipeline,
                logistics,
                &Command::TickCheck {
                    check: check.into()
                }
            ),
            Err(Refusal::SetByPlanning(check.into()))
        );
    }
    let (_, booked) = run(&pipeline, category, &steps[..=book]);
    assert!(booked.checks_done.contains("safe_location_booked"));
    assert!(booked.checks_done.contains("transfer_arranged"));
    let mut cancel = steps[..=book].to_vec();
    cancel.push((
        logistics,
        Command::CancelVisit {
            reason: "house compromised".into(),
        },
    ));
    let (_, cancelled) = run(&pipeline, category, &cancel);
    assert!(!cancelled.checks_done.contains("safe_location_booked"));
    assert!(!cancelled.checks_done.contains("transfer_arranged"));
    assert_eq!(
        cancelled.decide(
            &pipeline,
            logistics,
            &Command::Advance {
                note: String::new()
            }
        ),
        Err(Refusal::ChecklistIncomplete(vec![
            "safe_location_booked".into(),
            "transfer_arranged".into()
        ]))
    );
}

#[test]
fn a_full_unit_refuses_assignment_and_a_rejected_case_needs_reopening() {
    let pipeline = pipeline();
    let category = Category::PrisonerOfWar;
    let mut steps = happy_path(&pipeline, category);
    let assign = steps
        .iter()
        .position(|(_, c)| matches!(c, Command::AssignUnit { .. }))
        .expect("assign step");
    let trainer = steps[assign].0;
    steps.truncate(assign);
    let (_, state) = run(&pipeline, category, &steps);
    let full = Command::AssignUnit {
        unit: UnitId::from_uuid(Uuid::from_u128(7)),
        assigned: 300,
        target: 300,
    };
    assert!(matches!(
        state.decide(&pipeline, trainer, &full),
        Err(sito_core::Refusal::UnitFull(300))
    ));

    let coordinator = Actor {
        id: staff(0),
        role: Role::IntakeCoordinator,
    };
    let (_, fresh) = run(
        &pipeline,
        category,
        &[(
            coordinator,
            Command::Close {
                closure: Closure::Rejected,
                reason: "duplicate".into(),
            },
        )],
    );
    assert_eq!(fresh.status, Status::Rejected);
    let tick = Command::TickCheck {
        check: "contact_established".into(),
    };
    assert!(matches!(
        fresh.decide(&pipeline, coordinator, &tick),
        Err(sito_core::Refusal::NotActive(Status::Rejected))
    ));
    assert!(
        fresh
            .decide(
                &pipeline,
                coordinator,
                &Command::Reopen {
                    reason: "  ".into()
                }
            )
            .is_err(),
        "reason required"
    );
    assert!(
        fresh
            .decide(
                &pipeline,
                coordinator,
                &Command::Reopen {
                    reason: "new documents".into()
                }
            )
            .is_ok()
    );
}
