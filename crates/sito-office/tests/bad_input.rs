//! The office's rows of docs/bad-input.md: hostile and broken staff forms and paths over the real router, each
//! with the exact answer (askama escapes `<` as `&#60;`) and, where a write was attempted, the case's event log unchanged.
#![allow(clippy::expect_used, clippy::unwrap_used)]
mod support;

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{Request, header};
use sito_core::machine::CaseState;
use sito_core::{CaseId, Category, Role};
use sito_office::now;
use sito_store::NewCase;
use support::{Office, dispatch, send, send_as, session};
use uuid::Uuid;

const SCRIPT: &str = "<script>alert(1)</script>";

/// An office with one case at its first stage whose call sign is an HTML injection attempt.
async fn office() -> (Office, CaseId) {
    let office = Office::new().await;
    let first = CaseState::receive(
        &office.state.pipeline,
        Category::FormerServiceman,
        &format!("Sova{SCRIPT}"),
        now(),
    )
    .unwrap();
    let id = CaseId::from_uuid(Uuid::now_v7());
    office
        .state
        .store
        .create_cases(&[NewCase {
            state: CaseState::fold(id, std::slice::from_ref(&first)),
            events: vec![first],
            owner_role: Role::IntakeCoordinator,
            content: BTreeMap::new(),
        }])
        .await
        .unwrap();
    (office, id)
}

/// Whether `body` carries the message `key` in one of the office's languages (an error page is told in the
/// language the request asked for, or the default one).
fn says(body: &str, key: &str) -> bool {
    use sito_office::i18n::{Lang, tr};
    [Lang::En, Lang::Uk, Lang::Ru]
        .into_iter()
        .any(|lang| body.contains(tr(lang).t(key).as_str()))
}

/// Whether `body` is the "request not understood" page naming `detail`, in one of the office's languages.
fn bad_request_names(body: &str, detail: &str) -> bool {
    use sito_office::i18n::{Lang, tr};
    [Lang::En, Lang::Uk, Lang::Ru].into_iter().any(|lang| {
        let text = tr(lang).t1("error-bad-request", "detail", detail);
        body.contains(text.as_str())
    })
}

async fn english(office: &Office, role: Role) -> (String, String) {
    let (cookie, csrf) = session(office, role).await;
    (format!("{cookie}; sito_lang=en"), csrf)
}

async fn raw_post(
    office: &Office,
    path: &str,
    cookie: &str,
    content_type: &str,
    body: Vec<u8>,
) -> u16 {
    let request = Request::builder()
        .method("POST")
        .uri(path)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .unwrap();
    dispatch(office, request).await.status
}

#[tokio::test]
async fn oversize_and_mistyped_form_bodies_are_refused_before_any_handler() {
    let (office, case) = office().await;
    let (cookie, csrf) = english(&office, Role::IntakeCoordinator).await;
    let path = format!("/cases/{case}");
    let huge = format!("csrf={csrf}&version=1&note={}", "x".repeat(70 * 1024));
    let form = "application/x-www-form-urlencoded";
    assert_eq!(
        raw_post(&office, &path, &cookie, form, huge.clone().into_bytes()).await,
        413
    );
    assert_eq!(
        raw_post(&office, "/login", "", form, huge.into_bytes()).await,
        413
    );
    let small = format!("csrf={csrf}&version=1&action=advance");
    assert_eq!(
        raw_post(
            &office,
            &path,
            &cookie,
            "application/json",
            small.clone().into_bytes()
        )
        .await,
        415
    );
    assert_eq!(
        raw_post(&office, &path, &cookie, "text/plain", small.into_bytes()).await,
        415
    );
    let events = office.state.store.case_events(case).await.unwrap();
    assert_eq!(events.len(), 1, "nothing was appended");
}

#[tokio::test]
async fn a_case_path_that_is_not_a_uuid_is_an_ordinary_404() {
    let (office, case) = office().await;
    let (cookie, _) = english(&office, Role::SecurityOfficer).await;
    for path in [
        "/cases/not-a-uuid".to_owned(),
        "/cases/..%2F..%2F..%2Fetc%2Fpasswd".to_owned(),
        format!("/cases/{case}'%20OR%20'1'='1"),
        format!("/cases/{case}%00"),
        format!("/cases/{}", Uuid::now_v7()),
    ] {
        let answer = send(&office, "GET", &path, Some(&cookie), &[]).await;
        assert_eq!(answer.status, 404, "{path}: {}", answer.body);
        assert!(
            says(&answer.body, "error-not-found"),
            "{path}: {}",
            answer.body
        );
    }
    // A file number that is not a small number is a bad request naming the field.
    for n in [
        "99999999999999999999999",
        "-1",
        "..%2F..%2Foffice.db",
        "1e3",
    ] {
        let path = format!("/cases/{case}/files/{n}");
        let answer = send(&office, "GET", &path, Some(&cookie), &[]).await;
        assert_eq!(answer.status, 400, "{path}: {}", answer.body);
        assert!(
            bad_request_names(&answer.body, "file number"),
            "{path}: {}",
            answer.body
        );
    }
}

