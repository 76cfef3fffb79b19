//! Extraction speed: a 30,000-character report (real seed report texts joined and cut to that
//! length) extracted with the knowledge of all the seeds, 20 runs after 3 warm-up ones, on one
//! thread. Run with `cargo bench --bench extract`.

// A bench is a test harness: a failed set-up stops it with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("extract: run with `cargo bench --bench extract`");
        return;
    }
    let data =
        edustats::ingest::seed::load_dir(&edustats::config::default_seeds_dir()).expect("seeds");
    let knowledge = edustats::extract::Knowledge::from_dataset(&data, None);
    // Real report texts, joined until 30,000 characters.
    let joined: String = data
        .plan
        .sources
        .iter()
        .map(|(s, _)| s.text.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let text: String = joined.chars().take(30_000).collect();
    let opts = edustats::extract::Options {
        district: Some("500153".into()),
        ..Default::default()
    };
    let mut times: Vec<Duration> = Vec::new();
    let mut figures = 0;
    for run in 0..23 {
        let start = Instant::now();
        let ex = edustats::extract::extract(&text, &knowledge, &opts).expect("extraction");
        let elapsed = start.elapsed();
        figures = ex.observations.len() + ex.unmatched.len();
        if run >= 3 {
            times.push(elapsed);
        }
    }
    times.sort();
    let median = times[times.len() / 2];
    let max = times[times.len() - 1];
    println!(
        "chars\tfigures\tmedian_ms\tmax_ms\n{}\t{figures}\t{:.1}\t{:.1}",
        text.chars().count(),
        median.as_secs_f64() * 1000.0,
        max.as_secs_f64() * 1000.0
    );
}
