//! The office every sito-office integration test drives: a temporary SQLite store, one staff account per role (a
//! known password and a stable TOTP secret each), sessions opened directly in the store, and requests sent through
//! the real office router. Each test file says `mod support;`; the extra layers some pages need (planning, links)
//! are added with `Office::with_planning` / `Office::with_links`.
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderName, Request, header};
use sito_core::{Role, StaffId};
use sito_office::auth::{PasswordHashing, hash_session_id};
use sito_office::planning::Planning;
use sito_office::{AppState, OfficeConfig, now};
use sito_store::links::LinkStore;
use sito_store::{NewStaff, SessionRecord, Store};
use tower::ServiceExt;
use uuid::Uuid;

/// Responses larger than this fail the test rather than being cut short.
const BODY_LIMIT: usize = 1 << 22;

/// A store in a fresh temporary directory, encrypted under a fresh office keyring as the office runs (findings are
/// stored only encrypted); `url` lets a test open further stores (planning, screening, links) on the same
/// database, as the office does.
pub struct TempStore {
    pub store: Arc<dyn Store>,
    pub url: String,
    pub dir: tempfile::TempDir,
}

pub async fn temp_store() -> TempStore {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/office.db", dir.path().display());
    let keyring = Arc::new(sito_keyring::OfficeKeyring::generate(0));
    let store: Arc<dyn Store> = Arc::from(sito_store::open_encrypted(&url, keyring).await.unwrap());
    TempStore { store, url, dir }
}

pub struct Office {
    pub state: AppState,
    /// The database's address, for stores a test opens beside the case store.
    pub url: String,
    pub planning: Option<Planning>,
    pub links: Option<Arc<dyn LinkStore>>,
    _dir: tempfile::TempDir,
}

impl Office {
    /// An office with the default configuration, every role staffed and no cases yet.
    pub async fn new() -> Office {
        Office::with_config(OfficeConfig::default()).await
    }

    pub async fn with_config(config: OfficeConfig) -> Office {
        let TempStore { store, url, dir } = temp_store().await;
        // The cheapest parameters argon2 accepts: sign-in tests hash for real without slowing the suite.
        let passwords = Arc::new(PasswordHashing::new(
            argon2::Params::new(8, 1, 1, None).unwrap(),
        ));
        for role in Role::ALL {
            store
                .create_staff(&NewStaff {
                    id: staff_id(*role),
                    call_sign: role.as_str().to_owned(),
                    role: *role,
                    password_hash: passwords.hash(password_of(*role)).await.unwrap(),
                    created_at: now(),
                })
                .await
                .unwrap();
            store
                .enrol_totp(staff_id(*role), &totp_secret_of(*role), 0, &[])
                .await
                .unwrap();
        }
        let pipeline = sito_core::Pipeline::default_legion().unwrap();
        Office {
            state: AppState {
                store,
                pipeline: Arc::new(pipeline),
                passwords,
                config: Arc::new(config),
                sign_ins: Arc::default(),
            },
            url,
            planning: None,
            links: None,
            _dir: dir,
        }
    }

    /// Serves the planning pages too.
    pub fn with_planning(mut self, planning: Planning) -> Office {
        self.planning = Some(planning);
        self
    }

    /// Serves the link-analysis (cluster) pages too.
    pub fn with_links(mut self, links: Arc<dyn LinkStore>) -> Office {
        self.links = Some(links);
        self
    }

    /// The router `sito serve` would build for this office.
    pub fn router(&self) -> Router {
        let router =
            sito_office::routes::office_router_with_links(self.state.clone(), self.links.clone());
        match &self.planning {
            Some(planning) => sito_office::planning::attach(router, Some(planning.clone())),
            None => router,
        }
    }
}

/// The account of a role: one per role, with a stable id so tests can name it in events.
pub fn staff_id(role: Role) -> StaffId {
    let index = Role::ALL.iter().position(|r| *r == role).unwrap() as u128;
    StaffId::from_uuid(Uuid::from_u128(0x1000 + index))
}

pub fn password_of(role: Role) -> String {
    format!("password of {}", role.as_str())
}

/// A stable base32 secret per role (tests only).
pub fn totp_secret_of(role: Role) -> String {
    let index = Role::ALL.iter().position(|r| *r == role).unwrap() as u8;
    let bytes: Vec<u8> = (0..20).map(|n| n ^ index.wrapping_mul(37)).collect();
    totp_rs::Secret::from(bytes).to_base32()
}

/// Opens a full session for a role directly in the store (as a completed sign-in would) and returns its cookie
/// and CSRF token.
pub async fn session(office: &Office, role: Role) -> (String, String) {
    let id = sito_office::auth::random_token().unwrap();
    let csrf = sito_office::auth::random_token().unwrap();
    office
        .state
        .store
        .create_session(&SessionRecord {
            id_hash: hash_session_id(&id),
            staff_id: staff_id(role),
            csrf_token: csrf.clone(),
            created_at: now(),
            last_seen: now(),
        })
        .await
        .unwrap();
    (format!("sito_session={id}"), csrf)
}

pub struct Answer {
    pub status: u16,
    pub location: Option<String>,
    pub set_cookie: Option<String>,
    pub content_type: Option<String>,
    pub disposition: Option<String>,
    pub bytes: Vec<u8>,
    /// The bytes as text (lossy: file downloads are not UTF-8).
    pub body: String,
}

