//! Staff identity over the real router: the authorisation matrix (every route × every role and anonymous), session
//! fixation, CSRF, TOTP replay, slowed guessing without lockout, enrolment and session lifetimes.
#![allow(clippy::expect_used, clippy::unwrap_used)]
mod support;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use sito_core::machine::{CaseState, Event, EventKind};
use sito_core::policy::{Access, Assignment, decide};
use sito_core::{CaseId, Category, FieldGroup, GroupContent, Phase, Role, StaffId};
use sito_office::auth::hash_session_id;
use sito_office::routes::routes;
use sito_office::{OfficeConfig, now, totp};
use sito_store::{NewCase, NewStaff, SessionRecord};
use support::{Answer, Office, password_of, send, session, staff_id, totp_secret_of};
use uuid::Uuid;

/// The one case the matrix substitutes for `{id}`.
fn the_case() -> CaseId {
    CaseId::from_uuid(Uuid::from_u128(77))
}

/// The shared office with the planning pages attached and one case at its first stage.
async fn office(config: OfficeConfig) -> Office {
    let office = Office::with_config(config).await;
    let pipeline = &office.state.pipeline;
    let events =
        vec![CaseState::receive(pipeline, Category::FormerServiceman, "Сокол", now()).unwrap()];
    let mut identity = GroupContent::default();
    identity.push("full_name", "Иванов Иван Иванович".to_owned());
    office
        .state
        .store
        .create_cases(&[NewCase {
            state: CaseState::fold(the_case(), &events),
            events,
            owner_role: Role::IntakeCoordinator,
            content: BTreeMap::from([(FieldGroup::Identity, identity)]),
        }])
        .await
        .unwrap();
    let planning = sito_office::planning::Planning::new(Arc::new(
        sito_store::planning::SqlitePlanningStore::open(&office.url)
            .await
            .unwrap(),
    ));
    office.with_planning(planning)
}

/// Signs in as a browser would: fetches the form for its CSRF cookie and token, then posts the fields with both.
async fn login(office: &Office, cookie: Option<&str>, form: &[(&str, &str)]) -> Answer {
    login_from(office, None, cookie, form).await
}

/// As `login`, the post arriving from `peer` as the office's accept loop records it.
async fn login_from(
    office: &Office,
    peer: Option<SocketAddr>,
    cookie: Option<&str>,
    form: &[(&str, &str)],
) -> Answer {
    let page = send(office, "GET", "/login", cookie, &[]).await;
    let token_cookie = page
        .set_cookie
        .as_deref()
        .and_then(|value| value.split(';').next())
        .filter(|pair| pair.starts_with("sito_login_csrf="))
        .expect("the sign-in form sets its CSRF cookie")
        .to_owned();
    let token = token_cookie
        .trim_start_matches("sito_login_csrf=")
        .to_owned();
    assert!(
        page.body
            .contains(&format!("name=\"csrf\" value=\"{token}\"")),
        "the form carries the cookie's token"
    );
    let cookies = match cookie {
        Some(cookie) => format!("{cookie}; {token_cookie}"),
        None => token_cookie,
    };
    let mut fields = form.to_vec();
    fields.push(("csrf", &token));
    let mut body = form_urlencoded::Serializer::new(String::new());
    body.extend_pairs(&fields);
    let mut request = axum::http::Request::builder()
        .method("POST")
        .uri("/login")
        .header(axum::http::header::COOKIE, &cookies)
        .header(
            axum::http::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(axum::body::Body::from(body.finish()))
        .unwrap();
    if let Some(peer) = peer {
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(peer));
    }
    support::dispatch(office, request).await
}

fn code_now(role: Role) -> String {
    totp::code_at(&totp_secret_of(role), now()).unwrap()
}

// ---- The authorisation matrix ----

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// The handler answers (any status but 403, a redirect to sign-in, 404 or 5xx).
    Answered,
    Forbidden,
    SignIn,
}

const CASE_WORKERS: &[Role] = &[
    Role::IntakeCoordinator,
    Role::SecurityOfficer,
    Role::LogisticsOfficer,
    Role::Psychologist,
    Role::PolygraphExaminer,
    Role::BoardMember,
    Role::TrainingOfficer,
    Role::UnitCommander,
];

