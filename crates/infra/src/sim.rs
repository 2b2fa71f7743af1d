//! `lockstep infra simulate`: an election authority's web sites and SSH bastion over two
//! days, written as nginx combined logs (virtual-host prefix) and an sshd syslog, with the
//! ground truth of every source (`truth.csv`: `source,campaign,role`) and of every attack
//! request (`requests.csv`: `file,line,class`).
//!
//! Who is in it: organic visitors (sessions of pages and their assets on a daily rhythm, a
//! crowd refreshing the results page on election night, searches in Romanian and English,
//! staff logging in and sometimes mistyping), search-engine crawlers (several addresses
//! each, a few dead links), uptime monitors (one request a minute from several places, on
//! one clock), lone noisy scanners (each its own tool, wordlist and pace) and, planted:
//! a distributed credential-stuffing botnet (each address a few logins an hour), a
//! coordinated injection campaign from a residential-proxy pool (each address a handful
//! of SQLi/XSS/LFI attempts an hour, one tool's payload families), an SSH password-spraying
//! botnet, and a flood on the results page. Shapes are drawn from the seed: tests vary it.

use crate::InfraError;
use clap::Args;
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;
use serde::Serialize;
use std::io::Write;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

#[derive(Args, Debug, Clone, Serialize)]
pub struct SimArgs {
    /// Output folder (logs/ and truth.csv go there).
    #[arg(long, short)]
    pub out: PathBuf,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// About this many log lines in all (organic traffic scales; campaigns keep their size).
    #[arg(long, default_value_t = 1_000_000)]
    pub lines: u64,
    /// Hours simulated (the election night falls at 80 % of the span).
    #[arg(long, default_value_t = 48)]
    pub hours: u32,
    /// Addresses of the credential-stuffing botnet.
    #[arg(long, default_value_t = 1500)]
    pub stuffing_sources: u32,
    /// Addresses of the injection campaign's proxy pool.
    #[arg(long, default_value_t = 2000)]
    pub injection_sources: u32,
    /// Attempts per hour of each campaign address (stuffing and injection).
    #[arg(long, default_value_t = 3.0)]
    pub campaign_rate: f64,
    /// Addresses flooding the results page.
    #[arg(long, default_value_t = 300)]
    pub flood_sources: u32,
    /// Lone noisy scanners.
    #[arg(long, default_value_t = 25)]
    pub scanners: u32,
    /// Compress the logs with gzip.
    #[arg(long)]
    pub gzip: bool,
}

impl SimArgs {
    pub fn new(out: PathBuf) -> SimArgs {
        SimArgs {
            out,
            seed: 1,
            lines: 1_000_000,
            hours: 48,
            stuffing_sources: 1500,
            injection_sources: 2000,
            campaign_rate: 3.0,
            flood_sources: 300,
            scanners: 25,
            gzip: false,
        }
    }
}

const START_MS: i64 = 1_732_006_800_000; // 2024-11-19T09:00:00Z

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Organic,
    Staff,
    Crawler(u8),
    Monitor,
    Scanner(u8),
    Stuffing,
    Injection,
    Ssh,
    Flood,
}

struct Actor {
    ip: String,
    kind: Kind,
    ua: String,
    /// Organic: sessions per hour at the daily peak. Others: their own rate.
    rate: f64,
    start: f64,
    end: f64,
    phase: f64,
}

