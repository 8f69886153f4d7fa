//! End to end: starts the real `sito demo`, signs in as every role over HTTP and walks one case from "received" to
//! "assigned to unit", checking at each step that every role sees exactly the field groups the policy allows.
#![allow(clippy::expect_used, clippy::unwrap_used)]
mod http;
mod support;

use std::process::Command;

use http::{form, input_value, input_values, request};
use sito_core::policy::{Access, Assignment, decide};
use sito_core::{FieldGroup, Pipeline, Role};
use support::demo::{Account, Demo};

fn sign_in(demo: &Demo, account: &Account) -> String {
    let code = account.code_now();
    let response = http::post_login(
        demo.office,
        &[
            ("call_sign", account.user.as_str()),
            ("password", account.password.as_str()),
            ("code", &code),
        ],
    );
    assert_eq!(response.status, 303, "sign-in of {}", account.user);
    response.cookie("sito_session").expect("session cookie")
}

/// The form fields of a valid filling of the check's declared findings, as the case page's form names them.
fn example_findings(pipeline: &Pipeline, check: &str) -> Vec<(String, String)> {
    pipeline
        .findings(check)
        .map(|spec| spec.example("Seen in person; consistent with the application."))
        .unwrap_or_default()
        .into_iter()
        .map(|(key, value)| (format!("finding.{key}"), value))
        .collect()
}

fn pairs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect()
}

