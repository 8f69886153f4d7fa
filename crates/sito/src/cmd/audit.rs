//! `sito audit`: checks the office's audit log (`verify`) and signs its head (`checkpoint`).
//!
//! `verify` needs the office keyring, because entries are authenticated with a MAC under a subkey of it (the
//! database alone cannot tell a forged entry from a real one), and the checkpoints file kept outside the
//! database (default DIR/audit-checkpoints.log), which catches newest entries deleted together with the
//! checkpoints over them. It exits 0 when the log is intact, 1 when it finds tampering (naming the first bad
//! entry), 2 on bad input (unreadable keyring, key or checkpoints file).
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Subcommand};
use sito_crypto::audit::{AuditKey, ChainKeys, ChainReport};
use sito_crypto::{OfficeSigningKey, SigningPublicKey};
use sito_keyring::{DeriveAuditKey, OfficeKeyring};
use sito_store::Store;
use sito_store::audit::{self, CheckpointFiles, VerifyError};

use super::serve::{self, StoreArgs};
use crate::exit::bad_input;

/// How often a running office signs the audit head: a tail cut off within this window is the only one the
/// checkpoints cannot catch.
pub const CHECKPOINT_INTERVAL: std::time::Duration = std::time::Duration::from_secs(10);

#[derive(Args)]
pub struct AuditArgs {
    /// The data directory holding the office database.
    #[arg(long, value_name = "DIR", global = true, default_value = "sito-demo")]
    data: PathBuf,
    #[command(flatten)]
    store: StoreArgs,
    /// The office keyring (default: DIR/keys/office.keyring).
    #[arg(long, value_name = "FILE", global = true)]
    keyring: Option<PathBuf>,
    /// A file whose first line is the keyring's passphrase (else SITO_OFFICE_PASSPHRASE).
    #[arg(long, value_name = "FILE", global = true)]
    passphrase_file: Option<PathBuf>,
    #[command(subcommand)]
    action: AuditAction,
}

#[derive(Subcommand)]
enum AuditAction {
    /// Verify every entry's MAC, the chain's links and every signed checkpoint; detects edited, deleted,
    /// inserted, reordered and forged entries and a cut-off tail.
    Verify {
        /// Pin the office's signing public key: refuse a keyring whose key differs.
        #[arg(long, value_name = "FILE")]
        public_key: Option<PathBuf>,
        /// Checkpoints kept outside the database (default: DIR/audit-checkpoints.log, if present).
        #[arg(long, value_name = "FILE")]
        checkpoints: Option<PathBuf>,
    },
    /// Sign the log's current head with the office key (into the database and the checkpoints file).
    Checkpoint {
        /// Also append the checkpoint to this file (e.g. on a remote mount).
        #[arg(long, value_name = "PATH")]
        checkpoint_copy: Option<PathBuf>,
    },
}

pub fn run(args: AuditArgs) -> anyhow::Result<()> {
    if args.store.database.is_none() && !args.data.join("office.db").is_file() {
        return Err(bad_input(format!(
            "{}: no office database here (office.db)",
            args.data.display()
        )));
    }
    let url = serve::database_url(&args.data, &args.store);
    match args.action {
        AuditAction::Verify {
            public_key,
            checkpoints,
        } => {
            let pinned = public_key.as_deref().map(read_public_key).transpose()?;
            let keyring = unlock(
                &args.data,
                args.keyring.as_deref(),
                args.passphrase_file.as_deref(),
            )?;
            let signing = keyring.signing_key().public_key();
            if pinned.is_some_and(|pinned| pinned != signing) {
                return Err(bad_input(
                    "the keyring's signing key is not the pinned --public-key",
                ));
            }
            let default_file = args.data.join(audit::CHECKPOINT_FILE);
            let file = checkpoints.or_else(|| default_file.is_file().then_some(default_file));
            let external = file
                .as_deref()
                .map(audit::read_checkpoint_file)
                .transpose()
                .map_err(|error| bad_input(error.to_string()))?;
            let audit_key = AuditKey::derive(&keyring);
            let keys = ChainKeys {
                signing: &signing,
                audit: &audit_key,
            };
            serve::runtime()?.block_on(async {
                let store = serve::open_store(&url).await?;
                match audit::verify_chain(store.as_ref(), &keys, external.as_deref()).await {
                    Ok(report) => {
                        println!("{}", describe(&report, file.as_deref()));
                        Ok(())
                    }
                    Err(VerifyError::Store(error)) => {
                        Err(anyhow::Error::new(error).context("cannot read the audit log"))
                    }
                    Err(violation) => Err(anyhow::anyhow!(
                        "audit log verification FAILED: {violation}"
                    )),
                }
            })
        }
        AuditAction::Checkpoint { checkpoint_copy } => {
            let keyring = unlock(
                &args.data,
                args.keyring.as_deref(),
                args.passphrase_file.as_deref(),
            )?;
            let files = CheckpointFiles::beside(&args.data, checkpoint_copy.as_deref());
            serve::runtime()?.block_on(async {
                let store = serve::open_store(&url).await?;
                match audit::checkpoint(
                    store.as_ref(),
                    keyring.signing_key(),
                    sito_office::now_ms(),
                    &files,
                )
                .await?
                {
                    Some(sequence) => println!("signed checkpoint at entry {sequence}"),
                    None => println!("nothing new to sign"),
                }
                Ok(())
            })
        }
    }
}

