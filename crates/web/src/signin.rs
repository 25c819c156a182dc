//! Sign-ins: who is signed in behind which cookie, and the failed attempts of each account.
//!
//! The cookie carries 32 random bytes; the server keeps only their blake3 with the account's
//! user name, the CSRF token of the sign-in and its last use, in memory. A sign-in ends when it
//! is idle for [`IDLE`], after [`LONGEST`] in all, at sign-out, or when the server restarts.
//! After [`FAILURES_BEFORE_LOCK`] failed attempts an account is locked for [`LOCK`].

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use parking_lot::Mutex;
use rand::RngCore;

/// The cookie's name.
pub const COOKIE: &str = "impact_signin";
/// A sign-in unused this long ends.
pub const IDLE: Duration = Duration::minutes(30);
/// A sign-in ends this long after it started, used or not.
pub const LONGEST: Duration = Duration::hours(12);
/// Failed attempts in a row that lock an account.
pub const FAILURES_BEFORE_LOCK: u32 = 5;
/// How long a locked account stays locked.
pub const LOCK: Duration = Duration::minutes(15);

/// One sign-in as the pages see it.
#[derive(Clone, Debug)]
pub struct SignIn {
    pub user: String,
    /// The token every form of this sign-in carries.
    pub csrf: String,
    started: DateTime<Utc>,
    last_used: DateTime<Utc>,
}

#[derive(Default)]
struct Failures {
    count: u32,
    locked_until: Option<DateTime<Utc>>,
}

#[derive(Default)]
struct State {
    by_hash: HashMap<[u8; 32], SignIn>,
    failures: HashMap<String, Failures>,
}

/// What an attempt to sign in may meet before the password is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gate {
    Open,
    LockedUntil(DateTime<Utc>),
}

/// The sign-ins of one server. Cheap to clone.
#[derive(Clone, Default)]
pub struct SignIns {
    state: Arc<Mutex<State>>,
}

fn random_text() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn key(cookie: &str) -> [u8; 32] {
    *blake3::hash(cookie.as_bytes()).as_bytes()
}

impl SignIns {
    /// Whether `user` may try a password now.
    pub fn gate(&self, user: &str, now: DateTime<Utc>) -> Gate {
        let state = self.state.lock();
        match state.failures.get(user).and_then(|f| f.locked_until) {
            Some(until) if until > now => Gate::LockedUntil(until),
            _ => Gate::Open,
        }
    }

    /// Counts a failed attempt; the fifth in a row locks the account.
    pub fn failed(&self, user: &str, now: DateTime<Utc>) -> Gate {
        let mut state = self.state.lock();
        let failures = state.failures.entry(user.to_owned()).or_default();
        if failures.locked_until.is_some_and(|until| until <= now) {
            *failures = Failures::default();
        }
        failures.count += 1;
        if failures.count >= FAILURES_BEFORE_LOCK {
            let until = now + LOCK;
            failures.locked_until = Some(until);
            return Gate::LockedUntil(until);
        }
        Gate::Open
    }

    /// Starts a sign-in for `user`: the cookie's value (to send once) and the sign-in.
    pub fn start(&self, user: &str, now: DateTime<Utc>) -> (String, SignIn) {
        let cookie = random_text();
        let sign_in = SignIn {
            user: user.to_owned(),
            csrf: random_text(),
            started: now,
            last_used: now,
        };
        let mut state = self.state.lock();
        state.failures.remove(user);
        state.by_hash.retain(|_, s| live(s, now));
        state.by_hash.insert(key(&cookie), sign_in.clone());
        (cookie, sign_in)
    }

    /// The live sign-in behind a cookie, marked as used now.
    pub fn get(&self, cookie: &str, now: DateTime<Utc>) -> Option<SignIn> {
        let mut state = self.state.lock();
        let key = key(cookie);
        let sign_in = state.by_hash.get_mut(&key)?;
        if !live(sign_in, now) {
            state.by_hash.remove(&key);
            return None;
        }
        sign_in.last_used = now;
        Some(sign_in.clone())
    }

    /// Ends the sign-in behind a cookie.
    pub fn end(&self, cookie: &str) {
        self.state.lock().by_hash.remove(&key(cookie));
    }

    /// Ends every sign-in of an account (disabled, or its password reset).
    pub fn end_all_of(&self, user: &str) {
        self.state.lock().by_hash.retain(|_, s| s.user != user);
    }
}

fn live(sign_in: &SignIn, now: DateTime<Utc>) -> bool {
    now - sign_in.last_used < IDLE && now - sign_in.started < LONGEST
}

/// Compares two secrets in time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    blake3::hash(a.as_bytes()) == blake3::hash(b.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-11-26T10:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_sign_in_ends_when_idle_when_too_old_and_at_sign_out() {
        let sign_ins = SignIns::default();
        let (cookie, _) = sign_ins.start("amina", now());
        let used = now() + Duration::minutes(29);
        assert!(sign_ins.get(&cookie, used).is_some());
        assert!(sign_ins
            .get(&cookie, used + Duration::minutes(29))
            .is_some());
        assert!(sign_ins
            .get(&cookie, used + Duration::minutes(60))
            .is_none());

        let (cookie, _) = sign_ins.start("amina", now());
        let mut at = now();
        while at < now() + LONGEST - Duration::minutes(20) {
            at += Duration::minutes(20);
            assert!(sign_ins.get(&cookie, at).is_some());
        }
        assert!(sign_ins.get(&cookie, now() + LONGEST).is_none());

        let (cookie, _) = sign_ins.start("amina", now());
        sign_ins.end(&cookie);
        assert!(sign_ins.get(&cookie, now()).is_none());
    }

    #[test]
    fn five_failures_lock_an_account_for_a_while() {
        let sign_ins = SignIns::default();
        for _ in 0..FAILURES_BEFORE_LOCK - 1 {
            assert_eq!(sign_ins.failed("amina", now()), Gate::Open);
        }
        assert_eq!(sign_ins.gate("amina", now()), Gate::Open);
        assert_eq!(
            sign_ins.failed("amina", now()),
            Gate::LockedUntil(now() + LOCK)
        );
        assert_eq!(
            sign_ins.gate("amina", now()),
            Gate::LockedUntil(now() + LOCK)
        );
        assert_eq!(sign_ins.gate("sara", now()), Gate::Open);
        assert_eq!(sign_ins.gate("amina", now() + LOCK), Gate::Open);
    }
}