const COORDINATOR: &[Role] = &[Role::IntakeCoordinator];
/// The roles the gate lets towards a case's files: those the policy may ever grant the Documents group.
const DOCUMENT_READERS: &[Role] = &[
    Role::IntakeCoordinator,
    Role::SecurityOfficer,
    Role::BoardMember,
];
/// The roles the gate lets towards the applicant's thread: those the policy may ever grant the Contacts group.
const CORRESPONDENTS: &[Role] = &[
    Role::IntakeCoordinator,
    Role::SecurityOfficer,
    Role::LogisticsOfficer,
];

/// Who gets what on each route. Written out here, apart from the router's own table, on purpose: a route added
/// to the router without a line here fails `every_route_has_a_matrix_entry`.
enum Who {
    /// Anyone, signed in or not.
    Everyone,
    /// Fully signed-in staff of these roles; other roles get 403, anonymous visitors go to sign-in.
    Roles(&'static [Role]),
    /// Nobody with a full session or none: only a half-open enrolment session opens it.
    EnrolmentOnly,
    /// Past the gate (these roles), the policy decides for the case at hand whether the role holds this group.
    CaseGroup(&'static [Role], FieldGroup),
}

const MATRIX: &[(&str, &str, Who)] = &[
    ("GET", "/", Who::Roles(Role::ALL)),
    ("GET", "/login", Who::Everyone),
    ("POST", "/login", Who::Everyone),
    ("POST", "/logout", Who::Roles(Role::ALL)),
    ("GET", "/lang", Who::Everyone),
    ("GET", "/enrol", Who::EnrolmentOnly),
    ("POST", "/enrol", Who::EnrolmentOnly),
    ("GET", "/queue", Who::Roles(CASE_WORKERS)),
    ("GET", "/cases", Who::Roles(CASE_WORKERS)),
    ("POST", "/cases/bulk", Who::Roles(CASE_WORKERS)),
    ("GET", "/cases/{id}", Who::Roles(CASE_WORKERS)),
    ("POST", "/cases/{id}", Who::Roles(CASE_WORKERS)),
    ("POST", "/cases/{id}/reveal", Who::Roles(CASE_WORKERS)),
    ("GET", "/cases/{id}/dossier", Who::Roles(CASE_WORKERS)),
    ("GET", "/units", Who::Roles(Role::ALL)),
    ("GET", "/audit", Who::Roles(&[Role::Auditor])),
    (
        "GET",
        "/audit/alerts",
        Who::Roles(&[Role::Auditor, Role::Administrator]),
    ),
    ("GET", "/clusters", Who::Roles(&[Role::SecurityOfficer])),
    (
        "GET",
        "/cases/{id}/cluster",
        Who::Roles(&[Role::SecurityOfficer]),
    ),
    ("GET", "/assisted", Who::Roles(COORDINATOR)),
    ("GET", "/assisted/{category}", Who::Roles(COORDINATOR)),
    ("POST", "/assisted/{category}", Who::Roles(COORDINATOR)),
    (
        "POST",
        "/assisted/{category}/review",
        Who::Roles(COORDINATOR),
    ),
    ("POST", "/assisted/{category}/send", Who::Roles(COORDINATOR)),
    (
        "GET",
        "/cases/{id}/files/{n}",
        Who::CaseGroup(DOCUMENT_READERS, FieldGroup::Documents),
    ),
    (
        "POST",
        "/cases/{id}/files/{n}",
        Who::CaseGroup(DOCUMENT_READERS, FieldGroup::Documents),
    ),
    (
        "GET",
        "/cases/{id}/messages",
        Who::CaseGroup(CORRESPONDENTS, FieldGroup::Contacts),
    ),
    (
        "POST",
        "/cases/{id}/messages",
        Who::CaseGroup(CORRESPONDENTS, FieldGroup::Contacts),
    ),
    (
        "GET",
        "/capacity",
        Who::Roles(&[Role::BoardMember, Role::Administrator]),
    ),
    (
        "POST",
        "/capacity",
        Who::Roles(&[Role::BoardMember, Role::Administrator]),
    ),
    ("GET", "/planning", Who::Roles(PLANNING_READERS)),
    (
        "POST",
        "/planning/build",
        Who::Roles(&[Role::LogisticsOfficer]),
    ),
    (
        "POST",
        "/planning/pin",
        Who::Roles(&[Role::LogisticsOfficer]),
    ),
    (
        "POST",
        "/planning/commit",
        Who::Roles(&[Role::LogisticsOfficer]),
    ),
    ("GET", "/planning/setup", Who::Roles(PLANNING_READERS)),
    (
        "POST",
        "/planning/setup",
        Who::Roles(&[Role::LogisticsOfficer]),
    ),
    (
        "GET",
        "/planning/transfers",
        Who::Roles(&[Role::LogisticsOfficer, Role::SecurityOfficer]),
    ),
    ("GET", "/static/site.css", Who::Everyone),
    ("GET", "/static/favicon.svg", Who::Everyone),
];

/// Who reads the visit plan: the logistics officer who makes it, the security officer, and the people it books.
const PLANNING_READERS: &[Role] = &[
    Role::LogisticsOfficer,
    Role::SecurityOfficer,
    Role::Psychologist,
    Role::PolygraphExaminer,
];

/// The answer a visitor of `role` should get on a route, on `case` (its stage's phase and owner) where the route
/// names one.
fn expected(who: &Who, role: Option<Role>, case: Option<&CaseAt>) -> Expect {
    match (who, role) {
        (Who::Everyone, _) => Expect::Answered,
        (Who::EnrolmentOnly, _) | (Who::Roles(_), None) | (Who::CaseGroup(..), None) => {
            Expect::SignIn
        }
        (Who::Roles(roles), Some(role)) if roles.contains(&role) => Expect::Answered,
        (Who::CaseGroup(roles, group), Some(role)) if roles.contains(&role) => {
            let case = case.expect("a case route names a case");
            let assignment = if case.owner == role {
                Assignment::Assigned
            } else {
                Assignment::NotAssigned
            };
            match decide(role, *group, case.phase, assignment) {
                Access::Allow => Expect::Answered,
                Access::Deny => Expect::Forbidden,
            }
        }
        (Who::Roles(_) | Who::CaseGroup(..), Some(_)) => Expect::Forbidden,
    }
}

/// A case the matrix tries: one per stage of every track.
struct CaseAt {
    id: CaseId,
    category: Category,
    stage: String,
    phase: Phase,
    owner: Role,
}

/// Puts a case at every stage of every track into the office, each with a clean file (`file_1`) and an identity.
async fn cases_at_every_stage(office: &Office) -> Vec<CaseAt> {
    let pipeline = Arc::clone(&office.state.pipeline);
    let mut cases = Vec::new();
    let mut new_cases = Vec::new();
    for category in Category::ALL {
        for stage in pipeline.track(*category) {
            let id = CaseId::from_uuid(Uuid::now_v7());
            let mut events =
                vec![CaseState::receive(&pipeline, *category, "Сокол", now()).unwrap()];
            let first = CaseState::fold(id, &events).stage;
            if first != stage.id {
                events.push(Event {
                    seq: 2,
                    at: now(),
                    actor: Some(staff_id(Role::SecurityOfficer)),
                    kind: EventKind::StageAdvanced {
                        from: first,
                        to: stage.id.clone(),
                        note: String::new(),
                    },
                });
            }
            let state = CaseState::fold(id, &events);
            assert_eq!(
                state.stage, stage.id,
                "the case sits at the stage it stands for"
            );
            let mut identity = GroupContent::default();
            identity.push("full_name", "Иванов Иван Иванович".to_owned());
            let mut documents = GroupContent::default();
            documents.push("file_1", "image/png;clean;iVBORw0KGgo=".to_owned());
            new_cases.push(NewCase {
                state,
                events,
                owner_role: stage.owner,
                content: BTreeMap::from([
                    (FieldGroup::Identity, identity),
                    (FieldGroup::Documents, documents),
                ]),
            });
            cases.push(CaseAt {
                id,
                category: *category,
                stage: stage.id.clone(),
                phase: stage.phase,
                owner: stage.owner,
            });
        }
    }
    office.state.store.create_cases(&new_cases).await.unwrap();
    cases
}

#[tokio::test]
async fn every_route_has_a_matrix_entry() {
    let routes = routes();
    for route in &routes {
        assert!(
            MATRIX
                .iter()
                .any(|(method, path, _)| *method == route.method && *path == route.path),
            "{} {} has no line in the authorisation matrix",
            route.method,
            route.path
        );
    }
    for (method, path, _) in MATRIX {
        assert!(
            routes
                .iter()
                .any(|route| route.method == *method && route.path == *path),
            "the matrix names {method} {path}, which the router does not serve"
        );
    }
}

#[tokio::test]
async fn every_route_answers_every_role_as_the_matrix_says_on_every_track_and_stage() {
    let office = office(OfficeConfig::default()).await;
    let cases = cases_at_every_stage(&office).await;
    let stages: std::collections::BTreeSet<&str> =
        cases.iter().map(|case| case.stage.as_str()).collect();
    assert_eq!(
        stages.len(),
        office.state.pipeline.stages().len(),
        "every stage of the pipeline is tried"
    );
    let mut checked = 0;
    for (method, pattern, who) in MATRIX {
        // Every path parameter gets a real value: a case (one per stage of every track), a category (every
        // track's), a file the case holds. A route naming no case is tried once per category or once.
        let fills: Vec<(String, Option<&CaseAt>)> = if pattern.contains("{id}") {
            cases
                .iter()
                .map(|case| {
                    let path = pattern
                        .replace("{id}", &case.id.to_string())
                        .replace("{n}", "1")
                        .replace("{category}", case.category.as_str());
                    (path, Some(case))
                })
                .collect()
        } else if pattern.contains("{category}") {
            Category::ALL
                .iter()
                .map(|category| (pattern.replace("{category}", category.as_str()), None))
                .collect()
        } else {
            vec![(pattern.to_string(), None)]
        };
        for (path, case) in fills {
            assert!(
                !path.contains('{'),
                "{method} {pattern}: a parameter left unfilled in {path}"
            );
            for role in std::iter::once(None).chain(Role::ALL.iter().copied().map(Some)) {
                let (cookie, csrf) = match role {
                    Some(role) => {
                        let (cookie, csrf) = session(&office, role).await;
                        (Some(cookie), csrf)
                    }
                    None => (None, String::new()),
                };
                let answer = send(
                    &office,
                    method,
                    &path,
                    cookie.as_deref(),
                    &[("csrf", &csrf)],
                )
                .await;
                let got = if answer.sends_to_login() {
                    Expect::SignIn
                } else if answer.status == 403 {
                    Expect::Forbidden
                } else {
                    assert!(
                        answer.status != 404 && answer.status < 500,
                        "{method} {path} as {role:?}: status {}",
                        answer.status
                    );
                    Expect::Answered
                };
                let at = case.map(|case| case.stage.as_str()).unwrap_or("-");
                assert_eq!(
                    got,
                    expected(who, role, case),
                    "{method} {pattern} as {role:?} at {at} (status {})",
                    answer.status
                );
                checked += 1;
            }
        }
    }
    assert!(checked > MATRIX.len() * (Role::ALL.len() + 1));
}

/// The gate is the only way to a staff member: a handler mounted on a router of its own, outside the route table,
/// sees nobody even for a live session, so a route that skips the table cannot open anything.
#[tokio::test]
async fn a_handler_mounted_without_the_gate_sees_no_staff_member() {
    use tower::ServiceExt;
    let office = office(OfficeConfig::default()).await;
    let (cookie, _) = session(&office, Role::SecurityOfficer).await;
    let ungated = axum::Router::new()
        .route(
            "/ungated",
            axum::routing::get(|staff: sito_office::auth::Staff| async move { staff.call_sign }),
        )
        .with_state(office.state.clone());
    let request = axum::http::Request::builder()
        .uri("/ungated")
        .header(axum::http::header::COOKIE, &cookie)
        .body(axum::body::Body::empty())
        .unwrap();
    let response = ungated.oneshot(request).await.unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(
        response
            .headers()
            .get(axum::http::header::LOCATION)
            .unwrap(),
        "/login"
    );
    // The same session passes the gate of a table route the role may use.
    assert_eq!(
        send(&office, "GET", "/queue", Some(&cookie), &[])
            .await
            .status,
        200
    );
}

// ---- Sessions, CSRF, second factor, lockout ----

#[tokio::test]
async fn with_secure_cookies_every_staff_cookie_is_secure() {
    let secure = office(OfficeConfig {
        secure_cookies: true,
        ..OfficeConfig::default()
    })
    .await;
    let form = send(&secure, "GET", "/login", None, &[]).await;
    let role = Role::IntakeCoordinator;
    let password = password_of(role);
    let code = code_now(role);
    let signed_in = login(
        &secure,
        None,
        &[
            ("call_sign", role.as_str()),
            ("password", &password),
            ("code", &code),
        ],
    )
    .await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    let (cookie, csrf) = session(&secure, role).await;
    let signed_out = send(
        &secure,
        "POST",
        "/logout",
        Some(&cookie),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(signed_out.status, 303);
    for (what, answer) in [
        ("sign-in form", &form),
        ("sign-in", &signed_in),
        ("sign-out", &signed_out),
    ] {
        let cookie = answer.set_cookie.as_deref().unwrap_or_default();
        assert!(cookie.ends_with("; Secure"), "{what}: {cookie:?}");
    }
    // Without the setting (plain HTTP on a workstation), the flag would make browsers drop the cookie.
    let plain = office(OfficeConfig::default()).await;
    let cookie = send(&plain, "GET", "/login", None, &[])
        .await
        .set_cookie
        .unwrap();
    assert!(!cookie.contains("Secure"), "{cookie}");
}

#[tokio::test]
async fn a_session_id_planted_before_sign_in_is_worthless_after_it() {
    let office = office(OfficeConfig::default()).await;
    let role = Role::IntakeCoordinator;
    let planted = "sito_session=chosen-by-the-attacker";
    let password = password_of(role);
    let code = code_now(role);
    let answer = login(
        &office,
        Some(planted),
        &[
            ("call_sign", role.as_str()),
            ("password", &password),
            ("code", &code),
        ],
    )
    .await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    let issued = answer.session_cookie().expect("a new session cookie");
    assert_ne!(issued, planted);
    assert!(
        send(&office, "GET", "/queue", Some(planted), &[])
            .await
            .sends_to_login()
    );
    assert_eq!(
        send(&office, "GET", "/queue", Some(&issued), &[])
            .await
            .status,
        200
    );
    let cookie = answer.set_cookie.unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
}

#[tokio::test]
async fn a_form_without_the_sessions_csrf_token_is_refused() {
    let office = office(OfficeConfig::default()).await;
    let (cookie, csrf) = session(&office, Role::IntakeCoordinator).await;
    let (_, other_csrf) = session(&office, Role::IntakeCoordinator).await;
    let path = format!("/cases/{}", the_case());
    let form = |token: &'static str| {
        vec![
            ("version", "1"),
            ("action", "tick"),
            ("check", "contact_established"),
            ("csrf", token),
        ]
    };
    for token in ["", "not-the-token"] {
        assert_eq!(
            send(&office, "POST", &path, Some(&cookie), &form(token))
                .await
                .status,
            403
        );
    }
    let other = Box::leak(other_csrf.into_boxed_str());
    assert_eq!(
        send(&office, "POST", &path, Some(&cookie), &form(other))
            .await
            .status,
        403,
        "another session's token"
    );
    assert_eq!(
        send(&office, "POST", "/logout", Some(&cookie), &[])
            .await
            .status,
        403
    );
    // With the right token the same form goes through.
    let right = Box::leak(csrf.into_boxed_str());
    let answer = send(&office, "POST", &path, Some(&cookie), &form(right)).await;
    assert_eq!(answer.status, 303, "{}", answer.body);
}

#[tokio::test]
async fn a_sign_in_without_the_forms_csrf_token_is_refused_before_the_password_is_checked() {
    let office = office(OfficeConfig::default()).await;
    let role = Role::SecurityOfficer;
    let password = password_of(role);
    let code = code_now(role);
    let credentials = [
        ("call_sign", role.as_str()),
        ("password", password.as_str()),
        ("code", code.as_str()),
    ];
    // A cross-site form: right credentials, no token cookie (the browser withholds a SameSite=Strict cookie).
    let mut forged = credentials.to_vec();
    forged.push(("csrf", "guessed"));
    let refused = send(&office, "POST", "/login", None, &forged).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.session_cookie().is_none());
    // A cookie and a token that don't match are refused too.
    let mismatched = send(
        &office,
        "POST",
        "/login",
        Some("sito_login_csrf=one-value"),
        &[&credentials[..], &[("csrf", "another-value")]].concat(),
    )
    .await;
    assert_eq!(mismatched.status, 400);
    assert!(mismatched.session_cookie().is_none());
    let staff = office
        .state
        .store
        .staff_by_call_sign(role.as_str())
        .await
        .unwrap();
    assert_eq!(
        staff.failed_logins, 0,
        "a forged post counts towards nobody's lockout"
    );
    // The refusal hands back a fresh form, and the same code now signs in.
    let answer = login(&office, None, &credentials).await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    assert!(answer.session_cookie().is_some());
}

#[tokio::test]
async fn a_totp_code_opens_one_sign_in_only() {
    let office = office(OfficeConfig::default()).await;
    let role = Role::SecurityOfficer;
    let password = password_of(role);
    let code = code_now(role);
    let sign_in = |code: String| {
        let office = &office;
        let password = password.clone();
        async move {
            login(
                office,
                None,
                &[
                    ("call_sign", role.as_str()),
                    ("password", &password),
                    ("code", &code),
                ],
            )
            .await
        }
    };
    assert_eq!(sign_in(code.clone()).await.status, 303);
    let replay = sign_in(code).await;
    assert_eq!(replay.status, 401, "the same code again is a replay");
    assert!(replay.session_cookie().is_none());
    // The code of the step before is within the skew window, but older than the one used: refused too.
    let earlier = totp::code_at(&totp_secret_of(role), now() - 30).unwrap();
    assert_eq!(sign_in(earlier).await.status, 401);
    assert_eq!(sign_in("000000".into()).await.status, 401);
    assert_eq!(
        sign_in(String::new()).await.status,
        401,
        "the second factor is mandatory"
    );
}

/// Quick delays, so the test waits milliseconds where the office waits seconds; the shape is the same.
fn quick_throttle() -> OfficeConfig {
    OfficeConfig {
        sign_in_free_failures: 2,
        sign_in_delay_ms: 20,
        sign_in_delay_max_ms: 150,
        alert_sign_in_failures: 10,
        ..OfficeConfig::default()
    }
}

async fn guess(office: &Office, peer: Option<SocketAddr>, role: Role) -> Answer {
    login_from(
        office,
        peer,
        None,
        &[
            ("call_sign", role.as_str()),
            ("password", "guess"),
            ("code", "123456"),
        ],
    )
    .await
}

async fn sign_in_for_real(
    office: &Office,
    peer: Option<SocketAddr>,
    role: Role,
    at: i64,
) -> Answer {
    let password = password_of(role);
    let code = totp::code_at(&totp_secret_of(role), at).unwrap();
    login_from(
        office,
        peer,
        None,
        &[
            ("call_sign", role.as_str()),
            ("password", &password),
            ("code", &code),
        ],
    )
    .await
}

#[tokio::test]
async fn an_outsider_hammering_a_call_sign_slows_guessing_but_cannot_keep_the_real_user_out() {
    let config = quick_throttle();
    let office = office(config.clone()).await;
    let role = Role::BoardMember;
    // Behind a local proxy or an onion service there is no client address: only the account's delay applies.
    for _ in 0..25 {
        assert_eq!(guess(&office, None, role).await.status, 401);
    }
    // Guessing is slowed: the next guess waits the full bound before its password is even checked.
    let started = std::time::Instant::now();
    assert_eq!(guess(&office, None, role).await.status, 401);
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(config.sign_in_delay_max_ms),
        "a guess after 25 failures waits at least the bound"
    );
    // The real user, password and code in hand, waits that bound once and is in.
    let started = std::time::Instant::now();
    let answer = sign_in_for_real(&office, None, role, now()).await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    assert!(answer.session_cookie().is_some());
    assert!(started.elapsed() >= std::time::Duration::from_millis(config.sign_in_delay_max_ms));
    let record = office
        .state
        .store
        .staff_by_call_sign(role.as_str())
        .await
        .unwrap();
    assert_eq!(record.failed_logins, 0, "the success ends the series");
    // A call sign nobody has is slowed like a real one, so the wait does not tell which call signs exist.
    for _ in 0..config.sign_in_free_failures + 3 {
        login(
            &office,
            None,
            &[("call_sign", "nobody"), ("password", "x"), ("code", "1")],
        )
        .await;
    }
    let started = std::time::Instant::now();
    login(
        &office,
        None,
        &[("call_sign", "nobody"), ("password", "x"), ("code", "1")],
    )
    .await;
    assert!(started.elapsed() >= std::time::Duration::from_millis(config.sign_in_delay_ms * 4));
}

