//! The `lockstep` command line: thin glue over the library crates.

mod bench;
mod cmd;
mod demo;
mod infra;
mod progress;

use clap::Parser;

use std::process::ExitCode;

/// jemalloc: parsing allocates and frees millions of small strings across threads (a pool
/// parses, the interning thread keeps, another frees), where glibc malloc spent a third of
/// the read stage; at 10M events it made detect ~15 % faster end to end.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    // Die quietly on a closed pipe (`lockstep eval … | head`), like other Unix tools, instead of
    // panicking in println!.
    #[cfg(unix)]
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = cmd::Cli::parse();
    // An interrupted run leaves nothing half-written: its staging folder goes, the case folder
    // stays as it was. `watch` checkpoints on SIGINT/SIGTERM and snapshots on SIGUSR1: its own
    // handlers.
    if !matches!(cli.command, cmd::Command::Watch(_)) {
        let _ = ctrlc::set_handler(|| {
            lockstep_case::abandon_staging();
            eprintln!("interrupted: the case folder is unchanged");
            std::process::exit(130);
        });
    }
    if let Some(mut n) = cli.threads {
        // More workers than this only cost memory and scheduling: the work is CPU-bound.
        const MAX_THREADS: usize = 256;
        if n > MAX_THREADS {
            eprintln!("warning: --threads {n} is more than lockstep uses; using {MAX_THREADS}");
            n = MAX_THREADS;
        }
        if let Err(e) = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
        {
            eprintln!("error: cannot set up {n} threads: {e}");
            return ExitCode::from(1);
        }
    }
    match cmd::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(exit_code(&e))
        }
    }
}

/// Exit codes follow the error's kind: 2 for a usage error (bad parameters or configuration
/// files), 1 for everything else.
fn exit_code(e: &anyhow::Error) -> u8 {
    use lockstep_core::ErrorKind;
    let kind = e.chain().find_map(|c| {
        c.downcast_ref::<lockstep_detect::Error>()
            .map(|d| d.kind())
            .or_else(|| c.downcast_ref::<lockstep_sim::SimError>().map(|d| d.kind()))
            .or_else(|| {
                c.downcast_ref::<lockstep_eval::EvalError>()
                    .map(|d| d.kind())
            })
            .or_else(|| {
                c.downcast_ref::<lockstep_serve::ServeError>()
                    .map(|d| d.kind())
            })
            .or_else(|| {
                c.downcast_ref::<lockstep_watch::WatchError>()
                    .map(|d| d.kind())
            })
    });
    match kind {
        Some(ErrorKind::Config) => 2,
        _ => 1,
    }
}
