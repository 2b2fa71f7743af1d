//! sshd and PAM authentication lines, from syslog files (BSD `Nov 19 12:34:56 host sshd[1]:`
//! or RFC 3339 `2024-11-19T12:34:56.123+02:00 host sshd[1]:` headers, with or without a
//! `<PRI>`) and, through [`parse_message`], from journald's MESSAGE.

use crate::record::{parse_ip, Auth, AuthOutcome, Record};
use crate::time::{parse_bsd_syslog, Time};
use std::borrow::Cow;

/// `Ok(None)`: not a syslog line. `Ok(Some(Record::Other))`: a syslog line with nothing to
/// analyse (another program, or an sshd message about no remote source).
pub(crate) fn parse(line: &[u8]) -> Result<Option<Record<'_>>, String> {
    let Ok(line) = std::str::from_utf8(line) else {
        return Ok(None);
    };
    let mut rest = line;
    if let Some(r) = rest.strip_prefix('<') {
        match r.find('>') {
            Some(p) if p <= 3 && r[..p].bytes().all(|b| b.is_ascii_digit()) => rest = &r[p + 1..],
            _ => return Ok(None),
        }
    }
    let (time, after) = if let Some((t, n)) = parse_bsd_syslog(rest.as_bytes()) {
        (t, &rest[n..])
    } else {
        let end = rest.find(' ').unwrap_or(rest.len());
        let stamp = &rest[..end];
        if stamp.len() < 19 || stamp.as_bytes()[4] != b'-' || stamp.as_bytes()[10] != b'T' {
            return Ok(None);
        }
        (
            Time::Utc(lockstep_core::parse_time_ms(stamp)?),
            &rest[end..],
        )
    };
    // host program[pid]: message
    let after = after.trim_start();
    let Some((_host, prog_msg)) = after.split_once(' ') else {
        return Err("syslog line without a program".into());
    };
    let Some((prog, msg)) = prog_msg.split_once(": ") else {
        return Ok(Some(Record::Other));
    };
    let ident = prog.split('[').next().unwrap_or(prog);
    Ok(Some(match parse_message(ident, msg, time) {
        Some(a) => Record::Auth(a),
        None => Record::Other,
    }))
}

fn word(s: &str) -> (&str, &str) {
    let s = s.trim_start();
    match s.find(' ') {
        Some(p) => (&s[..p], &s[p + 1..]),
        None => (s, ""),
    }
}

/// `… from ADDR port N …` or `… ADDR port N …`: the address before ` port `.
fn addr_before_port(s: &str) -> Option<std::net::IpAddr> {
    let p = s.find(" port ")?;
    let head = &s[..p];
    let w = head.rsplit(' ').next()?;
    parse_ip(w)
}

/// An sshd (`sshd`, `sshd-session`) or PAM message. `None`: nothing about a remote source.
pub(crate) fn parse_message<'a>(ident: &str, msg: &'a str, time: Time) -> Option<Auth<'a>> {
    let msg = msg.trim();
    let auth =
        |source, outcome, user: Option<&'a str>, method: Option<&'a str>, service: &str| Auth {
            time,
            source,
            service: Cow::Owned(service.to_string()),
            outcome,
            user: user.filter(|u| !u.is_empty()).map(Cow::Borrowed),
            method: method.map(Cow::Borrowed),
        };
    // PAM, any service: "pam_unix(sshd:auth): authentication failure; … rhost=1.2.3.4  user=root"
    if let Some(p) = msg.find("authentication failure;") {
        let service = msg[..p]
            .split_once('(')
            .and_then(|(_, r)| r.split(':').next())
            .unwrap_or(ident);
        let field = |name: &str| {
            msg[p..]
                .split_ascii_whitespace()
                .find_map(|kv| kv.strip_prefix(name))
        };
        let source = field("rhost=").and_then(parse_ip)?;
        // sshd logs its own "Failed password" line for the same attempt: only a PAM failure
        // of another service is an attempt of its own.
        let outcome = if service.starts_with("sshd") {
            AuthOutcome::Other
        } else {
            AuthOutcome::Failure
        };
        return Some(auth(source, outcome, field("user="), Some("pam"), service));
    }
    if !ident.starts_with("sshd") {
        return None;
    }
    let service = "sshd";
    if let Some(r) = msg
        .strip_prefix("Failed ")
        .or_else(|| msg.strip_prefix("error: maximum authentication attempts exceeded for "))
    {
        let failed = msg.starts_with("Failed ");
        let (method, r) = if failed { word(r) } else { ("", r) };
        let r = r.strip_prefix("for ").unwrap_or(r);
        let r = r.strip_prefix("invalid user ").unwrap_or(r);
        // The user name is everything up to " from " (names may hold spaces in odd probes).
        let (user, tail) = r.rsplit_once(" from ")?;
        let source =
            addr_before_port(&format!("from {tail}")).or_else(|| parse_ip(word(tail).0))?;
        let outcome = if failed {
            AuthOutcome::Failure
        } else {
            AuthOutcome::Other
        };
        return Some(auth(
            source,
            outcome,
            Some(user),
            failed.then_some(method),
            service,
        ));
    }
    if let Some(r) = msg.strip_prefix("Accepted ") {
        let (method, r) = word(r);
        let r = r.strip_prefix("for ")?;
        let (user, tail) = r.rsplit_once(" from ")?;
        return Some(auth(
            parse_ip(word(tail).0)?,
            AuthOutcome::Success,
            Some(user),
            Some(method),
            service,
        ));
    }
    if let Some(r) = msg.strip_prefix("Invalid user ") {
        let (user, tail) = r.rsplit_once(" from ")?;
        return Some(auth(
            parse_ip(word(tail).0)?,
            AuthOutcome::InvalidUser,
            Some(user),
            None,
            service,
        ));
    }
    for (prefix, outcome) in [
        (
            "Did not receive identification string from ",
            AuthOutcome::Probe,
        ),
        ("banner exchange: Connection from ", AuthOutcome::Probe),
        ("Unable to negotiate with ", AuthOutcome::Probe),
        ("Bad protocol version identification", AuthOutcome::Probe),
        ("Protocol major versions differ", AuthOutcome::Probe),
        (
            "Connection closed by authenticating user ",
            AuthOutcome::Other,
        ),
        ("Connection closed by invalid user ", AuthOutcome::Other),
        ("Disconnected from authenticating user ", AuthOutcome::Other),
        ("Disconnected from invalid user ", AuthOutcome::Other),
        ("Connection closed by ", AuthOutcome::Other),
        ("Disconnected from ", AuthOutcome::Other),
        ("Received disconnect from ", AuthOutcome::Other),
        ("Connection reset by ", AuthOutcome::Other),
        ("Connection from ", AuthOutcome::Other),
    ] {
        if let Some(r) = msg.strip_prefix(prefix) {
            let source = addr_before_port(msg)
                .or_else(|| parse_ip(word(r).0))
                .or_else(|| msg.rsplit(' ').find_map(parse_ip))?;
            let user = prefix.ends_with("user ").then(|| word(r).0);
            return Some(auth(source, outcome, user, None, service));
        }
    }
    None
}

