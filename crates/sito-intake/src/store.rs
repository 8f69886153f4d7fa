//! The intake's own store: the queue of sealed submissions and messages waiting for the office, and the sealed
//! threads applicants read with their codename (DESIGN.md section 4, invariants 1, 2, 8). It links none of the
//! office's storage: the office's record of what it pulled is `sito_store::intake`.
//!
//! Architecture invariant: the intake tables hold only ciphertext, coarse days (`YYYY-MM-DD`) and the slow keyed
//! hash of a codename. Nothing here ever receives a plaintext field of an application; callers seal first.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Postgres, Row, Sqlite, Transaction};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("already exists")]
    Duplicate,
    #[error("unsupported database URL `{0}`: use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A sealed application ready to commit.
#[derive(Clone, Debug)]
pub struct NewSubmission {
    pub submission_id: String,
    pub lookup_key: String,
    pub reply_record: String,
    pub sealed: Vec<u8>,
    pub received_day: String,
}

/// What a codename opens on the intake: all of it sealed.
#[derive(Clone, Debug)]
pub struct IntakeAccount {
    pub submission_id: String,
    pub reply_record: String,
    pub status_sealed: Option<Vec<u8>>,
    /// Thread entries, oldest first, each sealed to the reply recipient.
    pub thread: Vec<Vec<u8>>,
}

/// A sealed application waiting for the office.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PendingSubmission {
    pub submission_id: String,
    pub reply_record: String,
    pub sealed: Vec<u8>,
    pub received_day: String,
}

/// An applicant's message waiting for the office, sealed to the office.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PendingMessage {
    pub id: i64,
    pub submission_id: String,
    pub sealed: Vec<u8>,
    pub day: String,
}

#[async_trait]
pub trait IntakeStore: Send + Sync {
    // The intake.
    /// Commits every submission in one durable transaction, or none.
    async fn insert_submissions(&self, batch: &[NewSubmission]) -> Result<()>;
    /// `NotFound` for an unknown lookup key.
    async fn account(&self, lookup_key: &str) -> Result<IntakeAccount>;
    /// Files an applicant's message: one copy sealed to the office (pulled), one to the applicant (their thread).
    async fn add_applicant_message(
        &self,
        submission_id: &str,
        to_office: &[u8],
        to_thread: &[u8],
        day: &str,
    ) -> Result<()>;
    /// Oldest first, at most `limit` of each.
    async fn pending(&self, limit: u32) -> Result<(Vec<PendingSubmission>, Vec<PendingMessage>)>;
    /// Forgets what the office has taken. Unknown ids are ignored (an acknowledgement may be repeated).
    async fn acknowledge(&self, submissions: &[String], messages: &[i64]) -> Result<()>;
    /// Stores a status sealed to the applicant and/or appends a sealed reply. `NotFound` for an unknown submission.
    async fn apply_update(
        &self,
        submission_id: &str,
        status_sealed: Option<&[u8]>,
        reply_sealed: Option<&[u8]>,
    ) -> Result<()>;
    async fn pending_count(&self) -> Result<u64>;
}

/// The intake's tables on SQLite: WAL, a full fsync on every commit (a `201` must survive power loss).
pub struct SqliteIntakeStore {
    pool: SqlitePool,
}

impl SqliteIntakeStore {
    /// Opens (creating and migrating if needed) the database at `url`.
    pub async fn open(url: &str) -> Result<Self> {
        let path = url
            .strip_prefix("sqlite://")
            .ok_or_else(|| StoreError::UnsupportedUrl(url.to_owned()))?;
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{path}"))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // A `201` must survive power loss, not only a crash of the process.
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            // Freed pages are overwritten, so acknowledged ciphertext does not linger in the file.
            .pragma("secure_delete", "ON");
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        // The intake's one migration is the office's `0003_intake.sql` (sito-store), byte for byte, so either side may create a
        // shared file (`sito demo`) first; the office's other migrations are none of the intake's business.
        let mut migrator = sqlx::migrate!("./migrations/sqlite");
        migrator.set_ignore_missing(true);
        migrator.run(&pool).await?;
        Ok(Self { pool })
    }

    async fn write(&self) -> Result<Transaction<'static, Sqlite>> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }
}

/// The intake's tables on PostgreSQL, for several intake instances behind one load balancer: a commit returns once
/// the server has it durably (PostgreSQL's default `synchronous_commit`), so a `201` survives a crash of the server.
pub struct PgIntakeStore {
    pool: PgPool,
}

impl PgIntakeStore {
    /// Connects to and migrates the database at `url` (`postgres://…`).
    pub async fn open(url: &str) -> Result<Self> {
        let options = PgConnectOptions::from_str(url)?.application_name("sito-intake");
        let pool = PgPoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        // As on SQLite: the office's migration 0003 byte for byte, the others none of the intake's business.
        let mut migrator = sqlx::migrate!("./migrations/postgres");
        migrator.set_ignore_missing(true);
        migrator.run(&pool).await?;
        Ok(Self { pool })
    }

