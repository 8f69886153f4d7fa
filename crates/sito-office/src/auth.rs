//! Staff sign-in: argon2id password hashes, a mandatory TOTP second factor (see `totp`), a bounded back-off after
//! repeated failures (`throttle`), server-side sessions keyed by a hash of a random id with idle and absolute lifetimes, a new
//! session id on every sign-in, and a CSRF token per session checked on every form.
//!
//! A session is "full" only after both factors; an account without an enrolled second factor gets a session that
//! opens the enrolment page and nothing else (the `Staff` extractor never accepts it).
use std::sync::Arc;

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::http::{HeaderMap, header};
use sha2::{Digest, Sha256};
use sito_core::{Role, StaffId};
use subtle::ConstantTimeEq;
use tokio::sync::Semaphore;

use crate::error::WebError;
use crate::i18n::Lang;

pub const SESSION_COOKIE: &str = "sito_session";
pub const LANG_COOKIE: &str = "sito_lang";

/// Password hashing is deliberately slow; a semaphore keeps a burst of sign-ins from starving the server.
pub struct PasswordHashing {
    permits: Semaphore,
    params: Params,
}

impl PasswordHashing {
    pub fn new(params: Params) -> Self {
        Self {
            permits: Semaphore::new(2),
            params,
        }
    }

    /// OWASP's recommended argon2id parameters (19 MiB, 2 passes).
    pub fn recommended() -> Self {
        Self::new(Params::new(19 * 1024, 2, 1, None).unwrap_or_default())
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    pub async fn hash(self: &Arc<Self>, password: String) -> Result<String, WebError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| WebError::Internal("hasher closed".into()))?;
        let this = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let mut salt = [0u8; 16];
            getrandom::fill(&mut salt).map_err(|_| WebError::Internal("no randomness".into()))?;
            this.argon2()
                .hash_password_with_salt(password.as_bytes(), &salt)
                .map(|hash| hash.to_string())
                .map_err(|error| WebError::Internal(error.to_string()))
        })
        .await
        .map_err(|error| WebError::Internal(error.to_string()))?
    }

    /// Verifies a password. Unknown accounts are verified against a dummy hash, so timing doesn't tell them apart.
    pub async fn verify(self: &Arc<Self>, password: String, stored_hash: Option<String>) -> bool {
        let Ok(_permit) = self.permits.acquire().await else {
            return false;
        };
        let this = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let fallback = DUMMY_HASH.get_or_init(|| {
                this.argon2()
                    .hash_password_with_salt(b"dummy", b"sito-dummy-salt!")
                    .map(|hash| hash.to_string())
                    .unwrap_or_default()
            });
            let known = stored_hash.is_some();
            let hash_text = stored_hash.unwrap_or_else(|| fallback.clone());
            let matches = this
                .argon2()
                .verify_password(password.as_bytes(), hash_text.as_str())
                .is_ok();
            known && matches
        })
        .await
        .unwrap_or(false)
    }
}

static DUMMY_HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// A fresh random token, hex-encoded.
pub fn random_token() -> Result<String, WebError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|_| WebError::Internal("no randomness".into()))?;
    Ok(hex(&bytes))
}

pub fn hash_session_id(session_id: &str) -> String {
    hex(&Sha256::digest(session_id.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, byte| {
            let _ = write!(out, "{byte:02x}");
            out
        })
}

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

pub fn request_lang(headers: &HeaderMap) -> Lang {
    cookie(headers, LANG_COOKIE)
        .and_then(Lang::parse)
        .unwrap_or_else(|| {
            Lang::negotiate(
                headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok()),
            )
        })
}

/// The `Secure` attribute when the office is configured for HTTPS (`--secure-cookies`, an https `--public-url`).
pub fn secure_attribute(config: &crate::OfficeConfig) -> &'static str {
    if config.secure_cookies {
        "; Secure"
    } else {
        ""
    }
}

/// The header that ends the session cookie (sign-out), with the same attributes it was set with.
pub fn expired_session_cookie(config: &crate::OfficeConfig) -> String {
    format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
        secure_attribute(config)
    )
}

/// The session cookie for a freshly created session.
pub fn session_cookie(session_id: &str, config: &crate::OfficeConfig) -> String {
    let secure = secure_attribute(config);
    format!(
        "{SESSION_COOKIE}={session_id}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        config.session_absolute_secs
    )
}

/// The sign-in form's CSRF cookie. There is no session yet when the form is shown, so the token is a double
/// submit: a random value in a cookie scoped to `/login` and the same value in the form. A cross-site page can
/// post the form but can neither read nor set the cookie, so it cannot sign a victim into the attacker's account.
pub const LOGIN_CSRF_COOKIE: &str = "sito_login_csrf";

/// The sign-in form's CSRF cookie for a freshly minted token; it lives as long as an idle session would.
pub fn login_csrf_cookie(token: &str, config: &crate::OfficeConfig) -> String {
    let secure = secure_attribute(config);
    format!(
        "{LOGIN_CSRF_COOKIE}={token}; Path=/login; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        config.session_idle_secs
    )
}

/// Whether a sign-in form carries the token its cookie holds (constant time; both must be present).
pub fn login_csrf_matches(headers: &HeaderMap, submitted: Option<&str>) -> bool {
    let (Some(expected), Some(submitted)) = (cookie(headers, LOGIN_CSRF_COOKIE), submitted) else {
        return false;
    };
    !expected.is_empty() && bool::from(submitted.as_bytes().ct_eq(expected.as_bytes()))
}

/// Whether a session has outlived its idle or absolute lifetime.
pub fn session_expired(
    session: &sito_store::SessionRecord,
    now: i64,
    config: &crate::OfficeConfig,
) -> bool {
    now - session.last_seen > config.session_idle_secs
        || now - session.created_at > config.session_absolute_secs
}

/// The signed-in staff member of a request.
#[derive(Clone, Debug)]
pub struct Staff {
    pub id: StaffId,
    pub call_sign: String,
    pub role: Role,
    pub csrf: String,
    pub lang: Lang,
}

impl Staff {
    /// Compares a submitted form token with the session's in constant time.
    pub fn check_csrf(&self, submitted: Option<&str>) -> Result<(), WebError> {
        let submitted = submitted.unwrap_or_default();
        if bool::from(submitted.as_bytes().ct_eq(self.csrf.as_bytes())) && !submitted.is_empty() {
            Ok(())
        } else {
            Err(WebError::Forbidden)
        }
    }
}
