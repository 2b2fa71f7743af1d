//! What each request tries: decode the request line's parts and the user agent the way
//! OWASP CRS does ([`decode`]), match lockstep's rule set ([`rules`]), read ModSecurity's
//! verdicts where an audit log gives them, and recognise logins. Stateless: per-source
//! judgements (brute force, floods, forced browsing) are made later, over time
//! ([`crate::behaviour`]).

pub mod decode;
pub mod rules;

use decode::{normalize, Notes, Scratch};
use lockstep_weblog::{Auth, AuthOutcome, Http};
use regex::bytes::{RegexSet, RegexSetBuilder};
use serde::Serialize;
use std::sync::OnceLock;

/// Attack classes, most severe first (the order picks a request's primary class).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// Java injection, Log4Shell-style lookups, OGNL/EL, deserialization gadgets.
    Java,
    /// Remote command execution: shell commands, template injection, shellshock.
    Rce,
    /// PHP code injection, wrappers, configuration overrides, object injection.
    Php,
    Sqli,
    Xss,
    /// Remote file inclusion.
    Rfi,
    /// Path traversal and local file inclusion.
    Lfi,
    /// Credential stuffing, password spraying and brute force.
    Credential,
    /// Scanners and attack tools (user agents, probe paths, forced browsing).
    Scanner,
    /// Protocol anomalies: malformed requests, odd methods, CRLF and NUL injection.
    Protocol,
    /// Request floods.
    Flood,
}

impl Class {
    pub const ALL: [Class; 11] = [
        Class::Java,
        Class::Rce,
        Class::Php,
        Class::Sqli,
        Class::Xss,
        Class::Rfi,
        Class::Lfi,
        Class::Credential,
        Class::Scanner,
        Class::Protocol,
        Class::Flood,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Class::Java => "java",
            Class::Rce => "rce",
            Class::Php => "php",
            Class::Sqli => "sqli",
            Class::Xss => "xss",
            Class::Rfi => "rfi",
            Class::Lfi => "lfi",
            Class::Credential => "credential",
            Class::Scanner => "scanner",
            Class::Protocol => "protocol",
            Class::Flood => "flood",
        }
    }

    pub fn parse(s: &str) -> Option<Class> {
        Class::ALL.into_iter().find(|c| c.name() == s)
    }

    pub fn bit(self) -> u16 {
        1 << self as u16
    }

    /// Whether the class comes from the content of one request (the rest need behaviour
    /// over time: credential, flood).
    pub fn is_content(self) -> bool {
        !matches!(self, Class::Credential | Class::Flood)
    }
}

/// A set of classes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Classes(pub u16);

impl Classes {
    pub fn insert(&mut self, c: Class) {
        self.0 |= c.bit();
    }
    pub fn contains(self, c: Class) -> bool {
        self.0 & c.bit() != 0
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub fn iter(self) -> impl Iterator<Item = Class> {
        Class::ALL.into_iter().filter(move |c| self.contains(*c))
    }
    /// The most severe class.
    pub fn primary(self) -> Option<Class> {
        self.iter().next()
    }
    /// `sqli;xss`, most severe first.
    pub fn names(self) -> String {
        self.iter().map(Class::name).collect::<Vec<_>>().join(";")
    }
}

/// A login attempt seen in an access or auth log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Login {
    Failure,
    Success,
    /// A request to a login endpoint whose status does not say (a form that re-renders).
    Unknown,
}

/// What one request or auth event tries.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Verdict {
    pub classes: Classes,
    /// The first matching rule of the primary class: `sqli-union-select`, `crs:942100`.
    pub rule: Option<String>,
    /// The decoded value that matched (at most 120 characters).
    pub evidence: String,
    /// A hash of the payload's shape (digits folded), so one tool's variants meet.
    pub payload: u64,
    pub login: Option<Login>,
}

/// Values longer than this are inspected on their first 8 KB only (bounded work).
const MAX_VALUE: usize = 8192;
/// Query parameters inspected per request.
const MAX_PARAMS: usize = 128;
const EVIDENCE_CHARS: usize = 120;

