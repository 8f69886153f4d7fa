//! Invariant 5: every kind of quiet rewrite of the audit log is detected, including one whose author
//! recomputes the chain with plain SHA-256 (they have the database, not the keyring).
use proptest::prelude::*;
use sito_crypto::audit::{
    self, AuditKey, ChainKeys, ChainReport, CheckpointSource, FIRST_SEQUENCE,
};
use sito_crypto::{
    AuditEntry, AuditRecord, ChainHash, ChainHead, ChainViolation, Checkpoint, OfficeSigningKey,
};

const T0: i64 = 1_795_408_625_000;

fn record(index: usize) -> AuditRecord {
    AuditRecord::new(
        T0 + index as i64 * 1_000,
        format!("officer-{}", index % 3),
        ["read_identity", "transition", "write_note"][index % 3],
        format!("case-{}", index % 5),
        format!("detail {index}").as_bytes(),
    )
}

fn chain(length: usize, key: &OfficeSigningKey) -> Vec<AuditEntry> {
    let audit_key = AuditKey::from_signing_key(key);
    let mut head = ChainHead::empty();
    (0..length)
        .map(|index| head.append(record(index), &audit_key))
        .collect()
}

/// Verifies against the office's keys, with only the database's checkpoints.
fn verify(
    entries: &[AuditEntry],
    checkpoints: &[Checkpoint],
    key: &OfficeSigningKey,
) -> Result<ChainReport, ChainViolation> {
    let signing = key.public_key();
    let audit = AuditKey::from_signing_key(key);
    audit::verify(
        entries,
        checkpoints,
        None,
        &ChainKeys {
            signing: &signing,
            audit: &audit,
        },
    )
}

/// A chain with a checkpoint every `every` entries and one at the very end.
fn signed_chain(
    length: usize,
    every: usize,
    key: &OfficeSigningKey,
) -> (Vec<AuditEntry>, Vec<Checkpoint>) {
    let entries = chain(length, key);
    let mut checkpoints: Vec<Checkpoint> = entries
        .iter()
        .filter(|entry| entry.sequence % every as u64 == 0)
        .map(|entry| Checkpoint::sign(key, entry, entry.record.time_unix_ms + 1))
        .collect();
    if let Some(last) = entries.last()
        && checkpoints.last().map(|checkpoint| checkpoint.sequence) != Some(last.sequence)
    {
        checkpoints.push(Checkpoint::sign(key, last, last.record.time_unix_ms + 1));
    }
    (entries, checkpoints)
}

/// Recomputes every hash from `from` on with plain SHA-256, as an attacker with write access to the log (and
/// without the keyring) would.
fn rehash_from(entries: &mut [AuditEntry], from: usize) {
    for index in from..entries.len() {
        entries[index].sequence = FIRST_SEQUENCE + index as u64;
        entries[index].previous_hash = if index == 0 {
            ChainHash::GENESIS
        } else {
            entries[index - 1].hash
        };
        entries[index].hash = AuditEntry::compute_unkeyed_hash(
            entries[index].sequence,
            &entries[index].record,
            &entries[index].previous_hash,
        );
    }
}

#[test]
fn an_intact_chain_verifies() {
    let key = OfficeSigningKey::generate();
    let (entries, checkpoints) = signed_chain(25, 10, &key);
    let report = verify(&entries, &checkpoints, &key).unwrap();
    assert_eq!(report.entries, 25);
    assert_eq!(report.latest_checkpoint, Some(25));
    assert_eq!(report.unsigned_tail, 0);

    // Entries appended after the last checkpoint verify, and are reported as not yet signed.
    let mut longer = entries.clone();
    let mut head = ChainHead::after(longer.last().unwrap());
    longer.push(head.append(record(99), &AuditKey::from_signing_key(&key)));
    let report = verify(&longer, &checkpoints, &key).unwrap();
    assert_eq!(report.unsigned_tail, 1);
    assert!(verify(&[], &[], &key).is_ok());
}

