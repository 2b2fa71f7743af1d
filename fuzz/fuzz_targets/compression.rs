//! gzip and zstd framing: corrupt, truncated, padded and concatenated streams (seeded with
//! real files), and valid frames around arbitrary content.
#![no_main]
use std::io::Write;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    // Bytes that start like gzip or zstd are read as they are (mostly damaged real files from
    // the seeds); otherwise the first byte picks a framing for the rest.
    let magic = data.starts_with(&[0x1f, 0x8b]) || data.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]);
    match if magic { 0 } else { 1 + mode % 3 } {
        0 | 1 => lockstep_fuzz::check(data),
        // A valid gzip member around the content, then what follows a split point (another
        // member, padding, garbage).
        2 => {
            let cut = rest.first().map_or(0, |&b| usize::from(b)).min(rest.len());
            let (content, tail) = rest.split_at(cut);
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            gz.write_all(tail).unwrap();
            let mut bytes = gz.finish().unwrap();
            bytes.extend_from_slice(content);
            lockstep_fuzz::check(&bytes);
        }
        // A valid zstd frame around the content, cut short by one byte's worth.
        _ => {
            let mut bytes = ruzstd::encoding::compress_to_vec(
                rest,
                ruzstd::encoding::CompressionLevel::Fastest,
            );
            let cut = usize::from(rest.last().copied().unwrap_or(0) % 4);
            bytes.truncate(bytes.len().saturating_sub(cut));
            lockstep_fuzz::check(&bytes);
        }
    }
});
