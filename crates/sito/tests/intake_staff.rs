//! The staff side of intake end to end, against the real `sito demo` (office and intake in one process):
//! - a file submitted on the public site is still in the case after the pull and downloads, byte for byte what was
//!   sealed (the photo re-encoded, its EXIF gone), for the roles the policy grants Documents and for no one else;
//!   a quarantined PDF shows a warning first and is served only through the confirm form;
//! - assisted intake: the coordinator's application gets a codename that opens the applicant's status, the case
//!   exists at once and its history names the coordinator;
//! - the message thread: the applicant's message reaches the case, the office's reply reaches the applicant;
//! - every download, thread read and reply is in the audit log.
#![allow(clippy::expect_used, clippy::unwrap_used)]
mod http;
mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use http::{form, input_value, multipart, post_json};
use support::demo::Demo;

fn sign_in(demo: &Demo, user: &str) -> String {
    let account = demo.account_named(user);
    let response = http::post_login(
        demo.office,
        &[
            ("call_sign", user),
            ("password", &account.password),
            ("code", &account.code_now()),
        ],
    );
    assert_eq!(response.status, 303, "sign-in of {user}");
    let session = response.cookie("sito_session").expect("session cookie");
    // Pages in English, so the test can read them.
    format!("{session}; sito_lang=en")
}

