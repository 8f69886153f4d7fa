//! sito-crypto: every cryptographic operation of Sito, behind small typed APIs.
//!
//! | module | what | invariant (DESIGN.md §4) |
//! |---|---|---|
//! | [`seal`] | age X25519 sealing to the office recipients, whole and streaming | 1: the intake cannot read what it stores |
//! | [`keyring`] | the office keyring: identities (rotation), signing key, blind-index key; passphrase-encrypted file | 1, 3, 5 |
//! | [`codename`] | applicant codenames, peppered lookup keys, reply keys derived from the codename | 7 |
//! | [`casekey`] | per-case data keys, field-group encryption, wrapping to the office, crypto-shredding | 3 |
//! | [`blind`] | keyed blind indexes of exact-match identifiers | 3 |
//! | [`audit`] | the hash-chained audit log and signed checkpoints | 5 |
//! | [`signing`] | Ed25519 keys and the signed statement of the intake's addresses | — |
//!
//! Every secret type zeroises its memory on drop and prints `[redacted]` under `Debug`. Every function that
//! parses outside bytes (sealed blobs, the keyring file, a typed codename, a signed statement) returns a
//! [`CryptoError`] instead of panicking. See docs/crypto.md for the design.
//!
//! The intake seals with public recipients only; the office opens with its keyring:
//!
//! ```
//! use sito_crypto::{OfficeKeyring, OfficeRecipients};
//!
//! let keyring = OfficeKeyring::generate(0);
//! // The intake is given this text (DATA/keys/recipients.txt), never the keyring.
//! let recipients = OfficeRecipients::parse(&keyring.current_recipients().to_text())?;
//! let sealed = recipients.seal(b"application")?;
//! assert_eq!(keyring.open(sealed.as_bytes())?.expose(), b"application");
//! # Ok::<(), sito_crypto::CryptoError>(())
//! ```
#![forbid(unsafe_code)]

pub mod audit;
pub mod blind;
pub mod casekey;
pub mod codename;
pub mod error;
pub mod keyring;
pub mod seal;
pub mod secret;
pub mod signing;

pub use audit::{
    AuditEntry, AuditRecord, ChainHash, ChainHead, ChainReport, ChainViolation, Checkpoint,
};
pub use blind::{BlindIndex, BlindIndexKey, IdentifierKind};
pub use casekey::{CaseKey, FieldCiphertext, WrappedCaseKey};
pub use codename::{Codename, CodenameLookup, LookupKey, Pepper, ReplyIdentity, ReplyRecipient};
pub use error::{CryptoError, Result};
pub use keyring::{KeyStatus, OfficeKeyring};
pub use seal::{Identity, OfficeRecipients, Recipient, SealedBlob, SealingWriter};
pub use secret::{KdfParams, Passphrase, Plaintext};
pub use signing::{AddressStatement, OfficeSigningKey, SigningPublicKey};
