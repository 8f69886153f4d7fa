//! Screening's store on PostgreSQL (see `crate::screening`).
use async_trait::async_trait;
use sito_core::CaseId;
use sqlx::Row;
use sqlx::postgres::PgPool;

use crate::links::case_id;
use crate::screening::{ScreeningStore, WatchlistInfo};
use crate::{Result, StoreError};

pub struct PgScreeningStore {
    pool: PgPool,
}

impl PgScreeningStore {
    pub async fn open(url: &str) -> Result<Self> {
        Ok(Self {
            pool: super::open_pool(url, 2).await?,
        })
    }
}

#[async_trait]
impl ScreeningStore for PgScreeningStore {
    async fn replace_watchlist(
        &self,
        name: &str,
        source: &str,
        entries: &[(String, String)],
        now: i64,
    ) -> Result<i64> {
        let mut tx = self.pool.begin().await?;
        // The generation row is locked first, so two imports on two instances run one after the other.
        let generation: i64 = sqlx::query(
            "UPDATE screening_generation SET generation = generation + 1 WHERE id = 1 RETURNING generation",
        )
        .fetch_one(&mut *tx)
        .await?
        .try_get("generation")?;
        sqlx::query("DELETE FROM watchlist_entries WHERE list = $1")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO watchlists (name, version, entries, source, imported_at) VALUES ($1, 1, $2, $3, $4) \
             ON CONFLICT (name) DO UPDATE SET version = watchlists.version + 1, entries = excluded.entries, \
             source = excluded.source, imported_at = excluded.imported_at",
        )
        .bind(name)
        .bind(entries.len() as i64)
        .bind(source)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        for (entry_id, record) in entries {
            sqlx::query(
                "INSERT INTO watchlist_entries (list, entry_id, record) VALUES ($1, $2, $3)",
            )
            .bind(name)
            .bind(entry_id)
            .bind(record)
            .execute(&mut *tx)
            .await
            .map_err(|error| super::unique_as(error, StoreError::Duplicate))?;
        }
        tx.commit().await?;
        Ok(generation)
    }

    async fn watchlists(&self) -> Result<Vec<WatchlistInfo>> {
        let rows = sqlx::query(
            "SELECT name, version, entries, source, imported_at FROM watchlists ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(WatchlistInfo {
                    name: row.try_get("name")?,
                    version: row.try_get("version")?,
                    entries: row.try_get("entries")?,
                    source: row.try_get("source")?,
                    imported_at: row.try_get("imported_at")?,
                })
            })
            .collect()
    }

    async fn watchlist_entries(&self) -> Result<Vec<(String, String)>> {
        let rows =
            sqlx::query("SELECT list, record FROM watchlist_entries ORDER BY list, entry_id")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("list")?, row.try_get("record")?)))
            .collect()
    }

    async fn generation(&self) -> Result<i64> {
        Ok(
            sqlx::query("SELECT generation FROM screening_generation WHERE id = 1")
                .fetch_one(&self.pool)
                .await?
                .try_get("generation")?,
        )
    }

    async fn cases_to_screen(&self, generation: i64, limit: u32) -> Result<Vec<CaseId>> {
        let rows = sqlx::query(
            "SELECT c.id FROM cases c LEFT JOIN screened_cases s ON s.case_id = c.id \
             WHERE c.status = 'active' AND (s.generation IS NULL OR s.generation < $1) \
             ORDER BY c.received_at, c.position LIMIT $2",
        )
        .bind(generation)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|row| case_id(row.try_get("id")?)).collect()
    }

    async fn raised_flags(&self, case: CaseId) -> Result<Vec<String>> {
        raised_flags(&self.pool, case).await
    }

    async fn mark_screened(&self, case: CaseId, generation: i64, raised: &[String]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for flag in raised {
            sqlx::query(
                "INSERT INTO raised_flags (case_id, flag) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            )
            .bind(case.to_string())
            .bind(flag)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO screened_cases (case_id, generation) VALUES ($1, $2) \
             ON CONFLICT (case_id) DO UPDATE SET generation = GREATEST(screened_cases.generation, excluded.generation)",
        )
        .bind(case.to_string())
        .bind(generation)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Every flag ever raised on a case, shared by screening and linking.
pub(super) async fn raised_flags(pool: &PgPool, case: CaseId) -> Result<Vec<String>> {
    let rows = sqlx::query("SELECT flag FROM raised_flags WHERE case_id = $1 ORDER BY flag")
        .bind(case.to_string())
        .fetch_all(pool)
        .await?;
    rows.iter().map(|row| Ok(row.try_get("flag")?)).collect()
}
