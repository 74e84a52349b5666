//! `parapet_scan::rpmdb` against databases made by the real rpm: tiny noarch packages built with
//! `rpmbuild`, installed with `rpm --justdb` into a root folder next to an imported signing key,
//! read back and compared with what `rpm -qa` says of them; the database left untouched;
//! corrupt rows and files that are not an SQLite rpmdb refused with their reasons; and where
//! `locate` finds the database in a root folder.

use parapet_inventory::rpm::RpmPackage;
use parapet_scan::rpmdb;
use parapet_versions::Scheme;
use std::path::{Path, PathBuf};
use std::process::Command;
use tempfile::TempDir;

/// A package with an epoch and a vendor; one without, with a subpackage (whose source package
/// has another name) and a module stream; a version with a tilde.
const SPECS: [(&str, &str); 2] = [
    (
        "alpha.spec",
        "Name: alpha\nEpoch: 3\nVersion: 1.2.3\nRelease: 4.el9\nVendor: Parapet Tests\nSummary: alpha\n\
         License: MIT\nBuildArch: noarch\n%description\nalpha\n%files\n",
    ),
    (
        "beta.spec",
        "%global modularitylabel beta:2:20230101:abcd1234\nName: beta\nVersion: 2.0~rc1\nRelease: 1.fc39\nSummary: beta\nLicense: MIT\nBuildArch: noarch\n\
         %description\nbeta\n%package -n libbeta\nSummary: libbeta\n%description -n libbeta\nlibbeta\n\
         %files\n%files -n libbeta\n",
    ),
];

/// An Ed25519 public key, which rpm records as a `gpg-pubkey` package without arch or source.
const KEY: &str = "-----BEGIN PGP PUBLIC KEY BLOCK-----

mDMEawg/RxYJKwYBBAHaRw8BAQdAdS3ar+HQ+vbxEzDMoSymnZ0kwdxB8ZAckweO
z3B7kw60H1BhcmFwZXQgVGVzdCA8dGVzdEBleGFtcGxlLm9yZz6IkAQTFggAOBYh
BKPwXEWaceZ7Axs5v64vTJmFukjbBQJrCD9HAhsDBQsJCAcCBhUKCQgLAgQWAgMB
Ah4BAheAAAoJEK4vTJmFukjbZkwA/jflTjETER0/hmRtkyZzPMr5nxr/K00vB6aR
SVTEdUjQAQD8q7R0/p96N1QFOZnWABUO4dZ/BeFLlNv4ZW+lKQkfCw==
=rJOA
-----END PGP PUBLIC KEY BLOCK-----
";

/// What `rpm -q` prints of a package, one tab-separated line; the header number comes first.
const QUERY_FORMAT: &str = "%{DBINSTANCE}\\t%{NAME}\\t%{EPOCH}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\t%{SOURCERPM}\\t\
                            %{VENDOR}\\t%{MODULARITYLABEL}\\n";

