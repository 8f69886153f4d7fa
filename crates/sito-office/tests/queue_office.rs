//! The case lists over the real router: search by call sign, filters by stage, track, age in stage and "overdue
//! only", the three sorts, filters that survive paging, a clear 400 in the reader's language for each bad value;
//! and the handover to the unit: an assigned recruit on the unit commander's queue with only what the policy
//! lets a commander see, the unit's strength counting them, and the applicant told in neutral words.
#![allow(clippy::expect_used, clippy::unwrap_used)]
mod support;

use std::collections::BTreeMap;

use axum::http::header;
use sito_core::machine::{CaseState, EventKind};
use sito_core::{CaseId, Category, FieldGroup, GroupContent, Role, UnitId};
use sito_office::now;
use sito_store::{NewCase, UnitRecord};
use support::{Office, send_as, send_as_with_headers};
use uuid::Uuid;

const DAY: i64 = 86_400;

/// A case of `category` that entered `stage` `days` days ago.
fn case_in(
    office: &Office,
    n: u128,
    call_sign: &str,
    category: Category,
    stage: &str,
    days: i64,
    content: BTreeMap<FieldGroup, GroupContent>,
) -> NewCase {
    let pipeline = &office.state.pipeline;
    let id = CaseId::from_uuid(Uuid::from_u128(0x9000 + n));
    let received = now() - days * DAY - 3_600;
    let first = CaseState::receive(pipeline, category, call_sign, received).unwrap();
    let mut state = CaseState::fold(id, std::slice::from_ref(&first));
    let moved = state.stamp(
        vec![EventKind::StageAdvanced {
            from: state.stage.clone(),
            to: stage.to_owned(),
            note: String::new(),
        }],
        None,
        now() - days * DAY - 60,
    );
    moved.iter().for_each(|event| state.apply(event));
    let mut events = vec![first];
    events.extend(moved);
    NewCase {
        events,
        state,
        owner_role: pipeline.stage(stage).unwrap().owner,
        content,
    }
}

fn query(path: &str, pairs: &[(&str, &str)]) -> String {
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        serializer.append_pair(name, value);
    }
    format!("{path}?{}", serializer.finish())
}

/// The call signs a list shows, in page order.
fn listed<'a>(body: &str, candidates: &[&'a str]) -> Vec<&'a str> {
    let mut found: Vec<(usize, &str)> = candidates
        .iter()
        .filter_map(|call_sign| {
            body.find(&format!(">{call_sign}</a>"))
                .map(|at| (at, *call_sign))
        })
        .collect();
    found.sort();
    found.into_iter().map(|(_, call_sign)| call_sign).collect()
}

const ALL: [&str; 5] = ["Сокол", "Сокол-2", "Берёза", "Ясень", "Дуб"];

async fn seeded() -> Office {
    let office = Office::new().await;
    let none = BTreeMap::new;
    // Triage's target is 3 days, document scrutiny's 5.
    let cases = vec![
        case_in(
            &office,
            1,
            "Сокол",
            Category::FormerServiceman,
            "triage",
            4,
            none(),
        ),
        case_in(
            &office,
            2,
            "Сокол-2",
            Category::PrisonerOfWar,
            "triage",
            1,
            none(),
        ),
        case_in(
            &office,
            3,
            "Берёза",
            Category::FormerServiceman,
            "triage",
            10,
            none(),
        ),
        case_in(
            &office,
            4,
            "Ясень",
            Category::PoliticalEmigre,
            "received",
            0,
            none(),
        ),
        case_in(
            &office,
            5,
            "Дуб",
            Category::FormerServiceman,
            "document_scrutiny",
            6,
            none(),
        ),
    ];
    office.state.store.create_cases(&cases).await.unwrap();
    office
}

