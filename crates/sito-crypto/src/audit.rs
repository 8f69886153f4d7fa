//! The audit chain (invariant 5), authenticated with a key the database does not hold.
//!
//! Each entry's stored hash is a MAC over an unambiguous encoding of the entry and the previous entry's hash, so
//! changing, removing, inserting or reordering any entry breaks every link after it, and someone who can write
//! the database but lacks the office keyring cannot append an entry that verifies: plain SHA-256 or any other
//! hash is refused after the first keyed entry. Checkpoints sign (sequence, head hash, time) with the office's
//! Ed25519 key; they are kept in the database and, outside it, in an append-only file (see sito-store's
//! `audit::CheckpointFiles`), so cutting entries off the end together with the checkpoints over them is caught
//! against the file.
//!
//! Encoding, all integers big-endian, every string preceded by its byte length as u32, `detail_hash` the
//! SHA-256 of the detail text:
//! - v2 (keyed) entry: `hash = HMAC-SHA256(audit_key, "sito-audit-entry-v2\0" ‖ sequence u64 ‖ time_unix_ms i64 ‖
//!   actor ‖ action ‖ subject ‖ detail_hash[32] ‖ previous_hash[32])`.
//! - `audit_key = HMAC-SHA256(key = Ed25519 seed of the office signing key, "sito-audit-mac-key-v1")`: a
//!   domain-separated subkey, so the MAC key is never the signing key itself. `sito keys` never exports it;
//!   whoever verifies the MACs holds the keyring (or this 32-byte subkey).
//! - v1 (unkeyed, before this change) entry: `hash = SHA-256("sito-audit-entry-v1\0" ‖ the same fields)`. A log
//!   written before the store had a keyring starts with v1 entries; they are accepted only as a prefix before
//!   the first v2 entry, and [`ChainReport::unkeyed_prefix`] says where the boundary is. After it, a v1 hash is
//!   a forgery ([`ChainViolation::UnkeyedAfterKeyed`]).
//! - A checkpoint signs `"sito-audit-checkpoint-v1\0" ‖ sequence u64 ‖ head_hash[32] ‖ time_unix_ms i64` with
//!   Ed25519; its text line is [`Checkpoint::to_line`].
//!
//! The genesis previous hash is 32 zero bytes. Everything here is easy to recompute outside Sito.
use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::error::CryptoError;
use crate::signing::{OfficeSigningKey, SigningPublicKey};

/// The first entry's sequence number.
pub const FIRST_SEQUENCE: u64 = 1;
const UNKEYED_ENTRY_DOMAIN: &[u8] = b"sito-audit-entry-v1\0";
const KEYED_ENTRY_DOMAIN: &[u8] = b"sito-audit-entry-v2\0";
const AUDIT_KEY_LABEL: &[u8] = b"sito-audit-mac-key-v1";
const CHECKPOINT_DOMAIN: &[u8] = b"sito-audit-checkpoint-v1\0";
const CHECKPOINT_LINE_LABEL: &str = "sito-checkpoint-v1";

type HmacSha256 = Hmac<Sha256>;

/// The secret that authenticates audit entries, derived from the office keyring; zeroised on drop.
#[derive(Clone)]
pub struct AuditKey(Zeroizing<[u8; 32]>);

crate::secret::redacted_debug!(AuditKey);

impl AuditKey {
    /// The audit key under `key`: a subkey, so no new secret has to be kept or backed up. The office derives it
    /// from its keyring's signing key (`sito_keyring::DeriveAuditKey`).
    pub fn from_signing_key(key: &OfficeSigningKey) -> Self {
        let seed = key.seed();
        let mut subkey = Zeroizing::new([0u8; 32]);
        subkey.copy_from_slice(&Self::mac(&seed, &[AUDIT_KEY_LABEL]));
        Self(subkey)
    }

