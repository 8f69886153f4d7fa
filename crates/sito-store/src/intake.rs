//! The office's side of the pull (DESIGN.md section 4, invariant 2): which submissions became which case, the
//! applicants' messages as pulled (still sealed to the office keyring), and the outbox of replies sealed to
//! applicants. The intake's own queue is `sito_intake::store`.
//!
//! These tables sit on the office database beside `SqliteStore`, on their own few connections.

use async_trait::async_trait;
use sqlx::sqlite::SqlitePool;
use sqlx::{Row, Sqlite, Transaction};

use crate::{Result, StoreError};

/// The office's record of a case it made from a submission.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceivedCase {
    pub submission_id: String,
    pub case_id: String,
    pub reply_record: String,
    pub pushed_status: String,
}

/// A message of an office thread, still sealed (to the office for an applicant's message).
#[derive(Clone, Debug)]
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
#[derive(Clone, Debug)]
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

fn received_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<ReceivedCase> {
    Ok(ReceivedCase {
        submission_id: row.try_get("submission_id")?,
        case_id: row.try_get("case_id")?,
        reply_record: row.try_get("reply_record")?,
        pushed_status: row.try_get("pushed_status")?,
    })
}

#[async_trait]
impl ReceivedStore for SqliteReceivedStore {
    async fn received_case(&self, submission_id: &str) -> Result<Option<ReceivedCase>> {
        sqlx::query("SELECT * FROM office_received WHERE submission_id = $1")
            .bind(submission_id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(received_from_row)
            .transpose()
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
        sqlx::query("SELECT * FROM office_received ORDER BY submission_id")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(received_from_row)
            .collect()
    }

    async fn received_case_for(&self, case_id: &str) -> Result<Option<ReceivedCase>> {
        sqlx::query("SELECT * FROM office_received WHERE case_id = $1")
            .bind(case_id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(received_from_row)
            .transpose()
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
        .bind(i64::from(message.from_office))
        .bind(&message.sealed)
        .bind(&message.day)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn office_messages(&self, case_id: &str) -> Result<Vec<OfficeMessage>> {
        sqlx::query(
            "SELECT from_office, sealed, day FROM office_messages WHERE case_id = $1 ORDER BY id",
        )
        .bind(case_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            Ok(OfficeMessage {
                from_office: row.try_get::<i64, _>("from_office")? != 0,
                sealed: row.try_get("sealed")?,
                day: row.try_get("day")?,
            })
        })
        .collect()
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
        .bind(i64::from(office_copy.from_office))
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
        sqlx::query("SELECT id, submission_id, sealed FROM office_outbox ORDER BY id LIMIT $1")
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| {
                Ok(QueuedReply {
                    id: row.try_get("id")?,
                    submission_id: row.try_get("submission_id")?,
                    sealed: row.try_get("sealed")?,
                })
            })
            .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    async fn store() -> (tempfile::TempDir, SqliteReceivedStore) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("office.db").display());
        let store = SqliteReceivedStore::open(&url).await.unwrap();
        (dir, store)
    }

    #[tokio::test]
    async fn the_office_records_each_submission_once() {
        let (_dir, store) = store().await;
        let record = ReceivedCase {
            submission_id: "s1".into(),
            case_id: "c1".into(),
            reply_record: "r".into(),
            pushed_status: "received".into(),
        };
        store.record_received(&record).await.unwrap();
        store.record_received(&record).await.unwrap();
        assert_eq!(store.received_cases().await.unwrap(), vec![record.clone()]);
        store.mark_status_pushed("s1", "in_review").await.unwrap();
        assert_eq!(
            store
                .received_case_for("c1")
                .await
                .unwrap()
                .unwrap()
                .pushed_status,
            "in_review"
        );
        let message = OfficeMessage {
            from_office: false,
            sealed: b"m".to_vec(),
            day: "2026-11-23".into(),
        };
        store
            .add_office_message("c1", Some(7), &message)
            .await
            .unwrap();
        store
            .add_office_message("c1", Some(7), &message)
            .await
            .unwrap();
        assert_eq!(store.office_messages("c1").await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn a_reply_waits_in_the_outbox_until_delivered() {
        let (_dir, store) = store().await;
        let copy = OfficeMessage {
            from_office: true,
            sealed: b"office copy".to_vec(),
            day: "2026-11-23".into(),
        };
        store
            .queue_reply("c1", "s1", &copy, b"to applicant 1")
            .await
            .unwrap();
        store
            .queue_reply("c1", "s1", &copy, b"to applicant 2")
            .await
            .unwrap();
        let thread = store.office_messages("c1").await.unwrap();
        assert_eq!(thread.len(), 2);
        assert!(thread.iter().all(|message| message.from_office));
        let queued = store.queued_replies(10).await.unwrap();
        assert_eq!(
            queued
                .iter()
                .map(|reply| reply.sealed.as_slice())
                .collect::<Vec<_>>(),
            [&b"to applicant 1"[..], &b"to applicant 2"[..]]
        );
        assert_eq!(store.queued_replies(1).await.unwrap().len(), 1);
        store.replies_delivered(&[queued[0].id]).await.unwrap();
        store.replies_delivered(&[queued[0].id]).await.unwrap();
        let left = store.queued_replies(10).await.unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].submission_id, "s1");
        // The thread keeps the office's copies whatever happens to the outbox.
        assert_eq!(store.office_messages("c1").await.unwrap().len(), 2);
    }
}
