//! lockstep's own rule set: one regular expression per attack technique, matched on values
//! decoded and lowercased as in [`super::decode`]. Written for the request line and user
//! agent that access logs keep (CRS also needs bodies, cookies and every header, which these
//! logs lack); evaluated on the CRS regression tests and public payload lists
//! (`lockstep infra eval-rules`). Each rule says where it applies: the path, query values,
//! query parameter names, the user agent, the referer.

use super::Class;

pub const PATH: u8 = 1;
pub const ARG: u8 = 2;
pub const KEY: u8 = 4;
pub const UA: u8 = 8;
pub const REFERER: u8 = 16;
/// `name=value` of a query parameter whose value holds `://`.
pub const PAIR: u8 = 32;
const INJ: u8 = PATH | ARG | KEY | UA | REFERER;
const VALUES: u8 = ARG | KEY | UA | REFERER;

/// A rule: name (in attempts.csv), class, where it applies, pattern.
pub struct Rule {
    pub name: &'static str,
    pub class: Class,
    pub at: u8,
    pub pattern: &'static str,
}

macro_rules! rules {
    ($(($name:literal, $class:ident, $at:expr, $pat:expr)),* $(,)?) => {
        &[$(Rule { name: $name, class: Class::$class, at: $at, pattern: $pat }),*]
    };
}

/// Commands an injected shell line runs. `ls`, `id`, `cat`… are words of ordinary text too,
/// so they count only after a shell separator.
const CMDS: &str = "(?:cat|tac|nl|ls|dir|id|whoami|uname|hostname|ifconfig|ipconfig|netstat|ps|pwd|echo|printf|env|wget|curl|tftp|ftp|nc|ncat|netcat|socat|telnet|bash|sh|zsh|ksh|csh|dash|python[23]?|perl|ruby|php|node|lua|busybox|chmod|chown|rm|mv|cp|touch|mkdir|kill|nohup|sleep|ping|nslookup|dig|sudo|crontab|awk|sed|xargs|grep|base64|xxd|certutil|powershell|cmd|systeminfo|tasklist|del|reg|wmic|mshta|rundll32|regsvr32|bitsadmin|net|expr|timeout|uptime|passwd|useradd|iptables|systemctl|service|mkfifo|mknod|tar|gzip|unzip|od|strings|su|exec|eval|zstdcat|zcat|xzcat|bzcat|bsdtar|bcdboot|aptitude|apt-get|yum|dnf|rpm|dpkg|lastlog|lastlogin|htop|rmt-tar|rmt-dump|rmt|perf|trap|alias|gunzip|unxz|xz|zstd|visudo|ansible|chef|cscli|strace|ltrace|gdb|tcpdump|nmap|ssh|scp|rsync|mount|umount|dd|fdisk|mkfs|shutdown|reboot|poweroff|killall|pkill|pinky|getent|lsof|fuser|vi|vim|nano|emacs|printenv|unset|tee|xterm|tmux|openssl|gpg|type|set|tr|w|who|last|sort|find|head|tail|cut|rev|netsh|sysinfo|route|arp|nbtstat|schtasks|taskkill|icacls|cacls|vssadmin|bcdedit|wevtutil|attrib|findstr|qwinsta|quser)";

pub fn all() -> Vec<Rule> {
    let mut v: Vec<Rule> = Vec::new();
    v.extend_from_slice_rules(SQLI);
    v.extend_from_slice_rules(XSS);
    v.extend_from_slice_rules(LFI);
    v.extend_from_slice_rules(RFI);
    v.extend_from_slice_rules(PHP);
    v.extend_from_slice_rules(JAVA);
    v.extend_from_slice_rules(SCANNER);
    v.extend_from_slice_rules(PROTOCOL);
    for (name, pat, at) in [
        (
            "rce-chained-command",
            format!(
                r"(?:[;`\n]|&&|\|\||\$\(|\\[nr])\s*(?:/(?:usr/)?s?bin/)?{CMDS}(?:$|[\s;|&<>`'\x22)(\\]|\$\{{ifs|\$ifs|\$@)"
            ),
            ARG | KEY | UA | REFERER | PATH,
        ),
        (
            "rce-piped-command",
            r"\|\s*(?:/(?:usr/)?s?bin/)?(?:whoami|uname|ifconfig|ipconfig|netstat|wget|curl|nc|ncat|netcat|socat|bash|sh|zsh|ksh|dash|python[23]?|perl|busybox|chmod|nslookup|powershell|cmd|systeminfo|tasklist|certutil|mshta|rundll32|regsvr32|bitsadmin|wmic|base64|xxd|telnet|tftp|nohup|crontab|sudo|id|ls|pwd|php|ruby|awk|sed|xargs|tac)(?:$|[\s;|&<>`'\x22)]|\$\{ifs|\$ifs)".to_string(),
            ARG | KEY | UA | REFERER | PATH,
        ),
        (
            // The query's own `&` never reaches a value: one inside it was sent encoded.
            "rce-ampersand-command",
            r"&\s*(?:whoami|uname|ifconfig|ipconfig|netstat|netsh|systeminfo|sysinfo|tasklist|nslookup|powershell|certutil|wmic|net\s+(?:view|user|localgroup|share|use)|type\s+\S*[\\/]|dir\s+\S*[\\/]|ping\s+-|wget\s|curl\s|nc\s+-|id\s*$|pwd\s*$)".to_string(),
            VALUES | PATH,
        ),
        (
            "rce-quote-break-command",
            r"^['\x22`]\s*[;|&]?\s*(?:whoami|uname|id|ifconfig|ipconfig|netstat|systeminfo|tasklist|pwd|ls\s+-\w+)\s*(?:$|[;|&#'\x22`])".to_string(),
            VALUES,
        ),
        (
            "rce-backtick",
            format!(r"`\s*(?:/(?:usr/)?s?bin/)?{CMDS}\b[^`]*`?|`\s*(?:true|false|:)\s*`"),
            VALUES | PATH,
        ),
    ] {
        v.push(Rule {
            name,
            class: Class::Rce,
            at,
            pattern: Box::leak(pat.into_boxed_str()),
        });
    }
    v.extend_from_slice_rules(RCE);
    v
}

trait Extend {
    fn extend_from_slice_rules(&mut self, r: &[Rule]);
}
impl Extend for Vec<Rule> {
    fn extend_from_slice_rules(&mut self, r: &[Rule]) {
        for x in r {
            self.push(Rule {
                name: x.name,
                class: x.class,
                at: x.at,
                pattern: x.pattern,
            });
        }
    }
}