const SITES: [&str; 3] = ["bec.ro", "roaep.ro", "prezenta.roaep.ro"];
const BROWSERS: [&str; 8] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.39 Mobile Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (Linux; Android 13; Redmi Note 12) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
];
const CRAWLERS: [(&str, [u8; 2]); 3] = [
    (
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        [66, 249],
    ),
    (
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        [157, 55],
    ),
    (
        "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
        [5, 255],
    ),
];
const SCANNER_UAS: [&str; 10] = [
    "Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:000001)",
    "sqlmap/1.8.2#stable (https://sqlmap.org)",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/87.0.4280.88 Safari/537.36 nuclei",
    "gobuster/3.6",
    "Fuzz Faster U Fool v2.1.0",
    "Mozilla/5.0 zgrab/0.x",
    "WPScan v3.8.25 (https://wpscan.com/wordpress-security-scanner)",
    "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)",
    "masscan/1.3 (https://github.com/robertdavidgraham/masscan)",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0 Safari/537.36",
];
const PAGES: [&str; 12] = [
    "/",
    "/rezultate",
    "/prezenta",
    "/stiri",
    "/comunicate",
    "/sectii",
    "/candidati",
    "/legislatie",
    "/contact",
    "/despre",
    "/rezultate/judete",
    "/diaspora",
];
const WORDS: [&str; 24] = [
    "rezultate",
    "prezența",
    "secția",
    "votare",
    "buletin",
    "ștampilă",
    "diaspora",
    "turul",
    "candidat",
    "București",
    "Cluj",
    "Iași",
    "Timișoara",
    "Constanța",
    "Brașov",
    "O'Neill",
    "\"vot nul\"",
    "when",
    "results",
    "polling",
    "station",
    "and",
    "or",
    "select",
];
const PROBES: [&str; 30] = [
    "/.env",
    "/.git/config",
    "/wp-login.php",
    "/wp-admin/",
    "/phpmyadmin/",
    "/admin.php",
    "/config.php.bak",
    "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php",
    "/server-status",
    "/actuator/env",
    "/.aws/credentials",
    "/backup.zip",
    "/db.sql",
    "/cgi-bin/luci",
    "/HNAP1/",
    "/xmlrpc.php",
    "/.DS_Store",
    "/owa/auth/logon.aspx",
    "/solr/admin/info/system",
    "/manager/html",
    "/_ignition/execute-solution",
    "/telescope/requests",
    "/api/v1/pods",
    "/console/",
    "/info.php",
    "/test.php",
    "/shell.php",
    "/.svn/entries",
    "/web.config",
    "/boaform/admin/formLogin",
];
const SQLI: [&str; 8] = [
    "1' OR '1'='1",
    "1 UNION ALL SELECT NULL,NULL,CONCAT(0x71,user(),0x71)--",
    "1' AND SLEEP(5)-- -",
    "1) AND 8412=8412 AND (5563=5563",
    "-1' UNION SELECT table_name FROM information_schema.tables--",
    "1'; DROP TABLE users--",
    "1' AND extractvalue(1,concat(0x7e,version()))--",
    "admin'--",
];
const XSS: [&str; 6] = [
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(document.domain)>",
    "<svg/onload=confirm(1)>",
    "javascript:alert(document.cookie)",
    "'\"><iframe src=javascript:alert(1)>",
    "<body onload=prompt(1)>",
];
const LFI: [&str; 5] = [
    "../../../../etc/passwd",
    "..%2f..%2f..%2f..%2fetc%2fpasswd",
    "....//....//....//etc/passwd",
    "/etc/passwd%00",
    "..\\..\\..\\windows\\win.ini",
];
const USERS: [&str; 12] = [
    "root", "admin", "ubuntu", "test", "oracle", "postgres", "user", "git", "deploy", "pi",
    "ftpuser", "support",
];

