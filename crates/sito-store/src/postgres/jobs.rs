//! Background jobs on several office instances (retention, alerts, screening, link analysis): each run is guarded
//! by a lease in `job_leases`, so exactly one instance does a job at a time, and another takes over when the holder
//! stops renewing (crashed, or cut off from the database) instead of the job stopping with it.
//!
//! A lease rather than a session advisory lock: an advisory lock lives on one pooled connection and is lost
//! silently when that connection is recycled; a lease row survives reconnects and says who holds it until when.
use sqlx::Row;
use sqlx::postgres::PgPool;

use crate::Result;

pub struct JobLeases {
    pool: PgPool,
    /// This instance's name in `job_leases.holder` (random per process: two instances never share one).
    holder: String,
}

impl JobLeases {
    pub fn new(pool: PgPool, holder: impl Into<String>) -> Self {
        Self {
            pool,
            holder: holder.into(),
        }
    }

    pub async fn open(url: &str, holder: impl Into<String>) -> Result<Self> {
        Ok(Self::new(super::open_pool(url, 1).await?, holder))
    }

    /// Takes or renews the lease on `job` until `now_ms + ttl_ms`. `true` when this instance holds it now: it was
    /// free, lapsed, or already ours. One statement, so two instances asking at once cannot both win.
    pub async fn try_acquire(&self, job: &str, now_ms: i64, ttl_ms: i64) -> Result<bool> {
        let row = sqlx::query(
            "INSERT INTO job_leases (job, holder, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
             WHERE job_leases.holder = excluded.holder OR job_leases.expires_at <= $4 \
             RETURNING holder",
        )
        .bind(job)
        .bind(&self.holder)
        .bind(now_ms.saturating_add(ttl_ms))
        .bind(now_ms)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match row {
            Some(row) => row.try_get::<String, _>("holder")? == self.holder,
            None => false,
        })
    }

    /// Gives the lease up early (a clean shutdown), so another instance need not wait for it to lapse.
    pub async fn release(&self, job: &str) -> Result<()> {
        sqlx::query("DELETE FROM job_leases WHERE job = $1 AND holder = $2")
            .bind(job)
            .bind(&self.holder)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
