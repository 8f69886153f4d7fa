//! sito-keyring: the office keyring. Every X25519 identity the office has had (the newest is current, older
//! ones are kept to open what was sealed to them), the Ed25519 signing key, the blind-index key, and any backup
//! recipients.
//!
//! On disk it is encrypted with a passphrase: argon2id derives a key from the passphrase and a random salt, and
//! XChaCha20-Poly1305 encrypts the contents with the whole header as associated data. See docs/crypto.md for
//! the byte layout and why this and not age's scrypt mode.
//!
//! A crate of its own so that the public intake, which links `sito-crypto` to seal, links nothing that can read
//! this file or hold the identities it contains (crates/sito-intake/tests/dependencies.rs guards it):
//!
//! ```
//! use sito_crypto::OfficeRecipients;
//! use sito_keyring::OfficeKeyring;
//!
//! let keyring = OfficeKeyring::generate(0);
//! // The intake is given this text (DATA/keys/recipients.txt), never the keyring.
//! let recipients = OfficeRecipients::parse(&keyring.current_recipients().to_text())?;
//! let sealed = recipients.seal(b"application")?;
//! assert_eq!(keyring.open(sealed.as_bytes())?.expose(), b"application");
//! # Ok::<(), sito_crypto::CryptoError>(())
//! ```
#![forbid(unsafe_code)]

use std::fs;
use std::io;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};
use sito_crypto::audit::AuditKey;
use sito_crypto::seal::{self, Identity, OfficeRecipients, OpeningReader, Recipient};
use sito_crypto::secret::{argon2id_key, random_array};
use sito_crypto::{
    BlindIndexKey, CryptoError, KdfParams, OfficeSigningKey, Passphrase, Plaintext, Result,
    write_private_file,
};
use zeroize::Zeroizing;

/// The first 16 bytes of every keyring file.
pub const KEYRING_MAGIC: &[u8; 16] = b"sito-keyring-v1\n";
const SALT_LEN: usize = 16;
const NONCE_LEN: usize = 24;
const HEADER_LEN: usize = KEYRING_MAGIC.len() + 12 + SALT_LEN + NONCE_LEN;
const TAG_LEN: usize = 16;
const CONTENTS_LABEL: &str = "sito-keyring-contents v1";

/// Whether an identity is the one new submissions are sealed to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyStatus {
    Current,
    Retired,
}

/// One sealing identity of the office and when it was made.
#[derive(Clone, Debug)]
pub struct KeyringIdentity {
    pub identity: Identity,
    pub created_unix: i64,
    pub status: KeyStatus,
}

/// The office's secrets. `Debug` shows only counts and public keys.
#[derive(Clone)]
pub struct OfficeKeyring {
    /// Oldest first; kept to open what was sealed to them.
    retired: Vec<KeyringIdentity>,
    current: KeyringIdentity,
    signing_key: OfficeSigningKey,
    signing_created_unix: i64,
    blind_index_key: BlindIndexKey,
    backup_recipients: Vec<Recipient>,
}

impl std::fmt::Debug for OfficeKeyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OfficeKeyring")
            .field("retired_identities", &self.retired.len())
            .field(
                "current_recipient",
                &self.current.identity.recipient().to_string(),
            )
            .field(
                "signing_public_key",
                &self.signing_key.public_key().to_string(),
            )
            .field("backup_recipients", &self.backup_recipients.len())
            .finish()
    }
}

impl OfficeKeyring {
    pub fn generate(now_unix: i64) -> Self {
        Self {
            retired: Vec::new(),
            current: KeyringIdentity {
                identity: Identity::generate(),
                created_unix: now_unix,
                status: KeyStatus::Current,
            },
            signing_key: OfficeSigningKey::generate(),
            signing_created_unix: now_unix,
            blind_index_key: BlindIndexKey::generate(),
            backup_recipients: Vec::new(),
        }
    }

    /// Makes a new current identity and retires the old one, which stays to open what was sealed to it.
    /// Returns the new recipient, to hand to every intake.
    pub fn rotate(&mut self, now_unix: i64) -> Recipient {
        let identity = Identity::generate();
        let recipient = identity.recipient();
        let next = KeyringIdentity {
            identity,
            created_unix: now_unix,
            status: KeyStatus::Current,
        };
        let mut previous = std::mem::replace(&mut self.current, next);
        previous.status = KeyStatus::Retired;
        self.retired.push(previous);
        recipient
    }

