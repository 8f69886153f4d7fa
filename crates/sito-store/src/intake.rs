//! The office's side of the pull (DESIGN.md section 4, invariant 2): which submissions became which case, the
//! applicants' messages as pulled (still sealed to the office keyring), and the outbox of replies sealed to
//! applicants. The intake's own queue is `sito_intake::store`.
//!
//! These tables sit on the office database beside `SqliteStore` or `PgStore`, on their own few connections.

use async_trait::async_trait;
use sqlx::postgres::PgPool;
use sqlx::sqlite::SqlitePool;
use sqlx::{Postgres, Sqlite, Transaction};

use crate::{Result, StoreError};

/// The office's record of a case it made from a submission.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct ReceivedCase {
    pub submission_id: String,
    pub case_id: String,
    pub reply_record: String,
    pub pushed_status: String,
}

/// A message of an office thread, still sealed (to the office for an applicant's message).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct OfficeMessage {
    pub from_office: bool,
    pub sealed: Vec<u8>,
    pub day: String,
}

#[async_trait]
pub trait ReceivedStore: Send + Sync {
    async fn received_case(&self, submission_id: &str) -> Result<Option<ReceivedCase>>;
    /// Records a case made from a submission; a repeat for the same submission is a no-op.
    async fn record_received(&self, record: &ReceivedCase) -> Result<()>;
    async fn received_cases(&self) -> Result<Vec<ReceivedCase>>;
    async fn received_case_for(&self, case_id: &str) -> Result<Option<ReceivedCase>>;
    async fn mark_status_pushed(&self, submission_id: &str, status: &str) -> Result<()>;
    /// Files a message of a case's thread; a repeat of the same intake message id is a no-op.
    async fn add_office_message(
        &self,
        case_id: &str,
        intake_message_id: Option<i64>,
        message: &OfficeMessage,
    ) -> Result<()>;
    async fn office_messages(&self, case_id: &str) -> Result<Vec<OfficeMessage>>;
    /// Files an office reply durably, in one transaction: the office's copy in the case's thread and the copy sealed
    /// to the applicant in the outbox, until the intake has it.
    async fn queue_reply(
        &self,
        case_id: &str,
        submission_id: &str,
        office_copy: &OfficeMessage,
        to_applicant: &[u8],
    ) -> Result<()>;
    /// Replies not yet on the intake, oldest first: (outbox id, submission id, sealed to the applicant).
    async fn queued_replies(&self, limit: u32) -> Result<Vec<QueuedReply>>;
    /// Forgets replies the intake has stored. Unknown ids are ignored.
    async fn replies_delivered(&self, ids: &[i64]) -> Result<()>;
}

/// An office reply waiting in the outbox, sealed to the applicant.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct QueuedReply {
    pub id: i64,
    pub submission_id: String,
    pub sealed: Vec<u8>,
}

/// The office's pull tables on SQLite: WAL, a full fsync on every commit.
pub struct SqliteReceivedStore {
    pool: SqlitePool,
}

impl SqliteReceivedStore {
    /// Opens (creating and migrating if needed) the office database at `url`.
    pub async fn open(url: &str) -> Result<Self> {
        let path = url
            .strip_prefix("sqlite://")
            .ok_or_else(|| StoreError::UnsupportedUrl(url.to_owned()))?;
        Ok(Self {
            pool: crate::sqlite::open_pool(&format!("sqlite://{path}"), 4).await?,
        })
    }

    async fn write(&self) -> Result<Transaction<'static, Sqlite>> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }
}

/// The same tables on PostgreSQL, shared by every office instance: the primary key of `office_received` and the
/// unique intake message id make a pull repeated by another instance a no-op.
pub struct PgReceivedStore {
    pool: PgPool,
}

impl PgReceivedStore {
    pub async fn open(url: &str) -> Result<Self> {
        Ok(Self {
            pool: crate::postgres::open_pool(url, 4).await?,
        })
    }

    async fn write(&self) -> Result<Transaction<'static, Postgres>> {
        Ok(self.pool.begin().await?)
    }
}

