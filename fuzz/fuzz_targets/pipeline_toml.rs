//! The pipeline file: an office edits it by hand, so any text must give a pipeline or an error naming the line.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = sito_core::Pipeline::from_toml("fuzz.toml", text);
});
