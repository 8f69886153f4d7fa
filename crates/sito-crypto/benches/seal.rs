//! How fast the intake seals a typical submission, and what the other hot paths cost.
//! Run: `cargo bench -p sito-crypto --bench seal`.

// A benchmark whose setup fails should stop loudly, so unwrap is the right tool here.
#![allow(clippy::unwrap_used)]
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sito_crypto::{
    BlindIndexKey, Codename, CodenameLookup, IdentifierKind, Identity, KdfParams, OfficeRecipients,
    Pepper, seal,
};

fn submission() -> Vec<u8> {
    "Анкета: служил, мотивация, контакты. "
        .bytes()
        .cycle()
        .take(4096)
        .collect()
}

fn sealing(c: &mut Criterion) {
    let office = Identity::generate();
    let recipients = OfficeRecipients::with_first(office.recipient(), []);
    let plaintext = submission();
    let blob = recipients.seal(&plaintext).unwrap();

    let mut group = c.benchmark_group("seal_4KiB");
    group.throughput(Throughput::Elements(1));
    group.bench_function("seal_one_recipient", |b| {
        b.iter(|| recipients.seal(black_box(&plaintext)).unwrap())
    });
    let two = OfficeRecipients::with_first(office.recipient(), [Identity::generate().recipient()]);
    group.bench_function("seal_two_recipients", |b| {
        b.iter(|| two.seal(black_box(&plaintext)).unwrap())
    });
    group.bench_function("open", |b| {
        b.iter(|| seal::open([&office], black_box(blob.as_bytes())).unwrap())
    });
    group.finish();
}

fn indexes_and_codenames(c: &mut Criterion) {
    let key = BlindIndexKey::generate();
    c.bench_function("blind_index_phone", |b| {
        b.iter(|| {
            key.index(IdentifierKind::Phone, black_box("+7 (916) 123-45-67"))
                .unwrap()
        })
    });
    let lookup = CodenameLookup::new(Pepper::generate(), KdfParams::INTERACTIVE).unwrap();
    let codename = Codename::generate();
    let mut group = c.benchmark_group("codename");
    group.sample_size(10);
    group.bench_function("lookup_key_interactive_params", |b| {
        b.iter(|| lookup.lookup_key(black_box(&codename)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, sealing, indexes_and_codenames);
criterion_main!(benches);
