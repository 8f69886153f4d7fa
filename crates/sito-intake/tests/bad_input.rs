//! The intake's rows of docs/bad-input.md: hostile and broken bodies on the JSON interface and the web form, each
//! with the exact answer it gets and what reaches the store (nothing, or exactly the text sent, sealed). The office
//! identity is generated here so a test can open what the intake sealed and see what was kept.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, header};
use serde_json::{Value, json};
use sito_crypto::{CodenameLookup, Identity, KdfParams, OfficeRecipients, Pepper};
use sito_intake::store::{IntakeStore, SqliteIntakeStore};
use sito_intake::{IntakeConfig, IntakeState, Limits, intake_router};
use tower::ServiceExt;
use zeroize::Zeroizing;

struct Intake {
    router: Router,
    store: Arc<dyn IntakeStore>,
    office: Identity,
    dir: tempfile::TempDir,
}

async fn intake() -> Intake {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/intake.db", dir.path().display());
    let store: Arc<dyn IntakeStore> = Arc::new(SqliteIntakeStore::open(&url).await.unwrap());
    let office = Identity::generate();
    let config = IntakeConfig {
        recipients: OfficeRecipients::with_first(office.recipient(), []),
        lookup: CodenameLookup::new(Pepper::generate(), KdfParams::RANDOM_SECRET).unwrap(),
        reply_params: KdfParams::RANDOM_SECRET,
        pull_secret: Zeroizing::new("a pull secret of the test office".into()),
        limits: Limits::default(),
        address_statement: None,
    };
    let state = IntakeState::new(Arc::clone(&store), config).unwrap();
    Intake {
        router: intake_router(state),
        store,
        office,
        dir,
    }
}

struct Answer {
    status: u16,
    content_type: String,
    body: String,
}

impl Answer {
    fn error(&self) -> String {
        let value: Value = serde_json::from_str(&self.body).unwrap_or_else(|_| {
            panic!("not JSON: {}", self.body);
        });
        value["error"].as_str().unwrap().to_owned()
    }
}

