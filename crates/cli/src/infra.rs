//! `lockstep infra`: glue to `lockstep_infra::cli` (exit 2 for usage errors).

use std::process::ExitCode;

pub fn run(args: lockstep_infra::cli::InfraArgs) -> anyhow::Result<ExitCode> {
    match lockstep_infra::cli::run(args) {
        Ok(lockstep_infra::cli::RunOutcome::Text(t)) => {
            print!("{t}");
            Ok(ExitCode::SUCCESS)
        }
        Ok(lockstep_infra::cli::RunOutcome::Case(..)) => Ok(ExitCode::SUCCESS),
        Err(e) if e.is_usage() => {
            eprintln!("error: {e}");
            Ok(ExitCode::from(2))
        }
        Err(e) => Err(e.into()),
    }
}
