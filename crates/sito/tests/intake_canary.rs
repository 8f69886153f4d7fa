//! Invariant 1 end to end: unique strings sent in every field and message never appear in the intake's database
//! files (WAL included), its temporary files or its log, and neither does the codename.
#![allow(clippy::expect_used, clippy::unwrap_used)]
mod http;

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};

use http::{listening_addresses, post_json};

fn files_under(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, out)
        } else {
            out.push(path)
        }
    }
}

#[test]
fn no_submitted_text_reaches_disk_or_log() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("intake");
    let tmp = dir.path().join("tmp");
    std::fs::create_dir_all(data.join("keys")).unwrap();
    std::fs::create_dir_all(&tmp).unwrap();
    let keyring = sito_keyring::OfficeKeyring::generate(0);
    std::fs::write(
        data.join("keys/recipients.txt"),
        keyring.current_recipients().to_text(),
    )
    .unwrap();

    let mut child = Command::new(env!("CARGO_BIN_EXE_sito"))
        .args(["intake", "--listen", "127.0.0.1:0", "--data"])
        .arg(&data)
        .env("TMPDIR", &tmp)
        .env("RUST_LOG", "trace")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start sito intake");
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut log = Vec::new();
    let mut lines = (&mut stderr).lines().inspect(|line| {
        if let Ok(line) = line {
            log.push(line.clone());
        }
    });
    let address = listening_addresses(&mut lines, &["intake"])[0];
    drop(lines);

    let canary = |field: &str| format!("CANARY-{field}-7f3a9c");
    let application = serde_json::json!({
        "language": "uk", "category": "prisoner_of_war", "call_sign": canary("callsign"),
        "full_name": format!("Канарейка {}", canary("name")), "birth_date": "1911-11-11", "birth_place": canary("place"),
        "contacts": [ { "kind": canary("kind"), "value": canary("contact") } ],
        "military": { "served": true, "branch": canary("branch"), "unit": canary("unit"), "rank": canary("rank") },
        "statement": format!("{}\nзаява", canary("statement"))
    });
    let response = post_json(address, "/api/v1/applications", &application.to_string());
    assert_eq!(response.status, 201, "{}", response.body);
    let codename = serde_json::from_str::<serde_json::Value>(&response.body).unwrap()["codename"]
        .as_str()
        .unwrap()
        .to_owned();
    // A document through the HTML site: a PDF is kept only sealed.
    let pdf = format!("%PDF-1.4\n{}\n%%EOF", canary("file"));
    let (content_type, body) = http::multipart(
        &[
            ("lang", "ru"),
            ("call_sign", "Pdf"),
            ("full_name", &canary("formname")),
            ("statement", &canary("formtext")),
        ],
        &[("document", "scan.pdf", pdf.as_bytes())],
    );
    let sent = http::try_send(
        address,
        "/apply/political_emigre/send",
        &content_type,
        &body,
    )
    .unwrap();
    assert_eq!(sent.status, 200, "{}", sent.body);
    let message = serde_json::json!({ "codename": codename, "text": canary("message") });
    assert_eq!(
        post_json(address, "/api/v1/messages", &message.to_string()).status,
        201
    );
    let status = post_json(
        address,
        "/api/v1/status",
        &serde_json::json!({ "codename": codename }).to_string(),
    );
    assert_eq!(status.status, 200);
    assert!(
        status.body.contains(&canary("message")),
        "the applicant reads their own thread"
    );

    // kill -9 leaves the WAL as it is: exactly what a seizure would find.
    child.kill().unwrap();
    child.wait().unwrap();
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    let log = format!("{}\n{rest}\n{stdout}", log.join("\n"));

    let mut files = Vec::new();
    files_under(&data, &mut files);
    files_under(&tmp, &mut files);
    assert!(
        files
            .iter()
            .any(|path| path.to_string_lossy().ends_with("-wal")),
        "the WAL is scanned too: {files:?}"
    );
    let mut secrets: Vec<String> = [
        "name",
        "callsign",
        "place",
        "kind",
        "contact",
        "branch",
        "unit",
        "rank",
        "statement",
        "message",
    ]
    .iter()
    .map(|field| canary(field))
    .collect();
    secrets.extend([
        "Канарейка".to_owned(),
        "1911-11-11".to_owned(),
        codename.clone(),
    ]);
    let mut sealed_seen = false;
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        sealed_seen |= bytes
            .windows(18)
            .any(|window| window == b"age-encryption.org");
        for secret in &secrets {
            assert!(
                !bytes
                    .windows(secret.len())
                    .any(|window| window == secret.as_bytes()),
                "{secret} found in {}",
                path.display()
            );
        }
    }
    assert!(sealed_seen, "the sealed submission is stored");
    for secret in &secrets {
        assert!(!log.contains(secret.as_str()), "{secret} found in the log");
    }
}
