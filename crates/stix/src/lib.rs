//! A small STIX 2.1 writer: the objects lockstep exports (identity, indicator, observed-data,
//! attack-pattern, campaign, relationship, and the ipv4-addr/ipv6-addr/user-account cyber
//! observables), in a bundle that is deterministic: ids are UUIDv5 of the object's content
//! (UUIDv5 in STIX's namespace for cyber observables; UUIDv4-shaped ids from a content hash
//! for the others),
//! timestamps come from the data, objects are sorted by id. Same findings, same bytes.
//!
//! It knows STIX, nothing about logs or social media: `lockstep infra` exports attack
//! campaigns through it, and social-media clusters can use the same builders.

use serde_json::{json, Map, Value};

/// The namespace STIX 2.1 specifies for deterministic cyber-observable ids (§2.9).
const STIX_NAMESPACE: [u8; 16] = [
    0x00, 0xab, 0xed, 0xb4, 0xaa, 0x42, 0x46, 0x6c, 0x9c, 0x01, 0xfe, 0xd2, 0x33, 0x15, 0xa9, 0xb7,
];

/// RFC 4122 version-5 UUID of `name` in `namespace`.
pub fn uuid5(namespace: &[u8; 16], name: &[u8]) -> String {
    let mut h = sha1_smol::Sha1::new();
    h.update(namespace);
    h.update(name);
    let d = h.digest().bytes();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// The id of a cyber observable: `type--UUIDv5` of the canonical JSON of its
/// id-contributing properties in STIX's namespace (§2.9), as the standard requires.
pub fn sco_id(kind: &str, content: &str) -> String {
    format!("{kind}--{}", uuid5(&STIX_NAMESPACE, content.as_bytes()))
}

/// The id of a domain or relationship object (and of the bundle): the standard asks for
/// UUIDv4 there, so the id has version 4's layout, with the "random" bits taken from a hash
/// of `content` — valid, and the same for the same findings.
pub fn id_for(kind: &str, content: &str) -> String {
    let mut h = sha1_smol::Sha1::new();
    h.update(kind.as_bytes());
    h.update(b"\0");
    h.update(content.as_bytes());
    let d = h.digest().bytes();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{kind}--{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Unix milliseconds as a STIX timestamp (`2024-11-19T12:00:00.000Z`, UTC, millisecond
/// precision).
pub fn timestamp(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let milli = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{milli:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// A reference to an external catalogue entry (MITRE ATT&CK, CAPEC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalRef {
    pub source_name: String,
    pub external_id: String,
    /// Left out of the bundle unless `hash` is given too: STIX wants a URL's content hash.
    pub url: Option<String>,
}

impl ExternalRef {
    pub fn attack(technique: &str) -> ExternalRef {
        let path = technique.replace('.', "/");
        ExternalRef {
            source_name: "mitre-attack".into(),
            external_id: technique.into(),
            url: Some(format!("https://attack.mitre.org/techniques/{path}/")),
        }
    }
    pub fn capec(n: u32) -> ExternalRef {
        ExternalRef {
            source_name: "capec".into(),
            external_id: format!("CAPEC-{n}"),
            url: Some(format!("https://capec.mitre.org/data/definitions/{n}.html")),
        }
    }
    /// A DISARM Red Framework technique (`T0049.005`), in the catalogue's own pages.
    pub fn disarm(technique: &str) -> ExternalRef {
        ExternalRef {
            source_name: "DISARM".into(),
            external_id: technique.into(),
            url: Some(format!(
                "https://github.com/DISARMFoundation/DISARMframeworks/blob/main/generated_pages/techniques/{technique}.md"
            )),
        }
    }
    fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("source_name".into(), json!(self.source_name));
        m.insert("external_id".into(), json!(self.external_id));
        Value::Object(m)
    }
}

/// A Traffic Light Protocol marking, as STIX 2.1 predefines it (§7.2.1.4; TLP 1.0 levels:
/// FIRST's TLP 2.0 `CLEAR` is 1.0's `WHITE`).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    strum::Display,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantNames,
)]
#[strum(serialize_all = "lowercase", ascii_case_insensitive)]
pub enum Tlp {
    #[strum(to_string = "clear", serialize = "white")]
    Clear,
    Green,
    #[default]
    Amber,
    Red,
}

impl serde::Serialize for Tlp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str((*self).into())
    }
}

impl<'de> serde::Deserialize<'de> for Tlp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse()
            .map_err(|_| serde::de::Error::custom(format!("unknown TLP level {s:?}")))
    }
}

