//! Several office instances on one database (issue 10): each instance is its own store with its own pool, as two
//! processes behind a load balancer would be. Run on every backend; the job leases are PostgreSQL's.
#![allow(clippy::expect_used, clippy::unwrap_used)]
mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use sito_core::machine::{Actor, CaseState, Command, Event};
use sito_core::{
    CaseId, Category, FieldGroup, GroupContent, Pipeline, Role, StaffId, Status, UnitId,
};
use sito_crypto::audit::{AuditKey, ChainKeys};
use sito_keyring::{DeriveAuditKey, OfficeKeyring};
use sito_store::postgres::JobLeases;
use sito_store::{Append, NewCase, NewStaff, SessionRecord, Store, StoreError, UnitRecord};
use support::{Backend, TestDb};
use tokio::sync::Barrier;
use uuid::Uuid;

crate::on_every_backend!(
    concurrent_stage_actions_on_two_instances_never_lose_an_update,
    two_instances_never_push_a_unit_past_its_target,
    a_session_opened_on_one_instance_works_on_the_other,
);

const ROUNDS: usize = 12;

fn officer() -> Actor {
    Actor {
        id: StaffId::from_uuid(Uuid::from_u128(7)),
        role: Role::SecurityOfficer,
    }
}

fn new_case(pipeline: &Pipeline, n: u128) -> NewCase {
    let id = CaseId::from_uuid(Uuid::from_u128(n));
    let events = vec![
        CaseState::receive(
            pipeline,
            Category::PoliticalEmigre,
            &format!("Ольха-{n}"),
            100,
        )
        .unwrap(),
    ];
    let mut identity = GroupContent::default();
    identity.push("full_name", format!("Петров Пётр {n}"));
    NewCase {
        state: CaseState::fold(id, &events),
        events,
        owner_role: Role::IntakeCoordinator,
        content: BTreeMap::from([(FieldGroup::Identity, identity)]),
    }
}

/// Opens a flag on the case as one instance would for a request: read, decide, append at the version read. On a
/// conflict it reloads and decides again, as the web layer tells the user to. Returns how many conflicts it met.
async fn open_flag(
    store: &dyn Store,
    pipeline: &Pipeline,
    case: CaseId,
    flag: String,
    before_first_append: &Barrier,
) -> usize {
    let mut conflicts = 0;
    loop {
        let state = CaseState::fold(case, &store.case_events(case).await.unwrap());
        let command = Command::OpenFlag {
            flag: flag.clone(),
            summary: "a hit".into(),
        };
        let kinds = state.decide(pipeline, officer(), &command).unwrap();
        let events = state.stamp(kinds, Some(officer().id), 1_000);
        let mut next = state.clone();
        events.iter().for_each(|event| next.apply(event));
        if conflicts == 0 {
            // Both instances have read the same version before either writes.
            before_first_append.wait().await;
        }
        let result = store
            .append(&[Append {
                case,
                expected_version: state.version,
                events: &events,
                state: &next,
                owner_role: Role::IntakeCoordinator,
                unit_limit: None,
            }])
            .await;
        match result {
            Ok(()) => return conflicts,
            Err(StoreError::Conflict) => conflicts += 1,
            Err(other) => panic!("append failed: {other}"),
        }
    }
}

