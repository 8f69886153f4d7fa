//! `sito simulate`'s scenario file.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = sito_plan::simulate::Scenario::from_toml_str(text);
});