impl Tlp {
    /// The predefined marking-definition object (ids and dates fixed by the standard).
    fn definition(self) -> Value {
        let (id, level) = match self {
            Tlp::Clear => ("613f2e26-407d-48c7-9eca-b8e91df99dc9", "white"),
            Tlp::Green => ("34098fce-860f-48ae-8e50-ebd3cc5e41da", "green"),
            Tlp::Amber => ("f88d31f6-486f-44da-b317-01333bde0b82", "amber"),
            Tlp::Red => ("5e57c739-391a-4eb3-b6be-7d15ca92d5ed", "red"),
        };
        json!({
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": format!("marking-definition--{id}"),
            "created": "2017-01-20T00:00:00.000Z",
            "definition_type": "tlp",
            "name": format!("TLP:{}", level.to_uppercase()),
            "definition": { "tlp": level },
        })
    }
}

/// A STIX string literal for patterns: single-quoted, `\` and `'` escaped (§9.2).
pub fn pattern_string(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('\'');
    for c in s.chars() {
        if c == '\\' || c == '\'' {
            o.push('\\');
        }
        o.push(c);
    }
    o.push('\'');
    o
}

/// A STIX bundle under construction. Objects with the same id are kept once.
#[derive(Debug, Clone)]
pub struct Bundle {
    objects: std::collections::BTreeMap<String, Value>,
    /// The producer's identity id (`created_by_ref` of every domain object).
    identity: String,
    /// `created`/`modified` of every domain object: a time from the data, not the clock.
    created: String,
    /// Applied to every object but the marking itself and the producer's identity.
    marking: Option<Tlp>,
}

impl Bundle {
    /// A bundle produced by `producer` (an identity of class `system`), with objects dated
    /// `created_ms`.
    pub fn new(producer: &str, created_ms: i64) -> Bundle {
        let created = timestamp(created_ms);
        let identity = id_for("identity", producer);
        let mut b = Bundle {
            objects: Default::default(),
            identity: identity.clone(),
            created,
            marking: None,
        };
        let mut o = b.sdo("identity", &identity);
        o.insert("name".into(), json!(producer));
        o.insert("identity_class".into(), json!("system"));
        o.remove("created_by_ref");
        b.objects.insert(identity, Value::Object(o));
        b
    }

    /// Marks every object of the bundle (but the producer's identity) with `tlp`.
    pub fn with_marking(mut self, tlp: Tlp) -> Bundle {
        self.marking = Some(tlp);
        self
    }

    fn sdo(&self, kind: &str, id: &str) -> Map<String, Value> {
        let mut o = Map::new();
        o.insert("type".into(), json!(kind));
        o.insert("spec_version".into(), json!("2.1"));
        o.insert("id".into(), json!(id));
        o.insert("created".into(), json!(self.created));
        o.insert("modified".into(), json!(self.created));
        o.insert("created_by_ref".into(), json!(self.identity));
        o
    }

    fn put(&mut self, o: Map<String, Value>) -> String {
        let id = o["id"].as_str().unwrap_or_default().to_string();
        self.objects.insert(id.clone(), Value::Object(o));
        id
    }

    /// An IP address observable (`ipv4-addr` or `ipv6-addr`); returns its id.
    pub fn ip_address(&mut self, ip: std::net::IpAddr) -> String {
        let kind = if ip.is_ipv4() {
            "ipv4-addr"
        } else {
            "ipv6-addr"
        };
        let value = ip.to_string();
        let id = sco_id(kind, &json!({ "value": value }).to_string());
        let mut o = Map::new();
        o.insert("type".into(), json!(kind));
        o.insert("spec_version".into(), json!("2.1"));
        o.insert("id".into(), json!(id));
        o.insert("value".into(), json!(value));
        self.put(o)
    }

    /// An attack pattern with its catalogue references; returns its id.
    pub fn attack_pattern(
        &mut self,
        name: &str,
        description: &str,
        refs: &[ExternalRef],
    ) -> String {
        let id = id_for("attack-pattern", name);
        let mut o = self.sdo("attack-pattern", &id);
        o.insert("name".into(), json!(name));
        o.insert("description".into(), json!(description));
        o.insert(
            "external_references".into(),
            Value::Array(refs.iter().map(ExternalRef::to_json).collect()),
        );
        self.put(o)
    }

