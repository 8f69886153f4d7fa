//! The stores beside the case store (screening, link analysis, planning), one story each, on every backend.
#![allow(clippy::expect_used, clippy::unwrap_used)]
mod support;

use std::collections::BTreeMap;

use sito_core::machine::{Actor, CaseState, Closure, Command};
use sito_core::{CaseId, Category, FieldGroup, GroupContent, Pipeline, Role, StaffId};
use sito_store::Append;
use sito_store::capacity::FlowKind;
use sito_store::links::{GroupLink, LinkGroup, LinkSignal};
use sito_store::planning::{
    Appointment, CalendarEntry, Draft, LocationKind, PlanningRole, SafeLocation, Weekdays,
};
use sito_store::{NewCase, NewStaff, StoreError};
use support::TestDb;
use uuid::Uuid;

crate::on_every_backend!(
    the_screening_story,
    the_link_analysis_story,
    the_planning_story,
    the_capacity_flow_story,
);

fn case_id(n: u128) -> CaseId {
    CaseId::from_uuid(Uuid::from_u128(n))
}

/// Cases 1..=count, received in that order.
async fn with_cases(db: &TestDb, count: u128) {
    let pipeline = Pipeline::default_legion().unwrap();
    let cases: Vec<NewCase> = (1..=count)
        .map(|n| {
            let events = vec![
                CaseState::receive(
                    &pipeline,
                    Category::PoliticalEmigre,
                    &format!("Ива-{n}"),
                    n as i64 * 10,
                )
                .unwrap(),
            ];
            let mut identity = GroupContent::default();
            identity.push("full_name", format!("Сидоров {n}"));
            NewCase {
                state: CaseState::fold(case_id(n), &events),
                events,
                owner_role: Role::IntakeCoordinator,
                content: BTreeMap::from([(FieldGroup::Identity, identity)]),
            }
        })
        .collect();
    db.open().await.create_cases(&cases).await.unwrap();
}

async fn the_screening_story(db: TestDb) {
    with_cases(&db, 3).await;
    let store = db.screening().await;
    assert_eq!(store.generation().await.unwrap(), 0);
    let entries = vec![
        ("e1".to_owned(), "{\"name\":\"a\"}".to_owned()),
        ("e2".to_owned(), "{\"name\":\"b\"}".to_owned()),
    ];
    assert_eq!(
        store
            .replace_watchlist("national", "import.csv", &entries, 100)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .replace_watchlist("national", "import2.csv", &entries[..1], 200)
            .await
            .unwrap(),
        2
    );
    let lists = store.watchlists().await.unwrap();
    assert_eq!(lists.len(), 1);
    assert_eq!(
        (lists[0].version, lists[0].entries, lists[0].source.as_str()),
        (2, 1, "import2.csv")
    );
    assert_eq!(
        store.watchlist_entries().await.unwrap(),
        vec![("national".to_owned(), "{\"name\":\"a\"}".to_owned())]
    );
    let repeated = vec![entries[0].clone(), entries[0].clone()];
    assert!(matches!(
        store.replace_watchlist("other", "x", &repeated, 300).await,
        Err(StoreError::Duplicate)
    ));
    assert_eq!(
        store.generation().await.unwrap(),
        2,
        "a refused import changes nothing"
    );

    assert_eq!(
        store.cases_to_screen(2, 10).await.unwrap(),
        vec![case_id(1), case_id(2), case_id(3)]
    );
    assert_eq!(
        store.cases_to_screen(2, 2).await.unwrap(),
        vec![case_id(1), case_id(2)]
    );
    store
        .mark_screened(case_id(2), 2, &["watchlist:e1".to_owned()])
        .await
        .unwrap();
    store
        .mark_screened(case_id(2), 2, &["watchlist:e1".to_owned()])
        .await
        .unwrap();
    assert_eq!(
        store.cases_to_screen(2, 10).await.unwrap(),
        vec![case_id(1), case_id(3)]
    );
    assert_eq!(
        store.cases_to_screen(3, 10).await.unwrap().len(),
        3,
        "a newer generation screens all again"
    );
    assert_eq!(
        store.raised_flags(case_id(2)).await.unwrap(),
        vec!["watchlist:e1".to_owned()]
    );
}