struct LocationSet {
    set: RegexSet,
    /// Index into the rule list for each pattern of `set`.
    rule: Vec<usize>,
}

/// The compiled rule set (built once per process).
pub struct RuleSet {
    rules: Vec<rules::Rule>,
    locations: Vec<(u8, LocationSet)>,
    login_path: regex::bytes::Regex,
    password_param: regex::bytes::Regex,
}

impl RuleSet {
    pub fn get() -> &'static RuleSet {
        static SET: OnceLock<RuleSet> = OnceLock::new();
        SET.get_or_init(RuleSet::build)
    }

    fn build() -> RuleSet {
        let rules = rules::all();
        let locations = [
            rules::PATH,
            rules::ARG,
            rules::KEY,
            rules::UA,
            rules::REFERER,
            rules::PAIR,
        ]
        .into_iter()
        .map(|loc| {
            let idx: Vec<usize> = (0..rules.len())
                .filter(|&i| rules[i].at & loc != 0)
                .collect();
            let set = RegexSetBuilder::new(idx.iter().map(|&i| rules[i].pattern))
                .unicode(false)
                .size_limit(256 << 20)
                .dfa_size_limit(64 << 20)
                .build()
                .unwrap_or_else(|e| panic!("built-in rule set does not compile: {e}"));
            (loc, LocationSet { set, rule: idx })
        })
        .collect();
        let re = |p: &str| {
            regex::bytes::RegexBuilder::new(p)
                .unicode(false)
                .build()
                .unwrap_or_else(|e| panic!("built-in pattern does not compile: {e}"))
        };
        RuleSet {
            rules,
            locations,
            login_path: re(
                r"(?:^|/)(?:login|signin|sign-in|sign_in|logon|log-in|log_in|auth|authenticate|authentication|session|sessions|wp-login\.php|xmlrpc\.php|j_security_check|token|oauth2?/token|connect/token|admin/login|administrator/index\.php|user/login|users/sign_in|account/login|accounts/login|login\.php|login\.aspx|login\.jsp|auth/login|api/(?:v\d+/)?(?:login|auth|token|session|signin)|cas/login|sso/login|adfs/ls|owa/auth\.owa|remote/logincheck|dana-na/auth|logincheck)(?:/|$|\.\w+$|;)",
            ),
            password_param: re(
                r"(?:^|&)(?:pass|password|passwd|pwd|pass_word|passwort|parola|j_password|login_password)=",
            ),
        }
    }

    /// Number of rules (for the docs and the manifest).
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    fn location(&self, loc: u8) -> &LocationSet {
        self.locations
            .iter()
            .find(|(l, _)| *l == loc)
            .map_or(&self.locations[0].1, |(_, s)| s)
    }
}

/// Per-thread buffers for classification.
#[derive(Default)]
pub struct Classifier {
    scratch: Scratch,
    value: Vec<u8>,
    hits: Vec<usize>,
}

fn skeleton(class: Class, rule: &str, v: &[u8]) -> u64 {
    let mut s = Vec::with_capacity(64);
    s.extend_from_slice(class.name().as_bytes());
    s.push(b':');
    s.extend_from_slice(rule.as_bytes());
    s.push(b':');
    let mut prev_digit = false;
    for &c in v.iter().take(96) {
        if c.is_ascii_digit() {
            if !prev_digit {
                s.push(b'0');
            }
            prev_digit = true;
        } else {
            s.push(c);
            prev_digit = false;
        }
    }
    xxhash_rust::xxh3::xxh3_64(&s)
}

const METHODS: &[&str] = &[
    "GET",
    "HEAD",
    "POST",
    "PUT",
    "DELETE",
    "OPTIONS",
    "PATCH",
    "PROPFIND",
    "PROPPATCH",
    "MKCOL",
    "COPY",
    "MOVE",
    "LOCK",
    "UNLOCK",
    "REPORT",
    "SEARCH",
    "MKCALENDAR",
];
const PROTOCOLS: &[&str] = &[
    "HTTP/1.0", "HTTP/1.1", "HTTP/2", "HTTP/2.0", "HTTP/3", "HTTP/3.0", "HTTP/0.9",
];

