//! The audit log as the store keeps it: entries chained with sito-crypto's `audit` inside the same transaction as
//! the write they record (a case change and its audit entry commit together or not at all), reads recorded by
//! the web adapter through `Store::record_audit`, and signed checkpoints over the head.
//!
//! Entries are authenticated with the office audit key (sito-crypto `audit`), derived from the keyring the store
//! was opened with; the database never holds it. A store opened without the keyring may only extend a log that
//! was never keyed, and refuses otherwise ([`StoreError::AuditKeyRequired`]), so it cannot write entries that
//! would later read as forged.
//!
//! Every signed checkpoint is also appended to files outside the database ([`CheckpointFiles`]: by default
//! `DATA_DIR/audit-checkpoints.log`, plus an optional copy on another mount), one [`Checkpoint::to_line`] a line,
//! opened with O_APPEND and fsync'd. Whoever deletes the newest entries and the checkpoints over them from the
//! database is caught against the file by `sito audit verify --checkpoints FILE`.
//!
//! Architecture invariant: nothing in the store updates or deletes an audit row; the chain is verified from the
//! rows alone (`verify_chain`), so an edit made with the triggers dropped is still found.
use std::io::Write;
use std::path::{Path, PathBuf};

use sito_crypto::audit::{
    AuditEntry, AuditKey, AuditRecord, ChainHash, ChainHead, ChainKeys, ChainReport,
    ChainViolation, Checkpoint,
};
use sito_keyring::{DeriveAuditKey, OfficeKeyring};
use sqlx::{Sqlite, Transaction};

use crate::{Result, StoreError};

/// One thing to record: who did what to which subject (a case id, a staff call sign, "office"), with a detail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditInput {
    pub at_ms: i64,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail: String,
}

/// A stored entry with its detail, as the auditor pages show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredAudit {
    pub entry: AuditEntry,
    pub detail: String,
}

/// A search of the log: every given field must match; newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action_prefix: Option<String>,
    pub subject: Option<String>,
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
    pub limit: u32,
}

/// The columns of an entry as both backends select them, in [`AuditRow`]'s order.
const ENTRY_COLUMNS: &str = "seq, at_ms, actor, action, subject, detail, previous_hash, hash";
/// The whole chain in order, and its head, on either backend.
pub(crate) const SELECT_CHAIN: &str = "SELECT seq, at_ms, actor, action, subject, detail, previous_hash, hash FROM audit_log ORDER BY seq";
pub(crate) const SELECT_HEAD: &str = "SELECT seq, at_ms, actor, action, subject, detail, previous_hash, hash \
     FROM audit_log ORDER BY seq DESC LIMIT 1";

/// The statement that stores `entry` (made from `input`), the same on either backend.
pub(crate) fn insert_entry<'q, DB: sqlx::Database>(
    entry: &AuditEntry,
    input: &AuditInput,
) -> sqlx::query::Query<'q, DB, DB::Arguments>
where
    i64: for<'t> sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    String: for<'t> sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    sqlx::query(
        "INSERT INTO audit_log (seq, at_ms, actor, action, subject, detail, previous_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(entry.sequence as i64)
    .bind(input.at_ms)
    .bind(input.actor.clone())
    .bind(input.action.clone())
    .bind(input.subject.clone())
    .bind(input.detail.clone())
    .bind(entry.previous_hash.to_string())
    .bind(entry.hash.to_string())
}

/// An entry as stored, read the same way from SQLite and PostgreSQL.
#[derive(sqlx::FromRow)]
pub(crate) struct AuditRow {
    seq: i64,
    at_ms: i64,
    actor: String,
    action: String,
    subject: String,
    detail: String,
    previous_hash: String,
    hash: String,
}

impl AuditRow {
    /// Rebuilds the entry. The detail hash is recomputed from the stored detail, so an edited detail shows up as
    /// an entry that no longer hashes to its stored hash.
    pub(crate) fn into_stored(self) -> Result<StoredAudit> {
        let hash = |name: &str, text: &str| -> Result<ChainHash> {
            ChainHash::parse(text).ok_or_else(|| StoreError::Corrupt(format!("audit {name}")))
        };
        let sequence = u64::try_from(self.seq)
            .map_err(|_| StoreError::Corrupt("audit sequence below zero".into()))?;
        Ok(StoredAudit {
            entry: AuditEntry {
                sequence,
                record: AuditRecord::new(
                    self.at_ms,
                    self.actor,
                    self.action,
                    self.subject,
                    self.detail.as_bytes(),
                ),
                previous_hash: hash("previous_hash", &self.previous_hash)?,
                hash: hash("hash", &self.hash)?,
            },
            detail: self.detail,
        })
    }
}

