//! Admission control. Behind Tor every visitor is 127.0.0.1, so nothing is keyed by address: limits are global
//! per kind of work, and per codename for status and message attempts (ARCHITECTURE.md, "Intake flood defence").
//!
//! The expensive part of every intake request is argon2id (a codename's lookup key and reply key). Work is
//! admitted by a token bucket per kind, then waits for one of a few CPU permits; when the queue in front of the
//! permits is full the request is refused at once with `429` instead of queueing without end. Submissions and
//! codename lookups have separate buckets and separate queues, so a flood of new submissions cannot starve
//! applicants checking their status or answering the office.
use std::hash::{BuildHasher, Hash, Hasher};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::IntakeError;

#[derive(Clone, Debug)]
pub struct Limits {
    /// Sustained new submissions per second, all visitors together.
    pub submissions_per_second: u32,
    pub submission_burst: u32,
    /// Sustained codename lookups (status, messages) per second, all visitors together.
    pub lookups_per_second: u32,
    /// Attempts per minute on one codename.
    pub attempts_per_codename_per_minute: u32,
    /// Concurrent KDF computations (defaults to the number of cores).
    pub kdf_workers: usize,
    /// Requests allowed to wait for a KDF worker before new ones are refused.
    pub queue: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            submissions_per_second: 200,
            submission_burst: 400,
            lookups_per_second: 100,
            attempts_per_codename_per_minute: 10,
            kdf_workers: std::thread::available_parallelism()
                .map(usize::from)
                .unwrap_or(2),
            queue: 256,
        }
    }
}

struct Lane {
    bucket: DefaultDirectRateLimiter,
    workers: Arc<Semaphore>,
    waiting: AtomicUsize,
    queue: usize,
}

impl Lane {
    fn new(per_second: u32, burst: u32, workers: usize, queue: usize) -> Self {
        let rate = NonZeroU32::new(per_second.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN);
        Self {
            bucket: RateLimiter::direct(Quota::per_second(rate).allow_burst(burst)),
            workers: Arc::new(Semaphore::new(workers.max(1))),
            waiting: AtomicUsize::new(0),
            queue,
        }
    }

    async fn admit(&self) -> Result<OwnedSemaphorePermit, IntakeError> {
        self.bucket.check().map_err(|_| IntakeError::RateLimited)?;
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.queue {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(IntakeError::RateLimited);
        }
        let permit = Arc::clone(&self.workers).acquire_owned().await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        permit.map_err(|_| IntakeError::Internal("the worker pool is closed".into()))
    }
}

pub struct Admission {
    submissions: Lane,
    lookups: Lane,
    per_codename: DefaultKeyedRateLimiter<u64>,
    /// A random key per process: the attempt counter never holds a codename, only an unlinkable hash.
    hasher: std::collections::hash_map::RandomState,
}

impl Admission {
    pub fn new(limits: &Limits) -> Self {
        let per_minute = NonZeroU32::new(limits.attempts_per_codename_per_minute.max(1))
            .unwrap_or(NonZeroU32::MIN);
        Self {
            submissions: Lane::new(
                limits.submissions_per_second,
                limits.submission_burst,
                limits.kdf_workers,
                limits.queue,
            ),
            lookups: Lane::new(
                limits.lookups_per_second,
                limits.lookups_per_second.saturating_mul(2),
                limits.kdf_workers,
                limits.queue,
            ),
            per_codename: RateLimiter::keyed(Quota::per_minute(per_minute)),
            hasher: std::collections::hash_map::RandomState::new(),
        }
    }

    pub async fn submission(&self) -> Result<OwnedSemaphorePermit, IntakeError> {
        self.submissions.admit().await
    }

    pub async fn lookup(&self) -> Result<OwnedSemaphorePermit, IntakeError> {
        self.lookups.admit().await
    }

    /// Counts an attempt on what was typed (normalised loosely: case and spacing).
    pub fn codename_attempt(&self, typed: &str) -> Result<(), IntakeError> {
        let mut hasher = self.hasher.build_hasher();
        for word in typed.split_whitespace() {
            word.to_lowercase().hash(&mut hasher);
        }
        let key = hasher.finish();
        if self.per_codename.len() > 100_000 {
            self.per_codename.retain_recent();
        }
        self.per_codename
            .check_key(&key)
            .map_err(|_| IntakeError::RateLimited)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_codename_is_limited_without_touching_others() {
        let limits = Limits {
            attempts_per_codename_per_minute: 3,
            ..Limits::default()
        };
        let admission = Admission::new(&limits);
        for _ in 0..3 {
            admission.codename_attempt("alpha beta").unwrap();
        }
        assert!(matches!(
            admission.codename_attempt("Alpha  BETA"),
            Err(IntakeError::RateLimited)
        ));
        admission.codename_attempt("gamma delta").unwrap();
    }

    #[tokio::test]
    async fn submissions_beyond_the_burst_are_refused_but_lookups_still_pass() {
        let limits = Limits {
            submissions_per_second: 1,
            submission_burst: 2,
            ..Limits::default()
        };
        let admission = Admission::new(&limits);
        drop(admission.submission().await.unwrap());
        drop(admission.submission().await.unwrap());
        assert!(matches!(
            admission.submission().await,
            Err(IntakeError::RateLimited)
        ));
        assert!(admission.lookup().await.is_ok());
    }
}
