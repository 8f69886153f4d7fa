//! The intake API's JSON body: sent by anyone on the internet.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    let _ = sito_intake::application::Application::from_json(body);
});
