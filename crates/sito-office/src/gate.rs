//! The one middleware that enforces the route table's gate. `routes::office_router` wraps every table entry's
//! handler in `enforce` with that entry's `Gate`, so no handler runs before its gate has passed.
//!
//! Architecture invariant: the signed-in staff member of a request exists only as the `Staff` value this
//! middleware resolves and hands on in the request's extensions, and the `Staff` extractor takes it from there
//! and nowhere else. A handler mounted without the gate therefore cannot see a staff member at all: it answers
//! "sign in" to everyone. Handlers check only per-case rules (the policy, the case's stage) themselves.
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;

use crate::access::{Gate, route_allowed};
use crate::auth::{self, SESSION_COOKIE, Staff};
use crate::error::WebError;
use crate::{AppState, now};

/// What the middleware of one route holds: the office and the route's gate.
#[derive(Clone)]
pub(crate) struct GateState {
    pub(crate) state: AppState,
    pub(crate) gate: Gate,
}

/// Lets a request through to its handler only if it passes the route's gate; a staff member it resolved goes on
/// in the request's extensions for the `Staff` extractor.
pub(crate) async fn enforce(
    State(GateState { state, gate }): State<GateState>,
    mut request: Request,
    next: Next,
) -> Response {
    let lang = auth::request_lang(request.headers());
    match admit(&state, gate, request.headers()).await {
        Ok(Some(staff)) => {
            request.extensions_mut().insert(Passed(staff));
            in_language(next.run(request).await, lang)
        }
        Ok(None) => in_language(next.run(request).await, lang),
        Err(error) => error.into_response_in(lang),
    }
}

/// A handler's error page rendered again in the reader's language (the handler rendered it in the default).
fn in_language(response: Response, lang: sito_http::i18n::Lang) -> Response {
    match response.extensions().get::<crate::error::Untranslated>() {
        Some(crate::error::Untranslated(error)) => error.page_in(lang),
        None => response,
    }
}

/// The staff member behind a request that passed a gate needing one. Private to this module, so only `enforce`
/// can put it there.
#[derive(Clone)]
struct Passed(Staff);

/// The staff member the gate admitted, for the `Staff` extractor; none if the route's gate did not resolve one.
pub(crate) fn admitted(parts: &Parts) -> Option<Staff> {
    parts
        .extensions
        .get::<Passed>()
        .map(|Passed(staff)| staff.clone())
}

/// The staff member the route's gate admitted (`gate::enforce`). Nothing else makes one, so a handler behind no gate
/// (or behind the public one) sends everyone to sign in.
impl FromRequestParts<AppState> for Staff {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        admitted(parts).ok_or(WebError::LoginRequired)
    }
}

async fn admit(
    state: &AppState,
    gate: Gate,
    headers: &axum::http::HeaderMap,
) -> Result<Option<Staff>, WebError> {
    match gate {
        Gate::Public => Ok(None),
        // The enrolment handlers resolve the half-open session themselves (they need its record); the gate still
        // turns away a request without one before any handler code runs.
        Gate::Enrolment => {
            let session_id =
                auth::cookie(headers, SESSION_COOKIE).ok_or(WebError::LoginRequired)?;
            match state
                .store
                .enrolment_session(&auth::hash_session_id(session_id))
                .await
            {
                Ok(_) => Ok(None),
                Err(sito_store::StoreError::NotFound) => Err(WebError::LoginRequired),
                Err(other) => Err(other.into()),
            }
        }
        Gate::AnyStaff => signed_in(state, headers).await.map(Some),
        Gate::Staff(route) => {
            let staff = signed_in(state, headers).await?;
            if route_allowed(route, staff.role) {
                Ok(Some(staff))
            } else {
                Err(WebError::Forbidden)
            }
        }
    }
}

/// The fully signed-in staff member of a request: a live full session of an enabled account.
async fn signed_in(state: &AppState, headers: &axum::http::HeaderMap) -> Result<Staff, WebError> {
    let session_id = auth::cookie(headers, SESSION_COOKIE).ok_or(WebError::LoginRequired)?;
    let id_hash = auth::hash_session_id(session_id);
    let session = match state.store.session(&id_hash).await {
        Ok(session) => session,
        Err(sito_store::StoreError::NotFound) => return Err(WebError::LoginRequired),
        Err(other) => return Err(other.into()),
    };
    let now = now();
    if auth::session_expired(&session, now, &state.config) {
        state.store.delete_session(&id_hash).await?;
        return Err(WebError::LoginRequired);
    }
    let staff = state.store.staff_by_id(session.staff_id).await?;
    if staff.disabled {
        state.store.delete_session(&id_hash).await?;
        return Err(WebError::LoginRequired);
    }
    state.store.touch_session(&id_hash, now).await?;
    Ok(Staff {
        id: staff.id,
        call_sign: staff.call_sign,
        role: staff.role,
        csrf: session.csrf_token,
        lang: auth::request_lang(headers),
    })
}
