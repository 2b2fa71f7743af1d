//! RFC 3161 time-stamping: the request (`TimeStampReq`, SHA-256 imprint, a nonce, the TSA's
//! certificate asked for), its HTTP POST (`application/timestamp-query`, plain HTTP: tokens
//! are self-authenticating, so no TLS stack is built in), and checking a token.
//!
//! [`verify_token`] checks: the token is CMS SignedData (version 3) over a TSTInfo; the
//! imprint is SHA-256 of the checkpoint; the nonce is the one asked for; exactly one signer,
//! whose digest algorithm is the only one listed; the signed attributes' content type is
//! TSTInfo and their message digest is the TSTInfo's; the signer's certificate is in the
//! token, found by issuer and serial (or key identifier), and is the one the signed
//! ESS signing-certificate attribute (v1 SHA-1 or v2) names; the RSA PKCS#1 v1.5 signature
//! (SHA-256/384/512) over the signed attributes verifies with that certificate's key.
//! Fields outside the signature must hold their only valid values (canonical DER, one
//! digest algorithm, NULL or absent parameters, no CRLs or unsigned attributes), so that
//! no byte of a token can change unseen — except certificates other than the signer's,
//! which lockstep does not use (they are chain candidates for `openssl ts -verify`).
//! Not checked here (delegated to `openssl ts -verify -CAfile`): the certificate chain to a
//! trusted root, the certificate's validity period, key usage and revocation, and the TSA
//! policy. Other signature algorithms (ECDSA, RSA-PSS) are not supported: `seal` refuses a
//! token it cannot check, so `verify` treats one as damaged.

use cms::cert::CertificateChoices;
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier};
use der::asn1::{Int, ObjectIdentifier as Oid, OctetString};
use der::{Any, Decode, Encode, Sequence, Tagged};
use sha2::{Digest, Sha256, Sha384, Sha512};
use std::time::Duration;
use x509_tsp::{MessageImprint, TimeStampReq, TimeStampResp, TspVersion, TstInfo};

const SIGNED_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.2");
const TST_INFO: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.1.4");
const CONTENT_TYPE: Oid = Oid::new_unwrap("1.2.840.113549.1.9.3");
const MESSAGE_DIGEST: Oid = Oid::new_unwrap("1.2.840.113549.1.9.4");
const SIGNING_CERT: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.2.12");
const SIGNING_CERT_V2: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.2.47");
const SHA256: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.1");
const SHA384: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.2");
const SHA512: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.3");
const RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.1");
const RSA_SHA256: Oid = Oid::new_unwrap("1.2.840.113549.1.1.11");
const RSA_SHA384: Oid = Oid::new_unwrap("1.2.840.113549.1.1.12");
const RSA_SHA512: Oid = Oid::new_unwrap("1.2.840.113549.1.1.13");

/// Why a token does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("not a DER time-stamp token: {0}")]
    Malformed(String),
    #[error("the token's imprint is not SHA-256 of the checkpoint")]
    WrongImprint,
    #[error("the token's nonce is not the one asked for")]
    WrongNonce,
    #[error("the signed attributes do not match the token: {0}")]
    BadAttributes(&'static str),
    #[error("the signer's certificate is not in the token, or is not the one it names")]
    WrongCertificate,
    #[error("the TSA's signature does not verify")]
    BadSignature,
    #[error("signature algorithm {0} is not checked by lockstep (use openssl ts -verify)")]
    Unsupported(String),
}

/// What a valid token says.
#[derive(Debug, Clone)]
pub struct TokenInfo {
    /// The TSA's time, as GeneralizedTime in the token (`YYYYMMDDhhmmss[.f]Z`).
    pub gen_time: String,
    pub serial: String,
    pub policy: String,
    /// The signer certificate (DER), for `openssl ts -verify -untrusted` or display.
    pub signer_cert: Vec<u8>,
}

fn malformed(e: impl std::fmt::Display) -> TokenError {
    TokenError::Malformed(e.to_string())
}

