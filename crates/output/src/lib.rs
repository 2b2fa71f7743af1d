//! Output primitives: atomic files with their sha256, the graph exchange formats (GEXF for
//! Gephi, GraphML for networkx/igraph), parallel ordered row writing and exact hand-written
//! number formatting.

pub mod folder;
mod graph;

pub use folder::{
    abandon_staging, is_sealed, overlapping_input, refuse_overlap, FolderError, Overlap, Staging,
    VAULT_DIR,
};
pub use graph::{write_gexf, write_graphml, xml_escape, GraphEdge, GraphNode};

use lockstep_core::write_padded;
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
        let mut builder = tempfile::Builder::new();
        builder.prefix(".lockstep-").suffix(".tmp");
        // Case files are for colleagues too: created 0666 and cut by the user's umask, as
        // other tools' files are (a temporary file would otherwise stay 0600).
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(fs::Permissions::from_mode(0o666));
        }
        let tmp = builder.tempfile_in(dir)?;
        Ok(AtomicFile {
            tmp: BufWriter::with_capacity(1 << 20, tmp),
            hasher: Sha256::new(),
            path,
        })
    }

    /// Flushes, syncs and renames into place; returns the sha256 (hex) of the content.
    pub fn commit(self) -> io::Result<String> {
        self.finish()?.commit()
    }

    /// Flushes and syncs, but leaves the file under its temporary name until
    /// [`Finished::commit`]: written ahead of the files it belongs with, it appears with them.
    pub fn finish(self) -> io::Result<Finished> {
        let file = self.tmp.into_inner().map_err(|e| e.into_error())?;
        file.as_file().sync_all()?;
        Ok(Finished {
            file,
            sha256: hex::encode(self.hasher.finalize()),
            path: self.path,
        })
    }
}

/// A complete, synced [`AtomicFile`] not yet in place; dropped, it leaves nothing behind.
pub struct Finished {
    file: tempfile::NamedTempFile,
    sha256: String,
    path: PathBuf,
}

impl Finished {
    /// Renames the file into place; returns the sha256 (hex) of its content.
    pub fn commit(self) -> io::Result<String> {
        self.file.persist(&self.path).map_err(|e| e.error)?;
        Ok(self.sha256)
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

/// Appends one CSV field, quoted as the `csv` crate's writer quotes (by `csv-core`, which it
/// is built on): only when it holds a comma, a quote or a line break, with quotes doubled.
pub fn csv_field(out: &mut Vec<u8>, s: &str) {
    thread_local! {
        // A writer builds its table of bytes that need quoting when made: once per thread.
        static WRITER: std::cell::RefCell<csv_core::Writer> =
            std::cell::RefCell::new(csv_core::Writer::new());
    }
    WRITER.with_borrow_mut(|w| {
        let start = out.len();
        // Room for every byte doubled, two quotes and a delimiter: the field fits in one call.
        out.resize(start + 2 * s.len() + 3, 0);
        let (_, _, n) = w.field(s.as_bytes(), &mut out[start..]);
        // The delimiter closes the quotes and readies the writer for the next field; the
        // caller writes its own delimiters, so it is dropped.
        let (_, m) = w.delimiter(&mut out[start + n..]);
        out.truncate(start + n + m - 1);
    });
}

/// A cell a spreadsheet would run as a formula (it begins with `=`, `+`, `-`, `@`, a tab or
/// a carriage return) with a `'` put before it, as OWASP advises against CSV injection; any
/// other cell as it is. Applied to CSV cells only with `--spreadsheet-safe`: by default the
/// files hold every name exactly as the input does.
pub fn spreadsheet_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// Appends an integer in decimal.
pub fn write_int(out: &mut Vec<u8>, n: impl itoa::Integer) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
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
    } else if !fast_fixed(out, x, decimals) {
        let _ = write!(out, "{x:.decimals$}");
    }
}

/// Powers of ten exactly representable as f64 and u64.
const POW10: [u64; 10] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
    1_000_000_000,
];

/// The integer nearest to `scaled`, unless `scaled` is within 1e-3 of a tie: there its
/// rounding error (below 1e-4 for values under 1e12) could decide the direction, and the
/// caller takes the exact formatter instead. Elsewhere the nearest integer to the computed
/// value is the nearest integer to the exact one, so the digits are those of `{:.N}`.
fn round_clear_of_ties(scaled: f64) -> Option<u64> {
    if !(0.0..1e12).contains(&scaled) {
        return None;
    }
    let floor = scaled.floor();
    let frac = scaled - floor;
    if (frac - 0.5).abs() < 1e-3 {
        return None;
    }
    Some(floor as u64 + u64::from(frac > 0.5))
}

