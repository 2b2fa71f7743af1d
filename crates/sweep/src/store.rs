//! Where the sweep's [`PairTrace`]s wait for the significance test: partitioned by account
//! pair, in memory while small, spilled to anonymous temporary files when large.
//!
//! At ten million events the sweep keeps ~50 million (pair, trace) records, ~2.8 GB; holding
//! them (and a flattened copy) dominated peak memory. Partitioning by a hash of the pair means
//! every record of one pair lands in one partition, so the test can load, sort and aggregate
//! one partition at a time. Partitions fill in whatever order parallel jobs finish; readers sort
//! each partition by a total key, so results do not depend on it.

use crate::PairTrace;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Mutex;

/// Records are written as LEB128 varints (times as a zigzag first and a delta to last):
/// about 34 bytes instead of the 56 in memory. Writing is what spilling costs.
fn put(out: &mut Vec<u8>, mut x: u64) {
    while x >= 0x80 {
        out.push(x as u8 | 0x80);
        x >>= 7;
    }
    out.push(x as u8);
}

fn get(b: &[u8], at: &mut usize) -> io::Result<u64> {
    let mut x = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *b.get(*at).ok_or_else(corrupt)?;
        *at += 1;
        x |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return Ok(x);
        }
    }
    Err(corrupt())
}

fn corrupt() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        "a temporary pair file is corrupt",
    )
}

/// Partitioned storage for [`PairTrace`]s.
pub struct PairStore {
    parts: Vec<Mutex<Part>>,
    /// Records all partitions together hold in memory before appends start spilling; `None`
    /// never spills.
    mem_records: Option<usize>,
    /// Records in memory now.
    in_mem: AtomicUsize,
}

#[derive(Default)]
struct Part {
    mem: Vec<PairTrace>,
    file: Option<File>,
    /// Records and bytes in `file`.
    on_disk: u64,
    bytes: u64,
}

impl PairStore {
    /// `partitions` partitions; with `Some(mem_bytes)`, once the store holds more than
    /// `mem_bytes` of records, each append writes its partition's records out to a temporary
    /// file (created in the system's temporary folder, `TMPDIR`, and deleted by the OS when
    /// closed, also on a crash); with `None` everything stays in memory. The budget is shared,
    /// not split per partition: a store just over budget spills a little, not nearly
    /// everything.
    pub fn new(partitions: usize, mem_bytes: Option<usize>) -> PairStore {
        let partitions = partitions.max(1);
        PairStore {
            parts: (0..partitions).map(|_| Mutex::default()).collect(),
            mem_records: mem_bytes.map(|b| (b / std::mem::size_of::<PairTrace>()).max(1024)),
            in_mem: AtomicUsize::new(0),
        }
    }

    /// Makes room in memory for about `records` records (at most the budget), so partitions
    /// do not grow by copying themselves.
    pub fn reserve(&self, records: usize) {
        let per_part = records.min(self.mem_records.unwrap_or(usize::MAX)) / self.parts.len() + 1;
        for p in &self.parts {
            let mut part = p.lock().unwrap_or_else(|e| e.into_inner());
            part.mem.reserve(per_part + per_part / 8);
        }
    }

    /// Accounts for `added` records just moved into `part`, spilling it if over budget.
    fn added(&self, part: &mut Part, added: usize) -> io::Result<()> {
        let held = self.in_mem.fetch_add(added, Relaxed) + added;
        if self.mem_records.is_some_and(|limit| held > limit) {
            let n = part.mem.len();
            spill(part)?;
            self.in_mem.fetch_sub(n, Relaxed);
        }
        Ok(())
    }

    /// An in-memory store holding `pairs` (for tests and small inputs).
    pub fn from_vec(pairs: Vec<PairTrace>, partitions: usize) -> PairStore {
        let store = PairStore::new(partitions, None);
        let mut pairs = pairs;
        store
            .append(&mut pairs)
            .expect("in-memory stores do no I/O");
        store
    }

    pub fn partitions(&self) -> usize {
        self.parts.len()
    }

    /// The partition that holds every record of `pair`.
    pub fn partition_of(&self, pair: u64) -> usize {
        (crate::mix64(pair) % self.parts.len() as u64) as usize
    }