#[tokio::test]
async fn a_bad_version_or_a_second_csrf_field_changes_nothing() {
    let (office, case) = office().await;
    let path = format!("/cases/{case}");
    for version in [
        "18446744073709551616",
        "-1",
        "1e3",
        "",
        "one",
        "1; DROP TABLE case_events",
    ] {
        let answer = send_as(
            &office,
            Role::IntakeCoordinator,
            "POST",
            &path,
            &[("version", version), ("action", "advance")],
        )
        .await;
        assert_eq!(answer.status, 400, "version {version:?}: {}", answer.body);
        assert!(
            !answer.body.contains("DROP TABLE"),
            "the bad value is not echoed"
        );
    }
    // Duplicate fields: the last one counts, so a forged token after the real one is refused.
    let (cookie, csrf) = session(&office, Role::IntakeCoordinator).await;
    let answer = send(
        &office,
        "POST",
        &path,
        Some(&cookie),
        &[("csrf", &csrf), ("csrf", "forged"), ("version", "1")],
    )
    .await;
    assert_eq!(answer.status, 403);
    assert_eq!(office.state.store.case_events(case).await.unwrap().len(), 1);
}

#[tokio::test]
async fn injected_html_is_shown_escaped_and_injected_sql_is_only_searched_for() {
    let (office, case) = office().await;
    let (cookie, _) = english(&office, Role::IntakeCoordinator).await;
    let escaped = "Sova&#60;script&#62;alert(1)&#60;/script&#62;";
    for path in [
        "/queue".to_owned(),
        "/cases".to_owned(),
        format!("/cases/{case}"),
    ] {
        let answer = send(&office, "GET", &path, Some(&cookie), &[]).await;
        assert_eq!(answer.status, 200, "{path}");
        assert!(!answer.body.contains(SCRIPT), "{path}: {}", answer.body);
        assert!(
            answer.body.contains(escaped),
            "{path} shows the call sign escaped"
        );
    }
    // An SQL string in the search is a search for that text: nothing matches and the case stays.
    let sql = "/queue?q=%27%20OR%201%3D1%20--";
    let answer = send(&office, "GET", sql, Some(&cookie), &[]).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(
        !answer.body.contains(escaped),
        "nothing matches the injected text"
    );
    let answer = send(&office, "GET", "/queue?q=%3Cscript%3E", Some(&cookie), &[]).await;
    assert_eq!(answer.status, 200);
    assert!(!answer.body.contains(SCRIPT));
    assert!(
        answer.body.contains("&#60;script&#62;"),
        "the search box shows the text escaped"
    );
    // Broken UTF-8 in the query string is read with replacement characters and searched for: no match, no 500.
    let answer = send(&office, "GET", "/queue?q=%FF%FE", Some(&cookie), &[]).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(
        answer.body.contains("\u{fffd}\u{fffd}"),
        "the search box shows what was read"
    );
    assert!(!answer.body.contains(escaped));
    let answer = send(&office, "GET", "/queue", Some(&cookie), &[]).await;
    assert!(answer.body.contains(escaped), "the case is still there");
}

#[tokio::test]
async fn the_assisted_form_and_the_reply_refuse_control_characters_and_escape_what_they_show() {
    let (office, case) = office().await;
    let answer = send_as(
        &office,
        Role::IntakeCoordinator,
        "POST",
        "/assisted/other/review",
        &[
            ("call_sign", SCRIPT),
            ("full_name", "A B"),
            ("statement", "x"),
        ],
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(!answer.body.contains(SCRIPT));
    assert!(
        answer
            .body
            .contains("&#60;script&#62;alert(1)&#60;/script&#62;")
    );
    let answer = send_as(
        &office,
        Role::IntakeCoordinator,
        "POST",
        "/assisted/other/review",
        &[
            ("call_sign", "Sova"),
            ("full_name", "A\u{1b}[2JB"),
            ("statement", "x"),
        ],
    )
    .await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(
        answer
            .body
            .contains("`full_name` contains control characters")
    );
    let answer = send_as(
        &office,
        Role::IntakeCoordinator,
        "POST",
        "/assisted/..%2F..%2Fetc/review",
        &[("call_sign", "Sova"), ("full_name", "A B")],
    )
    .await;
    assert_eq!(answer.status, 400, "an unknown category: {}", answer.body);
    assert!(
        bad_request_names(&answer.body, "category"),
        "{}",
        answer.body
    );
    // A reply with a control character comes back with the reason; nothing is sent.
    let answer = send_as(
        &office,
        Role::IntakeCoordinator,
        "POST",
        &format!("/cases/{case}/messages"),
        &[("text", "hello\u{0}")],
    )
    .await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(
        answer.body.contains("contains control characters"),
        "{}",
        answer.body
    );
    assert_eq!(office.state.store.case_events(case).await.unwrap().len(), 1);
}