/// Runs `program` in `dir` (also its `HOME`, so no one's `~/.rpmmacros` counts) and returns
/// its output; a missing program fails the test with how to get it.
fn run(dir: &Path, program: &str, args: &[&str]) -> String {
    let output = Command::new(program).args(args).current_dir(dir).env("HOME", dir).output().unwrap_or_else(|e| {
        panic!("cannot run {program}: {e}; run scripts/test.sh, which installs it (`apt-get install rpm`)")
    });
    assert!(
        output.status.success(),
        "{program} {args:?} failed: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("rpm writes UTF-8")
}

/// A root folder with an rpmdb made by rpm itself.
struct Installed {
    dir: TempDir,
    root: PathBuf,
}

impl Installed {
    fn new() -> Self {
        let dir = TempDir::new().unwrap();
        let top = dir.path().join("rpmbuild");
        let root = dir.path().join("root");
        for (file, spec) in SPECS {
            std::fs::write(dir.path().join(file), spec).unwrap();
            run(dir.path(), "rpmbuild", &["--define", &format!("_topdir {}", top.display()), "--quiet", "-bb", file]);
        }
        let mut packages: Vec<String> = std::fs::read_dir(top.join("RPMS/noarch"))
            .unwrap()
            .map(|entry| entry.unwrap().path().display().to_string())
            .collect();
        packages.sort();
        let installed = Installed { root, dir };
        installed.rpm(&["--initdb"]);
        let install = ["-i", "--nodeps", "--justdb", "--noscripts", "--ignorearch", "--ignoreos"];
        installed.rpm(&[&install[..], &packages.iter().map(String::as_str).collect::<Vec<_>>()].concat());
        std::fs::write(installed.dir.path().join("key.asc"), KEY).unwrap();
        installed.rpm(&["--import", "key.asc"]);
        installed
    }

    /// Runs rpm on the root's database, `/var/lib/rpm/rpmdb.sqlite` whatever rpm's defaults
    /// (Debian's keeps a database in `~/.rpmdb`).
    fn rpm(&self, args: &[&str]) -> String {
        let root = self.root.display().to_string();
        let options = ["--root", &root, "--dbpath", "/var/lib/rpm", "--define", "_db_backend sqlite"];
        run(self.dir.path(), "rpm", &[&options[..], args].concat())
    }

    fn database(&self) -> PathBuf {
        self.root.join("var/lib/rpm/rpmdb.sqlite")
    }

    /// `rpm -qa` in header number order, with the number of each package.
    fn query(&self) -> Vec<(usize, String)> {
        let mut lines: Vec<(usize, String)> = self
            .rpm(&["-qa", "--qf", QUERY_FORMAT])
            .lines()
            .map(|line| {
                let (number, rest) = line.split_once('\t').unwrap();
                (number.parse().unwrap(), rest.to_owned())
            })
            .collect();
        lines.sort();
        lines
    }

    /// A copy of the database alone in a folder of its own, under a name that must be escaped
    /// in an SQLite URI.
    fn copy(&self) -> (TempDir, PathBuf) {
        let dir = TempDir::new().unwrap();
        let path = dir.path().join(COPY);
        std::fs::copy(self.database(), &path).unwrap();
        (dir, path)
    }
}

const COPY: &str = "rpm db?immutable=0#%41.sqlite";

/// A package as `rpm -q --qf QUERY_FORMAT` prints it, without the header number.
fn render(p: &RpmPackage) -> String {
    let none = || "(none)".to_owned();
    let source = match (&p.source_name, &p.source_version) {
        (Some(name), Some(version)) => format!("{name}-{version}.src.rpm"),
        _ => none(),
    };
    let arch = if p.arch.is_empty() { none() } else { p.arch.clone() };
    [
        p.name.clone(),
        p.epoch.map_or_else(none, |epoch| epoch.to_string()),
        p.version.clone(),
        p.release.clone(),
        arch,
        source,
        p.vendor.clone().unwrap_or_else(none),
        p.modularity_label.clone().unwrap_or_else(none),
    ]
    .join("\t")
}

#[test]
fn matches_rpm_query() {
    let installed = Installed::new();
    let path = rpmdb::locate(&installed.root).expect("the rpmdb is found");
    assert_eq!(path, installed.database());
    let parsed = rpmdb::read(&path).unwrap();
    assert_eq!(parsed.errors, []);
    let got: Vec<String> = parsed.packages.iter().map(render).collect();
    let expected: Vec<String> = installed.query().into_iter().map(|(_, line)| line).collect();
    assert_eq!(got, expected);

    // What rpm said is what the packages were built to be.
    let mut lines: Vec<&str> = got.iter().map(String::as_str).collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            "alpha\t3\t1.2.3\t4.el9\tnoarch\talpha-1.2.3-4.el9.src.rpm\tParapet Tests\t(none)",
            "beta\t(none)\t2.0~rc1\t1.fc39\tnoarch\tbeta-2.0~rc1-1.fc39.src.rpm\t(none)\tbeta:2:20230101:abcd1234",
            "gpg-pubkey\t(none)\t85ba48db\t6b083f47\t(none)\t(none)\t(none)\t(none)",
            "libbeta\t(none)\t2.0~rc1\t1.fc39\tnoarch\tbeta-2.0~rc1-1.fc39.src.rpm\t(none)\tbeta:2:20230101:abcd1234",
        ]
    );
    let evrs: Vec<String> = parsed.packages.iter().map(RpmPackage::evr).collect();
    for evr in &evrs {
        Scheme::Rpm.validate(evr).unwrap();
    }
    assert!(evrs.contains(&"3:1.2.3-4.el9".to_owned()), "{evrs:?}");
}

/// Reading leaves the file as it was (bytes and modification time) and creates nothing next to
/// it: no `-wal`, no `-shm`, no journal. A read-only file is read.
#[test]
fn read_does_not_modify() {
    let installed = Installed::new();
    let (dir, path) = installed.copy();
    let mut permissions = std::fs::metadata(&path).unwrap().permissions();
    permissions.set_readonly(true);
    std::fs::set_permissions(&path, permissions).unwrap();
    let snapshot = || {
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
        (names, modified, std::fs::read(&path).unwrap())
    };
    let before = snapshot();
    assert_eq!(before.0, [COPY]);
    let parsed = rpmdb::read(&path).unwrap();
    assert_eq!((parsed.packages.len(), parsed.errors.len()), (4, 0));
    assert!(before == snapshot(), "reading changed {} or its folder", path.display());
}

