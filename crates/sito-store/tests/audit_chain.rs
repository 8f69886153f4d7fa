//! The audit chain as stored, on every backend: appended entries verify, and each kind of tampering an insider
//! with the database could try (edit, delete, insert, reorder, cut the tail) is caught, even with the append-only
//! triggers dropped.
#![allow(clippy::expect_used, clippy::unwrap_used)]
mod support;
use sito_crypto::OfficeSigningKey;
use sito_crypto::audit::ChainViolation;
use sito_store::Store;
use sito_store::audit::{self, AuditFilter, AuditInput, VerifyError};
use support::TestDb;

crate::on_every_backend!(
    an_untouched_log_verifies_and_can_be_searched,
    the_triggers_refuse_edits_through_sql,
    an_edited_entry_is_found,
    an_edited_entry_with_a_recomputed_hash_breaks_the_next_link,
    a_deleted_entry_is_found,
    an_inserted_entry_is_found,
    reordered_entries_are_found,
    a_truncated_tail_is_found_against_the_checkpoint,
    a_checkpoint_signed_by_another_key_is_refused,
);

struct Logged {
    store: Box<dyn Store>,
    db: TestDb,
    key: OfficeSigningKey,
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

/// Ten entries, a checkpoint after the eighth, two more after it.
async fn logged(db: TestDb) -> Logged {
    let store = db.open().await;
    let key = OfficeSigningKey::generate();
    let inputs: Vec<_> = (1..=10).map(input).collect();
    store.record_audit(&inputs[..8]).await.unwrap();
    assert_eq!(
        audit::checkpoint(store.as_ref(), &key, 1).await.unwrap(),
        Some(8)
    );
    assert_eq!(
        audit::checkpoint(store.as_ref(), &key, 2).await.unwrap(),
        None,
        "head already signed"
    );
    store.record_audit(&inputs[8..]).await.unwrap();
    Logged { store, db, key }
}

/// Runs raw SQL as an attacker with the database would: triggers out of the way first.
async fn tamper(logged: &Logged, statements: &[&str]) {
    logged.db.disable_audit_triggers().await;
    for statement in statements {
        logged.db.execute(statement).await.unwrap();
    }
}

async fn verdict(logged: &Logged) -> Result<sito_crypto::audit::ChainReport, VerifyError> {
    audit::verify_chain(logged.store.as_ref(), &logged.key.public_key()).await
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
    ];
    for statement in refused {
        assert!(logged.db.execute(statement).await.is_err(), "{statement}");
    }
    assert_eq!(logged.store.audit_chain().await.unwrap().len(), 10);
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

async fn an_edited_entry_with_a_recomputed_hash_breaks_the_next_link(db: TestDb) {
    let logged = logged(db).await;
    // The attacker recomputes entry 4's own hash; entry 5 still points at the old one.
    let entries = logged.store.audit_chain().await.unwrap();
    let mut record = entries[3].record.clone();
    record.actor = "someone-else".into();
    let forged =
        sito_crypto::audit::AuditEntry::compute_hash(4, &record, &entries[3].previous_hash);
    tamper(
        &logged,
        &[&format!(
            "UPDATE audit_log SET actor = 'someone-else', hash = '{forged}' WHERE seq = 4"
        )],
    )
    .await;
    assert!(matches!(
        verdict(&logged).await,
        Err(VerifyError::Chain(ChainViolation::BrokenLink {
            sequence: 5
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
    let other = OfficeSigningKey::generate();
    let result = audit::verify_chain(logged.store.as_ref(), &other.public_key()).await;
    assert!(matches!(
        result,
        Err(VerifyError::Chain(ChainViolation::BadCheckpointSignature {
            sequence: 8
        }))
    ));
}
