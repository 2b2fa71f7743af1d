//! Streaming writers: TikTok Research API response pages for videos, lockstep NDJSON for
//! comments, and the ground-truth CSV. Everything goes through buffered (optionally gzip)
//! sinks as it is generated.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use flate2::Compression;
use serde::Serialize;

use crate::error::{At, SimError};
use crate::sample::mix;
use crate::world::{Comment, Sound, Video, World};

/// The Research API returns at most 100 videos per page.
pub(crate) const PAGE_SIZE: usize = 100;

enum Sink {
    Plain(BufWriter<File>),
    // flate2's header carries mtime 0 by default, so gzip output stays byte-identical.
    Gzip(GzEncoder<BufWriter<File>>),
}

impl Sink {
    fn create(path: &Path, gzip: bool) -> Result<Sink, SimError> {
        let file = BufWriter::with_capacity(1 << 20, File::create(path).at(path, "create")?);
        Ok(if gzip {
            Sink::Gzip(GzEncoder::new(file, Compression::default()))
        } else {
            Sink::Plain(file)
        })
    }

    fn finish(self) -> io::Result<()> {
        match self {
            Sink::Plain(mut f) => f.flush(),
            Sink::Gzip(g) => g.finish()?.flush(),
        }
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sink::Plain(f) => f.write(buf),
            Sink::Gzip(g) => g.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Plain(f) => f.flush(),
            Sink::Gzip(g) => g.flush(),
        }
    }
}

#[derive(Serialize)]
struct ApiVideo<'a> {
    id: u64,
    username: &'a str,
    create_time: i64,
    video_description: &'a str,
    hashtag_names: &'a [String],
    music_id: u64,
    video_mention_list: Vec<&'a str>,
    region_code: &'a str,
    view_count: u64,
    like_count: u64,
    comment_count: u64,
    share_count: u64,
    video_duration: u32,
}

#[derive(Serialize)]
struct PageData<'a> {
    videos: Vec<ApiVideo<'a>>,
    cursor: u64,
    has_more: bool,
    search_id: &'a str,
}

#[derive(Serialize)]
struct ApiError {
    code: &'static str,
    message: &'static str,
    log_id: String,
}

#[derive(Serialize)]
struct Page<'a> {
    data: PageData<'a>,
    error: ApiError,
}

#[derive(Serialize)]
struct CommentRecord<'a> {
    id: String,
    account: &'a str,
    time: String,
    platform: &'static str,
    kind: &'static str,
    text: &'a str,
    parent: String,
    parent_account: &'a str,
}

/// The data files of one run.
pub(crate) struct Output {
    videos: Sink,
    comments: Sink,
    comment_buf: Vec<u8>,
    page: Vec<(u64, Video)>,
    search_id: String,
    seed: u64,
    videos_written: u64,
    comments_written: u64,
    pages: u64,
    files: Vec<PathBuf>,
}

impl Output {
    pub fn create(data_dir: &Path, seed: u64, gzip: bool) -> Result<Output, SimError> {
        std::fs::create_dir_all(data_dir).at(data_dir, "create")?;
        let (ext, stale) = if gzip { (".gz", "") } else { ("", ".gz") };
        let mut files = Vec::new();
        for name in ["videos.jsonl", "comments.ndjson"] {
            // A previous run in the other mode would leave a second copy for readers to find.
            let old = data_dir.join(format!("{name}{stale}"));
            if old.exists() {
                std::fs::remove_file(&old).at(&old, "remove")?;
            }
            files.push(data_dir.join(format!("{name}{ext}")));
        }
        Ok(Output {
            videos: Sink::create(&files[0], gzip)?,
            comments: Sink::create(&files[1], gzip)?,
            comment_buf: Vec::with_capacity(80 << 10),
            page: Vec::with_capacity(PAGE_SIZE),
            search_id: format!("sim-{seed}"),
            seed,
            videos_written: 0,
            comments_written: 0,
            pages: 0,
            files,
        })
    }

    pub fn video(&mut self, w: &World, id: u64, v: Video) -> Result<(), SimError> {
        // A full page is written only once the next video exists, so the last page is the
        // one that says `has_more: false`.
        if self.page.len() == PAGE_SIZE {
            self.write_page(w, true)?;
        }
        self.page.push((id, v));
        Ok(())
    }