#[tokio::test]
async fn a_burst_of_failed_sign_ins_alerts_the_administrator_and_the_auditor() {
    let config = quick_throttle();
    let office = office(config.clone()).await;
    let role = Role::Psychologist;
    for _ in 0..config.alert_sign_in_failures - 1 {
        guess(&office, None, role).await;
    }
    let alerts = |viewer: Role| {
        let office = &office;
        async move {
            let (cookie, _) = session(office, viewer).await;
            let page = send(office, "GET", "/audit/alerts", Some(&cookie), &[]).await;
            assert_eq!(page.status, 200, "{viewer:?}");
            page.body
        }
    };
    assert!(
        !alerts(Role::Administrator)
            .await
            .contains("alert.sign_in_failures")
    );
    guess(&office, None, role).await;
    for viewer in [Role::Administrator, Role::Auditor] {
        let page = alerts(viewer).await;
        assert!(
            page.contains("alert.sign_in_failures"),
            "{viewer:?}: {page}"
        );
        assert!(page.contains(role.as_str()), "names the account");
    }
    // The administrator's page holds the alerts about accounts, not the auditor's others.
    let (reader, reader_csrf) = session(&office, Role::SecurityOfficer).await;
    let reveal = format!("/cases/{}/reveal", the_case());
    send(
        &office,
        "POST",
        &reveal,
        Some(&reader),
        &[("csrf", &reader_csrf), ("reason", "background check")],
    )
    .await;
    assert!(
        alerts(Role::Auditor)
            .await
            .contains("alert.outside_assignment")
    );
    assert!(
        !alerts(Role::Administrator)
            .await
            .contains("alert.outside_assignment")
    );
}

