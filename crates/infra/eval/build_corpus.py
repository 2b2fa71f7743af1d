#!/usr/bin/env python3
"""Builds the classification evaluation corpus (TSV) for `lockstep infra eval-rules`.

Attacks come from public collections read out of their git mirrors (never committed here):
  * the OWASP CRS regression tests (go-ftw YAML): positive tests of the request rules, the
    payload taken where an access log would show it (URI, User-Agent, Referer; a urlencoded
    body is moved into the query, as the same payload sent by GET); negative tests are a
    benign set of their own;
  * PayloadsAllTheThings' Intruder lists, each payload placed in a query parameter.
Benign requests are generated (seeded): search queries in English (with quotes, apostrophes,
ampersands and SQL-looking words) and Romanian (hunspell-ro words, diacritics), news and
results pages, JSON APIs with JSON-valued parameters, OAuth callbacks, tracking parameters,
static assets, real browser and crawler user agents.

Output columns: source, expected (class, `a|b` for either, or `benign`), PL (CRS paranoia
level or -), method, target, user_agent, referer.

usage: build_corpus.py --crs MIRROR --patt MIRROR [--fuzzdb MIRROR] [--httpparams MIRROR] --out DIR [--seed N]
"""
import argparse, os, random, re, subprocess, sys, urllib.parse

import yaml

def git(repo, *args):
    return subprocess.run(["git", "--git-dir", repo, *args], check=True, capture_output=True).stdout

def files(repo, prefix):
    out = git(repo, "ls-tree", "-r", "--name-only", "HEAD", prefix).decode()
    return [l for l in out.splitlines() if l]

def show(repo, path):
    return git(repo, "show", f"HEAD:{path}")

CRS_CLASS = {"913": "scanner", "930": "lfi", "931": "rfi", "932": "rce", "933": "php",
             "934": "rce|php|java|xss", "941": "xss", "942": "sqli", "944": "java"}

def crs_levels(repo):
    levels = {}
    for f in files(repo, "rules"):
        if not f.endswith(".conf"):
            continue
        text = show(repo, f).decode("utf-8", "replace")
        for block in re.split(r"\nSecRule|\nSecAction", text):
            m = re.search(r"\bid:(\d+)", block)
            pl = re.search(r"paranoia-level/(\d)", block)
            if m:
                levels[int(m.group(1))] = int(pl.group(1)) if pl else 1
    return levels

def clean(s):
    return str(s).replace("\t", "%09").replace("\n", "%0A").replace("\r", "%0D")

