//! No secret type shows its value under `Debug`: a stray `{:?}` in a log line must never leak a key.
use sito_crypto::{
    BlindIndexKey, CaseKey, Codename, Identity, KdfParams, OfficeSigningKey, Passphrase, Pepper,
    Plaintext, ReplyRecipient,
};

#[test]
fn every_secret_debug_prints_redacted() {
    let codename = Codename::generate();
    let reply_identity = ReplyRecipient::create(&codename, KdfParams::INSECURE_FAST)
        .unwrap()
        .unlock(&codename)
        .unwrap();
    let table: Vec<(&str, String)> = vec![
        ("Identity", format!("{:?}", Identity::generate())),
        (
            "OfficeSigningKey",
            format!("{:?}", OfficeSigningKey::generate()),
        ),
        ("BlindIndexKey", format!("{:?}", BlindIndexKey::generate())),
        ("CaseKey", format!("{:?}", CaseKey::generate())),
        ("Pepper", format!("{:?}", Pepper::generate())),
        ("Codename", format!("{codename:?}")),
        (
            "Passphrase",
            format!("{:?}", Passphrase::new("hunter2 hunter2").unwrap()),
        ),
        (
            "Plaintext",
            format!("{:?}", Plaintext::new(b"Ivan Petrov".to_vec())),
        ),
    ];
    for (name, shown) in table {
        assert_eq!(shown, "[redacted]", "{name}");
    }
    assert!(format!("{reply_identity:?}").contains("[redacted]"));
}
