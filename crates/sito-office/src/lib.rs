//! sito-office: the staff site as axum routers over the store and the core (the applicants' site is `sito-intake`).
//! Server-rendered HTML that needs no JavaScript; every string comes from the Fluent files.
//!
//! Architecture invariant: handlers reach case content only through `sito_core::policy::permit`; the case page
//! renders the groups it holds a permit for and nothing else.
#![forbid(unsafe_code)]

mod access;
pub mod alerts;
mod audit_pages;
pub mod auth;
pub mod capacity;
mod case_actions;
mod case_list;
mod case_page;
pub mod clusters;
mod dossier;
mod enrol;
pub mod error;
pub mod findings;
mod frame;
mod gate;
mod handover;
pub mod i18n;
pub mod planning;
pub mod pull;
pub mod routes;
pub mod screening;
mod sign_in;
pub mod staff_intake;
pub mod throttle;
pub mod totp;
mod units;
mod views;

use std::sync::Arc;

use sito_core::Pipeline;
use sito_store::Store;

/// `serve` for the intake (no peer addresses), `serve_with_peers` for the staff site (per-address sign-in limits).
pub use sito_http::{serve, serve_with_peers};

/// Settings of the staff site.
#[derive(Clone, Debug)]
pub struct OfficeConfig {
    /// A session ends after this long without a request.
    pub session_idle_secs: i64,
    /// A session ends this long after sign-in whatever happens.
    pub session_absolute_secs: i64,
    /// Mark cookies `Secure` (set when served over TLS or an onion service's HTTPS front).
    pub secure_cookies: bool,
    /// Failed sign-ins in a row on an account before its attempts are slowed down (`throttle`).
    pub sign_in_free_failures: u32,
    /// The first slowed attempt's wait; it doubles with each further failure ...
    pub sign_in_delay_ms: u64,
    /// ... up to this bound, so the real user, password and code in hand, waits seconds and not an hour.
    pub sign_in_delay_max_ms: u64,
    /// Failures from one client address (where it means one: `throttle::client_address`) that refuse it ...
    pub address_failures: u32,
    /// ... until this long after its last failure.
    pub address_window_ms: i64,
    /// The reverse proxy whose `X-Forwarded-For` names the client (`--trusted-proxy`); no other peer's is believed.
    pub trusted_proxy: Option<std::net::IpAddr>,
    /// This many failed sign-ins in a row on one account alert the administrators (again at each doubling).
    pub alert_sign_in_failures: u32,
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
            sign_in_free_failures: 3,
            sign_in_delay_ms: 500,
            sign_in_delay_max_ms: 4_000,
            address_failures: 30,
            address_window_ms: 15 * 60_000,
            trusted_proxy: None,
            alert_sign_in_failures: 10,
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
    /// Sign-in failure counters (per call sign, per client address) of this process.
    pub sign_ins: Arc<throttle::SignInThrottle>,
}

pub use sito_http::{now, now_ms};