/// A positive 63-bit nonce as minimal big-endian bytes (what the token's INTEGER holds).
pub fn nonce_bytes(nonce: u64) -> Vec<u8> {
    let n = nonce & (u64::MAX >> 1) | 1 << 56;
    n.to_be_bytes()
        .iter()
        .copied()
        .skip_while(|&b| b == 0)
        .collect()
}

/// DER `TimeStampReq` for SHA-256 `digest`, asking for the TSA's certificate.
pub fn request(digest: &[u8; 32], nonce: u64) -> Result<Vec<u8>, String> {
    let req = TimeStampReq {
        version: TspVersion::V1,
        message_imprint: MessageImprint {
            hash_algorithm: spki::AlgorithmIdentifierOwned {
                oid: SHA256,
                parameters: Some(Any::from(der::asn1::AnyRef::NULL)),
            },
            hashed_message: OctetString::new(digest.to_vec()).map_err(|e| e.to_string())?,
        },
        req_policy: None,
        nonce: Some(Int::new(&nonce_bytes(nonce)).map_err(|e| e.to_string())?),
        cert_req: true,
        extensions: None,
    };
    req.to_der().map_err(|e| e.to_string())
}

/// POSTs a request; returns the response body.
pub fn post(url: &str, req: &[u8], timeout: Duration) -> Result<Vec<u8>, String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .build()
        .into();
    let mut resp = agent
        .post(url)
        .header("Content-Type", "application/timestamp-query")
        .send(req)
        .map_err(|e| format!("cannot reach it: {e}"))?;
    let status = resp.status();
    if !status.is_success() {
        return Err(format!("HTTP status {status}"));
    }
    resp.body_mut()
        .with_config()
        .limit(1 << 20)
        .read_to_vec()
        .map_err(|e| format!("reading the answer: {e}"))
}

/// Takes the token out of a `TimeStampResp` whose status is granted.
pub fn token_from_response(resp: &[u8]) -> Result<Vec<u8>, String> {
    let r = TimeStampResp::from_der(resp).map_err(|e| format!("not a TimeStampResp: {e}"))?;
    use cmpv2::status::PkiStatus;
    match r.status.status {
        PkiStatus::Accepted | PkiStatus::GrantedWithMods => {}
        s => return Err(format!("the TSA refused: status {s:?}")),
    }
    let t = r
        .time_stamp_token
        .ok_or("the answer holds no token")?
        .to_der()
        .map_err(|e| e.to_string())?;
    Ok(t)
}

