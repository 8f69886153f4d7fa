//! The case list's filters and orders, run on every backend: the same cases must come back in the same order from
//! SQLite and PostgreSQL for a call-sign search, an age in stage, "overdue only", stage and track, and each sort.
#![allow(clippy::expect_used, clippy::unwrap_used)]
mod support;
use std::collections::BTreeMap;

use sito_core::machine::{CaseState, EventKind};
use sito_core::{CaseId, Category, Pipeline, Role, Status};
use sito_store::{CaseFilter, CaseOrder, NewCase, Store};
use support::TestDb;
use uuid::Uuid;

crate::on_every_backend!(filters_and_orders_agree_on_every_backend);

/// A case received at `received` that entered `stage` at `entered`.
fn case(
    pipeline: &Pipeline,
    n: u128,
    call_sign: &str,
    category: Category,
    stage: &str,
    received: i64,
    entered: i64,
) -> NewCase {
    let id = CaseId::from_uuid(Uuid::from_u128(n));
    let first = CaseState::receive(pipeline, category, call_sign, received).unwrap();
    let mut state = CaseState::fold(id, std::slice::from_ref(&first));
    let moved = state.stamp(
        vec![EventKind::StageAdvanced {
            from: state.stage.clone(),
            to: stage.to_owned(),
            note: String::new(),
        }],
        None,
        entered,
    );
    moved.iter().for_each(|event| state.apply(event));
    let mut events = vec![first];
    events.extend(moved);
    NewCase {
        events,
        state,
        owner_role: pipeline.stage(stage).unwrap().owner,
        content: BTreeMap::new(),
    }
}

async fn call_signs(store: &dyn Store, filter: CaseFilter) -> Vec<String> {
    store
        .list_cases(&filter, 1, 50)
        .await
        .unwrap()
        .cases
        .into_iter()
        .map(|case| case.call_sign)
        .collect()
}

async fn filters_and_orders_agree_on_every_backend(db: TestDb) {
    let pipeline = Pipeline::default_legion().unwrap();
    {
        let store = db.open().await;
        use Category as C;
        store
            .create_cases(&[
                case(
                    &pipeline,
                    1,
                    "Сокол",
                    C::FormerServiceman,
                    "triage",
                    1_000,
                    5_000,
                ),
                case(
                    &pipeline,
                    2,
                    "СОКОЛ-2",
                    C::PrisonerOfWar,
                    "triage",
                    2_000,
                    3_000,
                ),
                case(
                    &pipeline,
                    3,
                    "Берёза",
                    C::FormerServiceman,
                    "document_scrutiny",
                    3_000,
                    4_000,
                ),
                case(
                    &pipeline,
                    4,
                    "Ясень",
                    C::PoliticalEmigre,
                    "triage",
                    4_000,
                    9_000,
                ),
                case(
                    &pipeline,
                    5,
                    "ab%c",
                    C::Other,
                    "document_scrutiny",
                    5_000,
                    8_000,
                ),
            ])
            .await
            .unwrap();
    }
    // Rows written before the search column existed are folded when the store opens.
    db.execute("UPDATE cases SET call_sign_folded = NULL")
        .await
        .unwrap();
    let store = db.open().await;
    let store = store.as_ref();
    let with = |edit: fn(&mut CaseFilter)| {
        let mut filter = CaseFilter {
            order: CaseOrder::OldestInStage,
            ..CaseFilter::default()
        };
        edit(&mut filter);
        filter
    };

    // Search: a piece of the call sign anywhere, any case, ё as е; a wildcard is only a character.
    assert_eq!(
        call_signs(store, with(|f| f.call_sign = Some("сОкОл".into()))).await,
        ["СОКОЛ-2", "Сокол"]
    );
    assert_eq!(
        call_signs(store, with(|f| f.call_sign = Some("берез".into()))).await,
        ["Берёза"]
    );
    assert_eq!(
        call_signs(store, with(|f| f.call_sign = Some("%".into()))).await,
        ["ab%c"]
    );
    assert_eq!(
        call_signs(store, with(|f| f.call_sign = Some("_".into()))).await,
        Vec::<String>::new()
    );

    // Age in stage, overdue by per-stage cut-offs, stage and track.
    assert_eq!(
        call_signs(store, with(|f| f.entered_stage_by = Some(4_000))).await,
        ["СОКОЛ-2", "Берёза"]
    );
    assert_eq!(
        call_signs(
            store,
            with(|f| {
                f.overdue = Some(vec![
                    ("triage".into(), 5_500),
                    ("document_scrutiny".into(), 4_000),
                ])
            })
        )
        .await,
        ["СОКОЛ-2", "Сокол"],
        "a cut-off is strict and belongs to its own stage"
    );
    assert!(
        call_signs(store, with(|f| f.overdue = Some(Vec::new())))
            .await
            .is_empty()
    );
    assert_eq!(
        call_signs(
            store,
            with(|f| {
                f.stage = Some("triage".into());
                f.category = Some(Category::FormerServiceman);
                f.status = Some(Status::Active);
                f.owner_role = Some(Role::IntakeCoordinator);
            })
        )
        .await,
        ["Сокол"]
    );

    // Orders.
    assert_eq!(
        call_signs(store, with(|f| f.order = CaseOrder::CallSign)).await,
        ["ab%c", "Берёза", "Сокол", "СОКОЛ-2", "Ясень"]
    );
    assert_eq!(
        call_signs(store, with(|f| f.order = CaseOrder::NewestInStage)).await,
        ["Ясень", "ab%c", "Сокол", "Берёза", "СОКОЛ-2"]
    );
    assert_eq!(
        call_signs(store, with(|f| f.order = CaseOrder::NewestReceived)).await,
        ["ab%c", "Ясень", "Берёза", "СОКОЛ-2", "Сокол"]
    );

    // A filter holds across pages, and the total counts what it admits.
    let second = store
        .list_cases(&with(|f| f.call_sign = Some("сокол".into())), 2, 1)
        .await
        .unwrap();
    assert_eq!((second.total, second.page_count()), (2, 2));
    assert_eq!(second.cases[0].call_sign, "Сокол");
}
