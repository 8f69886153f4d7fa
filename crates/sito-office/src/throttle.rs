//! Slowing down password guessing without handing an outsider a switch that locks staff out.
//!
//! - Per account (by call sign, known or not, so the delay does not tell which call signs exist): every failure in a
//!   row makes the next attempt wait longer before its password is checked, up to a bound of a few seconds. An
//!   outsider hammering a call sign only makes the real user wait that bound once; the right password and code
//!   then sign in and end the series.
//! - Per client address, only where the address means something (`client_address`): too many failures from one
//!   address refuse further attempts from it for a while, which locks out nobody but that address.
//! - Administrators are alerted when an account sees a burst of failures (`alerts::after_sign_in_failure`).
//!
//! The counters live in memory: a restart forgets them, which costs an attacker nothing they could not get by
//! waiting, and keeps a database write off the path an attacker can drive at will.
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::Duration;

use axum::http::HeaderMap;

use crate::OfficeConfig;

/// The header a trusted reverse proxy names the client in.
const FORWARDED_FOR: &str = "x-forwarded-for";

/// More entries than this per map and idle ones are dropped first; a flood of made-up call signs or addresses
/// cannot grow the office's memory without bound.
const MAX_ENTRIES: usize = 50_000;

#[derive(Clone, Copy, Debug, Default)]
struct Failures {
    count: u32,
    last_ms: i64,
}

#[derive(Default)]
struct Counters {
    accounts: HashMap<String, Failures>,
    addresses: HashMap<IpAddr, Failures>,
}

/// The sign-in failure counters of one office process.
#[derive(Default)]
pub struct SignInThrottle {
    counters: Mutex<Counters>,
}

/// How long an attempt on an account waits after `failures` failures in a row: nothing for the first
/// `sign_in_free_failures`, then `sign_in_delay_ms` doubled with each further failure, never more than
/// `sign_in_delay_max_ms`.
pub fn sign_in_delay(failures: u32, config: &OfficeConfig) -> Duration {
    let Some(over) = failures.checked_sub(config.sign_in_free_failures.max(1)) else {
        return Duration::ZERO;
    };
    let grown = config.sign_in_delay_ms.saturating_mul(1u64 << over.min(20));
    Duration::from_millis(grown.min(config.sign_in_delay_max_ms))
}

/// The client's address where it identifies a client: the rightmost `X-Forwarded-For` entry when the peer is the
/// configured trusted proxy, else the peer itself, unless the peer is a loopback address (a reverse proxy or an
/// onion service on the same host, behind which every visitor shares one address, so limiting it would lock
/// everyone out at once).
pub fn client_address(
    peer: Option<SocketAddr>,
    headers: &HeaderMap,
    config: &OfficeConfig,
) -> Option<IpAddr> {
    let peer = peer?.ip();
    if config.trusted_proxy == Some(peer) {
        return headers
            .get_all(FORWARDED_FOR)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .next_back()
            .and_then(|entry| entry.trim().parse().ok());
    }
    (!peer.is_loopback()).then_some(peer)
}

impl SignInThrottle {
    /// The failures in a row on a call sign, forgotten after an hour without one.
    pub fn account_failures(&self, call_sign: &str, now_ms: i64) -> u32 {
        let counters = self.lock();
        counters
            .accounts
            .get(&account_key(call_sign))
            .filter(|failures| now_ms - failures.last_ms < ACCOUNT_MEMORY_MS)
            .map_or(0, |failures| failures.count)
    }

    /// Whether an address has used up its failures for the current window.
    pub fn address_blocked(&self, address: IpAddr, now_ms: i64, config: &OfficeConfig) -> bool {
        let counters = self.lock();
        counters.addresses.get(&address).is_some_and(|failures| {
            now_ms - failures.last_ms < config.address_window_ms
                && failures.count >= config.address_failures
        })
    }

    /// Counts a failed attempt on a call sign, and on the address it came from if that means anything.
    pub fn record_failure(
        &self,
        call_sign: &str,
        address: Option<IpAddr>,
        now_ms: i64,
        config: &OfficeConfig,
    ) {
        let mut counters = self.lock();
        bump(
            &mut counters.accounts,
            account_key(call_sign),
            now_ms,
            ACCOUNT_MEMORY_MS,
        );
        if let Some(address) = address {
            bump(
                &mut counters.addresses,
                address,
                now_ms,
                config.address_window_ms,
            );
        }
    }

