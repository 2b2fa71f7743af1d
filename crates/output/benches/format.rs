//! Hand-written number, time and CSV formatting against the standard formatter:
//! `cargo bench -p lockstep-output`. Each iteration formats 1,000 values into one buffer.

use std::io::Write;

use divan::counter::ItemsCount;
use divan::{black_box, Bencher};
use lockstep_core::mix64;

fn main() {
    divan::main();
}

const N: usize = 1000;

/// Weights, scores and q-values as edges.csv holds them: 1e-12 to 1e3.
fn values() -> Vec<f64> {
    (0..N as u64)
        .map(|i| {
            let r = mix64(i);
            let unit = (r >> 11) as f64 / (1u64 << 53) as f64;
            unit * 10f64.powi((r % 15) as i32 - 12)
        })
        .collect()
}

/// Times across 2024, a third on whole seconds.
fn times() -> Vec<i64> {
    (0..N as u64)
        .map(|i| {
            let ms = 1_704_067_200_000 + (mix64(i) % 31_536_000_000) as i64;
            if i.is_multiple_of(3) {
                ms - ms % 1000
            } else {
                ms
            }
        })
        .collect()
}

/// Account names and texts: plain, with commas, quotes, line breaks, non-ASCII.
fn fields() -> Vec<String> {
    let kinds = [
        "user_1234",
        "a, b",
        "say \"hi\"",
        "two\nlines",
        "Știință ș ş",
        "x",
    ];
    (0..N)
        .map(|i| format!("{}{i}", kinds[i % kinds.len()]))
        .collect()
}

fn bench<T>(bencher: Bencher, items: Vec<T>, write: impl Fn(&mut Vec<u8>, &T)) {
    let mut out = Vec::with_capacity(64 * N);
    bencher.counter(ItemsCount::new(N)).bench_local(|| {
        out.clear();
        for x in &items {
            write(&mut out, black_box(x));
        }
        black_box(&out);
    });
}

#[divan::bench]
fn write_fixed_6(bencher: Bencher) {
    bench(bencher, values(), |out, &x| {
        lockstep_output::write_fixed(out, x, 6)
    });
}

#[divan::bench]
fn format_fixed_6(bencher: Bencher) {
    bench(bencher, values(), |out, &x| {
        out.extend_from_slice(format!("{x:.6}").as_bytes())
    });
}

#[divan::bench]
fn write_sci3(bencher: Bencher) {
    bench(bencher, values(), |out, &x| {
        lockstep_output::write_sci3(out, x)
    });
}

#[divan::bench]
fn format_sci3(bencher: Bencher) {
    bench(bencher, values(), |out, &x| {
        out.extend_from_slice(format!("{x:.3e}").as_bytes())
    });
}

#[divan::bench]
fn write_time(bencher: Bencher) {
    bench(bencher, times(), |out, &ms| {
        lockstep_core::write_time(out, ms)
    });
}

/// The same text by the formatter, from the same calendar fields (chrono's).
#[divan::bench]
fn format_time(bencher: Bencher) {
    use chrono::{Datelike, Timelike};
    bench(bencher, times(), |out, &ms| {
        let t = chrono::DateTime::from_timestamp_millis(ms).unwrap();
        let milli = ms.rem_euclid(1000);
        let text = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        );
        out.extend_from_slice(text.as_bytes());
        let _ = match milli {
            0 => write!(out, "Z"),
            _ => write!(out, ".{milli:03}Z"),
        };
    });
}

#[divan::bench]
fn csv_field(bencher: Bencher) {
    bench(bencher, fields(), |out, s| {
        lockstep_output::csv_field(out, s)
    });
}

/// Quoting by hand with `format!`: quotes doubled, the field quoted when it must be.
#[divan::bench]
fn format_csv_field(bencher: Bencher) {
    bench(bencher, fields(), |out, s| {
        let text = if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        };
        out.extend_from_slice(text.as_bytes());
    });
}