async fn send(intake: &Intake, path: &str, content_type: &str, body: Vec<u8>) -> Answer {
    let request = Request::builder()
        .method("POST")
        .uri(path)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .unwrap();
    let response = intake.router.clone().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 22)
        .await
        .unwrap();
    Answer {
        status,
        content_type,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

async fn post_json(intake: &Intake, path: &str, body: &str) -> Answer {
    send(intake, path, "application/json", body.as_bytes().to_vec()).await
}

/// The applications the intake holds for the office, opened with the office's key.
async fn stored(intake: &Intake) -> Vec<Value> {
    let (submissions, _) = intake.store.pending(100).await.unwrap();
    submissions
        .iter()
        .map(|submission| {
            let opened = sito_crypto::seal::open([&intake.office], &submission.sealed).unwrap();
            serde_json::from_slice(opened.expose()).unwrap()
        })
        .collect()
}

fn application(overrides: Value) -> String {
    let mut body = json!({
        "language": "en", "category": "other", "call_sign": "Quiet", "full_name": "A B", "statement": "x"
    });
    for (key, value) in overrides.as_object().unwrap() {
        body[key] = value.clone();
    }
    body.to_string()
}

fn nested(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

#[tokio::test]
async fn each_bad_application_body_is_refused_by_name_and_nothing_is_stored() {
    let intake = intake().await;
    let long_key = "k".repeat(5_000);
    let eleven: Vec<Value> = (0..11)
        .map(|n| json!({"kind": "email", "value": format!("{n}@example.org")}))
        .collect();
    // (what is tried, body, status, words the error must contain)
    let cases: Vec<(&str, String, u16, &str)> = vec![
        // Deep nesting: serde_json stops at 128 levels, long before the stack is at risk.
        (
            "deep nesting, whole body",
            nested(20_000),
            400,
            "not valid JSON",
        ),
        (
            "deep nesting in a field",
            format!(
                r#"{{"language":"en","military":{{"served":{}}}}}"#,
                nested(5_000)
            ),
            400,
            "not valid JSON",
        ),
        (
            "huge number",
            r#"{"language":"en","call_sign":1e999}"#.into(),
            400,
            "not valid JSON",
        ),
        (
            "huge integer as a name",
            application(json!({"call_sign": 123456789012345678901234567890_f64})),
            400,
            "`call_sign` must be a string",
        ),
        (
            "wrong type: body",
            "[1,2,3]".into(),
            400,
            "must be a JSON object",
        ),
        (
            "wrong type: string field",
            application(json!({"full_name": ["A", "B"]})),
            400,
            "`full_name` must be a string",
        ),
        (
            "wrong type: contacts",
            application(json!({"contacts": "me@example.org"})),
            400,
            "`contacts` must be an array",
        ),
        (
            "wrong type: military",
            application(json!({"military": [true]})),
            400,
            "`military` must be an object",
        ),
        (
            "wrong type: boolean",
            application(json!({"military": {"served": "yes"}})),
            400,
            "military.served",
        ),
        (
            "null required field",
            application(json!({"language": null})),
            400,
            "`language` is missing",
        ),
        (
            "control character (NUL)",
            application(json!({"full_name": "A\u{0}B"})),
            400,
            "`full_name` contains control characters",
        ),
        (
            "control character (ESC)",
            application(json!({"statement": "\u{1b}[2Jcleared"})),
            400,
            "`statement` contains control characters",
        ),
        (
            "oversize field",
            application(json!({"call_sign": "c".repeat(65)})),
            400,
            "`call_sign` is longer than 64 characters",
        ),
        (
            "oversize list",
            application(json!({"contacts": eleven})),
            400,
            "`contacts` has more than 10 entries",
        ),
        (
            "unknown field",
            application(json!({"admin": true})),
            400,
            "unknown field `admin`",
        ),
        (
            "impossible date",
            application(json!({"birth_date": "1990-02-30"})),
            400,
            "birth_date",
        ),
        (
            "unknown category",
            application(json!({"category": "../../etc/passwd"})),
            400,
            "`category` must be one of",
        ),
        (
            "huge body",
            application(json!({"statement": "x".repeat(70 * 1024)})),
            413,
            "larger than 65536 bytes",
        ),
    ];
    for (tried, body, status, words) in &cases {
        let answer = post_json(&intake, "/api/v1/applications", body).await;
        assert_eq!(answer.status, *status, "{tried}: {}", answer.body);
        assert_eq!(answer.content_type, "application/json", "{tried}");
        let error = answer.error();
        assert!(error.contains(words), "{tried}: {error}");
        assert!(
            error.len() < 200,
            "{tried}: the message stays short: {error}"
        );
    }
    // An unknown field's name is cut, not echoed whole.
    let answer = post_json(
        &intake,
        "/api/v1/applications",
        &application(json!({ long_key.clone(): 1 })),
    )
    .await;
    assert_eq!(answer.status, 400);
    assert!(answer.error().starts_with("unknown field `kkkk"));
    assert!(!answer.body.contains(&long_key));
    assert!(stored(&intake).await.is_empty(), "a refusal stores nothing");
    assert_eq!(intake.store.pending_count().await.unwrap(), 0);
}

#[tokio::test]
async fn injection_strings_and_duplicate_fields_are_kept_as_plain_sealed_text() {
    let intake = intake().await;
    let sql = "Robert'); DROP TABLE intake_submissions; --";
    let html = "<script>alert(1)</script><img src=x onerror=alert(2)>";
    let answer = post_json(
        &intake,
        "/api/v1/applications",
        &application(json!({"call_sign": sql, "full_name": html})),
    )
    .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    // Duplicate keys: serde_json keeps the last one; the first (invalid) value is never looked at.
    let duplicate = r#"{"language":"xx","category":"other","call_sign":"First","call_sign":"Second",
        "full_name":"A B","language":"uk"}"#;
    let answer = post_json(&intake, "/api/v1/applications", duplicate).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    // Unicode format characters (a right-to-left override) are not control characters: kept as typed.
    let answer = post_json(
        &intake,
        "/api/v1/applications",
        &application(json!({"call_sign": "Sova\u{202e}gnp.exe"})),
    )
    .await;
    assert_eq!(answer.status, 201, "{}", answer.body);

    let stored = stored(&intake).await;
    assert_eq!(stored.len(), 3, "the table the SQL named is still there");
    let call_signs: Vec<&str> = stored
        .iter()
        .map(|application| application["call_sign"].as_str().unwrap())
        .collect();
    assert!(call_signs.contains(&sql));
    assert!(call_signs.contains(&"Second") && !call_signs.contains(&"First"));
    assert!(call_signs.contains(&"Sova\u{202e}gnp.exe"));
    let injected = stored
        .iter()
        .find(|application| application["call_sign"] == sql)
        .unwrap();
    assert_eq!(
        injected["full_name"], html,
        "stored as text; escaping is the page's job"
    );
    let duplicated = stored
        .iter()
        .find(|application| application["call_sign"] == "Second")
        .unwrap();
    assert_eq!(duplicated["language"], "uk");
}

#[tokio::test]
async fn wrong_codename_forms_get_the_unknown_answer_and_never_see_themselves_echoed() {
    let intake = intake().await;
    let created = post_json(&intake, "/api/v1/applications", &application(json!({}))).await;
    assert_eq!(created.status, 201);
    let receipt: Value = serde_json::from_str(&created.body).unwrap();
    let codename = receipt["codename"].as_str().unwrap().to_owned();
    let words: Vec<&str> = codename.split(' ').collect();
    let status = |typed: Value| json!({ "codename": typed }).to_string();

    // A person's typing of the right codename opens it.
    for typed in [
        codename.to_uppercase(),
        words.join("-"),
        format!("  {}  ", words.join("   ")),
    ] {
        let answer = post_json(&intake, "/api/v1/status", &status(json!(typed))).await;
        assert_eq!(answer.status, 200, "{typed:?}: {}", answer.body);
    }
    // Every other form is "unknown codename", with no hint of which word or why.
    let seven = words[..7].join(" ");
    let nine = format!("{codename} {}", words[0]);
    let with_nul = format!("{}\u{0}{}", words[0], words[1..].join(" "));
    let sql = format!("{codename}' OR '1'='1");
    let html = format!("{} <script>alert(1)</script>", words[..7].join(" "));
    for typed in [
        seven.as_str(),
        nine.as_str(),
        with_nul.as_str(),
        sql.as_str(),
        html.as_str(),
        "",
        "12345678",
    ] {
        let answer = post_json(&intake, "/api/v1/status", &status(json!(typed))).await;
        assert_eq!(answer.status, 404, "{typed:?}: {}", answer.body);
        assert_eq!(answer.error(), "unknown codename", "{typed:?}");
    }
    let answer = post_json(&intake, "/api/v1/status", &status(json!(42))).await;
    assert_eq!(
        (answer.status, answer.error().as_str()),
        (400, "`codename` must be a string")
    );
    let answer = post_json(
        &intake,
        "/api/v1/status",
        &status(json!(format!("{codename} ").repeat(100))),
    )
    .await;
    assert_eq!(answer.status, 413, "the status body is limited to 4 KiB");
    assert_eq!(answer.error(), "the body is larger than 4096 bytes");
    // A message to a wrong codename stores nothing.
    let answer = post_json(
        &intake,
        "/api/v1/messages",
        &json!({"codename": seven, "text": "hello"}).to_string(),
    )
    .await;
    assert_eq!(answer.status, 404);
    let (_, messages) = intake.store.pending(100).await.unwrap();
    assert!(messages.is_empty());
}

fn urlencoded(pairs: &[(&str, &str)]) -> Vec<u8> {
    let mut out = String::new();
    for (index, (key, value)) in pairs.iter().enumerate() {
        if index > 0 {
            out.push('&');
        }
        for (n, part) in [key, value].iter().enumerate() {
            if n == 1 {
                out.push('=');
            }
            for byte in part.bytes() {
                if byte.is_ascii_alphanumeric() {
                    out.push(byte as char);
                } else {
                    out.push_str(&format!("%{byte:02X}"));
                }
            }
        }
    }
    out.into_bytes()
}

const FORM: &str = "application/x-www-form-urlencoded";
const BOUNDARY: &str = "----sito-bad-input";

/// A multipart body: plain fields, then files as (field, file name, bytes). Field values are raw bytes, so a
/// test can send broken UTF-8.
fn multipart(fields: &[(&str, &[u8])], files: &[(&str, &str, &[u8])]) -> (String, Vec<u8>) {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(value);
        body.extend_from_slice(b"\r\n");
    }
    for (name, file_name, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\n\
                 Content-Type: application/pdf\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={BOUNDARY}"), body)
}

#[tokio::test]
async fn the_web_form_escapes_what_it_shows_back_and_refuses_broken_bodies() {
    let intake = intake().await;
    let html = "<script>alert(1)</script>";
    let good = [
        ("lang", "en"),
        ("call_sign", html),
        ("full_name", "A B"),
        ("statement", "x"),
    ];
    let review = send(&intake, "/apply/other/review", FORM, urlencoded(&good)).await;
    assert_eq!(review.status, 200, "{}", review.body);
    assert!(
        review.body.contains("alert(1)"),
        "the call sign is shown back"
    );
    assert!(!review.body.contains(html), "and escaped: {}", review.body);
    // A refused form shows the typed value back escaped too, with the reason.
    let mut bad = good.to_vec();
    bad.push(("birth_place", "\u{7}"));
    let refused = send(&intake, "/apply/other/review", FORM, urlencoded(&bad)).await;
    assert!(
        refused
            .body
            .contains("`birth_place` contains control characters")
    );
    assert!(!refused.body.contains(html));
    // Duplicate fields: the last one counts.
    let twice = [
        ("lang", "en"),
        ("call_sign", "First"),
        ("call_sign", "Second"),
        ("full_name", "A B"),
    ];
    let review = send(&intake, "/apply/other/review", FORM, urlencoded(&twice)).await;
    assert!(review.body.contains("Second") && !review.body.contains("First"));
    // A category that is a path, a body that is not a form, a body beyond the limit.
    let traversal = send(
        &intake,
        "/apply/..%2F..%2Fetc%2Fpasswd/review",
        FORM,
        urlencoded(&good),
    )
    .await;
    assert_eq!(
        (traversal.status, traversal.body.as_str()),
        (404, "no such category")
    );
    let not_a_form = send(
        &intake,
        "/apply/other/review",
        "application/json",
        b"{}".to_vec(),
    )
    .await;
    assert_eq!(not_a_form.status, 415);
    let huge = urlencoded(&[("statement", &"x".repeat(70 * 1024))]);
    let too_large = send(&intake, "/apply/other/review", FORM, huge).await;
    assert_eq!(too_large.status, 413);
    // The final step is multipart only: anything else is a 400 and stores nothing.
    let not_multipart = send(&intake, "/apply/other/send", FORM, urlencoded(&good)).await;
    assert_eq!(not_multipart.status, 400, "{}", not_multipart.body);
    let truncated = send(
        &intake,
        "/apply/other/send",
        &format!("multipart/form-data; boundary={BOUNDARY}"),
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"call_sign\"\r\n\r\nQui")
            .into_bytes(),
    )
    .await;
    assert_eq!(truncated.status, 400, "{}", truncated.body);
    assert_eq!(truncated.body, "the form could not be read");
    assert!(stored(&intake).await.is_empty());
}

