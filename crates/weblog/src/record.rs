//! What a log line becomes: an HTTP request, an authentication event, or a recognised line
//! that carries neither (another program's syslog line).

use crate::time::Time;
use std::borrow::Cow;
use std::net::IpAddr;

/// One log line's content.
#[derive(Debug, Clone, PartialEq)]
pub enum Record<'a> {
    Http(Http<'a>),
    Auth(Auth<'a>),
    /// A well-formed line with nothing to analyse (a cron line in auth.log); counted as
    /// accepted, so `read = accepted + quarantined` still holds.
    Other,
}

/// The line format a record came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LineFormat {
    /// nginx/Apache combined (with or without a virtual host prefix and trailing fields).
    Combined,
    /// Common Log Format (no referer or user agent).
    Common,
    /// JSON access logs: nginx `escape=json`, Caddy, Traefik, ALB/CloudFront-style names.
    JsonAccess,
    /// ModSecurity 2 or 3 JSON audit log.
    ModSecurity,
    /// sshd/PAM lines in BSD or RFC 3339 syslog form.
    Syslog,
    /// `journalctl -o json`.
    Journald,
}

impl LineFormat {
    pub fn name(self) -> &'static str {
        match self {
            LineFormat::Combined => "combined",
            LineFormat::Common => "common",
            LineFormat::JsonAccess => "json-access",
            LineFormat::ModSecurity => "modsecurity-json",
            LineFormat::Syslog => "syslog",
            LineFormat::Journald => "journald-json",
        }
    }
    pub const ALL: [LineFormat; 6] = [
        LineFormat::Combined,
        LineFormat::Common,
        LineFormat::JsonAccess,
        LineFormat::ModSecurity,
        LineFormat::Syslog,
        LineFormat::Journald,
    ];
}

/// An HTTP request as a web server or WAF logged it. Text is borrowed from the line where
/// it needed no unescaping.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Http<'a> {
    pub time: i64,
    /// The client: the direct peer, or the address a trusted proxy forwarded for.
    pub source: Option<IpAddr>,
    pub method: Cow<'a, str>,
    /// The request target as sent (path and query, still percent-encoded).
    pub target: Cow<'a, str>,
    pub protocol: Cow<'a, str>,
    pub status: u16,
    pub bytes: u64,
    pub host: Option<Cow<'a, str>>,
    /// The authenticated user (`%u`, `$remote_user`), when any.
    pub user: Option<Cow<'a, str>>,
    pub referer: Option<Cow<'a, str>>,
    pub user_agent: Option<Cow<'a, str>>,
    /// Request duration in milliseconds, when logged.
    pub duration_ms: Option<u32>,
    /// TLS client fingerprint (JA4 preferred, else JA3), when logged.
    pub tls: Option<Cow<'a, str>>,
    /// Request header names in the order the client sent them, comma-separated, lowercase.
    pub header_order: Option<String>,
    /// ModSecurity rule matches (audit logs).
    pub waf: Vec<WafMatch>,
    /// What was wrong with the request line itself, for records that still carry a request
    /// (a TLS handshake sent to a plain-HTTP port, a request line with raw binary bytes).
    pub malformed: Option<&'static str>,
}

/// One ModSecurity rule that matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WafMatch {
    pub rule: u32,
    /// `attack-sqli`-style tags, lowercase.
    pub tags: Vec<String>,
    pub message: String,
}

/// What an authentication line says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AuthOutcome {
    /// A failed login (password, key, keyboard-interactive…), one per attempt.
    Failure,
    Success,
    /// A connection naming a user that does not exist (sshd logs it beside the failure).
    InvalidUser,
    /// Pre-authentication probing: no identification string, bad banner, no common key
    /// exchange — scanners and banner grabbers.
    Probe,
    /// Anything else from the source (disconnects, PAM summaries of failures already counted).
    Other,
}

impl AuthOutcome {
    pub fn name(self) -> &'static str {
        match self {
            AuthOutcome::Failure => "failure",
            AuthOutcome::Success => "success",
            AuthOutcome::InvalidUser => "invalid_user",
            AuthOutcome::Probe => "probe",
            AuthOutcome::Other => "other",
        }
    }
}

/// An authentication event (sshd, or any PAM service that logs the remote host).
#[derive(Debug, Clone, PartialEq)]
pub struct Auth<'a> {
    pub time: Time,
    pub source: IpAddr,
    /// `sshd`, or the PAM service name.
    pub service: Cow<'a, str>,
    pub outcome: AuthOutcome,
    pub user: Option<Cow<'a, str>>,
    /// `password`, `publickey`, `keyboard-interactive/pam`, …
    pub method: Option<Cow<'a, str>>,
}

/// Parses an address as logs write it: plain, bracketed (`[2001:db8::1]`), with a port
/// (`1.2.3.4:5678`, `[::1]:443`), with an IPv6 zone id (`fe80::1%eth0`, dropped: a zone
/// names an interface on the logging host, not a different peer). IPv4-mapped IPv6 becomes
/// IPv4.
pub fn parse_ip(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    if s.is_empty() || s.len() > 64 {
        return None;
    }
    let s = if let Some(rest) = s.strip_prefix('[') {
        &rest[..rest.find(']')?]
    } else if s.matches(':').count() == 1 {
        // IPv4 with a port.
        &s[..s.find(':')?]
    } else {
        s
    };
    let s = s.split('%').next().unwrap_or(s);
    let ip: IpAddr = s.parse().ok()?;
    Some(ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        let v4: IpAddr = "1.2.3.4".parse().unwrap();
        for s in [
            "1.2.3.4",
            " 1.2.3.4",
            "1.2.3.4:80",
            "::ffff:1.2.3.4",
            "[::ffff:1.2.3.4]:9",
        ] {
            assert_eq!(parse_ip(s), Some(v4), "{s}");
        }
        let v6: IpAddr = "fe80::1".parse().unwrap();
        for s in [
            "fe80::1",
            "fe80::1%eth0",
            "[fe80::1%25eth0]:443",
            "[fe80::1]",
        ] {
            assert_eq!(parse_ip(s), Some(v6), "{s}");
        }
        for s in ["", "-", "example.com", "1.2.3", "[::1", "999.1.1.1"] {
            assert_eq!(parse_ip(s), None, "{s}");
        }
    }
}