/// A response whose body is kept as bytes (downloads are binary).
struct Raw {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn raw(
    address: SocketAddr,
    method: &str,
    path: &str,
    cookie: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> Raw {
    let mut stream = TcpStream::connect(address).expect("connect");
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nCookie: {cookie}\r\n\
         Content-Length: {}\r\n",
        body.len()
    );
    if let Some(content_type) = content_type {
        head.push_str(&format!("Content-Type: {content_type}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).unwrap();
    let split = bytes
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .expect("end of headers");
    let head = String::from_utf8_lossy(&bytes[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(key, value)| (key.trim().to_owned(), value.trim().to_owned()))
        .collect();
    assert!(
        !headers
            .iter()
            .any(|(key, value)| key.eq_ignore_ascii_case("transfer-encoding") && value == "chunked"),
        "answers here have a length"
    );
    Raw {
        status,
        headers,
        body: bytes[split + 4..].to_vec(),
    }
}

fn get(demo: &Demo, path: &str, cookie: &str) -> Raw {
    raw(demo.office, "GET", path, cookie, None, b"")
}

fn post_form(demo: &Demo, path: &str, cookie: &str, pairs: &[(&str, &str)]) -> Raw {
    raw(
        demo.office,
        "POST",
        path,
        cookie,
        Some("application/x-www-form-urlencoded"),
        form(pairs).as_bytes(),
    )
}

fn csrf_of(page: &Raw) -> String {
    input_value(&page.text(), "csrf").expect("the page carries the session's token")
}

/// A photo as a phone sends it: a JPEG with an Exif segment holding a position.
fn jpeg_with_exif(marker: &[u8]) -> Vec<u8> {
    let image = image::RgbImage::from_fn(24, 16, |x, y| {
        image::Rgb([(x * 10) as u8, (y * 15) as u8, 90])
    });
    let mut plain = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut plain, image::ImageFormat::Jpeg)
        .unwrap();
    let plain = plain.into_inner();
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend_from_slice(marker);
    let mut with_exif = vec![0xFF, 0xD8, 0xFF, 0xE1];
    with_exif.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    with_exif.extend_from_slice(&payload);
    with_exif.extend_from_slice(&plain[2..]);
    with_exif
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// Waits for the office's pull to turn a submission into a case; the case's id from the case list.
fn case_id_by_call_sign(demo: &Demo, cookie: &str, call_sign: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let page = get(demo, "/cases", cookie).text();
        // The row's link: `<a href="/cases/ID">CALL SIGN</a>`.
        if let Some(at) = page.find(&format!("\">{call_sign}</a>")) {
            return page[at - 36..at].to_owned();
        }
        assert!(
            Instant::now() < deadline,
            "the pull made no case for {call_sign}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

fn codename_of(done_page: &str, class: &str) -> String {
    let marker = format!("<p class=\"{class}\">");
    let start = done_page.find(&marker).expect("the codename is shown") + marker.len();
    let end = done_page[start..].find('<').unwrap();
    done_page[start..start + end].trim().to_owned()
}

#[test]
fn files_assisted_intake_and_the_thread_work_for_the_roles_that_may() {
    let demo = Demo::start_empty();

    // An applicant sends a photo with a GPS position in its EXIF, and a PDF, through the public site.
    let marker = b"GPS 50.4501N 30.5234E camera-serial-0042";
    let photo = jpeg_with_exif(marker);
    let pdf = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n".to_vec();
    let (content_type, body) = multipart(
        &[
            ("lang", "en"),
            ("call_sign", "Filin"),
            ("full_name", "Test Applicant One"),
            ("contact_kind", "signal"),
            ("contact_value", "+380 00 000 0001"),
            ("statement", "I want to serve."),
        ],
        &[
            ("document", "passport.jpg", &photo),
            ("document", "service.pdf", &pdf),
        ],
    );
    let done = http::try_send(
        demo.intake,
        "/apply/former_serviceman/send",
        &content_type,
        &body,
    )
    .expect("intake answers");
    assert_eq!(done.status, 200, "{}", done.body);
    let applicant_codename = codename_of(&done.body, "codename");

    let lynx = sign_in(&demo, "lynx");
    let case = case_id_by_call_sign(&demo, &lynx, "Filin");
    let case_page = get(&demo, &format!("/cases/{case}"), &lynx).text();
    let file_1 = format!("/cases/{case}/files/1");
    let file_2 = format!("/cases/{case}/files/2");
    assert!(
        case_page.contains(&format!("href=\"{file_1}\"")),
        "the case page links the photo"
    );
    assert!(
        case_page.contains(&format!("href=\"{file_2}\"")),
        "the case page links the PDF"
    );
    assert!(case_page.contains(&format!("href=\"/cases/{case}/messages\"")));

    // The photo: served at once, as an attachment, exactly the bytes that were sealed, and without the EXIF.
    let sealed_photo = sito_intake::upload::accept(&photo).unwrap().bytes.clone();
    let download = get(&demo, &file_1, &lynx);
    assert_eq!(download.status, 200);
    assert_eq!(download.header("content-type"), Some("image/jpeg"));
    let disposition = download.header("content-disposition").unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"case-"),
        "{disposition}"
    );
    assert!(disposition.ends_with("-file-1.jpg\""), "{disposition}");
    assert_eq!(download.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(download.body, sealed_photo);
    assert!(!contains(&download.body, marker));
    assert!(!contains(&download.body, b"Exif"));

    // The PDF: a warning page first, never the bytes; the confirm form (with the session's token) serves it.
    let warning = get(&demo, &file_2, &lynx);
    assert_eq!(warning.status, 200);
    assert!(
        warning
            .header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(!contains(&warning.body, b"%PDF"));
    let token = csrf_of(&warning);
    assert_eq!(
        post_form(&demo, &file_2, &lynx, &[("csrf", "forged")]).status,
        403
    );
    let pdf_download = post_form(&demo, &file_2, &lynx, &[("csrf", &token)]);
    assert_eq!(pdf_download.status, 200);
    assert_eq!(
        pdf_download.header("content-type"),
        Some("application/octet-stream")
    );
    assert!(
        pdf_download
            .header("content-disposition")
            .unwrap()
            .starts_with("attachment;")
    );
    assert_eq!(pdf_download.body, pdf);
    assert_eq!(
        get(&demo, &format!("/cases/{case}/files/3"), &lynx).status,
        404
    );

    // Roles without the Documents group get nothing: not the file, not the link.
    let heron = sign_in(&demo, "heron");
    assert_eq!(get(&demo, &file_1, &heron).status, 403);
    let badger = sign_in(&demo, "badger");
    assert_eq!(get(&demo, &file_1, &badger).status, 403);
    assert!(
        !get(&demo, &format!("/cases/{case}"), &badger)
            .text()
            .contains(&file_1)
    );
    // The board member's summary view includes documents.
    let oak = sign_in(&demo, "oak");
    assert_eq!(get(&demo, &file_1, &oak).body, sealed_photo);

    // The applicant writes; the message reaches the case's thread with the next pull.
    let message = post_json(
        demo.intake,
        "/api/v1/messages",
        &serde_json::json!({ "codename": applicant_codename, "text": "When is the meeting?" })
            .to_string(),
    );
    assert_eq!(message.status, 201, "{}", message.body);
    let thread_path = format!("/cases/{case}/messages");
    let deadline = Instant::now() + Duration::from_secs(30);
    let thread = loop {
        let page = get(&demo, &thread_path, &lynx);
        assert_eq!(page.status, 200);
        if page.text().contains("When is the meeting?") {
            break page;
        }
        assert!(
            Instant::now() < deadline,
            "the message never reached the case"
        );
        std::thread::sleep(Duration::from_millis(300));
    };
    assert_eq!(get(&demo, &thread_path, &heron).status, 403);
    assert_eq!(
        get(&demo, &thread_path, &badger).status,
        403,
        "not at the meeting stage yet"
    );
    let token = csrf_of(&thread);
    let empty = post_form(
        &demo,
        &thread_path,
        &lynx,
        &[("csrf", &token), ("text", "  ")],
    );
    assert_eq!(empty.status, 400);
    let sent = post_form(
        &demo,
        &thread_path,
        &lynx,
        &[
            ("csrf", &token),
            ("text", "Next week; we will write again."),
        ],
    );
    assert_eq!(sent.status, 303);
    assert!(
        get(&demo, &thread_path, &lynx)
            .text()
            .contains("Next week; we will write again.")
    );
    let status = post_json(
        demo.intake,
        "/api/v1/status",
        &serde_json::json!({ "codename": applicant_codename }).to_string(),
    );
    assert_eq!(status.status, 200);
    assert!(
        status.body.contains("Next week; we will write again."),
        "{}",
        status.body
    );

    // Assisted intake: the coordinator enters a prisoner of war's application from paper, with a photo.
    let form_page = get(&demo, "/assisted/prisoner_of_war", &lynx);
    assert_eq!(form_page.status, 200);
    let token = csrf_of(&form_page);
    let answers = [
        ("csrf", token.as_str()),
        ("lang", "ru"),
        ("call_sign", "Kamen"),
        ("full_name", "Test Prisoner Two"),
        ("camp", "camp 7"),
        ("voluntary", "yes"),
        ("statement", "Taken down by phone."),
    ];
    let review = post_form(&demo, "/assisted/prisoner_of_war/review", &lynx, &answers);
    assert_eq!(review.status, 200);
    assert!(review.text().contains("camp 7"));
    let not_voluntary: Vec<_> = answers
        .iter()
        .copied()
        .filter(|(name, _)| *name != "voluntary")
        .collect();
    assert_eq!(
        post_form(
            &demo,
            "/assisted/prisoner_of_war/review",
            &lynx,
            &not_voluntary
        )
        .status,
        400,
        "the public site's checks apply"
    );
    let scan = jpeg_with_exif(b"GPS of the camp");
    // The review chose the case's id; the send form carries it.
    let submission =
        input_value(&review.text(), "submission").expect("the review names the submission");
    let mut sent_form = answers.to_vec();
    sent_form.push(("submission", submission.as_str()));
    let (content_type, body) = multipart(&sent_form, &[("document", "scan.jpg", &scan)]);
    let filed = raw(
        demo.office,
        "POST",
        "/assisted/prisoner_of_war/send",
        &lynx,
        Some(&content_type),
        &body,
    );
    assert_eq!(filed.status, 200, "{}", filed.text());
    let filed = filed.text();
    // Sending the same form again (a reload) files nothing more.
    let again = raw(
        demo.office,
        "POST",
        "/assisted/prisoner_of_war/send",
        &lynx,
        Some(&content_type),
        &body,
    );
    assert_eq!(again.status, 409);
    assert!(!again.text().contains("si-codename"));
    assert_eq!(
        get(&demo, "/cases", &lynx)
            .text()
            .matches(">Kamen</a>")
            .count(),
        1
    );
    let codename = codename_of(&filed, "si-codename");
    assert!(
        codename.split(' ').count() >= 6,
        "a word-list codename: {codename}"
    );
    let start = filed.find("href=\"/cases/").unwrap() + "href=\"/cases/".len();
    let assisted_case = filed[start..start + 36].to_owned();
    // The case exists at once, through the pull's own path, and its history names the coordinator.
    let assisted_page = get(&demo, &format!("/cases/{assisted_case}"), &lynx).text();
    assert!(
        assisted_page.contains("assisted intake (entered by staff)"),
        "the history shows how it came"
    );
    assert!(
        assisted_page.contains("<span class=\"actor\">lynx</span>"),
        "the coordinator is named"
    );
    assert!(assisted_page.contains(&format!("/cases/{assisted_case}/files/1")));
    let assisted_photo = get(&demo, &format!("/cases/{assisted_case}/files/1"), &lynx).body;
    assert!(!contains(&assisted_photo, b"GPS of the camp"));
    // Its codename opens the applicant's status on the intake like any other.
    let status = post_json(
        demo.intake,
        "/api/v1/status",
        &serde_json::json!({ "codename": codename }).to_string(),
    );
    assert_eq!(status.status, 200, "{}", status.body);
    // Only the coordinator enters applications.
    assert_eq!(get(&demo, "/assisted", &oak).status, 403);
    let (content_type, body) = multipart(&answers, &[]);
    assert_eq!(
        raw(
            demo.office,
            "POST",
            "/assisted/prisoner_of_war/send",
            &oak,
            Some(&content_type),
            &body
        )
        .status,
        403
    );

    // Every download, thread read, reply and assisted entry is in the audit log, by who did it.
    let fox = sign_in(&demo, "fox");
    let audit = |action: &str| get(&demo, &format!("/audit?action={action}"), &fox).text();
    let downloads = audit("document.read");
    assert!(
        downloads.contains("lynx") && downloads.contains("oak"),
        "{downloads}"
    );
    assert!(audit("messages.read").contains("lynx"));
    assert!(audit("messages.reply").contains("lynx"));
    assert!(audit("intake.assisted").contains(&assisted_case));
    // The log never holds the reply's or the message's text.
    assert!(!audit("messages").contains("Next week"));
}