#[test]
fn an_edited_entry_is_detected() {
    let key = OfficeSigningKey::generate();
    let (mut entries, checkpoints) = signed_chain(20, 5, &key);
    entries[7].record.actor = "someone-else".into();
    assert_eq!(
        verify(&entries, &checkpoints, &key),
        Err(ChainViolation::HashMismatch { sequence: 8 })
    );
    // Rehashing the rest without the key to hide it gives plain hashes after keyed ones.
    rehash_from(&mut entries, 7);
    assert_eq!(
        verify(&entries, &checkpoints, &key),
        Err(ChainViolation::UnkeyedAfterKeyed {
            sequence: 8,
            first_keyed: 1
        })
    );
    // Rehashing all of it makes an unkeyed log, which the signed checkpoints refuse.
    rehash_from(&mut entries, 0);
    assert_eq!(
        verify(&entries, &checkpoints, &key),
        Err(ChainViolation::CheckpointMismatch {
            sequence: 5,
            origin: CheckpointSource::Database
        })
    );
}

#[test]
fn a_deleted_entry_is_detected() {
    let key = OfficeSigningKey::generate();
    let (mut entries, checkpoints) = signed_chain(20, 5, &key);
    entries.remove(12);
    assert_eq!(
        verify(&entries, &checkpoints, &key),
        Err(ChainViolation::SequenceGap {
            position: 12,
            expected: 13,
            found: 14
        })
    );
    rehash_from(&mut entries, 12);
    assert!(verify(&entries, &checkpoints, &key).is_err());
}

#[test]
fn an_inserted_entry_is_detected() {
    let key = OfficeSigningKey::generate();
    let (mut entries, checkpoints) = signed_chain(20, 5, &key);
    let mut forged = entries[4].clone();
    forged.record = record(50);
    entries.insert(5, forged);
    assert!(matches!(
        verify(&entries, &checkpoints, &key),
        Err(ChainViolation::SequenceGap { position: 5, .. })
    ));
    rehash_from(&mut entries, 5);
    assert!(verify(&entries, &checkpoints, &key).is_err());
}

#[test]
fn reordered_entries_are_detected() {
    let key = OfficeSigningKey::generate();
    let (mut entries, checkpoints) = signed_chain(20, 5, &key);
    entries.swap(3, 4);
    assert!(matches!(
        verify(&entries, &checkpoints, &key),
        Err(ChainViolation::SequenceGap { position: 3, .. })
    ));
    // Renumbering the swapped pair to hide the order breaks their hashes and links.
    entries[3].sequence = 4;
    entries[4].sequence = 5;
    assert!(verify(&entries, &checkpoints, &key).is_err());
}

#[test]
fn a_truncated_tail_is_detected_against_the_latest_checkpoint() {
    let key = OfficeSigningKey::generate();
    let (mut entries, checkpoints) = signed_chain(20, 5, &key);
    entries.truncate(17);
    assert_eq!(
        verify(&entries, &checkpoints, &key),
        Err(ChainViolation::Truncated {
            last: 17,
            checkpoint: 20
        })
    );
}

#[test]
fn forged_or_foreign_checkpoints_are_rejected() {
    let key = OfficeSigningKey::generate();
    let (entries, mut checkpoints) = signed_chain(10, 5, &key);
    let intruder = OfficeSigningKey::generate();
    // The intruder's key does not make the office's MACs either.
    assert_eq!(
        verify(&entries, &checkpoints, &intruder),
        Err(ChainViolation::HashMismatch { sequence: 1 })
    );
    let signing = intruder.public_key();
    let audit = AuditKey::from_signing_key(&key);
    assert_eq!(
        audit::verify(
            &entries,
            &checkpoints,
            None,
            &ChainKeys {
                signing: &signing,
                audit: &audit
            }
        ),
        Err(ChainViolation::BadCheckpointSignature {
            sequence: 5,
            origin: CheckpointSource::Database
        })
    );
    checkpoints[1].time_unix_ms += 1;
    assert_eq!(
        verify(&entries, &checkpoints, &key),
        Err(ChainViolation::BadCheckpointSignature {
            sequence: 10,
            origin: CheckpointSource::Database
        })
    );
}

