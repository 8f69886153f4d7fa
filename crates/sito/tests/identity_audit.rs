//! `sito audit verify` and `sito users` against a real demo directory: the demo signs a checkpoint at start, a
//! reveal of identity lands in the chain, the chain verifies, and bad input exits 2.
#![allow(clippy::expect_used, clippy::unwrap_used)]
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn sito(args: &[&str], data: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sito"))
        .args(args)
        .arg("--data")
        .arg(data)
        .output()
        .unwrap()
}

#[test]
fn the_demo_audit_log_verifies_and_users_can_be_managed() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut child = Command::new(env!("CARGO_BIN_EXE_sito"))
        .args([
            "demo",
            "--office-listen",
            "127.0.0.1:0",
            "--intake-listen",
            "127.0.0.1:0",
            "--cases",
            "5",
            "--data",
        ])
        .arg(&data)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut secrets = 0;
    for line in lines.by_ref() {
        let line = line.unwrap();
        if line.starts_with("staff account: ") {
            let secret = line
                .split(' ')
                .find_map(|part| part.strip_prefix("totp_secret="))
                .expect("totp_secret");
            assert!(
                sito_office::totp::code_at(secret, 59).is_some(),
                "a valid base32 secret"
            );
            secrets += 1;
        }
        if line.contains("(office)") {
            break;
        }
    }
    assert_eq!(secrets, 12);
    // Give the start-up checkpoint a moment, then stop the demo.
    std::thread::sleep(std::time::Duration::from_millis(500));
    let _ = child.kill();
    let _ = child.wait();

    let verified = sito(&["audit", "verify"], &data);
    let stdout = String::from_utf8_lossy(&verified.stdout);
    assert_eq!(
        verified.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&verified.stderr)
    );
    assert!(stdout.contains("audit log intact"), "{stdout}");
    // The demo's start-up checkpoint also went to the file outside the database, and verify used it.
    let outside = std::fs::read_to_string(data.join("audit-checkpoints.log")).unwrap();
    assert!(outside.starts_with("sito-checkpoint-v1 "), "{outside}");
    assert!(
        stdout.contains("all keyed") && stdout.contains("checkpoints in"),
        "{stdout}"
    );

    let missing_key = sito(
        &["audit", "verify", "--public-key", "/nonexistent/key.pub"],
        &data,
    );
    assert_eq!(missing_key.status.code(), Some(2));

    let added = sito(
        &["users", "add", "--user", "marten", "--role", "psychologist"],
        &data,
    );
    assert_eq!(
        added.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    assert!(String::from_utf8_lossy(&added.stderr).contains("user=marten password="));
    assert_eq!(
        sito(
            &["users", "add", "--user", "marten", "--role", "psychologist"],
            &data
        )
        .status
        .code(),
        Some(2)
    );
    assert_eq!(
        sito(
            &["users", "add", "--user", "x", "--role", "astrologer"],
            &data
        )
        .status
        .code(),
        Some(2)
    );
    assert_eq!(
        sito(&["users", "disable", "--user", "ghost"], &data)
            .status
            .code(),
        Some(2)
    );
    for action in ["reset-password", "reset-2fa", "disable"] {
        let done = sito(&["users", action, "--user", "marten"], &data);
        assert_eq!(
            done.status.code(),
            Some(0),
            "{action}: {}",
            String::from_utf8_lossy(&done.stderr)
        );
    }
    let list = sito(&["users", "list"], &data);
    let listed = String::from_utf8_lossy(&list.stdout);
    assert!(
        listed.contains("marten\tpsychologist\tdisabled"),
        "{listed}"
    );
    assert!(
        listed.contains("owl\tsecurity_officer\tenrolled"),
        "{listed}"
    );
}
