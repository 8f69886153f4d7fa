//! The staff site's routes and the one table that says which role may use which.
use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, Query, RawForm, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use sito_core::machine::{Actor, CaseState, Closure, Command, EventKind, PolygraphOutcome};
use sito_core::pipeline::Guard;
use sito_core::policy::{Assignment, permit};
use sito_core::{CaseId, Category, FieldGroup, Phase, Role, Status, UnitId};
use sito_store::{
    Append, CaseFilter, CasePage as StoredPage, CaseSummary, SessionRecord, StoreError,
};

use crate::auth::{self, LANG_COOKIE, SESSION_COOKIE, Staff};
use crate::error::WebError;
use crate::i18n::Tr;
use crate::views::{
    self, Actions, CaseRow, CheckItem, Chrome, Filters, GroupView, HistoryItem, ListPage, NavItem,
};
use crate::{AppState, now, totp};

/// Every staff route, for the authorisation table and its test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StaffRoute {
    Queue,
    Cases,
    CaseView,
    CaseAction,
    RevealIdentity,
    Bulk,
    Units,
    AuditLog,
    Alerts,
    AssistedIntake,
    CaseFiles,
    CaseMessages,
    Capacity,
    Clusters,
    Planning,
    PlanningEdit,
    Transfers,
}

impl StaffRoute {
    pub const ALL: [StaffRoute; 17] = [
        StaffRoute::AuditLog,
        StaffRoute::Alerts,
        StaffRoute::Queue,
        StaffRoute::Cases,
        StaffRoute::CaseView,
        StaffRoute::CaseAction,
        StaffRoute::RevealIdentity,
        StaffRoute::Bulk,
        StaffRoute::Units,
        StaffRoute::AssistedIntake,
        StaffRoute::CaseFiles,
        StaffRoute::CaseMessages,
        StaffRoute::Capacity,
        StaffRoute::Clusters,
        StaffRoute::Planning,
        StaffRoute::PlanningEdit,
        StaffRoute::Transfers,
    ];
}

/// Which roles may use which route. Case routes are for the roles that work cases; what they then see of a case
/// is the policy's business. Auditors and administrators never reach case content.
pub fn route_allowed(route: StaffRoute, role: Role) -> bool {
    let works_cases = !matches!(role, Role::Auditor | Role::Administrator);
    match route {
        StaffRoute::Queue
        | StaffRoute::Cases
        | StaffRoute::CaseView
        | StaffRoute::CaseAction
        | StaffRoute::RevealIdentity
        | StaffRoute::Bulk => works_cases,
        StaffRoute::Units => true,
        // Entering applications on someone's behalf is the intake coordinator's work alone.
        StaffRoute::AssistedIntake => role == Role::IntakeCoordinator,
        // Files and the applicant's thread: the roles the policy may ever grant the Documents (files) or Contacts
        // (thread) group; the handler asks the policy again for the case at hand.
        StaffRoute::CaseFiles => crate::staff_intake::may_ever_see(role, FieldGroup::Documents),
        StaffRoute::CaseMessages => crate::staff_intake::may_ever_see(role, FieldGroup::Contacts),
        // The audit log names cases and staff but holds no case content.
        StaffRoute::AuditLog | StaffRoute::Alerts => role == Role::Auditor,
        // Capacity planning decides staffing: the board (the office's leadership, which already has the summary
        // view) and the administrator (who manages staff accounts and the pipeline). The page holds aggregate figures
        // only, no case content, but the intake's volume and the office's throughput are operationally sensitive,
        // so not every role sees them.
        StaffRoute::Capacity => matches!(role, Role::BoardMember | Role::Administrator),
        // Linked groups are counter-intelligence work, which DESIGN.md gives the security officer alone (the role
        // that reviews watchlist hits and links and resolves their flags). The pages hold call signs and key kinds,
        // but who is suspected with whom is itself sensitive, so no other role sees them.
        StaffRoute::Clusters => role == Role::SecurityOfficer,
        // Planning visits: the pipeline gives the meeting stage (safe location, date, transfer) to the logistics
        // officer, and committing a plan ticks that stage's booking check, so the logistics officer plans and
        // keeps the locations and the staff calendar. The plan shows call signs, times and staff, never case
        // content. The security officer (full case view, runs the vetting) and the psychologists and polygraph
        // examiners (whose days it fills) may read it; nobody else needs it.
        StaffRoute::Planning => matches!(
            role,
            Role::LogisticsOfficer
                | Role::SecurityOfficer
                | Role::Psychologist
                | Role::PolygraphExaminer
        ),
        StaffRoute::PlanningEdit => role == Role::LogisticsOfficer,
        // The transfers to arrange: the logistics officer's work, and the security officer's full view.
        StaffRoute::Transfers => matches!(role, Role::LogisticsOfficer | Role::SecurityOfficer),
    }
}

const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
                   frame-ancestors 'none'; base-uri 'none'";

/// Forms are small: a reason or a note. Anything larger is refused before it is read.
const FORM_LIMIT: usize = 64 * 1024;

/// Who may reach a route, before its handler looks at anything else.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gate {
    /// Anyone, signed in or not (sign-in itself, the language switch, the stylesheet).
    Public,
    /// A half-open session: password verified, second factor not yet enrolled.
    Enrolment,
    /// Any fully signed-in staff member, whatever the role.
    AnyStaff,
    /// Fully signed-in staff whose role `route_allowed` admits.
    Staff(StaffRoute),
}

/// One route of the staff site: the method, the path pattern and its gate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RouteEntry {
    pub method: &'static str,
    pub path: &'static str,
    pub gate: Gate,
}

const fn entry(method: &'static str, path: &'static str, gate: Gate) -> RouteEntry {
    RouteEntry { method, path, gate }
}

