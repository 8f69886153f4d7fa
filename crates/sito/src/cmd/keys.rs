//! `sito keys`: the office keyring on disk. Generate it, rotate the sealing key, export what the intake needs
//! (public recipients and the signing public key), and sign or verify the statement of the intake's addresses.
//!
//! Files, all under `DATA/keys/` (docs/crypto.md describes the formats):
//! - `office.keyring`: the passphrase-encrypted keyring (mode 0600);
//! - `recipients.txt`: the public recipients every submission is sealed to (give this to the intake);
//! - `signing-key.pub` and `signing-key.pem`: the Ed25519 public key, in base64 and as PEM for OpenSSL.
//!
//! The passphrase comes from `--passphrase-file`, else `SITO_OFFICE_PASSPHRASE`, else a prompt without echo when
//! standard input is a terminal. It is never printed or logged.
use std::fs;
use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;
use clap::{Args, Subcommand};
use sito_crypto::{
    AddressStatement, CryptoError, KdfParams, Passphrase, Recipient, SigningPublicKey,
};
use sito_keyring::OfficeKeyring;

use crate::exit::bad_input;

const KEYRING_FILE: &str = "office.keyring";
const RECIPIENTS_FILE: &str = "recipients.txt";
const SIGNING_PUB_FILE: &str = "signing-key.pub";
const SIGNING_PEM_FILE: &str = "signing-key.pem";
const PASSPHRASE_ENV: &str = "SITO_OFFICE_PASSPHRASE";
/// Shorter passphrases are refused when a keyring is created: the keyring guards every applicant's identity.
const MIN_PASSPHRASE_CHARS: usize = 12;

#[derive(Args)]
pub struct KeysArgs {
    #[command(subcommand)]
    command: KeysCommand,
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Create a new office keyring (refuses to replace an existing one).
    Generate(GenerateArgs),
    /// Make a new current sealing identity; old identities stay to open what was sealed to them.
    Rotate(KeyringArgs),
    /// Write and print the public recipients and the signing public key.
    ExportPublic(KeyringArgs),
    /// Sign the list of addresses where the intake can be reached.
    SignAddresses(SignAddressesArgs),
    /// Check a signed address statement against the office's signing public key.
    VerifyAddresses(VerifyAddressesArgs),
}

#[derive(Args)]
struct KeyringArgs {
    /// Data directory; keys live in DATA/keys/.
    #[arg(long = "data", value_name = "DIR", default_value = "sito-data")]
    data: PathBuf,
    /// Read the keyring passphrase from the first line of this file.
    #[arg(long, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,
}

#[derive(Args)]
struct GenerateArgs {
    #[command(flatten)]
    keyring: KeyringArgs,
    /// Also seal every submission to this age recipient, whose identity is kept offline (repeatable).
    #[arg(long, value_name = "AGE_RECIPIENT")]
    backup_recipient: Vec<String>,
}

#[derive(Args)]
struct SignAddressesArgs {
    #[command(flatten)]
    keyring: KeyringArgs,
    /// An address of the intake, e.g. an onion URL (repeatable).
    #[arg(long, value_name = "URL")]
    address: Vec<String>,
    /// A file of addresses, one per line; blank lines and lines starting with # are skipped.
    #[arg(long, value_name = "FILE")]
    addresses_file: Option<PathBuf>,
    /// Write the signed statement here instead of standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

#[derive(Args)]
struct VerifyAddressesArgs {
    /// The signed statement (`-` for standard input).
    #[arg(long, value_name = "FILE")]
    statement: PathBuf,
    /// The trusted signing public key (base64 or PEM); by default DATA/keys/signing-key.pub.
    #[arg(long, value_name = "FILE")]
    public_key: Option<PathBuf>,
    /// Data directory, for the default public key.
    #[arg(long = "data", value_name = "DIR", default_value = "sito-data")]
    data: PathBuf,
}

/// What the command reads from its surroundings, gathered in one place so tests can supply it.
struct Surroundings {
    passphrase_from_env: Option<String>,
    interactive: bool,
    now_unix: i64,
}

pub fn run(args: KeysArgs) -> anyhow::Result<()> {
    let surroundings = Surroundings {
        passphrase_from_env: std::env::var(PASSPHRASE_ENV).ok(),
        interactive: io::stdin().is_terminal(),
        now_unix: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0),
    };
    let stdout = io::stdout();
    let mut out = stdout.lock();
    run_with(args, &surroundings, &mut out)
}

