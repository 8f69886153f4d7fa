//! Link analysis in the office over a real SQLite store and the real staff router: applications sharing two kinds
//! of key are flagged once, a key held by many is a signal, the officer's dismissal is audited and sticks, and the
//! cluster pages show call signs and key kinds, never an identifier, to the security officer alone.
#![allow(clippy::expect_used, clippy::unwrap_used)]
mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use sito_core::machine::{Actor, CaseState, Command, Refusal};
use sito_core::{CaseId, Category, FieldGroup, GroupContent, Pipeline, Role};
use sito_crypto::BlindIndexKey;
use sito_office::now;
use sito_office::screening::{LINK_FLAG_PREFIX, Linker, link_keys};
use sito_screen::links::{KeyKind, LinkConfig};
use sito_store::NewCase;
use sito_store::audit::AuditFilter;
use sito_store::links::{LinkStore, SqliteLinkStore};
use support::{Office, send_raw, session, staff_id};
use uuid::Uuid;

/// Every plaintext identifier the applications below hold, in the forms a page could print them.
const PLAINTEXT: &[&str] = &[
    "925",
    "410-33-87",
    "4103387",
    "handler_anton",
    "volna",
    "gmail",
    "legion_svobody",
    "Садовая",
];

fn case_id(n: u128) -> CaseId {
    CaseId::from_uuid(Uuid::from_u128(n))
}

fn call_sign(n: u128) -> String {
    format!("Сокол-{n}")
}

fn application(pipeline: &Pipeline, n: u128, contacts: &[(&str, &str)]) -> NewCase {
    let events = vec![
        CaseState::receive(
            pipeline,
            Category::FormerServiceman,
            &call_sign(n),
            1_000 + n as i64,
        )
        .unwrap(),
    ];
    let mut identity = GroupContent::default();
    identity.push("full_name", format!("Иванов Иван {n}"));
    let mut group = GroupContent::default();
    for (key, value) in contacts {
        group.push(key, *value);
    }
    NewCase {
        state: CaseState::fold(case_id(n), &events),
        events,
        owner_role: Role::IntakeCoordinator,
        content: BTreeMap::from([
            (FieldGroup::Identity, identity),
            (FieldGroup::Contacts, group),
        ]),
    }
}

/// The shared office serving the link pages, plus the link store and the linker the tests drive directly.
struct LinksOffice {
    office: Office,
    links: Arc<dyn LinkStore>,
    linker: Linker,
}

impl std::ops::Deref for LinksOffice {
    type Target = Office;

    fn deref(&self) -> &Office {
        &self.office
    }
}

/// Three applications share a phone (each written differently) and a recruiter's handle; one pair shares only an
/// e-mail; seven name the same public channel; one shares nothing.
async fn office() -> LinksOffice {
    let office = Office::new().await;
    let links: Arc<dyn LinkStore> = Arc::new(SqliteLinkStore::open(&office.url).await.unwrap());
    let pipeline = &office.state.pipeline;
    let mut cases = vec![
        application(
            pipeline,
            1,
            &[
                ("signal", "+7 (925) 410-33-87"),
                ("referrer", "@handler_anton"),
            ],
        ),
        application(
            pipeline,
            2,
            &[
                ("whatsapp", "89254103387"),
                ("referrer", "t.me/Handler_Anton"),
            ],
        ),
        application(
            pipeline,
            3,
            &[("phone", "+79254103387"), ("referrer", "@HANDLER_ANTON")],
        ),
        application(pipeline, 4, &[("email", "volna.group@gmail.com")]),
        application(pipeline, 5, &[("email", "Volna.Group+legion@gmail.com")]),
        application(pipeline, 6, &[("signal", "+7 916 000-11-22")]),
    ];
    for n in 10..17 {
        cases.push(application(
            pipeline,
            n,
            &[("referrer", "https://t.me/legion_svobody")],
        ));
    }
    office.state.store.create_cases(&cases).await.unwrap();
    let linker = Linker::new(
        Arc::clone(&links),
        BlindIndexKey::generate(),
        LinkConfig::default(),
    );
    LinksOffice {
        office: office.with_links(Arc::clone(&links)),
        links,
        linker,
    }
}