    /// A campaign seen from `first_ms` to `last_ms`; returns its id.
    pub fn campaign(
        &mut self,
        key: &str,
        name: &str,
        description: &str,
        first_ms: i64,
        last_ms: i64,
    ) -> String {
        let id = id_for("campaign", key);
        let mut o = self.sdo("campaign", &id);
        o.insert("name".into(), json!(name));
        o.insert("description".into(), json!(description));
        o.insert("first_seen".into(), json!(timestamp(first_ms)));
        o.insert("last_seen".into(), json!(timestamp(last_ms.max(first_ms))));
        self.put(o)
    }

    /// An indicator for one address (`[ipv4-addr:value = '…']`), valid from `from_ms`.
    pub fn ip_indicator(
        &mut self,
        ip: std::net::IpAddr,
        name: &str,
        description: &str,
        from_ms: i64,
        until_ms: Option<i64>,
    ) -> String {
        let kind = if ip.is_ipv4() {
            "ipv4-addr"
        } else {
            "ipv6-addr"
        };
        let pattern = format!("[{kind}:value = '{ip}']");
        let id = id_for("indicator", &pattern);
        let mut o = self.sdo("indicator", &id);
        o.insert("name".into(), json!(name));
        o.insert("description".into(), json!(description));
        o.insert("indicator_types".into(), json!(["malicious-activity"]));
        o.insert("pattern".into(), json!(pattern));
        o.insert("pattern_type".into(), json!("stix"));
        o.insert("valid_from".into(), json!(timestamp(from_ms)));
        if let Some(u) = until_ms.filter(|&u| u > from_ms) {
            o.insert("valid_until".into(), json!(timestamp(u)));
        }
        self.put(o)
    }

    /// Observed data: `count` observations of the given observables over a time span.
    pub fn observed_data(
        &mut self,
        key: &str,
        first_ms: i64,
        last_ms: i64,
        count: u64,
        refs: &[String],
    ) -> String {
        let id = id_for("observed-data", key);
        let mut o = self.sdo("observed-data", &id);
        o.insert("first_observed".into(), json!(timestamp(first_ms)));
        o.insert(
            "last_observed".into(),
            json!(timestamp(last_ms.max(first_ms))),
        );
        o.insert("number_observed".into(), json!(count.clamp(1, 999_999_999)));
        let mut refs = refs.to_vec();
        refs.sort();
        refs.dedup();
        o.insert("object_refs".into(), json!(refs));
        self.put(o)
    }

    /// A relationship `source --kind--> target`.
    pub fn relationship(&mut self, kind: &str, source: &str, target: &str) -> String {
        let id = id_for("relationship", &format!("{source} {kind} {target}"));
        let mut o = self.sdo("relationship", &id);
        o.insert("relationship_type".into(), json!(kind));
        o.insert("source_ref".into(), json!(source));
        o.insert("target_ref".into(), json!(target));
        self.put(o)
    }

    /// A group of accounts acting together (the actor behind a campaign); returns its id.
    pub fn intrusion_set(
        &mut self,
        key: &str,
        name: &str,
        description: &str,
        first_ms: i64,
        last_ms: i64,
    ) -> String {
        let id = id_for("intrusion-set", key);
        let mut o = self.sdo("intrusion-set", &id);
        o.insert("name".into(), json!(name));
        o.insert("description".into(), json!(description));
        o.insert("first_seen".into(), json!(timestamp(first_ms)));
        o.insert("last_seen".into(), json!(timestamp(last_ms.max(first_ms))));
        self.put(o)
    }

    /// An account observable: `login` on `account_type` (a platform: `tiktok`, `x`, …);
    /// returns its id (UUIDv5 of its id-contributing properties).
    pub fn user_account(&mut self, account_type: &str, login: &str) -> String {
        let id = sco_id(
            "user-account",
            &json!({ "account_login": login, "account_type": account_type }).to_string(),
        );
        let mut o = Map::new();
        o.insert("type".into(), json!("user-account"));
        o.insert("spec_version".into(), json!("2.1"));
        o.insert("id".into(), json!(id));
        o.insert("account_login".into(), json!(login));
        o.insert("account_type".into(), json!(account_type));
        self.put(o)
    }

    /// An indicator with a pattern in `pattern_type` (`stix`, `pcre`, …), valid from
    /// `from_ms`; returns its id.
    pub fn indicator(
        &mut self,
        pattern: &str,
        pattern_type: &str,
        name: &str,
        description: &str,
        from_ms: i64,
    ) -> String {
        let id = id_for("indicator", &format!("{pattern_type} {pattern}"));
        let mut o = self.sdo("indicator", &id);
        o.insert("name".into(), json!(name));
        o.insert("description".into(), json!(description));
        o.insert("indicator_types".into(), json!(["malicious-activity"]));
        o.insert("pattern".into(), json!(pattern));
        o.insert("pattern_type".into(), json!(pattern_type));
        o.insert("valid_from".into(), json!(timestamp(from_ms)));
        self.put(o)
    }

