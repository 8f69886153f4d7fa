//! Invariant 1 end to end: the intake holds only the recipients file; the office opens with its keyring, across
//! rotations.
use std::io::{Read, Write};

use sito_crypto::seal;
use sito_crypto::{CryptoError, Identity, KdfParams, OfficeRecipients, Passphrase};
use sito_keyring::OfficeKeyring;

const NOW: i64 = 1_795_408_625;

fn application(len: usize) -> Vec<u8> {
    // Recognisable text, so a leak of any part of it would show in a substring search.
    let line = "Фамилия: Андронников; Имя: Иван; телефон +7 916 123-45-67; позывной Сокол. ";
    line.as_bytes().iter().copied().cycle().take(len).collect()
}

#[test]
fn intake_seals_with_public_recipients_only_and_office_opens() {
    let keyring = OfficeKeyring::generate(NOW);
    // What the intake is given: text, no secret.
    let recipients_file = keyring.current_recipients().to_text();
    assert!(!recipients_file.contains("AGE-SECRET-KEY"));

    let intake_recipients = OfficeRecipients::parse(&recipients_file).unwrap();
    let plaintext = application(4096);
    let blob = intake_recipients.seal(&plaintext).unwrap();
    assert_eq!(keyring.open(blob.as_bytes()).unwrap().expose(), &plaintext);
}

#[test]
fn sealed_blob_contains_no_plaintext() {
    let keyring = OfficeKeyring::generate(NOW);
    let plaintext = application(64 * 1024);
    let blob = keyring.current_recipients().seal(&plaintext).unwrap();
    let bytes = blob.as_bytes();
    // No 8-byte window of the plaintext appears anywhere in the blob.
    let blob_windows: std::collections::HashSet<&[u8]> = bytes.windows(8).collect();
    assert!(
        plaintext
            .windows(8)
            .all(|window| !blob_windows.contains(window))
    );
    for needle in ["Андронников".as_bytes(), b"916 123", b"Sokol"] {
        assert!(
            !bytes
                .windows(needle.len())
                .any(|candidate| candidate == needle)
        );
    }
}

#[test]
fn old_identity_kept_after_rotation_opens_old_ciphertext() {
    let mut keyring = OfficeKeyring::generate(NOW);
    let before = keyring.current_recipients();
    let old_blob = before.seal(b"sealed before rotation").unwrap();

    let new_recipient = keyring.rotate(NOW + 86_400);
    let after = keyring.current_recipients();
    assert_eq!(after.recipients(), &[new_recipient]);
    assert_ne!(before, after);
    let new_blob = after.seal(b"sealed after rotation").unwrap();

    // The keyring survives a save and load with both identities.
    let passphrase = Passphrase::new("a long office passphrase").unwrap();
    let file = keyring
        .encrypt(&passphrase, KdfParams::INSECURE_FAST)
        .unwrap();
    let reloaded = OfficeKeyring::decrypt(&file, &passphrase).unwrap();
    assert_eq!(
        reloaded.open(old_blob.as_bytes()).unwrap().expose(),
        b"sealed before rotation"
    );
    assert_eq!(
        reloaded.open(new_blob.as_bytes()).unwrap().expose(),
        b"sealed after rotation"
    );

    // The retired identity alone still opens the old blob, and only the old one.
    let retired = &reloaded.identities().next().unwrap().identity;
    assert_eq!(
        seal::open([retired], old_blob.as_bytes()).unwrap().expose(),
        b"sealed before rotation"
    );
    assert!(matches!(
        seal::open([retired], new_blob.as_bytes()),
        Err(CryptoError::NoMatchingIdentity)
    ));
}

#[test]
fn backup_recipient_opens_everything_without_the_keyring() {
    let offline = Identity::generate();
    let mut keyring = OfficeKeyring::generate(NOW);
    keyring.add_backup_recipient(offline.recipient());
    let blob = keyring
        .current_recipients()
        .seal(b"for the archive")
        .unwrap();
    assert_eq!(
        seal::open([&offline], blob.as_bytes()).unwrap().expose(),
        b"for the archive"
    );
    keyring.rotate(NOW + 1);
    assert!(
        keyring
            .current_recipients()
            .recipients()
            .contains(&offline.recipient())
    );
}

#[test]
fn streaming_seal_of_several_mebibytes_round_trips() {
    let keyring = OfficeKeyring::generate(NOW);
    // Several 64 KiB chunks and a partial last one; kept modest because the test build is unoptimised.
    let plaintext = application(2 * 1024 * 1024 + 123);
    let mut writer = keyring
        .current_recipients()
        .seal_writer(Vec::new())
        .unwrap();
    // Uneven pieces, as an upload arrives.
    for piece in plaintext.chunks(100_003) {
        writer.write_all(piece).unwrap();
    }
    let sealed = writer.finish().unwrap();
    assert!(sealed.len() > plaintext.len());

    let mut reader = keyring.open_reader(sealed.as_slice()).unwrap();
    let mut opened = Vec::new();
    reader.read_to_end(&mut opened).unwrap();
    assert!(opened == plaintext);
}

#[test]
fn truncated_stream_fails_at_the_end() {
    let keyring = OfficeKeyring::generate(NOW);
    let plaintext = application(300_000);
    let sealed = keyring
        .current_recipients()
        .seal(&plaintext)
        .unwrap()
        .into_bytes();
    // Cut on a chunk boundary region, so every remaining chunk is intact but the final one is missing.
    let truncated = &sealed[..sealed.len() - 70_000];
    let mut reader = keyring.open_reader(truncated).unwrap();
    let mut partial = Vec::new();
    let error = reader.read_to_end(&mut partial).unwrap_err();
    assert!(matches!(
        error.kind(),
        std::io::ErrorKind::InvalidData | std::io::ErrorKind::UnexpectedEof
    ));
    assert!(matches!(
        keyring.open(truncated),
        Err(CryptoError::TamperedSealedBlob)
    ));
}

#[test]
fn unfinished_stream_does_not_open() {
    let keyring = OfficeKeyring::generate(NOW);
    let mut output = Vec::new();
    {
        let mut writer = keyring
            .current_recipients()
            .seal_writer(&mut output)
            .unwrap();
        writer.write_all(&application(10_000)).unwrap();
        // Dropped without finish().
    }
    assert!(keyring.open(&output).is_err());
}