/// Corrupt rows are one error each, on the row's header number, and the other rows are read.
#[test]
fn corrupt_rows() {
    let installed = Installed::new();
    let query = installed.query();
    let number = |name: &str| query.iter().find(|(_, line)| line.starts_with(&format!("{name}\t"))).unwrap().0;
    let (_dir, path) = installed.copy();
    let blob: Vec<u8> = {
        let connection = rusqlite::Connection::open(&path).unwrap();
        let blob: Vec<u8> = connection
            .query_row("SELECT blob FROM Packages WHERE hnum = ?1", [number("libbeta")], |row| row.get(0))
            .unwrap();
        let update = "UPDATE Packages SET blob = ?2 WHERE hnum = ?1";
        connection.execute(update, rusqlite::params![number("alpha"), b"\x00\x01\x02\x03".as_slice()]).unwrap();
        connection.execute(update, rusqlite::params![number("libbeta"), &blob[..blob.len() - 1]]).unwrap();
        connection.execute(update, rusqlite::params![number("gpg-pubkey"), "garbage"]).unwrap();
        blob
    };
    let parsed = rpmdb::read(&path).unwrap();
    let got: Vec<String> = parsed.packages.iter().map(|p| p.name.clone()).collect();
    assert_eq!(got, ["beta"]);

    let count = |at: usize| u32::from_be_bytes(blob[at..at + 4].try_into().unwrap());
    let mut expected = vec![
        (
            number("alpha"),
            "header blob is 4 bytes, too short for its counts of index entries and data bytes".to_owned(),
        ),
        (
            number("libbeta"),
            format!(
                "header blob is {} bytes, but its {} index entries and {} data bytes make {}",
                blob.len() - 1,
                count(0),
                count(4),
                blob.len()
            ),
        ),
        (number("gpg-pubkey"), "invalid rpmdb: the blob column holds text, not a blob".to_owned()),
    ];
    expected.sort();
    let file = path.display();
    let expected: Vec<String> =
        expected.into_iter().map(|(line, message)| format!("{file}:{line}: {message}")).collect();
    let got: Vec<String> = parsed.errors.iter().map(ToString::to_string).collect();
    assert_eq!(got, expected);
}

/// Files that are not an SQLite rpmdb, each refused with its reason.
#[test]
fn refused_files() {
    let dir = TempDir::new().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    };
    // The first page of a Berkeley DB hash database (RHEL 8's `/var/lib/rpm/Packages`): the
    // magic 0x061561 at byte 12, in the byte order of the machine that wrote it.
    let mut berkeley = vec![0; 512];
    berkeley[12..16].copy_from_slice(&0x0006_1561u32.to_le_bytes());
    let mut btree = vec![0; 512];
    btree[12..16].copy_from_slice(&0x0005_3162u32.to_be_bytes());
    // ndb's `Packages.db` (SUSE until 2021) starts with "RpmP" and its version.
    let ndb = [b"RpmP".as_slice(), &[0; 28]].concat();
    let no_table = dir.path().join("other.sqlite");
    rusqlite::Connection::open(&no_table).unwrap().execute_batch("CREATE TABLE Packages2 (hnum INTEGER)").unwrap();
    let unsupported = |format: &str| {
        format!(
            "rpmdb in {format} format is not supported; only rpmdb.sqlite (rpm 4.16 and later) can be read \
             (`rpmdb --rebuilddb --define '_db_backend sqlite'` converts a database)"
        )
    };
    let table: Vec<(PathBuf, String)> = vec![
        (write("Packages", &berkeley), format!("{{}}: {}", unsupported("Berkeley DB"))),
        (write("Packages.btree", &btree), format!("{{}}: {}", unsupported("Berkeley DB"))),
        (write("Packages.db", &ndb), format!("{{}}: {}", unsupported("ndb"))),
        (write("empty", b""), "{} is not an SQLite rpmdb: the file is empty".to_owned()),
        (
            write("text", b"Package: bash\nStatus: install ok installed\n"),
            "{} is not an SQLite rpmdb: the file does not start with the SQLite header".to_owned(),
        ),
        (no_table, "{} is not an SQLite rpmdb: it has no Packages table".to_owned()),
        (
            write("damaged.sqlite", &[b"SQLite format 3\0".as_slice(), &[0xee; 200]].concat()),
            "cannot read rpmdb {}: file is not a database".to_owned(),
        ),
        (dir.path().join("missing"), "cannot read {}: No such file or directory (os error 2)".to_owned()),
        (dir.path().to_owned(), "cannot read {}: Is a directory (os error 21)".to_owned()),
    ];
    for (path, expected) in table {
        let error = rpmdb::read(&path).expect_err(&path.display().to_string());
        assert_eq!(error.to_string(), expected.replace("{}", &path.display().to_string()));
    }
}