const SQLI: &[Rule] = rules![
    (
        "sqli-union-select",
        Sqli,
        INJ,
        r"\bunion(?:[\s(]+(?:all|distinct))?[\s(]+select\b"
    ),
    (
        "sqli-select-expr",
        Sqli,
        INJ,
        r"\bselect\s*(?:\(|\*|@@|null\b|\d+\s*(?:,|from\b|--|#|$)|(?:count|concat|char|group_concat|version|user|current_user|session_user|system_user|current_database|current_schema|database|schema|sleep|pg_sleep|benchmark|case|if|top\s+\d|distinct\s+\w+\s+from)\b)"
    ),
    (
        "sqli-select-from",
        Sqli,
        INJ,
        r"\bselect\b.{1,120}?\bfrom\b.{0,80}?(?:\b(?:where|limit|information_schema|dual|users?|mysql|sysobjects|sys\.\w+|pg_\w+|all_\w+|dba_\w+|admin\w*|members?|accounts?)\b|--|#|;|\)|'|\x22)"
    ),
    (
        "sqli-stacked-query",
        Sqli,
        INJ,
        r";\s*(?:select|insert|update|delete|drop|create|alter|exec|execute|declare|shutdown|truncate|grant|waitfor|begin|call|set\s+@)\b"
    ),
    (
        "sqli-dml",
        Sqli,
        INJ,
        r"\b(?:insert\s+into\s+[\w`\x22\[.]+\s*(?:\(|values|select)|delete\s+from\s+[\w`\x22\[.]+|drop\s+(?:table|database|schema|view|function|procedure|user)\s+|truncate\s+table|alter\s+table\s+|create\s+(?:table|user|database|function|procedure)\s+|update\s+[\w`\x22\[.]+\s+set\s+[\w`\x22\[\]]+\s*=)"
    ),
    (
        "sqli-time-based",
        Sqli,
        INJ,
        r"\b(?:sleep|benchmark|pg_sleep|dbms_pipe\.receive_message|dbms_lock\.sleep|randomblob)\s*\(|\bwaitfor\s+(?:delay|time)\s+['\x22]"
    ),
    (
        "sqli-tautology",
        Sqli,
        INJ,
        r#"['"`)]\s*(?:or|and|xor|\|\||&&|div)\s*[\s(]*(?:not\s+)?['"`]?[\w@.$-]*['"`]?\s*(?:=|<>|!=|<=>|>=|<=|>|<|\blike\b|\bis\b|\bin\s*\(|\bregexp\b|\brlike\b|\bbetween\b|\bsounds\s+like\b)"#
    ),
    (
        "sqli-tautology-bare",
        Sqli,
        INJ,
        r#"['"`)]\s*(?:or|and|\|\||&&)\s+(?:true|false|not|null|\d+|'[^']*'|"[^"]*")\s*(?:--|#|/\*|;|$|\)|limit\b|order\b|group\b)"#
    ),
    (
        "sqli-numeric-tautology",
        Sqli,
        INJ,
        r"(?:^|[\s(=])-?\d+\s*\)*\s*(?:or|and|xor|\|\||&&)\s+\(*\s*-?\d+\s*(?:=|<>|!=|<=>|>|<|\blike\b)\s*-?\d+"
    ),
    (
        // `or 1=1 --`, `hi or a=a`: an always-true comparison joined by a boolean operator.
        "sqli-bare-tautology",
        Sqli,
        ARG,
        r"(?:^|\s)(?:or|and)\s+(?:\d+\s*=\s*\d+|[a-z]\s*=\s*[a-z])\s*(?:$|--|#|/\*|;|\)|\bor\b)"
    ),
    (
        "sqli-numeric-boolean",
        Sqli,
        INJ,
        r"^-?\d+\s*\)*\s*(?:or|and|xor)\s+(?:true|false|not\b|sleep|\d+\s*(?:$|--|#)|\(?select\b)"
    ),
    (
        "sqli-quote-comment",
        Sqli,
        INJ,
        r#"['"`]\s*\)*\s*(?:--(?:\s|$|-|\+)|#|;\s*(?:--|#|$)|/\*|\x00)"#
    ),
    (
        "sqli-order-by",
        Sqli,
        INJ,
        r"\b(?:order|group)\s+by\s+\d+\s*(?:--|#|/\*|;|,|\)|$|asc|desc)"
    ),
    (
        "sqli-functions",
        Sqli,
        INJ,
        r"\b(?:extractvalue|updatexml|load_file|group_concat|concat_ws|make_set|json_keys|utl_inaddr\.\w+|utl_http\.\w+|dbms_\w+\.\w+|xp_cmdshell|xp_\w+|sp_executesql|sp_oacreate|sp_password|openrowset|opendatasource|pg_read_file|lo_import|sys_eval|sys_exec|name_const|geometrycollection|polygon|multipoint|exp\s*\(\s*~|floor\s*\(\s*rand|char\s*\(\s*\d+\s*(?:,|\)\s*(?:\+|\|\||,))|chr\s*\(\s*\d+\s*\)\s*(?:\|\||\+))\s*\(?"
    ),
    (
        "sqli-function-probe",
        Sqli,
        INJ,
        r"\b(?:concat|char|chr|ascii|ord|hex|unhex|substring|substr|mid|length|version|database|schema|user|current_user|system_user|session_user|@@version|convert|cast|iif|ifnull|nullif|coalesce)\s*\(\s*(?:\d+\s*,|0x|'|\x22|\)|select\b|@@|\w+\s*\(|\w+\s+as\s+\w+\))"
    ),
    (
        "sqli-schema",
        Sqli,
        INJ,
        r"\b(?:information_schema|sysobjects|syscolumns|sys\.tables|sys\.objects|sys\.databases|pg_catalog|pg_shadow|pg_user|pg_database|sqlite_master|sqlite_schema|mysql\.user|msysaccessobjects|msysobjects|all_tables|user_tables|all_tab_columns|dba_users|v\$version|sys\.user\$)\b"
    ),
    (
        "sqli-system-variable",
        Sqli,
        INJ,
        r"@@(?:version|datadir|hostname|basedir|servername|identity|tmpdir|spid|language)\b"
    ),
    (
        "sqli-hex-literal",
        Sqli,
        INJ,
        r"(?:select|union|concat|char|unhex|where|and|or|=|\()\s*\(?\s*0x[0-9a-f]{6,}"
    ),
    (
        "sqli-into-outfile",
        Sqli,
        INJ,
        r"\binto\s+(?:out|dump)file\b"
    ),
    (
        "sqli-quote-keyword",
        Sqli,
        INJ,
        r#"['"`]\s*\)*\s*;?\s*(?:union\s+(?:all\s+)?select|select\s+(?:\*|@@|null\b|\d|[\w.]+\s*(?:,|\bfrom\b)|concat|char|case\b|if\s*\(|count\s*\(|\()|insert\s+into|update\s+\w+\s+set|delete\s+from|drop\s+\w+|exec(?:ute)?\s|declare\s+@|having\s+\d|group\s+by\s|order\s+by\s+\d|procedure\s+analyse|(?:and|or)\s+\d+\s*(?:[=<>]|$)|(?:and|or)\s+\(?\s*select\b|(?:and|or)\s+(?:sleep|benchmark|ascii|substring|exists|if)\s*\()"#
    ),
    (
        "sqli-boolean-subquery",
        Sqli,
        INJ,
        r"\b(?:and|or|xor|&&|\|\|)\s+\(?\s*(?:select\s*\(|select\s+(?:\d|@@|null|count|case|if|char|concat|\*|\w+\s+from)|ascii\s*\(|substring\s*\(|substr\s*\(|length\s*\(|ord\s*\(|mid\s*\(|if\s*\(|exists\s*\(|not\s+exists\s*\()"
    ),
    (
        "sqli-function-name",
        Sqli,
        INJ,
        r"\b(?:database|db_name|schema_name|current_user|current_database|current_schema|system_user|session_user|user_name|suser_name|suser_sname|concat|concat_ws|coalesce|compress|uncompress|xmltype|find_in_set|sqlite_compileoption_used|sqlite_compileoption_get|sqlite_version|jsonb_pretty|json_build_object|json_extract|json_object|unistr|group_concat|string_agg|listagg|load_file|benchmark|pg_sleep|dbms_xmlgen\.\w+|extractvalue|updatexml|utl_inaddr|row_count|found_rows|last_insert_id|connection_id|ifnull|nullif|isnull|nvl|nvl2|instr|locate|position|lpad|rpad|regexp_substr|regexp_like|charindex|patindex|quotename|char_length|octet_length|bit_length|unhex|from_base64|to_base64|aes_decrypt|aes_encrypt|des_decrypt|md5|sha1|sha2|decode|encode|convert_from|convert_to|is_srvrolemember|has_dbaccess|object_id|col_name|column_name|table_name|type_name|current_setting|pg_read_file|pg_ls_dir|lo_get|inet_server_addr|version|hex|ord|rand|substr|substring|rtrim|ltrim|insert|mid|char|ascii|lower|upper|reverse|replace|left|right|soundex|space|repeat|strcmp|bin|oct|conv|elt|field|sleep|length|floor|ceiling|round|trim|cast|convert|ucase|lcase|now|sysdate|curdate|current_date|current_time|localtime|user|schema|if|iif)\s*\\?\("
    ),
    (
        "sqli-database-name",
        Sqli,
        INJ,
        r"\b(?:tempdb|msdb|northwind|mysql\.db|mysql\.user|schema_name|table_schema|table_name|column_name|pg_tables|pg_namespace|sys\.schemas|sys\.columns|sysdatabases|sysusers|all_users|dba_tables|user_objects|information_schema\.\w+)\b"
    ),
    (
        "sqli-keyword-combo",
        Sqli,
        INJ,
        r"\bexecute\s+immediate\b|union\s*(?:all\s*)?select\s*\w*\s*from|\bselect\s+pg_sleep|\bdeclare\s+@\w|\bhaving\s+count\s*\(|\)\s*like\s*\(|'\w*'\s*!=\s*'|\bwaitfor\s+delay\b|\bshutdown\s+with\s+nowait|\bopen\s*query\b|\bdbms_pipe\b|\butl_http\b"
    ),
    (
        "sqli-magic-number",
        Sqli,
        ARG,
        r"^\s*(?:4294967296|4294967295|2147483648|2147483647|9223372036854775808|2\.2250738585072011e-308|2\.2250738585072012e-0*308)\s*$"
    ),
    (
        "sqli-postgres-json",
        Sqli,
        INJ,
        r#"'[^']*'\s*::\s*(?:jsonb?|text|int\w*|bigint|numeric|regclass|varchar|bool\w*)\b|\w\)?\s*::\s*(?:jsonb?|bigint|int\d?|text|double\s+precision|regclass)\b|'\s*(?:->>?|#>>?|@>|<@|\?\||\?&|#-|@\?|@@|\|\|)\s*'|\b(?:or|and)\s+'[\[{]"#
    ),
    (
        "sqli-alias-from",
        Sqli,
        INJ,
        r#"[`'"]\s*as\s*[`'"][\w$]+[`'"]\s*from\b|\d+\s+as\s*["'`]\w*["'`]?\s*from\b|`\s*(?:regexp|rlike|like)\s|\bdiv\s*\(\s*-?\d|\b\d+\.e\s*[(.]"#
    ),
    (
        "sqli-case-when",
        Sqli,
        INJ,
        r"\bcase\s+when\b.{1,80}?\bthen\b"
    ),
    (
        "sqli-mssql-exec",
        Sqli,
        INJ,
        r"\bexec(?:ute)?\s+(?:master\.|xp_|sp_|\(|@)|\bexec(?:ute)?\s*\(\s*@\w+\s*\)"
    ),
    (
        // T-SQL that no form sends: a backup to a share, printing server variables.
        "sqli-mssql-statement",
        Sqli,
        INJ,
        r"\bbackup\s+(?:database|log)\s+\S+\s+to\s+disks?\s*=|\bprint\s+@@?\w+|\bselect\s+@\w+\s+as\s+\w+\s+into\b"
    ),
    (
        // `' || pkg.fn('a', 'b') || '`: a string broken out of to concatenate a call (Oracle,
        // PostgreSQL), and `' or (exists …)`, `; or 'a'='a'`.
        "sqli-concat-call",
        Sqli,
        INJ,
        r#"['"]\s*\|\|\s*[a-z_][\w$]*(?:\.[a-z_][\w$]*)*\s*\(|['"`)]\s*(?:or|and)\s*\(\s*exists\b|(?:^|[;'"])\s*or\s+'[^']*'\s*=\s*'"#
    ),
    (
        "sqli-procedure-analyse",
        Sqli,
        INJ,
        r"\bprocedure\s+analyse\b"
    ),
    (
        "sqli-if",
        Sqli,
        INJ,
        r"\bif\s*\(\s*[\w()@'\x22]+\s*(?:=|<|>|<>|!=|like)\s*[\w()@'\x22]+\s*,"
    ),
    (
        "sqli-trailing-quote",
        Sqli,
        ARG | KEY,
        r#"^-?\d+\s*['"`]+\s*\)*\s*$|^['"`]\s*\)+\s*$|^\)+\s*['"`]\s*$|^-?\d+\s*\)+\s*(?:--|#)?$|^['"`];?$|^['"`]{2,}$|^\\['"`]"#
    ),
    (
        "sqli-like-or-rlike",
        Sqli,
        INJ,
        r#"['"`]\s*(?:like|rlike|regexp)\s*['"`]"#
    ),
    (
        "sqli-auth-bypass",
        Sqli,
        INJ,
        r#"^\s*(?:admin|root|administrator)['"`]\s*(?:--|#|/\*|\)|or|and)"#
    ),
    (
        "sqli-nosql-operator",
        Sqli,
        ARG | KEY,
        r#"\[\s*\$(?:ne|gt|lt|gte|lte|regex|where|exists|nin|in|or|and|not|elemmatch)\s*\]|\{\s*['"]?\$(?:ne|gt|lt|gte|regex|where|exists|nin|or)['"]?\s*:|\$where\s*['"]?\s*:|;\s*return\s+(?:true|1)|sleep\s*\(\s*\d+\s*\)\s*;?\s*(?:var|return)"#
    ),
    (
        "sqli-ldap-injection",
        Sqli,
        ARG | KEY,
        r"\*\)\s*\(\s*[|&]|\)\s*\(\s*\|\s*\(\s*\w+=\*|\(\s*\|\s*\(\s*\w+\s*=\s*\*\s*\)|\*\)\)\s*%00|\(\s*&\s*\(\s*\w+\s*=\s*\*"
    ),
];

