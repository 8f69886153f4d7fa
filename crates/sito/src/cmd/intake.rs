//! `sito intake`: the applicants' site alone, on its own data directory (contracts/intake-api.md).
//!
//! Files under `DIR` (created on first start):
//! - `keys/recipients.txt`: the office's public recipients (from `sito keys export-public`); required;
//! - `keys/addresses.signed`: the signed statement of the intake's addresses, shown to applicants if present;
//! - `intake-pepper`: the codename lookup pepper (0600);
//! - `intake-codename-kdf`: the argon2id parameters of codename lookup keys, fixed when the intake is created
//!   (a lookup key must be computed the same way for as long as its account lives);
//! - `pull-secret`: the secret the office presents to pull (0600; give it to `sito office --pull-secret-file`);
//! - `intake.db`: the sealed submissions (or `--database`).
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use sito_crypto::{CodenameLookup, KdfParams, OfficeRecipients, Passphrase, Pepper};
use sito_intake::{IntakeConfig, IntakeState, Limits};
use sito_keyring::OfficeKeyring;
use zeroize::Zeroizing;

use super::serve;
use crate::exit::bad_input;

pub const RECIPIENTS_FILE: &str = "keys/recipients.txt";
pub const STATEMENT_FILE: &str = "keys/addresses.signed";
pub const PEPPER_FILE: &str = "intake-pepper";
pub const PULL_SECRET_FILE: &str = "pull-secret";
pub const CODENAME_KDF_FILE: &str = "intake-codename-kdf";
const PASSPHRASE_ENV: &str = "SITO_OFFICE_PASSPHRASE";

#[derive(Args)]
pub struct IntakeArgs {
    /// The intake's data directory.
    #[arg(long, value_name = "DIR")]
    data: PathBuf,
    /// Address of the applicants' site.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8080")]
    listen: String,
    /// Database URL: sqlite://PATH or postgres://… (default: sqlite://DIR/intake.db).
    #[arg(long, value_name = "URL")]
    database: Option<String>,
    /// Sustained new submissions per second accepted from everyone together (the flood defence).
    #[arg(long, value_name = "N", default_value_t = Limits::default().submissions_per_second)]
    submissions_per_second: u32,
}

pub fn run(args: IntakeArgs) -> anyhow::Result<()> {
    create_private_dir(&args.data)?;
    let url = args
        .database
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", args.data.join("intake.db").display()));
    let limits = Limits {
        submissions_per_second: args.submissions_per_second,
        submission_burst: args.submissions_per_second.saturating_mul(2),
        ..Limits::default()
    };
    let config = intake_config(&args.data, limits)?;
    serve::runtime()?.block_on(async {
        let state = open_intake(&url, config).await?;
        let listener = bind(&args.listen).await?;
        eprintln!(
            "listening on http://{} (intake)",
            listener.local_addr().context("listener address")?
        );
        serve_intake(listener, state).await;
        Ok(())
    })
}

/// Reads what the intake needs from `data`: public recipients, pepper, pull secret, address statement.
pub fn intake_config(data: &Path, limits: Limits) -> anyhow::Result<IntakeConfig> {
    let recipients_path = data.join(RECIPIENTS_FILE);
    if !recipients_path.is_file() {
        return Err(bad_input(format!(
            "{}: no office recipients; run `sito keys export-public` at the office and copy recipients.txt here",
            recipients_path.display()
        )));
    }
    let recipients = OfficeRecipients::load(&recipients_path)
        .map_err(|error| bad_input(format!("{}: {error}", recipients_path.display())))?;
    let pepper_path = data.join(PEPPER_FILE);
    let existing_intake = pepper_path.is_file();
    let pepper =
        Pepper::load_or_generate(&pepper_path).map_err(|error| bad_input(error.to_string()))?;
    let codename_kdf = codename_kdf(data, existing_intake)?;
    let lookup = CodenameLookup::new(pepper, codename_kdf).context("codename lookup")?;
    let address_statement = std::fs::read_to_string(data.join(STATEMENT_FILE)).ok();
    Ok(IntakeConfig {
        recipients,
        lookup,
        reply_params: codename_kdf,
        pull_secret: load_or_create_secret(&data.join(PULL_SECRET_FILE))?,
        limits,
        address_statement,
    })
}

/// The argon2id parameters of this intake's codename lookup keys (and of new reply keys), read from
/// `intake-codename-kdf`. A new intake records `KdfParams::RANDOM_SECRET`; an intake that existed before the file did
/// keyed its accounts with `KdfParams::INTERACTIVE` and records that, so its applicants' codenames keep working.
fn codename_kdf(data: &Path, existing_intake: bool) -> anyhow::Result<KdfParams> {
    let path = data.join(CODENAME_KDF_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => KdfParams::parse_line(&text)
            .map_err(|error| bad_input(format!("{}: {error}", path.display()))),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let params = if existing_intake {
                KdfParams::INTERACTIVE
            } else {
                KdfParams::RANDOM_SECRET
            };
            std::fs::write(&path, format!("{}\n", params.to_line()))
                .with_context(|| format!("writing {}", path.display()))?;
            Ok(params)
        }
        Err(error) => Err(anyhow::Error::new(error).context(format!("reading {}", path.display()))),
    }
}

