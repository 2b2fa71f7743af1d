//! Terminal progress: the binary's [`Reporter`], drawing one spinner per stage with indicatif.
//! Libraries report through the trait and never draw.

use indicatif::{ProgressBar, ProgressStyle};
use lockstep_core::progress::{Progress, Reporter, Stage, StageName};
use std::sync::Mutex;

/// Spinners on standard error, one at a time; warnings printed above them.
pub struct Bars {
    bar: Mutex<Option<ProgressBar>>,
}

impl Bars {
    pub fn new() -> Bars {
        Bars {
            bar: Mutex::new(None),
        }
    }

    fn with(&self, f: impl FnOnce(&mut Option<ProgressBar>)) {
        if let Ok(mut b) = self.bar.lock() {
            f(&mut b);
        }
    }
}

impl Reporter for Bars {
    fn started(&self, stage: StageName, detail: &str) {
        self.with(|b| {
            if let Some(old) = b.take() {
                old.finish_and_clear();
            }
            let pb = ProgressBar::new_spinner();
            pb.set_style(
                ProgressStyle::with_template("{spinner} {elapsed:>4} {msg}")
                    .expect("static template"),
            );
            pb.enable_steady_tick(std::time::Duration::from_millis(120));
            pb.set_message(if detail.is_empty() {
                stage.to_string()
            } else {
                detail.to_string()
            });
            *b = Some(pb);
        });
    }

    fn progress(&self, _stage: StageName, p: Progress<'_>) {
        self.with(|b| {
            if let Some(pb) = b {
                pb.set_message(format!("{} ({} {})", p.detail, p.done, p.unit));
            }
        });
    }

    fn finished(&self, _stage: &Stage) {
        self.with(|b| {
            if let Some(pb) = b.take() {
                pb.finish_and_clear();
            }
        });
    }

    fn warning(&self, message: &str) {
        self.with(|b| match b {
            Some(pb) => pb.suspend(|| eprintln!("warning: {message}")),
            None => eprintln!("warning: {message}"),
        });
    }
}

/// Only warnings, for `--quiet`: nothing is drawn, but what was skipped is still said.
pub struct WarningsOnly;

impl Reporter for WarningsOnly {
    fn warning(&self, message: &str) {
        eprintln!("warning: {message}");
    }
}