/// One way to tamper with a stored chain.
#[derive(Clone, Debug)]
enum Mutation {
    EditActor { index: usize, text: String },
    EditAction { index: usize, text: String },
    EditSubject { index: usize, text: String },
    EditTime { index: usize, delta: i64 },
    EditDetail { index: usize, byte: u8 },
    EditSequence { index: usize, delta: u64 },
    Delete { index: usize },
    Duplicate { index: usize },
    Swap { index: usize },
    Truncate { keep: usize },
}

fn mutation(length: usize) -> impl Strategy<Value = Mutation> {
    let index = 0..length;
    prop_oneof![
        (index.clone(), "[a-z]{0,8}").prop_map(|(index, text)| Mutation::EditActor { index, text }),
        (index.clone(), "[a-z_]{0,8}")
            .prop_map(|(index, text)| Mutation::EditAction { index, text }),
        (index.clone(), "[a-z0-9-]{0,8}")
            .prop_map(|(index, text)| Mutation::EditSubject { index, text }),
        (index.clone(), prop_oneof![-1000i64..0, 1i64..1000])
            .prop_map(|(index, delta)| Mutation::EditTime { index, delta }),
        (index.clone(), 1u8..=255).prop_map(|(index, byte)| Mutation::EditDetail { index, byte }),
        (index.clone(), 1u64..5).prop_map(|(index, delta)| Mutation::EditSequence { index, delta }),
        index.clone().prop_map(|index| Mutation::Delete { index }),
        index
            .clone()
            .prop_map(|index| Mutation::Duplicate { index }),
        (0..length - 1).prop_map(|index| Mutation::Swap { index }),
        (0..length).prop_map(|keep| Mutation::Truncate { keep }),
    ]
}

fn apply(entries: &mut Vec<AuditEntry>, mutation: &Mutation) {
    match mutation {
        Mutation::EditActor { index, text } => entries[*index].record.actor = text.clone(),
        Mutation::EditAction { index, text } => entries[*index].record.action = text.clone(),
        Mutation::EditSubject { index, text } => entries[*index].record.subject = text.clone(),
        Mutation::EditTime { index, delta } => entries[*index].record.time_unix_ms += delta,
        Mutation::EditDetail { index, byte } => entries[*index].record.detail_hash.0[0] ^= byte,
        Mutation::EditSequence { index, delta } => entries[*index].sequence += delta,
        Mutation::Delete { index } => {
            entries.remove(*index);
        }
        Mutation::Duplicate { index } => entries.insert(*index, entries[*index].clone()),
        Mutation::Swap { index } => entries.swap(*index, index + 1),
        Mutation::Truncate { keep } => entries.truncate(*keep),
    }
}

/// One signing key for all property cases: key generation is not what is under test, and signing in an
/// unoptimised build is slow.
fn shared_key() -> &'static OfficeSigningKey {
    static KEY: std::sync::OnceLock<OfficeSigningKey> = std::sync::OnceLock::new();
    KEY.get_or_init(OfficeSigningKey::generate)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn any_single_mutation_is_detected(
        (length, every, mutation, rehash) in (2usize..30, 2usize..10)
            .prop_flat_map(|(length, every)| (Just(length), Just(every), mutation(length), any::<bool>()))
    ) {
        let key = shared_key();
        let (mut entries, checkpoints) = signed_chain(length, every, key);
        let original = entries.clone();
        apply(&mut entries, &mutation);
        if rehash {
            // The attacker also recomputes every hash; only the signed checkpoints stand in the way.
            rehash_from(&mut entries, 0);
        }
        // Some mutations change nothing (writing the same actor back, renumbering undone by rehashing).
        if entries != original {
            // The last entry is always signed and nothing verifies without the key, so there is no blind spot.
            let verdict = verify(&entries, &checkpoints, key);
            prop_assert!(verdict.is_err(), "undetected: {:?} (rehashed: {})", mutation, rehash);
        }
    }
}