const XSS: &[Rule] = rules![
    (
        "xss-script-tag",
        Xss,
        INJ,
        r"<\s*/?\s*script\b|<\s*script[\s>/]"
    ),
    (
        "xss-tag-event-handler",
        Xss,
        INJ,
        r#"<[a-z!/?][^>]*?[\s/"'`;]on[a-z]{3,}\s*="#
    ),
    (
        "xss-event-handler",
        Xss,
        VALUES | PATH,
        r#"(?:^|[\s"'`;/])on(?:error|load|mouseover|mouseout|mouseenter|mouseleave|mousemove|mousedown|mouseup|click|dblclick|contextmenu|focus|focusin|focusout|blur|change|submit|reset|keydown|keypress|keyup|toggle|begin|end|repeat|animationstart|animationend|animationiteration|transitionend|transitionrun|transitionstart|pointerover|pointerenter|pointerdown|pointerup|pointermove|pointerrawupdate|wheel|scroll|scrollend|resize|input|invalid|select|selectstart|selectionchange|unload|beforeunload|hashchange|message|pageshow|pagehide|popstate|copy|cut|paste|beforecopy|beforecut|beforepaste|drag|dragend|dragenter|dragleave|dragover|dragstart|drop|play|playing|pause|canplay|canplaythrough|loadstart|loadeddata|loadedmetadata|progress|seeked|seeking|stalled|suspend|timeupdate|volumechange|waiting|ended|durationchange|emptied|afterprint|beforeprint|beforescriptexecute|afterscriptexecute|readystatechange|search|show|start|finish|bounce|auxclick|touchstart|touchend|touchmove|cuechange|formdata|online|offline|storage|webkitanimationstart|webkitanimationend|webkittransitionend|beforeinput|beforetoggle|contentvisibilityautostatechange|securitypolicyviolation)\s*="#
    ),
    (
        "xss-js-uri",
        Xss,
        INJ,
        r#"(?:^|[\s"'`=(<,])(?:j\s*a\s*v\s*a\s*s\s*c\s*r\s*i\s*p\s*t|v\s*b\s*s\s*c\s*r\s*i\s*p\s*t|livescript|mocha)\s*:\s*(?:[a-z_$][\w$.]*\s*[(`=\[]|/|%|&|\\|'|"|\(|void|\{|alert|prompt|confirm|eval|document|window|this|top|self|parent|location|fetch|import|console|open|history|$)"#
    ),
    (
        "xss-data-uri",
        Xss,
        INJ,
        r"data\s*:\s*(?:text/html|text/xml|application/(?:x-)?(?:javascript|ecmascript|xhtml\+xml)|image/svg\+xml|text/javascript)\s*[;,]"
    ),
    (
        "xss-html-tag",
        Xss,
        INJ,
        r#"<(?:iframe|frame|frameset|object|embed|applet|svg|math|img|image|video|audio|source|body|html|style|link|meta|base|form|input|button|textarea|select|isindex|marquee|details|dialog|xss|x|a|div|span|table|td|bgsound|layer|ilayer|xml|import|template|animate|animatetransform|set|handler|listener|plaintext|xmp|noscript|keygen|picture|track|portal|svg:\w+|video|marquee|blink|menu|command|option|output|progress|meter|canvas|area|map|h1|p|b|i|u|s|font|center|title|head|noembed|noframes|listing|comment|param|slot|shadow|content|element|frameset|strike|tt)\b[^>]*?(?:\bon\w+\s*=|\b(?:src|href|action|formaction|data|srcdoc|xlink:href|background|dynsrc|lowsrc|code|codebase|style|poster|values|from|to|by|attributename|autofocus|open|srcset|ping|classid|lang|popover)\s*=|/?>|$|\s)"#
    ),
    (
        "xss-dom-sink",
        Xss,
        INJ,
        r#"\b(?:alert|prompt|confirm|print)\s*(?:\(|`|&#40;)\s*(?:[\d"'`/)\x22]|document|window|this|location|[a-z_$][\w$]*\.|top|self|parent|origin|\)|`)|\beval\s*\(\s*(?:atob|string|unescape|decodeuri\w*|location|name|['"`]|this|window|document)|string\.fromcharcode\s*\(|document\s*\.\s*(?:cookie|domain|write|writeln|location|body|forms|createelement)|window\s*\.\s*(?:location|name|open|eval|onerror|top|parent)|\.innerhtml\s*=|\.outerhtml\s*=|\bnew\s+function\s*\(|(?:top|self|parent|window|this|globalthis|frames|content)\s*\[\s*['"`][\w$]+['"`]\s*\]|constructor\s*\.\s*constructor|constructor\s*\(\s*['"`]|\bsettimeout\s*\(\s*['"`]|\bsetinterval\s*\(\s*['"`]|\.src\s*=\s*['"`]?(?:https?:)?//|\bimport\s*\(\s*['"`]|\bfetch\s*\(\s*['"`]|\bnavigator\s*\.\s*sendbeacon|\blocation\s*(?:\.\s*href\s*)?=\s*['"`]?(?:javascript|//|https?:)|\.(?:call|apply|bind)\s*\(\s*(?:null|this|window|top)\s*,|\batob\s*\(\s*['"`]|\bunescape\s*\(\s*['"`]|\bjavascript\s*:\s*\w+\s*\("#
    ),
    (
        "xss-break-out",
        Xss,
        INJ,
        r#"['"`]\s*/?>\s*<\s*[a-z/!?]|['"`]\s*<\s*[a-z][\w:-]*\s*/?>|['"`]\s*>[^<>'"]{0,100}<\s*/\s*[a-z][\w:-]*\s*>|-->\s*<\s*[a-z]|</\s*(?:title|textarea|style|noscript|script|iframe|xmp|plaintext|template|noembed|noframes|option|select|form|svg|math)\s*>|\]\]>\s*<|['"`]\s*(?:;|\))\s*(?:alert|prompt|confirm|eval|document|window|location|top|self|parent|fetch|import)\b|['"`]\s*[-+*/]\s*(?:alert|prompt|confirm|eval)\s*\(|\\['"`]\s*;|</\s*[a-z]+\s*>\s*<\s*[a-z]"#
    ),
    (
        "xss-css-expression",
        Xss,
        INJ,
        r#"\bexpression\s*\(|\burl\s*\(\s*['"]?\s*(?:javascript|vbscript|data):|-moz-binding\s*:|\bbehavior\s*:\s*url|@import\s+['"]?(?:javascript|//|https?:)|\b(?:background|style)\s*=\s*['"]?[^'">]*(?:javascript|expression)"#
    ),
    (
        "xss-template-injection",
        Xss,
        INJ,
        r"\{\{.*?(?:constructor|\$eval|\$on|alert|prompt|\[\]|\(\)|tostring|valueof|\$new|orderby|\$root|\$parent).*?\}\}"
    ),
    (
        "xss-html-entity-tag",
        Xss,
        INJ,
        r"<\s*[a-z]+[^>]*\s(?:style|class|id|title)\s*=\s*['\x22][^'\x22]*(?:expression|javascript|behavior)"
    ),
    (
        "xss-attribute-injection",
        Xss,
        INJ,
        r#"['"`]\s+(?:autofocus|style|src|href|formaction|srcdoc|xmlns|xlink:href)\s*=?\s*['"`]?[^'"`>]*(?:['"`]?\s*on\w+\s*=|javascript:|alert|prompt|confirm)"#
    ),
    (
        "xss-namespaced-tag",
        Xss,
        INJ,
        r"<\??[a-z]+:[a-z]+[\s/>]|<[a-z]+\s+xmlns(?::\w+)?\s*=|xsi:schemalocation|<!--\s*#\s*(?:set|echo|exec|include|config|printenv|fsize|flastmod)\b|document\s*\.\s*(?:queryselector(?:all)?|getelementby\w+)\s*\(|\.textcontent\s*=|\.insertadjacenthtml\s*\("
    ),
    ("xss-event-handler-name", Xss, KEY, r"^\s*on[a-z]{4,}\s*="),
    (
        "xss-obfuscation",
        Xss,
        INJ,
        r#"url\s*\(\s*['"]?\s*javascript|<\s*\w+\s*:\s*script|\bformaction\s*=|['"`]\s*on[a-z]{4,}\s*=|<(?:[a-z]\s){2,}[a-z]|<\??\s*import[^>]*implementation|\+adw-|\(!\[\]\+\[\]\)|!!\[\]|\[\]\[\(|\(\s*document\s*(?:/\*.*?\*/\s*)?\)\s*\[|\bsetinterval\s*\(|\bsettimeout\s*\(|\batob\s*\(|\xbc\s*/?\s*[a-z]+\s*\xbe|(?:v\s*b|j\s*a\s*v\s*a)\s*s\s*c\s*r\s*i\s*p\s*t\s*:\s*[:'"]|\bsrcdoc\s*=|\bsrcset\s*=\s*['"]?\s*javascript"#
    ),
    (
        "xss-js-tricks",
        Xss,
        INJ,
        r#"\.\s*(?:call|apply|bind)\s*`|\breflect\s*\.\s*\w+|\bbtoa\s*\(|\bimport\s*\{[^}]*\}\s*from\s*['"]|!entity\s+%?\s*\w+\s+(?:system|public)\b|\(!\[\]|\[\s*!\s*\[\]|!!\[\]|\$\{\s*(?:alert|eval|prompt|confirm)\s*\}"#
    ),
    (
        "xss-svg-xlink",
        Xss,
        INJ,
        r"xlink:href\s*=|xmlns:xlink|<\s*!\[cdata\[|<!entity|<!doctype\s+\w+\s*\["
    ),
];

