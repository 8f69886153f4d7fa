//! The PostgreSQL backend, for offices that run several instances on one database server. Same trait, same
//! behaviour as the SQLite backend; only the dialect differs, and it stays in this module.
//!
//! Concurrency on a shared server (several office instances):
//! - every write that chains audit entries (case creation, appends, shredding, recorded reads) first takes one
//!   transaction-scoped advisory lock, `AUDIT_CHAIN_LOCK`: the chain is a sequence, so its writers queue, exactly as
//!   SQLite's `BEGIN IMMEDIATE` queues them; nothing else is serialised;
//! - `append` is a conditional `UPDATE ... WHERE version = expected` checked by its row count in that transaction:
//!   a second appender at the same version waits for the first to commit, then matches no row and gets `Conflict`;
//! - the unit strength check runs under the same lock, so two assignments cannot both take a unit's last place.
use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::Arc;

use async_trait::async_trait;
use sito_core::machine::{Event, EventKind};
use sito_core::{CaseId, Category, FieldGroup, GroupContent, StaffId, Status, UnitId};
use sito_crypto::CaseKey;
use sito_keyring::OfficeKeyring;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::{AssertSqlSafe, Postgres, Row, Transaction};

use crate::audit::{AuditFilter, AuditInput, StoredAudit};
use crate::case_query::Bind;
use crate::findings_at_rest::{self, SealedCaseData};
use crate::records::{
    CaseFilter, CasePage, CaseSummary, NewCase, NewStaff, RecordedFindings, SessionRecord,
    StaffRecord, UnitRecord,
};
use crate::sqlite::{
    STAFF_COLUMNS, SUMMARY_COLUMNS, blind_indexes, crypto, decode_group, encode_group,
    event_audits, parse, parse_role,
};
use crate::{Append, Result, Store, StoreError};

mod audit;
mod base;
mod capacity;
pub mod jobs;
mod links;
mod planning;
mod screening;

pub use jobs::JobLeases;
pub use links::PgLinkStore;
pub use planning::PgPlanningStore;
pub use screening::PgScreeningStore;

/// The advisory lock every audited write holds for its transaction ("sito" and 1).
const AUDIT_CHAIN_LOCK: i64 = 0x7369_746f_0001;

/// Whether a URL names a PostgreSQL database.
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres:") || url.starts_with("postgresql:")
}

/// A pool on the office database, migrated. Several instances may migrate at once: sqlx serialises them with an
/// advisory lock of its own.
pub(crate) async fn open_pool(url: &str, connections: u32) -> Result<PgPool> {
    let options = PgConnectOptions::from_str(url)?.application_name("sito");
    let pool = PgPoolOptions::new()
        .max_connections(connections)
        .connect_with(options)
        .await?;
    sqlx::migrate!("./migrations/postgres").run(&pool).await?;
    Ok(pool)
}

pub struct PgStore {
    pool: PgPool,
    /// The unlocked office keyring: with it, content is encrypted per case and identifiers are blind-indexed.
    keyring: Option<Arc<OfficeKeyring>>,
}

fn clamp_u32(value: i64) -> u32 {
    value.clamp(0, i64::from(u32::MAX)) as u32
}

fn unique_as(error: sqlx::Error, instead: StoreError) -> StoreError {
    match error {
        sqlx::Error::Database(db) if db.is_unique_violation() => instead,
        other => StoreError::Database(other),
    }
}

fn summary_from_row(row: &PgRow) -> Result<CaseSummary> {
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
        version: row.try_get::<i64, _>("version")?.max(0) as u64,
        received_at: row.try_get("received_at")?,
        stage_entered_at: row.try_get("stage_entered_at")?,
        unit: unit.map(|unit| parse("unit id", unit)).transpose()?,
        action_needed: row.try_get("action_needed")?,
        open_flags: clamp_u32(row.try_get("open_flags")?),
    })
}

fn unit_from_row(row: &PgRow) -> Result<(UnitRecord, u32)> {
    Ok((
        UnitRecord {
            id: parse("unit id", row.try_get("id")?)?,
            name: row.try_get("name")?,
            target_strength: clamp_u32(row.try_get("target_strength")?),
        },
        clamp_u32(row.try_get("strength")?),
    ))
}

async fn insert_events(
    tx: &mut Transaction<'static, Postgres>,
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
        sqlx::query(
            "INSERT INTO case_events (case_id, seq, at, actor, kind, payload) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(case.to_string())
        .bind(event.seq as i64)
        .bind(event.at)
        .bind(event.actor.map(|actor| actor.to_string()))
        .bind(event.kind.name())
        .bind(stored.payload)
        .execute(&mut **tx)
        .await
        .map_err(|error| unique_as(error, StoreError::Conflict))?;
    }
    Ok(())
}