/// What the assertions below read: the status, the redirect target and the page, which must be UTF-8.
async fn send(
    office: &Office,
    method: &str,
    path: &str,
    cookie: Option<&str>,
    form: Option<&str>,
) -> (u16, Option<String>, String) {
    let answer = send_raw(office, method, path, cookie, form).await;
    (
        answer.status,
        answer.location,
        String::from_utf8(answer.bytes).unwrap(),
    )
}

async fn open_flags(office: &LinksOffice, n: u128) -> Vec<String> {
    let events = office.state.store.case_events(case_id(n)).await.unwrap();
    CaseState::fold(case_id(n), &events)
        .open_flags
        .into_iter()
        .collect()
}

async fn link(office: &LinksOffice) -> sito_office::screening::LinkRound {
    office
        .linker
        .link_pending(
            office.state.store.as_ref(),
            &office.state.pipeline,
            now(),
            100,
        )
        .await
        .unwrap()
}

fn assert_no_plaintext(page: &str) {
    for value in PLAINTEXT {
        assert!(!page.contains(value), "the page shows `{value}`");
    }
}

/// A contact field (key, value) and the key the linker reads from it, if any.
type KeyCase = (&'static str, &'static str, Option<(KeyKind, &'static str)>);

#[test]
fn keys_are_read_by_field_and_normalised_before_blinding() {
    let table: &[KeyCase] = &[
        (
            "signal",
            "8 (916) 123-45-67",
            Some((KeyKind::Phone, "+79161234567")),
        ),
        (
            "phone",
            "067 123 4567",
            Some((KeyKind::Phone, "+380671234567")),
        ),
        (
            "telegram",
            "@Ivan_Petrov",
            Some((KeyKind::Handle, "ivan_petrov")),
        ),
        (
            "element",
            "ivan.p+x@gmail.com",
            Some((KeyKind::Email, "ivanp@gmail.com")),
        ),
        (
            "email",
            "A.B@Mail.RU",
            Some((KeyKind::Email, "a.b@mail.ru")),
        ),
        (
            "referrer",
            "https://t.me/Recruiter",
            Some((KeyKind::Referrer, "recruiter")),
        ),
        (
            "passport_number",
            "АВ 123-456",
            Some((KeyKind::Document, "AB123456")),
        ),
        (
            "address",
            "ул. Ленина, д. 5",
            Some((KeyKind::Address, "ул ленина д 5")),
        ),
        ("address", "Москва", None),
        ("language", "ru", None),
        ("signal", "12", None),
    ];
    for (key, value, expected) in table {
        let mut contacts = GroupContent::default();
        contacts.push(key, *value);
        let keys = link_keys(&BTreeMap::from([(FieldGroup::Contacts, contacts)]));
        let expected: Vec<(KeyKind, String)> = expected
            .iter()
            .map(|(kind, value)| (*kind, (*value).to_owned()))
            .collect();
        assert_eq!(keys, expected, "{key}: {value}");
    }
}

#[tokio::test]
async fn two_shared_kinds_flag_each_member_once_and_a_common_key_flags_no_one() {
    let office = office().await;
    let round = link(&office).await;
    assert!(round.analysed);
    assert_eq!(round.keyed, 13);
    assert_eq!(
        (round.groups, round.flagged_groups, round.flags_opened),
        (2, 1, 3),
        "the three sharing phone and referrer are flagged; the e-mail pair is linked, not flagged"
    );
    for n in 1..=3 {
        let flags = open_flags(&office, n).await;
        assert_eq!(flags.len(), 1, "case {n}: {flags:?}");
        assert!(flags[0].starts_with(LINK_FLAG_PREFIX));
    }
    for n in [4, 5, 6, 10, 16] {
        assert!(open_flags(&office, n).await.is_empty(), "case {n}");
    }
    // The flag holds the case at the screening review like any screening flag (the pipeline's no_open_flags guard).
    let mut held = CaseState::fold(
        case_id(1),
        &office.state.store.case_events(case_id(1)).await.unwrap(),
    );
    held.stage = "screening_review".into();
    held.checks_done.insert("screening_reviewed".into());
    let officer = Actor {
        id: staff_id(Role::SecurityOfficer),
        role: Role::SecurityOfficer,
    };
    assert_eq!(
        held.decide(
            &office.state.pipeline,
            officer,
            &Command::Advance {
                note: String::new()
            }
        ),
        Err(Refusal::OpenFlags(1))
    );
    // The public channel is held by seven: a signal by kind and count, nobody grouped by it.
    let signals = office.links.signals().await.unwrap();
    assert_eq!(signals.len(), 1);
    assert_eq!(
        (signals[0].kind.as_str(), signals[0].holders),
        ("referrer", 7)
    );
    assert!(office.links.group_of(case_id(10)).await.unwrap().is_none());
    let pair = office.links.group_of(case_id(4)).await.unwrap().unwrap();
    assert!(!pair.group.flagged);
    assert_eq!(pair.group.kinds(), ["email"]);

    // Nothing new: nothing is analysed and nothing opened.
    let again = link(&office).await;
    assert_eq!(
        (again.keyed, again.analysed, again.flags_opened),
        (0, false, 0)
    );

    // A new, unrelated application makes the linker analyse again: the same group opens no second flag.
    office
        .state
        .store
        .create_cases(&[application(
            &office.state.pipeline,
            30,
            &[("signal", "+7 903 555-66-77")],
        )])
        .await
        .unwrap();
    let again = link(&office).await;
    assert_eq!((again.keyed, again.analysed), (1, true));
    assert_eq!((again.flagged_groups, again.flags_opened), (1, 0));

    // A restarted office (a new in-memory secret) reads everything again and still opens nothing new.
    let restarted = Linker::new(
        Arc::clone(&office.links),
        BlindIndexKey::generate(),
        LinkConfig::default(),
    );
    let round = restarted
        .link_pending(
            office.state.store.as_ref(),
            &office.state.pipeline,
            now(),
            100,
        )
        .await
        .unwrap();
    assert_eq!(
        (round.keyed, round.flagged_groups, round.flags_opened),
        (14, 1, 0)
    );
    for n in 1..=3 {
        assert_eq!(open_flags(&office, n).await.len(), 1, "case {n}");
    }
}

#[tokio::test]
async fn the_officer_dismisses_a_flag_through_the_case_page_and_it_is_audited() {
    let office = office().await;
    link(&office).await;
    let flag = open_flags(&office, 2).await.remove(0);
    let (cookie, csrf) = session(&office, Role::SecurityOfficer).await;
    let path = format!("/cases/{}", case_id(2));

    let (status, _, page) = send(&office, "GET", &path, Some(&cookie), None).await;
    assert_eq!(status, 200);
    assert!(
        page.contains(&format!("/cases/{}/cluster", case_id(2))),
        "the case page links to its group"
    );
    let version = CaseState::fold(
        case_id(2),
        &office.state.store.case_events(case_id(2)).await.unwrap(),
    )
    .version;
    let form = form_urlencoded::Serializer::new(String::new())
        .append_pair("csrf", &csrf)
        .append_pair("version", &version.to_string())
        .append_pair("action", "resolve")
        .append_pair("flag", &flag)
        .append_pair("confirmed", "false")
        .append_pair(
            "reason",
            "brothers sharing a phone; the referrer is their cousin",
        )
        .finish();
    let (status, _, _) = send(&office, "POST", &path, Some(&cookie), Some(&form)).await;
    assert!(status < 400, "resolving answered {status}");
    assert!(open_flags(&office, 2).await.is_empty());

    let audit = office
        .state
        .store
        .search_audit(&AuditFilter {
            subject: Some(case_id(2).to_string()),
            limit: 100,
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert!(
        audit
            .iter()
            .any(|entry| entry.entry.record.action == "case.flag_resolved"
                && entry.entry.record.actor == staff_id(Role::SecurityOfficer).to_string()),
        "the dismissal is in the audit log"
    );

    // The next analysis (a new application arrived) does not raise the dismissed flag again.
    office
        .state
        .store
        .create_cases(&[application(
            &office.state.pipeline,
            31,
            &[("signal", "+7 903 555-66-78")],
        )])
        .await
        .unwrap();
    let round = link(&office).await;
    assert_eq!(round.flags_opened, 0);
    assert!(open_flags(&office, 2).await.is_empty());
}

#[tokio::test]
async fn cluster_pages_show_call_signs_and_kinds_to_the_security_officer_only() {
    let office = office().await;
    link(&office).await;
    let group_path = format!("/cases/{}/cluster", case_id(1));
    let (cookie, _) = session(&office, Role::SecurityOfficer).await;

    let (status, _, list) = send(&office, "GET", "/clusters", Some(&cookie), None).await;
    assert_eq!(status, 200);
    for n in 1..=3 {
        assert!(list.contains(&call_sign(n)), "{n} listed");
    }
    // The e-mail pair is listed among the linked, unflagged groups, after the flagged ones; a case in no group and
    // one holding only a common key are not listed at all.
    let flagged_at = list.find(&call_sign(1)).unwrap();
    let pair_at = list.find(&call_sign(4)).expect("the linked pair is listed");
    assert!(pair_at > flagged_at);
    assert!(!list.contains(&call_sign(6)) && !list.contains(&call_sign(10)));
    assert_no_plaintext(&list);

    let (status, _, page) = send(&office, "GET", &group_path, Some(&cookie), None).await;
    assert_eq!(status, 200);
    assert!(page.contains("<svg"));
    assert_eq!(page.matches("<circle").count(), 3);
    for n in 1..=3 {
        assert!(page.contains(&call_sign(n)));
        assert!(page.contains(&format!("href=\"/cases/{}\"", case_id(n))));
    }
    // Kinds by name, in the viewer's language (Russian by default).
    assert!(page.contains("телефон + рекомендатель"));
    assert_no_plaintext(&page);

    // A case in no group gets a page saying so, not an error.
    let (status, _, lonely) = send(
        &office,
        "GET",
        &format!("/cases/{}/cluster", case_id(6)),
        Some(&cookie),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert!(!lonely.contains("<svg"));
    let (status, _, _) = send(
        &office,
        "GET",
        &format!("/cases/{}/cluster", case_id(999)),
        Some(&cookie),
        None,
    )
    .await;
    assert_eq!(status, 404);

    for role in Role::ALL
        .iter()
        .filter(|role| **role != Role::SecurityOfficer)
    {
        let (cookie, _) = session(&office, *role).await;
        for path in ["/clusters", group_path.as_str()] {
            let (status, _, _) = send(&office, "GET", path, Some(&cookie), None).await;
            assert_eq!(status, 403, "{} on {path}", role.as_str());
        }
        let (_, _, case_page) = send(
            &office,
            "GET",
            &format!("/cases/{}", case_id(1)),
            Some(&cookie),
            None,
        )
        .await;
        assert!(
            !case_page.contains("/cluster\""),
            "{} sees no link to the group",
            role.as_str()
        );
    }
    for path in ["/clusters", group_path.as_str()] {
        let (status, location, _) = send(&office, "GET", path, None, None).await;
        assert_eq!(
            (status, location.as_deref()),
            (303, Some("/login")),
            "{path}"
        );
    }
}