    /// A successful sign-in ends the account's series of failures.
    pub fn record_success(&self, call_sign: &str) {
        self.lock().accounts.remove(&account_key(call_sign));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Counters> {
        // A panic while the lock was held leaves only counters behind, which are still usable.
        self.counters
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// An account's series of failures is forgotten after an hour without one.
const ACCOUNT_MEMORY_MS: i64 = 3_600_000;

/// Call signs are compared as the sign-in form's lookup would, so case variants share one counter.
fn account_key(call_sign: &str) -> String {
    call_sign.trim().to_lowercase()
}

fn bump<K: std::hash::Hash + Eq>(
    map: &mut HashMap<K, Failures>,
    key: K,
    now_ms: i64,
    memory_ms: i64,
) {
    if map.len() >= MAX_ENTRIES && !map.contains_key(&key) {
        map.retain(|_, failures| now_ms - failures.last_ms < memory_ms);
        if map.len() >= MAX_ENTRIES {
            // Still full of fresh entries: a flood. Starting over forgets some delays, never refuses anyone.
            map.clear();
        }
    }
    let failures = map.entry(key).or_default();
    if now_ms - failures.last_ms >= memory_ms {
        failures.count = 0;
    }
    failures.count = failures.count.saturating_add(1);
    failures.last_ms = now_ms;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> OfficeConfig {
        OfficeConfig::default()
    }

    #[test]
    fn the_delay_grows_with_failures_and_stays_bounded() {
        let config = config();
        let delays: Vec<Duration> = (0..40)
            .map(|failures| sign_in_delay(failures, &config))
            .collect();
        let free = config.sign_in_free_failures as usize;
        assert!(delays[..free].iter().all(Duration::is_zero), "{delays:?}");
        assert_eq!(
            delays[config.sign_in_free_failures as usize],
            Duration::from_millis(config.sign_in_delay_ms)
        );
        assert!(
            delays.windows(2).all(|pair| pair[0] <= pair[1]),
            "never shrinks"
        );
        assert_eq!(
            delays[39],
            Duration::from_millis(config.sign_in_delay_max_ms),
            "bounded"
        );
        assert!(
            config.sign_in_delay_max_ms <= 10_000,
            "a few seconds, not a lockout"
        );
    }

    #[test]
    fn an_address_counts_only_where_it_names_a_client() {
        let mut config = config();
        let outside: SocketAddr = "203.0.113.5:40000".parse().unwrap();
        let local: SocketAddr = "127.0.0.1:40000".parse().unwrap();
        let mut forwarded = HeaderMap::new();
        forwarded.insert(FORWARDED_FOR, "10.9.9.9, 198.51.100.7".parse().unwrap());
        assert_eq!(client_address(None, &forwarded, &config), None);
        assert_eq!(
            client_address(Some(outside), &forwarded, &config),
            Some(outside.ip()),
            "a direct peer"
        );
        assert_eq!(
            client_address(Some(local), &forwarded, &config),
            None,
            "a local proxy without --trusted-proxy: the header could be anyone's"
        );
        config.trusted_proxy = Some(local.ip());
        assert_eq!(
            client_address(Some(local), &forwarded, &config),
            "198.51.100.7".parse().ok(),
            "the entry the trusted proxy appended"
        );
        assert_eq!(
            client_address(Some(local), &HeaderMap::new(), &config),
            None
        );
        assert_eq!(
            client_address(Some(outside), &forwarded, &config),
            Some(outside.ip()),
            "only the trusted proxy's header counts"
        );
    }

    #[test]
    fn counters_block_an_address_for_a_window_and_forget_an_account_on_success() {
        let config = config();
        let throttle = SignInThrottle::default();
        let address: IpAddr = "203.0.113.5".parse().unwrap();
        for n in 0..config.address_failures {
            assert!(!throttle.address_blocked(address, 1_000, &config), "{n}");
            throttle.record_failure("Owl", Some(address), 1_000, &config);
        }
        assert!(throttle.address_blocked(address, 1_000, &config));
        assert!(!throttle.address_blocked(address, 1_000 + config.address_window_ms, &config));
        assert_eq!(
            throttle.account_failures("owl", 1_000),
            config.address_failures
        );
        throttle.record_success(" OWL ");
        assert_eq!(throttle.account_failures("owl", 1_000), 0);
    }
}