const LFI: &[Rule] = rules![
    (
        "lfi-path-traversal",
        Lfi,
        PATH | ARG | KEY | REFERER | UA,
        r"(?:^|[/\\=;:'\x22\s|,(~])(?:\.\.|\.%2e|%2e\.|\.\.\.\.)[/\\]|\.\.\.+[/\\]|[/\\]\.\.(?:$|[;?#]|%00|\x00)|^\.\.$|\.\.;/|\.\.%5c|\.\.%2f|%2e%2e"
    ),
    (
        "lfi-os-file",
        Lfi,
        ARG | KEY | REFERER,
        r#"(?:^|[/\\=:'"(\s~]|\.\.)(?:etc[/\\](?:passwd|shadow|group|hosts|subuid|subgid|issue|motd|crontab|sudoers|fstab|resolv\.conf|hostname|profile|bashrc|environment|inittab|master\.passwd|security|mysql[/\\]my\.cnf|my\.cnf|php\.ini|php[/\\]|httpd[/\\]|apache2?[/\\]|nginx[/\\]|ssh[/\\]|redhat-release|debian_version|lsb-release|os-release|network|init\.d|exports|ftpchroot|ftpusers|pam\.d|aliases|syslog\.conf|rc\.d|default[/\\]|cron|systemd)|proc[/\\](?:self|\d+|version|cpuinfo|meminfo|mounts|net[/\\])(?:[/\\](?:environ|cmdline|fd|maps|status|mem|cwd|exe|root|stat|mountinfo|net))?|boot\.ini|win\.ini|system\.ini|(?:windows|winnt)[/\\](?:system32|win\.ini|repair|system\.ini|php\.ini|debug|panther|inf|temp|iis\w*\.log)|inetpub[/\\]|\.htpasswd|\.htaccess|web-inf[/\\]|meta-inf[/\\]|var[/\\](?:log|www|lib|mail|spool|run|tmp|adm|db|backups|apache|nginx)[/\\]|usr[/\\](?:local[/\\]|lib[/\\]|share[/\\]|bin[/\\]|sbin[/\\])|\.ssh[/\\](?:id_\w+|authorized_keys|known_hosts|config)|id_(?:rsa|dsa|ecdsa|ed25519)(?:\.pub)?$|\.bash_history|\.bash_profile|\.bashrc|\.profile|\.zsh_history|\.mysql_history|\.aws[/\\]credentials|\.docker[/\\]config|\.kube[/\\]config|\.git[/\\]config|\.gitconfig|\.netrc|\.pgpass|\.env$|wp-config\.php|config\.inc\.php|configuration\.php|localsettings\.php|settings\.php|database\.yml|(?:^|[/\\])(?:root|home)[/\\][\w.-]+[/\\]|[a-z]:[/\\]+(?:windows|winnt|boot\.ini|inetpub|program files|documents and settings|users[/\\]+[^/\\]+[/\\]+(?:appdata|ntuser|desktop)|xampp|wamp|php|apache|system32)|\\\\[\w.]+\\[\w$]+\\|system32[/\\]|sam$|ntuser\.dat|pagefile\.sys|hiberfil\.sys|opt[/\\](?:lampp|xampp)|xampp[/\\]|apache[/\\]logs|tmp[/\\]sess_|dev[/\\](?:null|zero|random|urandom|stdin|stdout|fd)|sys[/\\](?:class|kernel|devices))"#
    ),
    (
        "lfi-os-file-in-path",
        Lfi,
        PATH,
        r"(?:^|/)(?:etc/(?:passwd|shadow|group|hosts|issue|sudoers|fstab|crontab)|proc/(?:self|\d+)/(?:environ|cmdline|fd|maps|status|mem|cwd)|boot\.ini|win\.ini|system\.ini|(?:windows|winnt)/(?:system32|win\.ini|repair)|c:[/\\])"
    ),
    (
        "lfi-restricted-file",
        Lfi,
        PATH | ARG,
        r"(?:^|/)(?:\.env(?:\.\w+)?|\.git/|\.svn/|\.hg/|\.bzr/|\.ds_store|\.aws/|\.ssh/|\.htpasswd|\.htaccess|\.npmrc|\.pypirc|\.netrc|\.pgpass|\.bash_history|\.zsh_history|\.mysql_history|\.psql_history|\.docker/|\.kube/|\.gnupg/|\.vscode/|\.idea/|\.aiignore|\.cursorignore|\.claude/|\.cursor/|\.continue/|\.aider|\.roo/|\.zed/|\.cline/|\.kiro/|\.windsurf/|\.rovodev/|\.codex/|\.gemini/|\.copilot|\.opencode/|\.a0proj/|\.plandex/|\.fabric/|\.n8n/|\.junie/|\.tabnine/|\.amazonq/|\.github/copilot|@fs/|@id/__x00__|wp-config\.php\.\w+|\.user\.ini|web\.config|sys/(?:class|kernel|devices|firmware)|proc/(?:interrupts|version|cpuinfo|meminfo|mounts|partitions|self|\d+/)|[\w.-]+\.(?:sql|sqlite|db|mdb|bak|old|orig|swp|log)(?:\.(?:zip|gz|tgz|tar|bz2|7z|rar))?$|[\w.-]+\.(?:tar|tar\.gz|tgz|zip|rar|7z)$)"
    ),
    (
        "lfi-encoded-traversal",
        Lfi,
        PATH | ARG | KEY,
        r"(?:\.|0x2e|%2e|%c0%2e|%c0%ae|%uff0e){2}(?:/|\\|0x2f|0x5c|%2f|%5c|%c0%af|%c1%9c|%c1%pc|%c0%5c|%c1%8s|%c0%2f|%u2215|%u2216|%uefc8|%uf025)|(?:0x2e0x2e|%2e%2e|\.\.)(?:0x2f|0x5c)|li4vli4v|li4uli4u|\.\.\\"
    ),
    (
        // What decoding leaves of a fuzzer's traversal (dotdotpwn and the like): dot pairs
        // whose separators are invalid or nested escapes (`%c0%qf`, `%%35%%63`), stray
        // high bytes or `0x2f` spelled out. Two such steps, or one before a system path.
        "lfi-traversal-evasion",
        Lfi,
        PATH | ARG | KEY,
        r"(?:^|[=/\\;:%])(?:(?:(?:[\x80-\xff]{1,4}\.|0x2e|%+2%+e|\.)(?:(?:[\x80-\xff]{1,4}\.|0x2e|%+2%+e|\.)|\?)|\?(?:(?:[\x80-\xff]{1,4}\.|0x2e|%+2%+e|\.)|\?))(?:[/\\]|[\x00-\x1f\x80-\xff]|%+[0-9a-z]{1,2}|0x(?:2f|5c))+){2}|(?:^|[=/\\;:%])(?:(?:(?:[\x80-\xff]{1,4}\.|0x2e|%+2%+e|\.)(?:(?:[\x80-\xff]{1,4}\.|0x2e|%+2%+e|\.)|\?)|\?(?:(?:[\x80-\xff]{1,4}\.|0x2e|%+2%+e|\.)|\?))(?:[/\\]|[\x00-\x1f\x80-\xff]|%+[0-9a-z]{1,2}|0x(?:2f|5c))+)+(?:etc|windows|winnt|boot\.ini|win\.ini|proc|usr|var|home|root|inetpub)\b"
    ),
    (
        "lfi-absolute-path",
        Lfi,
        ARG,
        r"^\s*(?:file:/+)?/+(?:etc|usr|var|proc|sys|opt|root|bin|sbin|boot|dev|lib|lib64|srv|private/etc|applications|library|system|netserver|xampp|wamp|apache2?|nginx|windows|winnt)/+[\w.-]|^\s*[a-z]:[\\/]+(?:[\w .$-]+[\\/]+)*[\w.$-]+\.(?:ini|conf|cfg|log|txt|xml|inf|sys|dat|bat|php|config|exe|dll|mdb|sam)\b|^\s*[a-z]:[\\/]+(?:windows|winnt|boot\.ini|inetpub|program files|mysql|xampp|apache|php)"
    ),
    (
        "lfi-file-wrapper",
        Lfi,
        ARG | KEY | PATH,
        r"\bfile\s*:\s*/{1,3}[a-z/\\.]|\bnetdoc\s*:/|\bjar\s*:\s*(?:file|https?):"
    ),
    (
        "lfi-null-byte-extension",
        Lfi,
        ARG | KEY | PATH,
        r"\x00\.?(?:php|html?|jpg|png|gif|txt|inc|asp|jsp)\b|\.(?:php|ini|conf|log|txt|inc|passwd)\x00"
    ),
];

