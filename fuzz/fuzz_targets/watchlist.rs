//! Watchlist imports (CSV or FollowTheMoney JSON lines): files from outside sources.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Ok(mut file) = tempfile::NamedTempFile::new() else {
        return;
    };
    if std::io::Write::write_all(&mut file, bytes).is_ok() {
        let _ = sito_screen::read::read_watchlist(file.path());
    }
});