impl Answer {
    /// The session cookie this answer sets, as `name=value`, if it sets a non-empty one.
    pub fn session_cookie(&self) -> Option<String> {
        self.set_cookie
            .as_deref()
            .and_then(|value| value.split(';').next())
            .filter(|pair| pair.starts_with("sito_session=") && *pair != "sito_session=")
            .map(str::to_owned)
    }

    pub fn sends_to_login(&self) -> bool {
        self.status == 303
            && self.location.as_deref() == Some("/login")
            && self.set_cookie.is_none()
    }
}

/// Sends a request with an optional cookie; a POST carries `form` URL-encoded.
pub async fn send(
    office: &Office,
    method: &str,
    path: &str,
    cookie: Option<&str>,
    form: &[(&str, &str)],
) -> Answer {
    send_with_headers(office, method, path, cookie, &[], form).await
}

/// As `send`, with extra request headers (e.g. `Accept-Language`).
pub async fn send_with_headers(
    office: &Office,
    method: &str,
    path: &str,
    cookie: Option<&str>,
    headers: &[(HeaderName, &str)],
    form: &[(&str, &str)],
) -> Answer {
    let body = (method == "POST").then(|| encode_form(form));
    let request = build_request(method, path, cookie, headers, body);
    dispatch(office, request).await
}

/// Sends `body` as a form exactly as given (for malformed or hand-built forms); without a body, none is sent.
pub async fn send_raw(
    office: &Office,
    method: &str,
    path: &str,
    cookie: Option<&str>,
    body: Option<&str>,
) -> Answer {
    let request = build_request(method, path, cookie, &[], body.map(str::to_owned));
    dispatch(office, request).await
}

/// Opens a fresh session for `role` and sends the request with its cookie; a POST carries its CSRF token first,
/// then `form`.
pub async fn send_as(
    office: &Office,
    role: Role,
    method: &str,
    path: &str,
    form: &[(&str, &str)],
) -> Answer {
    send_as_with_headers(office, role, method, path, &[], form).await
}

pub async fn send_as_with_headers(
    office: &Office,
    role: Role,
    method: &str,
    path: &str,
    headers: &[(HeaderName, &str)],
    form: &[(&str, &str)],
) -> Answer {
    let (cookie, csrf) = session(office, role).await;
    let mut fields = vec![("csrf", csrf.as_str())];
    fields.extend_from_slice(form);
    send_with_headers(office, method, path, Some(&cookie), headers, &fields).await
}

fn encode_form(form: &[(&str, &str)]) -> String {
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (key, value) in form {
        serializer.append_pair(key, value);
    }
    serializer.finish()
}

fn build_request(
    method: &str,
    path: &str,
    cookie: Option<&str>,
    headers: &[(HeaderName, &str)],
    form: Option<String>,
) -> Request<Body> {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    for (name, value) in headers {
        request = request.header(name, *value);
    }
    let body = match form {
        Some(form) => {
            request = request.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
            Body::from(form)
        }
        None => Body::empty(),
    };
    request.body(body).unwrap()
}

/// Drives the office router with one request and collects what a test looks at.
pub async fn dispatch(office: &Office, request: Request<Body>) -> Answer {
    let response = office.router().oneshot(request).await.unwrap();
    let text = |name| {
        response
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let location = text(header::LOCATION);
    let set_cookie = text(header::SET_COOKIE);
    let content_type = text(header::CONTENT_TYPE);
    let disposition = text(header::CONTENT_DISPOSITION);
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), BODY_LIMIT)
        .await
        .unwrap()
        .to_vec();
    let body = String::from_utf8_lossy(&bytes).into_owned();
    Answer {
        status,
        location,
        set_cookie,
        content_type,
        disposition,
        bytes,
        body,
    }
}

/// A former serviceman's case `n` received a day ago and moved straight to `stage` an hour ago by the coordinator,
/// with the stage's owner as its owner and no content: the fold is all the office reads.
pub async fn case_at(office: &Office, n: u128, call_sign: &str, stage: &str) -> sito_core::CaseId {
    use sito_core::machine::{CaseState, EventKind};
    let pipeline = &office.state.pipeline;
    let id = sito_core::CaseId::from_uuid(Uuid::from_u128(n));
    let first = CaseState::receive(
        pipeline,
        sito_core::Category::FormerServiceman,
        call_sign,
        now() - 86_400,
    )
    .unwrap();
    let mut state = CaseState::fold(id, std::slice::from_ref(&first));
    let moved = state.stamp(
        vec![EventKind::StageAdvanced {
            from: state.stage.clone(),
            to: stage.to_owned(),
            note: String::new(),
        }],
        Some(staff_id(Role::IntakeCoordinator)),
        now() - 3_600,
    );
    for event in &moved {
        state.apply(event);
    }
    let owner_role = pipeline.stage(stage).unwrap().owner;
    let mut events = vec![first];
    events.extend(moved);
    office
        .state
        .store
        .create_cases(&[sito_store::NewCase {
            state,
            events,
            owner_role,
            content: std::collections::BTreeMap::new(),
        }])
        .await
        .unwrap();
    id
}