    /// A sighting of `of` (a campaign, an intrusion set), evidenced by observed data.
    pub fn sighting(
        &mut self,
        of: &str,
        observed: &[String],
        first_ms: i64,
        last_ms: i64,
        count: u64,
    ) -> String {
        let id = id_for("sighting", &format!("{of} {}", observed.join(",")));
        let mut o = self.sdo("sighting", &id);
        o.insert("sighting_of_ref".into(), json!(of));
        o.insert("first_seen".into(), json!(timestamp(first_ms)));
        o.insert("last_seen".into(), json!(timestamp(last_ms.max(first_ms))));
        o.insert("count".into(), json!(count.clamp(1, 999_999_999)));
        if !observed.is_empty() {
            o.insert("observed_data_refs".into(), json!(observed));
        }
        self.put(o)
    }

    /// A report over every object in the bundle so far (what OpenCTI and MISP import as one
    /// case); returns its id.
    pub fn report(
        &mut self,
        key: &str,
        name: &str,
        description: &str,
        published_ms: i64,
    ) -> String {
        let id = id_for("report", key);
        let refs: Vec<&String> = self
            .objects
            .keys()
            .filter(|k| !k.starts_with("marking-definition--"))
            .collect();
        let mut o = self.sdo("report", &id);
        o.insert("name".into(), json!(name));
        o.insert("description".into(), json!(description));
        o.insert("report_types".into(), json!(["campaign", "threat-actor"]));
        o.insert("published".into(), json!(timestamp(published_ms)));
        o.insert("object_refs".into(), json!(refs));
        self.put(o)
    }

    pub fn len(&self) -> usize {
        self.objects.len()
    }

    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// The bundle as JSON text (objects sorted by id; the bundle id is derived from them).
    pub fn to_json(&self) -> String {
        let mut marked = self.objects.clone();
        if let Some(tlp) = self.marking {
            let def = tlp.definition();
            let mid = def["id"].clone();
            for (id, o) in marked.iter_mut() {
                if *id != self.identity {
                    if let Value::Object(m) = o {
                        m.insert("object_marking_refs".into(), json!([mid]));
                    }
                }
            }
            marked.insert(mid.as_str().unwrap_or_default().to_string(), def);
        }
        let objects: Vec<&Value> = marked.values().collect();
        let ids: String = marked
            .keys()
            .map(|k| k.as_str())
            .collect::<Vec<_>>()
            .join(",");
        let bundle = json!({
            "type": "bundle",
            "id": id_for("bundle", &ids),
            "objects": objects,
        });
        let mut s = serde_json::to_string_pretty(&bundle).unwrap_or_default();
        s.push('\n');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_ids_and_times() {
        // RFC 4122 test vector: uuid5(DNS, "python.org").
        let dns = [
            0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4,
            0x30, 0xc8,
        ];
        assert_eq!(
            uuid5(&dns, b"python.org"),
            "886313e1-3b8a-5372-9b90-0c9aee199e5d"
        );
        assert_eq!(timestamp(1_732_017_600_250), "2024-11-19T12:00:00.250Z");
        assert_eq!(timestamp(0), "1970-01-01T00:00:00.000Z");
        let mut b = Bundle::new("lockstep", 1_732_017_600_000);
        let ip = b.ip_address("198.51.100.7".parse().unwrap());
        let again = b.ip_address("198.51.100.7".parse().unwrap());
        assert_eq!(ip, again);
        let ap = b.attack_pattern(
            "SQL injection",
            "x",
            &[ExternalRef::attack("T1190"), ExternalRef::capec(66)],
        );
        let c = b.campaign("c1", "Campaign 1", "x", 1, 2);
        b.relationship("uses", &c, &ap);
        b.ip_indicator("2001:db8::1".parse().unwrap(), "n", "d", 0, Some(10));
        b.observed_data("o", 0, 5, 3, &[ip]);
        let j: Value = serde_json::from_str(&b.to_json()).unwrap();
        assert_eq!(j["objects"].as_array().unwrap().len(), 7);
        assert_eq!(b.to_json(), b.clone().to_json());
    }
}
