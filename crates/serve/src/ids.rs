//! Identifiers, secrets and clocks. Ids are made here, not by the database, so the same SQL
//! runs on SQLite and PostgreSQL; record ids sort in the order they were made.

use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicU64, Ordering};

/// `n` random bytes from the operating system, hex.
pub fn random_hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    // The OS generator failing is not recoverable (no safe secret can be made).
    getrandom::fill(&mut b).expect("the operating system's random generator failed");
    hex::encode(b)
}

/// A random id for users, cases, tokens (128 bits: not guessable, so ids name nothing).
pub fn new_id() -> String {
    random_hex(16)
}

static LAST_MICROS: AtomicU64 = AtomicU64::new(0);

/// An id that sorts after every id this process made before (microseconds since 1970, made
/// strictly increasing, then random bits to keep two servers apart).
pub fn ordered_id() -> String {
    let now = now_ms() as u64 * 1000;
    let mut prev = LAST_MICROS.load(Ordering::Relaxed);
    loop {
        let next = now.max(prev + 1);
        match LAST_MICROS.compare_exchange_weak(prev, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return format!("{next:016x}{}", random_hex(4)),
            Err(p) => prev = p,
        }
    }
}

/// Milliseconds since 1970 (UTC).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// RFC 3339, UTC, to the millisecond.
pub fn rfc3339(ms: i64) -> String {
    lockstep_core::format_time(ms)
}

/// sha256 of a secret (session cookies, API tokens): stored instead of the secret itself.
/// These secrets are 256 random bits, so a fast hash is enough (passwords use Argon2id).
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Equal in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
