//! Second-factor enrolment: reached only with a half-open session (password verified, no TOTP yet). The page shows
//! a fresh secret as a QR code; the first valid code confirms it, ends the half-open session, opens a full one
//! under a new id and shows the recovery codes once.
use askama::Template;
use axum::extract::{RawForm, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use sito_store::{SessionRecord, StaffRecord, StoreError};
use subtle::ConstantTimeEq;

use crate::auth::{self, SESSION_COOKIE};
use crate::error::WebError;
use crate::i18n::Lang;
use crate::views::Chrome;
use crate::{AppState, now, totp};

#[derive(Template)]
#[template(path = "enrol.html")]
struct EnrolPage {
    chrome: Chrome,
    failure: Option<String>,
    qr_svg: String,
    secret: String,
}

#[derive(Template)]
#[template(path = "enrolled.html")]
struct EnrolledPage {
    chrome: Chrome,
    codes: Vec<String>,
}

/// The half-open session of a request and its account, or a redirect to sign-in.
async fn enrolling(
    headers: &HeaderMap,
    state: &AppState,
) -> Result<(SessionRecord, StaffRecord), WebError> {
    let session_id = auth::cookie(headers, SESSION_COOKIE).ok_or(WebError::LoginRequired)?;
    let id_hash = auth::hash_session_id(session_id);
    let session = match state.store.enrolment_session(&id_hash).await {
        Ok(session) => session,
        Err(StoreError::NotFound) => return Err(WebError::LoginRequired),
        Err(other) => return Err(other.into()),
    };
    let now = now();
    let staff = state.store.staff_by_id(session.staff_id).await?;
    if auth::session_expired(&session, now, &state.config)
        || staff.disabled
        || staff.totp_secret.is_some()
    {
        state.store.delete_session(&id_hash).await?;
        return Err(WebError::LoginRequired);
    }
    state.store.touch_session(&id_hash, now).await?;
    Ok((session, staff))
}

fn page(
    lang: Lang,
    csrf: &str,
    staff: &StaffRecord,
    secret: &str,
    failure: Option<String>,
) -> Result<Response, WebError> {
    let mut chrome = Chrome::new(lang, "/enrol");
    chrome.csrf = csrf.to_owned();
    let body = EnrolPage {
        chrome,
        failure,
        qr_svg: totp::qr_svg(&totp::provisioning_uri(&staff.call_sign, secret))?,
        secret: secret.to_owned(),
    }
    .render()?;
    Ok(Html(body).into_response())
}

pub async fn enrol_form(
    headers: HeaderMap,
    State(state): State<AppState>,
) -> Result<Response, WebError> {
    let lang = auth::request_lang(&headers);
    let (session, staff) = enrolling(&headers, &state).await?;
    let secret = match &staff.totp_pending {
        Some(secret) => secret.clone(),
        None => {
            let secret = totp::new_secret()?;
            state.store.set_totp_pending(staff.id, &secret).await?;
            secret
        }
    };
    page(lang, &session.csrf_token, &staff, &secret, None)
}

pub async fn enrol_submit(
    headers: HeaderMap,
    State(state): State<AppState>,
    RawForm(form): RawForm,
) -> Result<Response, WebError> {
    let lang = auth::request_lang(&headers);
    let (session, staff) = enrolling(&headers, &state).await?;
    let fields: std::collections::HashMap<String, String> =
        form_urlencoded::parse(&form).into_owned().collect();
    let submitted = fields.get("csrf").map(String::as_str).unwrap_or_default();
    if submitted.is_empty()
        || !bool::from(submitted.as_bytes().ct_eq(session.csrf_token.as_bytes()))
    {
        return Err(WebError::Forbidden);
    }
    let Some(secret) = staff.totp_pending.clone() else {
        return Err(WebError::BadRequest("code".into()));
    };
    let now = now();
    let code = fields.get("code").map(String::as_str).unwrap_or_default();
    let Some(step) = totp::matching_step(&secret, code, now) else {
        let failure = crate::i18n::tr(lang).t("enrol-wrong-code");
        let mut response = page(lang, &session.csrf_token, &staff, &secret, Some(failure))?;
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(response);
    };
    let codes = totp::new_recovery_codes()?;
    let hashes: Vec<String> = codes
        .iter()
        .map(|code| totp::recovery_code_hash(code))
        .collect();
    state
        .store
        .enrol_totp(staff.id, &secret, step, &hashes)
        .await?;
    // The half-open session ends; the full one gets a new id.
    state.store.delete_session(&session.id_hash).await?;
    let session_id = auth::random_token()?;
    let csrf = auth::random_token()?;
    state
        .store
        .create_session(&SessionRecord {
            id_hash: auth::hash_session_id(&session_id),
            staff_id: staff.id,
            csrf_token: csrf.clone(),
            created_at: now,
            last_seen: now,
        })
        .await?;
    let mut chrome = Chrome::new(lang, "/");
    chrome.csrf = csrf;
    let body = EnrolledPage { chrome, codes }.render()?;
    Ok((
        [(
            header::SET_COOKIE,
            auth::session_cookie(&session_id, &state.config),
        )],
        Html(body),
    )
        .into_response())
}
