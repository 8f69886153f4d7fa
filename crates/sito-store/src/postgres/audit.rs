//! The audit chain on PostgreSQL: the same rows and hashing as `crate::audit`, written under the store's advisory
//! lock (`PgStore::audited_write`), so the head read here is the head every other writer sees.
use sito_crypto::audit::{AuditEntry, AuditRecord, ChainHash, ChainHead};
use sqlx::postgres::{PgPool, PgRow};
use sqlx::{AssertSqlSafe, Postgres, Row, Transaction};

use crate::audit::{AuditFilter, AuditInput, StoredAudit};
use crate::{Result, StoreError};

const ENTRY_COLUMNS: &str = "seq, at_ms, actor, action, subject, detail, previous_hash, hash";

pub(super) async fn chain(
    tx: &mut Transaction<'static, Postgres>,
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
                next_sequence: row.try_get::<i64, _>("seq")?.max(0) as u64 + 1,
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

/// Rebuilds an entry from its row; the detail hash is recomputed, so an edited detail no longer verifies.
fn entry_from_row(row: &PgRow) -> Result<StoredAudit> {
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
            sequence: row.try_get::<i64, _>("seq")?.max(0) as u64,
            record,
            previous_hash: hash("previous_hash")?,
            hash: hash("hash")?,
        },
        detail,
    })
}

pub(super) async fn search(pool: &PgPool, filter: &AuditFilter) -> Result<Vec<StoredAudit>> {
    let mut conditions = vec!["TRUE".to_owned()];
    let mut texts: Vec<String> = Vec::new();
    let mut numbers: Vec<i64> = Vec::new();
    if let Some(actor) = &filter.actor {
        texts.push(actor.clone());
        conditions.push(format!("actor = ${}", texts.len()));
    }
    if let Some(subject) = &filter.subject {
        texts.push(subject.clone());
        conditions.push(format!("subject = ${}", texts.len()));
    }
    if let Some(prefix) = &filter.action_prefix {
        texts.push(format!("{}%", prefix.replace(['%', '_', '\\'], "")));
        conditions.push(format!("action LIKE ${}", texts.len()));
    }
    let offset = texts.len();
    if let Some(since) = filter.since_ms {
        numbers.push(since);
        conditions.push(format!("at_ms >= ${}", offset + numbers.len()));
    }
    if let Some(until) = filter.until_ms {
        numbers.push(until);
        conditions.push(format!("at_ms < ${}", offset + numbers.len()));
    }
    let sql = format!(
        "SELECT {ENTRY_COLUMNS} FROM audit_log WHERE {} ORDER BY seq DESC LIMIT {}",
        conditions.join(" AND "),
        filter.limit.clamp(1, 1000)
    );
    let mut query = sqlx::query(AssertSqlSafe(sql));
    for text in texts {
        query = query.bind(text);
    }
    for number in numbers {
        query = query.bind(number);
    }
    query
        .fetch_all(pool)
        .await?
        .iter()
        .map(entry_from_row)
        .collect()
}

pub(super) async fn whole_chain(pool: &PgPool) -> Result<Vec<AuditEntry>> {
    sqlx::query(AssertSqlSafe(format!(
        "SELECT {ENTRY_COLUMNS} FROM audit_log ORDER BY seq"
    )))
    .fetch_all(pool)
    .await?
    .iter()
    .map(|row| entry_from_row(row).map(|stored| stored.entry))
    .collect()
}

pub(super) async fn head(pool: &PgPool) -> Result<Option<AuditEntry>> {
    sqlx::query(AssertSqlSafe(format!(
        "SELECT {ENTRY_COLUMNS} FROM audit_log ORDER BY seq DESC LIMIT 1"
    )))
    .fetch_optional(pool)
    .await?
    .map(|row| entry_from_row(&row).map(|stored| stored.entry))
    .transpose()
}
