//! The crate's one error type. Every parser of outside bytes returns one of these instead of panicking, and no
//! variant carries secret material (a codename word, a passphrase, a plaintext) in its message.
use std::path::PathBuf;

use crate::identifier::IdentifierKind;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    #[error("recipient on line {line}: {reason}")]
    InvalidRecipient { line: usize, reason: String },
    #[error("recipients file {}: {source}", path.display())]
    RecipientsFile {
        path: PathBuf,
        source: Box<CryptoError>,
    },
    #[error("there is no office recipient to seal to")]
    NoRecipients,
    #[error("not a sealed blob: {0}")]
    MalformedSealedBlob(&'static str),
    #[error(
        "sealed blob uses a format this version does not open (for example a passphrase-sealed age file)"
    )]
    UnsupportedSealedFormat,
    #[error("none of the given identities can open this sealed blob")]
    NoMatchingIdentity,
    #[error("sealed blob failed authentication: it was corrupted, truncated or tampered with")]
    TamperedSealedBlob,
    #[error("sealing failed: {0}")]
    Sealing(String),
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),

    #[error("wrong passphrase for the keyring (or the keyring file was altered)")]
    WrongPassphrase,
    #[error("the passphrase is empty")]
    EmptyPassphrase,
    #[error("not a Sito keyring: {0}")]
    MalformedKeyring(String),
    #[error("keyring contents, line {line}: {reason}")]
    MalformedKeyringEntry { line: usize, reason: String },
    #[error("no keyring at {}", path.display())]
    KeyringNotFound { path: PathBuf },
    #[error("a keyring already exists at {}; refusing to overwrite it", path.display())]
    KeyringExists { path: PathBuf },
    #[error("{} already exists; refusing to overwrite it", path.display())]
    FileExists { path: PathBuf },
    #[error("keyring file {}: {source}", path.display())]
    KeyringFile {
        path: PathBuf,
        source: Box<CryptoError>,
    },

    #[error("invalid key-derivation parameters: {0}")]
    InvalidKdfParams(String),
    #[error("key derivation failed: {0}")]
    KeyDerivation(String),

    #[error("the codename has {found} words; a codename has {expected}")]
    CodenameWordCount { found: usize, expected: usize },
    #[error("word {position} of the codename is not in the word list")]
    CodenameUnknownWord { position: usize },
    #[error(
        "word {position} of the codename is too short to tell apart: type at least four letters"
    )]
    CodenameAmbiguousWord { position: usize },
    #[error(
        "the codename contains a character that is neither a letter nor a separator (position {position})"
    )]
    CodenameInvalidCharacter { position: usize },
    #[error("the codename does not match this record")]
    WrongCodename,
    #[error("reply key record: {0}")]
    MalformedReplyRecord(String),
    #[error("pepper: {0}")]
    MalformedPepper(String),

    #[error("the {kind} identifier is empty after normalisation")]
    EmptyIdentifier { kind: IdentifierKind },

    #[error("field ciphertext is malformed")]
    MalformedFieldCiphertext,
    #[error("field ciphertext does not open with this case key for this case and field group")]
    FieldAuthentication,
    #[error("wrapped case key is malformed")]
    MalformedWrappedKey,

    #[error("invalid public key: {0}")]
    InvalidPublicKey(String),
    #[error("the signature does not verify")]
    BadSignature,
    #[error("the statement is signed by key {found}, not by the trusted key {expected}")]
    UntrustedSigner { found: String, expected: String },
    #[error("checkpoint record: {0}")]
    MalformedCheckpoint(String),
    #[error("signed statement, line {line}: {reason}")]
    MalformedStatement { line: usize, reason: String },
    #[error("invalid address {index}: {reason}")]
    InvalidAddress { index: usize, reason: String },
}

pub type Result<T, E = CryptoError> = std::result::Result<T, E>;

impl CryptoError {
    /// True for mistakes the person at the keyboard can fix (a wrong passphrase, a missing or existing keyring, a
    /// malformed file), as opposed to faults of the machine. The CLI maps these to exit status 2.
    pub fn is_bad_input(&self) -> bool {
        match self {
            CryptoError::Io(_) | CryptoError::Sealing(_) | CryptoError::KeyDerivation(_) => false,
            CryptoError::KeyringFile { source, .. }
            | CryptoError::RecipientsFile { source, .. } => source.is_bad_input(),
            _ => true,
        }
    }
}
