//! The auditor's log reads as people, not ids: the system by name, staff by call sign, cases by their call sign
//! with a link to everything done to them, and the log cut to days.
#![allow(clippy::expect_used, clippy::unwrap_used)]
mod support;

use std::collections::BTreeMap;

use sito_core::machine::CaseState;
use sito_core::{CaseId, Category, Role};
use sito_office::now;
use sito_store::NewCase;
use sito_store::audit::AuditInput;
use support::{Office, send_as, staff_id};
use uuid::Uuid;

/// 2026-01-10 and 2026-03-05, noon UTC.
const JANUARY_MS: i64 = 1_768_046_400_000;
const MARCH_MS: i64 = 1_772_712_000_000;

async fn office_with_entries() -> (Office, CaseId) {
    let office = Office::new().await;
    let id = CaseId::from_uuid(Uuid::from_u128(0xa0d1));
    let first = CaseState::receive(
        &office.state.pipeline,
        Category::PoliticalEmigre,
        "Кречет",
        now(),
    )
    .unwrap();
    let state = CaseState::fold(id, std::slice::from_ref(&first));
    office
        .state
        .store
        .create_cases(&[NewCase {
            state,
            events: vec![first],
            owner_role: Role::IntakeCoordinator,
            content: BTreeMap::new(),
        }])
        .await
        .unwrap();
    office
        .state
        .store
        .record_audit(&[
            AuditInput {
                at_ms: JANUARY_MS,
                actor: Uuid::nil().to_string(),
                action: "screen.flagged".into(),
                subject: id.to_string(),
                detail: "watchlist".into(),
            },
            AuditInput {
                at_ms: MARCH_MS,
                actor: staff_id(Role::SecurityOfficer).to_string(),
                action: "identity.read".into(),
                subject: id.to_string(),
                detail: "groups=identity; reason=march check".into(),
            },
        ])
        .await
        .unwrap();
    (office, id)
}

#[tokio::test]
async fn actors_and_subjects_are_named_and_linked() {
    let (office, id) = office_with_entries().await;
    let log = send_as(&office, Role::Auditor, "GET", "/audit", &[]).await;
    assert_eq!(log.status, 200, "{}", log.body);
    let tr = sito_office::i18n::tr(sito_office::i18n::Lang::Ru);
    assert!(
        log.body
            .contains(&format!("<td>{}</td>", tr.t("audit-system"))),
        "{}",
        log.body
    );
    assert!(!log.body.contains("00000000-0000-0000-0000-000000000000"));
    assert!(
        log.body.contains("Кречет"),
        "the case's call sign names the subject"
    );
    assert!(log.body.contains(&format!("href=\"/audit?subject={id}\"")));
    let officer = Role::SecurityOfficer.as_str();
    assert!(
        log.body
            .contains(&format!("href=\"/audit?actor={officer}\""))
    );
    assert!(
        !log.body
            .contains(&staff_id(Role::SecurityOfficer).to_string())
    );

    // Following the subject's link shows what was done to that case only.
    let case_log = send_as(
        &office,
        Role::Auditor,
        "GET",
        &format!("/audit?subject={id}"),
        &[],
    )
    .await;
    assert!(case_log.body.contains("march check") && case_log.body.contains("watchlist"));
    let actor_log = send_as(
        &office,
        Role::Auditor,
        "GET",
        &format!("/audit?actor={officer}"),
        &[],
    )
    .await;
    assert!(actor_log.body.contains("march check") && !actor_log.body.contains("watchlist"));
}

#[tokio::test]
async fn the_log_is_cut_to_days_and_a_wrong_day_is_refused_in_words() {
    let (office, _) = office_with_entries().await;
    let march = send_as(&office, Role::Auditor, "GET", "/audit?from=2026-03-01", &[]).await;
    assert_eq!(march.status, 200);
    assert!(march.body.contains("march check") && !march.body.contains("watchlist"));
    let january = send_as(&office, Role::Auditor, "GET", "/audit?to=2026-01-10", &[]).await;
    assert!(january.body.contains("watchlist") && !january.body.contains("march check"));
    let one_day = send_as(
        &office,
        Role::Auditor,
        "GET",
        "/audit?from=2026-03-05&to=2026-03-05",
        &[],
    )
    .await;
    assert!(one_day.body.contains("march check") && !one_day.body.contains("watchlist"));
    assert!(
        one_day.body.contains("value=\"2026-03-05\""),
        "the form keeps the days"
    );

    let tr = sito_office::i18n::tr(sito_office::i18n::Lang::Ru);
    for wrong in ["2026-02-30", "05.03.2026", "yesterday"] {
        let refused = send_as(
            &office,
            Role::Auditor,
            "GET",
            &format!("/audit?from={wrong}"),
            &[],
        )
        .await;
        assert_eq!(refused.status, 400, "{wrong}");
        assert!(
            refused.body.contains(&tr.t("audit-from")),
            "{wrong}: {}",
            refused.body
        );
        assert!(
            !refused.body.contains("validate-"),
            "{wrong}: {}",
            refused.body
        );
    }
}
