//! Each role's answer on the staff intake pages, over the real router: a case's files (Documents permit) and the
//! applicant's thread (Contacts permit), at the first stage and at the meeting, where the policy's answer changes
//! for the logistics officer. Downloads are attachments with conservative types, and each one is audited.
#![allow(clippy::expect_used, clippy::unwrap_used)]
use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, header};
use base64::Engine;
use sito_core::machine::{CaseState, Event, EventKind};
use sito_core::{CaseId, Category, FieldGroup, GroupContent, Pipeline, Role, StaffId};
use sito_store::audit::AuditFilter;
use sito_store::{NewCase, NewStaff, SessionRecord, Store};
use sito_web::auth::hash_session_id;
use sito_web::routes::office_router;
use sito_web::{AppState, OfficeConfig, now};
use tower::ServiceExt;
use uuid::Uuid;

const PHOTO: &[u8] = b"\x89PNG\r\n\x1a\n stands in for a re-encoded photo";
const PDF: &[u8] = b"%PDF-1.7 stands in for a quarantined document";

fn staff_id(role: Role) -> StaffId {
    let index = Role::ALL.iter().position(|r| *r == role).unwrap() as u128;
    StaffId::from_uuid(Uuid::from_u128(0x2000 + index))
}

struct Office {
    state: AppState,
    at_intake: CaseId,
    at_meeting: CaseId,
    _dir: tempfile::TempDir,
}

fn documents() -> GroupContent {
    let encode = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let mut documents = GroupContent::default();
    documents.push("file_1", format!("image/png;clean;{}", encode(PHOTO)));
    documents.push(
        "file_2",
        format!("application/pdf;quarantined;{}", encode(PDF)),
    );
    documents
}

fn case(id: CaseId, events: Vec<Event>, owner_role: Role) -> NewCase {
    NewCase {
        state: CaseState::fold(id, &events),
        events,
        owner_role,
        content: BTreeMap::from([(FieldGroup::Documents, documents())]),
    }
}

async fn office() -> Office {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::from(
        sito_store::open(&format!("sqlite://{}/office.db", dir.path().display()))
            .await
            .unwrap(),
    );
    for role in Role::ALL {
        store
            .create_staff(&NewStaff {
                id: staff_id(*role),
                call_sign: role.as_str().to_owned(),
                role: *role,
                password_hash: "unused".into(),
                created_at: now(),
            })
            .await
            .unwrap();
    }
    let pipeline = Pipeline::default_legion().unwrap();
    let received =
        CaseState::receive(&pipeline, Category::FormerServiceman, "Сова", now()).unwrap();
    let at_intake = CaseId::from_uuid(Uuid::now_v7());
    let at_meeting = CaseId::from_uuid(Uuid::now_v7());
    let moved = Event {
        seq: 2,
        at: now(),
        actor: Some(staff_id(Role::SecurityOfficer)),
        kind: EventKind::StageAdvanced {
            from: "received".into(),
            to: "meeting_arranged".into(),
            note: String::new(),
        },
    };
    store
        .create_cases(&[
            case(at_intake, vec![received.clone()], Role::IntakeCoordinator),
            case(at_meeting, vec![received, moved], Role::LogisticsOfficer),
        ])
        .await
        .unwrap();
    Office {
        state: AppState {
            store,
            pipeline: Arc::new(pipeline),
            passwords: Arc::new(sito_web::auth::PasswordHashing::new(
                argon2::Params::new(8, 1, 1, None).unwrap(),
            )),
            config: Arc::new(OfficeConfig::default()),
        },
        at_intake,
        at_meeting,
        _dir: dir,
    }
}

async fn session(office: &Office, role: Role) -> (String, String) {
    let id = sito_web::auth::random_token().unwrap();
    let csrf = sito_web::auth::random_token().unwrap();
    office
        .state
        .store
        .create_session(&SessionRecord {
            id_hash: hash_session_id(&id),
            staff_id: staff_id(role),
            csrf_token: csrf.clone(),
            created_at: now(),
            last_seen: now(),
        })
        .await
        .unwrap();
    (format!("sito_session={id}; sito_lang=en"), csrf)
}

struct Answer {
    status: u16,
    content_type: String,
    disposition: Option<String>,
    body: Vec<u8>,
}

