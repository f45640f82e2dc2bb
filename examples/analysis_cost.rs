//! The CPU cost of analysing one text, for profiling: analyses a file (by
//! default bench/text/post-1k.md) `N` times and prints the time per text.
//!
//!     cargo run --release --example analysis_cost -- 2000 [file]
//!     valgrind --tool=callgrind target/release/examples/analysis_cost 11
//!
//! Under callgrind, the difference between `N = 11` and `N = 1` divided by
//! ten is the instructions one text costs, whatever else the machine runs.

use std::time::Instant;

use herald::content::analysis::Analyzer;
use herald::domain::Platform;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let runs: u32 = args.next().and_then(|n| n.parse().ok()).unwrap_or(1000);
    let path = args
        .next()
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/bench/text/post-1k.md").to_owned());
    let text = std::fs::read_to_string(&path)?;
    let analyzer = Analyzer::new(500);
    let platforms = [Platform::X, Platform::Mastodon, Platform::Bluesky];
    // The lexicons and stop words are built on first use: not part of a text's cost.
    let warm = analyzer.analyze(&text, &platforms);
    let start = Instant::now();
    for _ in 1..runs {
        std::hint::black_box(analyzer.analyze(std::hint::black_box(&text), &platforms));
    }
    if runs == 1 {
        for keyword in &warm.keywords {
            println!("{} {}", keyword.score, keyword.phrase);
        }
    }
    let each = start.elapsed() / runs.saturating_sub(1).max(1);
    println!(
        "{} bytes, {} keywords, {:?} per text over {} runs",
        text.len(),
        warm.keywords.len(),
        each,
        runs - 1
    );
    Ok(())
}
