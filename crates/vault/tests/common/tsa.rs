//! A real RFC 3161 TSA on loopback: `openssl ts -reply` with a test CA made here, behind a
//! minimal HTTP/1.1 responder on 127.0.0.1. Modes make it answer wrongly on purpose.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::Arc;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub enum Mode {
    Good = 0,
    /// A token for another digest (the request's nonce is lost too).
    WrongImprint = 1,
    /// A token for the same digest with a fresh nonce.
    WrongNonce = 2,
    /// HTTP 500.
    Broken = 3,
}

pub struct Tsa {
    pub url: String,
    pub ca: PathBuf,
    mode: Arc<AtomicU8>,
    stop: Arc<AtomicBool>,
    _dir: tempfile::TempDir,
}

impl Tsa {
    pub fn set_mode(&self, m: Mode) {
        self.mode.store(m as u8, Ordering::SeqCst);
    }
}

impl Drop for Tsa {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so the thread ends.
        let _ = std::net::TcpStream::connect(
            self.url
                .trim_start_matches("http://")
                .trim_end_matches("/tsa"),
        );
    }
}

fn run(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Makes a CA and a TSA certificate (RSA 2048, timeStamping EKU) and starts the responder.
pub fn start() -> Tsa {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("ext.cnf"),
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\n",
    )
    .unwrap();
    run(
        d,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "3",
            "-subj",
            "/CN=lockstep test CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
    run(
        d,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "tsa.key",
            "-out",
            "tsa.csr",
            "-subj",
            "/CN=lockstep test TSA",
        ],
    );
    run(
        d,
        &[
            "x509",
            "-req",
            "-in",
            "tsa.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "tsa.pem",
            "-days",
            "3",
            "-extfile",
            "ext.cnf",
        ],
    );
    std::fs::write(d.join("tsaserial"), "01\n").unwrap();
    std::fs::write(
        d.join("tsa.cnf"),
        format!(
            "[ tsa ]\ndefault_tsa = tsa1\n[ tsa1 ]\ndir = {}\nserial = $dir/tsaserial\n\
             signer_cert = $dir/tsa.pem\nsigner_key = $dir/tsa.key\nsigner_digest = sha256\n\
             default_policy = 1.2.3.4.1\ndigests = sha256\naccuracy = secs:1\nordering = no\n\
             tsa_name = no\ness_cert_id_chain = no\ness_cert_id_alg = sha256\n",
            d.display()
        ),
    )
    .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mode = Arc::new(AtomicU8::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let (m, s, dd) = (mode.clone(), stop.clone(), d.to_path_buf());
    std::thread::spawn(move || {
        for (k, conn) in listener.incoming().enumerate() {
            if s.load(Ordering::SeqCst) || k > 10_000 {
                break;
            }
            let Ok(mut c) = conn else { continue };
            let _ = serve(&mut c, &dd, m.load(Ordering::SeqCst), k);
        }
    });
    Tsa {
        url: format!("http://{addr}/tsa"),
        ca: d.join("ca.pem"),
        mode,
        stop,
        _dir: dir,
    }
}

fn serve(c: &mut std::net::TcpStream, d: &Path, mode: u8, k: usize) -> std::io::Result<()> {
    c.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        let n = c.read(&mut chunk)?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).to_lowercase();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < header_end + len {
        let n = c.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = &buf[header_end..];
    if mode == Mode::Broken as u8 {
        return c.write_all(
            b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
    }
    let q = d.join(format!("q{k}.tsq"));
    let r = d.join(format!("r{k}.tsr"));
    if mode == Mode::Good as u8 {
        std::fs::write(&q, body)?;
    } else {
        use der::Decode;
        let req = x509_tsp::TimeStampReq::from_der(body).map_err(std::io::Error::other)?;
        let mut digest = req.message_imprint.hashed_message.as_bytes().to_vec();
        if mode == Mode::WrongImprint as u8 {
            digest[0] ^= 0xff;
        }
        let qs = q.display().to_string();
        let hexd = hex::encode(&digest);
        run(
            d,
            &[
                "ts", "-query", "-digest", &hexd, "-sha256", "-cert", "-out", &qs,
            ],
        );
    }
    let (qs, rs) = (q.display().to_string(), r.display().to_string());
    run(
        d,
        &[
            "ts",
            "-reply",
            "-config",
            "tsa.cnf",
            "-queryfile",
            &qs,
            "-out",
            &rs,
        ],
    );
    let resp = std::fs::read(&r)?;
    c.write_all(
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/timestamp-reply\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            resp.len()
        )
        .as_bytes(),
    )?;
    c.write_all(&resp)
}
