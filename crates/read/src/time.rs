//! A fast path for the timestamp layouts that dominate real inputs.
//!
//! `lockstep_core::parse_time_ms` tries several chrono format strings in turn, which costs
//! more than the rest of reading a CSV row. Plain UTC date-times are parsed here by hand; any
//! other input, and every error, goes through `parse_time_ms` so results and messages agree.

use lockstep_core::{parse_time_ms, MAX_TIME_MS, MIN_TIME_MS};

pub(crate) fn parse_time(s: &str) -> Result<i64, String> {
    match fast(s.trim().as_bytes()) {
        Some(ms) => Ok(ms),
        None => parse_time_ms(s),
    }
}

/// `YYYY-MM-DD`, optionally followed by `[T ]HH:MM`, `:SS`, `.fraction` and `Z`, in range.
fn fast(b: &[u8]) -> Option<i64> {
    let year = digits(b, 0, 4)?;
    let month = (b.get(4) == Some(&b'-')).then(|| digits(b, 5, 2))??;
    let day = (b.get(7) == Some(&b'-')).then(|| digits(b, 8, 2))??;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let mut ms = days_from_civil(year, month, day) * 86_400_000;
    let mut rest = &b[10..];
    if !rest.is_empty() {
        if !matches!(rest[0], b'T' | b' ') {
            return None;
        }
        let hour = digits(rest, 1, 2)?;
        let minute = (rest.get(3) == Some(&b':')).then(|| digits(rest, 4, 2))??;
        let mut second = 0;
        rest = &rest[6..];
        if rest.first() == Some(&b':') {
            second = digits(rest, 1, 2)?;
            rest = &rest[3..];
            if rest.first() == Some(&b'.') {
                let frac = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
                if frac == 0 {
                    return None;
                }
                // Truncated to milliseconds, as chrono's `timestamp_millis` does.
                let milli = (0..3).fold(0, |acc, i| {
                    let d = if i < frac { rest[1 + i] - b'0' } else { 0 };
                    acc * 10 + i64::from(d)
                });
                ms += milli;
                rest = &rest[1 + frac..];
            }
        }
        if rest == b"Z" {
            rest = &[];
        }
        // Leap seconds and zone offsets are left to chrono.
        if !rest.is_empty() || hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        ms += ((hour * 60 + minute) * 60 + second) * 1000;
    }
    (MIN_TIME_MS..MAX_TIME_MS).contains(&ms).then_some(ms)
}

fn digits(b: &[u8], at: usize, n: usize) -> Option<i64> {
    let d = b.get(at..at + n)?;
    d.iter().try_fold(0, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
    })
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_path_agrees_with_core() {
        for s in [
            "2024-11-11T10:00:00Z",
            "2024-11-11 10:00:00",
            "2024-11-11T10:00:00.000Z",
            "2024-11-11T10:00:00.5Z",
            "2024-11-11T10:00:00.123456789Z",
            "2019-01-01 10:00",
            "2019-01-01T10:00",
            "2016-03-01",
            "2000-01-01",
            "2024-02-29 23:59:59",
            "2099-12-31T23:59:59.999Z",
            "2021-06-17T01:24:51",
        ] {
            assert_eq!(fast(s.as_bytes()), parse_time_ms(s).ok(), "{s}");
            assert!(fast(s.as_bytes()).is_some(), "{s}");
        }
        // Left to core: errors, zones, other layouts, out of range.
        for s in [
            "2023-02-29",
            "2024-13-01",
            "2024-11-11 24:00",
            "2024-11-11T10:00:60Z",
            "2024-11-11T10:00:00+02:00",
            "2024-11-11 10:00:00 UTC",
            "2024-11-11T10:00:00.Z",
            "2024-11-11x",
            "1999-12-31",
            "2100-01-01",
            "1731319200",
            "",
        ] {
            assert_eq!(fast(s.as_bytes()), None, "{s}");
        }
        assert_eq!(
            parse_time(" 2024-11-11 10:00:00 UTC"),
            Ok(1_731_319_200_000)
        );
        assert_eq!(
            parse_time("2024-11-11 10:00"),
            parse_time_ms("2024-11-11 10:00")
        );
        assert_eq!(parse_time("2024-13-01"), parse_time_ms("2024-13-01"));
    }
}
