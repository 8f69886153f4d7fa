//! `sito screen`: batch watchlist screening, exactly as `contracts/screening.md` describes.
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use sito_screen::DEFAULT_THRESHOLD;
use sito_screen::batch::{BatchError, render_csv, run_files, write_atomically};

#[derive(Args)]
pub struct ScreenArgs {
    /// Watchlist: `.csv` (id,name,aliases,birth_date,birth_place,country) or FollowTheMoney `.json`/`.jsonl`.
    #[arg(long)]
    watchlist: PathBuf,
    /// Applicants: CSV with id,name,birth_date,birth_place.
    #[arg(long)]
    applicants: PathBuf,
    /// Where to write the hits (CSV); standard output when absent.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Lowest score reported, in [0, 1]; the default is the engine's recommended operating point.
    #[arg(long)]
    threshold: Option<f64>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
}

pub fn run(args: ScreenArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let threshold = args.threshold.unwrap_or(DEFAULT_THRESHOLD);
    if !(0.0..=1.0).contains(&threshold) {
        return Err(crate::exit::bad_input(format!(
            "--threshold must be within [0, 1], got {threshold}"
        )));
    }
    if args.threads == Some(0) {
        return Err(crate::exit::bad_input("--threads must be at least 1"));
    }
    // Progress only for a person watching; logs and pipes get the summary line alone.
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = ProgressBar::new(0);
        if let Ok(style) =
            ProgressStyle::with_template("screening {bar:40} {pos}/{len} applicants {elapsed}")
        {
            bar.set_style(style);
        }
        bar
    });
    let progress = |done: usize, total: usize| {
        if let Some(bar) = &bar {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        }
    };
    let result = run_files(
        &args.watchlist,
        &args.applicants,
        threshold,
        args.threads,
        &progress,
    );
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let (rows, summary) = match result {
        Ok(done) => done,
        Err(BatchError::Input(error)) => return Err(crate::exit::bad_input(error.to_string())),
        Err(error) => return Err(error.into()),
    };
    let csv = render_csv(&rows);
    match &args.out {
        Some(path) => write_atomically(path, csv.as_bytes())
            .with_context(|| format!("writing {}", path.display()))?,
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(csv.as_bytes())
                .context("writing hits to standard output")?;
            stdout.flush().context("writing hits to standard output")?;
        }
    }
    let skipped = if summary.skipped_entities > 0 {
        format!(
            " ({} non-Person entities skipped)",
            summary.skipped_entities
        )
    } else {
        String::new()
    };
    eprintln!(
        "screened {} applicants against {} watchlist entries{skipped}: {} hits in {:.2} s",
        summary.applicants,
        summary.watchlist_entries,
        summary.hits,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(directory: &std::path::Path, watchlist: &str) -> ScreenArgs {
        std::fs::write(
            directory.join("watchlist.csv"),
            format!("id,name,aliases,birth_date,birth_place,country\n{watchlist}"),
        )
        .expect("fixture");
        std::fs::write(
            directory.join("applicants.csv"),
            "id,name,birth_date,birth_place\nA2,Petrov Petr,1970,\nA1,Serhii Ivanov,1980-05-05,\n",
        )
        .expect("fixture");
        ScreenArgs {
            watchlist: directory.join("watchlist.csv"),
            applicants: directory.join("applicants.csv"),
            out: Some(directory.join("hits.csv")),
            threshold: None,
            threads: Some(1),
        }
    }

    #[test]
    fn writes_the_contract_csv() {
        let directory = tempfile::tempdir().expect("temp dir");
        run(args(
            directory.path(),
            "W1,Иванов Сергей,,1980-05-05,,ru\nW2,Sidorov Ivan,,,,\n",
        ))
        .expect("runs");
        let written = std::fs::read_to_string(directory.path().join("hits.csv")).expect("output");
        let mut lines = written.lines();
        assert_eq!(
            lines.next(),
            Some("applicant_id,watchlist_id,score,explanation")
        );
        let row = lines.next().expect("one hit");
        assert!(row.starts_with("A1,W1,"), "{row}");
        assert_eq!(lines.next(), None);
    }

    #[test]
    fn bad_input_exits_2_and_writes_nothing() {
        let directory = tempfile::tempdir().expect("temp dir");
        let error =
            run(args(directory.path(), "W1,Иванов Сергей,,1980-5-05,,ru\n")).expect_err("bad date");
        assert!(
            error
                .chain()
                .any(|cause| cause.is::<crate::exit::BadInput>())
        );
        assert!(error.to_string().contains("watchlist.csv:2"), "{error}");
        assert!(!directory.path().join("hits.csv").exists());
        let leftovers = std::fs::read_dir(directory.path()).expect("dir").count();
        assert_eq!(leftovers, 2, "only the two inputs remain");
    }

    #[test]
    fn threshold_out_of_range_is_bad_input() {
        let directory = tempfile::tempdir().expect("temp dir");
        let mut arguments = args(directory.path(), "W1,Иванов Сергей,,,,\n");
        arguments.threshold = Some(1.5);
        let error = run(arguments).expect_err("bad threshold");
        assert!(
            error
                .chain()
                .any(|cause| cause.is::<crate::exit::BadInput>())
        );
    }
}
