//! Opening the PostgreSQL store, and the helpers its `Store` methods share: the audited write transaction,
//! sealed second-factor secrets, staff rows and sessions, the call-sign search backfill.
use std::sync::Arc;

use sito_keyring::OfficeKeyring;
use sqlx::postgres::{PgPool, PgRow};
use sqlx::{Postgres, Row, Transaction};

use sito_core::StaffId;

use super::{AUDIT_CHAIN_LOCK, PgStore, clamp_u32, open_pool};
use crate::records::{SessionRecord, StaffRecord};
use crate::sqlite::{SEALED_SECRET_PREFIX, crypto, parse, parse_role};
use crate::{Result, StoreError};

impl PgStore {
    pub async fn open(url: &str) -> Result<Self> {
        let store = Self {
            pool: open_pool(url, 8).await?,
            keyring: None,
        };
        store.fold_old_call_signs().await?;
        Ok(store)
    }

    /// Fills the search form of call signs stored before it existed (migration 0015). Instances opening at once
    /// write the same values, so no lock is needed.
    pub(super) async fn fold_old_call_signs(&self) -> Result<()> {
        let rows = sqlx::query("SELECT id, call_sign FROM cases WHERE call_sign_folded IS NULL")
            .fetch_all(&self.pool)
            .await?;
        if rows.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
        for row in &rows {
            let call_sign: String = row.try_get("call_sign")?;
            sqlx::query("UPDATE cases SET call_sign_folded = $1 WHERE id = $2")
                .bind(crate::records::fold_call_sign(&call_sign))
                .bind(row.try_get::<String, _>("id")?)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Opens the store with encryption at rest: every case created from now on gets its own data key.
    pub async fn open_encrypted(url: &str, keyring: Arc<OfficeKeyring>) -> Result<Self> {
        let mut store = Self::open(url).await?;
        store.keyring = Some(keyring);
        Ok(store)
    }

    /// The store's pool, for the job leases of the same database.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// A transaction that will chain audit entries: it queues behind every other such transaction.
    pub(super) async fn audited_write(&self) -> Result<Transaction<'static, Postgres>> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(AUDIT_CHAIN_LOCK)
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }

    /// A TOTP secret as stored: sealed to the office keyring when the store has one (as on SQLite).
    pub(super) fn seal_totp_secret(&self, secret: &str) -> Result<String> {
        use base64::Engine as _;
        let Some(keyring) = &self.keyring else {
            return Ok(secret.to_owned());
        };
        let sealed = keyring
            .current_recipients()
            .seal(secret.as_bytes())
            .map_err(crypto)?;
        Ok(format!(
            "{SEALED_SECRET_PREFIX}{}",
            base64::engine::general_purpose::STANDARD.encode(sealed.as_bytes())
        ))
    }

    /// The inverse of `seal_totp_secret`; without the keyring the sealed text is handed on (fails closed).
    pub(super) fn open_totp_secret(&self, stored: Option<String>) -> Result<Option<String>> {
        use base64::Engine as _;
        let (Some(stored), Some(keyring)) = (stored.as_deref(), &self.keyring) else {
            return Ok(stored);
        };
        let Some(encoded) = stored.strip_prefix(SEALED_SECRET_PREFIX) else {
            return Ok(Some(stored.to_owned()));
        };
        let corrupt = || StoreError::Corrupt("a sealed second-factor secret".into());
        let sealed = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|_| corrupt())?;
        let plaintext = keyring.open(&sealed).map_err(crypto)?;
        String::from_utf8(plaintext.expose().clone())
            .map(Some)
            .map_err(|_| corrupt())
    }

    pub(super) fn staff_record(&self, row: &PgRow) -> Result<StaffRecord> {
        let mut record = StaffRecord {
            id: parse("staff id", row.try_get("id")?)?,
            call_sign: row.try_get("call_sign")?,
            role: parse_role(row.try_get("role")?)?,
            password_hash: row.try_get("password_hash")?,
            disabled: row.try_get("disabled")?,
            totp_secret: row.try_get("totp_secret")?,
            totp_pending: row.try_get("totp_pending")?,
            totp_last_step: row.try_get("totp_last_step")?,
            failed_logins: clamp_u32(row.try_get("failed_logins")?),
            locked_until: row.try_get("locked_until")?,
        };
        record.totp_secret = self.open_totp_secret(record.totp_secret.take())?;
        record.totp_pending = self.open_totp_secret(record.totp_pending.take())?;
        Ok(record)
    }

    pub(super) async fn insert_session(&self, session: &SessionRecord, stage: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (id_hash, staff_id, csrf_token, created_at, last_seen, stage) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&session.id_hash)
        .bind(session.staff_id.to_string())
        .bind(&session.csrf_token)
        .bind(session.created_at)
        .bind(session.last_seen)
        .bind(stage)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A session is found only at the stage asked for: a half-open enrolment session never passes as a full one.
    pub(super) async fn session_at_stage(
        &self,
        id_hash: &str,
        stage: &str,
    ) -> Result<SessionRecord> {
        let row = sqlx::query(
            "SELECT id_hash, staff_id, csrf_token, created_at, last_seen FROM sessions \
             WHERE id_hash = $1 AND stage = $2",
        )
        .bind(id_hash)
        .bind(stage)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok(SessionRecord {
            id_hash: row.try_get("id_hash")?,
            staff_id: parse("staff id", row.try_get("staff_id")?)?,
            csrf_token: row.try_get("csrf_token")?,
            created_at: row.try_get("created_at")?,
            last_seen: row.try_get("last_seen")?,
        })
    }

    pub(super) async fn update_staff(
        &self,
        staff: StaffId,
        statement: &'static str,
        value: &str,
    ) -> Result<()> {
        let done = sqlx::query(statement)
            .bind(staff.to_string())
            .bind(value)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 1 {
            Ok(())
        } else {
            Err(StoreError::NotFound)
        }
    }
}
