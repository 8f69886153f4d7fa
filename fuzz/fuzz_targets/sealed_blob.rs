//! Sealed submissions as the office receives them from the intake: a seized intake could send anything.
#![no_main]
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;

static KEYRING: LazyLock<sito_keyring::OfficeKeyring> =
    LazyLock::new(|| sito_keyring::OfficeKeyring::generate(0));

fuzz_target!(|blob: &[u8]| {
    let _ = KEYRING.open(blob);
});