impl Classifier {
    /// Runs the rules of `loc` on `raw` after decoding; records matches in `v`.
    fn inspect(
        &mut self,
        rs: &RuleSet,
        loc: u8,
        raw: &[u8],
        plus: bool,
        v: &mut Verdict,
        notes: &mut Notes,
    ) {
        let raw = &raw[..raw.len().min(MAX_VALUE)];
        normalize(raw, plus, &mut self.scratch, &mut self.value, notes);
        self.match_value(rs, loc, v);
    }

    fn match_value(&mut self, rs: &RuleSet, loc: u8, v: &mut Verdict) {
        let ls = rs.location(loc);
        if self.value.is_empty() || !ls.set.is_match(&self.value) {
            return;
        }
        self.hits.clear();
        self.hits
            .extend(ls.set.matches(&self.value).iter().map(|k| ls.rule[k]));
        for &i in &self.hits {
            let r = &rs.rules[i];
            let before = v.classes.primary();
            v.classes.insert(r.class);
            if before.is_none_or(|b| r.class < b) {
                v.rule = Some(r.name.to_string());
                v.payload = skeleton(r.class, r.name, &self.value);
                let text = String::from_utf8_lossy(&self.value);
                v.evidence = text.chars().take(EVIDENCE_CHARS).collect();
            }
        }
    }

    /// Classifies one HTTP request by its content.
    pub fn http(&mut self, h: &Http<'_>) -> Verdict {
        let rs = RuleSet::get();
        let mut v = Verdict::default();
        let mut notes = Notes::default();
        let target = h.target.as_bytes();
        let (path, query) = match memchr::memchr(b'?', target) {
            Some(p) => (&target[..p], &target[p + 1..]),
            None => (target, &b""[..]),
        };
        self.inspect(rs, rules::PATH, path, false, &mut v, &mut notes);
        let path_norm = std::mem::take(&mut self.value);
        for pair in query.split(|&b| b == b'&').take(MAX_PARAMS) {
            if pair.is_empty() {
                continue;
            }
            let (key, val) = match memchr::memchr(b'=', pair) {
                Some(p) => (&pair[..p], &pair[p + 1..]),
                None => (pair, &b""[..]),
            };
            self.inspect(rs, rules::KEY, key, true, &mut v, &mut notes);
            if !val.is_empty() {
                self.inspect(rs, rules::ARG, val, true, &mut v, &mut notes);
                if memchr::memmem::find(&self.value, b"://").is_some()
                    || memchr::memmem::find(val, b"%3a").is_some()
                {
                    let mut pair_norm = Vec::new();
                    let mut n2 = Notes::default();
                    normalize(key, true, &mut self.scratch, &mut pair_norm, &mut n2);
                    pair_norm.push(b'=');
                    pair_norm.extend_from_slice(&self.value);
                    self.value = pair_norm;
                    self.match_value(rs, rules::PAIR, &mut v);
                }
            }
        }
        // HTML entities split by `&`: the query is also inspected whole.
        if memchr::memmem::find(query, b"&#").is_some()
            || memchr::memmem::find(query, b"&lt").is_some()
        {
            self.inspect(rs, rules::ARG, query, true, &mut v, &mut notes);
        }
        if let Some(ua) = &h.user_agent {
            self.inspect(rs, rules::UA, ua.as_bytes(), false, &mut v, &mut notes);
        }
        if let Some(r) = &h.referer {
            self.inspect(rs, rules::REFERER, r.as_bytes(), false, &mut v, &mut notes);
        }
        // Protocol anomalies that need no pattern.
        let anomaly = |v: &mut Verdict, rule: &str, what: &str| {
            if v.classes.is_empty() {
                v.rule = Some(rule.to_string());
                v.evidence = what.chars().take(EVIDENCE_CHARS).collect();
                v.payload = skeleton(Class::Protocol, rule, b"");
            }
            v.classes.insert(Class::Protocol);
        };
        if let Some(m) = h.malformed {
            anomaly(&mut v, "protocol-malformed-request", m);
        } else {
            if !METHODS.contains(&h.method.as_ref()) {
                anomaly(&mut v, "protocol-method", &h.method);
            }
            let t = h.target.as_ref();
            if !(t.starts_with('/') || t == "*") {
                anomaly(&mut v, "protocol-proxy-request", t);
            }
            if !h.protocol.is_empty() && !PROTOCOLS.contains(&h.protocol.as_ref()) {
                anomaly(&mut v, "protocol-version", &h.protocol);
            }
        }
        if notes.nul {
            anomaly(&mut v, "protocol-null-byte", "NUL byte in the request");
        }
        // WAF verdicts.
        for m in &h.waf {
            if let Some(c) = waf_class(m.rule, &m.tags) {
                let before = v.classes.primary();
                v.classes.insert(c);
                let name = format!("crs:{}", m.rule);
                if before.is_none_or(|b| c < b)
                    || v.rule.as_deref().is_none_or(|r| !r.starts_with("crs:")) && before == Some(c)
                {
                    v.rule = Some(name.clone());
                    if v.evidence.is_empty() {
                        v.evidence = m.message.chars().take(EVIDENCE_CHARS).collect();
                    }
                    if v.payload == 0 {
                        v.payload = skeleton(c, &name, b"");
                    }
                }
            }
        }
        // Logins.
        let is_login_path = rs.login_path.is_match(&path_norm);
        let has_password =
            !query.is_empty() && rs.password_param.is_match(&query.to_ascii_lowercase());
        let basic_auth_failure = h.status == 401 && h.user.is_some();
        if (is_login_path && matches!(h.method.as_ref(), "POST" | "PUT"))
            || has_password
            || basic_auth_failure
        {
            v.login = Some(match h.status {
                401 | 403 | 429 => Login::Failure,
                300..=399 => Login::Success,
                200 if path_norm.ends_with(b"wp-login.php")
                    || path_norm.ends_with(b"xmlrpc.php") =>
                {
                    Login::Failure
                }
                _ => Login::Unknown,
            });
        }
        self.value = path_norm;
        v
    }