/// The entries that append `inputs` after `last` (the stored head), keyed when the store holds the keyring.
/// Both backends call this inside the write transaction that read `last`, so the head cannot move underneath.
/// Without the keyring only a log that was never keyed may be extended.
pub(crate) fn next_entries(
    last: Option<&AuditEntry>,
    keyring: Option<&OfficeKeyring>,
    inputs: &[AuditInput],
) -> Result<Vec<AuditEntry>> {
    let key = keyring.map(AuditKey::derive);
    if key.is_none() && last.is_some_and(|stored| !stored.is_unkeyed()) {
        return Err(StoreError::AuditKeyRequired);
    }
    let mut head = last.map_or_else(ChainHead::empty, ChainHead::after);
    Ok(inputs
        .iter()
        .map(|input| {
            let record = AuditRecord::new(
                input.at_ms,
                input.actor.as_str(),
                input.action.as_str(),
                input.subject.as_str(),
                input.detail.as_bytes(),
            );
            match &key {
                Some(key) => head.append(record, key),
                None => head.append_unkeyed(record),
            }
        })
        .collect())
}

/// A search of the log as SQL with `$n` placeholders (both backends read them): the texts bind first, then the
/// numbers.
pub(crate) struct SearchSql {
    pub(crate) sql: String,
    pub(crate) texts: Vec<String>,
    pub(crate) numbers: Vec<i64>,
}

pub(crate) fn search_sql(filter: &AuditFilter) -> SearchSql {
    let mut conditions = vec!["1 = 1".to_owned()];
    let mut texts: Vec<String> = Vec::new();
    let mut numbers: Vec<i64> = Vec::new();
    if let Some(actor) = &filter.actor {
        texts.push(actor.clone());
        conditions.push(format!("actor = ${}", texts.len()));
    }
    if let Some(subject) = &filter.subject {
        texts.push(subject.clone());
        conditions.push(format!("subject = ${}", texts.len()));
    }
    if let Some(prefix) = &filter.action_prefix {
        // Wildcards, and PostgreSQL's default LIKE escape, are taken out: the prefix is matched literally.
        texts.push(format!("{}%", prefix.replace(['%', '_', '\\'], "")));
        conditions.push(format!("action LIKE ${}", texts.len()));
    }
    let offset = texts.len();
    if let Some(since) = filter.since_ms {
        numbers.push(since);
        conditions.push(format!("at_ms >= ${}", offset + numbers.len()));
    }
    if let Some(until) = filter.until_ms {
        numbers.push(until);
        conditions.push(format!("at_ms < ${}", offset + numbers.len()));
    }
    SearchSql {
        sql: format!(
            "SELECT {ENTRY_COLUMNS} FROM audit_log WHERE {} ORDER BY seq DESC LIMIT {}",
            conditions.join(" AND "),
            filter.limit.clamp(1, 1000)
        ),
        texts,
        numbers,
    }
}

/// Appends `inputs` to the chain inside `tx` (SQLite; PostgreSQL's twin is `postgres::audit::chain`).
pub(crate) async fn chain(
    tx: &mut Transaction<'static, Sqlite>,
    keyring: Option<&OfficeKeyring>,
    inputs: &[AuditInput],
) -> Result<()> {
    if inputs.is_empty() {
        return Ok(());
    }
    let last = sqlx::query_as::<_, AuditRow>(SELECT_HEAD)
        .fetch_optional(&mut **tx)
        .await?
        .map(AuditRow::into_stored)
        .transpose()?;
    let entries = next_entries(last.as_ref().map(|stored| &stored.entry), keyring, inputs)?;
    for (entry, input) in entries.iter().zip(inputs) {
        insert_entry(entry, input).execute(&mut **tx).await?;
    }
    Ok(())
}

