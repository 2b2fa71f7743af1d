//! The `lockstep` command line: thin glue over the library crates.

mod bench;
mod cmd;
mod demo;

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
    if let Some(n) = cli.threads {
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
            ExitCode::from(1)
        }
    }
}
