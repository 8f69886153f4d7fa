//! Office screening over a real SQLite store: a hit opens a flag that holds the case at the decision guard; a
//! dismissed hit is not raised again by the next import; unrelated applicants are left alone.
#![allow(clippy::expect_used, clippy::unwrap_used)]
mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use sito_core::machine::{Actor, CaseState, Command};
use sito_core::{CaseId, Category, FieldGroup, GroupContent, Pipeline, Role, StaffId};
use sito_office::screening::{Screener, StoredEntry};
use sito_screen::WatchlistRecord;
use sito_store::screening::{ScreeningStore, SqliteScreeningStore};
use sito_store::{Append, NewCase};
use support::{TempStore, temp_store};
use uuid::Uuid;

fn applicant(pipeline: &Pipeline, n: u128, name: &str, birth_date: &str) -> NewCase {
    let id = CaseId::from_uuid(Uuid::from_u128(n));
    let events = vec![
        CaseState::receive(
            pipeline,
            Category::FormerServiceman,
            &format!("Тихий-{n}"),
            1_000,
        )
        .unwrap(),
    ];
    let state = CaseState::fold(id, &events);
    let mut identity = GroupContent::default();
    identity.push("full_name", name);
    identity.push("birth_date", birth_date);
    identity.push("birth_place", "Сочи");
    NewCase {
        events,
        state,
        owner_role: Role::IntakeCoordinator,
        content: BTreeMap::from([(FieldGroup::Identity, identity)]),
    }
}

fn entry(id: &str, names: &[&str], birth_date: &str) -> (String, String) {
    let record = WatchlistRecord {
        id: id.into(),
        names: names.iter().map(|name| (*name).to_owned()).collect(),
        birth_dates: sito_screen::PartialDate::parse(birth_date)
            .unwrap()
            .into_iter()
            .collect(),
        birth_place: Some("Sochi".into()),
        country: Some("ru".into()),
    };
    (
        id.to_owned(),
        serde_json::to_string(&StoredEntry::from_record(&record)).unwrap(),
    )
}

#[tokio::test]
async fn hits_open_flags_that_hold_the_case_until_resolved() {
    let TempStore {
        store: cases,
        url,
        dir: _dir,
    } = temp_store().await;
    let lists: Arc<dyn ScreeningStore> = Arc::new(SqliteScreeningStore::open(&url).await.unwrap());
    let pipeline = Pipeline::default_legion().unwrap();
    let agent = CaseId::from_uuid(Uuid::from_u128(1));
    let bystander = CaseId::from_uuid(Uuid::from_u128(2));
    cases
        .create_cases(&[
            applicant(
                &pipeline,
                1,
                "Андронников Максимилиан Сергеевич",
                "1979-03-02",
            ),
            applicant(&pipeline, 2, "Смирнова Анна Павловна", "1990-07-14"),
        ])
        .await
        .unwrap();

    let screener = Screener::new(Arc::clone(&lists));
    // No watchlist yet: cases are marked screened, nothing is raised.
    let round = screener
        .screen_pending(cases.as_ref(), &pipeline, 2_000, 100)
        .await
        .unwrap();
    assert_eq!((round.screened, round.flags_opened), (2, 0));

    let generation = lists
        .replace_watchlist(
            "officers",
            "officers.csv",
            &[entry(
                "W1",
                &["ANDRONNIKOW, Maximilian Sergejewitsch"],
                "1979-03-02",
            )],
            3_000,
        )
        .await
        .unwrap();
    assert_eq!(generation, 1);
    let round = screener
        .screen_pending(cases.as_ref(), &pipeline, 4_000, 100)
        .await
        .unwrap();
    assert_eq!(
        (round.screened, round.flags_opened),
        (2, 1),
        "the import screens every active case again"
    );

    let state = CaseState::fold(agent, &cases.case_events(agent).await.unwrap());
    assert_eq!(
        state.open_flags.iter().collect::<Vec<_>>(),
        vec!["officers/W1"]
    );
    let opened = cases
        .case_events(agent)
        .await
        .unwrap()
        .last()
        .cloned()
        .unwrap();
    let detail = serde_json::to_string(&opened.kind).unwrap();
    assert!(
        !detail.contains("ANDRONNIKOW"),
        "the flag explains by features, never by the listed name: {detail}"
    );
    assert!(
        CaseState::fold(bystander, &cases.case_events(bystander).await.unwrap())
            .open_flags
            .is_empty()
    );

    // A security officer dismisses it with a reason; a re-import does not raise the same hit again.
    let officer = Actor {
        id: StaffId::from_uuid(Uuid::from_u128(9)),
        role: Role::SecurityOfficer,
    };
    let dismiss = Command::ResolveFlag {
        flag: "officers/W1".into(),
        confirmed: false,
        reason: "different person: checked documents".into(),
    };
    let kinds = state.decide(&pipeline, officer, &dismiss).unwrap();
    let events = state.stamp(kinds, Some(officer.id), 5_000);
    let mut next = state.clone();
    events.iter().for_each(|event| next.apply(event));
    cases
        .append(&[Append {
            case: agent,
            expected_version: state.version,
            events: &events,
            state: &next,
            owner_role: Role::IntakeCoordinator,
            unit_limit: None,
        }])
        .await
        .unwrap();
    lists
        .replace_watchlist(
            "officers",
            "officers.csv",
            &[entry("W1", &["Andronnikov Maksimilian"], "1979-03-02")],
            6_000,
        )
        .await
        .unwrap();
    let round = screener
        .screen_pending(cases.as_ref(), &pipeline, 7_000, 100)
        .await
        .unwrap();
    assert_eq!((round.screened, round.flags_opened), (2, 0));
    assert!(
        CaseState::fold(agent, &cases.case_events(agent).await.unwrap())
            .open_flags
            .is_empty()
    );
    assert_eq!(
        lists.watchlists().await.unwrap()[0].version,
        2,
        "a re-import replaces the list's version"
    );
}
