//! `parapet_inventory::apk`: packages read from realistic installed-database stanzas (as
//! apk-tools writes them on Alpine 3.19), and each error kind with its line.

use parapet_inventory::apk::{self, ApkPackage};

fn render(p: &ApkPackage) -> String {
    format!("{} {} {} {}", p.name, p.version, p.arch, p.origin)
}

#[track_caller]
fn check(text: &str, packages: &[&str], errors: &[&str]) {
    let parsed = apk::parse(text, "installed");
    let got: Vec<String> = parsed.packages.iter().map(render).collect();
    let messages: Vec<String> = parsed.errors.iter().map(ToString::to_string).collect();
    let got: Vec<&str> = got.iter().map(String::as_str).collect();
    let messages: Vec<&str> = messages.iter().map(String::as_str).collect();
    assert_eq!((got, messages), (packages.to_vec(), errors.to_vec()), "{text}");
}

const MUSL: &str = "\
C:Q1Sk8bpwRvwOSqkNTSh1ynNCr9Ft4=
P:musl
V:1.2.4_git20230717-r4
A:x86_64
S:407278
I:663552
T:the musl c library (libc) implementation
U:https://musl.libc.org/
L:MIT
o:musl
m:Timo Teräs <timo.teras@iki.fi>
t:1701871426
c:ee5ddea6b4ed4a8e1d7bba1e6b1a1a2d2fbd6c58
p:so:libc.musl-x86_64.so.1=1
F:lib
R:ld-musl-x86_64.so.1
a:0:0:755
Z:Q1zDpFuQ8pBkeDb+QmNPPh8VWhl+s=
R:libc.musl-x86_64.so.1
a:0:0:777
Z:Q17yJ3JFNypA4mxhJJr0ou6CzsJVI=
";

const LIBCRYPTO: &str = "\
C:Q1Ir6BYLJHFKOQAcHhYS1dsRRRTlw=
P:libcrypto3
V:3.1.4-r5
A:x86_64
S:1740453
I:4583424
T:Crypto library from openssl
U:https://www.openssl.org/
L:Apache-2.0
o:openssl
m:Ariadne Conill <ariadne@dereferenced.org>
t:1707139779
c:bb9e7a9c53a1e59b4a6fd9e0ce8b8c6fa05ab25d
D:so:libc.musl-x86_64.so.1
p:so:libcrypto.so.3=3
r:libressl
F:etc
F:etc/ssl
R:openssl.cnf.dist
Z:Q1CgwU2Ugxp1eY6Rw0k4kP7IjmF8Q=
F:usr
F:usr/lib
R:libcrypto.so.3
a:0:0:755
Z:Q1xvKd2Hz/IvkQ8h5E5MrdDP/7Ly4=
";

#[test]
fn packages() {
    let both = format!("{MUSL}\n{LIBCRYPTO}\n");
    let table: &[(&str, &[&str])] = &[
        ("", &[]),
        ("\n\n", &[]),
        (MUSL, &["musl 1.2.4_git20230717-r4 x86_64 musl"]),
        (LIBCRYPTO, &["libcrypto3 3.1.4-r5 x86_64 openssl"]),
        (&both, &["musl 1.2.4_git20230717-r4 x86_64 musl", "libcrypto3 3.1.4-r5 x86_64 openssl"]),
        // No origin: the package is its own source. Letter versions from apk-tools 2.
        ("P:openssh-client\nV:9.6_p1-r0\nA:aarch64\n", &["openssh-client 9.6_p1-r0 aarch64 openssh-client"]),
        ("P:sudo\nV:1.9.15_p5-r0\nA:x86\no:sudo\n", &["sudo 1.9.15_p5-r0 x86 sudo"]),
        (
            "P:alpine-baselayout-data\nV:3.4.3-r2\nA:x86_64\no:alpine-baselayout",
            &["alpine-baselayout-data 3.4.3-r2 x86_64 alpine-baselayout"],
        ),
    ];
    for (text, packages) in table {
        check(text, packages, &[]);
    }
}

#[test]
fn errors() {
    const OK: &str = "P:ok\nV:1.0-r0\nA:noarch\n";
    let table: &[(&str, &str)] = &[
        ("V:1.0-r0\nA:x86_64\n", "installed:1: stanza has no P field"),
        ("P:\nV:1.0-r0\nA:x86_64\n", "installed:1: field P is empty"),
        ("P:a\nA:x86_64\n", "installed:1: stanza has no V field"),
        ("P:a\nV:\nA:x86_64\n", "installed:2: field V is empty"),
        ("P:a\nV:1.0-r0\n", "installed:1: stanza has no A field"),
        ("P:a\nV:1.0-r0\nA:x86_64\no:\n", "installed:4: field o is empty"),
        ("P:a\nV:v1.0\nA:x86_64\n", "installed:2: invalid apk version \"v1.0\": version must start with a digit"),
        (
            "P:a\nV:1.0-rc1\nA:x86_64\n",
            "installed:2: invalid apk version \"1.0-rc1\": expected digit{.digit}...{letter}{_suffix{number}}...{~hash}{-rN}",
        ),
        ("P:a\nP:b\n", "installed:2: field P appears twice in the stanza"),
        ("P:a\nV:1-r0\nV:2-r0\n", "installed:3: field V appears twice in the stanza"),
        ("P:a\nmusl\n", "installed:2: line \"musl\" has no colon after the field name"),
        ("P:a\nPV:1\n", "installed:2: invalid field name \"PV\""),
        ("P:a\n:1\n", "installed:2: invalid field name \"\""),
        (" P:a\n", "installed:1: invalid field name \" P\""),
        ("P:a\n1:x\n", "installed:2: invalid field name \"1\""),
    ];
    for (stanza, error) in table {
        check(stanza, &[], &[error]);
        let surrounded = format!("{OK}\n{stanza}\n{OK}");
        let offset = OK.lines().count() + 1;
        let (file_line, rest) = error.strip_prefix("installed:").unwrap().split_once(':').unwrap();
        let moved = format!("installed:{}:{rest}", file_line.parse::<usize>().unwrap() + offset);
        check(&surrounded, &["ok 1.0-r0 noarch ok"; 2], &[&moved]);
    }
}

#[test]
fn never_panics() {
    let text = format!("{MUSL}\n{LIBCRYPTO}\nP:é\nV:é\n\n:\n\nP:x\nV:1.0~\n");
    crate::check_prefixes(&text, |t| {
        let parsed = apk::parse(t, "installed");
        (parsed.packages.len(), parsed.errors.len())
    });
}
