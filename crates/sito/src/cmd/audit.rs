//! `sito audit`: checks the office's audit log (`verify`) and signs its head (`checkpoint`).
//!
//! `verify` needs only the office's public signing key, so an outside auditor can run it on a copy of the
//! database. It exits 0 when the chain is intact, 1 when it finds tampering (naming the first bad entry).
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Subcommand};
use sito_crypto::{OfficeKeyring, OfficeSigningKey, Passphrase, SigningPublicKey};
use sito_store::Store;
use sito_store::audit::{self, VerifyError};

use super::serve::{self, StoreArgs};
use crate::exit::bad_input;

#[derive(Args)]
pub struct AuditArgs {
    /// The data directory holding the office database.
    #[arg(long, value_name = "DIR", global = true, default_value = "sito-demo")]
    data: PathBuf,
    #[command(flatten)]
    store: StoreArgs,
    #[command(subcommand)]
    action: AuditAction,
}

#[derive(Subcommand)]
enum AuditAction {
    /// Verify the hash chain and every signed checkpoint; detects edited, deleted, inserted or reordered entries
    /// and a cut-off tail.
    Verify {
        /// The office's signing public key (default: DIR/keys/signing-key.pub).
        #[arg(long, value_name = "FILE")]
        public_key: Option<PathBuf>,
    },
    /// Sign the log's current head with the office key.
    Checkpoint {
        /// The office keyring (default: DIR/keys/office.keyring).
        #[arg(long, value_name = "FILE")]
        keyring: Option<PathBuf>,
        /// A file whose first line is the keyring's passphrase (else SITO_OFFICE_PASSPHRASE).
        #[arg(long, value_name = "FILE")]
        passphrase_file: Option<PathBuf>,
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
        AuditAction::Verify { public_key } => {
            let path = public_key.unwrap_or_else(|| args.data.join("keys/signing-key.pub"));
            let key = read_public_key(&path)?;
            serve::runtime()?.block_on(async {
                let store = serve::open_store(&url).await?;
                match audit::verify_chain(store.as_ref(), &key).await {
                    Ok(report) => {
                        println!(
                            "audit log intact: {} entries, latest signed checkpoint at {}, {} entries after it",
                            report.entries,
                            report.latest_checkpoint.map_or_else(|| "none".to_owned(), |sequence| sequence.to_string()),
                            report.unsigned_tail
                        );
                        Ok(())
                    }
                    Err(VerifyError::Store(error)) => Err(anyhow::Error::new(error).context("cannot read the audit log")),
                    Err(violation) => Err(anyhow::anyhow!("audit log verification FAILED: {violation}")),
                }
            })
        }
        AuditAction::Checkpoint {
            keyring,
            passphrase_file,
        } => {
            let path = keyring.unwrap_or_else(|| args.data.join("keys/office.keyring"));
            let keyring = unlock(&path, passphrase_file.as_deref())?;
            serve::runtime()?.block_on(async {
                let store = serve::open_store(&url).await?;
                match audit::checkpoint(
                    store.as_ref(),
                    keyring.signing_key(),
                    sito_office::now_ms(),
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

fn unlock(path: &Path, passphrase_file: Option<&Path>) -> anyhow::Result<OfficeKeyring> {
    let text = match passphrase_file {
        Some(file) => std::fs::read_to_string(file)
            .map_err(|error| {
                bad_input(format!(
                    "{}: cannot read the passphrase file: {error}",
                    file.display()
                ))
            })?
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned(),
        None => std::env::var("SITO_OFFICE_PASSPHRASE")
            .map_err(|_| bad_input("give --passphrase-file or set SITO_OFFICE_PASSPHRASE"))?,
    };
    let passphrase =
        Passphrase::new(text).map_err(|error| bad_input(format!("passphrase: {error}")))?;
    OfficeKeyring::load(path, &passphrase)
        .map_err(|error| bad_input(format!("{}: {error}", path.display())))
}

/// Signs the audit head every `every` seconds while the office runs, so a cut-off tail is caught within that
/// window. Used by `sito demo`, which holds the unlocked keyring.
pub async fn checkpoint_every(
    store: Arc<dyn Store>,
    keyring: Arc<OfficeKeyring>,
    every: std::time::Duration,
) {
    let mut ticks = tokio::time::interval(every);
    loop {
        ticks.tick().await;
        if let Err(error) = sign_now(store.as_ref(), keyring.signing_key()).await {
            tracing::error!(error = %format!("{error:#}"), "audit checkpoint failed");
        }
    }
}

async fn sign_now(store: &dyn Store, key: &OfficeSigningKey) -> anyhow::Result<()> {
    audit::checkpoint(store, key, sito_office::now_ms())
        .await
        .context("audit checkpoint")?;
    Ok(())
}