/// Every route with its handler. The router is built from this table and nothing else, and the authorisation
/// matrix test walks the same table, so a route added here without an expected answer in the test fails it.
fn route_table() -> Vec<(RouteEntry, axum::routing::MethodRouter<AppState>)> {
    use Gate::{AnyStaff, Enrolment, Public, Staff as S};
    vec![
        (entry("GET", "/", AnyStaff), get(home)),
        (entry("GET", "/login", Public), get(login_form)),
        (entry("POST", "/login", Public), post(login_submit)),
        (entry("POST", "/logout", AnyStaff), post(logout)),
        (entry("GET", "/lang", Public), get(switch_language)),
        (
            entry("GET", "/enrol", Enrolment),
            get(crate::enrol::enrol_form),
        ),
        (
            entry("POST", "/enrol", Enrolment),
            post(crate::enrol::enrol_submit),
        ),
        (entry("GET", "/queue", S(StaffRoute::Queue)), get(queue)),
        (entry("GET", "/cases", S(StaffRoute::Cases)), get(cases)),
        (
            entry("POST", "/cases/bulk", S(StaffRoute::Bulk)),
            post(bulk),
        ),
        (
            entry("GET", "/cases/{id}", S(StaffRoute::CaseView)),
            get(case_view),
        ),
        (
            entry("POST", "/cases/{id}", S(StaffRoute::CaseAction)),
            post(case_action),
        ),
        (
            entry("POST", "/cases/{id}/reveal", S(StaffRoute::RevealIdentity)),
            post(reveal_identity),
        ),
        (entry("GET", "/units", S(StaffRoute::Units)), get(units)),
        (
            entry("GET", "/audit", S(StaffRoute::AuditLog)),
            get(crate::audit_pages::audit_log),
        ),
        (
            entry("GET", "/audit/alerts", S(StaffRoute::Alerts)),
            get(crate::audit_pages::alerts),
        ),
        (
            entry("GET", "/clusters", S(StaffRoute::Clusters)),
            get(crate::clusters::cluster_list),
        ),
        (
            entry("GET", "/cases/{id}/cluster", S(StaffRoute::Clusters)),
            get(crate::clusters::case_cluster),
        ),
        (
            entry("GET", "/capacity", S(StaffRoute::Capacity)),
            get(crate::capacity::page),
        ),
        (
            entry("POST", "/capacity", S(StaffRoute::Capacity)),
            post(crate::capacity::run),
        ),
        (
            entry("GET", "/assisted", S(StaffRoute::AssistedIntake)),
            get(crate::staff_intake::assisted::choose),
        ),
        (
            entry("GET", "/assisted/{category}", S(StaffRoute::AssistedIntake)),
            get(crate::staff_intake::assisted::form),
        ),
        (
            entry(
                "POST",
                "/assisted/{category}",
                S(StaffRoute::AssistedIntake),
            ),
            post(crate::staff_intake::assisted::form_again),
        ),
        (
            entry(
                "POST",
                "/assisted/{category}/review",
                S(StaffRoute::AssistedIntake),
            ),
            post(crate::staff_intake::assisted::review),
        ),
        (
            entry(
                "POST",
                "/assisted/{category}/send",
                S(StaffRoute::AssistedIntake),
            ),
            post(crate::staff_intake::assisted::send).layer(DefaultBodyLimit::max(
                crate::staff_intake::assisted::BODY_LIMIT,
            )),
        ),
        (
            entry("GET", "/cases/{id}/files/{n}", S(StaffRoute::CaseFiles)),
            get(crate::staff_intake::files::download),
        ),
        (
            entry("POST", "/cases/{id}/files/{n}", S(StaffRoute::CaseFiles)),
            post(crate::staff_intake::files::confirm),
        ),
        (
            entry("GET", "/cases/{id}/messages", S(StaffRoute::CaseMessages)),
            get(crate::staff_intake::messages::thread),
        ),
        (
            entry("POST", "/cases/{id}/messages", S(StaffRoute::CaseMessages)),
            post(crate::staff_intake::messages::reply),
        ),
        (
            entry("GET", "/planning", S(StaffRoute::Planning)),
            get(crate::planning::page),
        ),
        (
            entry("POST", "/planning/build", S(StaffRoute::PlanningEdit)),
            post(crate::planning::build),
        ),
        (
            entry("POST", "/planning/pin", S(StaffRoute::PlanningEdit)),
            post(crate::planning::pin),
        ),
        (
            entry("POST", "/planning/commit", S(StaffRoute::PlanningEdit)),
            post(crate::planning::commit),
        ),
        (
            entry("GET", "/planning/setup", S(StaffRoute::Planning)),
            get(crate::planning::setup_page),
        ),
        (
            entry("POST", "/planning/setup", S(StaffRoute::PlanningEdit)),
            post(crate::planning::setup_submit),
        ),
        (
            entry("GET", "/planning/transfers", S(StaffRoute::Transfers)),
            get(crate::planning::transfers),
        ),
        (entry("GET", "/static/site.css", Public), get(stylesheet)),
        (entry("GET", "/static/favicon.svg", Public), get(favicon)),
    ]
}

/// The routes of the staff site, for the authorisation matrix.
pub fn routes() -> Vec<RouteEntry> {
    route_table().into_iter().map(|(entry, _)| entry).collect()
}

/// The staff site. Each handler is wrapped in the gate middleware built from its own table entry, so there is one
/// place that decides who reaches a handler and no way to mount one without a gate.
pub fn office_router(state: AppState) -> Router {
    let mut router = Router::new();
    for (entry, handler) in route_table() {
        let gate = crate::gate::GateState {
            state: state.clone(),
            gate: entry.gate,
        };
        router = router.route(
            entry.path,
            handler.route_layer(axum::middleware::from_fn_with_state(
                gate,
                crate::gate::enforce,
            )),
        );
    }
    let router = router
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(FORM_LIMIT));
    sito_http::with_security_headers(router, CSP).with_state(state)
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        include_str!("../static/site.css"),
    )
}

/// The icon browsers ask for on every page; without it each page load logs a failed request.
pub(crate) use sito_http::favicon;

async fn not_found(headers: HeaderMap) -> Response {
    WebError::NotFound.into_response_in(auth::request_lang(&headers))
}

pub(crate) fn render(page: impl Template) -> Result<Response, WebError> {
    Ok(Html(page.render()?).into_response())
}

