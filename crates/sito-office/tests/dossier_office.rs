//! The board's dossier over the real router and an encrypted store: what a psychologist records through the case
//! page shows in the dossier with who recorded it, to the roles the policy lets see psychology and to no other.
#![allow(clippy::expect_used, clippy::unwrap_used)]
mod support;

use sito_core::Role;
use support::{Office, send_as};

const REASONING: &str = "Steady under questioning; motive is the death of his brother near Izium";

#[tokio::test]
async fn the_dossier_shows_the_psychologists_assessment_to_the_board_and_not_to_logistics() {
    let office = Office::new().await;
    let id = support::case_at(&office, 0x7d00, "Беркут", "psychologist_interview").await;
    let case_path = format!("/cases/{id}");
    let ticked = send_as(
        &office,
        Role::Psychologist,
        "POST",
        &case_path,
        &[
            ("action", "tick"),
            ("check", "interview_done"),
            ("version", "2"),
        ],
    )
    .await;
    assert_eq!(ticked.status, 303, "{}", ticked.body);
    let assessed = send_as(
        &office,
        Role::Psychologist,
        "POST",
        &case_path,
        &[
            ("action", "tick"),
            ("check", "assessment_written"),
            ("version", "3"),
            ("finding.motivation", "revenge and duty"),
            ("finding.stability", "4"),
            ("finding.risk_indicators", "none seen"),
            ("finding.recommendation", "recommend"),
            ("finding.reasoning", REASONING),
        ],
    )
    .await;
    assert_eq!(assessed.status, 303, "{}", assessed.body);

    let path = format!("/cases/{id}/dossier");
    let board = send_as(&office, Role::BoardMember, "GET", &path, &[]).await;
    assert_eq!(board.status, 200, "{}", board.body);
    let tr = sito_office::i18n::tr(sito_office::i18n::Lang::Ru);
    assert!(
        board
            .body
            .contains(&tr.t1("dossier-title", "call_sign", "Беркут"))
    );
    assert!(board.body.contains("id=\"stage-psychologist_interview\""));
    assert!(
        board.body.contains("id=\"stage-received\""),
        "stages reached before are listed"
    );
    assert!(
        !board.body.contains("id=\"stage-polygraph_1\""),
        "stages not reached are not"
    );
    assert!(board.body.contains(REASONING));
    assert!(board.body.contains(&tr.label("option", "recommend")));
    // Who recorded it: the psychologist's call sign (the test accounts are named after their roles).
    assert!(board.body.contains(Role::Psychologist.as_str()));
    for key in ["dossier-", "case-recorded-by", "check-", "stage-label"] {
        assert!(
            !board.body.contains(&format!(">{key}")),
            "an untranslated key {key} in the page"
        );
    }

    let logistics = send_as(&office, Role::LogisticsOfficer, "GET", &path, &[]).await;
    assert_eq!(logistics.status, 200);
    assert!(!logistics.body.contains(REASONING));
    assert!(!logistics.body.contains("revenge and duty"));
    assert!(
        logistics.body.contains(&tr.label("group", "psychology")),
        "the hidden groups are named"
    );

    let auditor = send_as(&office, Role::Auditor, "GET", &path, &[]).await;
    assert_eq!(auditor.status, 403);

    let print = send_as(
        &office,
        Role::BoardMember,
        "GET",
        &format!("{path}?print=1"),
        &[],
    )
    .await;
    assert_eq!(print.status, 200);
    assert!(print.body.contains("class=\"dossier print\""));
    assert!(print.body.contains(REASONING));
    let bad = send_as(
        &office,
        Role::BoardMember,
        "GET",
        &format!("{path}?print=yes"),
        &[],
    )
    .await;
    assert_eq!(bad.status, 400);

    let case_page = send_as(&office, Role::BoardMember, "GET", &case_path, &[]).await;
    assert!(
        case_page.body.contains(&format!("href=\"{path}\"")),
        "the case page links its dossier"
    );
}
