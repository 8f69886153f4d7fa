//! The audit chain as stored, on every backend: appended entries verify, and each kind of tampering an insider
//! with the database could try (edit, delete, insert, reorder, cut the tail) is caught, even with the append-only
//! triggers out of the way, and even when the attacker recomputes hashes without the office key.
#![allow(clippy::expect_used, clippy::unwrap_used)]
mod support;
use std::sync::Arc;

use sito_crypto::OfficeSigningKey;
use sito_crypto::audit::{AuditKey, ChainKeys, ChainViolation, CheckpointSource};
use sito_keyring::{DeriveAuditKey, OfficeKeyring};
use sito_store::audit::{self, AuditFilter, AuditInput, CheckpointFiles, VerifyError};
use sito_store::{Store, StoreError};
use support::TestDb;

crate::on_every_backend!(
    an_untouched_log_verifies_and_can_be_searched,
    the_triggers_refuse_edits_through_sql,
    an_edited_entry_is_found,
    an_edited_entry_with_a_recomputed_plain_hash_is_refused,
    a_deleted_entry_is_found,
    an_inserted_entry_is_found,
    reordered_entries_are_found,
    a_truncated_tail_is_found_against_the_checkpoint,
    a_checkpoint_signed_by_another_key_is_refused,
    checkpoints_deleted_with_the_tail_are_found_against_the_file,
    a_log_written_before_the_keyring_is_a_prefix_and_a_plain_store_cannot_extend_a_keyed_log,
    a_broken_checkpoints_file_is_bad_input_with_its_line,
);

struct Logged {
    store: Box<dyn Store>,
    db: TestDb,
    keyring: Arc<OfficeKeyring>,
    files: CheckpointFiles,
    _files_dir: tempfile::TempDir,
}

fn input(n: i64) -> AuditInput {
    AuditInput {
        at_ms: 1_800_000_000_000 + n,
        actor: format!("staff-{}", n % 3),
        action: if n % 2 == 0 {
            "identity.read".into()
        } else {
            "case.CheckTicked".into()
        },
        subject: format!("case-{n}"),
        detail: format!("detail {n}"),
    }
}

/// Ten keyed entries, a checkpoint after the eighth (in the database and the file beside it), two more after it.
async fn logged(db: TestDb) -> Logged {
    let keyring = Arc::new(OfficeKeyring::generate(0));
    let store = db.open_encrypted(Arc::clone(&keyring)).await;
    let files_dir = tempfile::tempdir().unwrap();
    let files = CheckpointFiles::beside(files_dir.path(), None);
    let key = keyring.signing_key();
    let inputs: Vec<_> = (1..=10).map(input).collect();
    store.record_audit(&inputs[..8]).await.unwrap();
    assert_eq!(
        audit::checkpoint(store.as_ref(), key, 1, &files)
            .await
            .unwrap(),
        Some(8)
    );
    assert_eq!(
        audit::checkpoint(store.as_ref(), key, 2, &files)
            .await
            .unwrap(),
        None,
        "head already signed"
    );
    store.record_audit(&inputs[8..]).await.unwrap();
    Logged {
        store,
        db,
        keyring,
        files,
        _files_dir: files_dir,
    }
}

/// Runs raw SQL as an attacker with the database would: triggers out of the way first.
async fn tamper(logged: &Logged, statements: &[&str]) {
    logged.db.disable_audit_triggers().await;
    for statement in statements {
        logged.db.execute(statement).await.unwrap();
    }
}

fn office_keys(keyring: &OfficeKeyring) -> (sito_crypto::SigningPublicKey, AuditKey) {
    (
        keyring.signing_key().public_key(),
        AuditKey::derive(keyring),
    )
}

async fn verdict(logged: &Logged) -> Result<sito_crypto::audit::ChainReport, VerifyError> {
    let (signing, audit_key) = office_keys(&logged.keyring);
    let keys = ChainKeys {
        signing: &signing,
        audit: &audit_key,
    };
    let external = audit::read_checkpoint_file(&logged.files.paths()[0])?;
    audit::verify_chain(logged.store.as_ref(), &keys, Some(&external)).await
}