pub async fn open_intake(url: &str, config: IntakeConfig) -> anyhow::Result<IntakeState> {
    let store = match sito_intake::store::open(url).await {
        Ok(store) => store,
        Err(error @ sito_intake::store::StoreError::UnsupportedUrl(_)) => {
            return Err(bad_input(format!("for the intake: {error}")));
        }
        Err(error) => {
            return Err(anyhow::Error::new(error).context("cannot open the intake database"));
        }
    };
    IntakeState::new(Arc::from(store), config).map_err(|error| anyhow::anyhow!("{error}"))
}

pub async fn bind(listen: &str) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|error| bad_input(format!("cannot listen on {listen}: {error}")))
}

pub async fn serve_intake(listener: tokio::net::TcpListener, state: IntakeState) {
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    sito_office::serve(listener, sito_intake::intake_router(state), shutdown).await;
}

/// A random 256-bit secret, hex, kept in a 0600 file; created once.
pub fn load_or_create_secret(path: &Path) -> anyhow::Result<Zeroizing<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let secret = Zeroizing::new(text.trim().to_owned());
            if secret.len() < 32 {
                return Err(bad_input(format!(
                    "{}: the pull secret is shorter than 32 characters",
                    path.display()
                )));
            }
            Ok(secret)
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let mut bytes = Zeroizing::new([0u8; 32]);
            getrandom::fill(bytes.as_mut())
                .map_err(|_| anyhow::anyhow!("the system has no randomness"))?;
            let secret = Zeroizing::new(
                bytes
                    .iter()
                    .map(|byte| format!("{byte:02x}"))
                    .collect::<String>(),
            );
            sito_crypto::write_private_file(
                path,
                format!("{}\n", secret.as_str()).as_bytes(),
                false,
            )
            .map_err(|error| anyhow::anyhow!("{}: {error}", path.display()))?;
            load_or_create_secret(path)
        }
        Err(error) => Err(bad_input(format!(
            "{}: cannot read the pull secret: {error}",
            path.display()
        ))),
    }
}

/// The keyring passphrase from `--passphrase-file`, else `SITO_OFFICE_PASSPHRASE`, else a prompt.
pub fn office_passphrase(file: Option<&Path>) -> anyhow::Result<Passphrase> {
    let empty = |source: &str| bad_input(format!("the passphrase from {source} is empty"));
    if let Some(path) = file {
        let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|error| {
            bad_input(format!(
                "{}: cannot read the passphrase file: {error}",
                path.display()
            ))
        })?);
        return Passphrase::new(text.lines().next().unwrap_or(""))
            .map_err(|_| empty(&path.display().to_string()));
    }
    if let Ok(text) = std::env::var(PASSPHRASE_ENV) {
        return Passphrase::new(text).map_err(|_| empty(PASSPHRASE_ENV));
    }
    if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        return Err(bad_input(format!(
            "no passphrase: give --passphrase-file, set {PASSPHRASE_ENV}, or run in a terminal to be asked"
        )));
    }
    let typed = Zeroizing::new(rpassword::prompt_password("Office keyring passphrase: ")?);
    Passphrase::new(typed.as_str()).map_err(|_| empty("the prompt"))
}

pub fn unlock_keyring(path: &Path, passphrase: &Passphrase) -> anyhow::Result<OfficeKeyring> {
    OfficeKeyring::load(path, passphrase)
        .map_err(|error| bad_input(format!("{}: {error}", path.display())))
}

fn create_private_dir(path: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(path).map_err(|error| {
        bad_input(format!(
            "{}: cannot create the data directory: {error}",
            path.display()
        ))
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("{}: cannot restrict permissions", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_intake_records_the_random_secret_cost_and_an_old_one_keeps_its_own() {
        let new = tempfile::tempdir().unwrap();
        assert_eq!(
            codename_kdf(new.path(), false).unwrap(),
            KdfParams::RANDOM_SECRET
        );
        // Read back from the file from then on, whatever the caller guesses.
        assert_eq!(
            codename_kdf(new.path(), true).unwrap(),
            KdfParams::RANDOM_SECRET
        );

        let old = tempfile::tempdir().unwrap();
        assert_eq!(
            codename_kdf(old.path(), true).unwrap(),
            KdfParams::INTERACTIVE
        );
        assert_eq!(
            std::fs::read_to_string(old.path().join(CODENAME_KDF_FILE)).unwrap(),
            format!("{}\n", KdfParams::INTERACTIVE.to_line())
        );

        std::fs::write(old.path().join(CODENAME_KDF_FILE), "argon2id m=1 t=1 p=1\n").unwrap();
        let refused = codename_kdf(old.path(), true).unwrap_err();
        assert!(
            refused.to_string().contains(CODENAME_KDF_FILE),
            "the error names the file: {refused}"
        );
        assert!(refused.downcast_ref::<crate::exit::BadInput>().is_some());
    }
}