    fn write_page(&mut self, w: &World, has_more: bool) -> Result<(), SimError> {
        let videos = self
            .page
            .iter()
            .map(|(id, v)| ApiVideo {
                id: *id,
                username: &w.accounts[v.author as usize].name,
                create_time: v.time,
                video_description: &v.text,
                hashtag_names: &v.tags,
                // Original sounds get an id of their own, derived from the video's.
                music_id: match v.sound {
                    Sound::Original => id | 1 << 31,
                    Sound::Shared(m) => m,
                },
                video_mention_list: v
                    .mentions
                    .iter()
                    .map(|&m| w.accounts[m as usize].name.as_str())
                    .collect(),
                region_code: w.region(v.author),
                view_count: v.views,
                like_count: v.likes,
                comment_count: v.comments,
                share_count: v.shares,
                video_duration: v.duration,
            })
            .collect::<Vec<_>>();
        let count = videos.len() as u64;
        let page = Page {
            data: PageData {
                videos,
                cursor: self.videos_written + count,
                has_more,
                search_id: &self.search_id,
            },
            error: ApiError {
                code: "ok",
                message: "",
                log_id: format!("20241124000000{:016X}", mix(self.seed ^ mix(self.pages))),
            },
        };
        // One page is serialised into memory and written in one go: far fewer calls through
        // the sink than letting serde_json write each token.
        let mut buf = Vec::with_capacity(64 << 10);
        serde_json::to_writer(&mut buf, &page).map_err(|e| encode("a video page", e))?;
        buf.push(b'\n');
        self.videos.write_all(&buf).at(&self.files[0], "write")?;
        self.videos_written += count;
        self.pages += 1;
        self.page.clear();
        Ok(())
    }

    pub fn comment(&mut self, w: &World, c: &Comment) -> Result<(), SimError> {
        self.comments_written += 1;
        let record = CommentRecord {
            id: format!("c{}", self.comments_written),
            account: &w.accounts[c.author as usize].name,
            time: lockstep_core::format_time(c.time * 1000),
            platform: "tiktok",
            kind: "comment",
            text: &c.text,
            parent: c.parent.to_string(),
            parent_account: &w.accounts[c.parent_author as usize].name,
        };
        serde_json::to_writer(&mut self.comment_buf, &record)
            .map_err(|e| encode("a comment", e))?;
        self.comment_buf.push(b'\n');
        if self.comment_buf.len() >= 64 << 10 {
            self.comments
                .write_all(&self.comment_buf)
                .at(&self.files[1], "write")?;
            self.comment_buf.clear();
        }
        Ok(())
    }

    pub fn finish(mut self, w: &World) -> Result<Written, SimError> {
        if !self.page.is_empty() || self.pages == 0 {
            self.write_page(w, false)?;
        }
        let Output {
            videos,
            mut comments,
            comment_buf,
            videos_written,
            comments_written,
            pages,
            files,
            ..
        } = self;
        comments.write_all(&comment_buf).at(&files[1], "write")?;
        videos.finish().at(&files[0], "write")?;
        comments.finish().at(&files[1], "write")?;
        Ok(Written {
            videos: videos_written,
            comments: comments_written,
            pages,
            files,
        })
    }
}

/// What the data files ended up holding.
pub(crate) struct Written {
    pub videos: u64,
    pub comments: u64,
    pub pages: u64,
    pub files: Vec<PathBuf>,
}

/// `truth.csv`: every account that appears in the data, sorted by name.
pub(crate) fn write_truth(path: &Path, w: &World, seen: &[bool]) -> Result<usize, SimError> {
    let mut rows: Vec<_> = w
        .accounts
        .iter()
        .zip(seen)
        .filter(|(_, &s)| s)
        .map(|(a, _)| (a.name.as_str(), a.role.campaign(), a.role.name()))
        .collect();
    rows.sort_unstable();
    let mut out = BufWriter::new(File::create(path).at(path, "create")?);
    let mut write = || {
        writeln!(out, "account,campaign,role")?;
        for (name, campaign, role) in &rows {
            writeln!(out, "{name},{campaign},{role}")?;
        }
        out.flush()
    };
    write().at(path, "write")?;
    Ok(rows.len())
}

/// A value serde_json could not encode (into memory, so never an I/O error).
fn encode(what: &'static str, e: serde_json::Error) -> SimError {
    SimError::Encode {
        what,
        message: e.to_string(),
    }
}
