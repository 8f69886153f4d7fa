//! The engine of `sito screen` without the rest of the CLI, for benchmarks and for development while the
//! binary's other crates are being rebuilt: `screen_files WATCHLIST APPLICANTS [OUT] [THRESHOLD] [THREADS]`.
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use sito_screen::DEFAULT_THRESHOLD;
use sito_screen::batch::{BatchError, render_csv, run_files, write_atomically};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: screen_files WATCHLIST APPLICANTS [OUT] [THRESHOLD] [THREADS]");
        return ExitCode::from(2);
    }
    let threshold = args
        .get(4)
        .and_then(|t| t.parse().ok())
        .unwrap_or(DEFAULT_THRESHOLD);
    let threads = args.get(5).and_then(|t| t.parse().ok());
    let started = Instant::now();
    match run_files(
        Path::new(&args[1]),
        Path::new(&args[2]),
        threshold,
        threads,
        &|_, _| {},
    ) {
        Ok((rows, summary)) => {
            let csv = render_csv(&rows);
            let written = match args.get(3).filter(|o| o.as_str() != "-") {
                Some(out) => write_atomically(Path::new(out), csv.as_bytes()),
                None => {
                    print!("{csv}");
                    Ok(())
                }
            };
            if let Err(error) = written {
                eprintln!("error: {error}");
                return ExitCode::from(1);
            }
            eprintln!(
                "screened {} applicants against {} entries: {} hits in {:.2} s",
                summary.applicants,
                summary.watchlist_entries,
                summary.hits,
                started.elapsed().as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Err(BatchError::Input(error)) => {
            eprintln!("error: {error}");
            ExitCode::from(2)
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(1)
        }
    }
}