async fn the_link_analysis_story(db: TestDb) {
    with_cases(&db, 4).await;
    let store = db.links().await;
    let arrived = store.cases_after(0, 10).await.unwrap();
    assert_eq!(
        arrived.iter().map(|(_, case)| *case).collect::<Vec<_>>(),
        (1..=4).map(case_id).collect::<Vec<_>>()
    );
    assert!(
        arrived.windows(2).all(|pair| pair[0].0 < pair[1].0),
        "positions grow in arrival order"
    );
    let later = store.cases_after(arrived[1].0, 10).await.unwrap();
    assert_eq!(later, arrived[2..].to_vec());
    assert_eq!(store.shredded_count().await.unwrap(), 0);
    assert!(store.analysis().await.unwrap().is_none());

    let flagged = LinkGroup {
        id: "g1".into(),
        flagged: true,
        members: vec![case_id(1), case_id(3)],
        links: vec![GroupLink {
            a: 0,
            b: 1,
            kinds: vec!["phone".into(), "referrer".into()],
        }],
    };
    let plain = LinkGroup {
        id: "g2".into(),
        flagged: false,
        members: vec![case_id(2), case_id(4)],
        links: vec![GroupLink {
            a: 0,
            b: 1,
            kinds: vec!["email".into()],
        }],
    };
    let signals = [LinkSignal {
        kind: "address".into(),
        holders: 40,
    }];
    store
        .replace_analysis(&[flagged.clone(), plain.clone()], &signals, 4, 500)
        .await
        .unwrap();
    let info = store.analysis().await.unwrap().unwrap();
    assert_eq!((info.computed_at, info.applications), (500, 4));
    let groups = store.groups(true, 10).await.unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].group, flagged);
    assert_eq!(
        groups[0]
            .members
            .iter()
            .map(|member| member.call_sign.as_str())
            .collect::<Vec<_>>(),
        ["Ива-1", "Ива-3"]
    );
    assert_eq!(store.unflagged_counts().await.unwrap(), (1, 2));
    assert_eq!(
        store.group_of(case_id(4)).await.unwrap().unwrap().group,
        plain
    );
    assert_eq!(store.signals().await.unwrap(), signals.to_vec());

    // A case in two groups is refused and the analysis before it stays.
    let overlapping = LinkGroup {
        id: "g3".into(),
        members: vec![case_id(1), case_id(2)],
        ..flagged.clone()
    };
    assert!(matches!(
        store
            .replace_analysis(&[flagged.clone(), overlapping], &[], 4, 600)
            .await,
        Err(StoreError::Duplicate)
    ));
    assert_eq!(store.analysis().await.unwrap().unwrap().computed_at, 500);
    // A new analysis replaces the old one whole.
    store
        .replace_analysis(std::slice::from_ref(&plain), &[], 4, 700)
        .await
        .unwrap();
    assert!(store.group_of(case_id(1)).await.unwrap().is_none());
    assert!(store.groups(true, 10).await.unwrap().is_empty());
    assert!(store.signals().await.unwrap().is_empty());

    store
        .record_raised_flag(case_id(3), "link:g1")
        .await
        .unwrap();
    store
        .record_raised_flag(case_id(3), "link:g1")
        .await
        .unwrap();
    assert_eq!(
        store.raised_flags(case_id(3)).await.unwrap(),
        vec!["link:g1".to_owned()]
    );
}

fn house(id: &str) -> SafeLocation {
    SafeLocation {
        id: id.into(),
        name: format!("House {id}"),
        kind: LocationKind::SafeHouse,
        capacity: 3,
        open_days: Weekdays::MONDAY_TO_FRIDAY,
        open_hour: 8,
        close_hour: 18,
        pickup_point: "railway station".into(),
    }
}

