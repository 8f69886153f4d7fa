//! The intake's limits, each measured alone (bench/intake/run.sh runs this beside the HTTP load):
//! sealing an application to the office, the two argon2id derivations a new codename needs (at the cost a new
//! intake records, `KdfParams::RANDOM_SECRET`), and a durable
//! SQLite commit (one row per transaction, and group commits of 64).
//!
//! `cargo run --release -p sito-intake --example intake_limits`
use std::sync::Arc;
use std::time::{Duration, Instant};

use sito_crypto::{
    Codename, CodenameLookup, Identity, KdfParams, OfficeRecipients, Pepper, ReplyRecipient,
};
use sito_intake::store::{IntakeStore, NewSubmission, SqliteIntakeStore};

fn per_second(count: usize, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64()
}

fn submission(sealed: &[u8]) -> NewSubmission {
    NewSubmission {
        submission_id: uuid::Uuid::now_v7().to_string(),
        lookup_key: uuid::Uuid::now_v7().simple().to_string(),
        reply_record: "sito-reply-v1 1024 1 1 AAAAAAAAAAAAAAAAAAAAAA== age1".into(),
        sealed: sealed.to_vec(),
        received_day: "2026-11-23".into(),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let threads = std::thread::available_parallelism()
        .map(usize::from)
        .unwrap_or(2);
    // The intake only ever holds the office's public recipient; the identity here is thrown away.
    let recipients = OfficeRecipients::with_first(Identity::generate().recipient(), []);
    let application = vec![b'x'; 2_000];

    let started = Instant::now();
    let mut sealed = Vec::new();
    let mut count = 0;
    while started.elapsed() < Duration::from_secs(2) {
        sealed = recipients.seal(&application)?.into_bytes();
        count += 1;
    }
    println!(
        "sealing alone (1 core): {:.0} applications/s",
        per_second(count, started.elapsed())
    );

    let lookup = Arc::new(CodenameLookup::new(
        Pepper::generate(),
        KdfParams::RANDOM_SECRET,
    )?);
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let lookup = Arc::clone(&lookup);
            std::thread::spawn(move || {
                let mut done = 0;
                while started.elapsed() < Duration::from_secs(3) {
                    let codename = Codename::generate();
                    let _ = lookup.lookup_key(&codename);
                    let _ = ReplyRecipient::create(&codename, KdfParams::RANDOM_SECRET);
                    done += 1;
                }
                done
            })
        })
        .collect();
    let total: usize = workers
        .into_iter()
        .map(|worker| worker.join().unwrap_or(0))
        .sum();
    println!(
        "codename KDFs alone (lookup + reply key, {} twice, {threads} threads): {:.0} new codenames/s",
        KdfParams::RANDOM_SECRET.to_line(),
        per_second(total, started.elapsed())
    );

    let dir = std::env::temp_dir().join(format!("sito-intake-limits-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let store =
        SqliteIntakeStore::open(&format!("sqlite://{}", dir.join("limits.db").display())).await?;
    let started = Instant::now();
    let mut count = 0;
    while started.elapsed() < Duration::from_secs(2) {
        store.insert_submissions(&[submission(&sealed)]).await?;
        count += 1;
    }
    println!(
        "durable commit alone (1 submission per fsync'd transaction): {:.0} commits/s",
        per_second(count, started.elapsed())
    );
    let started = Instant::now();
    let mut count = 0;
    while started.elapsed() < Duration::from_secs(2) {
        let batch: Vec<_> = (0..64).map(|_| submission(&sealed)).collect();
        store.insert_submissions(&batch).await?;
        count += batch.len();
    }
    println!(
        "durable group commit (64 per transaction): {:.0} submissions/s",
        per_second(count, started.elapsed())
    );
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