#[test]
fn every_role_walks_one_case_to_its_unit_seeing_only_what_it_may() {
    let demo = Demo::start(60);
    // The background linker opens flags on linked applications once, soon after the start: the walk begins after
    // it, so the flags it raises are not a race with the walk's own steps.
    demo.wait_for_log("link analysis done", std::time::Duration::from_secs(60));
    assert_eq!(
        demo.accounts.len(),
        12,
        "one account per role, two examiners and two board members"
    );
    let pipeline = Pipeline::default_legion().unwrap();
    let sessions: Vec<(Role, String, String)> = demo
        .accounts
        .iter()
        .map(|account| (account.role, account.user.clone(), sign_in(&demo, account)))
        .collect();
    let session_of = |role: Role, n: usize| {
        sessions
            .iter()
            .filter(|(r, _, _)| *r == role)
            .nth(n)
            .map(|(_, _, cookie)| cookie.clone())
            .unwrap()
    };
    // How much a walk costs in requests: the closing note reports the count.
    let (loads, posts) = (std::cell::Cell::new(0u32), std::cell::Cell::new(0u32));
    let get = |cookie: &str, path: &str| {
        loads.set(loads.get() + 1);
        request(demo.office, "GET", path, Some(cookie), None)
    };
    let post = |cookie: &str, path: &str, pairs: &[(&str, &str)]| {
        posts.set(posts.get() + 1);
        request(demo.office, "POST", path, Some(cookie), Some(&form(pairs)))
    };

    // A fresh former serviceman's case, chosen as a coordinator would: from the list filtered to "received".
    let coordinator = session_of(Role::IntakeCoordinator, 0);
    let list = get(
        &coordinator,
        "/cases?stage=received&category=former_serviceman&status=active",
    );
    assert_eq!(list.status, 200);
    let first = input_values(&list.body, "case")
        .into_iter()
        .next()
        .expect("a received case in the demo");
    let case_id = first.split(':').next().unwrap().to_owned();
    let path = format!("/cases/{case_id}");

    let security = session_of(Role::SecurityOfficer, 0);
    let full_name = {
        // The identity is sealed until the reader states a reason; the reveal is audited.
        let sealed = get(&security, &path);
        assert!(
            sealed.body.contains("id=\"group-identity\""),
            "identity offered to security"
        );
        let csrf = input_value(&sealed.body, "csrf").unwrap();
        let reveal = format!("{path}/reveal");
        let page = post(
            &security,
            &reveal,
            &[("csrf", &csrf), ("reason", "document scrutiny")],
        );
        assert_eq!(page.status, 200);
        let group = page
            .body
            .find("id=\"group-identity\"")
            .expect("identity shown to security");
        let start = group + page.body[group..].find("<dd>").unwrap() + "<dd>".len();
        page.body[start..start + page.body[start..].find("</dd>").unwrap()].to_owned()
    };
    assert!(!full_name.is_empty());

    let mut examiner_turn = 0;
    let mut board_turn = 0;
    for stage in pipeline.track(sito_core::Category::FormerServiceman) {
        // Who sees what at this stage.
        for (role, user, cookie) in &sessions {
            let page = get(cookie, &path);
            if matches!(role, Role::Auditor | Role::Administrator) {
                assert_eq!(page.status, 403, "{user} may not open cases");
                assert!(!page.body.contains(&full_name));
                continue;
            }
            assert_eq!(page.status, 200, "{user} at {}", stage.id);
            let assignment = if *role == stage.owner {
                Assignment::Assigned
            } else {
                Assignment::NotAssigned
            };
            for group in FieldGroup::ALL {
                let shown = page
                    .body
                    .contains(&format!("id=\"group-{}\"", group.as_str()));
                let allowed = decide(*role, *group, stage.phase, assignment) == Access::Allow;
                assert_eq!(
                    shown, allowed,
                    "{user} ({role}) and {group} at {}",
                    stage.id
                );
            }
            if decide(*role, FieldGroup::Identity, stage.phase, assignment) == Access::Deny {
                assert!(
                    !page.body.contains(&full_name),
                    "{user} ({role}) must not see the name at {}",
                    stage.id
                );
            }
        }
        if stage.phase == sito_core::Phase::Assigned {
            break;
        }
        // The owner does the stage's work.
        let owner = match stage.owner {
            Role::PolygraphExaminer => {
                examiner_turn += 1;
                session_of(Role::PolygraphExaminer, examiner_turn - 1)
            }
            role => session_of(role, 0),
        };
        let version = || input_value(&get(&owner, &path).body, "version").expect("version field");
        let page = get(&owner, &path);
        let csrf = input_value(&page.body, "csrf").unwrap();
        if stage
            .checklist
            .iter()
            .any(|check| pipeline.is_booking_check(check))
        {
            // The visit is booked by the planning commit, never ticked by hand. The demo's background screener and
            // linker may change a planned case between build and commit, which stops the commit (409): plan again.
            let mut committed = false;
            for _ in 0..5 {
                let built = post(&owner, "/planning/build", &[("csrf", &csrf)]);
                assert_eq!(built.status, 303, "build: {}", built.body);
                let commit = post(&owner, "/planning/commit", &[("csrf", &csrf)]);
                if commit.status == 303 {
                    committed = true;
                    break;
                }
                assert_eq!(commit.status, 409, "commit: {}", commit.body);
            }
            assert!(committed, "the plan is committed");
            let page = get(&owner, &path);
            for check in stage
                .checklist
                .iter()
                .filter(|check| pipeline.is_booking_check(check))
            {
                assert!(
                    !input_values(&page.body, "check").contains(check),
                    "{check} is booked by the plan commit"
                );
            }
        }
        for check in input_values(&page.body, "check") {
            if pipeline.is_booking_check(&check) {
                continue;
            }
            let findings = example_findings(&pipeline, &check);
            let mut fields = vec![
                ("csrf".to_owned(), csrf.clone()),
                ("version".to_owned(), version()),
                ("action".to_owned(), "tick".to_owned()),
                ("check".to_owned(), check.clone()),
            ];
            fields.extend(findings);
            let response = post(&owner, &path, &pairs(&fields));
            assert_eq!(response.status, 303, "tick {check}: {}", response.body);
        }
        if stage
            .guards
            .contains(&sito_core::pipeline::Guard::NoOpenFlags)
        {
            // The security officer reviews what the screener and linker raised: here, dismissed with a reason.
            let page = get(&security, &path);
            for flag in input_values(&page.body, "flag") {
                let response = post(
                    &security,
                    &path,
                    &[
                        ("csrf", &input_value(&page.body, "csrf").unwrap()),
                        ("version", &version()),
                        ("action", "resolve"),
                        ("flag", &flag),
                        ("confirmed", "false"),
                        ("reason", "different people: checked by phone"),
                    ],
                );
                assert_eq!(response.status, 303, "resolve {flag}: {}", response.body);
            }
        }
        match stage.id.as_str() {
            "polygraph_1" | "polygraph_2" => {
                let check = format!("{}_recorded", stage.id);
                let mut fields = vec![
                    ("csrf".to_owned(), csrf.clone()),
                    ("version".to_owned(), version()),
                    ("action".to_owned(), "polygraph".to_owned()),
                    ("outcome".to_owned(), "no_deception_indicated".to_owned()),
                ];
                fields.extend(example_findings(&pipeline, &check));
                let response = post(&owner, &path, &pairs(&fields));
                assert_eq!(response.status, 303, "{}", response.body);
            }
            "board_decision" => {
                // The board decides on the dossier: every stage walked so far, with what was found and by whom.
                let dossier = get(
                    &session_of(Role::BoardMember, 0),
                    &format!("{path}/dossier"),
                );
                assert_eq!(dossier.status, 200, "{}", dossier.body);
                for walked in pipeline.track(sito_core::Category::FormerServiceman) {
                    let listed = dossier
                        .body
                        .contains(&format!("id=\"stage-{}\"", walked.id));
                    assert!(listed, "{} in the dossier", walked.id);
                    if walked.id == stage.id {
                        break;
                    }
                }
                assert!(
                    dossier
                        .body
                        .contains("Seen in person; consistent with the application.")
                );
                let examiners = sessions
                    .iter()
                    .filter(|(role, _, _)| *role == Role::PolygraphExaminer)
                    .map(|(_, user, _)| user);
                for examiner in examiners {
                    assert!(
                        dossier.body.contains(examiner.as_str()),
                        "examiner {examiner}"
                    );
                }
                assert!(
                    !dossier.body.contains(&full_name),
                    "no identity in the board's dossier"
                );
                for n in 0..2 {
                    board_turn += 1;
                    let member = session_of(Role::BoardMember, n);
                    let member_csrf = input_value(&get(&member, &path).body, "csrf").unwrap();
                    let mut fields = vec![
                        ("csrf".to_owned(), member_csrf),
                        ("version".to_owned(), version()),
                        ("action".to_owned(), "approve".to_owned()),
                    ];
                    fields.extend(example_findings(
                        &pipeline,
                        sito_core::machine::APPROVAL_CHECK,
                    ));
                    let response = post(&member, &path, &pairs(&fields));
                    assert_eq!(response.status, 303, "{}", response.body);
                }
            }
            _ => {}
        }
        let response = if stage.id == "briefing" {
            let page = get(&owner, &path);
            let unit = input_values(&page.body, "unit").into_iter().next();
            let unit = unit.or_else(|| {
                let marker = "<option value=\"";
                let select = page.body.find("name=\"unit\"")?;
                let start = page.body[select..].find(marker)? + select + marker.len();
                Some(page.body[start..start + page.body[start..].find('"')?].to_owned())
            });
            post(
                &owner,
                &path,
                &[
                    ("csrf", &csrf),
                    ("version", &version()),
                    ("action", "assign"),
                    ("unit", &unit.expect("a unit to choose")),
                ],
            )
        } else {
            post(
                &owner,
                &path,
                &[
                    ("csrf", &csrf),
                    ("version", &version()),
                    ("action", "advance"),
                    ("note", "done"),
                ],
            )
        };
        assert_eq!(
            response.status, 303,
            "advance from {}: {}",
            stage.id, response.body
        );
    }
    assert_eq!(board_turn, 2);
    let page = get(&security, &path);
    assert!(
        page.body.contains("status completed"),
        "the case ends assigned to a unit"
    );
    let units = get(&session_of(Role::UnitCommander, 0), "/units");
    assert_eq!(units.status, 200);
    assert!(units.body.contains("<meter"));
    // The handover: the recruit is on the unit commander's queue, linked, without a word of identity.
    let commander_queue = get(&session_of(Role::UnitCommander, 0), "/queue");
    let handover = commander_queue
        .body
        .split("id=\"handover\"")
        .nth(1)
        .expect("the handover list on the commander's queue");
    assert!(handover.contains(&format!("href=\"/cases/{case_id}\"")));
    assert!(!commander_queue.body.contains(&full_name));
    eprintln!(
        "walk: {} page loads and {} posts, received to assigned, {} accounts",
        loads.get(),
        posts.get(),
        sessions.len()
    );
}

