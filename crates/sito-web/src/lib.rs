//! sito-web: the staff site (and, later, the applicants' intake site) as axum routers over the store and the core.
//! Server-rendered HTML that needs no JavaScript; every string comes from the Fluent files.
//!
//! Architecture invariant: handlers reach case content only through `sito_core::policy::permit`; the case page
//! renders the groups it holds a permit for and nothing else.
#![forbid(unsafe_code)]

pub mod alerts;
mod audit_pages;
pub mod auth;
pub mod capacity;
pub mod clusters;
mod enrol;
pub mod error;
pub mod i18n;
pub mod intake;
pub mod planning;
pub mod routes;
pub mod screening;
mod server;
pub mod staff_intake;
pub mod totp;
mod views;

use std::sync::Arc;

use sito_core::Pipeline;
use sito_store::Store;

pub use server::serve;

/// Settings of the staff site.
#[derive(Clone, Debug)]
pub struct OfficeConfig {
    /// A session ends after this long without a request.
    pub session_idle_secs: i64,
    /// A session ends this long after sign-in whatever happens.
    pub session_absolute_secs: i64,
    /// Mark cookies `Secure` (set when served over TLS or an onion service's HTTPS front).
    pub secure_cookies: bool,
    /// Consecutive failed sign-ins after which an account is locked.
    pub lockout_after: u32,
    /// The first lock's length; each further failure doubles it (up to 64 times).
    pub lockout_secs: i64,
    /// More identity reads than this by one person in an hour raise an alert.
    pub alert_reads_per_hour: u64,
    /// Office hours, UTC `[start, end)`; identity reads and bulk actions outside them raise an alert.
    pub work_hours: (u8, u8),
}

impl Default for OfficeConfig {
    fn default() -> Self {
        Self {
            session_idle_secs: 30 * 60,
            session_absolute_secs: 10 * 3600,
            secure_cookies: false,
            lockout_after: 5,
            lockout_secs: 60,
            alert_reads_per_hour: 30,
            work_hours: (6, 21),
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub pipeline: Arc<Pipeline>,
    pub passwords: Arc<auth::PasswordHashing>,
    pub config: Arc<OfficeConfig>,
}

/// Unix milliseconds now, for audit entries.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as i64)
        .unwrap_or(0)
}

/// Unix seconds now. The one clock of the web adapter; the core never reads a clock.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs() as i64)
        .unwrap_or(0)
}

/// The response headers both sites send on every page: the site's CSP, no sniffing, no framing, no referrer, and no
/// caching unless a handler says otherwise. One place, so the two sites can't drift apart.
pub(crate) fn with_security_headers<S: Clone + Send + Sync + 'static>(
    router: axum::Router<S>,
    csp: &'static str,
) -> axum::Router<S> {
    use axum::http::{HeaderValue, header};
    use tower_http::set_header::SetResponseHeaderLayer;
    router
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(csp),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
}
