//! `parapet_inventory::dpkg`: packages read from status stanzas, and each error kind with its
//! line.

use parapet_inventory::dpkg::{self, DpkgPackage, Flag, State, Want};

/// A package as one line: name, version, arch, source, source version and state.
fn render(p: &DpkgPackage) -> String {
    format!("{} {} {} {} {} {}", p.name, p.version, p.arch, p.source, p.source_version, p.status.state.as_str())
}

/// Parses `text` and compares the packages and the error messages.
#[track_caller]
fn check(text: &str, packages: &[&str], errors: &[&str]) {
    let parsed = dpkg::parse(text, "status");
    let got: Vec<String> = parsed.packages.iter().map(render).collect();
    let messages: Vec<String> = parsed.errors.iter().map(ToString::to_string).collect();
    let got: Vec<&str> = got.iter().map(String::as_str).collect();
    let messages: Vec<&str> = messages.iter().map(String::as_str).collect();
    assert_eq!((got, messages), (packages.to_vec(), errors.to_vec()), "{text}");
}

const LIBC: &str = "\
Package: libc6
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 12990
Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>
Architecture: amd64
Multi-Arch: same
Source: glibc
Version: 2.36-9+deb12u4
Depends: libgcc-s1
Conffiles:
 /etc/ld.so.conf.d/x86_64-linux-gnu.conf d4e7a7b88a71b5ffd9e2644e71a0cfab
Description: GNU C Library: Shared libraries
 Contains the standard libraries that are used by nearly all programs on
 the system.
 .
 This package includes shared versions of the standard C library.
";

const BASH: &str = "\
Package: bash
Essential: yes
Status: install ok installed
Architecture: amd64
Version: 5.2.15-2+b2
Source: bash (5.2.15-2)
Description: GNU Bourne Again SHell
";

#[test]
fn packages() {
    let two = format!("{LIBC}\n{BASH}");
    let crlf = BASH.replace('\n', "\r\n");
    let table: &[(&str, &[&str])] = &[
        ("", &[]),
        ("\n\n \n\t\n", &[]),
        (LIBC, &["libc6 2.36-9+deb12u4 amd64 glibc 2.36-9+deb12u4 installed"]),
        // Source with a version (a binNMU); no Source at all.
        (BASH, &["bash 5.2.15-2+b2 amd64 bash 5.2.15-2 installed"]),
        (
            "Package: zlib1g\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1:1.2.13.dfsg-1\n",
            &["zlib1g 1:1.2.13.dfsg-1 amd64 zlib1g 1:1.2.13.dfsg-1 installed"],
        ),
        (
            &two,
            &[
                "libc6 2.36-9+deb12u4 amd64 glibc 2.36-9+deb12u4 installed",
                "bash 5.2.15-2+b2 amd64 bash 5.2.15-2 installed",
            ],
        ),
        // Several blank lines, whitespace-only separators, CRLF, no final newline.
        (
            &format!("\n\n{BASH} \n\t\n\n{LIBC}"),
            &[
                "bash 5.2.15-2+b2 amd64 bash 5.2.15-2 installed",
                "libc6 2.36-9+deb12u4 amd64 glibc 2.36-9+deb12u4 installed",
            ],
        ),
        (&crlf, &["bash 5.2.15-2+b2 amd64 bash 5.2.15-2 installed"]),
        ("Package: a\nStatus: install ok installed\nArchitecture: all\nVersion: 1.0", &["a 1.0 all a 1.0 installed"]),
        // Field names in any case, values trimmed, spaces inside Source.
        (
            "package:  b \nSTATUS: install ok installed\narchitecture:\tarm64\nversion: 2.0-1 \nsource:  src  ( 2.0-0.1 ) \n",
            &["b 2.0-1 arm64 src 2.0-0.1 installed"],
        ),
        // Every state is kept; a purged package may have lost its version and architecture,
        // one with only config files left its architecture.
        ("Package: c\nStatus: deinstall ok config-files\nVersion: 3.1\n", &["c 3.1  c 3.1 config-files"]),
        ("Package: d\nStatus: purge ok not-installed\n", &["d   d  not-installed"]),
        (
            "Package: e\nStatus: install reinstreq half-installed\nArchitecture: amd64\nVersion: 1\n",
            &["e 1 amd64 e 1 half-installed"],
        ),
        (
            "Package: f\nStatus: Hold OK Triggers-Pending\nArchitecture: amd64\nVersion: 1\n",
            &["f 1 amd64 f 1 triggers-pending"],
        ),
    ];
    for (text, packages) in table {
        check(text, packages, &[]);
    }
}

#[test]
fn status() {
    let parsed = dpkg::parse("Package: e\nStatus: hold reinstreq unpacked\nArchitecture: amd64\nVersion: 1\n", "s");
    let status = parsed.packages[0].status;
    assert_eq!((status.want, status.flag, status.state), (Want::Hold, Flag::Reinstreq, State::Unpacked));
    assert_eq!((status.want.as_str(), status.flag.as_str()), ("hold", "reinstreq"));
}

