//! Uploaded documents: sniffed by content, images decoded and re-encoded. A hostile file must give a document or
//! a refusal, never a crash or a runaway allocation.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let _ = sito_intake::upload::accept(bytes);
});