#[tokio::test]
async fn each_filter_and_sort_narrows_the_queue_and_the_case_list() {
    let office = seeded().await;
    let queue = |pairs: Vec<(&'static str, &'static str)>| {
        let office = &office;
        async move {
            let answer = send_as(
                office,
                Role::IntakeCoordinator,
                "GET",
                &query("/queue", &pairs),
                &[],
            )
            .await;
            assert_eq!(answer.status, 200, "{pairs:?}: {}", answer.body);
            listed(&answer.body, &ALL)
        }
    };

    // The queue is the coordinator's active cases, longest in stage first.
    assert_eq!(queue(vec![]).await, ["Берёза", "Сокол", "Сокол-2", "Ясень"]);
    assert_eq!(queue(vec![("q", "сОк")]).await, ["Сокол", "Сокол-2"]);
    assert_eq!(
        queue(vec![("q", "береза")]).await,
        ["Берёза"],
        "ё is searched as е"
    );
    assert_eq!(queue(vec![("stage", "received")]).await, ["Ясень"]);
    assert_eq!(
        queue(vec![("category", "prisoner_of_war")]).await,
        ["Сокол-2"]
    );
    assert_eq!(queue(vec![("min_age", "4")]).await, ["Берёза", "Сокол"]);
    assert_eq!(
        queue(vec![("overdue", "1")]).await,
        ["Берёза", "Сокол"],
        "past triage's own three days"
    );
    assert_eq!(
        queue(vec![("sort", "call_sign")]).await,
        ["Берёза", "Сокол", "Сокол-2", "Ясень"]
    );
    assert_eq!(
        queue(vec![("sort", "newest")]).await,
        ["Ясень", "Сокол-2", "Сокол", "Берёза"]
    );
    // A queue's owner and status are its role's: the query cannot widen it.
    assert_eq!(
        queue(vec![("owner", "security_officer")]).await,
        ["Берёза", "Сокол", "Сокол-2", "Ясень"]
    );

    // The case list takes the same filters, with owner and status too.
    let cases = send_as(
        &office,
        Role::SecurityOfficer,
        "GET",
        &query(
            "/cases",
            &[
                ("overdue", "1"),
                ("category", "former_serviceman"),
                ("sort", "call_sign"),
            ],
        ),
        &[],
    )
    .await;
    assert_eq!(cases.status, 200);
    assert_eq!(listed(&cases.body, &ALL), ["Берёза", "Дуб", "Сокол"]);
    assert!(
        cases
            .body
            .contains(r#"<option value="call_sign" selected>"#)
    );
    assert!(cases.body.contains(r#"name="overdue" value="1" checked"#));
    let owned = send_as(
        &office,
        Role::SecurityOfficer,
        "GET",
        &query(
            "/cases",
            &[
                ("owner", "security_officer"),
                ("status", "active"),
                ("q", "д"),
            ],
        ),
        &[],
    )
    .await;
    assert_eq!(listed(&owned.body, &ALL), ["Дуб"]);
}

#[tokio::test]
async fn filters_survive_paging() {
    let office = Office::new().await;
    // Sixty former servicemen called Орёл-NN, ten called Грач-NN, and ten prisoners of war called Орёл too.
    let former = |n: u128, call_sign: String| {
        case_in(
            &office,
            n,
            &call_sign,
            Category::FormerServiceman,
            "triage",
            1,
            BTreeMap::new(),
        )
    };
    let cases: Vec<NewCase> = (0..60)
        .map(|n| former(100 + n, format!("Орёл-{n:02}")))
        .chain((0..10).map(|n| former(200 + n, format!("Грач-{n:02}"))))
        .chain((0..10).map(|n| {
            case_in(
                &office,
                300 + n,
                &format!("Орёл-{}", 60 + n),
                Category::PrisonerOfWar,
                "triage",
                1,
                BTreeMap::new(),
            )
        }))
        .collect();
    office.state.store.create_cases(&cases).await.unwrap();
    let first = send_as(
        &office,
        Role::SecurityOfficer,
        "GET",
        &query(
            "/cases",
            &[
                ("q", "орёл"),
                ("category", "former_serviceman"),
                ("sort", "call_sign"),
            ],
        ),
        &[],
    )
    .await;
    assert_eq!(first.status, 200);
    let tr = sito_office::i18n::tr(sito_office::i18n::Lang::Ru);
    assert!(
        first.body.contains(&tr.t1("cases-total", "total", 60u64)),
        "60 of the 80 match"
    );
    let next = first
        .body
        .split("href=\"")
        .filter_map(|rest| rest.split('"').next())
        .find(|href| href.contains("page=2"))
        .expect("a next page")
        .replace("&#38;", "&")
        .replace("&amp;", "&");
    for kept in [
        "q=%D0%BE%D1%80%D1%91%D0%BB",
        "category=former_serviceman",
        "sort=call_sign",
    ] {
        assert!(next.contains(kept), "{kept} kept in {next}");
    }
    let second = send_as(&office, Role::SecurityOfficer, "GET", &next, &[]).await;
    assert_eq!(second.status, 200);
    assert!(
        second.body.contains(">Орёл-58</a>"),
        "the last of the sixty, by call sign"
    );
    assert!(!second.body.contains(">Грач-"), "{next}: {}", second.body);
    assert!(
        !second.body.contains(">Орёл-60</a>"),
        "the other track stays out"
    );
}

#[tokio::test]
async fn a_bad_value_is_a_clear_400_in_the_readers_language() {
    let office = seeded().await;
    let long = "я".repeat(65);
    let bad: [(&str, &str, &str); 9] = [
        ("sort", "sideways", "queue-bad-sort"),
        ("min_age", "-1", "queue-bad-min-age"),
        ("min_age", "9999", "queue-bad-min-age"),
        ("overdue", "maybe", "queue-bad-overdue"),
        ("stage", "nowhere", "queue-bad-stage"),
        ("category", "spy", "queue-bad-category"),
        ("page", "0", "queue-bad-page"),
        ("q", long.as_str(), "queue-bad-search"),
        ("q", "a\u{7}", "queue-bad-search"),
    ];
    for (lang, accept) in [
        (sito_office::i18n::Lang::En, "en"),
        (sito_office::i18n::Lang::Uk, "uk"),
        (sito_office::i18n::Lang::Ru, "ru"),
    ] {
        let tr = sito_office::i18n::tr(lang);
        for (name, value, key) in bad {
            for path in ["/queue", "/cases"] {
                let answer = send_as_with_headers(
                    &office,
                    Role::SecurityOfficer,
                    "GET",
                    &query(path, &[(name, value)]),
                    &[(header::ACCEPT_LANGUAGE, accept)],
                    &[],
                )
                .await;
                assert_eq!(answer.status, 400, "{path} {name}={value}");
                let message = tr.t1("error-bad-request", "detail", tr.t(key).as_str());
                assert!(
                    answer.body.contains(&askama_escape(&message)),
                    "{path} {name}={value} in {accept}: {}",
                    answer.body
                );
            }
        }
    }
    // Only /cases knows owner and status.
    for (name, value, key) in [
        ("owner", "king", "queue-bad-owner"),
        ("status", "lost", "queue-bad-status"),
    ] {
        let answer = send_as(
            &office,
            Role::SecurityOfficer,
            "GET",
            &query("/cases", &[(name, value)]),
            &[],
        )
        .await;
        assert_eq!(answer.status, 400);
        let tr = sito_office::i18n::tr(sito_office::i18n::Lang::Ru);
        assert!(answer.body.contains(&askama_escape(&tr.t(key))), "{name}");
    }
}

fn today() -> String {
    let date = time::OffsetDateTime::now_utc().date();
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// What askama's HTML escaping makes of a message (quotes and the like).
fn askama_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

#[tokio::test]
async fn an_assigned_recruit_is_handed_over_to_the_unit_commander() {
    let office = Office::new().await;
    let tr = sito_office::i18n::tr(sito_office::i18n::Lang::Ru);
    let unit = UnitRecord {
        id: UnitId::from_uuid(Uuid::from_u128(0x55)),
        name: "Отдельный батальон «Север»".into(),
        target_strength: 5,
    };
    office.state.store.create_unit(&unit).await.unwrap();
    let mut identity = GroupContent::default();
    identity.push("full_name", "Петров Пётр Петрович");
    let mut motivation = GroupContent::default();
    motivation.push("statement", "мотивация только для проверяющих");
    let content = BTreeMap::from([
        (FieldGroup::Identity, identity),
        (FieldGroup::Motivation, motivation),
    ]);
    let case = case_in(
        &office,
        1,
        "Кедр",
        Category::FormerServiceman,
        "training",
        2,
        content,
    );
    let id = case.state.id.to_string();
    office.state.store.create_cases(&[case]).await.unwrap();

    let before = send_as(&office, Role::UnitCommander, "GET", "/queue", &[]).await;
    assert_eq!(before.status, 200);
    assert!(before.body.contains(&tr.t("unit-handover-title")));
    assert!(before.body.contains(&tr.t("unit-handover-none")));

    // The training officer records the training, moves to the briefing, gives it and assigns the unit.
    let path = format!("/cases/{id}");
    let steps: [&[(&str, &str)]; 4] = [
        &[
            ("action", "tick"),
            ("check", "basic_training_done"),
            ("version", "2"),
            ("finding.training_record", "Огневая подготовка: отлично"),
            ("finding.report_date", "2026-11-30"),
        ],
        &[("action", "advance"), ("version", "4"), ("note", "")],
        &[
            ("action", "tick"),
            ("check", "briefing_done"),
            ("version", "5"),
        ],
        &[
            ("action", "assign"),
            ("unit", &unit.id.to_string()),
            ("version", "6"),
        ],
    ];
    let unit_id = unit.id.to_string();
    for step in steps {
        let step: Vec<(&str, &str)> = step
            .iter()
            .map(|(k, v)| (*k, if *k == "unit" { unit_id.as_str() } else { *v }))
            .collect();
        let answer = send_as(&office, Role::TrainingOfficer, "POST", &path, &step).await;
        assert_eq!(answer.status, 303, "{step:?}: {}", answer.body);
    }

    let after = send_as(&office, Role::UnitCommander, "GET", "/queue", &[]).await;
    assert_eq!(after.status, 200);
    let handover = after
        .body
        .split("id=\"handover\"")
        .nth(1)
        .expect("the handover section");
    assert!(handover.contains(">Кедр</a>"));
    assert!(handover.contains("Отдельный батальон «Север»"));
    assert!(handover.contains(&today()), "the assignment date");
    assert!(
        handover.contains("Огневая подготовка: отлично"),
        "the training record"
    );
    assert!(handover.contains("2026-11-30"), "the report date");
    for secret in ["Петров", "мотивация"] {
        assert!(
            !after.body.contains(secret),
            "{secret} is not the commander's to see"
        );
    }
    // The search narrows the handover list too.
    let searched = send_as(&office, Role::UnitCommander, "GET", "/queue?q=zz", &[]).await;
    assert!(searched.body.contains(&tr.t("unit-handover-none")));

    // Only the commander's queue carries the handover.
    let training = send_as(&office, Role::TrainingOfficer, "GET", "/queue", &[]).await;
    assert!(!training.body.contains("id=\"handover\""));

    // The unit's strength counts the recruit.
    let units = send_as(&office, Role::UnitCommander, "GET", "/units", &[]).await;
    assert!(units.body.contains(r#"value="1""#), "{}", units.body);

    // The applicant is told it is completed, in words that name no unit.
    let summary = office
        .state
        .store
        .case_summary(CaseId::from_uuid(Uuid::from_u128(0x9001)))
        .await
        .unwrap();
    assert_eq!(
        sito_office::pull::applicant_status(summary.status, summary.action_needed, false),
        "completed"
    );
}
