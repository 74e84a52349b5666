//! Hand-written tables for what the upstream vectors do not cover: Go module versions, SemVer
//! as npm and Cargo read it, the generic order, and the messages of invalid versions.

use crate::{assert_no_failures, check};
use parapet_versions::{Scheme, VersionError, go};
use std::cmp::Ordering::{self, Equal, Greater, Less};

fn table(scheme: Scheme, rows: &[(&str, Ordering, &str)]) {
    let failures: Vec<String> =
        rows.iter().filter_map(|(a, expected, b)| check(scheme, a, b, *expected).err()).collect();
    assert_no_failures(scheme.name(), rows.len(), &failures);
}

#[test]
fn semver_precedence() {
    // SemVer 2.0.0 §11's own example chain, build metadata, and the v npm tolerates.
    table(
        Scheme::Semver,
        &[
            ("1.0.0-alpha", Less, "1.0.0-alpha.1"),
            ("1.0.0-alpha.1", Less, "1.0.0-alpha.beta"),
            ("1.0.0-alpha.beta", Less, "1.0.0-beta"),
            ("1.0.0-beta", Less, "1.0.0-beta.2"),
            ("1.0.0-beta.2", Less, "1.0.0-beta.11"),
            ("1.0.0-beta.11", Less, "1.0.0-rc.1"),
            ("1.0.0-rc.1", Less, "1.0.0"),
            ("1.0.0+build.1", Equal, "1.0.0+build.2"),
            ("1.0.0-rc.1+build.1", Less, "1.0.0"),
            ("v2.0.0", Equal, "2.0.0"),
            ("1.9.0", Less, "1.10.0"),
            ("1.0.0-1", Less, "1.0.0-a"),
            ("18446744073709551616.0.0", Greater, "18446744073709551615.0.0"),
        ],
    );
}

#[test]
fn go_module_versions() {
    table(
        Scheme::Go,
        &[
            ("v1.2.3", Equal, "1.2.3"),
            ("v1", Equal, "v1.0.0"),
            ("v1.2", Equal, "v1.2.0"),
            // Pseudo-versions: before any release of their base, ordered by time.
            ("v0.0.0-20191109021931-daa7c04131f5", Less, "v0.0.0-20200101000000-0123456789ab"),
            ("v0.0.0-20200101000000-0123456789ab", Less, "v0.1.0"),
            ("v1.2.3", Less, "v1.2.4-0.20191109021931-daa7c04131f5"),
            ("v1.2.4-0.20191109021931-daa7c04131f5", Less, "v1.2.4"),
            ("v1.2.4-pre", Less, "v1.2.4-pre.0.20191109021931-daa7c04131f5"),
            ("v1.2.4-pre.0.20191109021931-daa7c04131f5", Less, "v1.2.4"),
            // +incompatible is build metadata: it does not change the order.
            ("v2.0.0+incompatible", Equal, "v2.0.0"),
            ("v2.0.0+incompatible", Less, "v2.0.1+incompatible"),
            ("v3.1.0+incompatible", Greater, "v2.9.9"),
        ],
    );
    assert!(go::is_pseudo_version("v0.0.0-20191109021931-daa7c04131f5"));
}

#[test]
fn generic_order() {
    table(
        Scheme::Generic,
        &[
            ("V4.3.8", Equal, "4.3.8"),
            ("4.3.7", Less, "V4.3.8"),
            ("1.0", Equal, "1.0.0"),
            ("1.0.1", Greater, "1.0"),
            ("1.0rc1", Less, "1.0"),
            ("1.0.0rc1", Less, "1.0"),
            ("1.10", Greater, "1.9"),
            ("3.215.00HW002.2.20190829", Greater, "3.215.00HW002.1"),
            ("1.0a", Equal, "1.0A"),
        ],
    );
}

#[test]
fn invalid_versions_name_the_version_and_the_reason() {
    for (scheme, version, message) in [
        (Scheme::Deb, "abc", r#"invalid dpkg version "abc": upstream version must start with a digit"#),
        (Scheme::Deb, "a:1", r#"invalid dpkg version "a:1": epoch must be a number"#),
        (Scheme::Rpm, "", r#"invalid rpm version "": version is empty"#),
        (
            Scheme::Apk,
            "1.0-2",
            r#"invalid apk version "1.0-2": expected digit{.digit}...{letter}{_suffix{number}}...{~hash}{-rN}"#,
        ),
        (Scheme::Semver, "1.2", r#"invalid SemVer version "1.2": expected MAJOR.MINOR.PATCH"#),
        (
            Scheme::Go,
            "v1.2.3+meta",
            r#"invalid Go module version "v1.2.3+meta": the only build suffix allowed is +incompatible"#,
        ),
        (
            Scheme::Pep440,
            "1.0-foo",
            r#"invalid PEP 440 version "1.0-foo": expected [N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]"#,
        ),
        (Scheme::Maven, "", r#"invalid Maven version "": version is empty"#),
        (
            Scheme::RubyGems,
            "1..2",
            r#"invalid RubyGems version "1..2": segments are letters and digits separated by dots"#,
        ),
        (Scheme::Generic, "--", r#"invalid generic version "--": version has no letters or digits"#),
    ] {
        let error = scheme.validate(version).unwrap_err();
        assert_eq!(error.to_string(), message);
        assert!(matches!(error, VersionError::Invalid { .. }));
    }
}

#[test]
fn pypi_orders_pre_pep440_versions_below_pep440_ones() {
    table(
        Scheme::Pypi,
        &[
            ("0.3m1", Less, "0.1"),
            ("0.3m1", Less, "0.3m2"),
            ("1.0-gamma", Less, "0.1"),
            ("1.0-delta", Less, "1.0-gamma"),
            ("2.0pre1", Equal, "2.0rc1"),
        ],
    );
    assert!(Scheme::Pep440.validate("0.3m1").is_err());
}
