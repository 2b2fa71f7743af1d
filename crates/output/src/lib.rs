//! Writing a case folder: atomic files with their sha256, and the graph exchange formats
//! (GEXF for Gephi, GraphML for networkx/igraph). Also [`verify`], which re-checks a case's
//! manifest against the files on disk.

mod graph;
mod verify;

pub use graph::{write_gexf, write_graphml, GraphEdge, GraphNode};
pub use verify::{verify, Mismatch};

use sha2::{Digest, Sha256};
use std::fs;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// A file written to a temporary name in its final folder and renamed into place on
/// [`AtomicFile::commit`]; dropped without commit, it leaves nothing behind. Hashes what it
/// writes.
pub struct AtomicFile {
    tmp: BufWriter<tempfile::NamedTempFile>,
    hasher: Sha256,
    path: PathBuf,
}

impl AtomicFile {
    pub fn create(path: impl Into<PathBuf>) -> io::Result<AtomicFile> {
        let path = path.into();
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let tmp = tempfile::Builder::new()
            .prefix(".lockstep-")
            .suffix(".tmp")
            .tempfile_in(dir)?;
        Ok(AtomicFile {
            tmp: BufWriter::with_capacity(1 << 20, tmp),
            hasher: Sha256::new(),
            path,
        })
    }

    /// Flushes, syncs and renames into place; returns the sha256 (hex) of the content.
    pub fn commit(self) -> io::Result<String> {
        let file = self.tmp.into_inner().map_err(|e| e.into_error())?;
        file.as_file().sync_all()?;
        file.persist(&self.path).map_err(|e| e.error)?;
        Ok(hex::encode(self.hasher.finalize()))
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.tmp.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.tmp.flush()
    }
}

/// Writes `bytes` atomically to `path`, returning their sha256.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<String> {
    let mut f = AtomicFile::create(path)?;
    f.write_all(bytes)?;
    f.commit()
}

/// Formats `items` in parallel, a batch at a time (so memory stays bounded), and writes the
/// bytes in item order: the output is the same as formatting them one by one. `format` gets
/// each item's index.
pub fn write_par<T: Sync>(
    w: &mut impl Write,
    items: &[T],
    format: impl Fn(usize, &T, &mut Vec<u8>) -> io::Result<()> + Sync,
) -> io::Result<()> {
    use rayon::prelude::*;
    const CHUNK: usize = 4096;
    const BATCH: usize = 16 * CHUNK;
    for (b, batch) in items.chunks(BATCH).enumerate() {
        let bufs: Vec<io::Result<Vec<u8>>> = batch
            .par_chunks(CHUNK)
            .enumerate()
            .map(|(c, chunk)| {
                let mut out = Vec::with_capacity(chunk.len() * 160);
                for (k, item) in chunk.iter().enumerate() {
                    format(b * BATCH + c * CHUNK + k, item, &mut out)?;
                }
                Ok(out)
            })
            .collect();
        for buf in bufs {
            w.write_all(&buf?)?;
        }
    }
    Ok(())
}

/// Appends one CSV field, quoted the way the `csv` crate's default writer does: only when it
/// holds a comma, a quote or a line break, with quotes doubled.
pub fn csv_field(out: &mut Vec<u8>, s: &str) {
    if s.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
        out.push(b'"');
        for b in s.bytes() {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(s.as_bytes());
    }
}

/// sha256 (hex) of a file's bytes.
pub fn sha256_file(path: &Path) -> io::Result<String> {
    let mut f = fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// [`fixed`] appended to `out` without an allocation for the common case.
pub fn write_fixed(out: &mut Vec<u8>, x: f64, decimals: usize) {
    use std::io::Write;
    // A value that prints as a negative zero is written as `fixed` writes it (without sign).
    if x < 0.0 || (x == 0.0 && x.is_sign_negative()) {
        out.extend_from_slice(fixed(x, decimals).as_bytes());
    } else {
        let _ = write!(out, "{x:.decimals$}");
    }
}

/// A float with fixed decimals, so text outputs are byte-stable.
pub fn fixed(x: f64, decimals: usize) -> String {
    let s = format!("{x:.decimals$}");
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_fixed_matches_fixed() {
        for x in [
            0.0,
            -0.0,
            1.5,
            -1e-9,
            -2.25,
            1e-7,
            123456.789,
            f64::NAN,
            f64::INFINITY,
        ] {
            for d in [0, 3, 6] {
                let mut out = b"x".to_vec();
                write_fixed(&mut out, x, d);
                assert_eq!(String::from_utf8(out).unwrap(), format!("x{}", fixed(x, d)));
            }
        }
    }

    #[test]
    fn csv_fields_are_quoted_like_the_csv_crate() {
        let fields = [
            "plain",
            "a,b",
            "say \"hi\"",
            "two\nlines",
            "cr\r",
            " spaced ",
            "ș,ş",
            "#tag;x",
            "'quote'",
            "",
            "end\"",
        ];
        let mut ours = Vec::new();
        for (k, f) in fields.iter().enumerate() {
            if k > 0 {
                ours.push(b',');
            }
            csv_field(&mut ours, f);
        }
        ours.push(b'\n');
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(fields).unwrap();
        assert_eq!(
            String::from_utf8(ours).unwrap(),
            String::from_utf8(w.into_inner().unwrap()).unwrap()
        );
    }

    #[test]
    fn atomic_file_appears_only_on_commit() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        {
            let mut f = AtomicFile::create(&p).unwrap();
            f.write_all(b"half").unwrap();
            // dropped: a crash before commit
        }
        assert!(!p.exists());
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            0,
            "no temp file left behind"
        );
        let mut f = AtomicFile::create(&p).unwrap();
        f.write_all(b"abc").unwrap();
        let h = f.commit().unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"abc");
        assert_eq!(
            h,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(sha256_file(&p).unwrap(), h);
    }

    #[test]
    fn fixed_has_no_negative_zero() {
        assert_eq!(fixed(-0.0000001, 3), "0.000");
        assert_eq!(fixed(1.23456, 2), "1.23");
    }
}
