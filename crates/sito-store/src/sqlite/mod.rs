//! The embedded SQLite backend: WAL, full fsync on commit, `BEGIN IMMEDIATE` for every write so concurrent writers
//! queue on the lock instead of failing half-way.
use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sito_core::machine::{Event, EventKind};
use sito_core::{CaseId, Category, FieldGroup, GroupContent, StaffId, Status, UnitId};
use sito_crypto::CaseKey;
use sito_keyring::OfficeKeyring;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{AssertSqlSafe, Row, Sqlite, Transaction};

use crate::audit::{self, AuditFilter, AuditInput, AuditRow, StoredAudit};
use crate::case_query::Bind;
use crate::findings_at_rest::{self, SealedCaseData};
use crate::records::{
    CaseFilter, CasePage, CaseSummary, NewCase, NewStaff, RecordedFindings, SessionRecord,
    StaffRecord, UnitRecord,
};
use crate::{Append, Result, Store, StoreError};

mod base;
mod codec;

pub(crate) use codec::{
    SEALED_SECRET_PREFIX, STAFF_COLUMNS, SUMMARY_COLUMNS, blind_indexes, crypto, decode_group,
    encode_group, event_audits, parse, parse_role,
};

pub struct SqliteStore {
    pool: SqlitePool,
    /// The unlocked office keyring: with it, content is encrypted per case and identifiers are blind-indexed.
    keyring: Option<Arc<OfficeKeyring>>,
}

/// The connection settings every pool on the office database uses (cases, intake, screening, links, planning): one
/// place, so durability and secure deletion can't differ between them.
pub(crate) fn connect_options(url: &str) -> Result<SqliteConnectOptions> {
    Ok(SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // An acknowledged write must survive power loss, not only a crash of the process.
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(10))
        .foreign_keys(true)
        // Freed pages are overwritten, so deleted content (and shredded keys) do not linger in the file.
        .pragma("secure_delete", "ON"))
}

/// A small pool on the office database with the shared settings, migrated: for the stores that sit beside
/// `SqliteStore` on the same file (screening, links, planning), each with its own few connections.
pub(crate) async fn open_pool(url: &str, connections: u32) -> Result<SqlitePool> {
    let pool = SqlitePoolOptions::new()
        .max_connections(connections)
        .connect_with(connect_options(url)?)
        .await?;
    sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
    Ok(pool)
}

fn staff_from_row(row: &SqliteRow) -> Result<StaffRecord> {
    Ok(StaffRecord {
        id: parse("staff id", row.try_get("id")?)?,
        call_sign: row.try_get("call_sign")?,
        role: parse_role(row.try_get("role")?)?,
        password_hash: row.try_get("password_hash")?,
        disabled: row.try_get::<i64, _>("disabled")? != 0,
        totp_secret: row.try_get("totp_secret")?,
        totp_pending: row.try_get("totp_pending")?,
        totp_last_step: row.try_get("totp_last_step")?,
        failed_logins: row
            .try_get::<i64, _>("failed_logins")?
            .clamp(0, i64::from(u32::MAX)) as u32,
        locked_until: row.try_get("locked_until")?,
    })
}

fn summary_from_row(row: &SqliteRow) -> Result<CaseSummary> {
    let category: &str = row.try_get("category")?;
    let status: &str = row.try_get("status")?;
    let unit: Option<&str> = row.try_get("unit_id")?;
    Ok(CaseSummary {
        id: parse("case id", row.try_get("id")?)?,
        category: Category::parse(category)
            .ok_or_else(|| StoreError::Corrupt(format!("category `{category}`")))?,
        call_sign: row.try_get("call_sign")?,
        stage: row.try_get("stage")?,
        owner_role: parse_role(row.try_get("owner_role")?)?,
        status: Status::parse(status)
            .ok_or_else(|| StoreError::Corrupt(format!("status `{status}`")))?,
        version: row.try_get::<i64, _>("version")? as u64,
        received_at: row.try_get("received_at")?,
        stage_entered_at: row.try_get("stage_entered_at")?,
        unit: unit.map(|unit| parse("unit id", unit)).transpose()?,
        action_needed: row.try_get::<i64, _>("action_needed")? != 0,
        open_flags: row.try_get::<i64, _>("open_flags")? as u32,
    })
}