async fn concurrent_stage_actions_on_two_instances_never_lose_an_update(db: TestDb) {
    // Both instances hold the office keyring, as every office instance does, so the chain is keyed.
    let keyring = Arc::new(OfficeKeyring::generate(0));
    let first: Arc<dyn Store> = Arc::from(db.open_encrypted(Arc::clone(&keyring)).await);
    let second: Arc<dyn Store> = Arc::from(db.open_encrypted(Arc::clone(&keyring)).await);
    let pipeline = Arc::new(Pipeline::default_legion().unwrap());
    let case = CaseId::from_uuid(Uuid::from_u128(1));
    first.create_cases(&[new_case(&pipeline, 1)]).await.unwrap();

    let mut conflicts = 0;
    for round in 0..ROUNDS {
        let barrier = Arc::new(Barrier::new(2));
        let tasks = [(Arc::clone(&first), "a"), (Arc::clone(&second), "b")].map(|(store, who)| {
            let (pipeline, barrier) = (Arc::clone(&pipeline), Arc::clone(&barrier));
            tokio::spawn(async move {
                open_flag(
                    store.as_ref(),
                    &pipeline,
                    case,
                    format!("{who}-{round}"),
                    &barrier,
                )
                .await
            })
        });
        let mut round_conflicts = 0;
        for task in tasks {
            round_conflicts += task.await.unwrap();
        }
        assert_eq!(
            round_conflicts, 1,
            "round {round}: exactly one of the two appends at one version loses"
        );
        conflicts += round_conflicts;
    }
    assert_eq!(conflicts, ROUNDS);

    // Nothing lost: every flag of both instances is on the case, each event once, in one unbroken sequence.
    let events: Vec<Event> = second.case_events(case).await.unwrap();
    assert_eq!(events.len(), 1 + 2 * ROUNDS);
    assert!(
        events
            .iter()
            .enumerate()
            .all(|(index, event)| event.seq == index as u64 + 1)
    );
    let state = CaseState::fold(case, &events);
    let expected: Vec<String> = (0..ROUNDS)
        .flat_map(|round| [format!("a-{round}"), format!("b-{round}")])
        .collect();
    assert!(
        expected.iter().all(|flag| state.open_flags.contains(flag)),
        "{:?}",
        state.open_flags
    );
    let summary = first.case_summary(case).await.unwrap();
    assert_eq!(
        (summary.version, summary.open_flags),
        (state.version, 2 * ROUNDS as u32)
    );
    // The audit chain took every write of both instances in order.
    let signing = keyring.signing_key().public_key();
    let audit_key = AuditKey::derive(&keyring);
    let keys = ChainKeys {
        signing: &signing,
        audit: &audit_key,
    };
    let report = sito_store::audit::verify_chain(first.as_ref(), &keys, None)
        .await
        .unwrap();
    assert_eq!(report.entries as usize, events.len());
    assert_eq!(report.unkeyed_prefix, 0);
}

async fn two_instances_never_push_a_unit_past_its_target(db: TestDb) {
    let first = db.open().await;
    let second = db.open().await;
    let pipeline = Pipeline::default_legion().unwrap();
    let unit = UnitRecord {
        id: UnitId::from_uuid(Uuid::from_u128(50)),
        name: "reserve company".into(),
        target_strength: 1,
    };
    first.create_unit(&unit).await.unwrap();
    first
        .create_cases(&[new_case(&pipeline, 1), new_case(&pipeline, 2)])
        .await
        .unwrap();

    // Two cases completed into the unit's last place at once, one per instance. The projection is what the store
    // counts strength from, so each append carries a completed state in that unit (the machine's own unit checks
    // are sito-core's tests; this is the store's re-check inside the transaction).
    let appends: Vec<(CaseId, Vec<Event>, CaseState)> = [1u128, 2]
        .map(|n| {
            let case = CaseId::from_uuid(Uuid::from_u128(n));
            let state = new_case(&pipeline, n).state;
            let command = Command::OpenFlag {
                flag: "assigned".into(),
                summary: "completed into the unit".into(),
            };
            let events = state.stamp(
                state.decide(&pipeline, officer(), &command).unwrap(),
                Some(officer().id),
                500,
            );
            let mut next = state.clone();
            events.iter().for_each(|event| next.apply(event));
            next.status = Status::Completed;
            next.unit = Some(unit.id);
            (case, events, next)
        })
        .into();
    let append = |index: usize| Append {
        case: appends[index].0,
        expected_version: 1,
        events: &appends[index].1,
        state: &appends[index].2,
        owner_role: Role::IntakeCoordinator,
        unit_limit: Some((unit.id, unit.target_strength)),
    };
    let (batch_one, batch_two) = ([append(0)], [append(1)]);
    let (one, two) = tokio::join!(first.append(&batch_one), second.append(&batch_two));
    let outcomes = [one, two];
    assert_eq!(
        outcomes.iter().filter(|outcome| outcome.is_ok()).count(),
        1,
        "{outcomes:?}"
    );
    assert!(
        outcomes
            .iter()
            .any(|outcome| matches!(outcome, Err(StoreError::UnitFull))),
        "{outcomes:?}"
    );
    assert_eq!(first.unit(unit.id).await.unwrap().1, 1);
    assert_eq!(second.list_units().await.unwrap(), vec![(unit, 1)]);
}

