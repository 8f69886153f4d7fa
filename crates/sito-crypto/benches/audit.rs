//! What keying the audit chain costs: appending one entry with the v1 plain SHA-256 hash (before) and the v2
//! HMAC-SHA256 under the audit key (after), deriving the key, and verifying a 100,000-entry keyed chain with
//! its checkpoints. Run: `cargo bench -p sito-crypto --bench audit`.

// A benchmark whose setup fails should stop loudly, so unwrap is the right tool here.
#![allow(clippy::unwrap_used)]
use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use sito_crypto::OfficeSigningKey;
use sito_crypto::audit::{self, AuditKey, AuditRecord, ChainHead, ChainKeys, Checkpoint};

const LONG_CHAIN: usize = 100_000;

fn record(n: usize) -> AuditRecord {
    AuditRecord::new(
        1_800_000_000_000 + n as i64,
        format!("officer-{}", n % 7),
        "identity.read",
        format!("case-{n}"),
        format!("field group identity, case {n}").as_bytes(),
    )
}

fn appending(c: &mut Criterion) {
    let signing = OfficeSigningKey::generate();
    let key = AuditKey::from_signing_key(&signing);
    let mut group = c.benchmark_group("audit_append");
    group.throughput(Throughput::Elements(1));
    // The record is built in the setup, so only chaining (hashing and moving the head) is timed.
    group.bench_function("unkeyed_v1_sha256", |b| {
        let mut head = ChainHead::empty();
        b.iter_batched(
            || record(7),
            |record| head.append_unkeyed(black_box(record)),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("keyed_v2_hmac_sha256", |b| {
        let mut head = ChainHead::empty();
        b.iter_batched(
            || record(7),
            |record| head.append(black_box(record), &key),
            BatchSize::SmallInput,
        )
    });
    // The store derives the key once per appended batch.
    group.bench_function("derive_audit_key", |b| {
        b.iter(|| AuditKey::from_signing_key(black_box(&signing)))
    });
    group.finish();
}

fn verifying(c: &mut Criterion) {
    let signing = OfficeSigningKey::generate();
    let key = AuditKey::from_signing_key(&signing);
    let mut head = ChainHead::empty();
    let entries: Vec<_> = (0..LONG_CHAIN)
        .map(|n| head.append(record(n), &key))
        .collect();
    // A checkpoint every 1,000 entries, in the database and the same ones in the outside file.
    let checkpoints: Vec<_> = entries
        .iter()
        .step_by(1_000)
        .map(|entry| Checkpoint::sign(&signing, entry, 0))
        .collect();
    let public = signing.public_key();
    let keys = ChainKeys {
        signing: &public,
        audit: &key,
    };
    let mut group = c.benchmark_group("audit_verify");
    group.sample_size(10);
    group.throughput(Throughput::Elements(LONG_CHAIN as u64));
    group.bench_function("keyed_100k_entries_100_checkpoints_with_file", |b| {
        b.iter(|| {
            let report =
                audit::verify(black_box(&entries), &checkpoints, Some(&checkpoints), &keys)
                    .unwrap();
            assert_eq!(report.entries, LONG_CHAIN);
            report
        })
    });
    group.finish();
}

criterion_group!(benches, appending, verifying);
criterion_main!(benches);
