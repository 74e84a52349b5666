//! Whole builds: every record of the shared OSV databases is accounted for, and apt lists read
//! the same however they are compressed.

use crate::shared;
use parapet_catalog::build::{Inputs, build};
use std::io::Write;
use std::path::Path;

/// The records under a folder: JSON and YAML files (the databases keep other files beside them).
fn count_files(dir: &Path) -> usize {
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            count += count_files(&entry.path());
        } else if [".json", ".yaml", ".yml"].iter().any(|ext| entry.file_name().to_string_lossy().ends_with(ext)) {
            count += 1;
        }
    }
    count
}

#[test]
fn every_osv_record_is_accounted_for() {
    for database in ["osv/rustsec", "osv/go", "osv/pypa"] {
        let dir = shared(database);
        let inputs = Inputs { osv: vec![dir.clone()], ..Inputs::default() };
        let catalog = build(&inputs, "now".into(), &|_, _, _| {}).unwrap();
        let source = &catalog.sources[0];
        let files = count_files(&dir);
        assert_eq!(source.advisories + source.withdrawn, files as u64, "{database}: {:?}", source.rejected);
        assert!(source.advisories > 1000, "{database}");
        // Rejections are entries with versions that are invalid in their scheme, never whole files.
        for rejected in &source.rejected {
            assert!(rejected.contains("affected["), "{database}: {rejected}");
        }
    }
}

#[test]
fn osv_zip_reads_like_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    let zip_path = dir.path().join("crates.io.zip");
    let folder = shared("osv/rustsec/crates");
    let mut writer = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    let mut names: Vec<_> = std::fs::read_dir(&folder).unwrap().map(|e| e.unwrap().path()).collect();
    names.sort();
    for path in names.iter().take(200) {
        writer
            .start_file(path.file_name().unwrap().to_string_lossy(), zip::write::SimpleFileOptions::default())
            .unwrap();
        writer.write_all(&std::fs::read(path).unwrap()).unwrap();
    }
    writer.finish().unwrap();
    let from_zip = build(&Inputs { osv: vec![zip_path], ..Inputs::default() }, "now".into(), &|_, _, _| {}).unwrap();
    let copy = dir.path().join("copy");
    std::fs::create_dir(&copy).unwrap();
    for path in names.iter().take(200) {
        std::fs::copy(path, copy.join(path.file_name().unwrap())).unwrap();
    }
    let from_folder = build(&Inputs { osv: vec![copy], ..Inputs::default() }, "now".into(), &|_, _, _| {}).unwrap();
    assert_eq!(from_zip.advisories, from_folder.advisories);
    assert_eq!(from_zip.sources[0].advisories + from_zip.sources[0].withdrawn, 200);
}

/// This machine's bookworm-security lists (lz4, as apt keeps them), recompressed as gzip, xz and
/// plain text, give the same updates.
#[test]
fn apt_lists_in_every_compression() {
    let lists = Path::new("/var/lib/apt/lists");
    let security: Vec<_> = std::fs::read_dir(lists)
        .expect("apt lists: run scripts/test.sh, which runs apt-get update when they are missing")
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().contains("bookworm-security"))
        .collect();
    assert!(
        security.iter().any(|p| p.to_string_lossy().ends_with("InRelease")),
        "no bookworm-security InRelease in {security:?}"
    );
    let reference =
        build(&Inputs { apt_lists: vec![lists.to_owned()], ..Inputs::default() }, "now".into(), &|_, _, _| {}).unwrap();
    assert!(reference.updates.len() > 500, "{} updates", reference.updates.len());
    assert!(reference.updates.iter().all(|u| u.ecosystem == "Debian:12" && u.suite == "bookworm-security"));
    assert!(reference.sources[0].rejected.is_empty(), "{:?}", reference.sources[0].rejected);

    for compression in ["gz", "xz", "plain"] {
        let dir = tempfile::tempdir().unwrap();
        for path in &security {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let Some(stem) = name.strip_suffix(".lz4") else {
                std::fs::copy(path, dir.path().join(&name)).unwrap();
                continue;
            };
            let text = parapet_catalog::build::read_decompressed(path).unwrap();
            let out = |ext: &str| std::fs::File::create(dir.path().join(format!("{stem}{ext}"))).unwrap();
            match compression {
                "gz" => {
                    let mut encoder = flate2::write::GzEncoder::new(out(".gz"), flate2::Compression::fast());
                    encoder.write_all(text.as_bytes()).unwrap();
                    encoder.finish().unwrap();
                }
                "xz" => {
                    let mut encoder = liblzma::write::XzEncoder::new(out(".xz"), 1);
                    encoder.write_all(text.as_bytes()).unwrap();
                    encoder.finish().unwrap();
                }
                _ => out("").write_all(text.as_bytes()).unwrap(),
            }
        }
        let rebuilt =
            build(&Inputs { apt_lists: vec![dir.path().to_owned()], ..Inputs::default() }, "now".into(), &|_, _, _| {})
                .unwrap();
        assert_eq!(rebuilt.updates, reference.updates, "{compression}");
    }

    // A lone index with no Release beside it cannot be placed, and says so.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Packages"), "Package: a\nVersion: 1\n").unwrap();
    let lone =
        build(&Inputs { apt_lists: vec![dir.path().to_owned()], ..Inputs::default() }, "now".into(), &|_, _, _| {})
            .unwrap();
    assert!(lone.sources[0].rejected[0].contains("no Release or InRelease"), "{:?}", lone.sources[0].rejected);
    // A path that does not exist stops the build and names the path.
    let missing =
        build(&Inputs { osv: vec!["/nonexistent/osv".into()], ..Inputs::default() }, "now".into(), &|_, _, _| {});
    assert!(missing.unwrap_err().to_string().contains("/nonexistent/osv"));
}
