//! Findings in the staff site over the real router and an encrypted store: a check that needs findings is refused
//! without valid ones, in the reader's language; booking checks are not ticked by hand; an action that cannot run
//! is shown disabled with its reason; recorded findings are shown only to the roles the policy lets see their group.
#![allow(clippy::expect_used, clippy::unwrap_used)]
mod support;

use sito_core::Role;
use support::{Office, send_as};

/// A former serviceman's case moved straight to `stage`.
async fn case_at(office: &Office, n: u128, stage: &str) -> String {
    support::case_at(office, 0x7000 + n, "Сокол", stage)
        .await
        .to_string()
}

#[tokio::test]
async fn a_check_that_needs_findings_is_refused_without_valid_ones() {
    let office = Office::new().await;
    let id = case_at(&office, 1, "document_scrutiny").await;
    let path = format!("/cases/{id}");
    let tick = |extra: Vec<(&'static str, &'static str)>| {
        let mut form = vec![
            ("action", "tick"),
            ("check", "identity_documents_verified"),
            ("version", "2"),
        ];
        form.extend(extra);
        form
    };
    let tr = sito_office::i18n::tr(sito_office::i18n::Lang::Ru);

    let missing = send_as(&office, Role::SecurityOfficer, "POST", &path, &tick(vec![])).await;
    assert_eq!(missing.status, 422);
    assert!(
        missing
            .body
            .contains(&tr.label("finding", "documents_checked"))
    );
    assert!(!missing.body.contains("refusal-"), "{}", missing.body);

    let unknown_option = tick(vec![
        ("finding.documents_checked", "passport"),
        ("finding.verdict", "maybe"),
    ]);
    let refused = send_as(
        &office,
        Role::SecurityOfficer,
        "POST",
        &path,
        &unknown_option,
    )
    .await;
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains(&tr.t("validate-unknown-option")));

    let valid = tick(vec![
        ("finding.documents_checked", "passport and military ID"),
        ("finding.verdict", "authentic"),
    ]);
    let answer = send_as(&office, Role::SecurityOfficer, "POST", &path, &valid).await;
    assert_eq!(answer.status, 303, "{}", answer.body);

    // The owner sees the finding with who recorded it; a role the policy keeps out of documents does not.
    let page = send_as(&office, Role::SecurityOfficer, "GET", &path, &[]).await;
    assert!(page.body.contains("id=\"findings-group-documents\""));
    assert!(page.body.contains("passport and military ID"));
    assert!(page.body.contains(Role::SecurityOfficer.as_str()));
    for role in [
        Role::Psychologist,
        Role::TrainingOfficer,
        Role::UnitCommander,
    ] {
        let page = send_as(&office, role, "GET", &path, &[]).await;
        assert_eq!(page.status, 200, "{role}");
        assert!(!page.body.contains("findings-group-documents"), "{role}");
        assert!(!page.body.contains("passport and military ID"), "{role}");
    }
}

#[tokio::test]
async fn a_booking_check_is_not_ticked_by_hand() {
    let office = Office::new().await;
    let id = case_at(&office, 2, "meeting_arranged").await;
    let path = format!("/cases/{id}");
    let page = send_as(&office, Role::LogisticsOfficer, "GET", &path, &[]).await;
    assert!(
        !page
            .body
            .contains("name=\"check\" value=\"safe_location_booked\"")
    );
    let tr = sito_office::i18n::tr(sito_office::i18n::Lang::Ru);
    assert!(page.body.contains(&tr.t("case-set-by-planning")));
    let answer = send_as(
        &office,
        Role::LogisticsOfficer,
        "POST",
        &path,
        &[
            ("action", "tick"),
            ("check", "safe_location_booked"),
            ("version", "2"),
        ],
    )
    .await;
    assert_eq!(answer.status, 422);
    let reason = tr.args(
        "refusal-set-by-planning",
        vec![("check", tr.label("check", "safe_location_booked").into())],
    );
    assert!(answer.body.contains(&reason), "{}", answer.body);
}

#[tokio::test]
async fn an_action_that_cannot_run_is_disabled_with_its_reason() {
    let office = Office::new().await;
    let id = case_at(&office, 3, "polygraph_1").await;
    let path = format!("/cases/{id}");
    let page = send_as(&office, Role::PolygraphExaminer, "GET", &path, &[]).await;
    let tr = sito_office::i18n::tr(sito_office::i18n::Lang::Ru);
    let why = tr.t1(
        "case-why-disabled",
        "reason",
        tr.args(
            "refusal-checklist-incomplete",
            vec![("checks", tr.label("check", "polygraph_1_recorded").into())],
        ),
    );
    assert!(page.body.contains(&why), "{}", page.body);
    assert!(
        !page.body.contains("polygraph_1_recorded</"),
        "no internal key"
    );
    // The examination form asks for the report's fields.
    assert!(page.body.contains("name=\"finding.question_areas\""));
    // Advancing anyway is refused with the same words.
    let answer = send_as(
        &office,
        Role::PolygraphExaminer,
        "POST",
        &path,
        &[("action", "advance"), ("version", "2")],
    )
    .await;
    assert_eq!(answer.status, 422);
    assert!(
        answer
            .body
            .contains(&tr.label("check", "polygraph_1_recorded"))
    );
}