    /// Classifies one authentication event.
    pub fn auth(&mut self, a: &Auth<'_>) -> Verdict {
        let mut v = Verdict::default();
        match a.outcome {
            AuthOutcome::Failure => v.login = Some(Login::Failure),
            AuthOutcome::Success => v.login = Some(Login::Success),
            AuthOutcome::Probe => {
                v.classes.insert(Class::Scanner);
                v.rule = Some("scanner-ssh-probe".into());
                v.evidence = format!("{} pre-authentication probe", a.service);
                v.payload = skeleton(Class::Scanner, "scanner-ssh-probe", a.service.as_bytes());
            }
            AuthOutcome::InvalidUser | AuthOutcome::Other => {}
        }
        v
    }
}

/// The class of a ModSecurity (CRS) rule, by its `attack-*` tag or its id range.
pub fn waf_class(rule: u32, tags: &[String]) -> Option<Class> {
    for t in tags {
        let c = match t.as_str() {
            "attack-sqli" => Class::Sqli,
            "attack-xss" => Class::Xss,
            "attack-lfi" => Class::Lfi,
            "attack-rfi" => Class::Rfi,
            "attack-rce" => Class::Rce,
            "attack-injection-php" => Class::Php,
            "attack-injection-java" => Class::Java,
            "attack-reputation-scanner" => Class::Scanner,
            "attack-protocol" | "attack-fixation" | "attack-multipart" => Class::Protocol,
            _ => continue,
        };
        return Some(c);
    }
    Some(match rule / 1000 {
        911 | 920 | 921 | 922 | 943 => Class::Protocol,
        913 => Class::Scanner,
        930 => Class::Lfi,
        931 => Class::Rfi,
        932 | 934 => Class::Rce,
        933 => Class::Php,
        941 => Class::Xss,
        942 => Class::Sqli,
        944 => Class::Java,
        _ => return None,
    })
}

#[cfg(test)]
mod tests;
