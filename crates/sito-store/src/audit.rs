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
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, Sqlite, Transaction};

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

/// Appends `inputs` to the chain inside `tx`, keyed when the store holds the keyring.
pub(crate) async fn chain(
    tx: &mut Transaction<'static, Sqlite>,
    keyring: Option<&OfficeKeyring>,
    inputs: &[AuditInput],
) -> Result<()> {
    if inputs.is_empty() {
        return Ok(());
    }
    let last = sqlx::query(
        "SELECT seq, at_ms, actor, action, subject, detail, previous_hash, hash FROM audit_log \
         ORDER BY seq DESC LIMIT 1",
    )
    .fetch_optional(&mut **tx)
    .await?
    .map(|row| entry_from_row(&row))
    .transpose()?;
    let key = keyring.map(AuditKey::derive);
    if key.is_none()
        && last
            .as_ref()
            .is_some_and(|stored| !stored.entry.is_unkeyed())
    {
        return Err(StoreError::AuditKeyRequired);
    }
    let mut head = last
        .as_ref()
        .map_or_else(ChainHead::empty, |stored| ChainHead::after(&stored.entry));
    for input in inputs {
        let record = AuditRecord::new(
            input.at_ms,
            input.actor.as_str(),
            input.action.as_str(),
            input.subject.as_str(),
            input.detail.as_bytes(),
        );
        let entry = match &key {
            Some(key) => head.append(record, key),
            None => head.append_unkeyed(record),
        };
        sqlx::query(
            "INSERT INTO audit_log (seq, at_ms, actor, action, subject, detail, previous_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(entry.sequence as i64)
        .bind(input.at_ms)
        .bind(&input.actor)
        .bind(&input.action)
        .bind(&input.subject)
        .bind(&input.detail)
        .bind(entry.previous_hash.to_string())
        .bind(entry.hash.to_string())
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Rebuilds an entry from its row. The detail hash is recomputed from the stored detail, so an edited detail
/// shows up as an entry that no longer hashes to its stored hash.
pub(crate) fn entry_from_row(row: &SqliteRow) -> Result<StoredAudit> {
    let hash = |name: &str| -> Result<ChainHash> {
        let text: &str = row.try_get(name)?;
        ChainHash::parse(text).ok_or_else(|| StoreError::Corrupt(format!("audit {name}")))
    };
    let detail: String = row.try_get("detail")?;
    let record = AuditRecord::new(
        row.try_get("at_ms")?,
        row.try_get::<String, _>("actor")?,
        row.try_get::<String, _>("action")?,
        row.try_get::<String, _>("subject")?,
        detail.as_bytes(),
    );
    Ok(StoredAudit {
        entry: AuditEntry {
            sequence: row.try_get::<i64, _>("seq")? as u64,
            record,
            previous_hash: hash("previous_hash")?,
            hash: hash("hash")?,
        },
        detail,
    })
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