    fn mac(key: &[u8; 32], parts: &[&[u8]]) -> [u8; 32] {
        // HMAC takes keys of any length, so a 32-byte key never fails.
        let mut mac = match <HmacSha256 as KeyInit>::new_from_slice(key) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC accepts every key length"),
        };
        for part in parts {
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }
}

/// A SHA-256 value, shown as 64 lower-case hex characters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ChainHash(pub [u8; 32]);

impl ChainHash {
    /// The "previous hash" of the first entry.
    pub const GENESIS: ChainHash = ChainHash([0; 32]);

    pub fn of(bytes: &[u8]) -> Self {
        Self(Sha256::digest(bytes).into())
    }

    pub fn parse(text: &str) -> Option<Self> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(text, &mut bytes).ok()?;
        Some(Self(bytes))
    }
}

impl fmt::Display for ChainHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for ChainHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChainHash({self})")
    }
}

/// What happened: the content of an entry before it is chained. The detail itself (which may name a case
/// field) is kept by the store; the chain commits to its hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRecord {
    pub time_unix_ms: i64,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail_hash: ChainHash,
}

impl AuditRecord {
    pub fn new(
        time_unix_ms: i64,
        actor: impl Into<String>,
        action: impl Into<String>,
        subject: impl Into<String>,
        detail: &[u8],
    ) -> Self {
        Self {
            time_unix_ms,
            actor: actor.into(),
            action: action.into(),
            subject: subject.into(),
            detail_hash: ChainHash::of(detail),
        }
    }
}

/// A chained entry as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    pub sequence: u64,
    pub record: AuditRecord,
    pub previous_hash: ChainHash,
    pub hash: ChainHash,
}

/// How an entry's hash was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryAuth {
    /// v1: plain SHA-256, written before the log was keyed. Anyone can compute it.
    Unkeyed,
    /// v2: HMAC-SHA256 under the office audit key.
    Keyed,
}

impl AuditEntry {
    /// The encoding both versions hash, after their domain label.
    fn encode(
        sequence: u64,
        record: &AuditRecord,
        previous_hash: &ChainHash,
        mut update: impl FnMut(&[u8]),
    ) {
        update(&sequence.to_be_bytes());
        update(&record.time_unix_ms.to_be_bytes());
        for text in [&record.actor, &record.action, &record.subject] {
            // Strings over 4 GiB cannot be stored anyway; saturating keeps the encoding total.
            let length = u32::try_from(text.len()).unwrap_or(u32::MAX);
            update(&length.to_be_bytes());
            update(text.as_bytes());
        }
        update(&record.detail_hash.0);
        update(&previous_hash.0);
    }

    /// The v1 hash: what entries written without the key carry.
    pub fn compute_unkeyed_hash(
        sequence: u64,
        record: &AuditRecord,
        previous_hash: &ChainHash,
    ) -> ChainHash {
        let mut hasher = Sha256::new();
        hasher.update(UNKEYED_ENTRY_DOMAIN);
        Self::encode(sequence, record, previous_hash, |bytes| {
            hasher.update(bytes)
        });
        ChainHash(hasher.finalize().into())
    }

    /// The v2 hash: the MAC an entry with these contents must carry.
    pub fn compute_keyed_hash(
        key: &AuditKey,
        sequence: u64,
        record: &AuditRecord,
        previous_hash: &ChainHash,
    ) -> ChainHash {
        let mut mac = match <HmacSha256 as KeyInit>::new_from_slice(key.0.as_slice()) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC accepts every key length"),
        };
        mac.update(KEYED_ENTRY_DOMAIN);
        Self::encode(sequence, record, previous_hash, |bytes| mac.update(bytes));
        ChainHash(mac.finalize().into_bytes().into())
    }

    /// Which version this entry's stored hash matches, if any. The keyed MAC is tried first: it is what every
    /// entry after the boundary carries.
    pub fn authentication(&self, key: &AuditKey) -> Option<EntryAuth> {
        if Self::compute_keyed_hash(key, self.sequence, &self.record, &self.previous_hash)
            == self.hash
        {
            Some(EntryAuth::Keyed)
        } else if self.is_unkeyed() {
            Some(EntryAuth::Unkeyed)
        } else {
            None
        }
    }

    /// Whether the stored hash is the plain v1 hash; needs no key.
    pub fn is_unkeyed(&self) -> bool {
        Self::compute_unkeyed_hash(self.sequence, &self.record, &self.previous_hash) == self.hash
    }
}

