//! Country and ASN from MaxMind-format databases the user supplies (`--mmdb`, repeatable:
//! GeoLite2/GeoIP2 Country or City, ASN, or any database with the same field names).
//! Nothing is downloaded.

use crate::InfraError;
use serde::Deserialize;
use std::net::IpAddr;
use std::path::PathBuf;

#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Geo {
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
    pub asn: Option<u32>,
    pub as_org: Option<String>,
}

#[derive(Deserialize)]
struct Country {
    iso_code: Option<String>,
}

#[derive(Deserialize)]
struct Record {
    country: Option<Country>,
    registered_country: Option<Country>,
    autonomous_system_number: Option<u32>,
    autonomous_system_organization: Option<String>,
}

pub struct Enricher {
    readers: Vec<(PathBuf, maxminddb::Reader<Vec<u8>>)>,
}

impl Enricher {
    pub fn open(paths: &[PathBuf]) -> Result<Enricher, InfraError> {
        let mut readers = Vec::new();
        for p in paths {
            let r = maxminddb::Reader::open_readfile(p).map_err(|e| {
                InfraError::Input(format!(
                    "{}: not a readable MaxMind database: {e}",
                    p.display()
                ))
            })?;
            readers.push((p.clone(), r));
        }
        Ok(Enricher { readers })
    }

    pub fn is_empty(&self) -> bool {
        self.readers.is_empty()
    }

    /// What the databases say about `ip`; the first database that knows a field wins.
    pub fn lookup(&self, ip: IpAddr) -> Geo {
        let mut g = Geo::default();
        for (_, r) in &self.readers {
            let Ok(found) = r.lookup(ip) else { continue };
            let Ok(Some(rec)) = found.decode::<Record>() else {
                continue;
            };
            if g.country.is_none() {
                g.country = rec
                    .country
                    .and_then(|c| c.iso_code)
                    .or_else(|| rec.registered_country.and_then(|c| c.iso_code));
            }
            if g.asn.is_none() {
                g.asn = rec.autonomous_system_number;
                g.as_org = rec.autonomous_system_organization;
            }
        }
        g
    }
}