#[tokio::test]
async fn too_many_failures_from_one_address_refuse_that_address_and_nobody_else() {
    let config = OfficeConfig {
        sign_in_delay_ms: 0,
        address_failures: 5,
        ..OfficeConfig::default()
    };
    let office = office(config.clone()).await;
    let role = Role::TrainingOfficer;
    let attacker: SocketAddr = "203.0.113.5:41000".parse().unwrap();
    for _ in 0..config.address_failures {
        assert_eq!(guess(&office, Some(attacker), role).await.status, 401);
    }
    let refused = sign_in_for_real(&office, Some(attacker), role, now()).await;
    assert_eq!(
        refused.status, 429,
        "even the right answer, from that address"
    );
    assert!(refused.session_cookie().is_none());
    let colleague: SocketAddr = "198.51.100.7:52000".parse().unwrap();
    let answer = sign_in_for_real(&office, Some(colleague), role, now() + 30).await;
    assert_eq!(answer.status, 303, "{}", answer.body);
}

#[tokio::test]
async fn a_new_account_enrols_its_authenticator_before_anything_else() {
    let office = office(OfficeConfig::default()).await;
    let id = StaffId::from_uuid(Uuid::from_u128(0x9999));
    let password = "a long new password".to_owned();
    office
        .state
        .store
        .create_staff(&NewStaff {
            id,
            call_sign: "newcomer".into(),
            role: Role::Psychologist,
            password_hash: office.state.passwords.hash(password.clone()).await.unwrap(),
            created_at: now(),
        })
        .await
        .unwrap();
    let answer = login(
        &office,
        None,
        &[("call_sign", "newcomer"), ("password", &password)],
    )
    .await;
    assert_eq!(
        (answer.status, answer.location.as_deref()),
        (303, Some("/enrol"))
    );
    let half = answer.session_cookie().unwrap();
    assert!(
        send(&office, "GET", "/queue", Some(&half), &[])
            .await
            .sends_to_login(),
        "half-open opens nothing else"
    );
    let page = send(&office, "GET", "/enrol", Some(&half), &[]).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<svg"), "QR code drawn as SVG");
    let secret = between(&page.body, "id=\"totp-secret\">", "<");
    let csrf = between(&page.body, "name=\"csrf\" value=\"", "\"");
    let wrong = send(
        &office,
        "POST",
        "/enrol",
        Some(&half),
        &[("csrf", &csrf), ("code", "000000")],
    )
    .await;
    assert_eq!(wrong.status, 422);
    let code = totp::code_at(&secret, now()).unwrap();
    assert_eq!(
        send(&office, "POST", "/enrol", Some(&half), &[("code", &code)])
            .await
            .status,
        403,
        "CSRF"
    );
    let done = send(
        &office,
        "POST",
        "/enrol",
        Some(&half),
        &[("csrf", &csrf), ("code", &code)],
    )
    .await;
    assert_eq!(done.status, 200, "{}", done.body);
    let full = done.session_cookie().unwrap();
    assert_ne!(full, half, "a new session id once enrolled");
    assert_eq!(
        send(&office, "GET", "/queue", Some(&full), &[])
            .await
            .status,
        200
    );
    assert!(
        send(&office, "GET", "/enrol", Some(&half), &[])
            .await
            .sends_to_login()
    );
    // A recovery code opens exactly one sign-in.
    let recovery = between(&done.body, "<li><code>", "<");
    let first = login(
        &office,
        None,
        &[
            ("call_sign", "newcomer"),
            ("password", &password),
            ("code", &recovery),
        ],
    )
    .await;
    assert_eq!(first.status, 303);
    let again = login(
        &office,
        None,
        &[
            ("call_sign", "newcomer"),
            ("password", &password),
            ("code", &recovery),
        ],
    )
    .await;
    assert_eq!(again.status, 401);
}

