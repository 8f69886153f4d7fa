//! Development aid: time of each phase of a batch run. `phases WATCHLIST APPLICANTS [THREADS]`.
use std::path::Path;
use std::time::Instant;

use sito_screen::batch::{in_pool, screen_all};
use sito_screen::{Applicant, DEFAULT_THRESHOLD, Index, Watchlist, read};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let threads = args.get(3).and_then(|t| t.parse().ok());
    let started = Instant::now();
    let (records, _) = read::read_watchlist(Path::new(&args[1]))?;
    let applicants = read::read_applicants_csv(Path::new(&args[2]))?;
    eprintln!("read {:.2} s", started.elapsed().as_secs_f64());
    in_pool(threads, || {
        let phase = Instant::now();
        let index = Index::build(&Watchlist::from_records(records));
        eprintln!(
            "index {:.2} s {:?}",
            phase.elapsed().as_secs_f64(),
            sito_screen::index::key_statistics(&index)
        );
        let phase = Instant::now();
        let prepared: Vec<Applicant> = applicants.iter().map(Applicant::from_record).collect();
        let rows = screen_all(&index, &prepared, DEFAULT_THRESHOLD, &|_| {});
        eprintln!(
            "screen {:.2} s, {} hits",
            phase.elapsed().as_secs_f64(),
            rows.len()
        );
    })?;
    Ok(())
}
