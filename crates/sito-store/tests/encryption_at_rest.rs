//! Encryption at rest and crypto-shredding, checked on the bytes of the database files themselves, on every
//! backend (for PostgreSQL: the database's files and the server's write-ahead log).
#![allow(clippy::expect_used, clippy::unwrap_used)]
mod support;
use std::collections::BTreeMap;
use std::sync::Arc;

use sito_core::machine::{Actor, CaseState, Closure, Command};
use sito_core::{CaseId, Category, FieldGroup, GroupContent, Pipeline, Role, StaffId, Status};
use sito_keyring::OfficeKeyring;
use sito_store::{Append, NewCase, StoreError};
use support::{TestDb, contains};
use uuid::Uuid;

crate::on_every_backend!(
    identity_is_ciphertext_on_disk_and_gone_after_shredding,
    second_factor_secrets_are_sealed_on_disk_and_fail_closed_without_the_keyring,
);

const NAME: &str = "Вышеславцев Радомир Остапович";
const PHONE: &str = "+7 912 345-67-89";

fn new_case(pipeline: &Pipeline, n: u128, name: &str, phone: &str) -> NewCase {
    let id = CaseId::from_uuid(Uuid::from_u128(n));
    let events = vec![
        CaseState::receive(
            pipeline,
            Category::PoliticalEmigre,
            &format!("Клён-{n}"),
            1_000,
        )
        .unwrap(),
    ];
    let mut identity = GroupContent::default();
    identity.push("full_name", name.to_owned());
    let mut contacts = GroupContent::default();
    contacts.push("telegram", phone.to_owned());
    NewCase {
        state: CaseState::fold(id, &events),
        events,
        owner_role: Role::IntakeCoordinator,
        content: BTreeMap::from([
            (FieldGroup::Identity, identity),
            (FieldGroup::Contacts, contacts),
        ]),
    }
}

async fn identity_is_ciphertext_on_disk_and_gone_after_shredding(db: TestDb) {
    let url = db.url.clone();
    let keyring = Arc::new(OfficeKeyring::generate(1_000));
    let store = sito_store::open_encrypted(&url, Arc::clone(&keyring))
        .await
        .unwrap();
    let pipeline = Pipeline::default_legion().unwrap();
    let kept = new_case(&pipeline, 1, "Другой Человек Иванович", PHONE);
    let shredded = new_case(&pipeline, 2, NAME, PHONE);
    let shredded_id = shredded.state.id;
    let shredded_state = shredded.state.clone();
    store.create_cases(&[kept, shredded]).await.unwrap();

    // Readable through the store, never on disk.
    let content = store.case_content(shredded_id).await.unwrap();
    assert_eq!(
        content[&FieldGroup::Identity].fields[0].value.expose(),
        NAME
    );
    let disk = db.bytes_on_disk().await;
    assert!(
        !contains(&disk, NAME) && !contains(&disk, "912 345"),
        "plaintext identity on disk"
    );
    // The shared phone links the two cases through blind indexes only.
    let linked = store.cases_sharing_identifier(shredded_id).await.unwrap();
    assert_eq!(
        linked,
        vec![(CaseId::from_uuid(Uuid::from_u128(1)), "phone".to_owned())]
    );

    // Without the keyring the content does not open.
    let without_key = sito_store::open(&url).await.unwrap();
    assert!(matches!(
        without_key.case_content(shredded_id).await,
        Err(StoreError::Corrupt(_))
    ));
    // Nor does it write: its audit entries would read as forged in the keyed chain.
    const UNSEALED: &str = "Открытый Контроль Петрович";
    let unsealed_case = || new_case(&pipeline, 3, UNSEALED, "+7 900 000-00-03");
    assert!(matches!(
        without_key.create_cases(&[unsealed_case()]).await,
        Err(StoreError::AuditKeyRequired)
    ));
    drop(without_key);
    // The control, on a database never keyed: what a store without the keyring writes is plaintext, and the
    // reading of the disk finds it.
    let control = TestDb::new(db.backend).await.expect("the same backend");
    control
        .open()
        .await
        .create_cases(&[unsealed_case()])
        .await
        .unwrap();
    assert!(
        contains(&control.bytes_on_disk().await, UNSEALED),
        "the disk reader sees stored content"
    );

    // Withdrawn, then past retention: shredded.
    let actor = Actor {
        id: StaffId::from_uuid(Uuid::from_u128(9)),
        role: Role::IntakeCoordinator,
    };
    let command = Command::Close {
        closure: Closure::Withdrawn,
        reason: "applicant withdrew".into(),
    };
    let kinds = shredded_state.decide(&pipeline, actor, &command).unwrap();
    let events = shredded_state.stamp(kinds, Some(actor.id), 2_000);
    let mut next = shredded_state.clone();
    events.iter().for_each(|event| next.apply(event));
    store
        .append(&[Append {
            case: shredded_id,
            expected_version: shredded_state.version,
            events: &events,
            state: &next,
            owner_role: Role::IntakeCoordinator,
            unit_limit: None,
        }])
        .await
        .unwrap();
    assert_eq!(
        store.shred_closed_cases(1_500, 3_000).await.unwrap(),
        0,
        "not yet past retention"
    );
    assert_eq!(store.shred_closed_cases(2_500, 3_000).await.unwrap(), 1);
    assert!(store.case_content(shredded_id).await.unwrap().is_empty());
    assert!(
        store
            .cases_sharing_identifier(shredded_id)
            .await
            .unwrap()
            .is_empty()
    );
    // The statistics stay: the case is still counted, as withdrawn.
    let summary = store.case_summary(shredded_id).await.unwrap();
    assert_eq!(summary.status, Status::Withdrawn);
    assert!(
        store
            .stage_counts()
            .await
            .unwrap()
            .iter()
            .any(|(_, status, n)| status == "withdrawn" && *n == 1)
    );
    // The other case is untouched.
    assert!(
        !store
            .case_content(CaseId::from_uuid(Uuid::from_u128(1)))
            .await
            .unwrap()
            .is_empty()
    );
    drop(store);
    let disk = db.bytes_on_disk().await;
    assert!(
        !contains(&disk, NAME) && !contains(&disk, "912 345"),
        "identity of the shredded case on disk"
    );
    audit_records_the_shredding(&url, shredded_id).await;
}