/// Why `sito audit verify` failed.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("{0}")]
    Chain(#[from] ChainViolation),
    #[error("checkpoint {index}: {detail}")]
    BadCheckpointLine { index: usize, detail: String },
    #[error("{}: line {line}: {detail}", path.display())]
    BadCheckpointFile {
        path: PathBuf,
        line: usize,
        detail: String,
    },
    #[error("{}: cannot read the checkpoints file: {source}", path.display())]
    CheckpointFileUnreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Verifies the whole stored chain and its checkpoints against the office's keys, and against checkpoints kept
/// outside the database when given (see [`read_checkpoint_file`]).
pub async fn verify_chain(
    store: &dyn crate::Store,
    keys: &ChainKeys<'_>,
    external_checkpoints: Option<&[Checkpoint]>,
) -> std::result::Result<ChainReport, VerifyError> {
    let entries: Vec<AuditEntry> = store.audit_chain().await?;
    let mut checkpoints = Vec::new();
    for (index, line) in store.audit_checkpoints().await?.iter().enumerate() {
        checkpoints.push(Checkpoint::parse_line(line).map_err(|error| {
            VerifyError::BadCheckpointLine {
                index: index + 1,
                detail: error.to_string(),
            }
        })?);
    }
    Ok(sito_crypto::audit::verify(
        &entries,
        &checkpoints,
        external_checkpoints,
        keys,
    )?)
}

/// Reads a checkpoints file as [`CheckpointFiles`] writes it; blank lines are skipped, anything else must be a
/// checkpoint line. Signatures are checked by the verification, not here.
pub fn read_checkpoint_file(path: &Path) -> std::result::Result<Vec<Checkpoint>, VerifyError> {
    let text =
        std::fs::read_to_string(path).map_err(|source| VerifyError::CheckpointFileUnreadable {
            path: path.to_owned(),
            source,
        })?;
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| {
            Checkpoint::parse_line(line).map_err(|error| VerifyError::BadCheckpointFile {
                path: path.to_owned(),
                line: index + 1,
                detail: error.to_string(),
            })
        })
        .collect()
}

/// Where signed checkpoints are copied outside the database: append-only files, each written and fsync'd
/// before [`checkpoint`] returns.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckpointFiles {
    paths: Vec<PathBuf>,
}

/// The checkpoints file's name in the data directory.
pub const CHECKPOINT_FILE: &str = "audit-checkpoints.log";

impl CheckpointFiles {
    /// No copies: only for tests and tools that do not own a data directory.
    pub fn none() -> Self {
        Self::default()
    }

    /// `DATA_DIR/audit-checkpoints.log`, and `copy` (e.g. on a remote mount) if given.
    pub fn beside(data_dir: &Path, copy: Option<&Path>) -> Self {
        let mut paths = vec![data_dir.join(CHECKPOINT_FILE)];
        paths.extend(copy.map(Path::to_owned));
        Self { paths }
    }

    pub fn paths(&self) -> &[PathBuf] {
        &self.paths
    }

    fn append(&self, line: &str) -> std::result::Result<(), CheckpointError> {
        for path in &self.paths {
            append_line(path, line).map_err(|source| CheckpointError::File {
                path: path.clone(),
                source,
            })?;
        }
        Ok(())
    }
}

fn append_line(path: &Path, line: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let created = !path.exists();
    let mut file = options.open(path)?;
    // One write of the whole line, so a crash leaves at most a partial last line, never a mixed one.
    file.write_all(format!("{line}\n").as_bytes())?;
    file.sync_data()?;
    if created
        && let Some(directory) = path
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
    {
        // The new file's name must survive a crash too.
        std::fs::File::open(directory)?.sync_all()?;
    }
    Ok(())
}

/// Why a checkpoint could not be written everywhere.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{}: cannot append the checkpoint: {source}", path.display())]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Signs the current head as a checkpoint, unless the latest checkpoint already covers it, and appends it to the
/// database and then to every file in `files` (so a file never holds a checkpoint the database lacks, unless
/// someone deleted it there). Returns the sequence signed, if any.
pub async fn checkpoint(
    store: &dyn crate::Store,
    key: &sito_crypto::OfficeSigningKey,
    now_ms: i64,
    files: &CheckpointFiles,
) -> std::result::Result<Option<u64>, CheckpointError> {
    let Some(head) = store.audit_head().await? else {
        return Ok(None);
    };
    let latest = store
        .audit_checkpoints()
        .await?
        .last()
        .and_then(|line| Checkpoint::parse_line(line).ok())
        .map(|checkpoint| checkpoint.sequence);
    if latest.is_some_and(|sequence| sequence >= head.sequence) {
        return Ok(None);
    }
    let signed = Checkpoint::sign(key, &head, now_ms);
    let line = signed.to_line();
    store.add_audit_checkpoint(signed.sequence, &line).await?;
    files.append(&line)?;
    Ok(Some(signed.sequence))
}