/// Where `locate` finds the database in a root folder, following links as if the folder were
/// `/`.
#[test]
fn locate() {
    use std::os::unix::fs::symlink;

    let outside = TempDir::new().unwrap();
    std::fs::create_dir_all(outside.path().join("var/lib/rpm")).unwrap();
    std::fs::write(outside.path().join("var/lib/rpm/rpmdb.sqlite"), b"").unwrap();
    let outside = outside.path().join("var/lib/rpm").display().to_string();

    // Each root: the files to make (a trailing `/` makes a folder), the links to make, and
    // where the database is found.
    type Root<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], Option<&'a str>);
    let table: &[Root] = &[
        (&[], &[], None),
        (&["var/lib/rpm/"], &[], None),
        (&["var/lib/rpm/rpmdb.sqlite"], &[], Some("var/lib/rpm/rpmdb.sqlite")),
        (&["usr/lib/sysimage/rpm/rpmdb.sqlite"], &[], Some("usr/lib/sysimage/rpm/rpmdb.sqlite")),
        (&["var/lib/rpm/rpmdb.sqlite", "usr/lib/sysimage/rpm/rpmdb.sqlite"], &[], Some("var/lib/rpm/rpmdb.sqlite")),
        // The SQLite database wins over an old one left behind.
        (
            &["var/lib/rpm/Packages", "usr/lib/sysimage/rpm/rpmdb.sqlite"],
            &[],
            Some("usr/lib/sysimage/rpm/rpmdb.sqlite"),
        ),
        // The older formats are found, so that `read` can say why they are refused.
        (&["var/lib/rpm/Packages"], &[], Some("var/lib/rpm/Packages")),
        (&["usr/lib/sysimage/rpm/Packages.db"], &[], Some("usr/lib/sysimage/rpm/Packages.db")),
        // Fedora 36 and later: `/var/lib/rpm` is a link to the real place, relative or absolute.
        (
            &["usr/lib/sysimage/rpm/rpmdb.sqlite", "var/lib/"],
            &[("var/lib/rpm", "../../usr/lib/sysimage/rpm")],
            Some("usr/lib/sysimage/rpm/rpmdb.sqlite"),
        ),
        (
            &["usr/lib/sysimage/rpm/rpmdb.sqlite", "var/lib/"],
            &[("var/lib/rpm", "/usr/lib/sysimage/rpm")],
            Some("usr/lib/sysimage/rpm/rpmdb.sqlite"),
        ),
        (&["var/lib/rpm/"], &[("var/lib/rpm/rpmdb.sqlite", "/var/lib/rpm/../rpm/./real.sqlite")], None),
        (
            &["var/lib/rpm/real.sqlite"],
            &[("var/lib/rpm/rpmdb.sqlite", "/var/lib/rpm/../rpm/./real.sqlite")],
            Some("var/lib/rpm/real.sqlite"),
        ),
        // `..` does not climb out of the root.
        (&["lib/sysimage/rpm/rpmdb.sqlite"], &[("usr", "../../../..")], Some("lib/sysimage/rpm/rpmdb.sqlite")),
        // A link out of the root stays inside it, where there is nothing.
        (&["var/lib/"], &[("var/lib/rpm", &outside)], None),
        // A loop.
        (&["var/lib/"], &[("var/lib/rpm", "rpm2"), ("var/lib/rpm2", "rpm")], None),
    ];
    for (files, links, expected) in table {
        let root = TempDir::new().unwrap();
        for file in *files {
            let path = root.path().join(file);
            if file.ends_with('/') {
                std::fs::create_dir_all(&path).unwrap();
            } else {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, b"").unwrap();
            }
        }
        for (link, target) in *links {
            symlink(target, root.path().join(link)).unwrap();
        }
        let got = rpmdb::locate(root.path());
        let got = got.as_deref().map(|path| path.strip_prefix(root.path()).unwrap().to_str().unwrap());
        assert_eq!(got, *expected, "{files:?} {links:?}");
    }
}
