//! sito-office: the staff site as axum routers over the store and the core (the applicants' site is `sito-intake`).
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
mod gate;
pub mod i18n;
pub mod planning;
pub mod pull;
pub mod routes;
pub mod screening;
pub mod staff_intake;
pub mod totp;
mod views;

use std::sync::Arc;

use sito_core::Pipeline;
use sito_store::Store;

pub use sito_http::serve;

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

pub use sito_http::{now, now_ms};
