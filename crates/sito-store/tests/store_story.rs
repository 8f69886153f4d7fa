//! One story of the office store, run on every backend (a real SQLite file and a real PostgreSQL server): staff,
//! sessions, units, cases, concurrent edits.
#![allow(clippy::expect_used, clippy::unwrap_used)]
mod support;
use std::collections::BTreeMap;

use sito_core::machine::{Actor, CaseState, Closure, Command, Event};
use sito_core::{
    CaseId, Category, FieldGroup, GroupContent, Pipeline, Role, StaffId, Status, UnitId,
};
use sito_store::{Append, CaseFilter, NewCase, NewStaff, SessionRecord, StoreError, UnitRecord};
use support::TestDb;
use uuid::Uuid;

crate::on_every_backend!(
    the_office_store_story,
    the_event_log_is_append_only_and_survives_reopening,
);

fn new_case(pipeline: &Pipeline, n: u128, category: Category, at: i64) -> NewCase {
    let id = CaseId::from_uuid(Uuid::from_u128(n));
    let events = vec![CaseState::receive(pipeline, category, &format!("Сокол-{n}"), at).unwrap()];
    let state = CaseState::fold(id, &events);
    let mut identity = GroupContent::default();
    identity.push("full_name", format!("Иванов Иван {n}"));
    NewCase {
        events,
        state,
        owner_role: Role::IntakeCoordinator,
        content: BTreeMap::from([(FieldGroup::Identity, identity)]),
    }
}

fn decide(
    pipeline: &Pipeline,
    state: &CaseState,
    actor: Actor,
    command: Command,
    at: i64,
) -> (Vec<Event>, CaseState) {
    let kinds = state.decide(pipeline, actor, &command).expect("allowed");
    let events = state.stamp(kinds, Some(actor.id), at);
    let mut next = state.clone();
    events.iter().for_each(|event| next.apply(event));
    (events, next)
}