/// Checks a token (DER `ContentInfo`) over `message` with the expected nonce (see the
/// module comment for exactly what is checked).
pub fn verify_token(token: &[u8], message: &[u8], nonce: u64) -> Result<TokenInfo, TokenError> {
    let ci = ContentInfo::from_der(token).map_err(malformed)?;
    if ci.content_type != SIGNED_DATA {
        return Err(malformed("not SignedData"));
    }
    let sd: SignedData = ci.content.decode_as().map_err(malformed)?;
    if sd.version != cms::content_info::CmsVersion::V3 {
        return Err(malformed("SignedData version is not 3"));
    }
    if sd.encap_content_info.econtent_type != TST_INFO {
        return Err(malformed("the content is not a TSTInfo"));
    }
    let econtent = sd
        .encap_content_info
        .econtent
        .as_ref()
        .ok_or_else(|| malformed("no TSTInfo"))?;
    let tst_der = OctetString::from_der(&econtent.to_der().map_err(malformed)?)
        .map_err(malformed)?
        .into_bytes();
    let tst = TstInfo::from_der(&tst_der).map_err(malformed)?;
    if tst.message_imprint.hash_algorithm.oid != SHA256
        || tst.message_imprint.hashed_message.as_bytes() != Sha256::digest(message).as_slice()
    {
        return Err(TokenError::WrongImprint);
    }
    if tst.nonce.as_ref().map(|n| n.as_bytes()) != Some(nonce_bytes(nonce).as_slice()) {
        return Err(TokenError::WrongNonce);
    }
    let signers: Vec<_> = sd.signer_infos.0.iter().collect();
    let [si] = signers.as_slice() else {
        return Err(malformed("not exactly one signer"));
    };
    // The fields outside the signature must hold exactly what they can hold, or a change
    // to them would go unseen.
    if ci.to_der().map_err(malformed)? != token {
        return Err(malformed("not in canonical DER"));
    }
    let algs: Vec<_> = sd.digest_algorithms.iter().collect();
    if algs.len() != 1 || *algs[0] != si.digest_alg {
        return Err(malformed("digest algorithms do not match the signer's"));
    }
    let null_or_absent = |p: &Option<Any>| {
        p.as_ref()
            .is_none_or(|a| a.tag() == der::Tag::Null && a.value().is_empty())
    };
    if !null_or_absent(&si.digest_alg.parameters)
        || !null_or_absent(&si.signature_algorithm.parameters)
    {
        return Err(malformed("unexpected algorithm parameters"));
    }
    let sid_version = match si.sid {
        SignerIdentifier::IssuerAndSerialNumber(_) => cms::content_info::CmsVersion::V1,
        SignerIdentifier::SubjectKeyIdentifier(_) => cms::content_info::CmsVersion::V3,
    };
    if si.version != sid_version || sd.crls.is_some() || si.unsigned_attrs.is_some() {
        return Err(malformed(
            "unexpected SignerInfo version, CRLs or unsigned attributes",
        ));
    }
    let digest = |data: &[u8]| -> Result<Vec<u8>, TokenError> {
        Ok(match si.digest_alg.oid {
            SHA256 => Sha256::digest(data).to_vec(),
            SHA384 => Sha384::digest(data).to_vec(),
            SHA512 => Sha512::digest(data).to_vec(),
            o => return Err(TokenError::Unsupported(format!("digest {o}"))),
        })
    };
    let attrs = si
        .signed_attrs
        .as_ref()
        .ok_or(TokenError::BadAttributes("no signed attributes"))?;
    let attr = |oid: Oid| -> Result<&Any, TokenError> {
        let mut it = attrs.iter().filter(|a| a.oid == oid);
        match (it.next(), it.next()) {
            (Some(a), None) if a.values.len() == 1 => a
                .values
                .get(0)
                .ok_or(TokenError::BadAttributes("empty attribute")),
            _ => Err(TokenError::BadAttributes("attribute missing or repeated")),
        }
    };
    let ct: Oid = attr(CONTENT_TYPE)?
        .decode_as()
        .map_err(|_| TokenError::BadAttributes("content type"))?;
    if ct != TST_INFO {
        return Err(TokenError::BadAttributes("content type is not TSTInfo"));
    }
    let md: OctetString = attr(MESSAGE_DIGEST)?
        .decode_as()
        .map_err(|_| TokenError::BadAttributes("message digest"))?;
    if md.as_bytes() != digest(&tst_der)?.as_slice() {
        return Err(TokenError::BadAttributes(
            "message digest is not the TSTInfo's",
        ));
    }
    // The signer's certificate, by the identifier in SignerInfo.
    let certs: Vec<&x509_cert::Certificate> = sd
        .certificates
        .as_ref()
        .map(|s| {
            s.0.iter()
                .filter_map(|c| match c {
                    CertificateChoices::Certificate(c) => Some(c),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let cert = certs
        .iter()
        .find(|c| match &si.sid {
            SignerIdentifier::IssuerAndSerialNumber(is) => {
                c.tbs_certificate.issuer == is.issuer
                    && c.tbs_certificate.serial_number == is.serial_number
            }
            SignerIdentifier::SubjectKeyIdentifier(ski) => c
                .tbs_certificate
                .get::<x509_cert::ext::pkix::SubjectKeyIdentifier>()
                .ok()
                .flatten()
                .is_some_and(|(_, k)| k == *ski),
        })
        .ok_or(TokenError::WrongCertificate)?;
    let cert_der = cert.to_der().map_err(malformed)?;
    check_ess(&attr, &cert_der)?;
    // The signature covers the DER of the signed attributes as a SET.
    let signed = attrs.to_der().map_err(malformed)?;
    let hash_for = match si.signature_algorithm.oid {
        RSA => si.digest_alg.oid,
        RSA_SHA256 => SHA256,
        RSA_SHA384 => SHA384,
        RSA_SHA512 => SHA512,
        o => return Err(TokenError::Unsupported(o.to_string())),
    };
    if hash_for != si.digest_alg.oid {
        return Err(malformed("signature and digest algorithms disagree"));
    }
    let spki = cert
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(malformed)?;
    verify_rsa(&spki, hash_for, &signed, si.signature.as_bytes())?;
    Ok(TokenInfo {
        gen_time: gen_time(&tst),
        serial: hex::encode(tst.serial_number.as_bytes()),
        policy: tst.policy.to_string(),
        signer_cert: cert_der,
    })
}

fn gen_time(tst: &TstInfo) -> String {
    let t = tst.gen_time.to_date_time();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minutes(),
        t.seconds()
    )
}

#[derive(Sequence)]
struct EssCertId {
    cert_hash: OctetString,
    #[asn1(optional = "true")]
    issuer_serial: Option<Any>,
}
#[derive(Sequence)]
struct SigningCertificate {
    certs: Vec<EssCertId>,
    #[asn1(optional = "true")]
    policies: Option<Any>,
}
#[derive(Sequence)]
struct EssCertIdV2 {
    #[asn1(optional = "true")]
    hash_algorithm: Option<spki::AlgorithmIdentifierOwned>,
    cert_hash: OctetString,
    #[asn1(optional = "true")]
    issuer_serial: Option<Any>,
}
#[derive(Sequence)]
struct SigningCertificateV2 {
    certs: Vec<EssCertIdV2>,
    #[asn1(optional = "true")]
    policies: Option<Any>,
}

/// The signed ESS signing-certificate attribute's first entry must hash the signer's
/// certificate: that is what binds the (unsigned) certificate bytes to the signature.
fn check_ess<'a>(
    attr: &dyn Fn(Oid) -> Result<&'a Any, TokenError>,
    cert_der: &[u8],
) -> Result<(), TokenError> {
    if let Ok(v2) = attr(SIGNING_CERT_V2) {
        let s: SigningCertificateV2 = v2.decode_as().map_err(malformed)?;
        let first = s.certs.first().ok_or(TokenError::WrongCertificate)?;
        let alg = first.hash_algorithm.as_ref().map_or(SHA256, |a| a.oid);
        let h = match alg {
            SHA256 => Sha256::digest(cert_der).to_vec(),
            SHA384 => Sha384::digest(cert_der).to_vec(),
            SHA512 => Sha512::digest(cert_der).to_vec(),
            o => return Err(TokenError::Unsupported(format!("ESS hash {o}"))),
        };
        return if first.cert_hash.as_bytes() == h.as_slice() {
            Ok(())
        } else {
            Err(TokenError::WrongCertificate)
        };
    }
    let v1: SigningCertificate = attr(SIGNING_CERT)?.decode_as().map_err(malformed)?;
    let first = v1.certs.first().ok_or(TokenError::WrongCertificate)?;
    if first.cert_hash.as_bytes() == sha1::Sha1::digest(cert_der).as_slice() {
        Ok(())
    } else {
        Err(TokenError::WrongCertificate)
    }
}

fn verify_rsa(spki: &[u8], hash: Oid, msg: &[u8], sig: &[u8]) -> Result<(), TokenError> {
    use rsa::pkcs1v15::{Signature, VerifyingKey};
    use rsa::pkcs8::DecodePublicKey;
    use rsa::signature::Verifier;
    let key = rsa::RsaPublicKey::from_public_key_der(spki)
        .map_err(|_| TokenError::Unsupported("a non-RSA TSA key".into()))?;
    let sig = Signature::try_from(sig).map_err(|_| TokenError::BadSignature)?;
    let ok = match hash {
        SHA256 => VerifyingKey::<Sha256>::new(key).verify(msg, &sig),
        SHA384 => VerifyingKey::<Sha384>::new(key).verify(msg, &sig),
        SHA512 => VerifyingKey::<Sha512>::new(key).verify(msg, &sig),
        o => return Err(TokenError::Unsupported(format!("digest {o}"))),
    };
    ok.map_err(|_| TokenError::BadSignature)
}
