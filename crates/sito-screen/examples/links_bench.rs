//! Link analysis at scale: `links_bench [APPLICATIONS]` (default 1,000,000) builds synthetic applications with
//! six keys each, some shared in small rings and a few shared by hundreds, and times `links::analyse`.
use std::time::Instant;

use sito_screen::links::{ApplicationKeys, KeyKind, LinkConfig, analyse};

/// A small deterministic generator, so the benchmark needs no randomness crate.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

fn main() {
    let count: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let mut random = SplitMix(42);
    let kinds = [
        KeyKind::Phone,
        KeyKind::Email,
        KeyKind::Handle,
        KeyKind::Document,
        KeyKind::Address,
        KeyKind::Referrer,
    ];
    let applications: Vec<ApplicationKeys> = (0..count)
        .map(|i| {
            let keys = kinds
                .iter()
                .map(|kind| {
                    let roll = random.next() % 1000;
                    // 2% share a key with a small ring, 0.1% use a very common one, the rest are unique.
                    // Rings are groups of four neighbouring applications, so some members share several kinds.
                    let value = if roll < 20 {
                        format!("ring-{}", i / 4)
                    } else if roll < 21 {
                        format!("common-{}", random.next() % 50)
                    } else {
                        format!("unique-{i}")
                    };
                    // 64 hex characters, like the HMAC blind indexes the office feeds.
                    (
                        *kind,
                        format!(
                            "{:064x}",
                            u128::from_str_radix(&format!("{:x}", fxhash(&value)), 16).unwrap_or(0)
                        ),
                    )
                })
                .collect();
            ApplicationKeys { keys }
        })
        .collect();
    let started = Instant::now();
    let report = analyse(&applications, LinkConfig::default());
    let flagged = report.groups.iter().filter(|g| g.flagged).count();
    println!(
        "applications={count} groups={} flagged={flagged} common_keys={} seconds={:.2}",
        report.groups.len(),
        report.common_keys.len(),
        started.elapsed().as_secs_f64()
    );
}

fn fxhash(text: &str) -> u128 {
    let mut hash: u128 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash = (hash ^ u128::from(byte)).wrapping_mul(0x0000_0000_0100_0000_0000_0000_0000_013b);
    }
    hash
}
