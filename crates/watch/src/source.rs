//! Sources: each runs on its own thread, reads complete lines, parses them with the public
//! reader stream (`lockstep_read::read_stream`: the same formats and quarantine as a file)
//! and hands records to the detector through one bounded channel, with the position that
//! resumes after them.

use lockstep_core::{Event, Quarantined};
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Read, Seek};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::SyncSender;
use std::sync::Arc;

/// One parsed record. (Events are nearly every item, so they are not boxed: a box per
/// event would cost an allocation for nothing.)
#[allow(clippy::large_enum_variant)]
pub enum Item {
    Event(Event, u64),
    Bad(Quarantined),
}

/// What sources send to the detector.
pub enum Msg {
    Records {
        source: u32,
        name: String,
        items: Vec<Item>,
        pos: Position,
    },
    /// The source is exhausted (end of standard input; a replayed folder read whole).
    End { source: u32 },
    /// A source failed for good (an unreadable folder, a broker that refused us).
    Failed { source: u32, error: String },
}

/// Where a source resumes.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub enum Position {
    #[default]
    None,
    Folder(Vec<FileState>),
    /// The last JetStream stream sequence whose message is in these records.
    Nats(u64),
}

/// A followed file: identified by device and inode, so a renamed or rotated file is not
/// read twice.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FileState {
    pub path: PathBuf,
    pub dev: u64,
    pub ino: u64,
    /// Bytes of complete lines consumed.
    pub offset: u64,
    /// Lines consumed (the next line is `line + 1`).
    pub line: u64,
    /// Events of the line at `offset` already handed on (a page of many posts is merged
    /// post by post).
    pub skip: u32,
    /// A CSV file's header line, put before each later chunk so the reader sees a table.
    pub header: Option<Vec<u8>>,
    pub done: bool,
}

/// Parses complete lines `bytes` (the file's lines from `first_line` on) with the reader
/// stream. Returns the records with absolute line numbers, and whether the content is a CSV
/// (whose header later chunks need).
pub fn parse_lines(
    bytes: &[u8],
    name: &str,
    first_line: u64,
    header: Option<&[u8]>,
) -> (Vec<Item>, Option<lockstep_read::Format>) {
    struct Sink(Vec<Item>, u64);
    impl lockstep_read::Sink for Sink {
        fn event(&mut self, e: Event, record: u64) {
            self.0.push(Item::Event(e, record + self.1));
        }
        fn quarantined(&mut self, mut q: Quarantined) {
            q.record += self.1;
            self.0.push(Item::Bad(q));
        }
    }
    let mut buf;
    let (input, shift): (&[u8], u64) = match header {
        Some(h) => {
            buf = Vec::with_capacity(h.len() + bytes.len());
            buf.extend_from_slice(h);
            buf.extend_from_slice(bytes);
            (&buf, 2)
        }
        None => {
            buf = Vec::new();
            let _ = &buf;
            (bytes, 1)
        }
    };
    let mut sink = Sink(Vec::new(), first_line.saturating_sub(shift).wrapping_add(0));
    // Line numbers: the reader counts from 1 in `input`; a header put in front is line 1.
    sink.1 = first_line.wrapping_sub(shift);
    match lockstep_read::read_stream(input, name, &mut sink) {
        Ok(f) => (sink.0, Some(f.format)),
        Err(e) => {
            // A chunk of the wrong shape: every line of it is quarantined with the reason.
            let mut out = Vec::new();
            for (i, l) in bytes.split(|&b| b == b'\n').enumerate() {
                if l.is_empty() {
                    continue;
                }
                out.push(Item::Bad(Quarantined {
                    file: name.to_string(),
                    record: first_line + i as u64,
                    reason: format!("unreadable: {e}"),
                    raw: String::from_utf8_lossy(&l[..l.len().min(200)]).into_owned(),
                }));
            }
            (out, None)
        }
    }
}

