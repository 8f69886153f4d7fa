//! The office's form bodies fuzzed over the real router (issue 11 item 1, the targets for the office's forms): a
//! signed-in owner posts thousands of generated bodies (the forms' own field names with hostile, wrong and random
//! values, repeated and missing fields, and raw bytes) to the case page, the bulk action and the identity reveal.
//! No answer may be a server error, and whatever was refused must leave the case exactly as it was.
#![allow(clippy::expect_used, clippy::unwrap_used)]
mod support;

use std::collections::BTreeMap;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use sito_core::Role;
use support::{Office, send, send_raw, session};

/// Field names the office's forms use, and a few they do not.
const NAMES: &[&str] = &[
    "action",
    "version",
    "check",
    "csrf",
    "note",
    "reason",
    "reason_code",
    "outcome",
    "unit",
    "flag",
    "confirmed",
    "case",
    "finding.documents_checked",
    "finding.verdict",
    "finding.notes",
    "finding.scan",
    "finding.stability",
    "finding.report_date",
    "message",
    "text",
    "page",
    "",
];

/// Values a careless or hostile sender tries, beside random text.
const VALUES: &[&str] = &[
    "tick",
    "advance",
    "approve",
    "polygraph",
    "assign",
    "reject",
    "withdraw",
    "hold",
    "refer",
    "reopen",
    "resolve",
    "return",
    "clear",
    "identity_documents_verified",
    "authentic",
    "1",
    "2",
    "3",
    "0",
    "-1",
    "18446744073709551616",
    "NaN",
    "",
    " ",
    "true",
    "no_deception_indicated",
    "security_risk",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "\u{0}",
    "\u{202e}gnp.exe",
    "2026-02-30",
    "00000000-0000-0000-0000-000000000000",
];

fn field() -> impl Strategy<Value = (String, String)> {
    (
        prop_oneof![4 => prop::sample::select(NAMES).prop_map(str::to_owned), 1 => ".{0,12}"],
        prop_oneof![
            3 => prop::sample::select(VALUES).prop_map(str::to_owned),
            1 => ".{0,40}",
            1 => "[0-9]{1,25}",
        ],
    )
}

#[tokio::test]
async fn generated_form_bodies_never_break_the_office_and_refusals_change_nothing() {
    let office = Office::new().await;
    let id = support::case_at(&office, 0xf022, "Кобчик", "document_scrutiny").await;
    let (cookie, csrf) = session(&office, Role::SecurityOfficer).await;
    let paths = [
        format!("/cases/{id}"),
        "/cases/bulk".to_owned(),
        format!("/cases/{id}/reveal"),
    ];
    // Half the bodies start as a real form would (an action, the case's version and a check), so the run reaches
    // the state machine and the findings checks, not only the parser.
    let skeleton = prop::option::weighted(
        0.5,
        (
            prop::sample::select(vec![
                "tick", "advance", "reject", "hold", "return", "resolve", "approve",
            ]),
            prop::sample::select(vec!["2", "3"]),
            prop::sample::select(vec![
                "identity_documents_verified",
                "service_record_verified",
                "contact_established",
            ]),
        ),
    );
    let bodies = (
        prop::bool::weighted(0.8),
        prop::collection::vec(field(), 0..8),
        prop::sample::select(vec![0usize, 1, 2]),
        skeleton,
    );
    let mut runner = TestRunner::deterministic();
    let mut answered = BTreeMap::<u16, u32>::new();
    for _ in 0..1_500 {
        let (with_csrf, fields, path, skeleton) = bodies.new_tree(&mut runner).unwrap().current();
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        if let Some((action, version, check)) = skeleton {
            pairs.extend([("action", action), ("version", version), ("check", check)]);
        }
        pairs.extend(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        if with_csrf {
            pairs.insert(0, ("csrf", csrf.as_str()));
        }
        let before = office.state.store.case_events(id).await.unwrap().len();
        let answer = send(&office, "POST", &paths[path], Some(&cookie), &pairs).await;
        assert!(
            answer.status < 500,
            "{} {pairs:?}: {} {}",
            paths[path],
            answer.status,
            answer.body
        );
        *answered.entry(answer.status).or_default() += 1;
        let after = office.state.store.case_events(id).await.unwrap().len();
        if answer.status != 303 && path != 2 {
            assert_eq!(
                before, after,
                "refused with {} yet the case changed: {pairs:?}",
                answer.status
            );
        }
    }
    // Raw bodies: broken percent-encoding, bytes that are not UTF-8 once decoded, no `=` at all.
    for raw in [
        "%",
        "%zz=1",
        "a=%ff%fe",
        "&&&==&",
        "csrf",
        "action=tick&action=advance&version=2&version=3",
    ] {
        let answer = send_raw(&office, "POST", &paths[0], Some(&cookie), Some(raw)).await;
        assert!(answer.status < 500, "{raw:?}: {}", answer.status);
    }
    eprintln!("form bodies answered: {answered:?}");
    // The run reached past the CSRF check and the parser into the machine: refusals of every kind, not one wall.
    for status in [400, 403, 409, 422] {
        assert!(
            answered.contains_key(&status),
            "no {status} among {answered:?}"
        );
    }
}