    /// Adds a recipient whose identity is kept offline (on paper, in a safe): every submission is sealed to it
    /// too, so losing the keyring passphrase loses nothing.
    pub fn add_backup_recipient(&mut self, recipient: Recipient) {
        if !self.backup_recipients.contains(&recipient) {
            self.backup_recipients.push(recipient);
        }
    }

    pub fn current_identity(&self) -> &Identity {
        &self.current.identity
    }

    /// What the intake seals to: the current identity's recipient, then the backup recipients.
    pub fn current_recipients(&self) -> OfficeRecipients {
        OfficeRecipients::with_first(
            self.current.identity.recipient(),
            self.backup_recipients.iter().cloned(),
        )
    }

    /// Every identity, oldest first; the last is the current one.
    pub fn identities(&self) -> impl Iterator<Item = &KeyringIdentity> {
        self.retired.iter().chain(std::iter::once(&self.current))
    }

    fn opening_identities(&self) -> impl Iterator<Item = &Identity> {
        // Newest first: most blobs were sealed to a recent key.
        std::iter::once(&self.current.identity)
            .chain(self.retired.iter().rev().map(|entry| &entry.identity))
    }

    /// Opens a blob sealed to any identity this office has ever had.
    pub fn open(&self, blob: &[u8]) -> Result<Plaintext> {
        seal::open(self.opening_identities(), blob)
    }

    pub fn open_reader<R: io::Read>(&self, input: R) -> Result<OpeningReader<R>> {
        seal::open_reader(self.opening_identities(), input)
    }

    pub fn signing_key(&self) -> &OfficeSigningKey {
        &self.signing_key
    }

    pub fn blind_index_key(&self) -> &BlindIndexKey {
        &self.blind_index_key
    }

    pub fn backup_recipients(&self) -> &[Recipient] {
        &self.backup_recipients
    }