fn describe(report: &ChainReport, file: Option<&Path>) -> String {
    let last = report.head.next_sequence.saturating_sub(1);
    let keying = match report.unkeyed_prefix {
        0 => "all keyed".to_owned(),
        prefix if prefix == last => {
            "none keyed yet (plain SHA-256: open the office with its keyring)".to_owned()
        }
        prefix => format!(
            "entries 1-{prefix} unkeyed (written before the log was keyed), keyed from {}",
            prefix + 1
        ),
    };
    let outside = match (file, report.external_checkpoints) {
        (Some(path), Some(count)) => {
            format!("{count} checkpoints in {} match", path.display())
        }
        _ => "no checkpoints file: newest entries deleted together with their checkpoints would go unnoticed"
            .to_owned(),
    };
    format!(
        "audit log intact: {} entries, {keying}; latest signed checkpoint at {}, {} entries after it; {outside}",
        report.entries,
        report
            .latest_checkpoint
            .map_or_else(|| "none".to_owned(), |sequence| sequence.to_string()),
        report.unsigned_tail
    )
}

fn read_public_key(path: &Path) -> anyhow::Result<SigningPublicKey> {
    let text = std::fs::read_to_string(path).map_err(|error| {
        bad_input(format!(
            "{}: cannot read the signing public key: {error}",
            path.display()
        ))
    })?;
    SigningPublicKey::parse(text.trim()).map_err(|error| {
        bad_input(format!(
            "{}: not a signing public key: {error}",
            path.display()
        ))
    })
}

/// Unlocks the keyring as `sito office` does: a demo directory's passphrase file is used when nothing else is
/// given.
fn unlock(
    data: &Path,
    keyring: Option<&Path>,
    passphrase_file: Option<&Path>,
) -> anyhow::Result<OfficeKeyring> {
    let path = keyring.map_or_else(|| data.join("keys/office.keyring"), Path::to_owned);
    let demo_passphrase = data.join(super::demo::DEMO_PASSPHRASE_FILE);
    let passphrase_file = passphrase_file.map(Path::to_owned).or_else(|| {
        (std::env::var_os("SITO_OFFICE_PASSPHRASE").is_none() && demo_passphrase.is_file())
            .then_some(demo_passphrase)
    });
    let passphrase = super::intake::office_passphrase(passphrase_file.as_deref())?;
    super::intake::unlock_keyring(&path, &passphrase)
}

/// Starts signing the audit head every [`CHECKPOINT_INTERVAL`] while the office runs, into the database and
/// DIR/audit-checkpoints.log (and `copy`). Used by `sito demo` and `sito office`, which hold the unlocked
/// keyring.
pub fn spawn_checkpoints(
    store: Arc<dyn Store>,
    keyring: Arc<OfficeKeyring>,
    data: &Path,
    copy: Option<&Path>,
) {
    let files = CheckpointFiles::beside(data, copy);
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(CHECKPOINT_INTERVAL);
        loop {
            ticks.tick().await;
            if let Err(error) = sign_now(store.as_ref(), keyring.signing_key(), &files).await {
                tracing::error!(error = %format!("{error:#}"), "audit checkpoint failed");
            }
        }
    });
}

async fn sign_now(
    store: &dyn Store,
    key: &OfficeSigningKey,
    files: &CheckpointFiles,
) -> anyhow::Result<()> {
    audit::checkpoint(store, key, sito_office::now_ms(), files)
        .await
        .context("audit checkpoint")?;
    Ok(())
}