#[test]
fn bad_requests_get_clear_answers_and_change_nothing() {
    let demo = Demo::start(20);
    let coordinator = demo.account(Role::IntakeCoordinator);
    let user = coordinator.user.as_str();
    let cookie = sign_in(&demo, coordinator);
    let get = |path: &str| request(demo.office, "GET", path, Some(&cookie), None);

    // Anonymous visitors are sent to sign in; a wrong password is refused without saying which part was wrong.
    http::assert_security_headers(
        &request(demo.office, "GET", "/login", None, None),
        "office sign-in page",
    );
    let anonymous = request(demo.office, "GET", "/cases", None, None);
    assert_eq!(
        (anonymous.status, anonymous.header("location")),
        (303, Some("/login"))
    );
    let wrong = http::post_login(demo.office, &[("call_sign", user), ("password", "nope")]);
    assert_eq!(wrong.status, 401);
    let unknown = http::post_login(demo.office, &[("call_sign", "ghost"), ("password", "nope")]);
    assert_eq!(unknown.status, 401);

    assert_eq!(get("/cases/not-a-uuid").status, 404);
    assert_eq!(
        get("/cases/01890000-0000-7000-8000-000000000000").status,
        404
    );
    assert_eq!(get("/cases?stage=nowhere").status, 400);
    assert_eq!(get("/cases?page=0").status, 400);
    assert_eq!(get("/no/such/page").status, 404);

    let list = get("/cases?stage=received&status=active");
    let first = input_values(&list.body, "case")
        .into_iter()
        .next()
        .expect("a received case");
    let (id, version) = first.split_once(':').unwrap();
    let path = format!("/cases/{id}");
    let page = get(&path);
    let csrf = input_value(&page.body, "csrf").unwrap();
    let post = |pairs: &[(&str, &str)]| {
        request(
            demo.office,
            "POST",
            &path,
            Some(&cookie),
            Some(&form(pairs)),
        )
    };

    assert_eq!(
        post(&[
            ("version", version),
            ("action", "tick"),
            ("check", "contact_established")
        ])
        .status,
        403,
        "no CSRF token"
    );
    assert_eq!(
        post(&[("csrf", &csrf), ("action", "tick")]).status,
        400,
        "no version"
    );
    assert_eq!(
        post(&[("csrf", &csrf), ("version", version), ("action", "explode")]).status,
        400,
        "unknown action"
    );
    let stale = (version.parse::<u64>().unwrap() + 5).to_string();
    let conflict = post(&[("csrf", &csrf), ("version", &stale), ("action", "advance")]);
    assert_eq!(conflict.status, 409, "a stale version is a conflict");
    let refused = post(&[
        ("csrf", &csrf),
        ("version", version),
        ("action", "reject"),
        ("reason", "   "),
    ]);
    assert_eq!(refused.status, 422, "a rejection needs a reason");
    assert_eq!(
        input_value(&get(&path).body, "version").unwrap(),
        version,
        "nothing changed"
    );

    // Bulk actions are all or nothing: one stale case in the selection stops the whole batch.
    let cases = input_values(&list.body, "case");
    assert!(cases.len() >= 2);
    let (other_id, _) = cases[1].split_once(':').unwrap();
    let bulk = request(
        demo.office,
        "POST",
        "/cases/bulk",
        Some(&cookie),
        Some(&form(&[
            ("csrf", &csrf),
            ("action", "reject"),
            ("reason", "test"),
            ("case", &cases[1]),
            ("case", &format!("{id}:{stale}")),
        ])),
    );
    assert_eq!(bulk.status, 400);
    let other = get(&format!("/cases/{other_id}"));
    assert!(
        other.body.contains("status active"),
        "no case of the failed batch changed"
    );
    let oversized = "x".repeat(70 * 1024);
    assert_eq!(
        post(&[
            ("csrf", &csrf),
            ("version", version),
            ("action", "advance"),
            ("note", &oversized)
        ])
        .status,
        413
    );
}