async fn audit_records_the_shredding(url: &str, id: CaseId) {
    let store = sito_store::open(url).await.unwrap();
    let found = store
        .search_audit(&sito_store::audit::AuditFilter {
            action_prefix: Some("case.shredded".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].entry.record.subject, id.to_string());
}

async fn second_factor_secrets_are_sealed_on_disk_and_fail_closed_without_the_keyring(db: TestDb) {
    let url = db.url.clone();
    let keyring = Arc::new(OfficeKeyring::generate(1_000));
    let store = sito_store::open_encrypted(&url, Arc::clone(&keyring))
        .await
        .unwrap();
    let staff = StaffId::from_uuid(Uuid::from_u128(9));
    store
        .create_staff(&sito_store::NewStaff {
            id: staff,
            call_sign: "Сыч".into(),
            role: Role::SecurityOfficer,
            password_hash: "argon2-hash-stand-in".into(),
            created_at: 1_000,
        })
        .await
        .unwrap();
    const PENDING: &str = "PENDINGSECRETBASE32PENDINGSECRET";
    const ENROLLED: &str = "ENROLLEDSECRETBASE32ENROLLEDSECR";
    store.set_totp_pending(staff, PENDING).await.unwrap();
    assert_eq!(
        store
            .staff_by_id(staff)
            .await
            .unwrap()
            .totp_pending
            .as_deref(),
        Some(PENDING)
    );
    store.enrol_totp(staff, ENROLLED, 0, &[]).await.unwrap();
    let record = store.staff_by_call_sign("Сыч").await.unwrap();
    assert_eq!(record.totp_secret.as_deref(), Some(ENROLLED));
    assert_eq!(record.totp_pending, None);
    drop(store);

    let bytes = db.bytes_on_disk().await;
    assert!(!contains(&bytes, ENROLLED), "the secret is sealed on disk");
    assert!(!contains(&bytes, PENDING), "so is a pending one");

    // A store opened without the keyring (as `sito users` does) still sees the account as enrolled, with a
    // value that no code can match: it never falls back to "not enrolled", which would skip the second factor.
    let plain = sito_store::open(&url).await.unwrap();
    let seen = plain.staff_by_id(staff).await.unwrap().totp_secret;
    assert!(seen.is_some_and(|secret| secret != ENROLLED));
}
