//! Generates a scenario: `cargo run --release -p lockstep-sim --example simulate -- OUT [ACCOUNTS] [SCENARIO.toml]`.

use std::path::Path;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out = args.first().map(String::as_str).unwrap_or("sim-out");
    let mut scenario = match args.get(2) {
        Some(path) => lockstep_sim::Scenario::from_toml_file(Path::new(path))?,
        None => lockstep_sim::Scenario::romania_2024(),
    };
    if let Some(n) = args.get(1) {
        scenario.accounts = n.parse()?;
    }
    let started = Instant::now();
    let summary = lockstep_sim::simulate(&scenario, Path::new(out))?;
    println!("{}", serde_json::to_string_pretty(&summary)?);
    eprintln!("generated in {:.2?}", started.elapsed());
    Ok(())
}
