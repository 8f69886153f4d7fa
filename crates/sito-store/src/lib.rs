//! sito-store: the storage trait, one method per use case, and its SQLite backend (PostgreSQL comes behind the
//! same trait). Callers never see SQL or a dialect; the backend is chosen from the database URL.
//!
//! Architecture invariants kept here:
//! - the event log is append-only (database triggers refuse updates and deletes of `case_events`);
//! - a case's events and its list projection change in one transaction, and only if the case is still at the
//!   version the caller decided on (optimistic concurrency: two staff acting on one case never lose an update).
#![forbid(unsafe_code)]

pub mod audit;
pub mod capacity;
mod case_query;
mod findings_at_rest;
pub mod intake;
pub mod links;
pub mod planning;
pub mod postgres;
mod records;
pub mod screening;
mod sqlite;

use std::collections::BTreeMap;

use async_trait::async_trait;
use sito_core::machine::{CaseState, Event};
use sito_core::{CaseId, FieldGroup, GroupContent, Role, StaffId, UnitId};

pub use postgres::PgStore;
pub use records::{
    CaseFilter, CaseOrder, CasePage, CaseSummary, NewCase, NewStaff, RecordedFindings,
    SessionRecord, StaffRecord, UnitRecord, fold_call_sign,
};
pub use sqlite::SqliteStore;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// The case changed since the caller read it; reload and decide again.
    #[error("the case was changed by someone else; reload it and try again")]
    Conflict,
    #[error("already exists")]
    Duplicate,
    #[error("the unit has reached its target strength")]
    UnitFull,
    #[error("unsupported database URL `{0}`: use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// Findings are written only encrypted: a store opened without the office keyring refuses them.
    #[error("findings are stored only encrypted; open the store with the office keyring")]
    EncryptionRequired,
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// The audit log is keyed with the office key; appending without it would write an entry that reads as forged.
    #[error(
        "the audit log is authenticated with the office key: open the store with the office keyring"
    )]
    AuditKeyRequired,
}

/// A failure of the encryption layer as the store reports it: the stored bytes do not open as they should.
pub(crate) fn crypto(error: sito_crypto::CryptoError) -> StoreError {
    StoreError::Corrupt(format!("encryption: {error}"))
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// One appended batch: the events a decision produced, the state they lead to, and the version they were
/// decided on.
pub struct Append<'a> {
    pub case: CaseId,
    pub expected_version: u64,
    pub events: &'a [Event],
    pub state: &'a CaseState,
    pub owner_role: Role,
    /// For an assignment: the unit and its target strength, checked inside the transaction so two concurrent
    /// assignments can never push a unit past its target.
    pub unit_limit: Option<(UnitId, u32)>,
}

#[async_trait]
pub trait Store: Send + Sync {
    // Staff and sessions.
    async fn create_staff(&self, staff: &NewStaff) -> Result<()>;
    async fn staff_by_call_sign(&self, call_sign: &str) -> Result<StaffRecord>;
    async fn staff_by_id(&self, id: StaffId) -> Result<StaffRecord>;
    async fn list_staff(&self) -> Result<Vec<StaffRecord>>;
    async fn create_session(&self, session: &SessionRecord) -> Result<()>;
    async fn session(&self, id_hash: &str) -> Result<SessionRecord>;
    async fn touch_session(&self, id_hash: &str, now: i64) -> Result<()>;
    async fn delete_session(&self, id_hash: &str) -> Result<()>;
    async fn delete_sessions_older_than(&self, last_seen_before: i64) -> Result<u64>;

    // Staff identity: second factor, lockout, account administration.
    /// A session that opens only the enrolment page: the password was right, no second factor is enrolled yet.
    async fn create_enrolment_session(&self, session: &SessionRecord) -> Result<()>;
    async fn enrolment_session(&self, id_hash: &str) -> Result<SessionRecord>;
    async fn delete_sessions_of(&self, staff: StaffId) -> Result<u64>;
    async fn set_totp_pending(&self, staff: StaffId, secret: &str) -> Result<()>;
    /// Makes `secret` the enrolled second factor, accepting `step` as used, and replaces the recovery codes.
    async fn enrol_totp(
        &self,
        staff: StaffId,
        secret: &str,
        step: i64,
        recovery_code_hashes: &[String],
    ) -> Result<()>;
    /// Removes the second factor and its recovery codes and ends every session: the next sign-in enrols anew.
    async fn reset_totp(&self, staff: StaffId) -> Result<()>;
    /// Accepts a TOTP time step once: `false` when this step or a later one was already used (a replay).
    async fn use_totp_step(&self, staff: StaffId, step: i64) -> Result<bool>;
    /// Consumes a recovery code: `false` when it is unknown or spent.
    async fn use_recovery_code(&self, staff: StaffId, code_hash: &str) -> Result<bool>;
    /// Counts a failed sign-in and returns the new count; `lock_until` (when given) blocks sign-in until then.
    async fn record_login_failure(&self, staff: StaffId, lock_until: Option<i64>) -> Result<u32>;
    async fn clear_login_failures(&self, staff: StaffId) -> Result<()>;
    async fn set_password(&self, staff: StaffId, password_hash: &str) -> Result<()>;
    async fn set_disabled(&self, staff: StaffId, disabled: bool) -> Result<()>;