#[tokio::test]
async fn idle_and_old_sessions_end() {
    let config = OfficeConfig::default();
    let office = office(config.clone()).await;
    let staff = staff_id(Role::IntakeCoordinator);
    for (created_at, last_seen) in [
        (now() - 60, now() - config.session_idle_secs - 5),
        (now() - config.session_absolute_secs - 5, now()),
    ] {
        let id = sito_office::auth::random_token().unwrap();
        office
            .state
            .store
            .create_session(&SessionRecord {
                id_hash: hash_session_id(&id),
                staff_id: staff,
                csrf_token: "t".into(),
                created_at,
                last_seen,
            })
            .await
            .unwrap();
        let cookie = format!("sito_session={id}");
        assert!(
            send(&office, "GET", "/queue", Some(&cookie), &[])
                .await
                .sends_to_login()
        );
        assert!(
            office
                .state
                .store
                .session(&hash_session_id(&id))
                .await
                .is_err(),
            "expired session deleted"
        );
    }
}

#[tokio::test]
async fn identity_shows_only_after_a_reasoned_reveal_that_is_audited() {
    let office = office(OfficeConfig::default()).await;
    let (cookie, csrf) = session(&office, Role::SecurityOfficer).await;
    let path = format!("/cases/{}", the_case());
    let page = send(&office, "GET", &path, Some(&cookie), &[]).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("id=\"group-identity\""));
    assert!(
        !page.body.contains("Иванов"),
        "no identity without a reveal"
    );
    assert!(page.body.contains("/reveal"));
    let reveal = format!("{path}/reveal");
    assert_eq!(
        send(
            &office,
            "POST",
            &reveal,
            Some(&cookie),
            &[("reason", "background check")]
        )
        .await
        .status,
        403
    );
    assert_eq!(
        send(
            &office,
            "POST",
            &reveal,
            Some(&cookie),
            &[("csrf", &csrf), ("reason", " ")]
        )
        .await
        .status,
        400
    );
    let shown = send(
        &office,
        "POST",
        &reveal,
        Some(&cookie),
        &[("csrf", &csrf), ("reason", "background check")],
    )
    .await;
    assert_eq!(shown.status, 200);
    assert!(shown.body.contains("Иванов Иван Иванович"));
    let reads = office
        .state
        .store
        .search_audit(&sito_store::audit::AuditFilter {
            action_prefix: Some("identity.read".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(reads.len(), 1);
    assert_eq!(reads[0].entry.record.subject, the_case().to_string());
    assert_eq!(
        reads[0].entry.record.actor,
        staff_id(Role::SecurityOfficer).to_string()
    );
    assert!(reads[0].detail.contains("background check"));
    // The security officer does not own the "received" stage: reading outside one's assignment raises an alert,
    // which the auditor sees.
    let (auditor, _) = session(&office, Role::Auditor).await;
    let alerts = send(&office, "GET", "/audit/alerts", Some(&auditor), &[]).await;
    assert_eq!(alerts.status, 200);
    assert!(
        alerts.body.contains("alert.outside_assignment"),
        "{}",
        alerts.body
    );
    assert!(
        !alerts.body.contains("Иванов"),
        "the auditor never sees case content"
    );
    let log = send(
        &office,
        "GET",
        "/audit?action=identity.",
        Some(&auditor),
        &[],
    )
    .await;
    assert!(log.body.contains("background check"));
    // A role the policy denies identity to cannot reveal it.
    let (logistics, logistics_csrf) = session(&office, Role::LogisticsOfficer).await;
    let denied = send(
        &office,
        "POST",
        &reveal,
        Some(&logistics),
        &[("csrf", &logistics_csrf), ("reason", "curious")],
    )
    .await;
    assert_eq!(denied.status, 403);
}

fn between(text: &str, start: &str, end: &str) -> String {
    let from = text.find(start).expect(start) + start.len();
    let to = from + text[from..].find(end).unwrap();
    text[from..to].to_owned()
}
