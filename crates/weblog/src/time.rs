//! Log timestamps: the Common Log Format's `10/Oct/2000:13:55:36 -0700`, BSD syslog's
//! year-less `Nov 19 12:34:56`, ctime (`Tue Nov 19 12:34:56 2024`) and, through
//! `lockstep_core`, RFC 3339 and unix seconds. Hand-written for the CLF path: it runs on every
//! line of a 10-million-line log.

use lockstep_core::{MAX_TIME_MS, MIN_TIME_MS};

/// When a record happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Time {
    /// Unix milliseconds, UTC.
    Utc(i64),
    /// BSD syslog time, which has no year (and no zone: taken as UTC): milliseconds since
    /// 1 January 00:00 of a leap year, so 29 February fits. [`Time::in_year`] completes it.
    NoYear(i64),
}

impl Time {
    /// The instant, taking a year-less time to be in `year`. `None` for 29 February of a year
    /// that has none.
    pub fn in_year(self, year: i32) -> Option<i64> {
        match self {
            Time::Utc(ms) => Some(ms),
            Time::NoYear(ms) => {
                let day = ms.div_euclid(86_400_000);
                let rest = ms.rem_euclid(86_400_000);
                let (m, d) = month_day_of_leap_year(day as u32);
                if m == 2 && d == 29 && !is_leap(year) {
                    return None;
                }
                Some(days_from_civil(year, m, d) * 86_400_000 + rest)
            }
        }
    }
}

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

const CUM_LEAP: [u32; 13] = [0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335, 366];

fn month_day_of_leap_year(day: u32) -> (u32, u32) {
    let m = CUM_LEAP
        .iter()
        .rposition(|&c| c <= day)
        .unwrap_or(0)
        .min(11);
    (m as u32 + 1, day - CUM_LEAP[m] + 1)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The year of unix milliseconds.
pub fn year_of(ms: i64) -> i32 {
    let days = ms.div_euclid(86_400_000);
    // Inverse of days_from_civil (year part only).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2)) as i32
}

fn month(b: &[u8]) -> Option<u32> {
    let m = match b {
        [a, b, c] => [
            a.to_ascii_lowercase(),
            b.to_ascii_lowercase(),
            c.to_ascii_lowercase(),
        ],
        _ => return None,
    };
    Some(match &m {
        b"jan" => 1,
        b"feb" => 2,
        b"mar" => 3,
        b"apr" => 4,
        b"may" => 5,
        b"jun" => 6,
        b"jul" => 7,
        b"aug" => 8,
        b"sep" => 9,
        b"oct" => 10,
        b"nov" => 11,
        b"dec" => 12,
        _ => return None,
    })
}

fn num(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 9 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0u32, |n, &d| n * 10 + u32::from(d - b'0')))
}

/// `HH:MM:SS[.fff…]` → milliseconds of the day.
fn clock(b: &[u8]) -> Option<i64> {
    if b.len() < 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    let (h, mi, s) = (num(&b[0..2])?, num(&b[3..5])?, num(&b[6..8])?);
    if h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let mut ms = 0;
    if b.len() > 8 {
        if b[8] != b'.' && b[8] != b',' {
            return None;
        }
        let frac = &b[9..];
        if frac.is_empty() || !frac.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let mut digits = [b'0'; 3];
        for (d, f) in digits.iter_mut().zip(frac) {
            *d = *f;
        }
        ms = i64::from(num(&digits)?);
    }
    Some(i64::from(h * 3600 + mi * 60 + s.min(59)) * 1000 + ms)
}

fn in_range(ms: i64) -> Result<i64, String> {
    if (MIN_TIME_MS..MAX_TIME_MS).contains(&ms) {
        Ok(ms)
    } else {
        Err("impossible timestamp (outside 2000..2100)".into())
    }
}

/// Common Log Format time, without brackets: `10/Oct/2000:13:55:36 -0700` (a fraction of
/// the second and a missing zone, taken as UTC, are accepted).
pub fn parse_clf(b: &[u8]) -> Result<i64, String> {
    let bad = || format!("bad time {:?}", String::from_utf8_lossy(b));
    if b.len() < 20 || b[2] != b'/' || b[6] != b'/' || b[11] != b':' {
        return Err(bad());
    }
    let d = num(&b[0..2]).ok_or_else(bad)?;
    let m = month(&b[3..6]).ok_or_else(bad)?;
    let y = num(&b[7..11]).ok_or_else(bad)? as i32;
    let (clock_part, zone) = match memchr::memchr(b' ', &b[12..]) {
        Some(p) => (&b[12..12 + p], Some(&b[13 + p..])),
        None => (&b[12..], None),
    };
    let t = clock(clock_part).ok_or_else(bad)?;
    if !(1..=31).contains(&d) {
        return Err(bad());
    }
    let offset = match zone {
        Some(z) => zone_offset_ms(z).ok_or_else(bad)?,
        None => 0,
    };
    in_range(days_from_civil(y, m, d) * 86_400_000 + t - offset)
}

