//! Findings of checks are kept only encrypted under the case key: read back through the store, never on disk, and
//! refused by a store opened without the office keyring. On every backend (for PostgreSQL "on disk" is the
//! database's files and the server's write-ahead log).
#![allow(clippy::expect_used, clippy::unwrap_used)]
mod support;
use std::collections::BTreeMap;
use std::sync::Arc;

use sito_core::machine::{Actor, CaseState, Command, EventKind};
use sito_core::{CaseId, Category, FieldGroup, Pipeline, Role, StaffId};
use sito_keyring::OfficeKeyring;
use sito_store::{Append, NewCase, StoreError};
use support::{TestDb, contains};
use uuid::Uuid;

crate::on_every_backend!(
    findings_are_ciphertext_on_disk_and_come_back_with_their_events,
    a_store_without_the_keyring_refuses_to_write_findings,
);

const NOTE: &str = "Паспорт серии 4512 подлинный, подпись сверена";

/// A case walked to document scrutiny, and the security officer's recorded check with its findings.
fn scrutinised(pipeline: &Pipeline) -> (NewCase, CaseState, Vec<sito_core::Event>) {
    let id = CaseId::from_uuid(Uuid::from_u128(9));
    let first = CaseState::receive(pipeline, Category::FormerServiceman, "Клён-9", 1_000).unwrap();
    let mut kinds_state = CaseState::fold(id, std::slice::from_ref(&first));
    let walk = kinds_state.stamp(
        vec![EventKind::StageAdvanced {
            from: "received".into(),
            to: "document_scrutiny".into(),
            note: String::new(),
        }],
        None,
        1_500,
    );
    let mut events = vec![first];
    for event in &walk {
        kinds_state.apply(event);
    }
    events.extend(walk);
    let new_case = NewCase {
        state: kinds_state.clone(),
        events,
        owner_role: Role::SecurityOfficer,
        content: BTreeMap::new(),
    };
    let security = Actor {
        id: StaffId::from_uuid(Uuid::from_u128(77)),
        role: Role::SecurityOfficer,
    };
    let findings = BTreeMap::from([
        (
            "documents_checked".to_owned(),
            "passport, military ID".to_owned(),
        ),
        ("verdict".to_owned(), "authentic".to_owned()),
        ("notes".to_owned(), NOTE.to_owned()),
    ]);
    let kinds = kinds_state
        .decide(
            pipeline,
            security,
            &Command::RecordCheck {
                check: "identity_documents_verified".into(),
                findings,
            },
        )
        .unwrap();
    let recorded = kinds_state.stamp(kinds, Some(security.id), 2_000);
    let mut next = kinds_state;
    for event in &recorded {
        next.apply(event);
    }
    (new_case, next, recorded)
}

async fn findings_are_ciphertext_on_disk_and_come_back_with_their_events(db: TestDb) {
    let url = db.url.clone();
    let keyring = Arc::new(OfficeKeyring::generate(1_000));
    let store = sito_store::open_encrypted(&url, Arc::clone(&keyring))
        .await
        .unwrap();
    let pipeline = Pipeline::default_legion().unwrap();
    let (new_case, next, recorded) = scrutinised(&pipeline);
    let id = new_case.state.id;
    let version = new_case.state.version;
    store.create_cases(&[new_case]).await.unwrap();
    store
        .append(&[Append {
            case: id,
            expected_version: version,
            events: &recorded,
            state: &next,
            owner_role: Role::SecurityOfficer,
            unit_limit: None,
        }])
        .await
        .unwrap();

    // The events read back are the events written: the state is still their fold.
    let events = store.case_events(id).await.unwrap();
    assert_eq!(&events[events.len() - recorded.len()..], &recorded[..]);
    assert_eq!(CaseState::fold(id, &events), next);
    let findings = store.case_findings(id).await.unwrap();
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].check, "identity_documents_verified");
    assert_eq!(findings[0].group, FieldGroup::Documents);
    assert_eq!(findings[0].actor, recorded[0].actor);
    assert_eq!(findings[0].findings["notes"], NOTE);

    drop(store);
    let disk = db.bytes_on_disk().await;
    assert!(!contains(&disk, NOTE), "plaintext finding on disk");
    assert!(
        !contains(&disk, "passport, military ID"),
        "plaintext finding on disk"
    );

    // Without the keyring: the history still folds, the values stay closed.
    let plain = sito_store::open(&url).await.unwrap();
    let events = plain.case_events(id).await.unwrap();
    assert_eq!(CaseState::fold(id, &events), next);
    assert!(events.iter().all(|event| !matches!(&event.kind,
        EventKind::FindingsRecorded { findings, .. } if !findings.is_empty())));
    assert!(matches!(
        plain.case_findings(id).await,
        Err(StoreError::EncryptionRequired)
    ));
}

async fn a_store_without_the_keyring_refuses_to_write_findings(db: TestDb) {
    let url = db.url.clone();
    let store = sito_store::open(&url).await.unwrap();
    let pipeline = Pipeline::default_legion().unwrap();
    let (new_case, next, recorded) = scrutinised(&pipeline);
    let id = new_case.state.id;
    let version = new_case.state.version;
    store.create_cases(&[new_case]).await.unwrap();
    let refused = store
        .append(&[Append {
            case: id,
            expected_version: version,
            events: &recorded,
            state: &next,
            owner_role: Role::SecurityOfficer,
            unit_limit: None,
        }])
        .await;
    assert!(matches!(refused, Err(StoreError::EncryptionRequired)));
    assert_eq!(
        store.case_events(id).await.unwrap().len(),
        2,
        "nothing was written"
    );
    drop(store);
    assert!(!contains(&db.bytes_on_disk().await, NOTE));
}