async fn send(office: &Office, method: &str, path: &str, cookie: &str, csrf: &str) -> Answer {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    let body = if method == "POST" {
        Body::from(format!("csrf={csrf}"))
    } else {
        Body::empty()
    };
    let response = office_router(office.state.clone())
        .oneshot(request.body(body).unwrap())
        .await
        .unwrap();
    let header_text = |name| {
        response
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let content_type = header_text(header::CONTENT_TYPE).unwrap_or_default();
    let disposition = header_text(header::CONTENT_DISPOSITION);
    let status = response.status().as_u16();
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap()
        .to_vec();
    Answer {
        status,
        content_type,
        disposition,
        body,
    }
}

/// What each role gets: (the photo, the thread) of the case at the first stage and of the case at the meeting.
/// 200 means the file's bytes or the thread page; 403 means refused.
const TABLE: &[(Role, [u16; 2], [u16; 2])] = &[
    (Role::IntakeCoordinator, [200, 200], [200, 200]),
    (Role::SecurityOfficer, [200, 200], [200, 200]),
    // Contacts only at the meeting and only while working it: so the thread opens there and not before.
    (Role::LogisticsOfficer, [403, 403], [403, 200]),
    (Role::Psychologist, [403, 403], [403, 403]),
    (Role::PolygraphExaminer, [403, 403], [403, 403]),
    (Role::BoardMember, [200, 403], [200, 403]),
    (Role::TrainingOfficer, [403, 403], [403, 403]),
    (Role::UnitCommander, [403, 403], [403, 403]),
    (Role::Auditor, [403, 403], [403, 403]),
    (Role::Administrator, [403, 403], [403, 403]),
];

#[tokio::test]
async fn each_role_gets_the_files_and_the_thread_the_policy_grants() {
    let office = office().await;
    assert_eq!(TABLE.len(), Role::ALL.len());
    let mut downloads = 0;
    for (role, at_intake, at_meeting) in TABLE {
        let (cookie, _) = session(&office, *role).await;
        for (case, [file, thread]) in [
            (office.at_intake, at_intake),
            (office.at_meeting, at_meeting),
        ] {
            let photo = send(
                &office,
                "GET",
                &format!("/cases/{case}/files/1"),
                &cookie,
                "",
            )
            .await;
            assert_eq!(photo.status, *file, "{role:?} photo of {case}");
            if photo.status == 200 {
                downloads += 1;
                assert_eq!(photo.body, PHOTO);
                assert_eq!(photo.content_type, "image/png");
                assert!(
                    photo
                        .disposition
                        .unwrap()
                        .starts_with("attachment; filename=\"case-")
                );
            }
            let messages = send(
                &office,
                "GET",
                &format!("/cases/{case}/messages"),
                &cookie,
                "",
            )
            .await;
            assert_eq!(messages.status, *thread, "{role:?} thread of {case}");
        }
    }
    let audited = office
        .state
        .store
        .search_audit(&AuditFilter {
            action_prefix: Some("document.read".into()),
            limit: 100,
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(audited.len(), downloads, "every download is audited");
}

#[tokio::test]
async fn a_quarantined_file_is_served_only_after_the_warning_is_confirmed() {
    let office = office().await;
    let (cookie, csrf) = session(&office, Role::SecurityOfficer).await;
    let path = format!("/cases/{}/files/2", office.at_intake);
    let warning = send(&office, "GET", &path, &cookie, "").await;
    assert_eq!(warning.status, 200);
    assert!(warning.content_type.starts_with("text/html"));
    assert!(warning.disposition.is_none());
    let page = String::from_utf8(warning.body).unwrap();
    assert!(page.contains("offline machine"), "the page says what to do");
    assert!(page.contains(&format!("name=\"csrf\" value=\"{csrf}\"")));
    assert!(!page.contains("%PDF"));

    assert_eq!(
        send(&office, "POST", &path, &cookie, "forged").await.status,
        403
    );
    let served = send(&office, "POST", &path, &cookie, &csrf).await;
    assert_eq!(served.status, 200);
    assert_eq!(served.content_type, "application/octet-stream");
    assert!(served.disposition.unwrap().ends_with("-file-2.pdf\""));
    assert_eq!(served.body, PDF);

    for (path, status) in [
        (format!("/cases/{}/files/3", office.at_intake), 404),
        (format!("/cases/{}/files/x", office.at_intake), 400),
        (format!("/cases/{}/files/1", Uuid::now_v7()), 404),
        ("/cases/not-a-case/files/1".to_owned(), 404),
    ] {
        assert_eq!(
            send(&office, "GET", &path, &cookie, "").await.status,
            status,
            "{path}"
        );
    }
}