    async fn write(&self) -> Result<Transaction<'static, Postgres>> {
        Ok(self.pool.begin().await?)
    }
}

/// Opens the intake's store on the backend `url` names: `sqlite://PATH` or `postgres://…`.
pub async fn open(url: &str) -> Result<Box<dyn IntakeStore>> {
    if url.starts_with("sqlite:") {
        Ok(Box::new(SqliteIntakeStore::open(url).await?))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Box::new(PgIntakeStore::open(url).await?))
    } else {
        // Only the scheme's neighbourhood: a URL may carry a password.
        Err(StoreError::UnsupportedUrl(url.chars().take(20).collect()))
    }
}

/// One implementation for both backends: the statements are portable SQL, and only the pool and how a write
/// transaction begins differ.
macro_rules! intake_store {
    ($store:ty) => {
        #[async_trait]
        impl IntakeStore for $store {
            async fn insert_submissions(&self, batch: &[NewSubmission]) -> Result<()> {
                let mut tx = self.write().await?;
                for submission in batch {
                    sqlx::query(
                        "INSERT INTO intake_accounts (lookup_key, submission_id, reply_record, created_day) \
                         VALUES ($1, $2, $3, $4)",
                    )
                    .bind(&submission.lookup_key)
                    .bind(&submission.submission_id)
                    .bind(&submission.reply_record)
                    .bind(&submission.received_day)
                    .execute(&mut *tx)
                    .await
                    .map_err(|error| match error {
                        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Duplicate,
                        other => StoreError::Database(other),
                    })?;
                    sqlx::query(
                        "INSERT INTO intake_submissions (submission_id, sealed, received_day) VALUES ($1, $2, $3)",
                    )
                    .bind(&submission.submission_id)
                    .bind(&submission.sealed)
                    .bind(&submission.received_day)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn account(&self, lookup_key: &str) -> Result<IntakeAccount> {
                let row = sqlx::query(
                    "SELECT submission_id, reply_record, status_sealed FROM intake_accounts WHERE lookup_key = $1",
                )
                .bind(lookup_key)
                .fetch_optional(&self.pool)
                .await?
                .ok_or(StoreError::NotFound)?;
                let submission_id: String = row.try_get("submission_id")?;
                let thread =
                    sqlx::query("SELECT sealed FROM intake_thread WHERE submission_id = $1 ORDER BY id")
                        .bind(&submission_id)
                        .fetch_all(&self.pool)
                        .await?
                        .iter()
                        .map(|row| row.try_get::<Vec<u8>, _>("sealed"))
                        .collect::<Result<Vec<_>, _>>()?;
                Ok(IntakeAccount {
                    submission_id,
                    reply_record: row.try_get("reply_record")?,
                    status_sealed: row.try_get("status_sealed")?,
                    thread,
                })
            }

            async fn add_applicant_message(
                &self,
                submission_id: &str,
                to_office: &[u8],
                to_thread: &[u8],
                day: &str,
            ) -> Result<()> {
                let mut tx = self.write().await?;
                sqlx::query("INSERT INTO intake_outbox (submission_id, sealed, day) VALUES ($1, $2, $3)")
                    .bind(submission_id)
                    .bind(to_office)
                    .bind(day)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("INSERT INTO intake_thread (submission_id, sealed) VALUES ($1, $2)")
                    .bind(submission_id)
                    .bind(to_thread)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn pending(&self, limit: u32) -> Result<(Vec<PendingSubmission>, Vec<PendingMessage>)> {
                let submissions = sqlx::query_as::<_, PendingSubmission>(
                    "SELECT s.submission_id, s.sealed, s.received_day, a.reply_record FROM intake_submissions s \
                     JOIN intake_accounts a ON a.submission_id = s.submission_id ORDER BY s.submission_id LIMIT $1",
                )
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?
                ;
                let messages = sqlx::query_as::<_, PendingMessage>(
                    "SELECT id, submission_id, sealed, day FROM intake_outbox ORDER BY id LIMIT $1",
                )
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?
                ;
                Ok((submissions, messages))
            }

            async fn acknowledge(&self, submissions: &[String], messages: &[i64]) -> Result<()> {
                let mut tx = self.write().await?;
                for id in submissions {
                    sqlx::query("DELETE FROM intake_submissions WHERE submission_id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                for id in messages {
                    sqlx::query("DELETE FROM intake_outbox WHERE id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn apply_update(
                &self,
                submission_id: &str,
                status_sealed: Option<&[u8]>,
                reply_sealed: Option<&[u8]>,
            ) -> Result<()> {
                let mut tx = self.write().await?;
                let known = sqlx::query("SELECT 1 FROM intake_accounts WHERE submission_id = $1")
                    .bind(submission_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                if known.is_none() {
                    return Err(StoreError::NotFound);
                }
                if let Some(sealed) = status_sealed {
                    sqlx::query("UPDATE intake_accounts SET status_sealed = $1 WHERE submission_id = $2")
                        .bind(sealed)
                        .bind(submission_id)
                        .execute(&mut *tx)
                        .await?;
                }
                if let Some(sealed) = reply_sealed {
                    // A reply pushed again (the office crashed before it heard the answer) is stored once: every sealing
                    // has its own ephemeral key, so equal ciphertext is the same reply.
                    sqlx::query(
                        "INSERT INTO intake_thread (submission_id, sealed) SELECT $1, $2 WHERE NOT EXISTS \
                         (SELECT 1 FROM intake_thread WHERE submission_id = $1 AND sealed = $2)",
                    )
                    .bind(submission_id)
                    .bind(sealed)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn pending_count(&self) -> Result<u64> {
                let count: i64 = sqlx::query_scalar("SELECT count(*) FROM intake_submissions")
                    .fetch_one(&self.pool)
                    .await?;
                Ok(count.max(0) as u64)
            }
        }
    };
}

intake_store!(SqliteIntakeStore);
intake_store!(PgIntakeStore);

#[cfg(test)]
mod tests {
    use super::*;

    fn submission(n: u32) -> NewSubmission {
        NewSubmission {
            submission_id: format!("00000000-0000-7000-8000-{n:012}"),
            lookup_key: format!("{n:064x}"),
            reply_record: "reply".into(),
            sealed: vec![n as u8; 8],
            received_day: "2026-11-23".into(),
        }
    }

    /// A fresh store on every backend: SQLite in a temporary directory, and PostgreSQL on the throwaway test
    /// server when it is installed (required under `CI=true`: `sito_test_postgres::server` fails the test there).
    async fn stores() -> Vec<(&'static str, tempfile::TempDir, Box<dyn IntakeStore>)> {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("intake.db").display());
        let mut stores = vec![("sqlite", dir, open(&url).await.unwrap())];
        if let Some(server) = sito_test_postgres::server() {
            let url = server.create_database().await;
            stores.push((
                "postgres",
                tempfile::tempdir().unwrap(),
                open(&url).await.unwrap(),
            ));
        }
        stores
    }

    #[tokio::test]
    async fn submissions_wait_until_acknowledged_and_accounts_stay() {
        for (backend, _dir, store) in stores().await {
            let store = store.as_ref();
            eprintln!("{backend}");
            store
                .insert_submissions(&[submission(1), submission(2)])
                .await
                .unwrap();
            let (pending, messages) = store.pending(10).await.unwrap();
            assert_eq!(pending.len(), 2);
            assert!(messages.is_empty());
            store
                .acknowledge(&[pending[0].submission_id.clone()], &[])
                .await
                .unwrap();
            assert_eq!(store.pending_count().await.unwrap(), 1);
            // Acknowledging again is harmless.
            store
                .acknowledge(&[pending[0].submission_id.clone()], &[])
                .await
                .unwrap();
            let account = store.account(&submission(1).lookup_key).await.unwrap();
            assert_eq!(account.submission_id, submission(1).submission_id);
            assert!(matches!(
                store.account("unknown").await,
                Err(StoreError::NotFound)
            ));
        }
    }

    #[tokio::test]
    async fn a_batch_with_a_duplicate_commits_nothing() {
        for (backend, _dir, store) in stores().await {
            let store = store.as_ref();
            eprintln!("{backend}");
            store.insert_submissions(&[submission(1)]).await.unwrap();
            let result = store
                .insert_submissions(&[submission(2), submission(1)])
                .await;
            assert!(matches!(result, Err(StoreError::Duplicate)));
            assert_eq!(store.pending_count().await.unwrap(), 1);
        }
    }

    #[tokio::test]
    async fn messages_and_updates_reach_the_thread() {
        for (backend, _dir, store) in stores().await {
            let store = store.as_ref();
            eprintln!("{backend}");
            store.insert_submissions(&[submission(1)]).await.unwrap();
            let id = submission(1).submission_id;
            store
                .add_applicant_message(&id, b"to office", b"to thread", "2026-11-23")
                .await
                .unwrap();
            store
                .apply_update(&id, Some(b"status"), Some(b"reply"))
                .await
                .unwrap();
            // The same reply pushed twice is stored once.
            store.apply_update(&id, None, Some(b"reply")).await.unwrap();
            let account = store.account(&submission(1).lookup_key).await.unwrap();
            assert_eq!(
                account.thread,
                vec![b"to thread".to_vec(), b"reply".to_vec()]
            );
            assert_eq!(account.status_sealed.as_deref(), Some(&b"status"[..]));
            let (_, messages) = store.pending(10).await.unwrap();
            assert_eq!(messages.len(), 1);
            store.acknowledge(&[], &[messages[0].id]).await.unwrap();
            assert!(store.pending(10).await.unwrap().1.is_empty());
            assert!(matches!(
                store.apply_update("nobody", Some(b"x"), None).await,
                Err(StoreError::NotFound)
            ));
        }
    }
}