#[tokio::test]
async fn an_upload_keeps_no_file_name_and_broken_utf8_is_replaced_not_trusted() {
    let intake = intake().await;
    let fields: [(&str, &[u8]); 4] = [
        ("lang", b"en"),
        ("call_sign", b"Quiet"),
        ("full_name", b"Iv\xffnov \xc3"),
        ("statement", b"x"),
    ];
    let (content_type, body) = multipart(
        &fields,
        &[(
            "document",
            "../../../../etc/cron.d/evil.pdf",
            b"%PDF-1.4 a scan",
        )],
    );
    let answer = send(&intake, "/apply/other/send", &content_type, body).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.body.contains("class=\"codename\""));
    let stored = stored(&intake).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["full_name"], "Iv\u{fffd}nov \u{fffd}");
    let sealed = stored[0].to_string();
    assert!(
        !sealed.contains("cron") && !sealed.contains(".."),
        "no file name is kept"
    );
    assert_eq!(stored[0]["documents"][0]["media_type"], "application/pdf");
    assert_eq!(stored[0]["documents"][0]["quarantined"], true);
    // Nothing but the database was written next to it.
    let mut written: Vec<String> = std::fs::read_dir(intake.dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    assert!(
        written.iter().all(|name| name.starts_with("intake.db")),
        "{written:?}"
    );
    // An HTML page posing as a PDF, and a file beyond the per-file limit inside the route's limit.
    let (content_type, body) = multipart(
        &fields,
        &[("document", "scan.pdf", b"<html><script>alert(1)</script>")],
    );
    let refused = send(&intake, "/apply/other/send", &content_type, body).await;
    assert_eq!(refused.status, 400);
    assert!(refused.body.contains("unsupported file type"));
    assert!(!refused.body.contains("<script>alert(1)"));
    let big = vec![b'%'; 5 * 1024 * 1024];
    let (content_type, body) = multipart(&fields, &[("document", "big.pdf", &big)]);
    let refused = send(&intake, "/apply/other/send", &content_type, body).await;
    assert_eq!(refused.status, 400);
    assert!(
        refused.body.contains("a file is larger than 4 MiB"),
        "{}",
        &refused.body[..200.min(refused.body.len())]
    );
    assert_eq!(intake.store.pending_count().await.unwrap(), 1);
}
