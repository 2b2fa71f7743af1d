//! The memory budget of a run (`--memory-mib`), watched from outside the allocations.
//!
//! A [`Governor`] samples the process's resident memory every few milliseconds on a thread of
//! its own and raises a flag once it passes the budget. Stages that can stop part way (the
//! readers, between batches) poll the flag and stop, so the peak stays within the budget plus
//! what one sampling interval lets a stage allocate; the others are checked when they end
//! (the flag stays raised once memory passed the budget at any sample).
//! A run that stops for the budget fails with an estimate of the budget it needs: it never
//! runs on past it silently. Where the OS does not report resident memory (not Linux), the
//! flag is never raised.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Memory the sweep's pair store may always use, whatever the budget leaves (beyond it the
/// store spills to temporary files).
pub const SWEEP_MIN_MIB: u64 = 256;

/// How often resident memory is sampled.
pub const SAMPLE_EVERY: Duration = Duration::from_millis(5);

#[derive(Default)]
struct Shared {
    over: AtomicBool,
    stop: AtomicBool,
    /// Highest resident memory seen, in KiB.
    peak_kib: AtomicU64,
}

/// Watches resident memory against a budget while it lives.
pub struct Governor {
    budget_mib: u64,
    shared: Arc<Shared>,
    sampler: Option<std::thread::JoinHandle<()>>,
}

impl Governor {
    /// Starts watching: the flag is raised once resident memory exceeds `budget_mib`.
    pub fn start(budget_mib: u64) -> Governor {
        let shared = Arc::new(Shared::default());
        let limit_kib = budget_mib.saturating_mul(1024);
        let sampler = resident_kib().is_some().then(|| {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("lockstep-memory".into())
                .spawn(move || {
                    while !shared.stop.load(Ordering::Relaxed) {
                        if let Some(kib) = resident_kib() {
                            shared.peak_kib.fetch_max(kib, Ordering::Relaxed);
                            if kib > limit_kib {
                                shared.over.store(true, Ordering::Release);
                            }
                        }
                        std::thread::sleep(SAMPLE_EVERY);
                    }
                })
                .ok()
        });
        Governor {
            budget_mib,
            shared,
            sampler: sampler.flatten(),
        }
    }

    pub fn budget_mib(&self) -> u64 {
        self.budget_mib
    }

    /// Whether resident memory has passed the budget (at any sample so far).
    pub fn over(&self) -> bool {
        self.shared.over.load(Ordering::Acquire)
    }

    /// Samples now (besides the sampler's own samples) and says whether the budget is passed.
    pub fn check(&self) -> bool {
        if let Some(kib) = resident_kib() {
            self.shared.peak_kib.fetch_max(kib, Ordering::Relaxed);
            if kib > self.budget_mib.saturating_mul(1024) {
                self.shared.over.store(true, Ordering::Release);
            }
        }
        self.over()
    }

    /// The highest resident memory sampled, in MiB.
    pub fn peak_mib(&self) -> f64 {
        self.shared.peak_kib.load(Ordering::Relaxed) as f64 / 1024.0
    }
}

impl Drop for Governor {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.sampler.take() {
            let _ = h.join();
        }
    }
}

/// Resident memory of this process now, in KiB (Linux: /proc/self/statm, cheap enough to
/// read every few milliseconds).
#[cfg(target_os = "linux")]
pub fn resident_kib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = s.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    Some(pages * u64::try_from(page).ok()? / 1024)
}

#[cfg(not(target_os = "linux"))]
pub fn resident_kib() -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_rises_once_memory_passes_the_budget() {
        let Some(now) = resident_kib() else {
            return; // not Linux: nothing is watched
        };
        let g = Governor::start(now / 1024 + 64);
        assert!(!g.check());
        // 128 MiB more, touched so that it is resident.
        let v = vec![1u8; 128 << 20];
        std::thread::sleep(SAMPLE_EVERY * 4);
        assert!(g.over(), "peak {} MiB", g.peak_mib());
        assert!(g.peak_mib() * 1024.0 >= now as f64 + 100.0 * 1024.0);
        drop(v);
        // The flag stays raised: a stage that passed the budget passed it.
        assert!(g.over());
    }
}