fn is_csv(f: lockstep_read::Format) -> bool {
    use lockstep_read::Format::*;
    matches!(
        f,
        XArchiveCsv | CoorTweetCsv | CoorTweetMultimodalCsv | CntCsv | LockstepCsv
    )
}

#[cfg(unix)]
fn identity(m: &std::fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (m.dev(), m.ino())
}

#[cfg(not(unix))]
fn identity(_m: &std::fs::Metadata) -> (u64, u64) {
    (0, 0)
}

/// Lines of a file past its state: at most `max_bytes` of complete lines (a line longer than
/// that is taken whole). `at_eof_complete`: an unterminated last line counts (replay).
fn read_lines(
    st: &FileState,
    max_bytes: usize,
    at_eof_complete: bool,
) -> std::io::Result<(Vec<u8>, Vec<u64>)> {
    let mut f = std::fs::File::open(&st.path)?;
    f.seek(std::io::SeekFrom::Start(st.offset))?;
    let mut r = std::io::BufReader::with_capacity(1 << 20, f);
    let mut out = Vec::new();
    let mut ends = Vec::new();
    loop {
        let before = out.len();
        let n = r.read_until(b'\n', &mut out)?;
        if n == 0 {
            break;
        }
        if out.last() != Some(&b'\n') {
            if at_eof_complete {
                out.push(b'\n');
                ends.push(out.len() as u64 - 1);
            } else {
                out.truncate(before);
            }
            break;
        }
        ends.push(out.len() as u64);
        if out.len() >= max_bytes {
            break;
        }
    }
    Ok((out, ends))
}

/// Files of a folder (recursively, readable regular files, sorted by path).
fn list(dir: &Path) -> Vec<PathBuf> {
    match lockstep_read::discover(&[dir.to_path_buf()]) {
        Ok(found) => found.files,
        Err(_) => Vec::new(),
    }
}

/// A folder. Replay: every file present at the start, merged by event time (the next post is
/// always the earliest at the head of any file), ending when all are read. Live: new files and
/// appended lines, polled, in path order.
pub struct Folder {
    pub dir: PathBuf,
    pub source: u32,
    pub replay: bool,
    pub files: Vec<FileState>,
}

const CHUNK: usize = 1 << 20;

struct Head {
    /// Parsed records of the chunk, per line: (line, bytes end offset, records).
    lines: std::collections::VecDeque<(u64, u64, Vec<Item>)>,
}

impl Folder {
    fn name(&self, st: &FileState) -> String {
        st.path.display().to_string()
    }

    fn refill(&mut self, i: usize, head: &mut Head) -> std::io::Result<()> {
        let st = &mut self.files[i];
        if st.done || !head.lines.is_empty() {
            return Ok(());
        }
        // Resume from the head's consumed position.
        let (bytes, ends) = read_lines(st, CHUNK, self.replay)?;
        if ends.is_empty() {
            if self.replay {
                st.done = true;
            }
            return Ok(());
        }
        let name = st.path.display().to_string();
        let first_line = st.line + 1;
        let (items, format) = parse_lines(&bytes, &name, first_line, st.header.as_deref());
        if st.offset == 0 && st.header.is_none() {
            if let Some(f) = format.filter(|&f| is_csv(f)) {
                let _ = f;
                let end = ends[0] as usize;
                st.header = Some(bytes[..end].to_vec());
            }
        }
        // Group the records by line.
        let mut per_line: Vec<Vec<Item>> = (0..ends.len()).map(|_| Vec::new()).collect();
        for it in items {
            let line = match &it {
                Item::Event(_, l) => *l,
                Item::Bad(q) => q.record,
            };
            let k = line.saturating_sub(first_line) as usize;
            per_line[k.min(ends.len() - 1)].push(it);
        }
        let base = st.offset;
        for (k, items) in per_line.into_iter().enumerate() {
            head.lines
                .push_back((first_line + k as u64, base + ends[k], items));
        }
        // Events of the first line already handed on before a resume.
        if st.skip > 0 {
            if let Some(front) = head.lines.front_mut() {
                let mut skip = st.skip as usize;
                front.2.retain(|_| {
                    if skip > 0 {
                        skip -= 1;
                        false
                    } else {
                        true
                    }
                });
            }
        }
        Ok(())
    }