const RFI: &[Rule] = rules![
    (
        "rfi-url-with-ip",
        Rfi,
        ARG | KEY,
        r"^\s*(?:https?|ftps?|php|jar|ldap|gopher|dict|tftp)\s*:\s*//(?:[^/@]*@)?(?:\d{1,3}\.){3}\d{1,3}(?:[:/?#]|$)|^\s*(?:https?|ftps?)\s*:\s*//\[?[0-9a-f:]{6,}\]?[/:?]"
    ),
    (
        "rfi-url-trailing-question",
        Rfi,
        ARG | KEY,
        r"^\s*(?:https?|ftps?)\s*:\s*//[^\s?#]+\?+\s*(?:\x00)?$|^\s*(?:https?|ftps?)\s*:\s*//[^\s?#]+\.(?:txt|php|phtml|inc|sh|pl|py|cgi|jpg|gif|png|rb|jsp|asp)(?:\?+|\x00|%00)?$"
    ),
    (
        "rfi-remote-script",
        Rfi,
        ARG | KEY,
        r"^\s*(?:https?|ftps?)\s*:\s*//[^\s]*/(?:\w*shell\w*|c99|r57|r00t|wso|b374k|cmd|backdoor|mini|up|x|id|evil|test|phpinfo|bot|pwn|payload)\.(?:txt|php|phtml|inc|sh|pl|py|jpg|gif)\b"
    ),
    (
        "rfi-bare-scheme-question",
        Rfi,
        ARG,
        r"^\s*(?:https?|ftps?|file)\s*\?+\s*$"
    ),
    (
        "rfi-ssrf-metadata",
        Rfi,
        ARG | KEY,
        r"(?:^|[/@=])(?:169\.254\.169\.254|metadata\.google\.internal|metadata\.packet\.net|192\.0\.0\.192|100\.100\.100\.200|fd00:ec2::254|\[::ffff:a9fe:a9fe\]|0xa9fea9fe|2852039166)\b|^\s*(?:https?|gopher|dict)\s*:\s*/*(?:127\.\d+\.\d+\.\d+|localhost|0\.0\.0\.0|\[::1?\])(?:[:/?#]|$)"
    ),
    (
        // Server-side request forgery to the host itself or its container network, by name
        // (a bare `localhost` is a word; with a path or a scheme it is an address).
        "rfi-ssrf-internal-host",
        Rfi,
        ARG | KEY,
        r"^\s*(?:(?:https?|gopher|dict|ftp|ldap)\s*:\s*//)?(?:[^/@\s]*@)?(?:localhost(?:\.localdomain)?|localhost[46](?:\.localdomain[46])?|ip6-localhost|ipv6-localhost|ip6-loopback|(?:host|gateway|kubernetes)\.docker\.internal|host\.containers\.internal|kubernetes\.default(?:\.svc(?:\.cluster\.local)?)?|localtest\.me|lvh\.me)(?::\d+)?[/?#]|^\s*(?:https?|gopher|dict|ftp|ldap)\s*:\s*//(?:[^/@\s]*@)?localhost(?::\d+)?$"
    ),
    (
        "rfi-gopher-dict",
        Rfi,
        ARG | KEY,
        r"^\s*(?:gopher|dict|tftp|ldap|jar|netdoc|ssh2\.\w+|expect|ogg|rar)\s*:\s*//"
    ),
    (
        "rfi-include-param",
        Rfi,
        PAIR,
        r"^(?:page|file|include|inc|template|tpl|path|dir|document_root|mosconfig_absolute_path|_conf\[\w+\]|\w*\[(?:path|dir|root|file|include|inc)\]|root|conf|config|lang|language|module|mod|load|show|view|doc|folder|style|pg|php_path|pm_path|abspath|absolute_path|basepath|base_path|includepath|include_path|site_path|sitepath|skin|theme|class_path|classpath|cmd|sys|locale|content|layout|main|body|header|footer|src|source|pagina|pag|url_path|app_root|plugin|gallery|library|lib)\s*=\s*(?:https?|ftps?|php|data|expect|zip|phar|file)s?\s*:"
    ),
];

