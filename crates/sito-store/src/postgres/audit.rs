//! The audit chain on PostgreSQL: the same rows, keyed chain and statements as `crate::audit` (SQLite), written
//! under the store's advisory lock (`PgStore::audited_write`), so the head read here is the head every other writer
//! sees.
use sito_crypto::audit::AuditEntry;
use sito_keyring::OfficeKeyring;
use sqlx::postgres::PgPool;
use sqlx::{AssertSqlSafe, Postgres, Transaction};

use crate::Result;
use crate::audit::{self, AuditFilter, AuditInput, AuditRow, StoredAudit};

pub(super) async fn chain(
    tx: &mut Transaction<'static, Postgres>,
    keyring: Option<&OfficeKeyring>,
    inputs: &[AuditInput],
) -> Result<()> {
    if inputs.is_empty() {
        return Ok(());
    }
    let last = sqlx::query_as::<_, AuditRow>(audit::SELECT_HEAD)
        .fetch_optional(&mut **tx)
        .await?
        .map(AuditRow::into_stored)
        .transpose()?;
    let entries = audit::next_entries(last.as_ref().map(|stored| &stored.entry), keyring, inputs)?;
    for (entry, input) in entries.iter().zip(inputs) {
        audit::insert_entry(entry, input).execute(&mut **tx).await?;
    }
    Ok(())
}

pub(super) async fn search(pool: &PgPool, filter: &AuditFilter) -> Result<Vec<StoredAudit>> {
    let search = audit::search_sql(filter);
    let mut query = sqlx::query_as::<_, AuditRow>(AssertSqlSafe(search.sql));
    for text in search.texts {
        query = query.bind(text);
    }
    for number in search.numbers {
        query = query.bind(number);
    }
    query
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(AuditRow::into_stored)
        .collect()
}

pub(super) async fn whole_chain(pool: &PgPool) -> Result<Vec<AuditEntry>> {
    sqlx::query_as::<_, AuditRow>(audit::SELECT_CHAIN)
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|row| row.into_stored().map(|stored| stored.entry))
        .collect()
}

pub(super) async fn head(pool: &PgPool) -> Result<Option<AuditEntry>> {
    sqlx::query_as::<_, AuditRow>(audit::SELECT_HEAD)
        .fetch_optional(pool)
        .await?
        .map(|row| row.into_stored().map(|stored| stored.entry))
        .transpose()
}
