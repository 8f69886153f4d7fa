//! The audit log as the store keeps it: entries chained with sito-crypto's `audit` inside the same transaction as
//! the write they record (a case change and its audit entry commit together or not at all), reads recorded by
//! the web adapter through `Store::record_audit`, and signed checkpoints over the head.
//!
//! Architecture invariant: nothing in the store updates or deletes an audit row; the chain is verified from the
//! rows alone (`verify_chain`), so an edit made with the triggers dropped is still found.
use sito_crypto::SigningPublicKey;
use sito_crypto::audit::{
    AuditEntry, AuditRecord, ChainHash, ChainHead, ChainReport, ChainViolation, Checkpoint,
};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, Sqlite, Transaction};

use crate::{Result, StoreError};

/// One thing to record: who did what to which subject (a case id, a staff call sign, "office"), with a detail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditInput {
    pub at_ms: i64,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail: String,
}

/// A stored entry with its detail, as the auditor pages show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredAudit {
    pub entry: AuditEntry,
    pub detail: String,
}

/// A search of the log: every given field must match; newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action_prefix: Option<String>,
    pub subject: Option<String>,
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
    pub limit: u32,
}

pub(crate) async fn chain(
    tx: &mut Transaction<'static, Sqlite>,
    inputs: &[AuditInput],
) -> Result<()> {
    if inputs.is_empty() {
        return Ok(());
    }
    let last = sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        .fetch_optional(&mut **tx)
        .await?;
    let mut head = match last {
        None => ChainHead::empty(),
        Some(row) => {
            let hash: &str = row.try_get("hash")?;
            ChainHead {
                next_sequence: row.try_get::<i64, _>("seq")? as u64 + 1,
                head_hash: ChainHash::parse(hash)
                    .ok_or_else(|| StoreError::Corrupt("audit head hash".into()))?,
            }
        }
    };
    for input in inputs {
        let entry = head.append(AuditRecord::new(
            input.at_ms,
            input.actor.as_str(),
            input.action.as_str(),
            input.subject.as_str(),
            input.detail.as_bytes(),
        ));
        sqlx::query(
            "INSERT INTO audit_log (seq, at_ms, actor, action, subject, detail, previous_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(entry.sequence as i64)
        .bind(input.at_ms)
        .bind(&input.actor)
        .bind(&input.action)
        .bind(&input.subject)
        .bind(&input.detail)
        .bind(entry.previous_hash.to_string())
        .bind(entry.hash.to_string())
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Rebuilds an entry from its row. The detail hash is recomputed from the stored detail, so an edited detail
/// shows up as an entry that no longer hashes to its stored hash.
pub(crate) fn entry_from_row(row: &SqliteRow) -> Result<StoredAudit> {
    let hash = |name: &str| -> Result<ChainHash> {
        let text: &str = row.try_get(name)?;
        ChainHash::parse(text).ok_or_else(|| StoreError::Corrupt(format!("audit {name}")))
    };
    let detail: String = row.try_get("detail")?;
    let record = AuditRecord::new(
        row.try_get("at_ms")?,
        row.try_get::<String, _>("actor")?,
        row.try_get::<String, _>("action")?,
        row.try_get::<String, _>("subject")?,
        detail.as_bytes(),
    );
    Ok(StoredAudit {
        entry: AuditEntry {
            sequence: row.try_get::<i64, _>("seq")? as u64,
            record,
            previous_hash: hash("previous_hash")?,
            hash: hash("hash")?,
        },
        detail,
    })
}

/// Why `sito audit verify` failed.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("{0}")]
    Chain(#[from] ChainViolation),
    #[error("checkpoint {index}: {detail}")]
    BadCheckpointLine { index: usize, detail: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Verifies the whole stored chain and its checkpoints against the office's signing key.
pub async fn verify_chain(
    store: &dyn crate::Store,
    key: &SigningPublicKey,
) -> std::result::Result<ChainReport, VerifyError> {
    let entries: Vec<AuditEntry> = store.audit_chain().await?;
    let mut checkpoints = Vec::new();
    for (index, line) in store.audit_checkpoints().await?.iter().enumerate() {
        checkpoints.push(Checkpoint::parse_line(line).map_err(|error| {
            VerifyError::BadCheckpointLine {
                index: index + 1,
                detail: error.to_string(),
            }
        })?);
    }
    Ok(sito_crypto::audit::verify(&entries, &checkpoints, key)?)
}

/// Signs the current head as a checkpoint, unless the latest checkpoint already covers it. Returns the sequence
/// signed, if any.
pub async fn checkpoint(
    store: &dyn crate::Store,
    key: &sito_crypto::OfficeSigningKey,
    now_ms: i64,
) -> Result<Option<u64>> {
    let Some(head) = store.audit_head().await? else {
        return Ok(None);
    };
    let latest = store
        .audit_checkpoints()
        .await?
        .last()
        .and_then(|line| Checkpoint::parse_line(line).ok())
        .map(|checkpoint| checkpoint.sequence);
    if latest.is_some_and(|sequence| sequence >= head.sequence) {
        return Ok(None);
    }
    let signed = Checkpoint::sign(key, &head, now_ms);
    store
        .add_audit_checkpoint(signed.sequence, &signed.to_line())
        .await?;
    Ok(Some(signed.sequence))
}