async fn the_office_store_story(db: TestDb) {
    let store = db.open().await;
    let pipeline = Pipeline::default_legion().unwrap();

    // Staff and sessions.
    let coordinator = Actor {
        id: StaffId::from_uuid(Uuid::from_u128(1)),
        role: Role::IntakeCoordinator,
    };
    let staff = NewStaff {
        id: coordinator.id,
        call_sign: "Берёза".into(),
        role: Role::IntakeCoordinator,
        password_hash: "h".into(),
        created_at: 1,
    };
    store.create_staff(&staff).await.unwrap();
    assert!(matches!(
        store.create_staff(&staff).await,
        Err(StoreError::Duplicate)
    ));
    assert_eq!(
        store.staff_by_call_sign("Берёза").await.unwrap().id,
        coordinator.id
    );
    assert!(matches!(
        store.staff_by_call_sign("nobody").await,
        Err(StoreError::NotFound)
    ));
    let session = SessionRecord {
        id_hash: "abc".into(),
        staff_id: coordinator.id,
        csrf_token: "t".into(),
        created_at: 5,
        last_seen: 5,
    };
    store.create_session(&session).await.unwrap();
    store.touch_session("abc", 9).await.unwrap();
    assert_eq!(store.session("abc").await.unwrap().last_seen, 9);
    assert_eq!(store.delete_sessions_older_than(10).await.unwrap(), 1);
    assert!(matches!(
        store.session("abc").await,
        Err(StoreError::NotFound)
    ));

    // Units.
    let unit = UnitRecord {
        id: UnitId::from_uuid(Uuid::from_u128(77)),
        name: "1st battalion".into(),
        target_strength: 300,
    };
    store.create_unit(&unit).await.unwrap();
    assert_eq!(store.list_units().await.unwrap(), vec![(unit.clone(), 0)]);

    // Cases: creation, content, listing with filters.
    let cases: Vec<NewCase> = (1..=30)
        .map(|n| new_case(&pipeline, n, Category::ALL[n as usize % 5], n as i64 * 100))
        .collect();
    store.create_cases(&cases).await.unwrap();
    let first = CaseId::from_uuid(Uuid::from_u128(1));
    let content = store.case_content(first).await.unwrap();
    assert_eq!(
        content[&FieldGroup::Identity].fields[0].value.expose(),
        "Иванов Иван 1"
    );
    let page = store
        .list_cases(&CaseFilter::default(), 2, 10)
        .await
        .unwrap();
    assert_eq!(
        (page.total, page.cases.len(), page.page_count()),
        (30, 10, 3)
    );
    assert_eq!(page.cases[0].call_sign, "Сокол-20", "newest received first");
    let pows = store
        .list_cases(
            &CaseFilter {
                category: Some(Category::PrisonerOfWar),
                ..Default::default()
            },
            1,
            50,
        )
        .await
        .unwrap();
    assert_eq!(pows.total, 6);
    assert!(
        pows.cases
            .iter()
            .all(|case| case.category == Category::PrisonerOfWar)
    );

    // Optimistic concurrency: two coordinators decide on version 1; the second loses with Conflict.
    let state = CaseState::fold(first, &store.case_events(first).await.unwrap());
    let (events_a, next_a) = decide(
        &pipeline,
        &state,
        coordinator,
        Command::TickCheck {
            check: "contact_established".into(),
        },
        1000,
    );
    let (events_b, next_b) = decide(
        &pipeline,
        &state,
        coordinator,
        Command::ReturnToApplicant {
            message: "photo".into(),
        },
        1001,
    );
    let append = |events: &[Event], next: &CaseState| -> Vec<(Vec<Event>, CaseState)> {
        vec![(events.to_vec(), next.clone())]
    };
    let a = append(&events_a, &next_a);
    store
        .append(&[Append {
            case: first,
            expected_version: 1,
            events: &a[0].0,
            state: &a[0].1,
            owner_role: Role::IntakeCoordinator,
            unit_limit: None,
        }])
        .await
        .unwrap();
    let b = append(&events_b, &next_b);
    let lost = store
        .append(&[Append {
            case: first,
            expected_version: 1,
            events: &b[0].0,
            state: &b[0].1,
            owner_role: Role::IntakeCoordinator,
            unit_limit: None,
        }])
        .await;
    assert!(matches!(lost, Err(StoreError::Conflict)), "{lost:?}");
    let reloaded = CaseState::fold(first, &store.case_events(first).await.unwrap());
    assert_eq!(
        reloaded, next_a,
        "the first update is kept and the state is the fold of the stored events"
    );
    assert!(!reloaded.action_needed);

    // Bulk: a batch with one stale case writes nothing at all.
    let second = CaseId::from_uuid(Uuid::from_u128(2));
    let second_state = CaseState::fold(second, &store.case_events(second).await.unwrap());
    let reject = Command::Close {
        closure: Closure::Rejected,
        reason: "duplicate".into(),
    };
    let (events_2, next_2) = decide(&pipeline, &second_state, coordinator, reject.clone(), 2000);
    let (events_1, next_1) = decide(&pipeline, &state, coordinator, reject, 2000); // stale: case 1 is at version 2
    let batch = [
        Append {
            case: second,
            expected_version: 1,
            events: &events_2,
            state: &next_2,
            owner_role: Role::IntakeCoordinator,
            unit_limit: None,
        },
        Append {
            case: first,
            expected_version: 1,
            events: &events_1,
            state: &next_1,
            owner_role: Role::IntakeCoordinator,
            unit_limit: None,
        },
    ];
    assert!(matches!(
        store.append(&batch).await,
        Err(StoreError::Conflict)
    ));
    assert_eq!(
        store.case_summary(second).await.unwrap().status,
        Status::Active,
        "nothing of the batch was applied"
    );
    store.append(&batch[..1]).await.unwrap();
    assert_eq!(
        store.case_summary(second).await.unwrap().status,
        Status::Rejected
    );

    // Unknown case ids are NotFound, not Conflict.
    let ghost = CaseId::from_uuid(Uuid::from_u128(999));
    assert!(matches!(
        store.case_events(ghost).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .append(&[Append {
                case: ghost,
                expected_version: 1,
                events: &events_2,
                state: &next_2,
                owner_role: Role::IntakeCoordinator,
                unit_limit: None
            }])
            .await,
        Err(StoreError::NotFound)
    ));
    let counts = store.stage_counts().await.unwrap();
    assert_eq!(counts.iter().map(|(_, _, n)| n).sum::<u64>(), 30);
}

async fn the_event_log_is_append_only_and_survives_reopening(db: TestDb) {
    let pipeline = Pipeline::default_legion().unwrap();
    {
        let store = db.open().await;
        store
            .create_cases(&[new_case(&pipeline, 5, Category::PoliticalEmigre, 10)])
            .await
            .unwrap();
    }
    let store = db.open().await;
    let events = store
        .case_events(CaseId::from_uuid(Uuid::from_u128(5)))
        .await
        .unwrap();
    assert_eq!(events.len(), 1);

    let edit = db.execute("UPDATE case_events SET payload = '{}'").await;
    assert!(edit.is_err(), "an edit of the event log must be refused");
    let delete = db.execute("DELETE FROM case_events").await;
    assert!(
        delete.is_err(),
        "a deletion from the event log must be refused"
    );
}