/// The end of a chain, enough to append the next entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainHead {
    pub next_sequence: u64,
    pub head_hash: ChainHash,
}

impl Default for ChainHead {
    fn default() -> Self {
        Self::empty()
    }
}

impl ChainHead {
    pub const fn empty() -> Self {
        Self {
            next_sequence: FIRST_SEQUENCE,
            head_hash: ChainHash::GENESIS,
        }
    }

    /// The head after `entry` (the last stored entry).
    pub fn after(entry: &AuditEntry) -> Self {
        Self {
            next_sequence: entry.sequence.saturating_add(1),
            head_hash: entry.hash,
        }
    }

    /// Chains `record` under the audit key and moves the head past it.
    pub fn append(&mut self, record: AuditRecord, key: &AuditKey) -> AuditEntry {
        let hash =
            AuditEntry::compute_keyed_hash(key, self.next_sequence, &record, &self.head_hash);
        self.push(record, hash)
    }

    /// Chains `record` with a plain v1 hash, for a store opened without the keyring whose log has never been
    /// keyed (tests, an office that has not yet created its keyring).
    pub fn append_unkeyed(&mut self, record: AuditRecord) -> AuditEntry {
        let hash = AuditEntry::compute_unkeyed_hash(self.next_sequence, &record, &self.head_hash);
        self.push(record, hash)
    }

    fn push(&mut self, record: AuditRecord, hash: ChainHash) -> AuditEntry {
        let entry = AuditEntry {
            sequence: self.next_sequence,
            record,
            previous_hash: self.head_hash,
            hash,
        };
        *self = Self::after(&entry);
        entry
    }
}

/// A signed statement that the chain had `head_hash` at `sequence`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Checkpoint {
    pub sequence: u64,
    pub head_hash: ChainHash,
    pub time_unix_ms: i64,
    pub signature: [u8; 64],
}

impl Checkpoint {
    fn message(sequence: u64, head_hash: &ChainHash, time_unix_ms: i64) -> Vec<u8> {
        let mut message = Vec::with_capacity(CHECKPOINT_DOMAIN.len() + 48);
        message.extend_from_slice(CHECKPOINT_DOMAIN);
        message.extend_from_slice(&sequence.to_be_bytes());
        message.extend_from_slice(&head_hash.0);
        message.extend_from_slice(&time_unix_ms.to_be_bytes());
        message
    }

    /// Signs the chain as it stands after `entry`.
    pub fn sign(key: &OfficeSigningKey, entry: &AuditEntry, time_unix_ms: i64) -> Self {
        let signature = key.sign_raw(&Self::message(entry.sequence, &entry.hash, time_unix_ms));
        Self {
            sequence: entry.sequence,
            head_hash: entry.hash,
            time_unix_ms,
            signature,
        }
    }

    pub fn verify_signature(&self, key: &SigningPublicKey) -> Result<(), CryptoError> {
        key.verify_raw(
            &Self::message(self.sequence, &self.head_hash, self.time_unix_ms),
            &self.signature,
        )
    }

    /// One line, for keeping copies of checkpoints outside the database (with the auditor, on paper):
    /// `sito-checkpoint-v1 <sequence> <time ms> <head hash hex> <signature base64>`.
    pub fn to_line(&self) -> String {
        format!(
            "{CHECKPOINT_LINE_LABEL} {} {} {} {}",
            self.sequence,
            self.time_unix_ms,
            self.head_hash,
            BASE64.encode(self.signature)
        )
    }