    /// The encrypted file bytes.
    pub fn encrypt(&self, passphrase: &Passphrase, params: KdfParams) -> Result<Vec<u8>> {
        params.validate()?;
        let salt = random_array::<SALT_LEN>();
        let nonce = random_array::<NONCE_LEN>();
        let mut header = Vec::with_capacity(HEADER_LEN);
        header.extend_from_slice(KEYRING_MAGIC);
        header.extend_from_slice(&params.memory_kib.to_le_bytes());
        header.extend_from_slice(&params.iterations.to_le_bytes());
        header.extend_from_slice(&params.parallelism.to_le_bytes());
        header.extend_from_slice(&salt);
        header.extend_from_slice(&nonce);
        let key = argon2id_key(params, None, passphrase.expose().as_bytes(), &salt)?;
        let contents = self.contents();
        let ciphertext = cipher(&key)?
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: contents.as_bytes(),
                    aad: &header,
                },
            )
            .map_err(|_| CryptoError::Sealing("keyring encryption".into()))?;
        header.extend_from_slice(&ciphertext);
        Ok(header)
    }

    /// Reads encrypted file bytes. A wrong passphrase gives [`CryptoError::WrongPassphrase`].
    pub fn decrypt(file: &[u8], passphrase: &Passphrase) -> Result<Self> {
        let params = Self::file_params(file)?;
        let header = &file[..HEADER_LEN];
        let salt = &header[28..28 + SALT_LEN];
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&header[28 + SALT_LEN..HEADER_LEN]);
        let key = argon2id_key(params, None, passphrase.expose().as_bytes(), salt)?;
        let contents = cipher(&key)?
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: &file[HEADER_LEN..],
                    aad: header,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| CryptoError::WrongPassphrase)?;
        let text =
            std::str::from_utf8(&contents).map_err(|_| CryptoError::MalformedKeyringEntry {
                line: 0,
                reason: "not UTF-8".into(),
            })?;
        Self::parse_contents(text)
    }

    /// The KDF parameters a keyring file was written with; checks the header without the passphrase.
    pub fn file_params(file: &[u8]) -> Result<KdfParams> {
        if file.len() < KEYRING_MAGIC.len() || &file[..KEYRING_MAGIC.len()] != KEYRING_MAGIC {
            return Err(CryptoError::MalformedKeyring(
                "missing the sito-keyring-v1 header".into(),
            ));
        }
        if file.len() < HEADER_LEN + TAG_LEN {
            return Err(CryptoError::MalformedKeyring("file is truncated".into()));
        }
        let word = |offset: usize| {
            let mut bytes = [0u8; 4];
            bytes.copy_from_slice(&file[offset..offset + 4]);
            u32::from_le_bytes(bytes)
        };
        let params = KdfParams {
            memory_kib: word(16),
            iterations: word(20),
            parallelism: word(24),
        };
        params.validate()?;
        Ok(params)
    }

    fn contents(&self) -> Zeroizing<String> {
        let mut text = Zeroizing::new(String::with_capacity(
            // Large enough never to reallocate: a reallocation would free a copy of the secrets unzeroised.
            1024 + (self.retired.len() + 1) * 128 + self.backup_recipients.len() * 128,
        ));
        let reserved = text.capacity();
        text.push_str(CONTENTS_LABEL);
        text.push('\n');
        for entry in self.identities() {
            let status = match entry.status {
                KeyStatus::Current => "current",
                KeyStatus::Retired => "retired",
            };
            text.push_str(&format!("identity {status} {} ", entry.created_unix));
            text.push_str(&entry.identity.to_secret_string());
            text.push('\n');
        }
        text.push_str(&format!("signing-key {} ", self.signing_created_unix));
        text.push_str(&Zeroizing::new(BASE64.encode(&self.signing_key.seed()[..])));
        text.push('\n');
        text.push_str("blind-index-key ");
        text.push_str(&Zeroizing::new(BASE64.encode(self.blind_index_key.bytes())));
        text.push('\n');
        for recipient in &self.backup_recipients {
            text.push_str(&format!("backup-recipient {recipient}\n"));
        }
        debug_assert_eq!(
            text.capacity(),
            reserved,
            "the keyring contents buffer was reallocated"
        );
        text
    }

    fn parse_contents(text: &str) -> Result<Self> {
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(index, line)| (index + 1, line));
        let entry_error = |line: usize, reason: &str| CryptoError::MalformedKeyringEntry {
            line,
            reason: reason.into(),
        };
        match lines.next() {
            Some((_, CONTENTS_LABEL)) => {}
            _ => return Err(entry_error(1, "unknown contents version")),
        }
        let mut identities = Vec::new();
        let mut signing = None;
        let mut blind_index_key = None;
        let mut backup_recipients = Vec::new();
        for (number, line) in lines {
            let fields: Vec<&str> = line.split(' ').collect();
            match fields.as_slice() {
                ["identity", status, created, secret] => {
                    let status = match *status {
                        "current" => KeyStatus::Current,
                        "retired" => KeyStatus::Retired,
                        _ => {
                            return Err(entry_error(
                                number,
                                "identity status must be current or retired",
                            ));
                        }
                    };
                    let created_unix = created
                        .parse()
                        .map_err(|_| entry_error(number, "bad creation time"))?;
                    let identity = Identity::parse(secret)
                        .map_err(|_| entry_error(number, "invalid identity"))?;
                    identities.push(KeyringIdentity {
                        identity,
                        created_unix,
                        status,
                    });
                }
                ["signing-key", created, seed] => {
                    let created: i64 = created
                        .parse()
                        .map_err(|_| entry_error(number, "bad creation time"))?;
                    let seed = Zeroizing::new(
                        BASE64
                            .decode(seed)
                            .map_err(|_| entry_error(number, "signing key is not base64"))?,
                    );
                    let seed: &[u8; 32] = seed
                        .as_slice()
                        .try_into()
                        .map_err(|_| entry_error(number, "signing key is not 32 bytes"))?;
                    if signing
                        .replace((OfficeSigningKey::from_seed(seed), created))
                        .is_some()
                    {
                        return Err(entry_error(number, "a second signing key"));
                    }
                }
                ["blind-index-key", key] => {
                    let bytes = Zeroizing::new(
                        BASE64
                            .decode(key)
                            .map_err(|_| entry_error(number, "blind-index key is not base64"))?,
                    );
                    let key = BlindIndexKey::from_slice(&bytes)
                        .ok_or_else(|| entry_error(number, "blind-index key is not 32 bytes"))?;
                    if blind_index_key.replace(key).is_some() {
                        return Err(entry_error(number, "a second blind-index key"));
                    }
                }
                ["backup-recipient", recipient] => {
                    let recipient = recipient
                        .parse()
                        .map_err(|_| entry_error(number, "invalid backup recipient"))?;
                    backup_recipients.push(recipient);
                }
                [""] => {}
                _ => return Err(entry_error(number, "unknown entry")),
            }
        }
        let current = match identities.pop() {
            Some(last) if last.status == KeyStatus::Current => last,
            _ => return Err(entry_error(0, "the last identity must be the current one")),
        };
        if identities
            .iter()
            .any(|entry| entry.status == KeyStatus::Current)
        {
            return Err(entry_error(0, "more than one current identity"));
        }
        let (signing_key, signing_created_unix) =
            signing.ok_or_else(|| entry_error(0, "no signing key"))?;
        let blind_index_key =
            blind_index_key.ok_or_else(|| entry_error(0, "no blind-index key"))?;
        Ok(Self {
            retired: identities,
            current,
            signing_key,
            signing_created_unix,
            blind_index_key,
            backup_recipients,
        })
    }

    /// Loads a keyring file. A missing file gives [`CryptoError::KeyringNotFound`]; every other failure names the
    /// file.
    pub fn load(path: &Path, passphrase: &Passphrase) -> Result<Self> {
        let file = match fs::read(path) {
            Ok(file) => file,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                return Err(CryptoError::KeyringNotFound {
                    path: path.to_path_buf(),
                });
            }
            Err(error) => return Err(in_file(path, error.into())),
        };
        Self::decrypt(&file, passphrase).map_err(|error| in_file(path, error))
    }

    /// Writes a new keyring file; refuses to replace an existing one.
    pub fn save_new(&self, path: &Path, passphrase: &Passphrase, params: KdfParams) -> Result<()> {
        let bytes = self.encrypt(passphrase, params)?;
        write_private_file(path, &bytes, false).map_err(|error| in_file(path, error))
    }

    /// Replaces a keyring file atomically (write to a temporary file, then rename), so a crash leaves either the
    /// old or the new keyring, never half of one.
    pub fn save_replace(
        &self,
        path: &Path,
        passphrase: &Passphrase,
        params: KdfParams,
    ) -> Result<()> {
        let bytes = self.encrypt(passphrase, params)?;
        write_private_file(path, &bytes, true).map_err(|error| in_file(path, error))
    }
}