    /// Moves `records` into their partitions (leaving `records` empty).
    pub fn append(&self, records: &mut Vec<PairTrace>) -> io::Result<()> {
        records.sort_unstable_by_key(|r| self.partition_of(r.pair));
        for run in records.chunk_by(|x, y| self.partition_of(x.pair) == self.partition_of(y.pair)) {
            let p = self.partition_of(run[0].pair);
            let mut part = self.parts[p].lock().unwrap_or_else(|e| e.into_inner());
            part.mem.extend_from_slice(run);
            self.added(&mut part, run.len())?;
        }
        records.clear();
        Ok(())
    }

    /// Moves `records`, all of partition `i`, into it (leaving `records` empty).
    pub fn append_to(&self, i: usize, records: &mut Vec<PairTrace>) -> io::Result<()> {
        debug_assert!(records.iter().all(|r| self.partition_of(r.pair) == i));
        if records.is_empty() {
            return Ok(());
        }
        let mut part = self.parts[i].lock().unwrap_or_else(|e| e.into_inner());
        let n = records.len();
        part.mem.append(records);
        self.added(&mut part, n)
    }

    /// Records held, in memory and on disk.
    pub fn len(&self) -> u64 {
        self.parts
            .iter()
            .map(|p| {
                let p = p.lock().unwrap_or_else(|e| e.into_inner());
                p.mem.len() as u64 + p.on_disk
            })
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Records written to temporary files.
    pub fn spilled(&self) -> u64 {
        self.parts
            .iter()
            .map(|p| p.lock().unwrap_or_else(|e| e.into_inner()).on_disk)
            .sum()
    }

    /// Every record of partition `i`, in no particular order.
    pub fn load(&self, i: usize) -> io::Result<Vec<PairTrace>> {
        let mut out = Vec::new();
        self.load_into(i, &mut out, &mut Vec::new())?;
        Ok(out)
    }

    /// [`load`](Self::load) into `out` (cleared first), with `buf` as scratch: callers that
    /// load partition after partition reuse both, instead of touching fresh memory each time.
    pub fn load_into(
        &self,
        i: usize,
        out: &mut Vec<PairTrace>,
        buf: &mut Vec<u8>,
    ) -> io::Result<()> {
        let mut part = self.parts[i].lock().unwrap_or_else(|e| e.into_inner());
        out.clear();
        out.reserve(part.on_disk as usize + part.mem.len());
        read_spilled(&mut part, out, buf)?;
        out.extend_from_slice(&part.mem);
        Ok(())
    }

    /// [`load_into`](Self::load_into), emptying partition `i` (memory and file) as it goes:
    /// a consumer that reads every partition once frees the store's memory step by step
    /// instead of holding it and a copy.
    pub fn take_into(
        &self,
        i: usize,
        out: &mut Vec<PairTrace>,
        buf: &mut Vec<u8>,
    ) -> io::Result<()> {
        let mut part = self.parts[i].lock().unwrap_or_else(|e| e.into_inner());
        let mem = std::mem::take(&mut part.mem);
        self.in_mem.fetch_sub(mem.len(), Relaxed);
        if part.file.is_none() {
            // Nothing on disk: hand over the records themselves, no copy.
            *out = mem;
        } else {
            out.clear();
            out.reserve(part.on_disk as usize + mem.len());
            read_spilled(&mut part, out, buf)?;
            out.extend_from_slice(&mem);
        }
        *part = Part::default();
        Ok(())
    }

    /// All records, sorted by (pair, first, trace): for tests and small inputs.
    pub fn to_sorted_vec(&self) -> io::Result<Vec<PairTrace>> {
        let mut all = Vec::new();
        for i in 0..self.partitions() {
            all.extend(self.load(i)?);
        }
        all.sort_unstable_by_key(|p| (p.pair, p.first, p.trace));
        Ok(all)
    }
}

/// Appends the records `part` spilled to its file (if any) to `out`, with `buf` as scratch.
fn read_spilled(part: &mut Part, out: &mut Vec<PairTrace>, buf: &mut Vec<u8>) -> io::Result<()> {
    let (on_disk, bytes) = (part.on_disk, part.bytes);
    let Some(f) = part.file.as_mut() else {
        return Ok(());
    };
    f.seek(SeekFrom::Start(0))?;
    buf.clear();
    f.take(bytes).read_to_end(buf)?;
    let mut at = 0;
    for _ in 0..on_disk {
        out.push(decode(buf, &mut at)?);
    }
    if at != buf.len() {
        return Err(corrupt());
    }
    Ok(())
}

fn spill(part: &mut Part) -> io::Result<()> {
    if part.file.is_none() {
        part.file = Some(tempfile::tempfile()?);
    }
    let mut bytes = Vec::with_capacity(part.mem.len() * 40);
    for r in &part.mem {
        encode(r, &mut bytes);
    }
    let f = part.file.as_mut().expect("created above");
    f.seek(SeekFrom::End(0))?;
    f.write_all(&bytes)?;
    part.on_disk += part.mem.len() as u64;
    part.bytes += bytes.len() as u64;
    part.mem.clear();
    Ok(())
}

fn encode(r: &PairTrace, out: &mut Vec<u8>) {
    let zigzag = |x: i64| ((x << 1) ^ (x >> 63)) as u64;
    put(out, r.pair >> 32);
    put(out, r.pair & 0xffff_ffff);
    put(out, u64::from(r.trace));
    put(out, u64::from(r.co_actions));
    put(out, r.weight);
    put(out, zigzag(r.first));
    put(out, zigzag(r.last.wrapping_sub(r.first)));
    put(out, u64::from(r.median_gap_ms));
    put(out, u64::from(r.sample.0));
    put(out, u64::from(r.sample.1));
    put(out, u64::from(r.a_first));
    put(out, u64::from(r.fast));
}

fn decode(b: &[u8], at: &mut usize) -> io::Result<PairTrace> {
    let unzigzag = |x: u64| ((x >> 1) as i64) ^ -((x & 1) as i64);
    let u32_of = |x: u64| u32::try_from(x).map_err(|_| corrupt());
    let u16_of = |x: u64| u16::try_from(x).map_err(|_| corrupt());
    let hi = get(b, at)?;
    let lo = get(b, at)?;
    let trace = u32_of(get(b, at)?)?;
    let co_actions = u32_of(get(b, at)?)?;
    let weight = get(b, at)?;
    let first = unzigzag(get(b, at)?);
    let last = first.wrapping_add(unzigzag(get(b, at)?));
    Ok(PairTrace {
        pair: (hi << 32) | lo,
        trace,
        co_actions,
        weight,
        first,
        last,
        median_gap_ms: u32_of(get(b, at)?)?,
        sample: (u32_of(get(b, at)?)?, u32_of(get(b, at)?)?),
        a_first: u16_of(get(b, at)?)?,
        fast: u16_of(get(b, at)?)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pt(i: u64) -> PairTrace {
        PairTrace {
            pair: (i % 97) << 32 | (i % 89 + 100),
            trace: if i.is_multiple_of(7) {
                u32::MAX
            } else {
                i as u32
            },
            co_actions: (i % 5) as u32 + 1,
            weight: i * 1_000_003,
            // Extremes too: the encoding must round-trip any value.
            first: if i == 3 { i64::MIN } else { -(i as i64) * 1000 },
            last: if i == 3 { i64::MAX } else { i as i64 * 7 },
            median_gap_ms: (i * 13) as u32,
            sample: (i as u32, u32::MAX - i as u32),
            a_first: (i % 3) as u16,
            fast: if i == 5 { u16::MAX } else { (i % 2) as u16 },
        }
    }

    #[test]
    fn spilled_records_come_back_whole_and_pairs_stay_together() {
        // A tiny memory budget forces most records to disk.
        let store = PairStore::new(4, Some(4 * 1024 * std::mem::size_of::<PairTrace>()));
        let all: Vec<PairTrace> = (0..20_000).map(pt).collect();
        for chunk in all.chunks(777) {
            store.append(&mut chunk.to_vec()).unwrap();
        }
        assert_eq!(store.len(), 20_000);
        assert!(store.spilled() > 10_000, "{} spilled", store.spilled());
        let mut want = all.clone();
        want.sort_unstable_by_key(|p| (p.pair, p.first, p.trace));
        assert_eq!(store.to_sorted_vec().unwrap(), want);
        for i in 0..store.partitions() {
            assert!(store
                .load(i)
                .unwrap()
                .iter()
                .all(|r| store.partition_of(r.pair) == i));
        }
        // Taking every partition yields the same records and leaves the store empty.
        let (mut taken, mut out, mut buf) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..store.partitions() {
            store.take_into(i, &mut out, &mut buf).unwrap();
            taken.extend_from_slice(&out);
        }
        taken.sort_unstable_by_key(|p| (p.pair, p.first, p.trace));
        assert_eq!(taken, want);
        assert_eq!(store.len(), 0);
    }
}