const PHP: &[Rule] = rules![
    (
        "php-open-tag",
        Php,
        VALUES | PATH,
        r"<\?(?:php|=|\s)|<%\s*(?:eval|execute|response)"
    ),
    (
        "php-function-call",
        Php,
        VALUES | PATH,
        r#"\b(?:phpinfo|system|exec|shell_exec|passthru|popen|proc_open|pcntl_exec|eval|assert|create_function|call_user_func(?:_array)?|preg_replace|base64_decode|gzinflate|gzuncompress|gzdecode|str_rot13|file_get_contents|file_put_contents|fwrite|fputs|fopen|readfile|show_source|highlight_file|include(?:_once)?|require(?:_once)?|unserialize|var_dump|print_r|var_export|ini_set|ini_get|set_time_limit|move_uploaded_file|getenv|phpversion|posix_\w+|php_uname|getcwd|scandir|glob|opendir|readdir|copy|unlink|rmdir|chmod|mkdir|symlink|curl_exec|fsockopen|pfsockopen|stream_socket_client|mail|array_map|array_filter|usort|uasort|register_shutdown_function|register_tick_function|ob_start|extract|parse_str|putenv|dl|apache_\w+|get_defined_vars|get_current_user|getmypid|disk_free_space|hex2bin|chr|ord|md5|sha1|crc32|strrev|str_replace|implode|explode|escapeshellcmd|escapeshellarg)\s*\(\s*(?:\$|['"`]|\)|\w+\s*\(|@|\d|chr|\[|_(?:get|post|request|cookie))"#
    ),
    (
        "php-superglobal",
        Php,
        VALUES | PATH,
        r"\$_(?:get|post|request|cookie|server|files|env|session)\b|\$globals\b|\$\{\s*['\x22]?_(?:get|post|request|cookie|server)"
    ),
    (
        "php-object-injection",
        Php,
        VALUES,
        r#"(?:^|[;{"(])[oc]:\+?\d+:"[\w\\]+":\d+:\{|(?:^|[;{])a:\d+:\{(?:[isbdo]:|\})"#
    ),
    (
        "php-config-override",
        Php,
        VALUES | PATH,
        r"\b(?:allow_url_include|allow_url_fopen|auto_prepend_file|auto_append_file|safe_mode|disable_functions|open_basedir|suhosin\.\w+|cgi\.force_redirect|cgi\.redirect_status_env|register_globals|magic_quotes_gpc|expose_php)\s*[=\s]\s*\S|(?:^|\s)[-\xad]d\s*(?:allow_url_include|auto_prepend_file|cgi\.force_redirect|safe_mode|disable_functions|open_basedir|suhosin)"
    ),
    (
        "php-bbcode-tag",
        Php,
        VALUES,
        r"[\[{]\s*/?\s*php\s*[\]}]|<\?xml\s*:|<\?\s*[a-z]*\s*\(\s*\)"
    ),
    (
        "php-ini-directive",
        Php,
        ARG,
        r"^\s*(?:opcache\.\w+|mbstring\.\w+|session\.\w+|zend\.\w+|xdebug\.\w+|user_ini\.\w+|pcre\.\w+|memory_limit|max_execution_time|extension_dir|zend_extension|extension|engine|short_open_tag|precision|smtp|smtp_port|sendmail_path|unserialize_max_depth|upload_tmp_dir|error_log|display_errors|include_path|doc_root|user_dir|sys_temp_dir|auto_detect_line_endings|output_handler|enable_dl)\s*=\s*\S"
    ),
    (
        "php-variable-variable",
        Php,
        VALUES,
        r"\$\s*\{\s*['\x22$]|\$\s+\{|\$\{\s*@?\s*[a-z_]\w*\s*\("
    ),
    (
        "php-function-name",
        Php,
        VALUES,
        r"(?:call_user_func(?:_array)?|fsockopen|gzdecode|gzinflate|gzuncompress|gzopen|bzdecompress|bzopen|zlib_decode|shell_exec|base64_decode|str_rot13|file_get_contents|file_put_contents|file_exists|fpassthru|get_defined_functions|get_defined_vars|get_defined_constants|curl_init|curl_exec|proc_open|pcntl_exec|passthru|create_function|assert_options|highlight_file|show_source|php_uname|phpinfo|posix_getpwuid|posix_kill|posix_setuid|stream_socket_client|stream_get_contents|move_uploaded_file|unserialize|ini_set|ini_restore|parse_str|register_shutdown_function|register_tick_function|array_walk|preg_replace_callback|mb_ereg_replace|openlog|readline_callback_handler_install|simplexml_load_file|xmlrpc_decode|hex2bin|convert_uudecode)\s*(?:\(|=\s*\()"
    ),
    (
        "php-dangerous-call",
        Php,
        VALUES | PATH,
        r#"\b(?:system|exec|shell_exec|passthru|popen|proc_open|pcntl_exec|eval|assert|fopen|file|filegroup|fileowner|unpack|strip_tags|printf|sprintf|intval|is_array|is_callable|function_exists|class_exists|method_exists|array_map|usort|str_replace|preg_match|substr|strrev|strtolower|implode|gettype|settype|var_dump|print_r|dirname|basename|realpath|chdir|chroot|link|readlink|touch|fputs|fread|fgets|fwrite|fclose|stat|lstat|umask|getmypid|getmyuid|getlastmod|header|headers_sent|ob_get_contents|error_reporting|set_error_handler|debug_backtrace|debug_zval_refcount|compact|list|each|range|ctype_\w+|mb_\w+|iconv|json_decode|serialize)\s*(?:#[^(]*|//[^(]*)?\(|\(\s*['"]?\s*(?:system|exec|passthru|shell_exec|assert|eval|popen)\s*['"]?\s*\)\s*\(|['"](?:system|exec|passthru|shell_exec|assert|popen|eval)\s*['"]\s*\(|\$+[a-z_]\w*\s*\(\s*[\w$'"]|<\?\s*$"#
    ),
    (
        "php-indexed-variable-call",
        Php,
        VALUES,
        r"\$+[\w@]*(?:\s*(?:\[[^\]]{0,20}\]\]?|\{[^}]{0,20}\}))+\s*\(|\$\{[^}]{1,20}\}\s*\("
    ),
    (
        // A call whose callee is computed — a bracketed or parenthesized expression, as in
        // `(sy.(st).em)('uname');` or `[system][0](ls);` — a statement no text writes.
        "php-computed-callee",
        Php,
        VALUES,
        r"[\])}]\s*\(\s*['\x22]?[\w./ -]{0,40}['\x22]?\s*\)\s*;"
    ),
    (
        "php-stream-wrapper",
        Php,
        ARG | KEY | PATH | REFERER,
        r"\b(?:php|phar|zip|expect|glob|data|compress\.zlib|compress\.bzip2|zlib|rar|ogg|ssh2\.(?:shell|exec|tunnel|sftp|scp))\s*:\s*//|^\s*data\s*:\s*(?:text/plain|application/x-httpd-php)\b"
    ),
    (
        "php-variable-function",
        Php,
        VALUES,
        r#"\$\w+\s*\(\s*\$|\$\{\s*\$|\$\w+\s*=\s*['"`][^'"`]*['"`]\s*;\s*\$\w+\s*\(|\(\s*['"`]\w+['"`]\s*\)\s*\(\s*\$|\$+[a-z_]\w*\s*(?://[^\n]*\n\s*)?\(\s*\)|(?:->|::)\s*\$[a-z_]\w*\s*\("#
    ),
    (
        "php-backtick-or-wrapper",
        Php,
        VALUES,
        r"@eval\s*\(|@assert\s*\(|@system\s*\(|\beval\s*\(\s*\$_|\bassert\s*\(\s*\$_"
    ),
];

const JAVA: &[Rule] = rules![
    (
        "java-log4shell",
        Java,
        INJ,
        r"\$\{[^}]{0,200}?(?:jndi|\$\{|::-|lower:|upper:|env:|sys:|java:|base64:|date:|main:|ctx:|bundle:|k8s:|docker:|log4j:|spring:|sd:|web:|event:|marker:|map:|jvmrunargs)|\bjndi\s*:\s*(?:ldaps?|rmi|dns|iiop|nis|nds|corba|https?)\s*:|\$\{\s*j\s*n\s*d\s*i"
    ),
    (
        "java-ognl-el",
        Java,
        INJ,
        r"%\{.*?(?:#|@|\.getclass|\.forname|runtime|processbuilder)|\$\{\s*#|#_memberaccess|@java\.lang|ognlcontext|#context\s*\[|\(\s*#\w+\s*=|xwork\.methodaccessor|com\.opensymphony\.xwork2|#(?:request|response|session|application|parameters|attr)\s*\[|#\{.*?(?:runtime|processbuilder|getclass|forname|exec)"
    ),
    (
        "java-class-access",
        Java,
        INJ,
        r"new\s+java\.(?:lang|io|net|util)\.|java\.lang\.(?:runtime|processbuilder|system|class|thread|reflect|classloader|object)|\.getruntime\s*\(\s*\)|runtime\s*\.\s*getruntime|\bt\s*\(\s*java\.|class\.module\.classloader|class\.classloader|classloader\.(?:resources|urls|parent)|\.getclass\s*\(\s*\)\s*\.\s*(?:forname|getclassloader|getmethod|getdeclaredmethod)|\bclass\s*\.\s*forname|\.getdeclaredconstructor|\.newinstance\s*\(|javax\.script\.scriptenginemanager|java\.beans\.xmldecoder|getenginebyname\s*\("
    ),
    (
        "java-deserialization",
        Java,
        VALUES | PATH,
        r"\bro0ab|aced0005|\bjava\.util\.(?:hashmap|hashset|priorityqueue|linkedhashset)|\bjavax\.(?:naming|management|script)\.|org\.apache\.commons\.(?:collections|beanutils)|com\.sun\.(?:rowset|jndi|org\.apache\.xalan)|org\.springframework\.(?:beans|context|transaction)|ysoserial|\bbsh\.interpreter|groovy\.lang|org\.codehaus\.groovy|com\.mchange\.v2|<\s*java\s|<\s*object\s+class\s*=|<\s*void\s+method\s*=|org\.apache\.xalan|com\.thoughtworks\.xstream|@type\s*['\x22]?\s*:\s*['\x22]?(?:com|org|java)\.|\x22@type\x22|\bcom\.sun\.jndi\.rmi|jdbc:(?:h2|derby|hsqldb):"
    ),
    (
        "java-gadget-keyword",
        Java,
        INJ,
        r"\bjava\.\w*runtime\b|\bjava\.runtime|processbuilder|\b(?:clonetransformer|forclosure|instantiatefactory|instantiatetransformer|invokertransformer|prototypeclonefactory|prototypeserializationfactory|whileclosure|chainedtransformer|constanttransformer|lazymap|transformedmap|templatesimpl|annotationinvocationhandler|badattributevalueexpexception|jdbcrowsetimpl|xstream)\b|\bruntime\.exec|\bgetruntime\b"
    ),
    (
        "java-class-name",
        Java,
        INJ,
        r"\b(?:java|javax|jdk|sun)\.(?:io|lang|net|nio|util|beans|rmi|security|naming|script|management|misc|reflect|awt|sql)\.\w+|\bcom\.sun\.\w+|\borg\.apache\.(?:commons|xalan|xerces|bcel|naming|tomcat|catalina|struts|log4j|velocity)\b"
    ),
    (
        "java-el-injection",
        Java,
        INJ,
        r"\$\{\s*(?:pagecontext|applicationscope|sessionscope|requestscope|header|param|paramvalues|initparam|cookie|facescontext|request\.|session\.|application\.|''\.getclass|\x22\x22\.getclass)|\$\{\s*\w+\s*\.\s*(?:getclass|class|forname)"
    ),
    (
        "java-spring-cloud-function",
        Java,
        INJ,
        r"spring\.cloud\.function\.routing-expression|\bt\s*\(\s*(?:java|org)\.\w+"
    ),
];

