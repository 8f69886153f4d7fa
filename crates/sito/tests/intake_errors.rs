//! Every error path of contracts/intake-api.md against the real `sito intake`: each answers JSON with the right
//! status, never a 500.
#![allow(clippy::expect_used, clippy::unwrap_used)]
mod http;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

use http::{listening_addresses, post_json, try_send};

struct Intake {
    child: Child,
    address: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Drop for Intake {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start() -> Intake {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("intake");
    std::fs::create_dir_all(data.join("keys")).unwrap();
    let keyring = sito_keyring::OfficeKeyring::generate(0);
    std::fs::write(
        data.join("keys/recipients.txt"),
        keyring.current_recipients().to_text(),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_sito"))
        .args(["intake", "--listen", "127.0.0.1:0", "--data"])
        .arg(&data)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start sito intake");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let address = listening_addresses(&mut lines, &["intake"])[0];
    std::thread::spawn(move || for _ in lines {});
    Intake {
        child,
        address,
        _dir: dir,
    }
}

const GOOD: &str =
    r#"{"language":"en","category":"other","call_sign":"Quiet","full_name":"A B","statement":"x"}"#;

fn error_of(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body).unwrap()["error"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn every_error_answers_json_with_its_status() {
    let intake = start();
    http::assert_security_headers(
        &http::request(intake.address, "GET", "/", None, None),
        "intake home page",
    );
    let address = intake.address;
    // (path, content type, body, status, words the error must contain)
    let oversize = format!(
        r#"{{"language":"en","statement":"{}"}}"#,
        "x".repeat(70 * 1024)
    );
    let cases: Vec<(&str, &str, Vec<u8>, u16, &str)> = vec![
        ("/api/v1/applications", "application/json", b"{not json".to_vec(), 400, "not valid JSON"),
        ("/api/v1/applications", "application/json", b"{\"language\":\"en\xff\xfe\"}".to_vec(), 400, "not valid JSON"),
        ("/api/v1/applications", "application/json", b"".to_vec(), 400, "JSON"),
        ("/api/v1/applications", "text/plain", GOOD.as_bytes().to_vec(), 400, "Content-Type"),
        ("/api/v1/applications", "image/png", b"\x89PNG\r\n\x1a\n".to_vec(), 400, "Content-Type"),
        ("/api/v1/applications", "application/json", br#"{"language":"en","category":"other","full_name":"A"}"#.to_vec(), 400, "call_sign"),
        ("/api/v1/applications", "application/json", br#"{"language":"xx","category":"other","call_sign":"a","full_name":"A"}"#.to_vec(), 400, "language"),
        ("/api/v1/applications", "application/json", oversize.into_bytes(), 413, "larger"),
        ("/api/v1/status", "application/json", b"{}".to_vec(), 400, "codename"),
        ("/api/v1/status", "application/json", br#"{"codename":"abandon ability able about above absent absorb abstract"}"#.to_vec(), 404, "unknown codename"),
        ("/api/v1/status", "application/json", br#"{"codename":"not a codename"}"#.to_vec(), 404, "unknown codename"),
        ("/api/v1/messages", "application/json", br#"{"codename":"abandon ability able about above absent absorb abstract","text":"hi"}"#.to_vec(), 404, "unknown codename"),
        ("/api/v1/messages", "application/json", br#"{"codename":"x","text":""}"#.to_vec(), 400, "text"),
        ("/api/v1/office/pull", "application/json", b"{}".to_vec(), 404, ""),
        ("/api/v1/nothing", "application/json", b"{}".to_vec(), 404, "no such endpoint"),
    ];
    for (path, content_type, body, status, words) in cases {
        let response = try_send(address, path, content_type, &body).unwrap();
        assert_eq!(
            response.status, status,
            "{path} {content_type}: {}",
            response.body
        );
        assert!(
            error_of(&response.body).contains(words),
            "{path}: {}",
            response.body
        );
        assert_eq!(response.header("content-type"), Some("application/json"));
    }

    // A good submission, then the same answer for an unknown and a wrong codename.
    let created = post_json(address, "/api/v1/applications", GOOD);
    assert_eq!(created.status, 201, "{}", created.body);
    let receipt: serde_json::Value = serde_json::from_str(&created.body).unwrap();
    let codename = receipt["codename"].as_str().unwrap();
    assert_eq!(codename.split(' ').count(), 8);
    assert_eq!(receipt["received_at"].as_str().unwrap().len(), 10);
    let mut wrong: Vec<&str> = codename.split(' ').collect();
    wrong.swap(0, 1);
    let wrong = serde_json::json!({ "codename": wrong.join(" ") }).to_string();
    let unknown = r#"{"codename":"abandon ability able about above absent absorb zoo"}"#;
    let wrong_answer = post_json(address, "/api/v1/status", &wrong);
    let unknown_answer = post_json(address, "/api/v1/status", unknown);
    assert_eq!(
        (wrong_answer.status, &wrong_answer.body),
        (unknown_answer.status, &unknown_answer.body)
    );

    // Attempts on one codename are limited (the same wrong codename again and again).
    let statuses: Vec<u16> = (0..12)
        .map(|_| post_json(address, "/api/v1/status", &wrong).status)
        .collect();
    assert!(statuses.contains(&429), "{statuses:?}");
    let limited = post_json(address, "/api/v1/status", &wrong);
    assert_eq!(limited.status, 429);
    assert!(limited.header("retry-after").is_some());
    // Another codename is not affected.
    let right = post_json(
        address,
        "/api/v1/status",
        &serde_json::json!({ "codename": codename }).to_string(),
    );
    assert_eq!(right.status, 200, "{}", right.body);
}

#[test]
fn uploads_are_typed_by_content_and_limited() {
    let intake = start();
    let fields = [
        ("lang", "en"),
        ("call_sign", "Quiet"),
        ("full_name", "A B"),
        ("statement", "x"),
    ];
    // An HTML page (a stored-XSS attempt) named like a photo.
    let (content_type, body) = http::multipart(
        &fields,
        &[(
            "document",
            "passport.png",
            b"<html><script>alert(1)</script></html>",
        )],
    );
    let refused = try_send(intake.address, "/apply/other/send", &content_type, &body).unwrap();
    assert_eq!(refused.status, 400);
    assert!(
        refused.body.contains("unsupported file type"),
        "{}",
        refused.body
    );
    assert!(!refused.body.contains("<script>alert"));
    // Too many files.
    let pdf: &[u8] = b"%PDF-1.4 tiny";
    let four = [
        ("document", "a.pdf", pdf),
        ("document", "b.pdf", pdf),
        ("document", "c.pdf", pdf),
        ("document", "d.pdf", pdf),
    ];
    let (content_type, body) = http::multipart(&fields, &four);
    let refused = try_send(intake.address, "/apply/other/send", &content_type, &body).unwrap();
    assert_eq!(refused.status, 400);
    // Oversize: beyond the route's limit the server answers 413.
    let huge = vec![b'%'; 13 * 1024 * 1024];
    let (content_type, body) = http::multipart(&fields, &[("document", "big.pdf", &huge)]);
    let refused = try_send(intake.address, "/apply/other/send", &content_type, &body).unwrap();
    assert_eq!(refused.status, 413);
    // A PDF is accepted (quarantined inside the sealed application).
    let (content_type, body) = http::multipart(&fields, &[("document", "scan.pdf", pdf)]);
    let accepted = try_send(intake.address, "/apply/other/send", &content_type, &body).unwrap();
    assert_eq!(accepted.status, 200);
    assert!(
        accepted.body.contains("class=\"codename\""),
        "{}",
        accepted.body
    );
}

#[test]
fn the_intake_refuses_to_start_without_office_recipients() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_sito"))
        .args(["intake", "--data"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("recipients.txt"));
}