async fn a_session_opened_on_one_instance_works_on_the_other(db: TestDb) {
    let first = db.open().await;
    let second = db.open().await;
    let staff = StaffId::from_uuid(Uuid::from_u128(3));
    first
        .create_staff(&NewStaff {
            id: staff,
            call_sign: "Кедр".into(),
            role: Role::SecurityOfficer,
            password_hash: "h".into(),
            created_at: 1,
        })
        .await
        .unwrap();
    let session = SessionRecord {
        id_hash: "session-hash".into(),
        staff_id: staff,
        csrf_token: "csrf".into(),
        created_at: 10,
        last_seen: 10,
    };
    first.create_session(&session).await.unwrap();
    second.touch_session("session-hash", 20).await.unwrap();
    assert_eq!(first.session("session-hash").await.unwrap().last_seen, 20);
    // A sign-out on one instance ends the session on the other.
    second.delete_session("session-hash").await.unwrap();
    assert!(matches!(
        first.session("session-hash").await,
        Err(StoreError::NotFound)
    ));
    // A TOTP code is accepted once across instances: the same step on the other instance is a replay.
    let (a, b) = tokio::join!(
        first.use_totp_step(staff, 42),
        second.use_totp_step(staff, 42)
    );
    assert_eq!(
        [a.unwrap(), b.unwrap()].iter().filter(|won| **won).count(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_jobs_run_on_one_instance_at_a_time_and_move_when_the_holder_stops() {
    let Some(db) = TestDb::new(Backend::Postgres).await else {
        return;
    };
    db.open().await; // migrates
    const TTL: i64 = 60_000;
    let instances: Vec<Arc<JobLeases>> = one_after_another((0..6).map(|n| {
        let url = db.url.clone();
        async move { Arc::new(JobLeases::open(&url, format!("office-{n}")).await.unwrap()) }
    }))
    .await;

    // Six instances ask for the retention job at the same moment: exactly one gets it.
    let asks = instances.iter().map(|leases| {
        let leases = Arc::clone(leases);
        tokio::spawn(async move { leases.try_acquire("retention", 1_000, TTL).await.unwrap() })
    });
    let mut winners = Vec::new();
    for (index, ask) in asks.enumerate() {
        if ask.await.unwrap() {
            winners.push(index);
        }
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    let holder = winners[0];
    let other = (holder + 1) % instances.len();

    // The holder renews; the others keep being refused while the lease runs; another job is independent.
    assert!(
        instances[holder]
            .try_acquire("retention", 30_000, TTL)
            .await
            .unwrap()
    );
    assert!(
        !instances[other]
            .try_acquire("retention", 60_000, TTL)
            .await
            .unwrap()
    );
    assert!(
        instances[other]
            .try_acquire("screening", 60_000, TTL)
            .await
            .unwrap()
    );
    // The holder stops renewing (crashed): once the lease lapses another instance takes the job over...
    assert!(
        instances[other]
            .try_acquire("retention", 30_000 + TTL, TTL)
            .await
            .unwrap()
    );
    // ...and the old holder, coming back, does not run it too.
    assert!(
        !instances[holder]
            .try_acquire("retention", 30_000 + TTL + 1, TTL)
            .await
            .unwrap()
    );
    // A clean shutdown hands the job on at once.
    instances[other].release("retention").await.unwrap();
    assert!(
        instances[holder]
            .try_acquire("retention", 30_000 + TTL + 2, TTL)
            .await
            .unwrap()
    );
}

/// Runs the futures one after the other (opening pools; order does not matter here).
async fn one_after_another<T>(
    futures: impl Iterator<Item = impl std::future::Future<Output = T>>,
) -> Vec<T> {
    let mut out = Vec::new();
    for future in futures {
        out.push(future.await);
    }
    out
}