pub(crate) fn chrome(staff: &Staff, path: &str, active: &'static str) -> Chrome {
    let mut chrome = Chrome::new(staff.lang, path);
    let tr = &chrome.tr;
    let mut nav = Vec::new();
    if route_allowed(StaffRoute::Queue, staff.role) {
        nav.push(NavItem {
            href: "/queue",
            label: tr.t("nav-queue"),
            active: active == "/queue",
        });
        nav.push(NavItem {
            href: "/cases",
            label: tr.t("nav-cases"),
            active: active == "/cases",
        });
    }
    nav.push(NavItem {
        href: "/units",
        label: tr.t("nav-units"),
        active: active == "/units",
    });
    if route_allowed(StaffRoute::Planning, staff.role) {
        nav.push(NavItem {
            href: "/planning",
            label: tr.t("nav-planning"),
            active: active == "/planning",
        });
    }
    if route_allowed(StaffRoute::Transfers, staff.role) {
        nav.push(NavItem {
            href: "/planning/transfers",
            label: tr.t("nav-transfers"),
            active: active == "/planning/transfers",
        });
    }
    if route_allowed(StaffRoute::Capacity, staff.role) {
        nav.push(NavItem {
            href: "/capacity",
            label: tr.t("nav-capacity"),
            active: active == "/capacity",
        });
    }
    if route_allowed(StaffRoute::AssistedIntake, staff.role) {
        nav.push(NavItem {
            href: "/assisted",
            label: tr.t("nav-assisted"),
            active: active == "/assisted",
        });
    }
    if route_allowed(StaffRoute::Clusters, staff.role) {
        nav.push(NavItem {
            href: "/clusters",
            label: tr.t("nav-clusters"),
            active: active == "/clusters",
        });
    }
    if route_allowed(StaffRoute::AuditLog, staff.role) {
        nav.push(NavItem {
            href: "/audit",
            label: tr.t("nav-audit"),
            active: active == "/audit",
        });
        nav.push(NavItem {
            href: "/audit/alerts",
            label: tr.t("nav-alerts"),
            active: active == "/audit/alerts",
        });
    }
    let signed_in = tr.args(
        "signed-in-as",
        vec![
            ("call_sign", staff.call_sign.as_str().into()),
            ("role", tr.label("role", staff.role.as_str()).into()),
        ],
    );
    chrome.staff = Some(views::StaffChrome { signed_in, nav });
    chrome.csrf = staff.csrf.clone();
    chrome
}

async fn home(staff: Staff) -> Redirect {
    if route_allowed(StaffRoute::Queue, staff.role) {
        Redirect::to("/queue")
    } else if route_allowed(StaffRoute::Alerts, staff.role) {
        Redirect::to("/audit/alerts")
    } else {
        Redirect::to("/units")
    }
}

// ---- Sign-in ----

async fn login_form(
    headers: HeaderMap,
    State(state): State<AppState>,
) -> Result<Response, WebError> {
    login_page(
        &state,
        auth::request_lang(&headers),
        None,
        String::new(),
        StatusCode::OK,
    )
}