def crs_rows(repo):
    levels = crs_levels(repo)
    rows = []
    for f in files(repo, "tests/regression/tests"):
        m = re.search(r"REQUEST-(\d{3})-", f)
        if not m or not f.endswith(".yaml") or m.group(1) not in CRS_CLASS:
            continue
        cls = CRS_CLASS[m.group(1)]
        # 934110/934120/934190 are server-side request forgery: a fetched remote or
        # internal URL, our rfi; 934170 is PHP's data: scheme (a fetched stream); 934180 and
        # 934200 are template injection, classed like PayloadsAllTheThings' SSTI lists.
        if re.search(r"/93411\d|/93412\d|/934190", f):
            cls = "rfi"
        elif re.search(r"/934170", f):
            cls = "php|rfi"
        elif re.search(r"/934180|/934200", f):
            cls = "rce|java|php|xss"
        elif m.group(1) == "934":
            cls = "rce|xss"
        try:
            doc = yaml.safe_load(show(repo, f))
        except Exception:
            continue
        rule = doc.get("rule_id")
        for t in doc.get("tests") or []:
            for st in t.get("stages") or []:
                inp = st.get("input") or {}
                out = (st.get("output") or {}).get("log") or {}
                if "encoded_request" in inp or "uri" not in inp:
                    continue
                expect = [i for i in out.get("expect_ids") or [] if str(i).startswith(m.group(1))]
                negative = not expect and out.get("no_expect_ids")
                if not expect and not negative:
                    continue
                h = {str(k).lower(): str(v) for k, v in (inp.get("headers") or {}).items()}
                uri = str(inp.get("uri"))
                data = inp.get("data")
                if isinstance(data, list):
                    data = "".join(map(str, data))
                ctype = h.get("content-type", "application/x-www-form-urlencoded")
                visible = True
                if data and expect:
                    if "urlencoded" in ctype and "\n" not in str(data):
                        uri = uri + ("&" if "?" in uri else "?") + str(data)
                    else:
                        visible = False
                # Payload in another header (cookie, custom) is not in an access log.
                other = [k for k in h if k not in ("host", "user-agent", "accept", "referer", "content-type",
                         "content-length", "connection", "accept-encoding", "accept-language", "proxy-connection",
                         "cache-control", "accept-charset", "keep-alive", "te", "pragma", "upgrade-insecure-requests", "x-crs-test")]
                # A payload in another header (cookie, custom) is not in an access log.
                if expect and any(str(h[k]) not in uri for k in other):
                    visible = False
                # A positive test with nothing unusual in the URI or user agent carries its
                # payload elsewhere (a cookie, a custom header, a multipart body).
                ua = h.get("user-agent", "")
                if expect and "?" not in uri and not re.search(r"[<>'\"();$`|{}\[\]%~]|\.\.|/\.", uri) and ua in ("", "OWASP CRS test agent"):
                    visible = False
                if not visible:
                    continue
                pl = max((levels.get(int(i), 1) for i in expect), default=1) if expect else "-"
                src = f"crs:{rule}:{t.get('test_id')}"
                rows.append((src, "benign" if negative else cls, str(pl), str(inp.get("method", "GET")),
                             clean(uri), clean(h.get("user-agent", "")), clean(h.get("referer", ""))))
    return rows

PATT = [
    ("SQL Injection/Intruder", "sqli", "/item?id={}"),
    ("XSS Injection/Intruders", "xss", "/search?q={}"),
    ("Directory Traversal/Intruder", "lfi", "/download?file={}"),
    ("File Inclusion/Intruders", "lfi|php|rfi", "/index.php?page={}"),
    ("Command Injection/Intruder", "rce|php", "/ping?host={}"),
    ("Server Side Template Injection/Intruder", "rce|java|php|xss", "/hello?name={}"),
]
SKIP = {"0xcela_event_handlers.txt", "port_swigger_xss_cheatsheet_event_handlers.txt", "param_miner_lowercase_headers.txt", "LDAP_attributes.txt"}

def quote(p):
    return urllib.parse.quote(p, safe="%/:=()',.*-_~!$@;")

def patt_rows(repo):
    rows = []
    for prefix, cls, tpl in PATT:
        for f in files(repo, prefix):
            if os.path.basename(f) in SKIP:
                continue
            for k, line in enumerate(show(repo, f).decode("utf-8", "replace").splitlines()):
                p = line.strip()
                if not p or p.startswith("#") and len(p) < 3:
                    continue
                rows.append((f"patt:{os.path.basename(f)}:{k+1}", cls, "-", "GET", clean(tpl.format(quote(p))), "Mozilla/5.0", ""))
    return rows

# fuzzdb's attack lists: a corpus kept apart from the two above, to check that rules written
# against them generalize. Templates fill fuzzdb's placeholders with a typical payload.
FUZZDB = [
    ("attack/sql-injection/detect", "sqli", "/item?id={}"),
    ("attack/sql-injection/exploit", "sqli", "/item?id={}"),
    ("attack/sql-injection/payloads-sql-blind", "sqli", "/item?id={}"),
    ("attack/xss/xss-rsnake.txt", "xss", "/search?q={}"),
    ("attack/xss/xss-other.txt", "xss", "/search?q={}"),
    ("attack/xss/xss-uri.txt", "xss", "/search?q={}"),
    ("attack/xss/XSSPolyglot.txt", "xss", "/search?q={}"),
    ("attack/path-traversal", "lfi", "/download?file={}"),
    ("attack/lfi/JHADDIX_LFI.txt", "lfi", "/download?file={}"),
    ("attack/os-cmd-execution/command-execution-unix.txt", "rce|php", "/ping?host={}"),
    ("attack/os-cmd-execution/OSCommandInject.Windows.txt", "rce|php", "/ping?host={}"),
    ("attack/os-cmd-execution/command-injection-template.txt", "rce|php", "/ping?host={}"),
    ("attack/rfi/rfi.txt", "rfi", None),
]

