//! Validating every CISA document in `../shared/data/csaf/provider-cisa` (goal: all of them in
//! under 5 s on 2 cores, with bounded memory): each worker reads one file at a time, so memory
//! stays at the largest few documents however many there are. Reports documents per second,
//! megabytes per second and the peak resident memory (`VmHWM`).
//!
//! Run with `cargo bench -p parapet-csaf --bench validate`.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

fn documents(folder: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(folder).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            documents(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") && !path.to_string_lossy().contains("feed") {
            out.push(path);
        }
    }
}

fn peak_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/csaf/provider-cisa");
    let mut files = Vec::new();
    documents(&root, &mut files);
    files.sort();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let before = peak_memory_kib().unwrap_or(0);
    for round in 1..=3 {
        let next = AtomicUsize::new(0);
        let totals = Mutex::new((0usize, 0usize, 0u64));
        let started = Instant::now();
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| {
                    let (mut valid, mut count, mut bytes) = (0, 0, 0u64);
                    while let Some(file) = files.get(next.fetch_add(1, Ordering::Relaxed)) {
                        let text = std::fs::read_to_string(file).unwrap();
                        bytes += text.len() as u64;
                        count += 1;
                        if parapet_csaf::validate_str(&text).unwrap().is_valid() {
                            valid += 1;
                        }
                    }
                    let mut totals = totals.lock().unwrap();
                    totals.0 += valid;
                    totals.1 += count;
                    totals.2 += bytes;
                });
            }
        });
        let elapsed = started.elapsed().as_secs_f64();
        let (valid, count, bytes) = totals.into_inner().unwrap();
        println!(
            "round {round}: {count} documents ({:.1} MB), {valid} valid, in {elapsed:.2} s on {threads} threads: \
             {:.0} documents/s, {:.1} MB/s",
            bytes as f64 / 1e6,
            count as f64 / elapsed,
            bytes as f64 / 1e6 / elapsed
        );
    }
    if let Some(peak) = peak_memory_kib() {
        println!(
            "peak resident memory: {:.1} MiB (before validating: {:.1} MiB)",
            peak as f64 / 1024.0,
            before as f64 / 1024.0
        );
    }
}
