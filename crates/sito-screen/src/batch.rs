//! Batch screening: many applicants against one index, in parallel, with deterministic output order.

use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use crate::index::{Applicant, Hit, Index};

/// Failure to set up the worker threads.
#[derive(Debug, thiserror::Error)]
#[error("cannot start {threads} worker threads: {message}")]
pub struct PoolError {
    pub threads: usize,
    pub message: String,
}

/// Runs `work` on a pool of `threads` workers (all cores when `None`).
pub fn in_pool<T: Send>(
    threads: Option<usize>,
    work: impl FnOnce() -> T + Send,
) -> Result<T, PoolError> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(threads) = threads {
        builder = builder.num_threads(threads);
    }
    let pool = builder.build().map_err(|e| PoolError {
        threads: threads.unwrap_or(0),
        message: e.to_string(),
    })?;
    Ok(pool.install(work))
}

/// One output row of `sito screen`.
#[derive(Clone, Debug, PartialEq)]
pub struct HitRow {
    pub applicant_id: String,
    pub hit: Hit,
}

/// Screens every applicant; rows sorted by applicant id, then score descending, then watchlist id.
/// `progress` is called with the number of applicants done so far, from worker threads.
pub fn screen_all(
    index: &Index,
    applicants: &[Applicant],
    threshold: f64,
    progress: &(dyn Fn(usize) + Sync),
) -> Vec<HitRow> {
    let done = AtomicUsize::new(0);
    let mut rows: Vec<HitRow> = applicants
        .par_iter()
        .flat_map_iter(|applicant| {
            let hits = index.screen_with_threshold(applicant, threshold);
            let finished = done.fetch_add(1, Ordering::Relaxed) + 1;
            if finished.is_multiple_of(64) || finished == applicants.len() {
                progress(finished);
            }
            hits.into_iter().map(|hit| HitRow {
                applicant_id: applicant.id.clone(),
                hit,
            })
        })
        .collect();
    rows.sort_by(|a, b| {
        a.applicant_id
            .cmp(&b.applicant_id)
            .then_with(|| b.hit.score.total_cmp(&a.hit.score))
            .then_with(|| a.hit.watchlist_id.cmp(&b.hit.watchlist_id))
    });
    rows
}

/// What one batch run read and found, for the summary line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub watchlist_entries: usize,
    pub skipped_entities: usize,
    pub applicants: usize,
    pub hits: usize,
}

/// A batch run's failure: the caller's input, or the machine.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error(transparent)]
    Input(#[from] crate::read::ReadError),
    #[error(transparent)]
    Pool(#[from] PoolError),
}

/// Reads both files, builds the index and screens every applicant: the whole of `sito screen` but the output.
/// `progress(done, total)` is called from worker threads.
pub fn run_files(
    watchlist: &std::path::Path,
    applicants: &std::path::Path,
    threshold: f64,
    threads: Option<usize>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<(Vec<HitRow>, Summary), BatchError> {
    let (records, skipped) = crate::read::read_watchlist(watchlist)?;
    let applicant_records = crate::read::read_applicants_csv(applicants)?;
    let mut summary = Summary {
        watchlist_entries: records.len(),
        skipped_entities: skipped.other_schema,
        applicants: applicant_records.len(),
        hits: 0,
    };
    let rows = in_pool(threads, || {
        let index = Index::build(&crate::index::Watchlist::from_records(records));
        let prepared: Vec<Applicant> = applicant_records
            .par_iter()
            .map(Applicant::from_record)
            .collect();
        let total = prepared.len();
        screen_all(&index, &prepared, threshold, &|done| progress(done, total))
    })?;
    summary.hits = rows.len();
    Ok((rows, summary))
}

fn csv_field(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains([',', '"', '\n', '\r']) {
        std::borrow::Cow::Owned(format!("\"{}\"", text.replace('"', "\"\"")))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// The contract's output: header `applicant_id,watchlist_id,score,explanation`, one row per hit.
pub fn render_csv(rows: &[HitRow]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(64 + rows.len() * 96);
    out.push_str("applicant_id,watchlist_id,score,explanation\n");
    for row in rows {
        let _ = writeln!(
            out,
            "{},{},{:.4},{}",
            csv_field(&row.applicant_id),
            csv_field(&row.hit.watchlist_id),
            row.hit.score,
            csv_field(&row.hit.explanation.render())
        );
    }
    out
}

/// Writes to a temporary file beside the target, then renames it: a failure never leaves a partial file.
pub fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => std::path::PathBuf::from("."),
    };
    let file_name = path
        .file_name()
        .map_or_else(|| "hits.csv".into(), |n| n.to_string_lossy().into_owned());
    let temporary = directory.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let result = std::fs::write(&temporary, bytes).and_then(|()| std::fs::rename(&temporary, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
}