/// `{x:.decimals$}` for finite `x >= 0`, written by hand: the formatter's exact float
/// printing was a fifth of the time spent writing millions of edges. False (nothing written)
/// where the exact formatter is needed.
fn fast_fixed(out: &mut Vec<u8>, x: f64, decimals: usize) -> bool {
    let Some(&pow) = POW10.get(decimals) else {
        return false;
    };
    let Some(n) = round_clear_of_ties(x * pow as f64) else {
        return false;
    };
    write_u64(out, n / pow);
    if decimals > 0 {
        out.push(b'.');
        write_padded(out, n % pow, decimals);
    }
    true
}

/// `{x:.3e}` appended to `out`, by hand where that is exact (see [`fast_fixed`]).
pub fn write_sci3(out: &mut Vec<u8>, x: f64) {
    use std::io::Write;
    if x == 0.0 && x.is_sign_positive() {
        out.extend_from_slice(b"0.000e0");
        return;
    }
    if x.is_finite() && (1e-280..1e280).contains(&x) {
        let mut e = x.log10().floor() as i32;
        let mut m = x / 10f64.powi(e);
        // log10 may land one off near powers of ten.
        if m >= 10.0 {
            (m, e) = (m / 10.0, e + 1);
        } else if m < 1.0 {
            (m, e) = (m * 10.0, e - 1);
        }
        if let Some(mut n) = round_clear_of_ties(m * 1000.0) {
            if n == 10_000 {
                (n, e) = (1_000, e + 1);
            }
            write_u64(out, n / 1000);
            out.push(b'.');
            write_padded(out, n % 1000, 3);
            out.push(b'e');
            if e < 0 {
                out.push(b'-');
            }
            write_u64(out, u64::from(e.unsigned_abs()));
            return;
        }
    }
    let _ = write!(out, "{x:.3e}");
}

fn write_u64(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
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
    use proptest::prelude::*;

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

    /// The hand-written digits must be those of `{:.N}` and `{:.3e}` exactly.
    fn check_numbers(x: f64) -> Result<(), TestCaseError> {
        for d in [0, 3, 4, 6] {
            let mut out = Vec::new();
            write_fixed(&mut out, x, d);
            prop_assert_eq!(
                String::from_utf8(out).unwrap(),
                fixed(x, d),
                "{:e} .{}",
                x,
                d
            );
        }
        let mut out = Vec::new();
        write_sci3(&mut out, x);
        prop_assert_eq!(
            String::from_utf8(out).unwrap(),
            format!("{x:.3e}"),
            "{:e}",
            x
        );
        Ok(())
    }

    #[test]
    fn hand_written_numbers_match_the_formatter_on_known_cases() {
        // Ties and near-ties, powers of ten, extremes.
        let values = [
            0.5,
            1.5,
            2.5,
            0.0005,
            1.0005,
            9.9995,
            9.99951,
            1e-7,
            0.1 + 0.2,
            1234.5,
            0.1234565,
            999_999.999_999_5,
            1e11,
            99_999.999_5,
            1e-300,
            7.0,
            10.0,
            100.0,
            1e15,
            5e-324,
            0.999_95,
            0.000_999_95,
        ];
        for x in values {
            check_numbers(x).unwrap();
        }
    }

    /// Values of every magnitude, and decimal ties and near-ties of both precisions (where
    /// the hand-written rounding must hand over to the formatter).
    fn number() -> impl Strategy<Value = f64> {
        prop_oneof![
            (0.0..1.0f64, -50..30i32).prop_map(|(unit, exp)| unit * 10f64.powi(exp)),
            (0..2_000_000u32).prop_map(|k| (f64::from(k) + 0.5) / 1e6),
            (0..2_000_000u32).prop_map(|k| (f64::from(k) + 0.5) / 1e3),
            (0..2_000_000u32, -50..30i32)
                .prop_map(|(k, exp)| (f64::from(k) + 0.5) * 10f64.powi(exp)),
            // Any bit pattern: negative, subnormal, huge, NaN, infinite.
            any::<f64>(),
        ]
    }

    proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]
    #[test]
    fn hand_written_numbers_match_the_formatter(
        values in prop::collection::vec(number(), 200)
    ) {
        for x in values {
            check_numbers(x)?;
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
        let finished = f.finish().unwrap();
        assert!(!p.exists(), "finished is not yet in place");
        let h = finished.commit().unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"abc");
        let mut g = AtomicFile::create(dir.path().join("b.txt")).unwrap();
        g.write_all(b"whole").unwrap();
        drop(g.finish().unwrap());
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "a finished file dropped before commit leaves nothing"
        );
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