async fn the_planning_story(db: TestDb) {
    with_cases(&db, 3).await;
    let planner = StaffId::from_uuid(Uuid::from_u128(70));
    db.open()
        .await
        .create_staff(&NewStaff {
            id: planner,
            call_sign: "Сова".into(),
            role: Role::Administrator,
            password_hash: "h".into(),
            created_at: 1,
        })
        .await
        .unwrap();
    let store = db.planning().await;

    store.save_location(&house("north")).await.unwrap();
    let mut changed = house("north");
    changed.capacity = 5;
    store.save_location(&changed).await.unwrap();
    assert_eq!(store.locations().await.unwrap(), vec![changed]);
    let entry = CalendarEntry {
        call_sign: "heron".into(),
        role: PlanningRole::Psychologist,
        location: "north".into(),
        work_days: Weekdays(0b101),
        max_tasks_per_day: Some(3),
    };
    store.save_calendar_entry(&entry).await.unwrap();
    assert_eq!(store.calendar().await.unwrap(), vec![entry]);
    let nowhere = CalendarEntry {
        call_sign: "wolf".into(),
        role: PlanningRole::Examiner,
        location: "nowhere".into(),
        work_days: Weekdays::EVERY_DAY,
        max_tasks_per_day: None,
    };
    assert!(matches!(
        store.save_calendar_entry(&nowhere).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.delete_location("north").await,
        Err(StoreError::Conflict)
    ));

    let draft = Draft {
        week: 20_000,
        plan: "{}".into(),
        case_versions: "{}".into(),
        built_at: 9,
        built_by: planner,
    };
    store.save_draft(&draft).await.unwrap();
    assert_eq!(store.draft(20_000).await.unwrap(), Some(draft));
    assert_eq!(store.draft(20_007).await.unwrap(), None);
    store
        .set_pin(20_000, case_id(2), "{\"day\":1}")
        .await
        .unwrap();
    store
        .set_pin(20_000, case_id(2), "{\"day\":2}")
        .await
        .unwrap();
    assert_eq!(
        store.pins(20_000).await.unwrap(),
        vec![(case_id(2), "{\"day\":2}".to_owned())]
    );
    assert!(matches!(
        store.set_pin(20_000, case_id(99), "{}").await,
        Err(StoreError::NotFound)
    ));
    store.remove_pin(20_000, case_id(2)).await.unwrap();
    assert!(store.pins(20_000).await.unwrap().is_empty());

    let visit = |n: u128, arrive_day: i64| Appointment {
        case: case_id(n),
        week: 20_000,
        location: "north".into(),
        arrive_day,
        leave_day: arrive_day + 1,
        tasks: "[]".into(),
        committed_by: planner,
        committed_at: 10,
    };
    assert_eq!(
        store
            .record_appointments(&[visit(1, 20_001), visit(2, 20_003)])
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        store
            .record_appointments(&[visit(1, 20_004), visit(3, 20_004)])
            .await
            .unwrap(),
        1,
        "one visit per case"
    );
    // Visits overlapping the days: case 1 leaves on the first of them, case 2 arrives on the last.
    assert_eq!(
        store.appointments_between(20_002, 20_003).await.unwrap(),
        vec![visit(1, 20_001), visit(2, 20_003)]
    );
    assert!(
        store
            .appointments_between(20_006, 20_009)
            .await
            .unwrap()
            .is_empty()
    );
    let mut booked = store.cases_with_appointments().await.unwrap();
    booked.sort();
    assert_eq!(booked, vec![case_id(1), case_id(2), case_id(3)]);
    assert_eq!(
        store
            .forget_appointments(&[case_id(1), case_id(3), case_id(99)])
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        store.cases_with_appointments().await.unwrap(),
        vec![case_id(2)]
    );
}

async fn the_capacity_flow_story(db: TestDb) {
    with_cases(&db, 3).await;
    let store = db.open().await;
    let pipeline = Pipeline::default_legion().unwrap();
    let coordinator = Actor {
        id: StaffId::from_uuid(Uuid::from_u128(5)),
        role: Role::IntakeCoordinator,
    };
    let state = CaseState::fold(case_id(2), &store.case_events(case_id(2)).await.unwrap());
    let command = Command::Close {
        closure: Closure::Rejected,
        reason: "not eligible".into(),
    };
    let events = state.stamp(
        state.decide(&pipeline, coordinator, &command).unwrap(),
        Some(coordinator.id),
        900,
    );
    let mut next = state.clone();
    events.iter().for_each(|event| next.apply(event));
    store
        .append(&[Append {
            case: case_id(2),
            expected_version: state.version,
            events: &events,
            state: &next,
            owner_role: Role::IntakeCoordinator,
            unit_limit: None,
        }])
        .await
        .unwrap();

    let flow = store.case_flow(0).await.unwrap();
    let first_stage = state.stage.clone();
    let received: Vec<u32> = flow
        .iter()
        .filter(|event| {
            event.kind
                == FlowKind::Received {
                    stage: first_stage.clone(),
                }
        })
        .map(|event| event.case)
        .collect();
    assert_eq!(
        received,
        vec![0, 1, 2],
        "cases numbered in answer order, never by id"
    );
    let closed: Vec<_> = flow
        .iter()
        .filter(|event| matches!(event.kind, FlowKind::Closed { .. }))
        .collect();
    assert_eq!(closed.len(), 1);
    assert_eq!(
        (closed[0].case, closed[0].at, closed[0].actor),
        (1, 900, Some(coordinator.id))
    );
    assert_eq!(
        closed[0].kind,
        FlowKind::Closed {
            closure: Closure::Rejected
        }
    );
    // Only the cases changed since the given time: the closed one, with its whole history.
    let recent = store.case_flow(900).await.unwrap();
    assert_eq!(recent.len(), 2);
}