    /// Reads [`Checkpoint::to_line`]; does not check the signature (that is [`verify`]'s work).
    pub fn parse_line(line: &str) -> Result<Self, CryptoError> {
        let malformed = |reason: &str| CryptoError::MalformedCheckpoint(reason.into());
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [label, sequence, time, head, signature] = fields.as_slice() else {
            return Err(malformed("expected five space-separated fields"));
        };
        if *label != CHECKPOINT_LINE_LABEL {
            return Err(malformed("unknown record version"));
        }
        let sequence = sequence
            .parse()
            .map_err(|_| malformed("sequence is not a number"))?;
        let time_unix_ms = time
            .parse()
            .map_err(|_| malformed("time is not a number"))?;
        let head_hash = ChainHash::parse(head)
            .ok_or_else(|| malformed("head hash is not 64 hex characters"))?;
        let signature = BASE64
            .decode(signature)
            .ok()
            .and_then(|bytes| <[u8; 64]>::try_from(bytes).ok())
            .ok_or_else(|| malformed("signature is not 64 bytes of base64"))?;
        Ok(Self {
            sequence,
            head_hash,
            time_unix_ms,
            signature,
        })
    }
}

/// Where a checkpoint came from, for the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckpointSource {
    Database,
    File,
}

impl fmt::Display for CheckpointSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Database => "database",
            Self::File => "checkpoints file",
        })
    }
}

/// Why a chain failed verification. Positions are sequence numbers.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChainViolation {
    #[error(
        "entry at position {position} has sequence {found}, expected {expected} (entry deleted, inserted or reordered)"
    )]
    SequenceGap {
        position: usize,
        expected: u64,
        found: u64,
    },
    #[error(
        "entry {sequence} is not authentic: its hash is not the office key's MAC over its contents (entry edited, inserted or forged)"
    )]
    HashMismatch { sequence: u64 },
    #[error(
        "entry {sequence} carries a plain SHA-256 hash, but the log is keyed from entry {first_keyed} on (entry forged without the office key)"
    )]
    UnkeyedAfterKeyed { sequence: u64, first_keyed: u64 },
    #[error("entry {sequence} does not link to the hash of entry {}", sequence.saturating_sub(1))]
    BrokenLink { sequence: u64 },
    #[error("{origin} checkpoint at entry {sequence} has an invalid signature")]
    BadCheckpointSignature {
        sequence: u64,
        origin: CheckpointSource,
    },
    #[error(
        "{origin} checkpoint at entry {sequence} signs a different head hash (the log was rewritten)"
    )]
    CheckpointMismatch {
        sequence: u64,
        origin: CheckpointSource,
    },
    #[error(
        "the log ends at entry {last}, but a signed checkpoint covers entry {checkpoint} (entries cut off the end)"
    )]
    Truncated { last: u64, checkpoint: u64 },
    #[error(
        "the log ends at entry {last}, but the checkpoints file holds a signed checkpoint at entry {checkpoint} that the database no longer has (newest entries deleted together with their checkpoints)"
    )]
    CheckpointsDeletedWithTail { last: u64, checkpoint: u64 },
    #[error(
        "the checkpoints file holds a signed checkpoint at entry {sequence} that the database no longer has (checkpoint deleted)"
    )]
    CheckpointDeleted { sequence: u64 },
}

/// What a successful verification established.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainReport {
    pub entries: usize,
    pub head: ChainHead,
    /// How many entries at the start carry v1 (unkeyed) hashes; the first keyed entry follows them.
    pub unkeyed_prefix: u64,
    /// The latest checkpoint's sequence, if any (database or file).
    pub latest_checkpoint: Option<u64>,
    /// How many checkpoints the outside file held, if one was given.
    pub external_checkpoints: Option<usize>,
    /// Entries after the latest checkpoint: authenticated, but their tail could have been cut unnoticed.
    pub unsigned_tail: usize,
}

/// The keys a chain is checked against.
pub struct ChainKeys<'a> {
    pub signing: &'a SigningPublicKey,
    pub audit: &'a AuditKey,
}