def fuzzdb_rows(repo):
    rows = []
    for prefix, cls, tpl in FUZZDB:
        for f in files(repo, prefix):
            if not f.endswith(".txt"):
                continue
            for k, line in enumerate(show(repo, f).decode("utf-8", "replace").splitlines()):
                p = line.strip()
                if not p or p.startswith("#"):
                    continue
                p = p.replace("{cmd}", "cat /etc/passwd")
                if tpl is None:  # a vulnerable script's path, its include parameter last
                    target = p.replace("XXpathXX", "http://203.0.113.9/shell.txt?")
                    target = urllib.parse.quote(target, safe="%/:=()',.*-_~!$@;?&")
                else:
                    target = tpl.format(quote(p))
                rows.append((f"fuzzdb:{os.path.basename(f)}:{k+1}", cls, "-", "GET", clean(target), "Mozilla/5.0", ""))
    return rows

# HttpParamsDataset (Morzeux): parameter values labelled by attack type -- sqlmap's SQL
# injection, XSSYA's XSS, Vega's command injection and path traversal -- and benign values
# from the CSIC 2010 dataset's requests. A second holdout, measured before any rule change
# made with it in view. Each value is one query parameter, as a form would send it.
HTTPPARAMS_CLASS = {"sqli": "sqli", "xss": "xss", "path-traversal": "lfi", "cmdi": "rce|php", "norm": "benign"}

def httpparams_rows(repo):
    import csv, io
    rows = []
    text = show(repo, "payload_full.csv").decode("utf-8", "replace")
    for k, r in enumerate(csv.DictReader(io.StringIO(text))):
        cls = HTTPPARAMS_CLASS[r["attack_type"]]
        # 247 of the 290 path-traversal rows are fuzzdb templates whose `{file}` placeholder
        # was never filled (`/..%5c..%5c{file}`); a fuzzer fills it with the file it wants.
        # Rows whose backslashes the dataset lost (`c:oot.ini`) are kept as they are.
        r["payload"] = r["payload"].replace("{file}", "etc/passwd")
        # The value as a client sends it: percent-encoded once (a `%` in it becomes `%25`).
        value = urllib.parse.quote(r["payload"], safe="/:=()',.*-_~!$@;")
        target = "/tienda1/publico/anadir.jsp?id=2&nombre=" + value
        rows.append((f"httpparams:{r['attack_type']}:{k+2}", cls, "-", "GET", clean(target), "Mozilla/5.0", ""))
    return rows

BROWSERS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.39 Mobile Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "UptimeRobot/2.0 (http://www.uptimerobot.com/)",
    "Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)",
    "curl/8.5.0", "python-requests/2.32.3", "Wget/1.21.4", "okhttp/4.12.0", "Go-http-client/2.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
]
EN_PHRASES = [
    "how to select from a list", "union station parking", "drop off locations and hours", "order by date",
    "where to vote", "what's my polling station", "rock 'n' roll", "o'reilly", "tom & jerry", "at&t or verizon",
    "insert coin", "exec summary template", "system of a down", "script for a school play", "alert level orange",
    "is 1=1 true", "cast of the movie", "update my address", "delete my account", "table of results", "from bucharest to cluj",
    "who won the election?", "results -- round 1", "candidate's program", "\"exact phrase\" search", "50% off",
    "c++ tutorial", "c# vs java", "node.js hosting", "email@example.com", "1 + 1 = 2", "a < b > c",
    "what does ${name} mean", "sleep(5) meaning", "echo dot", "cat videos", "id card renewal", "ping pong tables",
]