/// `+0200`, `-07:00`, `Z`, `UTC` → milliseconds east of UTC.
fn zone_offset_ms(z: &[u8]) -> Option<i64> {
    let z = z.trim_ascii();
    if z == b"Z" || z.eq_ignore_ascii_case(b"UTC") || z.eq_ignore_ascii_case(b"GMT") {
        return Some(0);
    }
    let (sign, rest) = match z.first()? {
        b'+' => (1, &z[1..]),
        b'-' => (-1, &z[1..]),
        _ => return None,
    };
    let (h, m) = match rest {
        [a, b, b':', c, d] | [a, b, c, d] => (num(&[*a, *b])?, num(&[*c, *d])?),
        _ => return None,
    };
    if h > 23 || m > 59 {
        return None;
    }
    Some(sign * i64::from(h * 60 + m) * 60_000)
}

/// BSD syslog `Nov 19 12:34:56` (day may be space-padded); returns the time and the bytes
/// it took.
pub fn parse_bsd_syslog(b: &[u8]) -> Option<(Time, usize)> {
    if b.len() < 15 || b[3] != b' ' {
        return None;
    }
    let m = month(&b[0..3])?;
    let day = if b[4] == b' ' {
        num(&b[5..6])?
    } else {
        num(&b[4..6])?
    };
    if b[6] != b' ' || !(1..=31).contains(&day) {
        return None;
    }
    let end = 7 + b[7..]
        .iter()
        .position(|&c| c == b' ')
        .unwrap_or(b.len() - 7);
    let t = clock(&b[7..end])?;
    let doy = i64::from(CUM_LEAP[m as usize - 1] + day - 1);
    Some((Time::NoYear(doy * 86_400_000 + t), end))
}

/// ctime `Tue Nov 19 12:34:56 2024` (ModSecurity 3's `time_stamp`), taken as UTC.
pub fn parse_ctime(s: &str) -> Result<i64, String> {
    let bad = || format!("bad time {s:?}");
    let parts: Vec<&str> = s.split_ascii_whitespace().collect();
    let [_, mon, day, clock_part, year] = parts[..] else {
        return Err(bad());
    };
    let m = month(mon.as_bytes()).ok_or_else(bad)?;
    let d = num(day.as_bytes())
        .filter(|d| (1..=31).contains(d))
        .ok_or_else(bad)?;
    let y = num(year.as_bytes()).ok_or_else(bad)? as i32;
    let t = clock(clock_part.as_bytes()).ok_or_else(bad)?;
    in_range(days_from_civil(y, m, d) * 86_400_000 + t)
}

/// Any of the timestamp forms JSON logs use: RFC 3339, unix seconds or milliseconds
/// (`msec`), CLF, ctime.
pub fn parse_any(s: &str) -> Result<i64, String> {
    let t = s.trim();
    if t.len() >= 20 && t.as_bytes()[2] == b'/' {
        return parse_clf(t.as_bytes());
    }
    if t.len() >= 24 && t.as_bytes().get(3) == Some(&b' ') && t.as_bytes()[0].is_ascii_alphabetic()
    {
        return parse_ctime(t);
    }
    lockstep_core::parse_time_ms(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clf() {
        assert_eq!(
            parse_clf(b"10/Oct/2000:13:55:36 -0700"),
            Ok(971_211_336_000)
        );
        assert_eq!(
            parse_clf(b"19/Nov/2024:12:00:00 +0000"),
            Ok(1_732_017_600_000)
        );
        assert_eq!(
            parse_clf(b"19/Nov/2024:14:00:00.250 +02:00"),
            Ok(1_732_017_600_250)
        );
        assert!(parse_clf(b"19/Foo/2024:12:00:00 +0000").is_err());
        assert!(parse_clf(b"19/Nov/1024:12:00:00 +0000").is_err());
        assert!(parse_clf("19/Nov/2024:12:00:0é +0000".as_bytes()).is_err());
    }

    #[test]
    fn syslog_and_ctime() {
        let (t, n) = parse_bsd_syslog(b"Nov 19 12:00:00 host sshd").unwrap();
        assert_eq!(n, 15);
        assert_eq!(t.in_year(2024), Some(1_732_017_600_000));
        let (t, _) = parse_bsd_syslog(b"Feb  29 00:00:00 h").map_or((Time::Utc(0), 0), |x| x);
        assert_eq!(t, Time::Utc(0), "double space then two digits is not a day");
        let (t, _) = parse_bsd_syslog(b"Feb 29 00:00:00 h").unwrap();
        assert_eq!(t.in_year(2023), None);
        assert!(t.in_year(2024).is_some());
        assert_eq!(
            parse_ctime("Tue Nov 19 12:00:00 2024"),
            Ok(1_732_017_600_000)
        );
        assert_eq!(year_of(1_732_017_600_000), 2024);
        assert_eq!(year_of(946_684_800_000), 2000);
        assert_eq!(year_of(946_684_799_999), 1999);
    }

    #[test]
    fn any() {
        assert_eq!(parse_any("1732017600.5"), Ok(1_732_017_600_500));
        assert_eq!(parse_any("2024-11-19T12:00:00Z"), Ok(1_732_017_600_000));
        assert_eq!(
            parse_any("19/Nov/2024:12:00:00 +0000"),
            Ok(1_732_017_600_000)
        );
    }
}