fn run_with(
    args: KeysArgs,
    surroundings: &Surroundings,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    match args.command {
        KeysCommand::Generate(args) => generate(args, surroundings, out),
        KeysCommand::Rotate(args) => rotate(args, surroundings, out),
        KeysCommand::ExportPublic(args) => export_public(args, surroundings, out),
        KeysCommand::SignAddresses(args) => sign_addresses(args, surroundings, out),
        KeysCommand::VerifyAddresses(args) => verify_addresses(args, out),
    }
}

fn keys_dir(data: &Path) -> PathBuf {
    data.join("keys")
}

/// Keeps the crate's distinction: mistakes the user can fix exit 2, faults of the machine exit 1.
fn crypto_error(error: CryptoError) -> anyhow::Error {
    if error.is_bad_input() {
        bad_input(error.to_string())
    } else {
        anyhow::Error::new(error)
    }
}

fn generate(
    args: GenerateArgs,
    surroundings: &Surroundings,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let dir = keys_dir(&args.keyring.data);
    let path = dir.join(KEYRING_FILE);
    if path.exists() {
        return Err(crypto_error(CryptoError::KeyringExists { path }));
    }
    let backups = args
        .backup_recipient
        .iter()
        .enumerate()
        .map(|(index, text)| {
            text.parse::<Recipient>().map_err(|_| {
                bad_input(format!(
                    "--backup-recipient number {}: not an age X25519 recipient (age1…)",
                    index + 1
                ))
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let passphrase = read_passphrase(args.keyring.passphrase_file.as_deref(), surroundings, true)?;
    if passphrase.char_count() < MIN_PASSPHRASE_CHARS {
        return Err(bad_input(format!(
            "the passphrase has {} characters; a new keyring needs at least {MIN_PASSPHRASE_CHARS}",
            passphrase.char_count()
        )));
    }
    create_private_dir(&dir)?;
    let mut keyring = OfficeKeyring::generate(surroundings.now_unix);
    for recipient in backups {
        keyring.add_backup_recipient(recipient);
    }
    keyring
        .save_new(&path, &passphrase, KdfParams::KEYRING)
        .map_err(crypto_error)?;
    write_public_files(&dir, &keyring)?;
    writeln!(out, "created {}", path.display())?;
    print_public(&dir, &keyring, out)
}

fn rotate(
    args: KeyringArgs,
    surroundings: &Surroundings,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let dir = keys_dir(&args.data);
    let path = dir.join(KEYRING_FILE);
    let passphrase = read_passphrase(args.passphrase_file.as_deref(), surroundings, false)?;
    let mut keyring = OfficeKeyring::load(&path, &passphrase).map_err(crypto_error)?;
    keyring.rotate(surroundings.now_unix);
    keyring
        .save_replace(&path, &passphrase, KdfParams::KEYRING)
        .map_err(crypto_error)?;
    write_public_files(&dir, &keyring)?;
    let identities = keyring.identities().count();
    writeln!(
        out,
        "rotated {}: {identities} identities, the newest is current",
        path.display()
    )?;
    writeln!(
        out,
        "give the new {} to every intake",
        dir.join(RECIPIENTS_FILE).display()
    )?;
    print_public(&dir, &keyring, out)
}

fn export_public(
    args: KeyringArgs,
    surroundings: &Surroundings,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let dir = keys_dir(&args.data);
    let passphrase = read_passphrase(args.passphrase_file.as_deref(), surroundings, false)?;
    let keyring =
        OfficeKeyring::load(&dir.join(KEYRING_FILE), &passphrase).map_err(crypto_error)?;
    write_public_files(&dir, &keyring)?;
    print_public(&dir, &keyring, out)
}

fn sign_addresses(
    args: SignAddressesArgs,
    surroundings: &Surroundings,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let mut addresses = args.address.clone();
    if let Some(file) = &args.addresses_file {
        let text = fs::read_to_string(file).map_err(|error| {
            bad_input(format!(
                "{}: cannot read the addresses: {error}",
                file.display()
            ))
        })?;
        addresses.extend(
            text.lines()
                .map(str::trim)
                .filter(|line| !line.is_empty() && !line.starts_with('#'))
                .map(str::to_owned),
        );
    }
    if addresses.is_empty() {
        return Err(bad_input(
            "no address to sign: give --address or --addresses-file",
        ));
    }
    let statement =
        AddressStatement::new(surroundings.now_unix, addresses).map_err(crypto_error)?;
    let dir = keys_dir(&args.keyring.data);
    let passphrase = read_passphrase(args.keyring.passphrase_file.as_deref(), surroundings, false)?;
    let keyring =
        OfficeKeyring::load(&dir.join(KEYRING_FILE), &passphrase).map_err(crypto_error)?;
    let block = statement.sign(keyring.signing_key());
    match &args.out {
        Some(path) => {
            fs::write(path, &block).with_context(|| format!("writing {}", path.display()))?;
            writeln!(
                out,
                "signed {} addresses into {}",
                statement.addresses.len(),
                path.display()
            )?;
        }
        None => out.write_all(block.as_bytes())?,
    }
    Ok(())
}

fn verify_addresses(args: VerifyAddressesArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let key_path = args
        .public_key
        .clone()
        .unwrap_or_else(|| keys_dir(&args.data).join(SIGNING_PUB_FILE));
    let key_text = fs::read_to_string(&key_path).map_err(|error| {
        bad_input(format!(
            "{}: cannot read the signing public key: {error}",
            key_path.display()
        ))
    })?;
    let trusted = SigningPublicKey::parse(&key_text)
        .map_err(|error| bad_input(format!("{}: {error}", key_path.display())))?;
    let text = if args.statement.as_os_str() == "-" {
        let mut text = String::new();
        io::stdin()
            .read_to_string(&mut text)
            .context("reading the statement from standard input")?;
        text
    } else {
        fs::read_to_string(&args.statement).map_err(|error| {
            bad_input(format!(
                "{}: cannot read the statement: {error}",
                args.statement.display()
            ))
        })?
    };
    let verified = AddressStatement::verify(&text, &trusted)
        .map_err(|error| bad_input(format!("{}: {error}", args.statement.display())))?;
    writeln!(
        out,
        "valid: signed at {} by {}",
        sito_crypto::signing::format_rfc3339(verified.statement.signed_at_unix),
        verified.signer
    )?;
    for address in &verified.statement.addresses {
        writeln!(out, "address: {address}")?;
    }
    Ok(())
}

fn write_public_files(dir: &Path, keyring: &OfficeKeyring) -> anyhow::Result<()> {
    let public = keyring.signing_key().public_key();
    let files = [
        (RECIPIENTS_FILE, keyring.current_recipients().to_text()),
        (SIGNING_PUB_FILE, format!("{public}\n")),
        (SIGNING_PEM_FILE, public.to_pem()),
    ];
    for (name, contents) in files {
        let path = dir.join(name);
        sito_crypto::write_private_file(&path, contents.as_bytes(), true)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

fn print_public(dir: &Path, keyring: &OfficeKeyring, out: &mut dyn Write) -> anyhow::Result<()> {
    writeln!(out, "recipients ({}):", dir.join(RECIPIENTS_FILE).display())?;
    for recipient in keyring.current_recipients().recipients() {
        writeln!(out, "  {recipient}")?;
    }
    writeln!(
        out,
        "signing public key ({}): {}",
        dir.join(SIGNING_PUB_FILE).display(),
        keyring.signing_key().public_key()
    )?;
    Ok(())
}

fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .with_context(|| format!("creating {}", dir.display()))
}

fn read_passphrase(
    file: Option<&Path>,
    surroundings: &Surroundings,
    confirm: bool,
) -> anyhow::Result<Passphrase> {
    let empty = |source: &str| bad_input(format!("the passphrase from {source} is empty"));
    if let Some(path) = file {
        let text = zeroize::Zeroizing::new(fs::read_to_string(path).map_err(|error| {
            bad_input(format!(
                "{}: cannot read the passphrase file: {error}",
                path.display()
            ))
        })?);
        let first_line = text.lines().next().unwrap_or("");
        return Passphrase::new(first_line).map_err(|_| empty(&path.display().to_string()));
    }
    if let Some(text) = &surroundings.passphrase_from_env {
        return Passphrase::new(text.as_str()).map_err(|_| empty(PASSPHRASE_ENV));
    }
    if !surroundings.interactive {
        return Err(bad_input(format!(
            "no passphrase: give --passphrase-file, set {PASSPHRASE_ENV}, or run in a terminal to be asked"
        )));
    }
    let typed = zeroize::Zeroizing::new(rpassword::prompt_password("Office keyring passphrase: ")?);
    if confirm {
        let again = zeroize::Zeroizing::new(rpassword::prompt_password("Repeat the passphrase: ")?);
        if *typed != *again {
            return Err(bad_input("the two passphrases differ"));
        }
    }
    Passphrase::new(typed.as_str()).map_err(|_| empty("the prompt"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct TestCli {
        #[command(flatten)]
        keys: KeysArgs,
    }

    struct Workspace {
        root: tempfile::TempDir,
    }

    impl Workspace {
        fn new() -> Self {
            let root = tempfile::tempdir().unwrap();
            fs::write(root.path().join("pass"), "a long office passphrase\n").unwrap();
            fs::write(root.path().join("wrong"), "not the office passphrase\n").unwrap();
            Self { root }
        }
        fn path(&self, name: &str) -> String {
            self.root.path().join(name).display().to_string()
        }
        fn run(&self, words: &[&str]) -> (anyhow::Result<()>, String) {
            let mut argv = vec!["keys"];
            argv.extend_from_slice(words);
            let cli = TestCli::try_parse_from(argv).unwrap();
            let surroundings = Surroundings {
                passphrase_from_env: None,
                interactive: false,
                now_unix: 1_795_408_625,
            };
            let mut out = Vec::new();
            let result = run_with(cli.keys, &surroundings, &mut out);
            (result, String::from_utf8(out).unwrap())
        }
    }

    fn is_bad_input(result: &anyhow::Result<()>) -> bool {
        matches!(result, Err(error) if error.chain().any(|cause| cause.is::<crate::exit::BadInput>()))
    }

    #[test]
    fn full_key_lifecycle() {
        let ws = Workspace::new();
        let data = ws.path("data");
        let pass = ws.path("pass");
        let (result, output) = ws.run(&["generate", "--data", &data, "--passphrase-file", &pass]);
        result.unwrap();
        assert!(output.contains("age1"));
        assert!(!output.contains("AGE-SECRET-KEY"));
        let recipients_before =
            fs::read_to_string(ws.root.path().join("data/keys/recipients.txt")).unwrap();

        let (again, _) = ws.run(&["generate", "--data", &data, "--passphrase-file", &pass]);
        assert!(
            is_bad_input(&again),
            "an existing keyring is never overwritten"
        );

        let (wrong, _) = ws.run(&[
            "rotate",
            "--data",
            &data,
            "--passphrase-file",
            &ws.path("wrong"),
        ]);
        assert!(is_bad_input(&wrong));
        assert!(format!("{:#}", wrong.unwrap_err()).contains("wrong passphrase"));

        ws.run(&["rotate", "--data", &data, "--passphrase-file", &pass])
            .0
            .unwrap();
        let recipients_after =
            fs::read_to_string(ws.root.path().join("data/keys/recipients.txt")).unwrap();
        assert_ne!(recipients_before, recipients_after);

        let (exported, output) =
            ws.run(&["export-public", "--data", &data, "--passphrase-file", &pass]);
        exported.unwrap();
        assert!(output.contains(recipients_after.lines().nth(1).unwrap()));

        let statement = ws.path("addresses.txt");
        ws.run(&[
            "sign-addresses",
            "--data",
            &data,
            "--passphrase-file",
            &pass,
            "--address",
            "http://example.onion/",
            "--address",
            "https://example.org/",
            "--out",
            &statement,
        ])
        .0
        .unwrap();
        let (verified, output) = ws.run(&[
            "verify-addresses",
            "--data",
            &data,
            "--statement",
            &statement,
        ]);
        verified.unwrap();
        assert!(output.contains("address: http://example.onion/"));

        let text = fs::read_to_string(&statement).unwrap();
        fs::write(&statement, text.replace("example.org", "example.net")).unwrap();
        let (forged, _) = ws.run(&[
            "verify-addresses",
            "--data",
            &data,
            "--statement",
            &statement,
        ]);
        assert!(is_bad_input(&forged));
    }

    #[test]
    fn missing_keyring_and_missing_passphrase_are_bad_input() {
        let ws = Workspace::new();
        let data = ws.path("nothing-here");
        let (missing, _) = ws.run(&[
            "rotate",
            "--data",
            &data,
            "--passphrase-file",
            &ws.path("pass"),
        ]);
        assert!(is_bad_input(&missing));
        assert!(format!("{:#}", missing.unwrap_err()).contains("no keyring"));
        let (no_passphrase, _) = ws.run(&["export-public", "--data", &data]);
        assert!(is_bad_input(&no_passphrase));
        fs::write(ws.root.path().join("short"), "short\n").unwrap();
        let (short, _) = ws.run(&[
            "generate",
            "--data",
            &data,
            "--passphrase-file",
            &ws.path("short"),
        ]);
        assert!(is_bad_input(&short));
        let (bad_backup, _) = ws.run(&[
            "generate",
            "--data",
            &data,
            "--passphrase-file",
            &ws.path("pass"),
            "--backup-recipient",
            "age1no",
        ]);
        assert!(is_bad_input(&bad_backup));
    }
}