const UNIT_COLUMNS: &str = "u.id, u.name, u.target_strength, \
     (SELECT COUNT(*) FROM cases c WHERE c.unit_id = u.id AND c.status = 'completed') AS strength";

findings_at_rest::sealed_case_data!(PgStore, Postgres);

#[async_trait]
impl Store for PgStore {
    async fn create_staff(&self, staff: &NewStaff) -> Result<()> {
        sqlx::query(
            "INSERT INTO staff (id, call_sign, role, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(staff.id.to_string())
        .bind(&staff.call_sign)
        .bind(staff.role.as_str())
        .bind(&staff.password_hash)
        .bind(staff.created_at)
        .execute(&self.pool)
        .await
        .map_err(|error| unique_as(error, StoreError::Duplicate))?;
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
        let mut tx = self.pool.begin().await?;
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
                "INSERT INTO recovery_codes (staff_id, code_hash) VALUES ($1, $2) ON CONFLICT DO NOTHING",
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
        let mut tx = self.pool.begin().await?;
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
        // One conditional update: two instances racing with the same code cannot both win (the second waits for
        // the first's row lock, then re-checks the condition against the committed step).
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
             locked_until = GREATEST(locked_until, COALESCE($2, 0)) WHERE id = $1 RETURNING failed_logins",
        )
        .bind(staff.to_string())
        .bind(lock_until)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok(clamp_u32(row.try_get("failed_logins")?))
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

    async fn set_disabled(&self, staff: StaffId, disabled: bool) -> Result<()> {
        let done = sqlx::query("UPDATE staff SET disabled = $2 WHERE id = $1")
            .bind(staff.to_string())
            .bind(disabled)
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

    async fn record_audit(&self, entries: &[AuditInput]) -> Result<()> {
        let mut tx = self.audited_write().await?;
        audit::chain(&mut tx, self.keyring.as_deref(), entries).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn search_audit(&self, filter: &AuditFilter) -> Result<Vec<StoredAudit>> {
        audit::search(&self.pool, filter).await
    }

    async fn audit_chain(&self) -> Result<Vec<sito_crypto::audit::AuditEntry>> {
        audit::whole_chain(&self.pool).await
    }

    async fn audit_head(&self) -> Result<Option<sito_crypto::audit::AuditEntry>> {
        audit::head(&self.pool).await
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
        sqlx::query(
            "INSERT INTO audit_checkpoints (seq, line) VALUES ($1, $2) ON CONFLICT (seq) DO NOTHING",
        )
        .bind(sequence as i64)
        .bind(line)
        .execute(&self.pool)
        .await?;
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
            .map(|row| {
                Ok((
                    row.try_get("actor")?,
                    row.try_get::<i64, _>("n")?.max(0) as u64,
                ))
            })
            .collect()
    }

    async fn create_unit(&self, unit: &UnitRecord) -> Result<()> {
        sqlx::query("INSERT INTO units (id, name, target_strength) VALUES ($1, $2, $3)")
            .bind(unit.id.to_string())
            .bind(&unit.name)
            .bind(i64::from(unit.target_strength))
            .execute(&self.pool)
            .await
            .map_err(|error| unique_as(error, StoreError::Duplicate))?;
        Ok(())
    }

    async fn list_units(&self) -> Result<Vec<(UnitRecord, u32)>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {UNIT_COLUMNS} FROM units u ORDER BY u.name"
        )))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(unit_from_row).collect()
    }

    async fn unit(&self, id: UnitId) -> Result<(UnitRecord, u32)> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {UNIT_COLUMNS} FROM units u WHERE u.id = $1"
        )))
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        unit_from_row(&row)
    }

    async fn create_cases(&self, cases: &[NewCase]) -> Result<()> {
        let mut tx = self.audited_write().await?;
        for case in cases {
            let state = &case.state;
            let id = state.id.to_string();
            sqlx::query(
                "INSERT INTO cases (id, category, call_sign, stage, owner_role, status, version, received_at, \
                 stage_entered_at, updated_at, unit_id, action_needed, open_flags, call_sign_folded) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
            )
            .bind(&id)
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
            .bind(state.action_needed)
            .bind(state.open_flags.len() as i64)
            .bind(crate::records::fold_call_sign(&state.call_sign))
            .execute(&mut *tx)
            .await
            .map_err(|error| unique_as(error, StoreError::Duplicate))?;
            audit::chain(
                &mut tx,
                self.keyring.as_deref(),
                &event_audits(state.id, &case.events),
            )
            .await?;
            let case_key = match &self.keyring {
                Some(keyring) => {
                    let key = CaseKey::generate();
                    let wrapped = key.wrap(&keyring.current_recipients()).map_err(crypto)?;
                    sqlx::query("INSERT INTO case_keys (case_id, wrapped) VALUES ($1, $2)")
                        .bind(&id)
                        .bind(wrapped.as_bytes())
                        .execute(&mut *tx)
                        .await?;
                    for (kind, index) in blind_indexes(keyring, &case.content) {
                        sqlx::query(
                            "INSERT INTO case_identifiers (case_id, kind, blind_index) VALUES ($1, $2, $3) \
                             ON CONFLICT DO NOTHING",
                        )
                        .bind(&id)
                        .bind(kind.as_str())
                        .bind(index)
                        .execute(&mut *tx)
                        .await?;
                    }
                    Some(key)
                }
                None => None,
            };
            // After the key: the events' findings are sealed under it.
            insert_events(&mut tx, state.id, &case.events, case_key.as_ref()).await?;
            for (group, content) in &case.content {
                let plain = encode_group(content)?;
                let (data, sealed) = match &case_key {
                    Some(key) => (
                        key.encrypt_field(state.id, *group, &plain)
                            .map_err(crypto)?
                            .into_bytes(),
                        true,
                    ),
                    None => (plain, false),
                };
                sqlx::query(
                    "INSERT INTO case_content (case_id, field_group, data, sealed) VALUES ($1, $2, $3, $4)",
                )
                .bind(&id)
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
                    seq: row.try_get::<i64, _>("seq")?.max(0) as u64,
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
            if !row.try_get::<bool, _>("sealed")? {
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
        let mut tx = self.audited_write().await?;
        let ids: Vec<String> = sqlx::query(
            "SELECT id FROM cases WHERE status IN ('rejected', 'withdrawn') AND updated_at < $1 \
             AND shredded_at IS NULL ORDER BY position",
        )
        .bind(closed_before)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|row| row.try_get::<String, _>("id"))
        .collect::<std::result::Result<_, _>>()?;
        for statement in [
            "DELETE FROM case_keys WHERE case_id = ANY($1)",
            "DELETE FROM case_content WHERE case_id = ANY($1)",
            "DELETE FROM case_findings WHERE case_id = ANY($1)",
            "DELETE FROM case_identifiers WHERE case_id = ANY($1)",
        ] {
            sqlx::query(statement).bind(&ids).execute(&mut *tx).await?;
        }
        sqlx::query("UPDATE cases SET shredded_at = $2 WHERE id = ANY($1)")
            .bind(&ids)
            .bind(now)
            .execute(&mut *tx)
            .await?;
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
        // Case keys are unwrapped before the write transaction takes its connection.
        let keys = findings_at_rest::keys_for(self, batch).await?;
        let mut tx = self.audited_write().await?;
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
            .bind(state.action_needed)
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
        } = crate::case_query::build(filter, crate::case_query::Dialect::Postgres);
        let per_page = per_page.clamp(1, 500);
        let offset = u64::from(page.saturating_sub(1)) * u64::from(per_page);

        let mut count = sqlx::query(AssertSqlSafe(format!(
            "SELECT COUNT(*) AS n FROM cases {where_clause}"
        )));
        for bind in &binds {
            count = match bind {
                Bind::Text(text) => count.bind(text),
                Bind::Int(number) => count.bind(number),
            };
        }
        let total = count
            .fetch_one(&self.pool)
            .await?
            .try_get::<i64, _>("n")?
            .max(0) as u64;

        let mut list = sqlx::query(AssertSqlSafe(format!(
            "SELECT {SUMMARY_COLUMNS} FROM cases {where_clause} {order} LIMIT {per_page} OFFSET {offset}"
        )));
        for bind in &binds {
            list = match bind {
                Bind::Text(text) => list.bind(text),
                Bind::Int(number) => list.bind(number),
            };
        }
        let cases = list
            .fetch_all(&self.pool)
            .await?
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
                    row.try_get::<i64, _>("n")?.max(0) as u64,
                ))
            })
            .collect()
    }

    async fn case_flow(&self, since: i64) -> Result<Vec<crate::capacity::FlowEvent>> {
        capacity::case_flow(&self.pool, since).await
    }
}
