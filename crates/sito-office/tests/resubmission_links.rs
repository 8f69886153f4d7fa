//! Resubmissions: an applicant who sends the intake form twice, as people do when no answer comes, is linked to
//! their first application by the link analysis, whatever contact kind the form offers they used and however they
//! typed it the second time. The applications go the real way: the intake's form parser, then the office's pull.
#![allow(clippy::expect_used, clippy::unwrap_used)]
mod support;

use std::collections::HashMap;
use std::sync::Arc;

use sito_core::{CaseId, Category};
use sito_crypto::BlindIndexKey;
use sito_http::i18n::Lang;
use sito_office::now;
use sito_office::screening::{Linker, link_keys};
use sito_screen::links::LinkConfig;
use sito_store::links::{LinkStore, SqliteLinkStore};
use support::Office;
use uuid::Uuid;

/// The contact kinds the intake form suggests (`intake-q-contact_kind`: Signal, Telegram, e-mail) and a phone,
/// each written once as a careful applicant would and once as a hurried one.
const RESUBMISSIONS: &[(&str, &str, &str)] = &[
    ("signal", "+7 925 410-33-87", "+79254103387"),
    ("Telegram", "@volna_77", "volna_77"),
    ("e-mail", "Volna.Group@gmail.com", "volna.group@gmail.com"),
    ("phone", "+380 67 123 45 67", "+380671234567"),
];

fn form(call_sign: &str, kind: &str, contact: &str) -> HashMap<String, String> {
    [
        ("call_sign", call_sign),
        ("full_name", "Петров Пётр Петрович"),
        ("birth_date", "1990-02-28"),
        ("contact_kind", kind),
        ("contact_value", contact),
        ("statement", "I want to fight for a free Russia."),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value.to_owned()))
    .collect()
}

#[tokio::test]
async fn an_identical_resubmission_is_linked_for_every_contact_kind_the_form_offers() {
    let office = Office::new().await;
    let links: Arc<dyn LinkStore> = Arc::new(SqliteLinkStore::open(&office.url).await.unwrap());
    let pipeline = &office.state.pipeline;
    let mut pairs = Vec::new();
    let mut cases = Vec::new();
    for (n, (kind, first, again)) in RESUBMISSIONS.iter().enumerate() {
        let mut pair = Vec::new();
        for (round, contact) in [first, again].into_iter().enumerate() {
            let fields = form(&format!("Пётр-{n}"), kind, contact);
            let application = sito_intake::site::application_from_form(
                Category::PoliticalEmigre,
                &fields,
                Lang::Ru,
            )
            .unwrap_or_else(|error| panic!("{kind} {contact}: {error}"));
            let id = CaseId::from_uuid(Uuid::from_u128(0x5e00 + (n as u128) * 2 + round as u128));
            let case = sito_office::pull::new_case(pipeline, id, &application, now());
            assert!(
                !link_keys(&case.content).is_empty(),
                "{kind} {contact}: the contact gives the link analysis a key"
            );
            cases.push(case);
            pair.push(id);
        }
        pairs.push(pair);
    }
    office.state.store.create_cases(&cases).await.unwrap();

    let linker = Linker::new(
        Arc::clone(&links),
        BlindIndexKey::generate(),
        LinkConfig::default(),
    );
    let round = linker
        .link_pending(office.state.store.as_ref(), pipeline, now(), 100)
        .await
        .unwrap();
    assert_eq!(round.keyed, cases.len());
    for ((kind, _, _), pair) in RESUBMISSIONS.iter().zip(&pairs) {
        let group = links
            .group_of(pair[0])
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{kind}: the first application is in no group"));
        let mut members = group.group.members.clone();
        members.sort();
        let mut expected = pair.clone();
        expected.sort();
        assert_eq!(members, expected, "{kind}: the resubmission and only it");
    }
}