    fn positions(&self) -> Position {
        Position::Folder(self.files.clone())
    }

    /// Runs the folder until it is exhausted (replay) or `stop` is set.
    pub fn run(mut self, tx: SyncSender<Msg>, stop: Arc<AtomicBool>) {
        if !self.dir.is_dir() {
            let _ = tx.send(Msg::Failed {
                source: self.source,
                error: format!("{}: not a folder", self.dir.display()),
            });
            return;
        }
        self.discover();
        if self.replay {
            self.merge(&tx, &stop);
            let _ = tx.send(Msg::End {
                source: self.source,
            });
        } else {
            while !stop.load(Ordering::Relaxed) {
                self.discover();
                let mut any = false;
                for i in 0..self.files.len() {
                    any |= self.follow(i, &tx);
                }
                if !any {
                    std::thread::sleep(std::time::Duration::from_millis(200));
                }
            }
        }
    }

    /// Adds files not yet known (by identity); a known file under a new name keeps its place.
    fn discover(&mut self) {
        for p in list(&self.dir) {
            let Ok(m) = std::fs::metadata(&p) else {
                continue;
            };
            let (dev, ino) = identity(&m);
            if let Some(f) = self.files.iter_mut().find(|f| {
                (f.dev, f.ino) == (dev, ino) && (dev, ino) != (0, 0)
                    || f.path == p && (dev, ino) == (0, 0)
            }) {
                f.path = p;
                continue;
            }
            if self.files.iter().any(|f| f.path == p) {
                // The name now holds another file (rotation): the old one is gone from here.
                self.files.retain(|f| f.path != p);
            }
            self.files.push(FileState {
                path: p,
                dev,
                ino,
                offset: 0,
                line: 0,
                skip: 0,
                header: None,
                done: false,
            });
        }
        self.files.sort_by(|a, b| a.path.cmp(&b.path));
    }

    /// Live: sends the complete lines appended to file `i`. True when something was read.
    fn follow(&mut self, i: usize, tx: &SyncSender<Msg>) -> bool {
        let mut head = Head {
            lines: Default::default(),
        };
        if self.refill(i, &mut head).is_err() || head.lines.is_empty() {
            return false;
        }
        let mut items = Vec::new();
        let st_name = self.name(&self.files[i]);
        for (line, end, its) in head.lines {
            items.extend(its);
            let st = &mut self.files[i];
            st.offset = end;
            st.line = line;
            st.skip = 0;
        }
        let _ = tx.send(Msg::Records {
            source: self.source,
            name: st_name,
            items,
            pos: self.positions(),
        });
        true
    }

