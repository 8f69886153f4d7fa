//! Opening the SQLite store, and the helpers its `Store` methods share: the write transaction, sealed
//! second-factor secrets, staff rows and sessions, the call-sign search backfill.
use std::sync::Arc;

use sito_core::StaffId;
use sito_keyring::OfficeKeyring;
use sqlx::sqlite::{SqlitePoolOptions, SqliteRow};
use sqlx::{Row, Sqlite, Transaction};

use super::{SEALED_SECRET_PREFIX, SqliteStore, connect_options, crypto, parse, staff_from_row};
use crate::records::{SessionRecord, StaffRecord};
use crate::{Result, StoreError};

impl SqliteStore {
    /// Opens the store with encryption at rest: every case created from now on gets its own data key.
    pub async fn open_encrypted(url: &str, keyring: Arc<OfficeKeyring>) -> Result<Self> {
        let mut store = Self::open(url).await?;
        store.keyring = Some(keyring);
        Ok(store)
    }

    pub async fn open(url: &str) -> Result<Self> {
        let options = connect_options(url)?
            // Keeps the planner's statistics fresh on long-lived databases (SQLite's recommended setting).
            .optimize_on_close(true, None);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        let store = Self {
            pool,
            keyring: None,
        };
        store.fold_old_call_signs().await?;
        Ok(store)
    }

    /// Fills the search form of call signs stored before it existed (migration 0015), once.
    pub(super) async fn fold_old_call_signs(&self) -> Result<()> {
        let rows = sqlx::query("SELECT id, call_sign FROM cases WHERE call_sign_folded IS NULL")
            .fetch_all(&self.pool)
            .await?;
        if rows.is_empty() {
            return Ok(());
        }
        let mut tx = self.write().await?;
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

    pub(super) async fn write(&self) -> Result<Transaction<'static, Sqlite>> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// A TOTP secret as stored: sealed to the office keyring when the store has one, so a stolen database
    /// cannot mint second-factor codes. Without a keyring (tests, `sito users` on a plain store) it stays as given.
    pub(super) fn seal_totp_secret(&self, secret: &str) -> Result<String> {
        use base64::Engine as _;
        match &self.keyring {
            Some(keyring) => {
                let sealed = keyring
                    .current_recipients()
                    .seal(secret.as_bytes())
                    .map_err(crypto)?;
                Ok(format!(
                    "{SEALED_SECRET_PREFIX}{}",
                    base64::engine::general_purpose::STANDARD.encode(sealed.as_bytes())
                ))
            }
            None => Ok(secret.to_owned()),
        }
    }

    /// The inverse of `seal_totp_secret`. A secret written before sealing existed is read as it is.
    pub(super) fn open_totp_secret(&self, stored: Option<String>) -> Result<Option<String>> {
        use base64::Engine as _;
        let Some(stored) = stored else {
            return Ok(None);
        };
        let Some(encoded) = stored.strip_prefix(SEALED_SECRET_PREFIX) else {
            return Ok(Some(stored));
        };
        // Without the keyring (`sito users` on the office database) the sealed text is handed on as it is: the
        // account still counts as enrolled, and no code can match it, so a sign-in fails closed.
        let Some(keyring) = &self.keyring else {
            return Ok(Some(stored));
        };
        let sealed = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|_| StoreError::Corrupt("a sealed second-factor secret".into()))?;
        let plaintext = keyring.open(&sealed).map_err(crypto)?;
        String::from_utf8(plaintext.expose().clone())
            .map(Some)
            .map_err(|_| StoreError::Corrupt("a sealed second-factor secret".into()))
    }

    pub(super) fn staff_record(&self, row: &SqliteRow) -> Result<StaffRecord> {
        let mut record = staff_from_row(row)?;
        record.totp_secret = self.open_totp_secret(record.totp_secret.take())?;
        record.totp_pending = self.open_totp_secret(record.totp_pending.take())?;
        Ok(record)
    }

    pub(super) async fn insert_session(&self, session: &SessionRecord, stage: &str) -> Result<()> {
        let mut tx = self.write().await?;
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
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
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
