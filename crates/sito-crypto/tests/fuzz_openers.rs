//! Every parser of outside bytes returns a typed error on garbage and never panics.
use std::io::Read;

use proptest::prelude::*;
use sito_core::{CaseId, FieldGroup};
use sito_crypto::{
    AddressStatement, CaseKey, Codename, Identity, OfficeRecipients, ReplyRecipient,
    SigningPublicKey, seal,
};
use uuid::Uuid;

fn age_like_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..600),
        // Past the magic line, so the header parser itself is exercised.
        proptest::collection::vec(any::<u8>(), 0..400).prop_map(|tail| {
            let mut bytes = b"age-encryption.org/v1\n-> X25519 ".to_vec();
            bytes.extend(tail);
            bytes
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn random_bytes_never_panic_the_openers(bytes in age_like_bytes()) {
        let identity = Identity::generate();
        prop_assert!(seal::open([&identity], &bytes).is_err());
        if let Ok(mut reader) = seal::open_reader([&identity], bytes.as_slice()) {
            let mut sink = Vec::new();
            let _ = reader.read_to_end(&mut sink);
        }
        prop_assert!(CaseKey::unwrap(&bytes, [&identity]).is_err());
        let case = CaseId::from_uuid(Uuid::from_u128(7));
        prop_assert!(CaseKey::generate().decrypt_field(case, FieldGroup::Identity, &bytes).is_err());
    }

    #[test]
    fn flipped_bytes_of_a_real_blob_never_panic(position in 0usize..400, flip in 1u8..=255) {
        let identity = Identity::generate();
        let recipients = OfficeRecipients::new(vec![identity.recipient()]).unwrap();
        let mut blob = recipients.seal(b"some application text").unwrap().into_bytes();
        let position = position % blob.len();
        blob[position] ^= flip;
        prop_assert!(seal::open([&identity], &blob).is_err());
    }

    #[test]
    fn random_text_never_panics_the_text_parsers(text in "\\PC{0,200}") {
        let _ = Codename::parse(&text);
        let _ = ReplyRecipient::parse_record(&text);
        let _ = OfficeRecipients::parse(&text);
        let _ = SigningPublicKey::parse(&text);
        let _ = sito_crypto::Checkpoint::parse_line(&text);
        let key = sito_crypto::OfficeSigningKey::generate().public_key();
        prop_assert!(AddressStatement::verify(&text, &key).is_err());
        let wrapped = format!("-----BEGIN SITO ADDRESS STATEMENT-----\nsito-addresses-v1\n{text}\n-----BEGIN ED25519 SIGNATURE-----\n");
        prop_assert!(AddressStatement::verify(&wrapped, &key).is_err());
    }

    #[test]
    fn codename_words_in_any_case_and_separator_parse(words in proptest::collection::vec(0usize..2048, 8), upper in any::<bool>(), separator in prop_oneof![Just(" "), Just("-"), Just("  "), Just(" - "), Just("_")]) {
        let list = bip39_words();
        let typed: Vec<String> = words.iter().map(|&index| if upper { list[index].to_uppercase() } else { list[index].to_owned() }).collect();
        let codename = Codename::parse(&typed.join(separator)).unwrap();
        let canonical: Vec<&str> = words.iter().map(|&index| list[index]).collect();
        prop_assert_eq!(codename.expose(), canonical.join(" "));
    }
}

fn bip39_words() -> &'static [&'static str; 2048] {
    sito_crypto::codename::word_list()
}