/// Checks a whole chain (entries in stored order, starting at [`FIRST_SEQUENCE`]), the checkpoints stored
/// beside it, and, if given, the checkpoints kept outside the database.
pub fn verify(
    entries: &[AuditEntry],
    stored_checkpoints: &[Checkpoint],
    external_checkpoints: Option<&[Checkpoint]>,
    keys: &ChainKeys<'_>,
) -> Result<ChainReport, ChainViolation> {
    let mut head = ChainHead::empty();
    let mut first_keyed: Option<u64> = None;
    for (position, entry) in entries.iter().enumerate() {
        if entry.sequence != head.next_sequence {
            return Err(ChainViolation::SequenceGap {
                position,
                expected: head.next_sequence,
                found: entry.sequence,
            });
        }
        match (entry.authentication(keys.audit), first_keyed) {
            (None, _) => {
                return Err(ChainViolation::HashMismatch {
                    sequence: entry.sequence,
                });
            }
            (Some(EntryAuth::Unkeyed), Some(first_keyed)) => {
                return Err(ChainViolation::UnkeyedAfterKeyed {
                    sequence: entry.sequence,
                    first_keyed,
                });
            }
            (Some(EntryAuth::Keyed), None) => first_keyed = Some(entry.sequence),
            (Some(_), _) => {}
        }
        if entry.previous_hash != head.head_hash {
            return Err(ChainViolation::BrokenLink {
                sequence: entry.sequence,
            });
        }
        head = ChainHead::after(entry);
    }
    let last = head.next_sequence - 1;
    let covered = |checkpoint: &Checkpoint, source: CheckpointSource| {
        checkpoint.verify_signature(keys.signing).map_err(|_| {
            ChainViolation::BadCheckpointSignature {
                sequence: checkpoint.sequence,
                origin: source,
            }
        })?;
        let entry = checkpoint
            .sequence
            .checked_sub(FIRST_SEQUENCE)
            .and_then(|index| usize::try_from(index).ok())
            .and_then(|index| entries.get(index));
        match entry {
            Some(entry) if entry.hash == checkpoint.head_hash => Ok(()),
            Some(_) => Err(ChainViolation::CheckpointMismatch {
                sequence: checkpoint.sequence,
                origin: source,
            }),
            None => Err(ChainViolation::Truncated {
                last,
                checkpoint: checkpoint.sequence,
            }),
        }
    };
    let mut latest_checkpoint: Option<u64> = None;
    for checkpoint in stored_checkpoints {
        covered(checkpoint, CheckpointSource::Database)?;
        latest_checkpoint = latest_checkpoint.max(Some(checkpoint.sequence));
    }
    if let Some(external) = external_checkpoints {
        // A year of checkpoints every few seconds is a long file: look them up, don't scan.
        let stored: std::collections::HashSet<&Checkpoint> = stored_checkpoints.iter().collect();
        for checkpoint in external {
            let in_database = stored.contains(checkpoint);
            match covered(checkpoint, CheckpointSource::File) {
                Err(ChainViolation::Truncated { last, checkpoint }) if !in_database => {
                    return Err(ChainViolation::CheckpointsDeletedWithTail { last, checkpoint });
                }
                result => result?,
            }
            if !in_database {
                return Err(ChainViolation::CheckpointDeleted {
                    sequence: checkpoint.sequence,
                });
            }
            latest_checkpoint = latest_checkpoint.max(Some(checkpoint.sequence));
        }
    }
    let unkeyed_prefix = first_keyed.map_or(last, |first| first - 1);
    let unsigned_tail =
        usize::try_from(last - latest_checkpoint.unwrap_or(0)).unwrap_or(usize::MAX);
    Ok(ChainReport {
        entries: entries.len(),
        head,
        unkeyed_prefix,
        latest_checkpoint,
        external_checkpoints: external_checkpoints.map(<[Checkpoint]>::len),
        unsigned_tail,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> OfficeSigningKey {
        OfficeSigningKey::from_seed(&[7; 32])
    }

    fn record(n: i64) -> AuditRecord {
        AuditRecord::new(
            n,
            "officer-7",
            "identity.read",
            format!("case-{n}"),
            b"name",
        )
    }

    /// `unkeyed` entries with v1 hashes, then `keyed` with v2, and a checkpoint after every entry listed.
    fn chain(
        unkeyed: i64,
        keyed: i64,
        checkpoint_at: &[u64],
    ) -> (Vec<AuditEntry>, Vec<Checkpoint>) {
        let audit_key = AuditKey::from_signing_key(&key());
        let mut head = ChainHead::empty();
        let mut entries = Vec::new();
        for n in 0..unkeyed + keyed {
            entries.push(if n < unkeyed {
                head.append_unkeyed(record(n))
            } else {
                head.append(record(n), &audit_key)
            });
        }
        let checkpoints = checkpoint_at
            .iter()
            .map(|&sequence| Checkpoint::sign(&key(), &entries[sequence as usize - 1], 99))
            .collect();
        (entries, checkpoints)
    }

    fn check(
        entries: &[AuditEntry],
        stored: &[Checkpoint],
        external: Option<&[Checkpoint]>,
    ) -> Result<ChainReport, ChainViolation> {
        let signing = key().public_key();
        let audit = AuditKey::from_signing_key(&key());
        verify(
            entries,
            stored,
            external,
            &ChainKeys {
                signing: &signing,
                audit: &audit,
            },
        )
    }

    #[test]
    fn encoding_separates_fields() {
        // Without length prefixes these two would hash alike.
        let audit_key = AuditKey::from_signing_key(&key());
        let a = AuditRecord::new(1, "ab", "c", "d", b"");
        let b = AuditRecord::new(1, "a", "bc", "d", b"");
        assert_ne!(
            AuditEntry::compute_unkeyed_hash(1, &a, &ChainHash::GENESIS),
            AuditEntry::compute_unkeyed_hash(1, &b, &ChainHash::GENESIS)
        );
        assert_ne!(
            AuditEntry::compute_keyed_hash(&audit_key, 1, &a, &ChainHash::GENESIS),
            AuditEntry::compute_keyed_hash(&audit_key, 1, &b, &ChainHash::GENESIS)
        );
    }

    #[test]
    fn both_encodings_match_an_outside_computation() {
        // Computed with Python's hmac and hashlib from the module documentation alone.
        let entry = AuditRecord::new(
            1_800_000_000_000,
            "officer-7",
            "identity.read",
            "case-1",
            b"name",
        );
        let audit_key = AuditKey::from_signing_key(&key());
        assert_eq!(
            AuditEntry::compute_keyed_hash(&audit_key, 1, &entry, &ChainHash::GENESIS).to_string(),
            "54fa5efea3ce78882e8ec2989a4173bb944fad53b32c9642ced42995b124e09b"
        );
        assert_eq!(
            AuditEntry::compute_unkeyed_hash(1, &entry, &ChainHash::GENESIS).to_string(),
            "39700d3efb37658d6bbfa4d655a4fdaf338f7f796148bb6d4cd030e9efa16612"
        );
        assert_eq!(format!("{audit_key:?}"), "[redacted]");
    }

    #[test]
    fn chain_hash_hex_round_trips() {
        let hash = ChainHash::of(b"x");
        assert_eq!(ChainHash::parse(&hash.to_string()), Some(hash));
        assert_eq!(ChainHash::parse("zz"), None);
        // A published vector, so outside verifiers can check their SHA-256.
        assert_eq!(
            ChainHash::of(b"abc").to_string(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn checkpoint_lines_round_trip() {
        let key = OfficeSigningKey::generate();
        let mut head = ChainHead::empty();
        let entry = head.append(
            AuditRecord::new(10, "auditor", "checkpoint", "", b""),
            &AuditKey::from_signing_key(&key),
        );
        let checkpoint = Checkpoint::sign(&key, &entry, 11);
        let parsed = Checkpoint::parse_line(&checkpoint.to_line()).unwrap();
        assert_eq!(parsed, checkpoint);
        assert!(parsed.verify_signature(&key.public_key()).is_ok());
        for bad in [
            "",
            "sito-checkpoint-v1 1 2 zz AAAA",
            "sito-checkpoint-v2 1 2 3 4",
            "sito-checkpoint-v1 x 2 3 4",
        ] {
            assert!(
                matches!(
                    Checkpoint::parse_line(bad),
                    Err(CryptoError::MalformedCheckpoint(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn head_appends_in_sequence() {
        let audit_key = AuditKey::from_signing_key(&key());
        let mut head = ChainHead::empty();
        let first = head.append(record(10), &audit_key);
        let second = head.append(record(11), &audit_key);
        assert_eq!((first.sequence, second.sequence), (1, 2));
        assert_eq!(second.previous_hash, first.hash);
        assert_eq!(
            head,
            ChainHead {
                next_sequence: 3,
                head_hash: second.hash
            }
        );
    }

    #[test]
    fn an_unkeyed_prefix_is_accepted_and_its_boundary_reported() {
        for (unkeyed, keyed) in [(0, 5), (3, 4), (5, 0), (0, 0)] {
            let (entries, checkpoints) = chain(unkeyed, keyed, &[]);
            let report = check(&entries, &checkpoints, Some(&[])).unwrap();
            assert_eq!(report.unkeyed_prefix, unkeyed as u64, "{unkeyed} {keyed}");
            assert_eq!(report.entries, (unkeyed + keyed) as usize);
        }
    }

    #[test]
    fn a_tail_forged_without_the_key_is_refused() {
        let (mut entries, _) = chain(2, 4, &[]);
        let mut head = ChainHead::after(&entries[5]);
        // Plain SHA-256, correctly linked: what an attacker with only the database can make.
        entries.push(head.append_unkeyed(record(50)));
        assert_eq!(
            check(&entries, &[], None),
            Err(ChainViolation::UnkeyedAfterKeyed {
                sequence: 7,
                first_keyed: 3
            })
        );
        // Any other key is no better.
        entries.pop();
        let mut head = ChainHead::after(&entries[5]);
        entries.push(head.append(
            record(50),
            &AuditKey::from_signing_key(&OfficeSigningKey::generate()),
        ));
        assert_eq!(
            check(&entries, &[], None),
            Err(ChainViolation::HashMismatch { sequence: 7 })
        );
    }

    #[test]
    fn checkpoints_outside_the_database_catch_what_the_database_lost() {
        let (entries, checkpoints) = chain(0, 10, &[4, 8]);
        let intact = check(&entries, &checkpoints, Some(&checkpoints)).unwrap();
        assert_eq!(
            (intact.latest_checkpoint, intact.unsigned_tail),
            (Some(8), 2)
        );
        assert_eq!(intact.external_checkpoints, Some(2));
        let cases: [(&[AuditEntry], &[Checkpoint], ChainViolation); 3] = [
            (
                &entries[..6],
                &checkpoints[..1],
                ChainViolation::CheckpointsDeletedWithTail {
                    last: 6,
                    checkpoint: 8,
                },
            ),
            (
                &entries,
                &checkpoints[..1],
                ChainViolation::CheckpointDeleted { sequence: 8 },
            ),
            (
                &entries[..7],
                &checkpoints,
                ChainViolation::Truncated {
                    last: 7,
                    checkpoint: 8,
                },
            ),
        ];
        for (entries, stored, expected) in cases {
            assert_eq!(check(entries, stored, Some(&checkpoints)), Err(expected));
        }
        let mut forged = checkpoints[1].clone();
        forged.signature[0] ^= 1;
        assert_eq!(
            check(&entries, &checkpoints, Some(&[forged])),
            Err(ChainViolation::BadCheckpointSignature {
                sequence: 8,
                origin: CheckpointSource::File
            })
        );
    }
}
