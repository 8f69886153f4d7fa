//! The audit hash chain (invariant 5). Each entry's hash is SHA-256 over an unambiguous encoding of the entry
//! and the previous entry's hash, so changing, removing, inserting or reordering any entry breaks every link
//! after it. Checkpoints sign (sequence, head hash, time) with the office's Ed25519 key; an attacker who can
//! rewrite the whole log still cannot forge a checkpoint, and cutting entries off the end is caught against the
//! latest signed checkpoint.
//!
//! Encoding of an entry, all integers big-endian, every string preceded by its byte length as u32:
//! `"sito-audit-entry-v1\0" ‖ sequence u64 ‖ time_unix_ms i64 ‖ actor ‖ action ‖ subject ‖ detail_hash[32] ‖
//! previous_hash[32]`. A checkpoint signs `"sito-audit-checkpoint-v1\0" ‖ sequence u64 ‖ head_hash[32] ‖
//! time_unix_ms i64`. Both are easy to recompute outside Sito.
use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest, Sha256};

use crate::error::CryptoError;
use crate::signing::{OfficeSigningKey, SigningPublicKey};

/// The first entry's sequence number.
pub const FIRST_SEQUENCE: u64 = 1;
const ENTRY_DOMAIN: &[u8] = b"sito-audit-entry-v1\0";
const CHECKPOINT_DOMAIN: &[u8] = b"sito-audit-checkpoint-v1\0";
const CHECKPOINT_LINE_LABEL: &str = "sito-checkpoint-v1";

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

impl AuditEntry {
    /// The hash an entry with these contents must carry.
    pub fn compute_hash(
        sequence: u64,
        record: &AuditRecord,
        previous_hash: &ChainHash,
    ) -> ChainHash {
        let mut hasher = Sha256::new();
        hasher.update(ENTRY_DOMAIN);
        hasher.update(sequence.to_be_bytes());
        hasher.update(record.time_unix_ms.to_be_bytes());
        for text in [&record.actor, &record.action, &record.subject] {
            // Strings over 4 GiB cannot be stored anyway; saturating keeps the encoding total.
            let length = u32::try_from(text.len()).unwrap_or(u32::MAX);
            hasher.update(length.to_be_bytes());
            hasher.update(text.as_bytes());
        }
        hasher.update(record.detail_hash.0);
        hasher.update(previous_hash.0);
        ChainHash(hasher.finalize().into())
    }

    fn is_consistent(&self) -> bool {
        Self::compute_hash(self.sequence, &self.record, &self.previous_hash) == self.hash
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

    /// Chains `record` and moves the head past it.
    pub fn append(&mut self, record: AuditRecord) -> AuditEntry {
        let sequence = self.next_sequence;
        let hash = AuditEntry::compute_hash(sequence, &record, &self.head_hash);
        let entry = AuditEntry {
            sequence,
            record,
            previous_hash: self.head_hash,
            hash,
        };
        *self = Self::after(&entry);
        entry
    }
}

/// A signed statement that the chain had `head_hash` at `sequence`.
#[derive(Clone, Debug, PartialEq, Eq)]
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
    #[error("entry {sequence} does not hash to its stored hash (entry edited)")]
    HashMismatch { sequence: u64 },
    #[error("entry {sequence} does not link to the hash of entry {}", sequence.saturating_sub(1))]
    BrokenLink { sequence: u64 },
    #[error("checkpoint at entry {sequence} has an invalid signature")]
    BadCheckpointSignature { sequence: u64 },
    #[error("checkpoint at entry {sequence} signs a different head hash (the log was rewritten)")]
    CheckpointMismatch { sequence: u64 },
    #[error(
        "the log ends at entry {last}, but a signed checkpoint covers entry {checkpoint} (entries cut off the end)"
    )]
    Truncated { last: u64, checkpoint: u64 },
}

/// What a successful verification established.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainReport {
    pub entries: usize,
    pub head: ChainHead,
    /// The latest checkpoint's sequence, if any.
    pub latest_checkpoint: Option<u64>,
    /// Entries after the latest checkpoint: intact links, but their tail could have been cut unnoticed.
    pub unsigned_tail: usize,
}

/// Checks a whole chain (entries in stored order, starting at [`FIRST_SEQUENCE`]) and its checkpoints.
pub fn verify(
    entries: &[AuditEntry],
    checkpoints: &[Checkpoint],
    key: &SigningPublicKey,
) -> Result<ChainReport, ChainViolation> {
    let mut head = ChainHead::empty();
    for (position, entry) in entries.iter().enumerate() {
        if entry.sequence != head.next_sequence {
            return Err(ChainViolation::SequenceGap {
                position,
                expected: head.next_sequence,
                found: entry.sequence,
            });
        }
        if !entry.is_consistent() {
            return Err(ChainViolation::HashMismatch {
                sequence: entry.sequence,
            });
        }
        if entry.previous_hash != head.head_hash {
            return Err(ChainViolation::BrokenLink {
                sequence: entry.sequence,
            });
        }
        head = ChainHead::after(entry);
    }
    let last = head.next_sequence - 1;
    let mut latest_checkpoint: Option<u64> = None;
    for checkpoint in checkpoints {
        checkpoint
            .verify_signature(key)
            .map_err(|_| ChainViolation::BadCheckpointSignature {
                sequence: checkpoint.sequence,
            })?;
        if checkpoint.sequence > last {
            return Err(ChainViolation::Truncated {
                last,
                checkpoint: checkpoint.sequence,
            });
        }
        let covered = checkpoint
            .sequence
            .checked_sub(FIRST_SEQUENCE)
            .and_then(|index| usize::try_from(index).ok())
            .and_then(|index| entries.get(index));
        match covered {
            Some(entry) if entry.hash == checkpoint.head_hash => {}
            _ => {
                return Err(ChainViolation::CheckpointMismatch {
                    sequence: checkpoint.sequence,
                });
            }
        }
        latest_checkpoint = latest_checkpoint.max(Some(checkpoint.sequence));
    }
    let unsigned_tail =
        usize::try_from(last - latest_checkpoint.unwrap_or(0)).unwrap_or(usize::MAX);
    Ok(ChainReport {
        entries: entries.len(),
        head,
        latest_checkpoint,
        unsigned_tail,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_separates_fields() {
        // Without length prefixes these two would hash alike.
        let a = AuditRecord::new(1, "ab", "c", "d", b"");
        let b = AuditRecord::new(1, "a", "bc", "d", b"");
        assert_ne!(
            AuditEntry::compute_hash(1, &a, &ChainHash::GENESIS),
            AuditEntry::compute_hash(1, &b, &ChainHash::GENESIS)
        );
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
        let entry = head.append(AuditRecord::new(10, "auditor", "checkpoint", "", b""));
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
        let mut head = ChainHead::empty();
        let first = head.append(AuditRecord::new(
            10,
            "officer-7",
            "read",
            "case-1",
            b"identity",
        ));
        let second = head.append(AuditRecord::new(
            11,
            "officer-7",
            "read",
            "case-2",
            b"identity",
        ));
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
}
