//! Invariant 7 end to end: codename shown once, lookup by peppered hash, replies only the applicant can open.
use sito_crypto::{Codename, CodenameLookup, CryptoError, KdfParams, Pepper, ReplyRecipient};

#[test]
fn intake_finds_the_record_and_opens_replies_only_with_the_codename() {
    let pepper = Pepper::generate();
    let lookup = CodenameLookup::new(pepper, KdfParams::INSECURE_FAST).unwrap();

    // Submission: the codename is shown once; the intake stores the lookup key and the reply record.
    let codename = Codename::generate();
    let shown_to_applicant = codename.expose().to_owned();
    let stored_lookup = lookup.lookup_key(&codename).unwrap();
    let stored_reply_record = ReplyRecipient::create(&codename, KdfParams::INSECURE_FAST)
        .unwrap()
        .to_record();
    drop(codename);
    assert!(!stored_reply_record.contains(&shown_to_applicant));

    // The office answers: sealed to the stored public key; the intake cannot open it without the codename.
    let record = ReplyRecipient::parse_record(&stored_reply_record).unwrap();
    let reply = record
        .seal("Принесите паспорт на встречу.".as_bytes())
        .unwrap();

    // The applicant returns and types the codename sloppily.
    let typed = format!(
        "  {}  ",
        shown_to_applicant.to_uppercase().replace(' ', " - ")
    );
    let presented = Codename::parse(&typed).unwrap();
    assert_eq!(lookup.lookup_key(&presented).unwrap(), stored_lookup);
    let identity = record.unlock(&presented).unwrap();
    assert_eq!(
        identity.open(reply.as_bytes()).unwrap().expose(),
        "Принесите паспорт на встречу.".as_bytes()
    );

    // Someone else's codename finds nothing and opens nothing.
    let stranger = Codename::generate();
    assert_ne!(lookup.lookup_key(&stranger).unwrap(), stored_lookup);
    assert!(matches!(
        record.unlock(&stranger),
        Err(CryptoError::WrongCodename)
    ));
}