fn pct(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else if b == b' ' {
            out.push('+');
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn clf_time(ms: i64) -> String {
    // 19/Nov/2024:09:00:00 +0000
    let t = lockstep_core::format_time(ms.div_euclid(1000) * 1000);
    let (y, mo, d, hms) = (&t[0..4], &t[5..7], &t[8..10], &t[11..19]);
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let m = months[mo.parse::<usize>().unwrap_or(1).clamp(1, 12) - 1];
    format!("{d}/{m}/{y}:{hms} +0000")
}

fn syslog_time(ms: i64) -> String {
    let t = lockstep_core::format_time(ms.div_euclid(1000) * 1000);
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let m = months[t[5..7].parse::<usize>().unwrap_or(1).clamp(1, 12) - 1];
    let d: u32 = t[8..10].parse().unwrap_or(1);
    format!("{m} {d:>2} {}", &t[11..19])
}

struct Line {
    time: i64,
    file: u8,
    text: String,
    /// What the request is (`sqli`, `credential`, …; empty for benign): `requests.csv`.
    class: &'static str,
}

impl Line {
    fn class(mut self, class: &'static str) -> Line {
        self.class = class;
        self
    }
}

#[allow(clippy::too_many_arguments)]
fn access(
    site: &str,
    ip: &str,
    ms: i64,
    method: &str,
    target: &str,
    status: u16,
    bytes: u32,
    referer: &str,
    ua: &str,
    rt: f64,
) -> Line {
    let file = SITES.iter().position(|s| *s == site).unwrap_or(0) as u8;
    let text = format!(
        "{site}:443 {ip} - - [{}] \"{method} {target} HTTP/1.1\" {status} {bytes} \"{referer}\" \"{ua}\" {rt:.3}",
        clf_time(ms)
    );
    Line {
        time: ms,
        file,
        text,
        class: "",
    }
}

/// Daily rhythm: quiet at night, peaks in the evening (UTC+2 local time).
fn diurnal(hour_of_day: f64) -> f64 {
    let local = (hour_of_day + 2.0) % 24.0;
    0.15 + 0.85 * (0.5 - 0.5 * ((local - 3.0) / 24.0 * std::f64::consts::TAU).cos()).powf(1.5)
}

fn poisson(rng: &mut Pcg64Mcg, mean: f64) -> u32 {
    if mean <= 0.0 {
        return 0;
    }
    if mean > 30.0 {
        let n: f64 = mean
            + mean.sqrt() * (rng.gen::<f64>() + rng.gen::<f64>() + rng.gen::<f64>() - 1.5) * 2.0;
        return n.max(0.0).round() as u32;
    }
    let l = (-mean).exp();
    let (mut k, mut p) = (0u32, 1.0f64);
    loop {
        p *= rng.gen::<f64>();
        if p <= l {
            return k;
        }
        k += 1;
    }
}

/// Summary of what was written.
#[derive(Debug, Serialize)]
pub struct SimSummary {
    pub lines: u64,
    pub sources: usize,
    pub campaigns: Vec<(String, usize)>,
}

pub fn run(a: &SimArgs) -> Result<String, InfraError> {
    let s = simulate(a)?;
    let mut out = format!(
        "simulated {} lines from {} sources into {}\n",
        s.lines,
        s.sources,
        a.out.display()
    );
    for (c, n) in &s.campaigns {
        out.push_str(&format!("  campaign {c:<10} {n} sources\n"));
    }
    out.push_str(&format!(
        "analyse with: lockstep infra {} --out CASE\nscore with:   lockstep infra eval --truth {} --case CASE\n",
        a.out.join("logs").display(),
        a.out.join("truth.csv").display()
    ));
    Ok(out)
}

fn ip_in(rng: &mut Pcg64Mcg, first: [u8; 2]) -> String {
    Ipv4Addr::new(first[0], first[1], rng.gen(), rng.gen_range(1..255)).to_string()
}

pub fn simulate(a: &SimArgs) -> Result<SimSummary, InfraError> {
    let io = |p: &Path, e| InfraError::io(p, e);
    let logs = a.out.join("logs");
    std::fs::create_dir_all(&logs).map_err(|e| io(&logs, e))?;
    let mut rng = Pcg64Mcg::seed_from_u64(a.seed ^ 0x5eed_1f2a_u64);
    let hours = a.hours.max(2);
    let night = f64::from(hours) * 0.8;
    let mut actors: Vec<Actor> = Vec::new();
    let mut used = std::collections::HashSet::new();
    let mut fresh = |rng: &mut Pcg64Mcg, prefix: Option<[u8; 2]>| loop {
        let ip = match prefix {
            Some(p) => ip_in(rng, p),
            None => {
                let first = [
                    *[
                        79u8, 86, 89, 93, 109, 188, 5, 31, 46, 82, 95, 176, 178, 185, 212, 213,
                        217, 2, 37, 45,
                    ]
                    .get(rng.gen_range(0..20))
                    .unwrap_or(&79),
                    rng.gen(),
                ];
                ip_in(rng, first)
            }
        };
        if used.insert(ip.clone()) {
            return ip;
        }
    };
    // Campaign sizes are fixed; organic visitors fill the line budget.
    let campaign_lines =
        f64::from(a.stuffing_sources + a.injection_sources) * a.campaign_rate * f64::from(hours)
            + f64::from(a.flood_sources) * 2.0 * 600.0
            + f64::from(a.scanners) * 3000.0;
    let organic_lines = (a.lines as f64 - campaign_lines).max(a.lines as f64 * 0.5);
    // A visitor makes ~1.6 sessions a day of ~3 pages with ~6 assets each.
    let per_visitor = 1.6 * f64::from(hours) / 24.0 * 3.0 * 7.0 + 25.0;
    let n_org = ((organic_lines / per_visitor) as usize).max(200);
    for _ in 0..n_org {
        let ip = fresh(&mut rng, None);
        actors.push(Actor {
            ip,
            kind: Kind::Organic,
            ua: BROWSERS[rng.gen_range(0..BROWSERS.len())].into(),
            rate: 1.6 / 24.0 / 0.55,
            start: 0.0,
            end: f64::from(hours),
            phase: rng.gen(),
        });
    }
    for _ in 0..(n_org / 400).max(5) {
        let ip = fresh(&mut rng, Some([193, 231]));
        actors.push(Actor {
            ip,
            kind: Kind::Staff,
            ua: BROWSERS[0].into(),
            rate: 0.5,
            start: 0.0,
            end: f64::from(hours),
            phase: rng.gen(),
        });
    }
    for (k, (ua, pre)) in CRAWLERS.iter().enumerate() {
        for _ in 0..8 {
            let ip = fresh(&mut rng, Some(*pre));
            actors.push(Actor {
                ip,
                kind: Kind::Crawler(k as u8),
                ua: (*ua).into(),
                rate: 60.0 + rng.gen::<f64>() * 120.0,
                start: 0.0,
                end: f64::from(hours),
                phase: 0.0,
            });
        }
    }
    for _ in 0..6 {
        let ip = fresh(&mut rng, Some([216, 144]));
        actors.push(Actor {
            ip,
            kind: Kind::Monitor,
            ua: "UptimeRobot/2.0 (http://www.uptimerobot.com/)".into(),
            rate: 60.0,
            start: 0.0,
            end: f64::from(hours),
            phase: rng.gen::<f64>() * 60.0,
        });
    }
    for k in 0..a.scanners {
        let ip = fresh(&mut rng, None);
        let start = rng.gen::<f64>() * f64::from(hours - 1);
        let dur = 0.3 + rng.gen::<f64>() * 2.5;
        actors.push(Actor {
            ip,
            kind: Kind::Scanner(rng.gen_range(0..SCANNER_UAS.len()) as u8),
            ua: String::new(),
            rate: 500.0 + rng.gen::<f64>() * 3000.0,
            start,
            end: (start + dur).min(f64::from(hours)),
            phase: f64::from(k),
        });
    }
    for (kind, n, ua) in [
        (Kind::Stuffing, a.stuffing_sources, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/108.0.0.0 Safari/537.36"),
        (Kind::Injection, a.injection_sources, ""),
    ] {
        for _ in 0..n {
            let ip = fresh(&mut rng, None);
            // Residential proxies come and go: each address is in the pool for a while.
            let start = rng.gen::<f64>() * f64::from(hours) * 0.5;
            let end = (start + f64::from(hours) * (0.4 + rng.gen::<f64>() * 0.6)).min(f64::from(hours));
            actors.push(Actor { ip, kind, ua: ua.into(), rate: a.campaign_rate * (0.6 + rng.gen::<f64>() * 0.8), start, end, phase: rng.gen() });
        }
    }
    for _ in 0..(a.stuffing_sources / 5).max(10) {
        let ip = fresh(&mut rng, None);
        actors.push(Actor {
            ip,
            kind: Kind::Ssh,
            ua: String::new(),
            rate: 2.0 + rng.gen::<f64>() * 2.0,
            start: 0.0,
            end: f64::from(hours),
            phase: rng.gen(),
        });
    }
    for _ in 0..a.flood_sources {
        let ip = fresh(&mut rng, None);
        actors.push(Actor {
            ip,
            kind: Kind::Flood,
            ua: BROWSERS[rng.gen_range(0..3)].into(),
            rate: 1.0 + rng.gen::<f64>() * 3.0,
            start: night,
            end: night + 10.0 / 60.0,
            phase: 0.0,
        });
    }
    // truth.csv
    {
        let p = a.out.join("truth.csv");
        let mut t = String::from("source,campaign,role\n");
        for x in &actors {
            let (campaign, role) = match x.kind {
                Kind::Organic => ("", "organic"),
                Kind::Staff => ("", "staff"),
                Kind::Crawler(_) => ("", "crawler"),
                Kind::Monitor => ("", "monitor"),
                Kind::Scanner(_) => ("", "scanner"),
                Kind::Stuffing => ("stuffing", "bot"),
                Kind::Injection => ("injection", "proxy"),
                Kind::Ssh => ("ssh_spray", "bot"),
                Kind::Flood => ("flood", "bot"),
            };
            t.push_str(&format!("{},{campaign},{role}\n", x.ip));
        }
        std::fs::write(&p, t).map_err(|e| io(&p, e))?;
    }
    // Logs, an hour at a time (memory stays at one hour's lines).
    let ext = if a.gzip { ".log.gz" } else { ".log" };
    let mut names: Vec<PathBuf> = SITES
        .iter()
        .map(|s| logs.join(format!("access-{s}{ext}")))
        .collect();
    names.push(logs.join(format!("auth{ext}")));
    let mut files: Vec<Box<dyn Write>> = Vec::new();
    for n in &names {
        let f = std::fs::File::create(n).map_err(|e| io(n, e))?;
        let w = std::io::BufWriter::with_capacity(1 << 20, f);
        files.push(if a.gzip {
            Box::new(flate2::write::GzEncoder::new(
                w,
                flate2::Compression::fast(),
            ))
        } else {
            Box::new(w)
        });
    }
    // requests.csv: the true class of every attack line (file, 1-based line, class).
    let requests_path = a.out.join("requests.csv");
    let mut requests = std::io::BufWriter::new(
        std::fs::File::create(&requests_path).map_err(|e| io(&requests_path, e))?,
    );
    writeln!(requests, "file,line,class").map_err(|e| io(&requests_path, e))?;
    let file_names: Vec<String> = names
        .iter()
        .map(|n| {
            n.file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let mut line_no = vec![0u64; names.len()];
    let mut total = 0u64;
    let mut scan_counter = vec![0usize; actors.len()];
    for h in 0..hours {
        let mut lines: Vec<Line> = Vec::new();
        let h0 = START_MS + i64::from(h) * 3_600_000;
        let hf = f64::from(h);
        for (ai, x) in actors.iter().enumerate() {
            if hf + 1.0 <= x.start || hf >= x.end {
                continue;
            }
            let mut r = Pcg64Mcg::seed_from_u64(
                a.seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ ((ai as u64) << 20) ^ u64::from(h),
            );
            let lo = ((x.start - hf).max(0.0) * 3_600_000.0) as i64;
            let hi = ((x.end - hf).min(1.0) * 3_600_000.0) as i64;
            let at = |r: &mut Pcg64Mcg| h0 + r.gen_range(lo..hi.max(lo + 1));
            match x.kind {
                Kind::Organic | Kind::Staff => {
                    let surge = if (hf - night).abs() < 1.5 { 3.0 } else { 1.0 };
                    let n = poisson(&mut r, x.rate * diurnal(hf % 24.0 + 9.0) * surge);
                    for _ in 0..n {
                        let site = SITES[r.gen_range(0..3)];
                        let mut t = at(&mut r);
                        for _ in 0..r.gen_range(1..6) {
                            let page = if surge > 1.0 && r.gen_bool(0.6) {
                                "/rezultate".to_string()
                            } else {
                                match r.gen_range(0..10) {
                                    0 => format!(
                                        "/cautare?q={}",
                                        pct(&(0..r.gen_range(1..4))
                                            .map(|_| WORDS[r.gen_range(0..WORDS.len())])
                                            .collect::<Vec<_>>()
                                            .join(" "))
                                    ),
                                    1 => format!(
                                        "/stiri/2024/11/{}/comunicat-{}",
                                        r.gen_range(10..25),
                                        r.gen_range(1..400)
                                    ),
                                    2 => format!(
                                        "/sectii?judet={}&sectie={}",
                                        pct(WORDS[r.gen_range(9..15)]),
                                        r.gen_range(1..900)
                                    ),
                                    _ => PAGES[r.gen_range(0..PAGES.len())].to_string(),
                                }
                            };
                            let status = if r.gen_bool(0.01) { 404 } else { 200 };
                            lines.push(access(
                                site,
                                &x.ip,
                                t,
                                "GET",
                                &page,
                                status,
                                r.gen_range(2000..40000),
                                "https://www.google.com/",
                                &x.ua,
                                0.05,
                            ));
                            for k in 0..r.gen_range(3..9) {
                                let asset = match k % 4 {
                                    0 => "/static/css/app.3f2a9c.css".to_string(),
                                    1 => "/static/js/main.8e1b4d.js".to_string(),
                                    2 => format!("/static/img/logo{}.png", k % 3),
                                    _ => "/favicon.ico".to_string(),
                                };
                                lines.push(access(
                                    site,
                                    &x.ip,
                                    t + 200 + k * 40,
                                    "GET",
                                    &asset,
                                    200,
                                    5000,
                                    &format!(
                                        "https://{site}{}",
                                        page.split('?').next().unwrap_or("/")
                                    ),
                                    &x.ua,
                                    0.01,
                                ));
                            }
                            if surge > 1.0 && page == "/rezultate" {
                                // Refreshing the results.
                                for _ in 0..r.gen_range(0..6) {
                                    t += r.gen_range(20_000..90_000);
                                    lines.push(access(
                                        site,
                                        &x.ip,
                                        t,
                                        "GET",
                                        "/rezultate",
                                        200,
                                        30000,
                                        "-",
                                        &x.ua,
                                        0.08,
                                    ));
                                }
                            }
                            t += r.gen_range(5_000..120_000);
                        }
                        if x.kind == Kind::Staff {
                            let fails = if r.gen_bool(0.2) {
                                r.gen_range(1..3)
                            } else {
                                0
                            };
                            for k in 0..=fails {
                                let status = if k < fails { 401 } else { 302 };
                                lines.push(access(
                                    "bec.ro",
                                    &x.ip,
                                    t + i64::from(k) * 8000,
                                    "POST",
                                    "/login",
                                    status,
                                    500,
                                    "https://bec.ro/login",
                                    &x.ua,
                                    0.2,
                                ));
                            }
                        }
                    }
                }
                Kind::Crawler(_) => {
                    let n = poisson(&mut r, x.rate);
                    for _ in 0..n {
                        let page = match r.gen_range(0..4) {
                            0 => format!(
                                "/stiri/2024/11/{}/comunicat-{}",
                                r.gen_range(1..25),
                                r.gen_range(1..2000)
                            ),
                            1 => "/robots.txt".to_string(),
                            2 => format!("/sectii?judet={}", pct(WORDS[r.gen_range(9..15)])),
                            _ => PAGES[r.gen_range(0..PAGES.len())].to_string(),
                        };
                        let status = if r.gen_bool(0.02) { 404 } else { 200 };
                        lines.push(access(
                            SITES[r.gen_range(0..3)],
                            &x.ip,
                            at(&mut r),
                            "GET",
                            &page,
                            status,
                            9000,
                            "-",
                            &x.ua,
                            0.03,
                        ));
                    }
                }
                Kind::Monitor => {
                    for m in 0..60 {
                        let t = h0 + m * 60_000 + (x.phase * 1000.0) as i64 + r.gen_range(0..800);
                        lines.push(access(
                            SITES[(m % 3) as usize],
                            &x.ip,
                            t,
                            "GET",
                            "/health",
                            200,
                            2,
                            "-",
                            &x.ua,
                            0.002,
                        ));
                    }
                }
                Kind::Scanner(tool) => {
                    let n = poisson(&mut r, x.rate * ((hi - lo) as f64 / 3_600_000.0));
                    let ua = SCANNER_UAS[tool as usize];
                    let site = SITES[(x.phase as usize) % 3];
                    let mut ts: Vec<i64> = (0..n).map(|_| at(&mut r)).collect();
                    ts.sort_unstable();
                    for t in ts {
                        let c = scan_counter[ai];
                        scan_counter[ai] += 1;
                        let (target, status, class) = match (c + tool as usize) % 5 {
                            0 => (
                                format!(
                                    "/cautare?q={}",
                                    pct(SQLI[(c / 5 + tool as usize) % SQLI.len()])
                                ),
                                200,
                                "sqli",
                            ),
                            1 => (
                                format!("/cautare?q={}", pct(XSS[(c / 5) % XSS.len()])),
                                200,
                                "xss",
                            ),
                            2 => (
                                format!("/download?file={}", pct(LFI[(c / 5) % LFI.len()])),
                                404,
                                "lfi",
                            ),
                            _ => (
                                format!(
                                    "{}{}",
                                    PROBES[(c * 7 + tool as usize * 3) % PROBES.len()],
                                    if c.is_multiple_of(11) {
                                        format!("?v={c}")
                                    } else {
                                        String::new()
                                    }
                                ),
                                404,
                                "scanner",
                            ),
                        };
                        lines.push(
                            access(site, &x.ip, t, "GET", &target, status, 150, "-", ua, 0.004)
                                .class(class),
                        );
                    }
                }
                Kind::Stuffing => {
                    for _ in 0..poisson(&mut r, x.rate * ((hi - lo) as f64 / 3_600_000.0)) {
                        let status = if r.gen_bool(0.995) { 401 } else { 302 };
                        lines.push(
                            access(
                                "bec.ro",
                                &x.ip,
                                at(&mut r),
                                "POST",
                                "/login",
                                status,
                                320,
                                "https://bec.ro/login",
                                &x.ua,
                                0.15,
                            )
                            .class("credential"),
                        );
                    }
                }
                Kind::Injection => {
                    for _ in 0..poisson(&mut r, x.rate * ((hi - lo) as f64 / 3_600_000.0)) {
                        let token: u32 = r.gen_range(1000..9999);
                        let (target, status, class) = match r.gen_range(0..3) {
                            0 => (
                                format!(
                                    "/cautare?q={}",
                                    pct(&SQLI[r.gen_range(0..SQLI.len())]
                                        .replace("8412", &token.to_string()))
                                ),
                                500,
                                "sqli",
                            ),
                            1 => (
                                format!("/sectii?judet={}", pct(XSS[r.gen_range(0..XSS.len())])),
                                200,
                                "xss",
                            ),
                            _ => (
                                format!(
                                    "/rezultate/export?file={}",
                                    pct(LFI[r.gen_range(0..LFI.len())])
                                ),
                                403,
                                "lfi",
                            ),
                        };
                        // A proxy pool behind one tool: a handful of browser user agents.
                        let ua = BROWSERS[r.gen_range(0..3)];
                        lines.push(
                            access(
                                SITES[r.gen_range(0..2)],
                                &x.ip,
                                at(&mut r),
                                "GET",
                                &target,
                                status,
                                700,
                                "-",
                                ua,
                                0.3,
                            )
                            .class(class),
                        );
                    }
                }
                Kind::Ssh => {
                    for _ in 0..poisson(&mut r, x.rate) {
                        let user = USERS[r.gen_range(0..USERS.len())];
                        let t = at(&mut r);
                        let text = if r.gen_bool(0.5) {
                            format!("{} bastion sshd[{}]: Failed password for invalid user {user} from {} port {} ssh2", syslog_time(t), r.gen_range(1000..60000), x.ip, r.gen_range(1024..65535))
                        } else {
                            format!("{} bastion sshd[{}]: Failed password for {user} from {} port {} ssh2", syslog_time(t), r.gen_range(1000..60000), x.ip, r.gen_range(1024..65535))
                        };
                        lines.push(Line {
                            time: t,
                            file: 3,
                            text,
                            class: "credential",
                        });
                    }
                }
                Kind::Flood => {
                    let secs = (hi - lo) / 1000;
                    let mut t = h0 + lo;
                    for _ in 0..(secs as f64 * x.rate) as i64 {
                        t += (1000.0 / x.rate * (0.5 + r.gen::<f64>())) as i64;
                        if t >= h0 + hi {
                            break;
                        }
                        lines.push(
                            access(
                                "bec.ro",
                                &x.ip,
                                t,
                                "GET",
                                "/rezultate",
                                200,
                                30000,
                                "-",
                                &x.ua,
                                0.9,
                            )
                            .class("flood"),
                        );
                    }
                }
            }
            if x.kind == Kind::Staff && r.gen_bool(0.05) {
                let t = at(&mut r);
                lines.push(Line {
                    time: t,
                    file: 3,
                    class: "",
                    text: format!(
                        "{} bastion sshd[{}]: Accepted publickey for deploy from {} port {} ssh2",
                        syslog_time(t),
                        r.gen_range(1000..60000),
                        x.ip,
                        r.gen_range(1024..65535)
                    ),
                });
            }
        }
        lines.sort_by(|p, q| (p.time, p.file, &p.text).cmp(&(q.time, q.file, &q.text)));
        for l in &lines {
            let k = l.file as usize;
            let f = &mut files[k];
            f.write_all(l.text.as_bytes())
                .and_then(|_| f.write_all(b"\n"))
                .map_err(|e| io(&names[k], e))?;
            line_no[k] += 1;
            if !l.class.is_empty() {
                writeln!(requests, "{},{},{}", file_names[k], line_no[k], l.class)
                    .map_err(|e| io(&requests_path, e))?;
            }
        }
        total += lines.len() as u64;
    }
    for (f, n) in files.iter_mut().zip(&names) {
        f.flush().map_err(|e| io(n, e))?;
    }
    requests.flush().map_err(|e| io(&requests_path, e))?;
    drop(files);
    let count = |k: fn(Kind) -> bool| actors.iter().filter(|x| k(x.kind)).count();
    Ok(SimSummary {
        lines: total,
        sources: actors.len(),
        campaigns: vec![
            ("stuffing".into(), count(|k| k == Kind::Stuffing)),
            ("injection".into(), count(|k| k == Kind::Injection)),
            ("ssh_spray".into(), count(|k| k == Kind::Ssh)),
            ("flood".into(), count(|k| k == Kind::Flood)),
        ],
    })
}
