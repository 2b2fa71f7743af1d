//! `cargo run -p lockstep-infra --example eval_rules -- [--pl N] FILE.tsv...`
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut pl = None;
    let mut paths = Vec::new();
    let mut i = 0;
    while i < args.len() {
        if args[i] == "--pl" {
            pl = args.get(i + 1).and_then(|s| s.parse().ok());
            i += 2;
        } else {
            paths.push(std::path::PathBuf::from(&args[i]));
            i += 1;
        }
    }
    let refs: Vec<&std::path::Path> = paths.iter().map(|p| p.as_path()).collect();
    let rep = lockstep_infra::rules_eval::eval_rules(&refs, pl).expect("read corpus");
    print!("{}", rep.render());
    if std::env::var_os("SHOW").is_some() {
        for x in &rep.false_positives {
            println!("FP {x}");
        }
        for x in &rep.misses {
            println!("MISS {x}");
        }
    }
}