    /// Replay: a k-way merge of the files by event time (ties: the earlier file in path
    /// order), a batch of records at a time.
    fn merge(&mut self, tx: &SyncSender<Msg>, stop: &AtomicBool) {
        let n = self.files.len();
        let mut heads: Vec<Head> = (0..n)
            .map(|_| Head {
                lines: Default::default(),
            })
            .collect();
        let mut batch: Vec<Item> = Vec::new();
        let mut batch_name = String::new();
        loop {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            // Heads: drop consumed lines (advancing the state), refill empty ones.
            let mut best: Option<(i64, usize)> = None;
            for (i, head) in heads.iter_mut().enumerate() {
                loop {
                    while head.lines.front().is_some_and(|l| l.2.is_empty()) {
                        let (line, end, _) = head.lines.pop_front().expect("front");
                        let st = &mut self.files[i];
                        st.offset = end;
                        st.line = line;
                        st.skip = 0;
                    }
                    if !head.lines.is_empty() || self.files[i].done {
                        break;
                    }
                    let mut h = std::mem::replace(
                        head,
                        Head {
                            lines: Default::default(),
                        },
                    );
                    if let Err(e) = self.refill(i, &mut h) {
                        let _ = tx.send(Msg::Failed {
                            source: self.source,
                            error: format!("{}: {e}", self.files[i].path.display()),
                        });
                        self.files[i].done = true;
                    }
                    *head = h;
                }
                // Quarantined records go at once; the head event competes by time.
                if let Some(front) = head.lines.front_mut() {
                    while let Some(Item::Bad(_)) = front.2.first() {
                        let it = front.2.remove(0);
                        self.files[i].skip += 1;
                        batch.push(it);
                    }
                    if let Some(Item::Event(e, _)) = front.2.first() {
                        if best.is_none_or(|(t, _)| e.time_ms < t) {
                            best = Some((e.time_ms, i));
                        }
                    }
                }
            }
            let Some((_, i)) = best else {
                if heads.iter().all(|h| h.lines.iter().all(|l| l.2.is_empty()))
                    && self.files.iter().all(|f| f.done)
                {
                    for (i, head) in heads.iter_mut().enumerate() {
                        while let Some((line, end, _)) = head.lines.pop_front() {
                            let st = &mut self.files[i];
                            st.offset = end;
                            st.line = line;
                            st.skip = 0;
                        }
                    }
                    let _ = tx.send(Msg::Records {
                        source: self.source,
                        name: batch_name.clone(),
                        items: std::mem::take(&mut batch),
                        pos: self.positions(),
                    });
                    return;
                }
                continue;
            };
            let front = heads[i].lines.front_mut().expect("best has a head");
            let it = front.2.remove(0);
            self.files[i].skip += 1;
            if batch_name.is_empty() {
                batch_name = self.files[i].path.display().to_string();
            }
            batch.push(it);
            if batch.len() >= 4096 {
                let _ = tx.send(Msg::Records {
                    source: self.source,
                    name: std::mem::take(&mut batch_name),
                    items: std::mem::take(&mut batch),
                    pos: self.positions(),
                });
            }
        }
    }
}

/// Standard input: lines as they come; ends at end of input. Cannot resume (a pipe cannot be
/// re-read).
pub fn run_stdin(source: u32, tx: SyncSender<Msg>) {
    let stdin = std::io::stdin();
    let mut r = stdin.lock();
    let mut line_no = 0u64;
    let mut header: Option<Vec<u8>> = None;
    loop {
        let mut buf = Vec::new();
        let mut n_lines = 0u64;
        loop {
            match r.read_until(b'\n', &mut buf) {
                Ok(0) => break,
                Ok(_) => {
                    n_lines += 1;
                    if buf.len() >= 1 << 18 || n_lines >= 1024 {
                        break;
                    }
                    // Do not wait for more lines when none are buffered: live latency.
                    if r.fill_buf().map(|b| b.is_empty()).unwrap_or(true) {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
        if buf.is_empty() {
            let _ = tx.send(Msg::End { source });
            return;
        }
        let (items, format) = parse_lines(&buf, "-", line_no + 1, header.as_deref());
        if line_no == 0 && format.is_some_and(is_csv) {
            let end = buf
                .iter()
                .position(|&b| b == b'\n')
                .map_or(buf.len(), |p| p + 1);
            header = Some(buf[..end].to_vec());
        }
        line_no += n_lines;
        if tx
            .send(Msg::Records {
                source,
                name: "-".into(),
                items,
                pos: Position::None,
            })
            .is_err()
        {
            return;
        }
    }
}

/// Reads a whole body of at most `limit` bytes.
pub fn read_limited(r: &mut dyn Read, limit: u64) -> std::io::Result<Option<Vec<u8>>> {
    let mut out = Vec::new();
    r.take(limit + 1).read_to_end(&mut out)?;
    Ok((out.len() as u64 <= limit).then_some(out))
}