async fn an_untouched_log_verifies_and_can_be_searched(db: TestDb) {
    let logged = logged(db).await;
    let report = verdict(&logged).await.unwrap();
    assert_eq!(report.entries, 10);
    assert_eq!(report.latest_checkpoint, Some(8));
    assert_eq!(report.unsigned_tail, 2);
    let reads = logged
        .store
        .search_audit(&AuditFilter {
            action_prefix: Some("identity.".into()),
            limit: 100,
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(reads.len(), 5);
    assert!(
        reads
            .windows(2)
            .all(|pair| pair[0].entry.sequence > pair[1].entry.sequence),
        "newest first"
    );
    let counts = logged
        .store
        .audit_counts_since("identity.read", 0)
        .await
        .unwrap();
    assert_eq!(counts.iter().map(|(_, n)| n).sum::<u64>(), 5);
}

async fn the_triggers_refuse_edits_through_sql(db: TestDb) {
    let logged = logged(db).await;
    let refused = [
        "UPDATE audit_log SET detail = 'x' WHERE seq = 1",
        "DELETE FROM audit_log WHERE seq = 10",
        "DELETE FROM audit_checkpoints WHERE seq = 8",
    ];
    for statement in refused {
        assert!(logged.db.execute(statement).await.is_err(), "{statement}");
    }
    assert_eq!(logged.store.audit_chain().await.unwrap().len(), 10);
    assert_eq!(logged.store.audit_checkpoints().await.unwrap().len(), 1);
}

async fn an_edited_entry_is_found(db: TestDb) {
    let logged = logged(db).await;
    tamper(
        &logged,
        &["UPDATE audit_log SET detail = 'nothing to see' WHERE seq = 4"],
    )
    .await;
    assert!(matches!(
        verdict(&logged).await,
        Err(VerifyError::Chain(ChainViolation::HashMismatch {
            sequence: 4
        }))
    ));
}

async fn an_edited_entry_with_a_recomputed_plain_hash_is_refused(db: TestDb) {
    let logged = logged(db).await;
    // The attacker recomputes entry 4's hash the only way they can, with plain SHA-256.
    let entries = logged.store.audit_chain().await.unwrap();
    let mut record = entries[3].record.clone();
    record.actor = "someone-else".into();
    let forged =
        sito_crypto::audit::AuditEntry::compute_unkeyed_hash(4, &record, &entries[3].previous_hash);
    tamper(
        &logged,
        &[&format!(
            "UPDATE audit_log SET actor = 'someone-else', hash = '{forged}' WHERE seq = 4"
        )],
    )
    .await;
    assert!(matches!(
        verdict(&logged).await,
        Err(VerifyError::Chain(ChainViolation::UnkeyedAfterKeyed {
            sequence: 4,
            first_keyed: 1
        }))
    ));
}

async fn a_deleted_entry_is_found(db: TestDb) {
    let logged = logged(db).await;
    tamper(&logged, &["DELETE FROM audit_log WHERE seq = 3"]).await;
    assert!(matches!(
        verdict(&logged).await,
        Err(VerifyError::Chain(ChainViolation::SequenceGap { .. }))
    ));
}

async fn an_inserted_entry_is_found(db: TestDb) {
    let logged = logged(db).await;
    tamper(&logged, &[
        "INSERT INTO audit_log (seq, at_ms, actor, action, subject, detail, previous_hash, hash) \
         SELECT 11, at_ms, actor, action, subject, detail, previous_hash, hash FROM audit_log WHERE seq = 5",
    ])
    .await;
    assert!(matches!(
        verdict(&logged).await,
        Err(VerifyError::Chain(ChainViolation::HashMismatch {
            sequence: 11
        }))
    ));
}

async fn reordered_entries_are_found(db: TestDb) {
    let logged = logged(db).await;
    tamper(
        &logged,
        &[
            "UPDATE audit_log SET seq = -1 WHERE seq = 6",
            "UPDATE audit_log SET seq = 6 WHERE seq = 7",
            "UPDATE audit_log SET seq = 7 WHERE seq = -1",
        ],
    )
    .await;
    assert!(matches!(
        verdict(&logged).await,
        Err(VerifyError::Chain(ChainViolation::HashMismatch {
            sequence: 6
        }))
    ));
}

async fn a_truncated_tail_is_found_against_the_checkpoint(db: TestDb) {
    let logged = logged(db).await;
    tamper(&logged, &["DELETE FROM audit_log WHERE seq >= 7"]).await;
    assert!(matches!(
        verdict(&logged).await,
        Err(VerifyError::Chain(ChainViolation::Truncated {
            last: 6,
            checkpoint: 8
        }))
    ));
}

async fn a_checkpoint_signed_by_another_key_is_refused(db: TestDb) {
    let logged = logged(db).await;
    let other = OfficeSigningKey::generate().public_key();
    let audit_key = AuditKey::derive(&logged.keyring);
    let keys = ChainKeys {
        signing: &other,
        audit: &audit_key,
    };
    let result = audit::verify_chain(logged.store.as_ref(), &keys, None).await;
    assert!(matches!(
        result,
        Err(VerifyError::Chain(ChainViolation::BadCheckpointSignature {
            sequence: 8,
            origin: CheckpointSource::Database
        }))
    ));
}

async fn checkpoints_deleted_with_the_tail_are_found_against_the_file(db: TestDb) {
    let logged = logged(db).await;
    let file = std::fs::read_to_string(&logged.files.paths()[0]).unwrap();
    assert_eq!(file.lines().count(), 1, "{file}");
    assert!(file.starts_with("sito-checkpoint-v1 8 "), "{file}");
    logged.db.disable_checkpoint_triggers().await;
    tamper(
        &logged,
        &[
            "DELETE FROM audit_checkpoints WHERE seq >= 8",
            "DELETE FROM audit_log WHERE seq >= 6",
        ],
    )
    .await;
    assert!(matches!(
        verdict(&logged).await,
        Err(VerifyError::Chain(
            ChainViolation::CheckpointsDeletedWithTail {
                last: 5,
                checkpoint: 8
            }
        ))
    ));
}

async fn a_log_written_before_the_keyring_is_a_prefix_and_a_plain_store_cannot_extend_a_keyed_log(
    db: TestDb,
) {
    let keyring = Arc::new(OfficeKeyring::generate(0));
    let plain = db.open().await;
    plain.record_audit(&[input(1), input(2)]).await.unwrap();
    drop(plain);
    let keyed = db.open_encrypted(Arc::clone(&keyring)).await;
    keyed.record_audit(&[input(3)]).await.unwrap();
    let (signing, audit_key) = office_keys(&keyring);
    let keys = ChainKeys {
        signing: &signing,
        audit: &audit_key,
    };
    let report = audit::verify_chain(keyed.as_ref(), &keys, None)
        .await
        .unwrap();
    assert_eq!((report.entries, report.unkeyed_prefix), (3, 2));
    let plain = db.open().await;
    assert!(matches!(
        plain.record_audit(&[input(4)]).await,
        Err(StoreError::AuditKeyRequired)
    ));
}

async fn a_broken_checkpoints_file_is_bad_input_with_its_line(db: TestDb) {
    let logged = logged(db).await;
    let path = &logged.files.paths()[0];
    let mut text = std::fs::read_to_string(path).unwrap();
    text.push_str("\nnot a checkpoint\n");
    std::fs::write(path, text).unwrap();
    assert!(matches!(
        verdict(&logged).await,
        Err(VerifyError::BadCheckpointFile { line: 3, .. })
    ));
}
