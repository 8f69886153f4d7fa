//! `sito plan`'s instance file.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = sito_plan::schedule::Instance::from_json(text);
});
