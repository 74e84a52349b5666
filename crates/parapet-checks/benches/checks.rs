//! Times `run(&Target::host())` (median of 10 runs) and, when lynis is installed, one
//! `lynis audit system --quick --no-colors` run for comparison.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use parapet_checks::{Status, Target, run};

const RUNS: usize = 10;

fn main() {
    let mut times: Vec<Duration> = Vec::with_capacity(RUNS);
    let mut last = Vec::new();
    for _ in 0..RUNS {
        let start = Instant::now();
        last = run(&Target::host());
        times.push(start.elapsed());
    }
    times.sort();
    let median = times[RUNS / 2];
    let count = |s: Status| last.iter().filter(|r| r.status == s).count();
    println!(
        "parapet-checks: {} checks, median {:.1} ms over {RUNS} runs (min {:.1} ms, max {:.1} ms); \
         {} pass, {} fail, {} not applicable, {} error",
        last.len(),
        ms(median),
        ms(times[0]),
        ms(times[RUNS - 1]),
        count(Status::Pass),
        count(Status::Fail),
        count(Status::NotApplicable),
        count(Status::Error),
    );

    let Some(lynis) = ["/usr/sbin/lynis", "/usr/bin/lynis"].into_iter().find(|p| std::path::Path::new(p).exists())
    else {
        println!("lynis: not installed (apt-get install -y lynis), no comparison");
        return;
    };
    let start = Instant::now();
    let status = Command::new(lynis)
        .args(["audit", "system", "--quick", "--no-colors"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let lynis_time = start.elapsed();
    match status {
        Ok(s) => println!("lynis audit system --quick --no-colors: {:.1} ms (exit {s})", ms(lynis_time)),
        Err(e) => {
            println!("lynis: could not run {lynis}: {e}");
            return;
        }
    }
    println!("ratio lynis / parapet-checks: {:.1}x", lynis_time.as_secs_f64() / median.as_secs_f64());
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
