//! Staff identity over the real router: the authorisation matrix (every route × every role and anonymous), session
//! fixation, CSRF, TOTP replay, brute-force lockout, enrolment and session lifetimes.
#![allow(clippy::expect_used, clippy::unwrap_used)]
mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use sito_core::machine::CaseState;
use sito_core::{CaseId, Category, FieldGroup, GroupContent, Role, StaffId};
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
    send(office, "POST", "/login", Some(&cookies), &fields).await
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
/// The roles the policy grants the Documents group of a case at its first stage.
const DOCUMENT_READERS: &[Role] = &[
    Role::IntakeCoordinator,
    Role::SecurityOfficer,
    Role::BoardMember,
];
/// The roles the policy grants the Contacts group of a case at its first stage (the logistics officer only at the
/// meeting, so here 403).
const CORRESPONDENTS: &[Role] = &[Role::IntakeCoordinator, Role::SecurityOfficer];

/// Who gets what on each route. Written out here, apart from the router's own table, on purpose: a route added
/// to the router without a line here fails `every_route_has_a_matrix_entry`.
enum Who {
    /// Anyone, signed in or not.
    Everyone,
    /// Fully signed-in staff of these roles; other roles get 403, anonymous visitors go to sign-in.
    Roles(&'static [Role]),
    /// Nobody with a full session or none: only a half-open enrolment session opens it.
    EnrolmentOnly,
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
    ("GET", "/units", Who::Roles(Role::ALL)),
    ("GET", "/audit", Who::Roles(&[Role::Auditor])),
    ("GET", "/audit/alerts", Who::Roles(&[Role::Auditor])),
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
    ("GET", "/cases/{id}/files/{n}", Who::Roles(DOCUMENT_READERS)),
    (
        "POST",
        "/cases/{id}/files/{n}",
        Who::Roles(DOCUMENT_READERS),
    ),
    ("GET", "/cases/{id}/messages", Who::Roles(CORRESPONDENTS)),
    ("POST", "/cases/{id}/messages", Who::Roles(CORRESPONDENTS)),
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

fn expected(who: &Who, role: Option<Role>) -> Expect {
    match (who, role) {
        (Who::Everyone, _) => Expect::Answered,
        (Who::EnrolmentOnly, _) | (Who::Roles(_), None) => Expect::SignIn,
        (Who::Roles(roles), Some(role)) if roles.contains(&role) => Expect::Answered,
        (Who::Roles(_), Some(_)) => Expect::Forbidden,
    }
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
async fn every_route_answers_every_role_as_the_matrix_says() {
    let office = office(OfficeConfig::default()).await;
    let mut checked = 0;
    for (method, pattern, who) in MATRIX {
        let path = pattern.replace("{id}", &the_case().to_string());
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
                    "{method} {pattern} as {role:?}: status {}",
                    answer.status
                );
                Expect::Answered
            };
            assert_eq!(
                got,
                expected(who, role),
                "{method} {pattern} as {role:?} (status {})",
                answer.status
            );
            checked += 1;
        }
    }
    assert_eq!(checked, MATRIX.len() * (Role::ALL.len() + 1));
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

#[tokio::test]
async fn repeated_failures_lock_the_account_even_for_the_right_password() {
    let config = OfficeConfig::default();
    let office = office(config.clone()).await;
    let role = Role::BoardMember;
    for _ in 0..config.lockout_after {
        let answer = login(
            &office,
            None,
            &[
                ("call_sign", role.as_str()),
                ("password", "guess"),
                ("code", "123456"),
            ],
        )
        .await;
        assert_eq!(answer.status, 401);
    }
    let password = password_of(role);
    let code = code_now(role);
    let locked = login(
        &office,
        None,
        &[
            ("call_sign", role.as_str()),
            ("password", &password),
            ("code", &code),
        ],
    )
    .await;
    assert_eq!(locked.status, 401);
    assert!(locked.session_cookie().is_none());
    let record = office
        .state
        .store
        .staff_by_call_sign(role.as_str())
        .await
        .unwrap();
    assert!(record.locked_until > now(), "locked for a while");
    // Lock lengths double with every further failure.
    let first = sito_office::auth::lock_until(config.lockout_after, 0, &config).unwrap();
    let second = sito_office::auth::lock_until(config.lockout_after + 1, 0, &config).unwrap();
    assert_eq!(second, first * 2);
    assert_eq!(
        sito_office::auth::lock_until(config.lockout_after - 1, 0, &config),
        None
    );
    // An administrator's password reset lifts the lock.
    office
        .state
        .store
        .set_password(record.id, &record.password_hash)
        .await
        .unwrap();
    let code = totp::code_at(&totp_secret_of(role), now() + 30).unwrap();
    let answer = login(
        &office,
        None,
        &[
            ("call_sign", role.as_str()),
            ("password", &password),
            ("code", &code),
        ],
    )
    .await;
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
