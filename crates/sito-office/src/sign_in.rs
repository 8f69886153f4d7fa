//! Signing in and out, and the language switch.
use std::collections::HashMap;

use axum::extract::{Query, RawForm, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use sito_store::{SessionRecord, StoreError};

use crate::access::{StaffRoute, route_allowed};
use crate::auth::{self, LANG_COOKIE, SESSION_COOKIE, Staff};
use crate::error::WebError;
use crate::frame::{form_fields, render};
use crate::views::{self, Chrome};
use crate::{AppState, now, totp};

pub(crate) async fn home(staff: Staff) -> Redirect {
    if route_allowed(StaffRoute::Queue, staff.role) {
        Redirect::to("/queue")
    } else if route_allowed(StaffRoute::Alerts, staff.role) {
        Redirect::to("/audit/alerts")
    } else {
        Redirect::to("/units")
    }
}

// ---- Sign-in ----

pub(crate) async fn login_form(
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

pub(crate) fn login_page(
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

/// Sign-in: call sign, password and the second factor (a TOTP code or a recovery code) in one form, so a wrong
/// answer never says which of them was wrong. Every failure slows the call sign's next attempt (`throttle`).
pub(crate) async fn login_submit(
    headers: HeaderMap,
    State(state): State<AppState>,
    peer: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
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
    // Checked before anything else, so a forged post costs no password hashing and slows down nobody.
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
    let address = crate::throttle::client_address(
        peer.map(|axum::Extension(axum::extract::ConnectInfo(peer))| peer),
        &headers,
        &state.config,
    );
    let now_ms = crate::now_ms();
    // An address that used up its failures is refused before any hashing; this locks out that address only.
    if let Some(address) = address
        && state
            .sign_ins
            .address_blocked(address, now_ms, &state.config)
    {
        let minutes = (state.config.address_window_ms as u64).div_ceil(60_000);
        return login_page(
            &state,
            lang,
            Some(tr.t1("login-throttled", "minutes", minutes)),
            call_sign,
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    // Failures in a row on this call sign slow its next attempt, known account or not (so the wait tells nothing
    // about which call signs exist), and never by more than a few seconds.
    let failures = state.sign_ins.account_failures(&call_sign, now_ms);
    tokio::time::sleep(crate::throttle::sign_in_delay(failures, &state.config)).await;
    let staff = match state.store.staff_by_call_sign(&call_sign).await {
        Ok(staff) if !staff.disabled => Some(staff),
        Ok(_) | Err(StoreError::NotFound) => None,
        Err(other) => return Err(other.into()),
    };
    let now = now();
    // The password is verified even for an unknown account, so timing tells nothing.
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
        state
            .sign_ins
            .record_failure(&call_sign, address, now_ms, &state.config);
        return failed(tr.t("login-refused"), call_sign);
    };
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
        state
            .sign_ins
            .record_failure(&call_sign, address, now_ms, &state.config);
        // No lock: the count is for the audit entry and the administrators' alert.
        let failures = state.store.record_login_failure(staff.id, None).await?;
        tracing::info!(failures, "failed staff sign-in");
        crate::alerts::after_sign_in_failure(&state, &staff, failures).await;
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
    state.sign_ins.record_success(&call_sign);
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

pub(crate) async fn logout(
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

pub(crate) async fn switch_language(Query(query): Query<HashMap<String, String>>) -> Response {
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
