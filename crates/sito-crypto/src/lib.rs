//! sito-crypto: every cryptographic operation of Sito, behind small typed APIs.
//!
//! | module | what | invariant (DESIGN.md §4) |
//! |---|---|---|
//! | [`seal`] | age X25519 sealing to the office recipients, whole and streaming | 1: the intake cannot read what it stores |
//! | [`codename`] | applicant codenames, peppered lookup keys, reply keys derived from the codename | 7 |
//! | [`casekey`] | per-case data keys, field-group encryption, wrapping to the office, crypto-shredding | 3 |
//! | [`blind`] | keyed blind indexes of exact-match identifiers | 3 |
//! | [`audit`] | the hash-chained audit log and signed checkpoints | 5 |
//! | [`signing`] | Ed25519 keys and the signed statement of the intake's addresses | — |
//! | [`private_file`] | owner-only secret files written in one piece (the pepper; the keyring file's bytes) | — |
//!
//! The office keyring (the identities that open what is sealed here) lives in `sito-keyring`, a crate the public
//! intake does not link (crates/sito-intake/tests/dependencies.rs); nothing in this crate reads the keyring file.
//!
//! Every secret type zeroises its memory on drop and prints `[redacted]` under `Debug`. Every function that
//! parses outside bytes (sealed blobs, a typed codename, a signed statement) returns a
//! [`CryptoError`] instead of panicking. See docs/crypto.md for the design.
//!
//! The intake seals with public recipients only; only the holder of an identity opens:
//!
//! ```
//! use sito_crypto::{Identity, OfficeRecipients, seal};
//!
//! let office = Identity::generate();
//! // The intake is given this text (DATA/keys/recipients.txt), never the identity.
//! let recipients = OfficeRecipients::parse(&format!("{}\n", office.recipient()))?;
//! let sealed = recipients.seal(b"application")?;
//! assert_eq!(seal::open([&office], sealed.as_bytes())?.expose(), b"application");
//! # Ok::<(), sito_crypto::CryptoError>(())
//! ```
#![forbid(unsafe_code)]

pub mod audit;
pub mod blind;
pub mod casekey;
pub mod codename;
pub mod error;
pub mod identifier;
pub mod private_file;
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
pub use private_file::write_private_file;
pub use seal::{Identity, OfficeRecipients, Recipient, SealedBlob, SealingWriter};
pub use secret::{KdfParams, Passphrase, Plaintext};
pub use signing::{AddressStatement, OfficeSigningKey, SigningPublicKey};