    // The audit log. Case writes (`create_cases`, `append`) chain their own entries in their transaction.
    /// Chains entries for things the store cannot see by itself: reads of identity, sign-ins, reveals.
    async fn record_audit(&self, entries: &[audit::AuditInput]) -> Result<()>;
    async fn search_audit(&self, filter: &audit::AuditFilter) -> Result<Vec<audit::StoredAudit>>;
    /// Every entry in sequence order, for verification.
    async fn audit_chain(&self) -> Result<Vec<sito_crypto::audit::AuditEntry>>;
    async fn audit_head(&self) -> Result<Option<sito_crypto::audit::AuditEntry>>;
    async fn audit_checkpoints(&self) -> Result<Vec<String>>;
    async fn add_audit_checkpoint(&self, sequence: u64, line: &str) -> Result<()>;
    /// Identity reads per actor since a time (for the alert rules): (actor, reads).
    async fn audit_counts_since(&self, action: &str, since_ms: i64) -> Result<Vec<(String, u64)>>;

    // Units.
    async fn create_unit(&self, unit: &UnitRecord) -> Result<()>;
    /// Units with their current strength (cases completed into them).
    async fn list_units(&self) -> Result<Vec<(UnitRecord, u32)>>;
    async fn unit(&self, id: UnitId) -> Result<(UnitRecord, u32)>;

    // Cases.
    /// Creates cases with their first events and content, all or none.
    async fn create_cases(&self, cases: &[NewCase]) -> Result<()>;
    async fn case_events(&self, id: CaseId) -> Result<Vec<Event>>;
    async fn case_summary(&self, id: CaseId) -> Result<CaseSummary>;
    /// The case's content in plaintext (decrypted with the office keyring when stored encrypted). A
    /// crypto-shredded case has no content left.
    async fn case_content(&self, id: CaseId) -> Result<BTreeMap<FieldGroup, GroupContent>>;
    /// The findings recorded on a case, in event order, decrypted (needs the office keyring). The caller filters
    /// them by permit for `group` before showing any.
    async fn case_findings(&self, id: CaseId) -> Result<Vec<records::RecordedFindings>>;
    /// Retention: deletes the data keys (and ciphertext, and blind indexes) of rejected or withdrawn cases closed
    /// before `closed_before`; their list rows and events stay for the statistics. Returns how many were shredded.
    async fn shred_closed_cases(&self, closed_before: i64, now: i64) -> Result<u64>;
    /// Other cases sharing an exact-match identifier (same blind index and kind) with this one.
    async fn cases_sharing_identifier(&self, id: CaseId) -> Result<Vec<(CaseId, String)>>;
    /// Appends to several cases atomically: if any case moved on since it was read, nothing is written.
    async fn append(&self, batch: &[Append<'_>]) -> Result<()>;
    async fn list_cases(&self, filter: &CaseFilter, page: u32, per_page: u32) -> Result<CasePage>;
    /// Count of cases per (stage, status), for overviews.
    async fn stage_counts(&self) -> Result<Vec<(String, String, u64)>>;
    /// Capacity planning: the stage-to-stage flow of the cases changed at or after `since`, without case ids or
    /// content (see `capacity`).
    async fn case_flow(&self, since: i64) -> Result<Vec<capacity::FlowEvent>>;
}

/// The backends a database URL may name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// `sqlite:…` or `postgres://…` / `postgresql://…`; anything else is refused without echoing more than the
    /// scheme's neighbourhood (a URL may carry a password).
    pub fn of(url: &str) -> Result<Backend> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if postgres::is_postgres_url(url) {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl(url.chars().take(20).collect()))
        }
    }
}

/// Opens the store the URL names with encryption at rest under the office keyring.
pub async fn open_encrypted(
    url: &str,
    keyring: std::sync::Arc<sito_keyring::OfficeKeyring>,
) -> Result<Box<dyn Store>> {
    Ok(match Backend::of(url)? {
        Backend::Sqlite => Box::new(SqliteStore::open_encrypted(url, keyring).await?),
        Backend::Postgres => Box::new(PgStore::open_encrypted(url, keyring).await?),
    })
}

/// Opens the store the URL names, creating and migrating it if needed.
pub async fn open(url: &str) -> Result<Box<dyn Store>> {
    Ok(match Backend::of(url)? {
        Backend::Sqlite => Box::new(SqliteStore::open(url).await?),
        Backend::Postgres => Box::new(PgStore::open(url).await?),
    })
}