/// The office's audit key: a subkey of the keyring's signing key, so no new secret has to be kept or backed up.
/// A trait because [`AuditKey`] lives in `sito-crypto`, which must not know the keyring; with it in scope,
/// `AuditKey::derive(&keyring)` reads as before.
pub trait DeriveAuditKey {
    fn derive(keyring: &OfficeKeyring) -> AuditKey;
}

impl DeriveAuditKey for AuditKey {
    fn derive(keyring: &OfficeKeyring) -> AuditKey {
        AuditKey::from_signing_key(keyring.signing_key())
    }
}

fn cipher(key: &[u8; 32]) -> Result<XChaCha20Poly1305> {
    XChaCha20Poly1305::new_from_slice(key)
        .map_err(|_| CryptoError::KeyDerivation("cipher key length".into()))
}

fn in_file(path: &Path, error: CryptoError) -> CryptoError {
    match error {
        CryptoError::KeyringNotFound { .. } | CryptoError::KeyringExists { .. } => error,
        CryptoError::FileExists { path } => CryptoError::KeyringExists { path },
        other => CryptoError::KeyringFile {
            path: path.to_path_buf(),
            source: Box::new(other),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn passphrase(text: &str) -> Passphrase {
        Passphrase::new(text).unwrap()
    }

    #[test]
    fn file_round_trips_and_wrong_passphrase_is_typed() {
        let mut keyring = OfficeKeyring::generate(1_000);
        keyring.rotate(2_000);
        keyring.add_backup_recipient(Identity::generate().recipient());
        let file = keyring
            .encrypt(
                &passphrase("a long office passphrase"),
                KdfParams::INSECURE_FAST,
            )
            .unwrap();
        assert_eq!(&file[..16], KEYRING_MAGIC);
        let loaded =
            OfficeKeyring::decrypt(&file, &passphrase("a long office passphrase")).unwrap();
        let statuses: Vec<KeyStatus> = loaded.identities().map(|entry| entry.status).collect();
        assert_eq!(statuses, [KeyStatus::Retired, KeyStatus::Current]);
        assert_eq!(loaded.current_recipients(), keyring.current_recipients());
        assert_eq!(
            loaded.signing_key().public_key(),
            keyring.signing_key().public_key()
        );
        assert_eq!(loaded.blind_index_key(), keyring.blind_index_key());
        assert_eq!(*loaded.contents(), *keyring.contents());
        assert!(matches!(
            OfficeKeyring::decrypt(&file, &passphrase("another passphrase")),
            Err(CryptoError::WrongPassphrase)
        ));
    }

    #[test]
    fn many_rotations_and_backups_round_trip() {
        let mut keyring = OfficeKeyring::generate(i64::MIN);
        for step in 0..20 {
            keyring.rotate(i64::MAX - step);
        }
        for _ in 0..5 {
            keyring.add_backup_recipient(Identity::generate().recipient());
        }
        // contents() asserts (in debug builds) that its buffer never reallocated.
        let reparsed = OfficeKeyring::parse_contents(&keyring.contents()).unwrap();
        assert_eq!(reparsed.identities().count(), 21);
        assert_eq!(reparsed.current_recipients(), keyring.current_recipients());
        assert_eq!(reparsed.current_recipients().recipients().len(), 6);
    }

    #[test]
    fn header_is_authenticated() {
        let keyring = OfficeKeyring::generate(1_000);
        let mut file = keyring
            .encrypt(
                &passphrase("a long office passphrase"),
                KdfParams::INSECURE_FAST,
            )
            .unwrap();
        // Raising the iteration count in the header must not go unnoticed.
        file[20] = 2;
        assert!(matches!(
            OfficeKeyring::decrypt(&file, &passphrase("a long office passphrase")),
            Err(CryptoError::WrongPassphrase)
        ));
    }

    #[test]
    fn malformed_files_are_typed_errors() {
        let pass = passphrase("x");
        assert!(matches!(
            OfficeKeyring::decrypt(b"", &pass),
            Err(CryptoError::MalformedKeyring(_))
        ));
        assert!(matches!(
            OfficeKeyring::decrypt(KEYRING_MAGIC, &pass),
            Err(CryptoError::MalformedKeyring(_))
        ));
        let mut hostile = KEYRING_MAGIC.to_vec();
        hostile.extend_from_slice(&u32::MAX.to_le_bytes());
        hostile.extend_from_slice(&[1, 0, 0, 0, 1, 0, 0, 0]);
        hostile.extend_from_slice(&[0u8; 80]);
        assert!(matches!(
            OfficeKeyring::decrypt(&hostile, &pass),
            Err(CryptoError::InvalidKdfParams(_))
        ));
    }

    #[test]
    fn contents_parser_rejects_bad_entries() {
        let keyring = OfficeKeyring::generate(5);
        let good = keyring.contents();
        assert!(OfficeKeyring::parse_contents(&good).is_ok());
        let no_current = good.replace("identity current", "identity retired");
        let unknown = format!("{}surprise entry\n", good.as_str());
        let bad_identity = good.replace("AGE-SECRET-KEY-1", "AGE-SECRET-KEY-2");
        for (text, line) in [(no_current, 0), (unknown, 5), (bad_identity, 2)] {
            match OfficeKeyring::parse_contents(&text) {
                Err(CryptoError::MalformedKeyringEntry {
                    line: found,
                    reason,
                }) => {
                    assert_eq!(found, line, "{reason}");
                    assert!(!reason.contains("AGE-SECRET-KEY"));
                }
                other => panic!("expected a malformed entry, got {other:?}"),
            }
        }
    }

    #[test]
    fn save_new_refuses_to_overwrite_and_load_reports_missing() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("office.keyring");
        let pass = passphrase("a long office passphrase");
        assert!(matches!(
            OfficeKeyring::load(&path, &pass),
            Err(CryptoError::KeyringNotFound { .. })
        ));
        let keyring = OfficeKeyring::generate(1);
        keyring
            .save_new(&path, &pass, KdfParams::INSECURE_FAST)
            .unwrap();
        assert!(matches!(
            keyring.save_new(&path, &pass, KdfParams::INSECURE_FAST),
            Err(CryptoError::KeyringExists { .. })
        ));
        keyring
            .save_replace(&path, &pass, KdfParams::INSECURE_FAST)
            .unwrap();
        assert!(OfficeKeyring::load(&path, &pass).is_ok());
        let wrong = OfficeKeyring::load(&path, &passphrase("wrong")).unwrap_err();
        assert!(
            matches!(&wrong, CryptoError::KeyringFile { source, .. } if matches!(**source, CryptoError::WrongPassphrase))
        );
        assert!(wrong.is_bad_input());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        let leftovers = fs::read_dir(directory.path()).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary file is left behind");
    }
}