fn login_page(
    state: &AppState,
    lang: crate::i18n::Lang,
    failure: Option<String>,
    call_sign: String,
    status: StatusCode,
) -> Result<Response, WebError> {
    let mut chrome = Chrome::new(lang, "/login");
    let hint = chrome.tr.t1(
        "login-hint",
        "minutes",
        (state.config.session_idle_secs / 60) as u64,
    );
    // Every rendering of the form mints a fresh token, so a failed attempt can simply be retried.
    let token = auth::random_token()?;
    chrome.csrf = token.clone();
    let mut response = render(views::LoginPage {
        chrome,
        failure,
        call_sign,
        hint,
    })?;
    *response.status_mut() = status;
    if let Ok(cookie) =
        header::HeaderValue::from_str(&auth::login_csrf_cookie(&token, &state.config))
    {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

fn form_fields(form: &[u8]) -> HashMap<String, String> {
    form_urlencoded::parse(form).into_owned().collect()
}

/// Sign-in: call sign, password and the second factor (a TOTP code or a recovery code) in one form, so a wrong
/// answer never says which of them was wrong. Every failure counts towards the account's lockout.
async fn login_submit(
    headers: HeaderMap,
    State(state): State<AppState>,
    RawForm(form): RawForm,
) -> Result<Response, WebError> {
    let lang = auth::request_lang(&headers);
    let tr = crate::i18n::tr(lang);
    let mut fields = form_fields(&form);
    let call_sign = fields
        .remove("call_sign")
        .unwrap_or_default()
        .trim()
        .to_owned();
    let password = zeroize::Zeroizing::new(fields.remove("password").unwrap_or_default());
    let code = zeroize::Zeroizing::new(fields.remove("code").unwrap_or_default());
    // Checked before anything else, so a forged post costs no password hashing and counts towards no lockout.
    // 400, not 403: the honest user whose form simply expired gets the form back with a fresh token.
    if !auth::login_csrf_matches(&headers, fields.get("csrf").map(String::as_str)) {
        return login_page(
            &state,
            lang,
            Some(tr.t("login-expired")),
            call_sign,
            StatusCode::BAD_REQUEST,
        );
    }
    let staff = match state.store.staff_by_call_sign(&call_sign).await {
        Ok(staff) if !staff.disabled => Some(staff),
        Ok(_) | Err(StoreError::NotFound) => None,
        Err(other) => return Err(other.into()),
    };
    let now = now();
    // The password is verified even for a locked or unknown account, so timing tells nothing.
    let verified = state
        .passwords
        .verify(
            password.to_string(),
            staff.as_ref().map(|staff| staff.password_hash.clone()),
        )
        .await;
    let failed = |message: String, call_sign: String| {
        login_page(
            &state,
            lang,
            Some(message),
            call_sign,
            StatusCode::UNAUTHORIZED,
        )
    };
    let Some(staff) = staff else {
        return failed(tr.t("login-refused"), call_sign);
    };
    if staff.locked_until > now {
        let minutes = ((staff.locked_until - now) as u64).div_ceil(60);
        return failed(tr.t1("login-locked", "minutes", minutes), call_sign);
    }
    let second_factor = if !verified {
        false
    } else if let Some(secret) = &staff.totp_secret {
        if totp::looks_like_recovery_code(&code) {
            state
                .store
                .use_recovery_code(staff.id, &totp::recovery_code_hash(&code))
                .await?
        } else {
            match totp::matching_step(secret, &code, now) {
                // A step at or before the last accepted one is a replay and fails like a wrong code.
                Some(step) => state.store.use_totp_step(staff.id, step).await?,
                None => false,
            }
        }
    } else {
        // Not enrolled yet: the password opens the enrolment page only.
        true
    };
    if !verified || !second_factor {
        let failures = state
            .store
            .record_login_failure(
                staff.id,
                auth::lock_until(staff.failed_logins.saturating_add(1), now, &state.config),
            )
            .await?;
        tracing::info!(failures, "failed staff sign-in");
        state
            .store
            .record_audit(&[sito_store::audit::AuditInput {
                at_ms: crate::now_ms(),
                actor: staff.id.to_string(),
                action: "staff.sign_in_failed".into(),
                subject: staff.id.to_string(),
                detail: format!("consecutive failures: {failures}"),
            }])
            .await?;
        return failed(tr.t("login-refused"), call_sign);
    }
    state.store.clear_login_failures(staff.id).await?;
    state
        .store
        .record_audit(&[sito_store::audit::AuditInput {
            at_ms: crate::now_ms(),
            actor: staff.id.to_string(),
            action: "staff.sign_in".into(),
            subject: staff.id.to_string(),
            detail: String::new(),
        }])
        .await?;
    // A new session id on every sign-in: an id planted before sign-in (session fixation) is worthless.
    if let Some(old) = auth::cookie(&headers, SESSION_COOKIE) {
        state
            .store
            .delete_session(&auth::hash_session_id(old))
            .await?;
    }
    let session_id = auth::random_token()?;
    let record = SessionRecord {
        id_hash: auth::hash_session_id(&session_id),
        staff_id: staff.id,
        csrf_token: auth::random_token()?,
        created_at: now,
        last_seen: now,
    };
    let next = if staff.totp_secret.is_some() {
        state.store.create_session(&record).await?;
        "/"
    } else {
        state.store.create_enrolment_session(&record).await?;
        "/enrol"
    };
    Ok((
        StatusCode::SEE_OTHER,
        [
            (
                header::SET_COOKIE,
                auth::session_cookie(&session_id, &state.config),
            ),
            (header::LOCATION, next.to_owned()),
        ],
    )
        .into_response())
}

async fn logout(
    staff: Staff,
    headers: HeaderMap,
    State(state): State<AppState>,
    RawForm(form): RawForm,
) -> Result<Response, WebError> {
    staff.check_csrf(form_fields(&form).get("csrf").map(String::as_str))?;
    if let Some(session_id) = auth::cookie(&headers, SESSION_COOKIE) {
        state
            .store
            .delete_session(&auth::hash_session_id(session_id))
            .await?;
    }
    let expired = auth::expired_session_cookie(&state.config);
    Ok((
        StatusCode::SEE_OTHER,
        [
            (header::SET_COOKIE, expired),
            (header::LOCATION, "/login".to_owned()),
        ],
    )
        .into_response())
}

async fn switch_language(Query(query): Query<HashMap<String, String>>) -> Response {
    let lang = query
        .get("to")
        .and_then(|code| crate::i18n::Lang::parse(code))
        .unwrap_or(crate::i18n::Lang::Ru);
    // Only paths on this site: an open redirect would let a phishing link borrow our address.
    let back = query
        .get("back")
        .filter(|path| path.starts_with('/') && !path.starts_with("//") && !path.contains('\\'))
        .cloned()
        .unwrap_or_else(|| "/".to_owned());
    let cookie = format!(
        "{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000",
        lang.code()
    );
    (
        StatusCode::SEE_OTHER,
        [(header::SET_COOKIE, cookie), (header::LOCATION, back)],
    )
        .into_response()
}

// ---- Lists ----

const PER_PAGE: u32 = 50;

fn parse_page(query: &HashMap<String, String>) -> Result<u32, WebError> {
    match query.get("page").map(String::as_str) {
        None | Some("") => Ok(1),
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|page| (1..=1_000_000).contains(page))
            .ok_or_else(|| WebError::BadRequest("page".into())),
    }
}

fn case_row(state: &AppState, tr: &Tr, case: &CaseSummary, now: i64) -> CaseRow {
    let target_days = state
        .pipeline
        .stage(&case.stage)
        .map(|stage| stage.target_days)
        .unwrap_or(0);
    let age_days = (now - case.stage_entered_at).max(0) / 86_400;
    CaseRow {
        id: case.id.to_string(),
        version: case.version,
        call_sign: case.call_sign.clone(),
        category: tr.label("category", case.category.as_str()),
        stage: tr.label("stage", &case.stage),
        owner: tr.label("role", case.owner_role.as_str()),
        status: tr.label("status", case.status.as_str()),
        status_class: views::status_class(case.status),
        received: views::date(case.received_at),
        age_days,
        target_days,
        overdue: case.status == Status::Active
            && target_days > 0
            && age_days > i64::from(target_days),
        action_needed: case.action_needed,
        open_flags: case.open_flags,
    }
}

fn list_page(
    state: &AppState,
    staff: &Staff,
    path: &str,
    active: &'static str,
    title: String,
    stored: StoredPage,
    page_href: impl Fn(u32) -> String,
) -> ListPage {
    let chrome = chrome(staff, path, active);
    let tr = chrome.tr.clone();
    let now = now();
    let pages = stored.page_count();
    ListPage {
        title,
        intro: None,
        notice: None,
        filters: None,
        total_label: tr.t1("cases-total", "total", stored.total),
        empty_label: tr.t("cases-empty"),
        rows: stored
            .cases
            .iter()
            .map(|case| case_row(state, &tr, case, now))
            .collect(),
        page_label: tr.args(
            "page-of",
            vec![("page", stored.page.into()), ("pages", pages.into())],
        ),
        prev_href: (stored.page > 1).then(|| page_href(stored.page - 1)),
        next_href: (stored.page < pages).then(|| page_href(stored.page + 1)),
        chrome,
    }
}

async fn queue(
    staff: Staff,
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let page = parse_page(&query)?;
    let filter = CaseFilter {
        owner_role: Some(staff.role),
        status: Some(Status::Active),
        oldest_in_stage_first: true,
        ..CaseFilter::default()
    };
    let stored = state.store.list_cases(&filter, page, PER_PAGE).await?;
    let tr = crate::i18n::tr(staff.lang);
    let mut view = list_page(
        &state,
        &staff,
        "/queue",
        "/queue",
        tr.t("queue-title"),
        stored,
        |page| format!("/queue?page={page}"),
    );
    view.intro = Some(tr.t("queue-intro"));
    view.empty_label = tr.t("queue-empty");
    render(view)
}

async fn cases(
    staff: Staff,
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let page = parse_page(&query)?;
    let pick = |name: &str| {
        query
            .get(name)
            .map(String::as_str)
            .filter(|value| !value.is_empty())
    };
    let stage = pick("stage")
        .map(|stage| {
            state
                .pipeline
                .stage(stage)
                .map(|stage| stage.id.clone())
                .ok_or_else(|| WebError::BadRequest("stage".into()))
        })
        .transpose()?;
    let category = pick("category")
        .map(|text| Category::parse(text).ok_or_else(|| WebError::BadRequest("category".into())))
        .transpose()?;
    let owner_role = pick("owner")
        .map(|text| Role::parse(text).ok_or_else(|| WebError::BadRequest("owner".into())))
        .transpose()?;
    let status = pick("status")
        .map(|text| Status::parse(text).ok_or_else(|| WebError::BadRequest("status".into())))
        .transpose()?;
    let filter = CaseFilter {
        stage,
        category,
        owner_role,
        status,
        oldest_in_stage_first: false,
    };
    let stored = state.store.list_cases(&filter, page, PER_PAGE).await?;

    let mut params: Vec<(&str, String)> = Vec::new();
    for name in ["stage", "category", "owner", "status"] {
        if let Some(value) = pick(name) {
            params.push((name, value.to_owned()));
        }
    }
    let href = move |page: u32| {
        let mut serializer = form_urlencoded::Serializer::new(String::new());
        for (name, value) in &params {
            serializer.append_pair(name, value);
        }
        serializer.append_pair("page", &page.to_string());
        format!("/cases?{}", serializer.finish())
    };
    let tr = crate::i18n::tr(staff.lang);
    let mut view = list_page(
        &state,
        &staff,
        "/cases",
        "/cases",
        tr.t("cases-title"),
        stored,
        href,
    );
    if let Some(done) = query
        .get("done")
        .and_then(|count| count.parse::<u32>().ok())
    {
        view.notice = Some(tr.t1("bulk-done", "count", done));
    }
    view.filters = Some(filters(&state, &tr, &filter));
    render(view)
}

fn filters(state: &AppState, tr: &Tr, filter: &CaseFilter) -> Filters {
    let option = |value: &str, label: String, selected: bool| views::SelectOption {
        value: value.to_owned(),
        label,
        selected,
    };
    let mut seen = std::collections::BTreeSet::new();
    let stages = state
        .pipeline
        .stages()
        .iter()
        .filter(|stage| seen.insert(stage.id.clone()))
        .map(|stage| {
            option(
                &stage.id,
                tr.label("stage", &stage.id),
                filter.stage.as_deref() == Some(stage.id.as_str()),
            )
        })
        .collect();
    let categories = Category::ALL
        .iter()
        .map(|c| {
            option(
                c.as_str(),
                tr.label("category", c.as_str()),
                filter.category == Some(*c),
            )
        })
        .collect();
    let roles = Role::ALL
        .iter()
        .filter(|role| route_allowed(StaffRoute::CaseView, **role))
        .map(|r| {
            option(
                r.as_str(),
                tr.label("role", r.as_str()),
                filter.owner_role == Some(*r),
            )
        })
        .collect();
    let statuses = [
        Status::Active,
        Status::Rejected,
        Status::Withdrawn,
        Status::Held,
        Status::Referred,
        Status::Completed,
    ]
    .iter()
    .map(|s| {
        option(
            s.as_str(),
            tr.label("status", s.as_str()),
            filter.status == Some(*s),
        )
    })
    .collect();
    Filters {
        selects: vec![
            views::Select {
                name: "stage",
                label: tr.t("col-stage"),
                options: stages,
            },
            views::Select {
                name: "category",
                label: tr.t("col-category"),
                options: categories,
            },
            views::Select {
                name: "owner",
                label: tr.t("col-owner"),
                options: roles,
            },
            views::Select {
                name: "status",
                label: tr.t("col-status"),
                options: statuses,
            },
        ],
    }
}

// ---- Case page ----

fn parse_case_id(text: &str) -> Result<CaseId, WebError> {
    // An id that is not a UUID can't name a case: answer as for an unknown case.
    text.parse().map_err(|_| WebError::NotFound)
}

async fn case_view(
    staff: Staff,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = parse_case_id(&id)?;
    render_case(&state, &staff, id, None, StatusCode::OK).await
}

/// The audit action of a read of identity data.
pub const IDENTITY_READ: &str = "identity.read";

/// Shows the applicant's real identity for this one answer, once a reason is given; the read is audited.
async fn reveal_identity(
    staff: Staff,
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawForm(form): RawForm,
) -> Result<Response, WebError> {
    let fields = form_fields(&form);
    staff.check_csrf(fields.get("csrf").map(String::as_str))?;
    let id = parse_case_id(&id)?;
    let reason = fields
        .get("reason")
        .map(|reason| reason.trim())
        .unwrap_or_default();
    if reason.chars().count() < 3 || reason.chars().count() > 500 {
        return Err(WebError::BadRequest("reason".into()));
    }
    render_case_revealing(&state, &staff, id, None, StatusCode::OK, Some(reason)).await
}

/// Which field group an event's detail belongs to, so history shows details only to those who may see them.
fn event_group(kind: &EventKind, phase: Phase) -> Option<FieldGroup> {
    match kind {
        EventKind::PolygraphRecorded { .. } => Some(FieldGroup::Polygraph),
        EventKind::FlagOpened { .. } | EventKind::FlagResolved { .. } => {
            Some(FieldGroup::Screening)
        }
        EventKind::Closed { .. } | EventKind::Reopened { .. } | EventKind::Approved { .. } => {
            Some(FieldGroup::Decision)
        }
        EventKind::ActionNeeded { .. } => Some(FieldGroup::Documents),
        EventKind::StageAdvanced { .. } | EventKind::CheckTicked { .. } => Some(match phase {
            Phase::Intake => FieldGroup::Documents,
            Phase::Vetting => FieldGroup::Screening,
            Phase::Meeting => FieldGroup::Logistics,
            Phase::Interview => FieldGroup::Psychology,
            Phase::FirstPolygraph | Phase::SecondPolygraph => FieldGroup::Polygraph,
            Phase::Decision => FieldGroup::Decision,
            Phase::Training | Phase::Assigned => FieldGroup::Training,
        }),
        EventKind::FindingsRecorded { group, .. } => Some(*group),
        EventKind::VisitCancelled { .. } => Some(FieldGroup::Logistics),
        EventKind::Received { .. } | EventKind::UnitAssigned { .. } | EventKind::ActionCleared => {
            None
        }
    }
}

/// The groups that carry an applicant's real identity: shown only after an explicit, reasoned, audited reveal.
const IDENTITY_GROUPS: [FieldGroup; 2] = [FieldGroup::Identity, FieldGroup::Contacts];

async fn render_case(
    state: &AppState,
    staff: &Staff,
    id: CaseId,
    notice: Option<String>,
    status: StatusCode,
) -> Result<Response, WebError> {
    render_case_revealing(state, staff, id, notice, status, None).await
}

/// Renders the case page; with a reveal reason, the identity groups the policy grants are shown, and that read is
/// chained into the audit log first (no entry, no identity).
async fn render_case_revealing(
    state: &AppState,
    staff: &Staff,
    id: CaseId,
    notice: Option<String>,
    status: StatusCode,
    reveal_reason: Option<&str>,
) -> Result<Response, WebError> {
    let summary = state.store.case_summary(id).await?;
    let events = state.store.case_events(id).await?;
    let case = CaseState::fold(id, &events);
    let stage = state
        .pipeline
        .stage(&case.stage)
        .ok_or_else(|| WebError::Internal("stage not in pipeline".into()))?;
    let assignment = if summary.owner_role == staff.role {
        Assignment::Assigned
    } else {
        Assignment::NotAssigned
    };
    let may_see = |group: FieldGroup, phase: Phase| {
        permit(staff.id, staff.role, id, group, phase, assignment)
    };
    let path = format!("/cases/{id}");
    let chrome = chrome(staff, &path, "/cases");
    let tr = chrome.tr.clone();

    // Content is read only if the policy grants at least one group, and then only the granted groups are shown.
    let permits: Vec<_> = FieldGroup::ALL
        .iter()
        .filter_map(|group| may_see(*group, stage.phase))
        .collect();
    let content = if permits.is_empty() {
        sito_core::CaseContent::default()
    } else {
        sito_core::CaseContent::new(id, state.store.case_content(id).await?)
    };
    let revealed: Vec<FieldGroup> = match reveal_reason {
        Some(_) => permits
            .iter()
            .map(|permit| permit.group())
            .filter(|group| IDENTITY_GROUPS.contains(group))
            .collect(),
        None => Vec::new(),
    };
    if let Some(reason) = reveal_reason {
        if revealed.is_empty() {
            return Err(WebError::Forbidden);
        }
        let groups: Vec<&str> = revealed.iter().map(|group| group.as_str()).collect();
        state
            .store
            .record_audit(&[sito_store::audit::AuditInput {
                at_ms: crate::now_ms(),
                actor: staff.id.to_string(),
                action: IDENTITY_READ.to_owned(),
                subject: id.to_string(),
                detail: format!("groups={}; reason={reason}", groups.join(",")),
            }])
            .await?;
        let assigned = matches!(assignment, Assignment::Assigned);
        crate::alerts::after_identity_read(state, staff, &id.to_string(), assigned).await;
    }
    let groups = permits
        .iter()
        .map(|permit| GroupView {
            id: permit.group().as_str(),
            label: tr.label("group", permit.group().as_str()),
            sealed: IDENTITY_GROUPS.contains(&permit.group())
                && !revealed.contains(&permit.group()),
            fields: content
                .group(permit)
                .filter(|_| {
                    !IDENTITY_GROUPS.contains(&permit.group()) || revealed.contains(&permit.group())
                })
                .map(|group| {
                    group
                        .fields
                        .iter()
                        .map(|field| {
                            (
                                tr.label("field", &field.key),
                                field_text(&field.key, field.value.expose()),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect();
    let hidden: Vec<String> = FieldGroup::ALL
        .iter()
        .filter(|group| may_see(**group, stage.phase).is_none())
        .map(|group| tr.label("group", group.as_str()))
        .collect();
    let hidden_groups = if hidden.is_empty() {
        String::new()
    } else {
        tr.t1("case-hidden", "groups", hidden.join(", "))
    };

    let staff_names: BTreeMap<_, _> = state
        .store
        .list_staff()
        .await?
        .into_iter()
        .map(|member| (member.id, member.call_sign))
        .collect();
    let mut phase_at_event = Phase::Intake;
    let history = events
        .iter()
        .map(|event| {
            let phase_before = phase_at_event;
            if let EventKind::StageAdvanced { to, .. } | EventKind::Received { stage: to, .. } =
                &event.kind
            {
                phase_at_event = state
                    .pipeline
                    .stage(to)
                    .map(|stage| stage.phase)
                    .unwrap_or(phase_at_event);
            }
            let detail = match event_group(&event.kind, phase_before)
                .map(|group| may_see(group, stage.phase))
            {
                Some(None) => String::new(),
                _ => event_detail(&tr, &event.kind, &staff_names),
            };
            // A case received with an actor was entered by staff (assisted intake); the actor column names them.
            let detail = match &event.kind {
                EventKind::Received { .. } if event.actor.is_some() => {
                    tr.t("history-assisted-intake")
                }
                _ => detail,
            };
            HistoryItem {
                at: views::date_time(event.at),
                label: tr.label("event", event.kind.name()),
                actor: event
                    .actor
                    .and_then(|actor| staff_names.get(&actor).cloned())
                    .unwrap_or_default(),
                detail,
            }
        })
        .rev()
        .collect();

    let active = case.status == Status::Active;
    let owner = active && stage.owner == staff.role;
    let polygraph_phase = matches!(stage.phase, Phase::FirstPolygraph | Phase::SecondPolygraph);
    let checklist = stage
        .checklist
        .iter()
        .map(|check| CheckItem {
            id: check.clone(),
            label: tr.label("check", check),
            done: case.checks_done.contains(check),
            can_tick: owner && !polygraph_phase && !case.checks_done.contains(check),
        })
        .collect();
    let round = if stage.phase == Phase::SecondPolygraph {
        1
    } else {
        0
    };
    let actions = Actions {
        can_advance: owner
            && !stage.guards.contains(&Guard::UnitCapacity)
            && state
                .pipeline
                .next_stage(case.category, &stage.id)
                .is_some(),
        can_approve: owner
            && stage.guards.contains(&Guard::TwoApprovals)
            && !case.approvals.contains(&staff.id),
        show_approvals: stage.guards.contains(&Guard::TwoApprovals),
        can_polygraph: owner && polygraph_phase && case.examiners[round].is_none(),
        can_assign: owner && stage.guards.contains(&Guard::UnitCapacity),
        can_reopen: match case.status {
            Status::Rejected | Status::Withdrawn => staff.role == Role::IntakeCoordinator,
            Status::Held | Status::Referred => staff.role == Role::SecurityOfficer,
            Status::Active | Status::Completed => false,
        },
        can_return: active && staff.role == Role::IntakeCoordinator && !case.action_needed,
        can_clear: active && staff.role == Role::IntakeCoordinator && case.action_needed,
    };
    let mut closures = Vec::new();
    if active && (owner || staff.role == Role::SecurityOfficer) {
        closures.push(("reject", tr.t("case-reject")));
    }
    if active && staff.role == Role::IntakeCoordinator {
        closures.push(("withdraw", tr.t("case-withdraw")));
    }
    if active && staff.role == Role::SecurityOfficer {
        closures.push(("hold", tr.t("case-hold")));
        closures.push(("refer", tr.t("case-refer")));
    }
    let units = if actions.can_assign {
        state
            .store
            .list_units()
            .await?
            .into_iter()
            .map(|(unit, strength)| {
                (
                    unit.id.to_string(),
                    format!("{} ({strength}/{})", unit.name, unit.target_strength),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let flags = if staff.role == Role::SecurityOfficer {
        case.open_flags.iter().cloned().collect()
    } else {
        Vec::new()
    };
    // The flag history says whether link analysis ever flagged the case, so the page needs no link store.
    let cluster_href = (route_allowed(StaffRoute::Clusters, staff.role)
        && events.iter().any(|event| {
            matches!(&event.kind, EventKind::FlagOpened { flag, .. }
                if flag.starts_with(crate::screening::LINK_FLAG_PREFIX))
        }))
    .then(|| crate::clusters::cluster_href(id));
    let now = now();
    let age_days = case.stage_age_days(now);
    let page = views::CasePage {
        case_id: id.to_string(),
        title: tr.t1("case-title", "call_sign", case.call_sign.as_str()),
        notice,
        status: tr.label("status", case.status.as_str()),
        status_class: views::status_class(case.status),
        category: tr.label("category", case.category.as_str()),
        stage: tr.label("stage", &case.stage),
        owner: tr.label("role", stage.owner.as_str()),
        received: views::date(case.received_at),
        age_days,
        target_days: stage.target_days,
        overdue: active && stage.target_days > 0 && age_days > i64::from(stage.target_days),
        action_needed: case.action_needed,
        version: case.version,
        checklist,
        groups,
        hidden_groups,
        history,
        files: crate::staff_intake::files::links(
            &tr,
            id,
            permits
                .iter()
                .find(|permit| permit.group() == FieldGroup::Documents)
                .and_then(|permit| content.group(permit)),
        ),
        messages_href: may_see(FieldGroup::Contacts, stage.phase)
            .map(|_| format!("/cases/{id}/messages")),
        approvals_label: tr.t1("case-approvals", "count", case.approvals.len()),
        actions,
        outcomes: PolygraphOutcome::ALL
            .iter()
            .map(|o| (o.as_str(), tr.label("outcome", o.as_str())))
            .collect(),
        units,
        flags,
        cluster_href,
        closures,
        chrome,
    };
    let mut response = render(page)?;
    *response.status_mut() = status;
    Ok(response)
}

fn event_detail(
    tr: &Tr,
    kind: &EventKind,
    staff_names: &BTreeMap<sito_core::StaffId, String>,
) -> String {
    match kind {
        EventKind::Received { .. } | EventKind::ActionCleared => String::new(),
        EventKind::CheckTicked { check } | EventKind::FindingsRecorded { check, .. } => {
            tr.label("check", check)
        }
        EventKind::VisitCancelled { reason, .. } => reason.clone(),
        EventKind::PolygraphRecorded { round, outcome, .. } => {
            format!("{round}: {}", tr.label("outcome", outcome.as_str()))
        }
        EventKind::Approved { by } => staff_names.get(by).cloned().unwrap_or_default(),
        EventKind::StageAdvanced { from, to, note } => {
            let moved = format!("{} → {}", tr.label("stage", from), tr.label("stage", to));
            if note.is_empty() {
                moved
            } else {
                format!("{moved}: {note}")
            }
        }
        EventKind::UnitAssigned { .. } => String::new(),
        EventKind::Closed { closure, reason } => {
            let status = match closure {
                Closure::Rejected => "rejected",
                Closure::Withdrawn => "withdrawn",
                Closure::Held => "held",
                Closure::Referred => "referred",
            };
            format!("{}: {reason}", tr.label("status", status))
        }
        EventKind::Reopened { reason } | EventKind::ActionNeeded { message: reason } => {
            reason.clone()
        }
        EventKind::FlagOpened { flag, summary } => format!("{flag}: {summary}"),
        EventKind::FlagResolved {
            flag,
            confirmed,
            reason,
        } => {
            let verdict = if *confirmed {
                tr.t("case-confirm")
            } else {
                tr.t("case-dismiss")
            };
            format!("{flag}: {verdict} — {reason}")
        }
    }
}

/// Reads a form's command. Everything a client can send maps to a command or a `BadRequest` naming the field.
async fn command_from_form(
    state: &AppState,
    fields: &HashMap<String, String>,
) -> Result<(Command, Option<(UnitId, u32)>), WebError> {
    let text = |name: &str| {
        fields
            .get(name)
            .map(|value| value.trim().to_owned())
            .unwrap_or_default()
    };
    let limited = |name: &'static str| {
        let value = text(name);
        if value.chars().count() > 2000 {
            Err(WebError::BadRequest(name.into()))
        } else {
            Ok(value)
        }
    };
    let action = text("action");
    // Findings arrive as `finding.KEY` fields; the machine validates them against the pipeline's declaration.
    let findings: sito_core::findings::Findings = fields
        .iter()
        .filter_map(|(name, value)| {
            Some((name.strip_prefix("finding.")?.to_owned(), value.clone()))
        })
        .collect();
    let command = match action.as_str() {
        "tick" => Command::RecordCheck {
            check: text("check"),
            findings,
        },
        "advance" => Command::Advance {
            note: limited("note")?,
        },
        "approve" => Command::ApproveWithReasons { findings },
        "polygraph" => Command::RecordExamination {
            outcome: PolygraphOutcome::parse(&text("outcome"))
                .ok_or_else(|| WebError::BadRequest("outcome".into()))?,
            findings,
        },
        "assign" => {
            let unit: UnitId = text("unit")
                .parse()
                .map_err(|_| WebError::BadRequest("unit".into()))?;
            let (record, strength) = match state.store.unit(unit).await {
                Ok(found) => found,
                Err(StoreError::NotFound) => return Err(WebError::BadRequest("unit".into())),
                Err(other) => return Err(other.into()),
            };
            let command = Command::AssignUnit {
                unit,
                assigned: strength,
                target: record.target_strength,
            };
            return Ok((command, Some((unit, record.target_strength))));
        }
        "reject" | "withdraw" | "hold" | "refer" => {
            let closure = match action.as_str() {
                "reject" => Closure::Rejected,
                "withdraw" => Closure::Withdrawn,
                "hold" => Closure::Held,
                _ => Closure::Referred,
            };
            Command::Close {
                closure,
                reason: limited("reason")?,
            }
        }
        "reopen" => Command::Reopen {
            reason: limited("reason")?,
        },
        "return" => Command::ReturnToApplicant {
            message: limited("reason")?,
        },
        "clear" => Command::ClearActionNeeded,
        "resolve" => Command::ResolveFlag {
            flag: text("flag"),
            confirmed: match text("confirmed").as_str() {
                "true" => true,
                "false" => false,
                _ => return Err(WebError::BadRequest("confirmed".into())),
            },
            reason: limited("reason")?,
        },
        _ => return Err(WebError::BadRequest("action".into())),
    };
    Ok((command, None))
}

fn parse_version(text: Option<&String>) -> Result<u64, WebError> {
    text.and_then(|text| text.trim().parse().ok())
        .ok_or_else(|| WebError::BadRequest("version".into()))
}

async fn case_action(
    staff: Staff,
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawForm(form): RawForm,
) -> Result<Response, WebError> {
    let fields = form_fields(&form);
    staff.check_csrf(fields.get("csrf").map(String::as_str))?;
    let id = parse_case_id(&id)?;
    let version = parse_version(fields.get("version"))?;
    let (command, unit_limit) = command_from_form(&state, &fields).await?;
    let tr = crate::i18n::tr(staff.lang);
    let case = CaseState::fold(id, &state.store.case_events(id).await?);
    if case.version != version {
        return render_case(
            &state,
            &staff,
            id,
            Some(tr.t("case-conflict")),
            StatusCode::CONFLICT,
        )
        .await;
    }
    let actor = Actor {
        id: staff.id,
        role: staff.role,
    };
    let kinds = match case.decide(&state.pipeline, actor, &command) {
        Ok(kinds) => kinds,
        Err(refusal) => {
            let notice = tr.t1("case-refused", "reason", refusal.to_string());
            return render_case(
                &state,
                &staff,
                id,
                Some(notice),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let (events, next) = apply(&case, kinds, actor, now());
    let owner_role = state
        .pipeline
        .stage(&next.stage)
        .map(|stage| stage.owner)
        .unwrap_or(staff.role);
    let append = Append {
        case: id,
        expected_version: version,
        events: &events,
        state: &next,
        owner_role,
        unit_limit,
    };
    match state.store.append(&[append]).await {
        Ok(()) => Ok(Redirect::to(&format!("/cases/{id}")).into_response()),
        Err(StoreError::Conflict) => {
            render_case(
                &state,
                &staff,
                id,
                Some(tr.t("case-conflict")),
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(StoreError::UnitFull) => {
            let notice = tr.t1(
                "case-refused",
                "reason",
                sito_core::Refusal::UnitFull(unit_limit.map(|(_, t)| t).unwrap_or(0)).to_string(),
            );
            render_case(
                &state,
                &staff,
                id,
                Some(notice),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

fn apply(
    case: &CaseState,
    kinds: Vec<EventKind>,
    actor: Actor,
    at: i64,
) -> (Vec<sito_core::Event>, CaseState) {
    let events = case.stamp(kinds, Some(actor.id), at);
    let mut next = case.clone();
    for event in &events {
        next.apply(event);
    }
    (events, next)
}

// ---- Bulk actions: all or nothing ----

async fn bulk(
    staff: Staff,
    State(state): State<AppState>,
    RawForm(form): RawForm,
) -> Result<Response, WebError> {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(&form).into_owned().collect();
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.trim().to_owned())
    };
    staff.check_csrf(field("csrf").as_deref())?;
    let reason = field("reason").unwrap_or_default();
    if reason.chars().count() > 2000 {
        return Err(WebError::BadRequest("reason".into()));
    }
    let command = match field("action").as_deref() {
        Some("advance") => Command::Advance { note: reason },
        Some("reject") => Command::Close {
            closure: Closure::Rejected,
            reason,
        },
        Some("message") => Command::ReturnToApplicant { message: reason },
        _ => return Err(WebError::BadRequest("action".into())),
    };
    let tr = crate::i18n::tr(staff.lang);
    let mut selected = Vec::new();
    for (_, value) in pairs.iter().filter(|(key, _)| key == "case") {
        let (id, version) = value
            .split_once(':')
            .ok_or_else(|| WebError::BadRequest("case".into()))?;
        let id: CaseId = id
            .parse()
            .map_err(|_| WebError::BadRequest("case".into()))?;
        let version: u64 = version
            .parse()
            .map_err(|_| WebError::BadRequest("case".into()))?;
        selected.push((id, version));
    }
    if selected.is_empty() || selected.len() > 500 {
        return Err(WebError::BadRequest(tr.t("bulk-none")));
    }
    let actor = Actor {
        id: staff.id,
        role: staff.role,
    };
    let now = now();
    let mut decided = Vec::with_capacity(selected.len());
    let mut refusals = Vec::new();
    for (id, version) in &selected {
        let case = CaseState::fold(*id, &state.store.case_events(*id).await?);
        if case.version != *version {
            refusals.push(format!("{}: {}", case.call_sign, tr.t("case-conflict")));
            continue;
        }
        match case.decide(&state.pipeline, actor, &command) {
            Ok(kinds) => {
                let (events, next) = apply(&case, kinds, actor, now);
                let owner = state
                    .pipeline
                    .stage(&next.stage)
                    .map(|stage| stage.owner)
                    .unwrap_or(staff.role);
                decided.push((*id, *version, events, next, owner));
            }
            Err(refusal) => refusals.push(format!("{}: {refusal}", case.call_sign)),
        }
    }
    if !refusals.is_empty() {
        // Nothing is applied unless everything can be.
        return Err(WebError::BadRequest(refusals.join("; ")));
    }
    let batch: Vec<Append<'_>> = decided
        .iter()
        .map(|(id, version, events, next, owner)| Append {
            case: *id,
            expected_version: *version,
            events,
            state: next,
            owner_role: *owner,
            unit_limit: None,
        })
        .collect();
    match state.store.append(&batch).await {
        Ok(()) => {
            crate::alerts::after_bulk(&state, &staff, batch.len()).await;
            Ok(Redirect::to(&format!("/cases?done={}", batch.len())).into_response())
        }
        Err(StoreError::Conflict) => Err(WebError::BadRequest(tr.t("case-conflict"))),
        Err(other) => Err(other.into()),
    }
}

// ---- Units ----

async fn units(staff: Staff, State(state): State<AppState>) -> Result<Response, WebError> {
    let chrome = chrome(&staff, "/units", "/units");
    let units = state
        .store
        .list_units()
        .await?
        .into_iter()
        .map(|(unit, strength)| views::UnitRow {
            name: unit.name,
            strength,
            target: unit.target_strength,
            high: unit.target_strength.saturating_mul(9) / 10,
            free: unit.target_strength.saturating_sub(strength),
        })
        .collect();
    render(views::UnitsPage { chrome, units })
}

/// What the case page shows of a field. A stored file shows as its type and size, never as its bytes.
fn field_text(key: &str, value: &str) -> String {
    match key.strip_prefix(crate::pull::DOCUMENT_FIELD_PREFIX) {
        Some(_) => {
            let mut parts = value.splitn(3, ';');
            let media_type = parts.next().unwrap_or_default();
            let state = parts.next().unwrap_or_default();
            let kib = parts
                .next()
                .map(|encoded| encoded.len() * 3 / 4 / 1024 + 1)
                .unwrap_or(0);
            format!("{media_type}, {kib} KiB, {state}")
        }
        None => value.to_owned(),
    }
}