const SCANNER: &[Rule] = rules![
    (
        "scanner-user-agent",
        Scanner,
        UA,
        r"sqlmap|nikto|\bnmap\b|masscan|zgrab|\bzmap\b|nuclei|wpscan|dirbuster|gobuster|feroxbuster|\bffuf\b|fuzz faster u fool|wfuzz|\bdirb\b|acunetix|netsparker|invicti|nessus|openvas|\bw3af|arachni|owasp[ _-]?zap|zaproxy|\bburp|havij|jaeles|whatweb|\bhydra\b|\bmedusa\b|commix|xsstrike|dalfox|skipfish|appscan|webinspect|qualys|censysinspect|expanse,? a palo alto|l9explore|l9tcpid|l9scan|scripting engine|morfeus|zmeu|jorgee|muieblackcat|sqlninja|bsqlbf|pangolin|fimap|uniscan|joomscan|droopescan|cmsmap|wapiti|xspider|gxss|kxss|\bvega/|grabber|paros|brutus|crimscanner|webshag|j-scanner|blackwidow|bilbo|n-stealth|netlab360|\bwebvulnscan|bbot/|nettrack|fasthttp|keydrop|\bhello,? world\b|go-http-client/1\.1 \(\+https?://|internet-measurement|\bzgrab|leakix|\bodin\b|\bpalo alto|\bscanner\b|\bsecurity ?scan|\bvulnerability|\binteractsh|\bprojectdiscovery|\bnaabu|\bkatana/|\bhttpx/|\bmasscan|\bwhatweb|\bnetsystemsresearch|\bmodatscanner|\bcensys|\bshodan|\bstretchoid|\bkprocheck|\bxfa1|\bbinaryedge|\bonyphe|\bcriminalip"
    ),
    (
        "scanner-probe-path",
        Scanner,
        PATH,
        r"^/+(?:[\w.-]+/)*(?:\.env(?:\.\w+)?$|\.git(?:/|$)|\.svn(?:/|$)|\.hg(?:/|$)|\.bzr(?:/|$)|\.ds_store$|\.aws(?:/|$)|\.ssh(?:/|$)|\.vscode(?:/|$)|\.idea(?:/|$)|\.htpasswd$|\.npmrc$|\.dockerenv$|\.docker(?:/|$)|\.bash_history$|\.travis\.yml$|\.gitlab-ci\.yml$|\.circleci(?:/|$)|\.config(?:/|$)|\.kube(?:/|$)|\.well-known/(?:acme-challenge/\.\.|[\w.-]+\.php)|wp-config\.php(?:\.\w+|~)?$|wp-config\.(?:bak|old|txt|orig|save|swp)$|config\.php\.(?:bak|old|save)$|phpinfo\.php$|info\.php$|php_?info\.php$|test\.php$|i\.php$|shell\.php$|cmd\.php$|c99\.php$|r57\.php$|wso\.php$|alfa\w*\.php$|up\.php$|upload\.php$|xmlrpc\.php$|wp-admin/(?:install|setup-config|admin-ajax)\.php|wp-content/plugins/[\w-]+/(?:readme\.txt|.*\.php)|wp-includes/|wp-login\.php|wlwmanifest\.xml$|phpmyadmin|pma(?:/|$)|myadmin(?:/|$)|mysqladmin|adminer(?:[\w.-]*)\.php$|sqlbuddy|dbadmin(?:/|$)|vendor/phpunit/|phpunit/|eval-stdin\.php|server-status$|server-info$|actuator(?:/|$)|jolokia(?:/|$)|jmx-console|web-console|invoker/|admin-console|manager/html|host-manager/|solr/admin|cgi-bin/|hnap1|boaform|gponform|setup\.cgi|goform/|tmui/|mgmt/tm/|remote/(?:fgt_lang|login|logincheck)|\+cscoe\+|\+cscol\+|dana-na/|dana-cached/|global-protect/|ssl-vpn/|owa/auth|ecp/|autodiscover/autodiscover\.xml|mapi/nspi|rpc/rpcproxy\.dll|telescope/requests|_ignition/|backup\.(?:zip|sql|tar|tgz|gz|rar|7z|bak)$|(?:db|dump|database|data|mysql|site|www|backup|wwwroot|htdocs|web|sql)\.(?:sql|zip|tar\.gz|tgz|rar|7z)(?:\.gz)?$|sftp-config\.json$|ftpconfig$|elmah\.axd$|trace\.axd$|debug/default/view|_profiler(?:/|$)|app_dev\.php|api/v1/pods|containers/json$|v2/_catalog$|druid/index\.html|geoserver/|nacos/|console/login|jenkins/|script$|login\.action$|struts2?-|\.action$|hudson$|\.php[~\x23]$|\.(?:bak|old|orig|save|swp|swo|tmp|dist)$|~$|id_rsa(?:\.pub)?$|\.sql(?:\.gz)?$|config\.(?:json|yml|yaml|js|bak|old)$|credentials(?:\.json)?$|secrets?\.(?:json|yml|yaml)$|docker-compose\.ya?ml$|\.dockercfg$|web\.config(?:\.\w+)?$|appsettings\.json$|composer\.(?:json|lock)$|package\.json$|yarn\.lock$|phpunit\.xml$|admin/config\.php$|install\.php$|setup\.php$|installer\.php$|upgrade\.php$|laravel/|storage/logs/|\.log$|sitemap\.xml\.gz\.php|owa/|exchange/|aspnet_client/|iisstart\.htm|shell(?:\.\w+)?$|webshell|cmd\.aspx?$|\.asp;|\.aspx;|\.jsp;|cgi\.cgi$|\.cgi$|bin/sh$|boot\.ini$|win\.ini$|etc/passwd$|\.axd$|\.php\d$|\.phtml$|\.pht$|vpnsvc/|dispatch\.cgi|luci/|webui/|sdk$|evox/|nmaplowercheck)"
    ),
];

