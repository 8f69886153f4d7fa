//! Storage of the public intake and the office's side of the pull (DESIGN.md section 4, invariants 1, 2, 8).
//!
//! Architecture invariant: the intake tables hold only ciphertext, coarse days (`YYYY-MM-DD`) and the slow keyed
//! hash of a codename. Nothing here ever receives a plaintext field of an application; callers seal first.
//!
//! The intake runs on its own pool (`SqliteIntakeStore`) over the same database file format and migrations as the
//! office, so `sito demo` can put both on one file and `sito intake` can run alone on another.

use async_trait::async_trait;
use sqlx::sqlite::SqlitePool;
use sqlx::{Row, Sqlite, Transaction};

use crate::{Result, StoreError};

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
#[derive(Clone, Debug)]
pub struct PendingSubmission {
    pub submission_id: String,
    pub reply_record: String,
    pub sealed: Vec<u8>,
    pub received_day: String,
}

/// An applicant's message waiting for the office, sealed to the office.
#[derive(Clone, Debug)]
pub struct PendingMessage {
    pub id: i64,
    pub submission_id: String,
    pub sealed: Vec<u8>,
    pub day: String,
}

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

    // The office side of the pull.
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
impl IntakeStore for SqliteIntakeStore {
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
        let submissions = sqlx::query(
            "SELECT s.submission_id, s.sealed, s.received_day, a.reply_record FROM intake_submissions s \
             JOIN intake_accounts a ON a.submission_id = s.submission_id ORDER BY s.submission_id LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            Ok(PendingSubmission {
                submission_id: row.try_get("submission_id")?,
                reply_record: row.try_get("reply_record")?,
                sealed: row.try_get("sealed")?,
                received_day: row.try_get("received_day")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        let messages = sqlx::query(
            "SELECT id, submission_id, sealed, day FROM intake_outbox ORDER BY id LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            Ok(PendingMessage {
                id: row.try_get("id")?,
                submission_id: row.try_get("submission_id")?,
                sealed: row.try_get("sealed")?,
                day: row.try_get("day")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
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

    fn submission(n: u32) -> NewSubmission {
        NewSubmission {
            submission_id: format!("00000000-0000-7000-8000-{n:012}"),
            lookup_key: format!("{n:064x}"),
            reply_record: "reply".into(),
            sealed: vec![n as u8; 8],
            received_day: "2026-11-23".into(),
        }
    }

    async fn store() -> (tempfile::TempDir, SqliteIntakeStore) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("intake.db").display());
        let store = SqliteIntakeStore::open(&url).await.unwrap();
        (dir, store)
    }

    #[tokio::test]
    async fn submissions_wait_until_acknowledged_and_accounts_stay() {
        let (_dir, store) = store().await;
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

    #[tokio::test]
    async fn a_batch_with_a_duplicate_commits_nothing() {
        let (_dir, store) = store().await;
        store.insert_submissions(&[submission(1)]).await.unwrap();
        let result = store
            .insert_submissions(&[submission(2), submission(1)])
            .await;
        assert!(matches!(result, Err(StoreError::Duplicate)));
        assert_eq!(store.pending_count().await.unwrap(), 1);
    }

    #[tokio::test]
    async fn messages_and_updates_reach_the_thread() {
        let (_dir, store) = store().await;
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