def benign_rows(seed):
    rnd = random.Random(seed)
    en = [w.strip() for w in open("/usr/share/dict/words", encoding="utf-8", errors="replace") if w.strip()]
    ro = []
    for line in open("/usr/share/hunspell/ro_RO.dic", encoding="utf-8", errors="replace"):
        w = line.split("/")[0].strip()
        if w and not w.isdigit():
            ro.append(w)
    judete = ["Alba", "Argeș", "Bacău", "Bihor", "Brașov", "Brăila", "Buzău", "Cluj", "Constanța", "Dâmbovița", "Iași",
              "Timiș", "Mureș", "Sălaj", "Vâlcea", "București", "Ialomița", "Neamț", "Suceava", "Galați"]
    rows = []
    q = lambda s: urllib.parse.quote_plus(s)
    def add(kind, target):
        rows.append((f"benign:{kind}", "benign", "-", rnd.choice(["GET"] * 9 + ["POST"]) if kind.startswith("api") else "GET",
                     clean(target), rnd.choice(BROWSERS), rnd.choice(["", "-", "https://www.google.com/", "https://bec.ro/rezultate?tur=1"])))
    for i in range(20000):
        k = i % 20
        if k == 0:
            add("search-en", "/search?q=" + q(" ".join(rnd.choice(en) for _ in range(rnd.randint(1, 5)))))
        elif k == 1:
            add("search-ro", "/cautare?q=" + q(" ".join(rnd.choice(ro) for _ in range(rnd.randint(1, 6)))))
        elif k == 2:
            add("search-phrase", "/search?q=" + q(rnd.choice(EN_PHRASES)))
        elif k == 3:
            add("search-quoted", "/search?q=" + q(f"\"{rnd.choice(en)} {rnd.choice(en)}\" {rnd.choice(en)}'s"))
        elif k == 4:
            add("results", f"/rezultate?judet={q(rnd.choice(judete))}&localitate={q(rnd.choice(ro).capitalize())}&sectie={rnd.randint(1, 900)}&tur={rnd.randint(1, 2)}")
        elif k == 5:
            words = [rnd.choice(ro) for _ in range(rnd.randint(3, 8))]
            slug = "-".join(urllib.parse.quote(w.lower()) for w in words)
            add("news", f"/stiri/2024/11/{rnd.randint(1, 30):02d}/{slug}")
        elif k == 6:
            add("api-json", "/api/v1/results?" + urllib.parse.urlencode({"round": rnd.randint(1, 2), "county": rnd.choice(judete)[:2].upper(),
                "page": rnd.randint(1, 40), "limit": rnd.choice([10, 25, 50, 100]), "sort": rnd.choice(["-votes", "name", "percent"]),
                "fields": "candidate,votes,percent"}))
        elif k == 7:
            filt = '{"county":"%s","turnout":{"gte":%d},"name":"%s"}' % (rnd.choice(judete), rnd.randint(10, 60), rnd.choice(ro))
            add("api-filter", "/api/v2/sectii?filter=" + q(filt) + f"&_={rnd.randint(10**12, 10**13)}")
        elif k == 8:
            add("oauth", f"/oauth/callback?code={rnd.getrandbits(96):x}&state={rnd.getrandbits(64):x}&redirect_uri=" + q(f"https://bec.ro/{rnd.choice(['cont', 'profil', 'rezultate'])}?ref={rnd.randint(1, 99)}"))
        elif k == 9:
            add("tracking", f"/comunicate/{rnd.randint(1, 999)}?utm_source={rnd.choice(['facebook', 'twitter', 'newsletter'])}&utm_medium=social&utm_campaign=alegeri2024&fbclid=IwAR{rnd.getrandbits(120):x}")
        elif k == 10:
            add("static", rnd.choice([f"/static/js/main.{rnd.getrandbits(32):08x}.js", f"/static/css/app.{rnd.getrandbits(32):08x}.css",
                f"/assets/img/{rnd.choice(en).lower().replace(chr(39), '')}.png", f"/fonts/inter-{rnd.choice(['regular', 'bold'])}.woff2",
                "/favicon.ico", "/robots.txt", "/sitemap.xml", "/manifest.json", f"/uploads/2024/11/{urllib.parse.quote(rnd.choice(ro))}.pdf"]))
        elif k == 11:
            add("pagination", f"/arhiva?page={rnd.randint(1, 200)}&per_page=20&order=desc&orderby=date&an=2024")
        elif k == 12:
            add("login-next", "/login?next=" + q(f"/admin/sectii/{rnd.randint(1, 9999)}?tab=rezultate&edit=1"))
        elif k == 13:
            add("jsonp", f"/api/turnout?callback=jQuery{rnd.randint(10**15, 10**16)}_{rnd.randint(10**12, 10**13)}&_={rnd.randint(10**12, 10**13)}")
        elif k == 14:
            add("search-ro-phrase", "/cautare?q=" + q(rnd.choice(["când se anunță rezultatele?", "secția de votare nr. 12", "ce înseamnă „vot nul”",
                "Călin Georgescu şi Elena Lasconi", "prezența la vot – ora 21:00", "program: 7:00-21:00", "turul 2 (8 decembrie)",
                "buletinul de vot; ștampila", "diaspora & străinătate", "rezultate 100%", "d'Artagnan", "O'Neill"])))
        elif k == 15:
            add("date-range", f"/statistici?from=2024-11-{rnd.randint(1, 24):02d}T00:00:00Z&to=2024-11-{rnd.randint(24, 30):02d}T23:59:59Z&tz=Europe%2FBucharest")
        elif k == 16:
            add("email-share", "/share?url=" + q(f"https://bec.ro/stiri/{rnd.randint(1, 999)}") + "&text=" + q(" ".join(rnd.choice(ro) for _ in range(4))) + "&via=BEC")
        elif k == 17:
            add("math", "/search?q=" + q(rnd.choice(["2+2=4", "x>5 and y<3", "50/50", "a|b", "f(x) = x^2", "(1) first; (2) second", "e.g. a/b/c", "#hashtag @mention", "~/docs", "C:\\Users"])))
        elif k == 18:
            add("api-id", f"/api/v1/candidates/{rnd.randint(1, 14)}/votes?county_id={rnd.randint(1, 42)}&format={rnd.choice(['json', 'csv', 'xml'])}")
        else:
            add("search-en-mixed", "/search?q=" + q(f"{rnd.choice(en)} {rnd.choice(EN_PHRASES)} {rnd.choice(ro)}"))
    return rows

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--crs", required=True)
    ap.add_argument("--patt", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--fuzzdb", help="fuzzdb mirror: also writes fuzzdb.tsv (a holdout)")
    ap.add_argument("--httpparams", help="HttpParamsDataset mirror: also writes httpparams.tsv (a holdout)")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    corpora = [("crs.tsv", crs_rows(a.crs)), ("payloadsallthethings.tsv", patt_rows(a.patt)), ("benign.tsv", benign_rows(a.seed))]
    if a.fuzzdb:
        corpora.append(("fuzzdb.tsv", fuzzdb_rows(a.fuzzdb)))
    if a.httpparams:
        corpora.append(("httpparams.tsv", httpparams_rows(a.httpparams)))
    for name, rows in corpora:
        with open(os.path.join(a.out, name), "w", encoding="utf-8") as f:
            for r in rows:
                f.write("\t".join(r) + "\n")
        print(f"{name}: {len(rows)} rows", file=sys.stderr)

main()
