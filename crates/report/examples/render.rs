//! Writes a report page for a report-data JSON file:
//! `cargo run -p lockstep-report --example render -- data.json out.html`

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output] = args.as_slice() else {
        eprintln!("usage: render <data.json> <out.html>");
        return ExitCode::from(2);
    };
    let json = match std::fs::read_to_string(input) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("render: cannot read {input}: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = std::fs::write(output, lockstep_report::render_html(&json)) {
        eprintln!("render: cannot write {output}: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