async fn insert_events(
    tx: &mut Transaction<'static, Sqlite>,
    case: CaseId,
    events: &[Event],
    key: Option<&CaseKey>,
) -> Result<()> {
    for event in events {
        // The values go sealed into case_findings; the payload keeps only which check and group.
        let stored = findings_at_rest::for_storage(case, event, key)?;
        if let Some(sealed) = stored.sealed_findings {
            insert_sealed_findings(tx, case, event.seq, sealed).await?;
        }
        sqlx::query("INSERT INTO case_events (case_id, seq, at, actor, kind, payload) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(case.to_string())
            .bind(event.seq as i64)
            .bind(event.at)
            .bind(event.actor.map(|actor| actor.to_string()))
            .bind(event.kind.name())
            .bind(stored.payload)
            .execute(&mut **tx)
            .await
            .map_err(|error| match error {
                sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict,
                other => StoreError::Database(other),
            })?;
    }
    Ok(())
}

findings_at_rest::sealed_case_data!(SqliteStore, Sqlite);

#[async_trait]
impl Store for SqliteStore {
    async fn create_staff(&self, staff: &NewStaff) -> Result<()> {
        let mut tx = self.write().await?;
        sqlx::query("INSERT INTO staff (id, call_sign, role, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(staff.id.to_string())
            .bind(&staff.call_sign)
            .bind(staff.role.as_str())
            .bind(&staff.password_hash)
            .bind(staff.created_at)
            .execute(&mut *tx)
            .await
            .map_err(|error| match error {
                sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Duplicate,
                other => StoreError::Database(other),
            })?;
        tx.commit().await?;
        Ok(())
    }

    async fn staff_by_call_sign(&self, call_sign: &str) -> Result<StaffRecord> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {STAFF_COLUMNS} FROM staff WHERE call_sign = $1"
        )))
        .bind(call_sign)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        self.staff_record(&row)
    }

    async fn staff_by_id(&self, id: StaffId) -> Result<StaffRecord> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {STAFF_COLUMNS} FROM staff WHERE id = $1"
        )))
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        self.staff_record(&row)
    }

    async fn list_staff(&self) -> Result<Vec<StaffRecord>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {STAFF_COLUMNS} FROM staff ORDER BY role, call_sign"
        )))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|row| self.staff_record(row)).collect()
    }

    async fn create_session(&self, session: &SessionRecord) -> Result<()> {
        self.insert_session(session, "full").await
    }

    async fn session(&self, id_hash: &str) -> Result<SessionRecord> {
        self.session_at_stage(id_hash, "full").await
    }

    async fn create_enrolment_session(&self, session: &SessionRecord) -> Result<()> {
        self.insert_session(session, "enrol").await
    }

    async fn enrolment_session(&self, id_hash: &str) -> Result<SessionRecord> {
        self.session_at_stage(id_hash, "enrol").await
    }

    async fn delete_sessions_of(&self, staff: StaffId) -> Result<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE staff_id = $1")
            .bind(staff.to_string())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    async fn set_totp_pending(&self, staff: StaffId, secret: &str) -> Result<()> {
        let sealed = self.seal_totp_secret(secret)?;
        self.update_staff(
            staff,
            "UPDATE staff SET totp_pending = $2 WHERE id = $1",
            &sealed,
        )
        .await
    }

    async fn enrol_totp(
        &self,
        staff: StaffId,
        secret: &str,
        step: i64,
        recovery_code_hashes: &[String],
    ) -> Result<()> {
        let sealed = self.seal_totp_secret(secret)?;
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "UPDATE staff SET totp_secret = $2, totp_pending = NULL, totp_last_step = $3 WHERE id = $1",
        )
        .bind(staff.to_string())
        .bind(&sealed)
        .bind(step)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::NotFound);
        }
        sqlx::query("DELETE FROM recovery_codes WHERE staff_id = $1")
            .bind(staff.to_string())
            .execute(&mut *tx)
            .await?;
        for hash in recovery_code_hashes {
            sqlx::query(
                "INSERT OR IGNORE INTO recovery_codes (staff_id, code_hash) VALUES ($1, $2)",
            )
            .bind(staff.to_string())
            .bind(hash)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn reset_totp(&self, staff: StaffId) -> Result<()> {
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "UPDATE staff SET totp_secret = NULL, totp_pending = NULL, totp_last_step = 0 WHERE id = $1",
        )
        .bind(staff.to_string())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::NotFound);
        }
        for statement in [
            "DELETE FROM recovery_codes WHERE staff_id = $1",
            "DELETE FROM sessions WHERE staff_id = $1",
        ] {
            sqlx::query(statement)
                .bind(staff.to_string())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn use_totp_step(&self, staff: StaffId, step: i64) -> Result<bool> {
        // One conditional update: two requests racing with the same code cannot both win.
        let done = sqlx::query(
            "UPDATE staff SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2",
        )
        .bind(staff.to_string())
        .bind(step)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn use_recovery_code(&self, staff: StaffId, code_hash: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM recovery_codes WHERE staff_id = $1 AND code_hash = $2")
            .bind(staff.to_string())
            .bind(code_hash)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn record_login_failure(&self, staff: StaffId, lock_until: Option<i64>) -> Result<u32> {
        let row = sqlx::query(
            "UPDATE staff SET failed_logins = failed_logins + 1, \
             locked_until = MAX(locked_until, COALESCE($2, 0)) WHERE id = $1 RETURNING failed_logins",
        )
        .bind(staff.to_string())
        .bind(lock_until)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok(row
            .try_get::<i64, _>("failed_logins")?
            .clamp(0, i64::from(u32::MAX)) as u32)
    }

    async fn clear_login_failures(&self, staff: StaffId) -> Result<()> {
        sqlx::query("UPDATE staff SET failed_logins = 0, locked_until = 0 WHERE id = $1")
            .bind(staff.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn set_password(&self, staff: StaffId, password_hash: &str) -> Result<()> {
        self.update_staff(
            staff,
            "UPDATE staff SET password_hash = $2, failed_logins = 0, locked_until = 0 WHERE id = $1",
            password_hash,
        )
        .await?;
        self.delete_sessions_of(staff).await?;
        Ok(())
    }

    async fn record_audit(&self, entries: &[AuditInput]) -> Result<()> {
        let mut tx = self.write().await?;
        audit::chain(&mut tx, self.keyring.as_deref(), entries).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn search_audit(&self, filter: &AuditFilter) -> Result<Vec<StoredAudit>> {
        let search = audit::search_sql(filter);
        let mut query = sqlx::query_as::<_, AuditRow>(AssertSqlSafe(search.sql));
        for text in search.texts {
            query = query.bind(text);
        }
        for number in search.numbers {
            query = query.bind(number);
        }
        query
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(AuditRow::into_stored)
            .collect()
    }

    async fn audit_chain(&self) -> Result<Vec<sito_crypto::audit::AuditEntry>> {
        sqlx::query_as::<_, AuditRow>(audit::SELECT_CHAIN)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|row| row.into_stored().map(|stored| stored.entry))
            .collect()
    }

    async fn audit_head(&self) -> Result<Option<sito_crypto::audit::AuditEntry>> {
        sqlx::query_as::<_, AuditRow>(audit::SELECT_HEAD)
            .fetch_optional(&self.pool)
            .await?
            .map(|row| row.into_stored().map(|stored| stored.entry))
            .transpose()
    }

    async fn audit_checkpoints(&self) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT line FROM audit_checkpoints ORDER BY seq")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| Ok(row.try_get::<String, _>("line")?))
            .collect()
    }

    async fn add_audit_checkpoint(&self, sequence: u64, line: &str) -> Result<()> {
        let mut tx = self.write().await?;
        sqlx::query("INSERT OR IGNORE INTO audit_checkpoints (seq, line) VALUES ($1, $2)")
            .bind(sequence as i64)
            .bind(line)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn audit_counts_since(&self, action: &str, since_ms: i64) -> Result<Vec<(String, u64)>> {
        let rows = sqlx::query(
            "SELECT actor, COUNT(*) AS n FROM audit_log WHERE action = $1 AND at_ms >= $2 GROUP BY actor",
        )
        .bind(action)
        .bind(since_ms)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("actor")?, row.try_get::<i64, _>("n")? as u64)))
            .collect()
    }

    async fn set_disabled(&self, staff: StaffId, disabled: bool) -> Result<()> {
        let done = sqlx::query("UPDATE staff SET disabled = $2 WHERE id = $1")
            .bind(staff.to_string())
            .bind(i64::from(disabled))
            .execute(&self.pool)
            .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::NotFound);
        }
        if disabled {
            self.delete_sessions_of(staff).await?;
        }
        Ok(())
    }

    async fn touch_session(&self, id_hash: &str, now: i64) -> Result<()> {
        sqlx::query("UPDATE sessions SET last_seen = $1 WHERE id_hash = $2")
            .bind(now)
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn delete_session(&self, id_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn delete_sessions_older_than(&self, last_seen_before: i64) -> Result<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE last_seen < $1")
            .bind(last_seen_before)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    async fn create_unit(&self, unit: &UnitRecord) -> Result<()> {
        let mut tx = self.write().await?;
        sqlx::query("INSERT INTO units (id, name, target_strength) VALUES ($1, $2, $3)")
            .bind(unit.id.to_string())
            .bind(&unit.name)
            .bind(i64::from(unit.target_strength))
            .execute(&mut *tx)
            .await
            .map_err(|error| match error {
                sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Duplicate,
                other => StoreError::Database(other),
            })?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_units(&self) -> Result<Vec<(UnitRecord, u32)>> {
        let rows = sqlx::query(
            "SELECT u.id, u.name, u.target_strength, \
                    (SELECT COUNT(*) FROM cases c WHERE c.unit_id = u.id AND c.status = 'completed') AS strength \
             FROM units u ORDER BY u.name",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(unit_from_row).collect()
    }

    async fn unit(&self, id: UnitId) -> Result<(UnitRecord, u32)> {
        let row = sqlx::query(
            "SELECT u.id, u.name, u.target_strength, \
                    (SELECT COUNT(*) FROM cases c WHERE c.unit_id = u.id AND c.status = 'completed') AS strength \
             FROM units u WHERE u.id = $1",
        )
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        unit_from_row(&row)
    }

    async fn create_cases(&self, cases: &[NewCase]) -> Result<()> {
        let mut tx = self.write().await?;
        for case in cases {
            let state = &case.state;
            sqlx::query(
                "INSERT INTO cases (id, category, call_sign, stage, owner_role, status, version, received_at, \
                 stage_entered_at, updated_at, unit_id, action_needed, open_flags, call_sign_folded) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
            )
            .bind(state.id.to_string())
            .bind(state.category.as_str())
            .bind(&state.call_sign)
            .bind(&state.stage)
            .bind(case.owner_role.as_str())
            .bind(state.status.as_str())
            .bind(state.version as i64)
            .bind(state.received_at)
            .bind(state.stage_entered_at)
            .bind(state.updated_at)
            .bind(state.unit.map(|unit| unit.to_string()))
            .bind(i64::from(state.action_needed))
            .bind(state.open_flags.len() as i64)
            .bind(crate::records::fold_call_sign(&state.call_sign))
            .execute(&mut *tx)
            .await
            .map_err(|error| match error {
                sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Duplicate,
                other => StoreError::Database(other),
            })?;
            let case_key = match &self.keyring {
                Some(keyring) => {
                    let key = CaseKey::generate();
                    let wrapped = key.wrap(&keyring.current_recipients()).map_err(crypto)?;
                    sqlx::query("INSERT INTO case_keys (case_id, wrapped) VALUES ($1, $2)")
                        .bind(state.id.to_string())
                        .bind(wrapped.as_bytes())
                        .execute(&mut *tx)
                        .await?;
                    for (kind, index) in blind_indexes(keyring, &case.content) {
                        sqlx::query(
                            "INSERT OR IGNORE INTO case_identifiers (case_id, kind, blind_index) VALUES ($1, $2, $3)",
                        )
                        .bind(state.id.to_string())
                        .bind(kind.as_str())
                        .bind(index)
                        .execute(&mut *tx)
                        .await?;
                    }
                    Some(key)
                }
                None => None,
            };
            insert_events(&mut tx, state.id, &case.events, case_key.as_ref()).await?;
            audit::chain(
                &mut tx,
                self.keyring.as_deref(),
                &event_audits(state.id, &case.events),
            )
            .await?;
            for (group, content) in &case.content {
                let plain = encode_group(content)?;
                let (data, sealed) = match &case_key {
                    Some(key) => (
                        key.encrypt_field(state.id, *group, &plain)
                            .map_err(crypto)?
                            .into_bytes(),
                        1i64,
                    ),
                    None => (plain, 0),
                };
                sqlx::query(
                    "INSERT INTO case_content (case_id, field_group, data, sealed) VALUES ($1, $2, $3, $4)",
                )
                .bind(state.id.to_string())
                .bind(group.as_str())
                .bind(data)
                .bind(sealed)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn case_events(&self, id: CaseId) -> Result<Vec<Event>> {
        let rows = sqlx::query(
            "SELECT seq, at, actor, payload FROM case_events WHERE case_id = $1 ORDER BY seq",
        )
        .bind(id.to_string())
        .fetch_all(&self.pool)
        .await?;
        if rows.is_empty() {
            return Err(StoreError::NotFound);
        }
        let mut events = rows
            .iter()
            .map(|row| {
                let payload: &str = row.try_get("payload")?;
                let kind: EventKind = serde_json::from_str(payload)
                    .map_err(|error| StoreError::Corrupt(format!("event payload: {error}")))?;
                let actor: Option<&str> = row.try_get("actor")?;
                Ok(Event {
                    seq: row.try_get::<i64, _>("seq")? as u64,
                    at: row.try_get("at")?,
                    actor: actor.map(|actor| parse("actor", actor)).transpose()?,
                    kind,
                })
            })
            .collect::<Result<Vec<Event>>>()?;
        findings_at_rest::fill(self, id, &mut events).await?;
        Ok(events)
    }

    async fn case_findings(&self, id: CaseId) -> Result<Vec<RecordedFindings>> {
        findings_at_rest::recorded(self, id).await
    }

    async fn case_summary(&self, id: CaseId) -> Result<CaseSummary> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {SUMMARY_COLUMNS} FROM cases WHERE id = $1"
        )))
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        summary_from_row(&row)
    }

    async fn case_content(&self, id: CaseId) -> Result<BTreeMap<FieldGroup, GroupContent>> {
        let rows =
            sqlx::query("SELECT field_group, data, sealed FROM case_content WHERE case_id = $1")
                .bind(id.to_string())
                .fetch_all(&self.pool)
                .await?;
        let mut case_key: Option<CaseKey> = None;
        let mut groups = BTreeMap::new();
        for row in rows {
            let name: &str = row.try_get("field_group")?;
            let group = FieldGroup::parse(name)
                .ok_or_else(|| StoreError::Corrupt(format!("field group `{name}`")))?;
            let data: &[u8] = row.try_get("data")?;
            if row.try_get::<i64, _>("sealed")? == 0 {
                groups.insert(group, decode_group(data)?);
                continue;
            }
            let key = match &case_key {
                Some(key) => key,
                None => case_key.insert(self.case_key(id).await?),
            };
            let plain = key.decrypt_field(id, group, data).map_err(crypto)?;
            groups.insert(group, decode_group(plain.expose())?);
        }
        Ok(groups)
    }

    async fn shred_closed_cases(&self, closed_before: i64, now: i64) -> Result<u64> {
        let mut tx = self.write().await?;
        let rows = sqlx::query(
            "SELECT id FROM cases WHERE status IN ('rejected', 'withdrawn') AND updated_at < $1 \
             AND shredded_at IS NULL",
        )
        .bind(closed_before)
        .fetch_all(&mut *tx)
        .await?;
        let ids: Vec<String> = rows
            .iter()
            .map(|row| row.try_get::<String, _>("id"))
            .collect::<std::result::Result<_, _>>()?;
        for id in &ids {
            for statement in [
                "DELETE FROM case_keys WHERE case_id = $1",
                "DELETE FROM case_content WHERE case_id = $1",
                "DELETE FROM case_findings WHERE case_id = $1",
                "DELETE FROM case_identifiers WHERE case_id = $1",
            ] {
                sqlx::query(statement).bind(id).execute(&mut *tx).await?;
            }
            sqlx::query("UPDATE cases SET shredded_at = $2 WHERE id = $1")
                .bind(id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        let audits: Vec<AuditInput> = ids
            .iter()
            .map(|id| AuditInput {
                at_ms: now.saturating_mul(1000),
                actor: "retention".into(),
                action: "case.shredded".into(),
                subject: id.clone(),
                detail: String::new(),
            })
            .collect();
        audit::chain(&mut tx, self.keyring.as_deref(), &audits).await?;
        tx.commit().await?;
        // Move the freed (zeroed) pages out of the write-ahead log into the main file now, not at some later
        // checkpoint.
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.pool)
            .await?;
        Ok(ids.len() as u64)
    }

    async fn cases_sharing_identifier(&self, id: CaseId) -> Result<Vec<(CaseId, String)>> {
        let rows = sqlx::query(
            "SELECT DISTINCT other.case_id AS case_id, other.kind AS kind FROM case_identifiers mine \
             JOIN case_identifiers other ON other.blind_index = mine.blind_index AND other.kind = mine.kind \
             WHERE mine.case_id = $1 AND other.case_id <> $1 ORDER BY other.case_id",
        )
        .bind(id.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    parse("case id", row.try_get("case_id")?)?,
                    row.try_get("kind")?,
                ))
            })
            .collect()
    }

    async fn append(&self, batch: &[Append<'_>]) -> Result<()> {
        let keys = findings_at_rest::keys_for(self, batch).await?;
        let mut tx = self.write().await?;
        for append in batch {
            let state = append.state;
            if let Some((unit, target)) = append.unit_limit {
                let strength: i64 = sqlx::query(
                    "SELECT COUNT(*) AS n FROM cases WHERE unit_id = $1 AND status = 'completed'",
                )
                .bind(unit.to_string())
                .fetch_one(&mut *tx)
                .await?
                .try_get("n")?;
                if strength >= i64::from(target) {
                    return Err(StoreError::UnitFull);
                }
            }
            let updated = sqlx::query(
                "UPDATE cases SET stage = $1, owner_role = $2, status = $3, version = $4, stage_entered_at = $5, \
                 updated_at = $6, unit_id = $7, action_needed = $8, open_flags = $9 \
                 WHERE id = $10 AND version = $11",
            )
            .bind(&state.stage)
            .bind(append.owner_role.as_str())
            .bind(state.status.as_str())
            .bind(state.version as i64)
            .bind(state.stage_entered_at)
            .bind(state.updated_at)
            .bind(state.unit.map(|unit| unit.to_string()))
            .bind(i64::from(state.action_needed))
            .bind(state.open_flags.len() as i64)
            .bind(append.case.to_string())
            .bind(append.expected_version as i64)
            .execute(&mut *tx)
            .await?;
            if updated.rows_affected() != 1 {
                // Dropping the transaction rolls back whatever this batch wrote before.
                let exists = sqlx::query("SELECT 1 FROM cases WHERE id = $1")
                    .bind(append.case.to_string())
                    .fetch_optional(&mut *tx)
                    .await?
                    .is_some();
                return Err(if exists {
                    StoreError::Conflict
                } else {
                    StoreError::NotFound
                });
            }
            insert_events(&mut tx, append.case, append.events, keys.get(&append.case)).await?;
            audit::chain(
                &mut tx,
                self.keyring.as_deref(),
                &event_audits(append.case, append.events),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn list_cases(&self, filter: &CaseFilter, page: u32, per_page: u32) -> Result<CasePage> {
        let crate::case_query::CaseQuery {
            where_clause,
            order,
            binds,
        } = crate::case_query::build(filter, crate::case_query::Dialect::Sqlite);
        let per_page = per_page.clamp(1, 500);
        let offset = u64::from(page.saturating_sub(1)) * u64::from(per_page);

        let count_sql = format!("SELECT COUNT(*) AS n FROM cases {where_clause}");
        let mut count = sqlx::query(AssertSqlSafe(count_sql));
        for bind in &binds {
            count = match bind {
                Bind::Text(text) => count.bind(text),
                Bind::Int(number) => count.bind(number),
            };
        }
        let total = count.fetch_one(&self.pool).await?.try_get::<i64, _>("n")? as u64;

        let list_sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM cases {where_clause} {order} LIMIT {per_page} OFFSET {offset}"
        );
        let mut list = sqlx::query(AssertSqlSafe(list_sql));
        for bind in &binds {
            list = match bind {
                Bind::Text(text) => list.bind(text),
                Bind::Int(number) => list.bind(number),
            };
        }
        let rows = list.fetch_all(&self.pool).await?;
        let cases = rows
            .iter()
            .map(summary_from_row)
            .collect::<Result<Vec<_>>>()?;
        Ok(CasePage {
            cases,
            total,
            page: page.max(1),
            per_page,
        })
    }

    async fn case_flow(&self, since: i64) -> Result<Vec<crate::capacity::FlowEvent>> {
        crate::capacity::sqlite_case_flow(&self.pool, since).await
    }

    async fn stage_counts(&self) -> Result<Vec<(String, String, u64)>> {
        let rows =
            sqlx::query("SELECT stage, status, COUNT(*) AS n FROM cases GROUP BY stage, status")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("stage")?,
                    row.try_get("status")?,
                    row.try_get::<i64, _>("n")? as u64,
                ))
            })
            .collect()
    }
}

fn unit_from_row(row: &SqliteRow) -> Result<(UnitRecord, u32)> {
    Ok((
        UnitRecord {
            id: parse("unit id", row.try_get("id")?)?,
            name: row.try_get("name")?,
            target_strength: row.try_get::<i64, _>("target_strength")? as u32,
        },
        row.try_get::<i64, _>("strength")? as u32,
    ))
}
