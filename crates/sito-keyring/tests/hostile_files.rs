//! The keyring file is outside bytes too (a copied, truncated or tampered file): every malformed one is a typed
//! error, never a panic; and the keyring's `Debug` shows public facts only.
use proptest::prelude::*;
use sito_crypto::{KdfParams, Passphrase};
use sito_keyring::{KEYRING_MAGIC, OfficeKeyring};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn random_keyring_files_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..300), prefix in any::<bool>()) {
        let passphrase = Passphrase::new("passphrase").unwrap();
        let mut file = Vec::new();
        if prefix {
            // A valid header with cheap parameters, so the decryption path (not only the header check) is reached.
            file.extend_from_slice(KEYRING_MAGIC);
            for value in [KdfParams::INSECURE_FAST.memory_kib, 1, 1] {
                file.extend_from_slice(&value.to_le_bytes());
            }
        }
        file.extend(tail);
        prop_assert!(OfficeKeyring::decrypt(&file, &passphrase).is_err());
    }
}

#[test]
fn keyring_debug_shows_public_facts_only() {
    let keyring = OfficeKeyring::generate(0);
    let shown = format!("{keyring:?}");
    assert!(shown.contains("age1"));
    assert!(!shown.contains("AGE-SECRET-KEY"));
    let secret = keyring.current_identity().to_secret_string();
    assert!(!shown.contains(secret.as_str()));
}
