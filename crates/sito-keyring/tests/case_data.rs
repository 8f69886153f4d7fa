//! Invariant 3 end to end: per-case keys wrapped to the office, surviving rotation; crypto-shredding.
use sito_core::{CaseId, FieldGroup};
use sito_crypto::{CaseKey, CryptoError, WrappedCaseKey};
use sito_keyring::OfficeKeyring;
use uuid::Uuid;

const NOW: i64 = 1_795_408_625;

#[test]
fn case_fields_survive_rotation_and_die_with_the_wrapped_key() {
    let case = CaseId::from_uuid(Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001));
    let mut keyring = OfficeKeyring::generate(NOW);

    let key = CaseKey::generate();
    let identity = key
        .encrypt_field(case, FieldGroup::Identity, "Иван Андронников".as_bytes())
        .unwrap();
    let contacts = key
        .encrypt_field(case, FieldGroup::Contacts, b"+79161234567")
        .unwrap();
    let stored_wrapped = key
        .wrap(&keyring.current_recipients())
        .unwrap()
        .into_bytes();
    drop(key);

    keyring.rotate(NOW + 1);
    let old_identities: Vec<_> = keyring
        .identities()
        .map(|entry| entry.identity.clone())
        .collect();
    let key = CaseKey::unwrap(&stored_wrapped, &old_identities).unwrap();
    assert_eq!(
        key.decrypt_field(case, FieldGroup::Identity, identity.as_bytes())
            .unwrap()
            .expose(),
        "Иван Андронников".as_bytes()
    );

    // Rewrapping to the new recipients lets the retired identity be destroyed.
    let rewrapped = WrappedCaseKey::from_bytes(stored_wrapped.clone())
        .rewrap(&old_identities, &keyring.current_recipients())
        .unwrap();
    let current_only = [keyring.current_identity().clone()];
    let key = CaseKey::unwrap(rewrapped.as_bytes(), &current_only).unwrap();
    assert_eq!(
        key.decrypt_field(case, FieldGroup::Contacts, contacts.as_bytes())
            .unwrap()
            .expose(),
        b"+79161234567"
    );

    // Crypto-shredding: with every wrapped copy deleted, no key the office holds opens the fields.
    drop((stored_wrapped, rewrapped, key));
    assert!(
        keyring.open(identity.as_bytes()).is_err(),
        "fields are not sealed to the office directly"
    );
    let fresh = CaseKey::generate();
    assert!(matches!(
        fresh.decrypt_field(case, FieldGroup::Identity, identity.as_bytes()),
        Err(CryptoError::FieldAuthentication)
    ));
}