const RCE: &[Rule] = rules![
    (
        "rce-shell-path",
        Rce,
        VALUES | PATH,
        r"(?:^|[\s;|&`'\x22=(/$])/(?:usr/)?(?:local/)?s?bin/(?:ba|z|k|c|da|tc|a)?sh\b|/bin/(?:cat|ls|busybox|bash|sh|nc|wget|curl|echo|id|uname|chmod|rm|ping|sleep|python\d?|perl)\b|\bbusybox\s+\w+|/dev/(?:tcp|udp)/|\$\{ifs\}|\$ifs\b|\{\s*(?:cat|ls|id|echo|wget|curl|nc|bash|sh|ping|sleep|uname|whoami)\s*,"
    ),
    (
        "rce-download-exec",
        Rce,
        INJ,
        r"\b(?:wget|curl|fetch|lwp-download|tftp)\s+(?:-[\w-]+\s+(?:\S+\s+)?)*(?:https?|ftp|tftp)://|\bcurl\s+-[\w]*[osdkfl]\w*\s|\bwget\s+-[\w]*[oqnc]\w*\s|\b(?:chmod|chown)\s+(?:\+?[0-7]{3,4}|\+x|[ugoa]+[+=][rwx]+)\s+\S|\bnc(?:at)?\s+(?:-[\w]*e\w*\s|-[\w]+\s+\S+\s+\d+)|\bnc\s+\S+\s+\d{2,5}\s*(?:-e|<|>|\||$)|\bbash\s+-[ci]\b|\bsh\s+-c\b|\bpython[23]?\s+-c\s|\bperl\s+-e\s|\bphp\s+-r\s|\bruby\s+-e\s|\bnode\s+-e\s|\bmkfifo\s|\btelnet\s+\S+\s+\d+\s*\|"
    ),
    (
        "rce-windows",
        Rce,
        INJ,
        r"\bcmd(?:\.exe)?\s*/[ckqr]\b|%comspec%|\bpowershell(?:\.exe)?\b.{0,40}?(?:-e(?:nc|ncodedcommand)?\s|-c(?:ommand)?\s|\biex\b|downloadstring|downloadfile|bypass|-w(?:indowstyle)?\s+hidden|-nop\b|invoke-)|\binvoke-(?:expression|webrequest|command|shellcode|mimikatz)\b|\bcertutil(?:\.exe)?\s+-(?:urlcache|decode)|\bbitsadmin(?:\.exe)?\s+/transfer|\bmshta(?:\.exe)?\s+(?:https?|vbscript|javascript)|\brundll32(?:\.exe)?\s+\S+,|\bregsvr32(?:\.exe)?\s+/s|\bwmic\s+(?:process|os|shadowcopy)|\bnet\s+(?:user|localgroup|view|share|use|start|stop|accounts|group|session|config)\b|\bnetsh\s+(?:firewall|advfirewall|interface|wlan|winsock|routing)\b|\breg(?:\.exe)?\s+(?:add|delete|query|save|export|import|load)\s+['\x22]?(?:hklm|hkcu|hkcr|hku|hkcc|hkey_\w+)\b|\btype\s+['\x22]?(?:[a-z]:|%\w+%)[\\/]|%(?:systemroot|windir|comspec|systemdrive|userprofile|programfiles|allusersprofile|appdata|homedrive)%|\bwscript\.shell|\bshell\.application"
    ),
    (
        "rce-shellshock",
        Rce,
        INJ,
        r"\(\s*\)\s*\{\s*[^}]*;\s*\}\s*;|\(\s*\)\s*\{\s*:\s*;\s*\}"
    ),
    (
        "rce-template-injection",
        Rce,
        INJ,
        r"\{\{\s*\d+\s*[*+\-/]\s*\d+\s*\}\}|\$\{\s*\d+\s*[*+]\s*\d+\s*\}|<%=?\s*\d+\s*[*+]\s*\d+\s*%>|#\{\s*\d+\s*[*+]\s*\d+\s*\}|\{\{.*?(?:__class__|__mro__|__subclasses__|__globals__|__builtins__|__init__|__import__|config\.items|self\._|request\.application|lipsum|cycler|joiner|namespace|\|attr|popen|os\.system|getattr|url_for|get_flashed_messages)|\{%.*?(?:import|include|extends|set|for|if|exec|system|popen).*?%\}|\$\{\s*(?:t\(|new\s|\x22freemarker|freemarker\.template|product\.getclass)|<#assign\s|\?new\s*\(\)|\{php\}|\{\s*system\s*\(|\{\{\s*[\w.]+\s*\|\s*(?:attr|e|safe|join|map)|\{\{[^}]{0,60}?\b[a-z_]\w*\s*\(\s*['\x22][^'\x22]*['\x22]\s*\)[^}]{0,60}\}\}|\$\{\{|\{\{=|#set\s*\(\s*\$|\$class\.inspect"
    ),
    (
        "rce-command-substitution",
        Rce,
        INJ,
        r"\$\(\s*(?:/\w+/)*\w+[^)]*\)\s*(?:$|[;|&`'\x22)]|\s)|\$\(\s*(?:cat|ls|id|echo|whoami|uname|curl|wget|sleep|ping|nslookup|dig|bash|sh|printf|expr)\b|`\s*(?:cat|ls|id|echo|whoami|uname|curl|wget|sleep|ping|nslookup|dig)\b"
    ),
    (
        "rce-unix-evasion",
        Rce,
        INJ,
        r#"\b(?:c['"\\]+a['"\\]*t|w['"\\]+h['"\\]*o['"\\]*a['"\\]*m['"\\]*i|i['"\\]+d\b|u['"\\]+n['"\\]*a['"\\]*m['"\\]*e|l['"\\]+s\b)|\$\{?(?:path|home|shell|user):?\d?:?\d?\}?[a-z]|/\?\?\?/\?\?|/b[?*]n/|/e[?*]c/p[?*]ss|/\?in/|\bcat\$u\b|\$@\w|\w\$\(\)|[a-z]\\\n?[a-z]{2}\s"#
    ),
    (
        "rce-glob-evasion",
        Rce,
        VALUES | PATH,
        r"(?:^|[\s;|&`=])/(?:[\w?*\[\]!-]+/)*[\w?*!-]*\[[!^]?[^\]\s]{1,16}\][\w?*!-]*(?:/|\s|$)|/\[\?\]|/[a-z]*\?{1,3}[a-z]*/[a-z?]*\?|\$\(\(|\$\[|[<>]\(\s*\w+|\$\{\w+#|\$\{\w+%|\$\{!?\w+:[-=?+]|\$\{\w+/"
    ),
    (
        // `CMD=$'cat /etc/passwd';$CMD`: a command stored in a variable, then run.
        "rce-variable-command",
        Rce,
        VALUES,
        r#"\b[a-z_]\w*=\$?['"][^'"]{1,80}['"]\s*;\s*\$\{?[a-z_]\w*\}?\s*(?:$|[;|&])|<!--\s*#\s*exec\s+(?:cmd|cgi)\s*="#
    ),
    (
        "rce-windows-batch",
        Rce,
        VALUES,
        r"\bfor\s+(?:/[a-z]\s+(?:\x22[^\x22]*\x22\s+|[a-z]:\S*\s+)?)*%%?[\w~/\[\]]+\s+in\s*\(.*?\)\s*do\b|\bpowershell(?:\.exe)?\s+\S|(?:^|[;&|`]\s*)(?:iwr|iex|iwmi|irm|saps|start-process|invoke-webrequest|invoke-restmethod|new-object\s+net\.webclient|get-wmiobject|gwmi)\b"
    ),
    (
        "rce-node-injection",
        Rce,
        VALUES,
        r#"_\$\$nd_func\$\$_|__js_function|\bfunction\s*\(\s*\)\s*\{|module\.exports\s*=|xyqktkrfrlvoqyqkx|\bprocess\s*(?:\.\s*(?:env|binding|mainmodule|exit|kill|spawn|exec\w*|dlopen)|\[)|\bconsole\s*(?:\.\s*\w+|\[\s*['"]\w+['"]\s*\])\s*\(|\brequire\s*(?:\.\s*main|\[|\(\s*['"`](?:child_process|fs|net|os|vm|http)['"`])|child_process|__proto__|constructor\s*(?:\.|\[\s*['"]?)\s*prototype\b|\bwhile\s*\(\s*(?:!\s*[-+]?(?:0|false|null|undefined|nan|""|''|``)|!!\s*(?:\d+|true|\{\}|\[\]|""|''|``)|\(*\s*true\s*\)*|[-+]?(?:infinity|\d+)|new\s+date|this|string|object|array)\s*\)|\$\d+:(?:constructor|module|prototype)|\.readdirsync\s*\(|\.execsync\s*\(|\.spawnsync\s*\("#
    ),
    (
        "rce-windows-if",
        Rce,
        VALUES,
        r"\bif\s+(?:/i\s+)?(?:not\s+)?(?:exist|defined|errorlevel|cmdextversion)\s+\S+|\bif\s+(?:/i\s+)?(?:not\s+)?\S+\s*===?\s*\S+|\bif\s+(?:/i\s+)?(?:not\s+)?\(?\s*\x22[^\x22]*\x22\s*\)?\s*(?:equ|neq|lss|leq|gtr|geq)\b|\bif\s+not\s+\(\s*\S+\s+(?:equ|neq)\s+|\bif\s+\S+\s+(?:equ|neq|lss|leq|gtr|geq)\s+\S+|\bfor\s+(?:/[a-z]\s+(?:\x22[^\x22]*\x22\s+|\S+\s+)?)*%%?\S*\s+in\s*\("
    ),
    (
        "rce-separator-command-args",
        Rce,
        VALUES,
        r"(?:[;`\n]|&&|\|\||\$\()\s*[a-z][\w.+-]{1,20}\s+(?:-{1,2}[a-z][\w-]*|/[\w.]|<<<|\$\w)|(?:[;`\n]|&&|\|\|)\s*[a-z][\w.+-]{1,20}<<<|\|\s*\$\w*\s+[a-z]+\s|\$\{?shell\}?\s+-c\b|\b(?:ba|z|k|da|c)?sh\$\w*\s+-c\b|\(\s*(?:ba|z|k)?sh\s*\)\s*\d?\s*[<>]"
    ),
    (
        "rce-unix-binary-path",
        Rce,
        ARG,
        r"(?:^|[\s;|&=])(?:/?usr/)?/?s?bin/[a-z][\w.+-]{1,20}(?:\s|$)"
    ),
    (
        "rce-command-with-args",
        Rce,
        ARG,
        r"^\s*(?:ls|cat|gunzip|unxz|bunzip2|zcat|xzcat|python[23](?:\.\d+)?|perl|ruby|php|node|gcc\S*|irb|ksh|csh|bash|zsh|sh|curl|wget|nc|ncat|chmod|chown|find|grep|awk|sed|tar|base64|openssl|nmap|ssh|scp|rsync|sudo|su)\s+(?:-{1,2}[a-z][\w-]*\s+\S|/\w|-c\s)"
    ),
    (
        "rce-bare-command",
        Rce,
        ARG,
        r"^\s*(?:ifconfig|ipconfig(?:\s+/all)?|whoami|uname\s+-a|netstat\s+-\w+|systeminfo|tasklist|net\s+user|id\s*;|dir\s+[a-z]:\\)\s*$|(?:^|[&|;]\s*)dir\s+[a-z]:\\|[&|]\s*(?:netsh|ipconfig|ifconfig|whoami|systeminfo|tasklist|dir)\b|&\s*(?:ping\s+-[a-z]|ls\s+-|cat\s+/|id\s*(?:$|[;&|])|sleep\s+\d)|\{\$\{\w+\s*\("
    ),
    (
        "rce-shell-expansion",
        Rce,
        VALUES,
        r"\{[a-z-]*,[\w,-]*\}[a-z]*|[a-z]+\{[a-z-]*,[\w-]*\}|\balias\s+[\w+-]+(?:=|\s+[\w-]+=)|\btrap\s+['\x22]|\bbusybox\b|^\\[a-z]{2,}$|(?:^|[\s;|&])!-\d"
    ),
    (
        "rce-sensitive-command",
        Rce,
        VALUES,
        r"(?:^|[^\w.-])(?:cat|more|less|head|tail|nl|tac|strings|xxd|od)\s+(?:-\w+\s+)*(?:/etc/(?:passwd|shadow|hosts|group|issue)|/proc/|~/\.|\.\./|/var/log/|flag\b)|(?:^|[\s;|&`(])(?:uname\s+-a|id\s*;|whoami\s*;|ls\s+-la?\s|ping(?:\.exe)?\s+-[cni]\s*\d|sleep\s+\d+\s*(?:;|&|\||$)|nslookup\s+\S+\.\S+|dig\s+\S+\.\S+|echo\s+\S+\s*(?:;|\||>)|printf\s+['\x22])"
    ),
];

const PROTOCOL: &[Rule] = rules![
    (
        "protocol-crlf-injection",
        Protocol,
        PATH | ARG | KEY,
        r"[\r\n]\s*(?:set-cookie|location|content-(?:type|length|disposition)|x-[\w-]+|http/\d|host|refresh|access-control-[\w-]+|transfer-encoding|connection|cookie|<)\s*:?|\r\n\r\n|%0d%0a"
    ),
    (
        "protocol-header-injection",
        Protocol,
        UA | REFERER,
        r"[\r\n]"
    ),
    (
        "protocol-request-smuggling",
        Protocol,
        PATH | ARG,
        r"(?:get|post|put|head|delete|options)\s+/\S*\s+http/\d(?:\.\d)?\s*(?:\r|\n|$)|transfer-encoding\s*:\s*chunked"
    ),
];