/// The same event with owned text (journald messages do not outlive their line's parse).
pub(crate) fn owned(a: Auth<'_>) -> Auth<'static> {
    Auth {
        time: a.time,
        source: a.source,
        service: Cow::Owned(a.service.into_owned()),
        outcome: a.outcome,
        user: a.user.map(|u| Cow::Owned(u.into_owned())),
        method: a.method.map(|m| Cow::Owned(m.into_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(line: &str) -> Auth<'_> {
        match parse(line.as_bytes()) {
            Ok(Some(Record::Auth(a))) => a,
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn sshd_lines() {
        let a = auth("Nov 19 12:00:00 web1 sshd[812]: Failed password for invalid user admin from 203.0.113.5 port 52314 ssh2");
        assert_eq!(
            (a.outcome, a.user.as_deref(), a.method.as_deref()),
            (AuthOutcome::Failure, Some("admin"), Some("password"))
        );
        assert_eq!(a.source, "203.0.113.5".parse::<std::net::IpAddr>().unwrap());
        let a = auth("<38>2024-11-19T12:00:00.5+02:00 web1 sshd-session[9]: Accepted publickey for deploy from 2001:db8::2 port 4 ssh2: ED25519 SHA256:x");
        assert_eq!(
            (a.outcome, a.user.as_deref()),
            (AuthOutcome::Success, Some("deploy"))
        );
        assert_eq!(a.time, Time::Utc(1_732_010_400_500));
        let a = auth("Nov  9 01:02:03 h sshd[1]: Invalid user  from 1.2.3.4 port 5");
        assert_eq!((a.outcome, a.user), (AuthOutcome::InvalidUser, None));
        let a = auth("Nov 19 12:00:00 h sshd[1]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=1.2.3.4  user=root");
        assert_eq!(
            (a.outcome, a.user.as_deref()),
            (AuthOutcome::Other, Some("root"))
        );
        let a = auth("Nov 19 12:00:00 h dovecot: pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot ruser=bob rhost=1.2.3.4");
        assert_eq!(
            (a.outcome, a.service.as_ref()),
            (AuthOutcome::Failure, "dovecot")
        );
        let a = auth("Nov 19 12:00:00 h sshd[1]: banner exchange: Connection from 1.2.3.4 port 5: invalid format");
        assert_eq!(a.outcome, AuthOutcome::Probe);
        let a = auth("Nov 19 12:00:00 h sshd[1]: Connection closed by authenticating user root 1.2.3.4 port 5 [preauth]");
        assert_eq!(
            (a.outcome, a.user.as_deref()),
            (AuthOutcome::Other, Some("root"))
        );
        assert!(matches!(
            parse(b"Nov 19 12:00:00 h CRON[5]: pam_unix(cron:session): session opened"),
            Ok(Some(Record::Other))
        ));
        assert!(matches!(
            parse(b"Nov 19 12:00:00 h sshd[1]: Server listening on 0.0.0.0 port 22."),
            Ok(Some(Record::Other))
        ));
        assert!(matches!(parse(b"hello"), Ok(None)));
    }
}