/// Opens the office's pull tables on the backend `url` names.
pub async fn open(url: &str) -> Result<Box<dyn ReceivedStore>> {
    Ok(match crate::Backend::of(url)? {
        crate::Backend::Sqlite => Box::new(SqliteReceivedStore::open(url).await?),
        crate::Backend::Postgres => Box::new(PgReceivedStore::open(url).await?),
    })
}

/// One implementation for both backends: the statements are portable SQL, and only the pool and how a write
/// transaction begins differ.
macro_rules! received_store {
    ($store:ty) => {
        #[async_trait]
        impl ReceivedStore for $store {
            async fn received_case(&self, submission_id: &str) -> Result<Option<ReceivedCase>> {
                Ok(sqlx::query_as::<_, ReceivedCase>(
                    "SELECT * FROM office_received WHERE submission_id = $1",
                )
                .bind(submission_id)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn record_received(&self, record: &ReceivedCase) -> Result<()> {
                let mut tx = self.write().await?;
                sqlx::query(
                    "INSERT INTO office_received (submission_id, case_id, reply_record, pushed_status) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (submission_id) DO NOTHING",
                )
                .bind(&record.submission_id)
                .bind(&record.case_id)
                .bind(&record.reply_record)
                .bind(&record.pushed_status)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn received_cases(&self) -> Result<Vec<ReceivedCase>> {
                Ok(
                    sqlx::query_as::<_, ReceivedCase>("SELECT * FROM office_received ORDER BY submission_id")
                        .fetch_all(&self.pool)
                        .await?,
                )
            }

            async fn received_case_for(&self, case_id: &str) -> Result<Option<ReceivedCase>> {
                Ok(
                    sqlx::query_as::<_, ReceivedCase>("SELECT * FROM office_received WHERE case_id = $1")
                        .bind(case_id)
                        .fetch_optional(&self.pool)
                        .await?,
                )
            }

            async fn mark_status_pushed(&self, submission_id: &str, status: &str) -> Result<()> {
                let mut tx = self.write().await?;
                sqlx::query("UPDATE office_received SET pushed_status = $1 WHERE submission_id = $2")
                    .bind(status)
                    .bind(submission_id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn add_office_message(
                &self,
                case_id: &str,
                intake_message_id: Option<i64>,
                message: &OfficeMessage,
            ) -> Result<()> {
                let mut tx = self.write().await?;
                sqlx::query(
                    "INSERT INTO office_messages (case_id, intake_message_id, from_office, sealed, day) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (intake_message_id) DO NOTHING",
                )
                .bind(case_id)
                .bind(intake_message_id)
                .bind(message.from_office)
                .bind(&message.sealed)
                .bind(&message.day)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn office_messages(&self, case_id: &str) -> Result<Vec<OfficeMessage>> {
                Ok(sqlx::query_as::<_, OfficeMessage>(
                    "SELECT from_office, sealed, day FROM office_messages WHERE case_id = $1 ORDER BY id",
                )
                .bind(case_id)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn queue_reply(
                &self,
                case_id: &str,
                submission_id: &str,
                office_copy: &OfficeMessage,
                to_applicant: &[u8],
            ) -> Result<()> {
                let mut tx = self.write().await?;
                sqlx::query(
                    "INSERT INTO office_messages (case_id, intake_message_id, from_office, sealed, day) \
                     VALUES ($1, NULL, $2, $3, $4)",
                )
                .bind(case_id)
                .bind(office_copy.from_office)
                .bind(&office_copy.sealed)
                .bind(&office_copy.day)
                .execute(&mut *tx)
                .await?;
                sqlx::query("INSERT INTO office_outbox (submission_id, sealed) VALUES ($1, $2)")
                    .bind(submission_id)
                    .bind(to_applicant)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn queued_replies(&self, limit: u32) -> Result<Vec<QueuedReply>> {
                Ok(sqlx::query_as::<_, QueuedReply>(
                    "SELECT id, submission_id, sealed FROM office_outbox ORDER BY id LIMIT $1",
                )
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?)
            }

            async fn replies_delivered(&self, ids: &[i64]) -> Result<()> {
                let mut tx = self.write().await?;
                for id in ids {
                    sqlx::query("DELETE FROM office_outbox WHERE id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            }
        }
    };
}

received_store!(SqliteReceivedStore);
received_store!(PgReceivedStore);