#[test]
fn installed_keeps_only_installed() {
    let text = format!(
        "{BASH}\nPackage: c\nStatus: deinstall ok config-files\nVersion: 3.1\n\n\
         Package: e\nStatus: install reinstreq half-installed\nArchitecture: amd64\nVersion: 1\n\n\
         Package: f\nStatus: install ok triggers-pending\nArchitecture: amd64\nVersion: 1\n\n{LIBC}"
    );
    let parsed = dpkg::parse(&text, "status");
    assert_eq!(parsed.packages.len(), 5);
    let names: Vec<&str> = dpkg::installed(parsed.packages).iter().map(|p| p.name).collect();
    assert_eq!(names, ["bash", "libc6"]);
}

#[test]
fn errors() {
    const OK: &str = "Package: ok\nStatus: install ok installed\nArchitecture: all\nVersion: 1\n";
    let table: &[(&str, &str)] = &[
        ("Status: install ok installed\nVersion: 1\n", "status:1: stanza has no Package field"),
        ("Package:\nStatus: install ok installed\n", "status:1: field Package is empty"),
        ("Package: a\nVersion: 1\n", "status:1: stanza has no Status field"),
        (
            "Package: a\nStatus: install ok\n",
            "status:2: Status \"install ok\" must be three words: want, flag and state",
        ),
        (
            "Package: a\nStatus: install ok installed now\n",
            "status:2: Status \"install ok installed now\" must be three words: want, flag and state",
        ),
        ("Package: a\nStatus: want ok installed\n", "status:2: unknown want \"want\" in Status"),
        ("Package: a\nStatus: install bad installed\n", "status:2: unknown flag \"bad\" in Status"),
        ("Package: a\nStatus: install ok inst\n", "status:2: unknown state \"inst\" in Status"),
        ("Package: a\nStatus: install ok installed\nArchitecture: all\n", "status:1: stanza has no Version field"),
        ("Package: a\nStatus: install ok installed\nVersion: 1\n", "status:1: stanza has no Architecture field"),
        ("Package: a\nStatus: install ok installed\nArchitecture: all\nVersion:\n", "status:4: field Version is empty"),
        (
            "Package: a\nStatus: install ok installed\nArchitecture: all\nVersion: x1.0\n",
            "status:4: invalid dpkg version \"x1.0\": upstream version must start with a digit",
        ),
        (
            "Package: a\nStatus: install ok installed\nArchitecture: all\nVersion: 1\nSource: b (a:1)\n",
            "status:5: invalid dpkg version \"a:1\": epoch must be a number",
        ),
        (
            "Package: a\nStatus: install ok installed\nArchitecture: all\nVersion: 1\nSource: b (1\n",
            "status:5: invalid Source \"b (1\": expected `name (version)`",
        ),
        (
            "Package: a\nStatus: install ok installed\nArchitecture: all\nVersion: 1\nSource: b c\n",
            "status:5: invalid Source \"b c\": expected `name (version)`",
        ),
        (
            "Package: a\nStatus: install ok installed\nArchitecture: all\nVersion: 1\nSource: (1)\n",
            "status:5: invalid Source \"(1)\": the name is empty",
        ),
        (
            "Package: a\nStatus: install ok installed\nArchitecture: all\nVersion: 1\nSource: b ()\n",
            "status:5: invalid Source \"b ()\": the version in parentheses is empty",
        ),
        ("Package: a\nPackage: b\n", "status:2: field Package appears twice in the stanza"),
        (
            "Package: a\nstatus: install ok installed\nStatus: install ok installed\n",
            "status:3: field Status appears twice in the stanza",
        ),
        ("Package: a\nDescription\n", "status:2: line \"Description\" has no colon after the field name"),
        ("Package: a\n: b\n", "status:2: invalid field name \"\""),
        ("Package: a\nMy Field: b\n", "status:2: invalid field name \"My Field\""),
        (" continued\nPackage: a\n", "status:1: continuation line outside a field"),
        ("\n\n\tcontinued\n", "status:3: continuation line outside a field"),
        ("Package: a\nVersion: 1\n 2\n", "status:3: field Version must fit on one line"),
    ];
    for (stanza, error) in table {
        check(stanza, &[], &[error]);
        // Line numbers count from the start of the file, and the stanzas around go on being read.
        let surrounded = format!("{OK}\n{stanza}\n{OK}");
        let offset = OK.lines().count() + 1;
        let (file_line, rest) = error.strip_prefix("status:").unwrap().split_once(':').unwrap();
        let moved = format!("status:{}:{rest}", file_line.parse::<usize>().unwrap() + offset);
        check(&surrounded, &["ok 1 all ok 1 installed"; 2], &[&moved]);
    }
}

#[test]
fn long_garbage_is_cut_in_messages() {
    let line = "é".repeat(100);
    let parsed = dpkg::parse(&line, "status");
    assert_eq!(
        parsed.errors[0].to_string(),
        format!("status:1: line \"{}…\" has no colon after the field name", "é".repeat(60))
    );
}

#[test]
fn never_panics() {
    let text = format!("{LIBC}\n{BASH}\n Package: x\n\nPackage: (\nSource: (\nStatus: \u{e9}\n");
    crate::check_prefixes(&text, |t| {
        let parsed = dpkg::parse(t, "status");
        (parsed.packages.len(), parsed.errors.len())
    });
}
