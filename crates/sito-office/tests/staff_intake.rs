//! Each role's answer on the staff intake pages, over the real router: a case's files (Documents permit) and the
//! applicant's thread (Contacts permit), at the first stage and at the meeting, where the policy's answer changes
//! for the logistics officer. Downloads are attachments with conservative types, and each one is audited.
#![allow(clippy::expect_used, clippy::unwrap_used)]
mod support;

use std::collections::BTreeMap;

use base64::Engine;
use sito_core::machine::{CaseState, Event, EventKind};
use sito_core::{CaseId, Category, FieldGroup, GroupContent, Role};
use sito_office::now;
use sito_store::NewCase;
use sito_store::audit::AuditFilter;
use support::{Office, send, session, staff_id};
use uuid::Uuid;

const PHOTO: &[u8] = b"\x89PNG\r\n\x1a\n stands in for a re-encoded photo";
const PDF: &[u8] = b"%PDF-1.7 stands in for a quarantined document";

/// The two cases of the office: one at its first stage, one at the meeting.
struct Cases {
    at_intake: CaseId,
    at_meeting: CaseId,
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

async fn office() -> (Office, Cases) {
    let office = Office::new().await;
    let received = CaseState::receive(
        &office.state.pipeline,
        Category::FormerServiceman,
        "Сова",
        now(),
    )
    .unwrap();
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
    office
        .state
        .store
        .create_cases(&[
            case(at_intake, vec![received.clone()], Role::IntakeCoordinator),
            case(at_meeting, vec![received, moved], Role::LogisticsOfficer),
        ])
        .await
        .unwrap();
    (
        office,
        Cases {
            at_intake,
            at_meeting,
        },
    )
}

/// A session cookie that also asks for the English pages.
async fn english_session(office: &Office, role: Role) -> (String, String) {
    let (cookie, csrf) = session(office, role).await;
    (format!("{cookie}; sito_lang=en"), csrf)
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
    let (office, cases) = office().await;
    assert_eq!(TABLE.len(), Role::ALL.len());
    let mut downloads = 0;
    for (role, at_intake, at_meeting) in TABLE {
        let (cookie, _) = english_session(&office, *role).await;
        for (case, [file, thread]) in [(cases.at_intake, at_intake), (cases.at_meeting, at_meeting)]
        {
            let photo = send(
                &office,
                "GET",
                &format!("/cases/{case}/files/1"),
                Some(&cookie),
                &[],
            )
            .await;
            assert_eq!(photo.status, *file, "{role:?} photo of {case}");
            if photo.status == 200 {
                downloads += 1;
                assert_eq!(photo.bytes, PHOTO);
                assert_eq!(photo.content_type.as_deref(), Some("image/png"));
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
                Some(&cookie),
                &[],
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
    let (office, cases) = office().await;
    let (cookie, csrf) = english_session(&office, Role::SecurityOfficer).await;
    let path = format!("/cases/{}/files/2", cases.at_intake);
    let warning = send(&office, "GET", &path, Some(&cookie), &[]).await;
    assert_eq!(warning.status, 200);
    assert!(
        warning
            .content_type
            .as_deref()
            .unwrap_or_default()
            .starts_with("text/html")
    );
    assert!(warning.disposition.is_none());
    let page = String::from_utf8(warning.bytes).unwrap();
    assert!(page.contains("offline machine"), "the page says what to do");
    assert!(page.contains(&format!("name=\"csrf\" value=\"{csrf}\"")));
    assert!(!page.contains("%PDF"));

    assert_eq!(
        send(&office, "POST", &path, Some(&cookie), &[("csrf", "forged")])
            .await
            .status,
        403
    );
    let served = send(&office, "POST", &path, Some(&cookie), &[("csrf", &csrf)]).await;
    assert_eq!(served.status, 200);
    assert_eq!(
        served.content_type.as_deref(),
        Some("application/octet-stream")
    );
    assert!(served.disposition.unwrap().ends_with("-file-2.pdf\""));
    assert_eq!(served.bytes, PDF);

    for (path, status) in [
        (format!("/cases/{}/files/3", cases.at_intake), 404),
        (format!("/cases/{}/files/x", cases.at_intake), 400),
        (format!("/cases/{}/files/1", Uuid::now_v7()), 404),
        ("/cases/not-a-case/files/1".to_owned(), 404),
    ] {
        assert_eq!(
            send(&office, "GET", &path, Some(&cookie), &[]).await.status,
            status,
            "{path}"
        );
    }
}