#[test]
fn a_broken_pipeline_file_stops_the_office_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let text = sito_core::DEFAULT_PIPELINE_TOML.replacen(
        "owner = \"psychologist\"",
        "owner = \"astrologer\"",
        1,
    );
    let file = dir.path().join("broken.toml");
    std::fs::write(&file, &text).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_sito"))
        .args(["demo", "--data"])
        .arg(dir.path().join("data"))
        .arg("--pipeline")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let line = text[..text.find("astrologer").unwrap()]
        .matches('\n')
        .count()
        + 1;
    assert!(stderr.contains(&format!("broken.toml:{line}: stage `psychologist_interview` names unknown owner role `astrologer`")), "{stderr}");

    let office = Command::new(env!("CARGO_BIN_EXE_sito"))
        .args(["office", "--data"])
        .arg(dir.path().join("nowhere"))
        .output()
        .unwrap();
    assert_eq!(office.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&office.stderr).contains("no office database"));
}

#[test]
fn an_https_public_url_makes_every_sign_in_cookie_secure() {
    let demo = Demo::start_empty_with(&["--public-url", "https://office.example.org"]);
    let set_cookies = |response: &http::Response| -> Vec<String> {
        response
            .headers
            .iter()
            .filter(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
            .map(|(_, value)| value.clone())
            .collect()
    };
    let form = request(demo.office, "GET", "/login", None, None);
    let account = demo.account(Role::IntakeCoordinator);
    let signed_in = {
        let code = account.code_now();
        http::post_login(
            demo.office,
            &[
                ("call_sign", account.user.as_str()),
                ("password", account.password.as_str()),
                ("code", &code),
            ],
        )
    };
    assert_eq!(signed_in.status, 303);
    for (what, response) in [("sign-in form", &form), ("sign-in", &signed_in)] {
        let cookies = set_cookies(response);
        assert!(!cookies.is_empty(), "{what} sets a cookie");
        for cookie in cookies {
            assert!(cookie.ends_with("; Secure"), "{what}: {cookie}");
        }
    }
}

/// One request to the intake with an optional `Authorization: Bearer` secret and cookie.
fn intake_request(
    demo: &Demo,
    method: &str,
    path: &str,
    bearer: Option<&str>,
    cookie: Option<&str>,
    json: bool,
) -> u16 {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(demo.intake).unwrap();
    let body = if json { "{}" } else { "" };
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
        demo.intake,
        body.len()
    );
    if json {
        head.push_str("Content-Type: application/json\r\n");
    } else if method == "POST" {
        head.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
    }
    if let Some(secret) = bearer {
        head.push_str(&format!("Authorization: Bearer {secret}\r\n"));
    }
    if let Some(cookie) = cookie {
        head.push_str(&format!("Cookie: {cookie}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw);
    text.split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap()
}

/// The intake's side of the authorisation matrix. Its visitors are applicants (anonymous by design), the office
/// (which presents the pull secret) and, here, a staff member's office session, which must open nothing at the
/// intake. Public routes answer all three; the office endpoints answer the secret only, and refuse everyone else
/// as an unknown endpoint (404), so they do not even confirm they exist.
#[test]
fn every_intake_route_answers_each_kind_of_visitor_as_it_should() {
    let demo = Demo::start_empty();
    let secret = std::fs::read_to_string(demo.dir.path().join("data/pull-secret")).unwrap();
    let secret = secret.trim();
    let staff = sign_in(&demo, demo.account(Role::SecurityOfficer));
    // (method, path pattern, JSON body, office only)
    const ROUTES: &[(&str, &str, bool, bool)] = &[
        ("POST", "/api/v1/applications", true, false),
        ("POST", "/api/v1/status", true, false),
        ("POST", "/api/v1/messages", true, false),
        ("GET", "/", false, false),
        ("GET", "/apply/{category}", false, false),
        ("POST", "/apply/{category}", false, false),
        ("POST", "/apply/{category}/review", false, false),
        ("POST", "/apply/{category}/send", false, false),
        ("GET", "/status", false, false),
        ("POST", "/status", false, false),
        ("GET", "/authenticity", false, false),
        ("GET", "/static/intake.css", false, false),
        ("GET", "/static/favicon.svg", false, false),
        ("GET", "/healthz", false, false),
        ("POST", "/api/v1/office/pull", true, true),
        ("POST", "/api/v1/office/ack", true, true),
        ("POST", "/api/v1/office/updates", true, true),
        ("POST", "/api/v1/office/assisted", true, true),
    ];
    let mut checked = 0;
    for (method, pattern, json, office_only) in ROUTES {
        let paths: Vec<String> = if pattern.contains("{category}") {
            sito_core::Category::ALL
                .iter()
                .map(|category| pattern.replace("{category}", category.as_str()))
                .collect()
        } else {
            vec![pattern.to_string()]
        };
        for path in paths {
            for (visitor, bearer, cookie) in [
                ("applicant", None, None),
                ("staff session", None, Some(staff.as_str())),
                ("wrong secret", Some("not-the-secret"), None),
                ("office", Some(secret), None),
            ] {
                let status = intake_request(&demo, method, &path, bearer, cookie, *json);
                assert!(status < 500, "{method} {path} as {visitor}: {status}");
                let refused = status == 404 || status == 401 || status == 403;
                let may = !office_only || visitor == "office";
                assert_eq!(
                    !refused, may,
                    "{method} {path} as {visitor}: status {status}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= ROUTES.len() * 4);
}
