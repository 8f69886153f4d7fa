//! What an applicant types as a codename: any text, any script, any length.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|typed: &str| {
    if let Ok(codename) = sito_crypto::Codename::parse(typed) {
        // A parsed codename is canonical: parsing its canonical form gives it back.
        let again = sito_crypto::Codename::parse(codename.expose());
        assert!(again.is_ok_and(|again| again == codename));
    }
});
