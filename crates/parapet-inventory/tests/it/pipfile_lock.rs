//! `parapet_inventory::pipfile_lock`: packages read from a realistic `Pipfile.lock` (default and
//! develop sections, names normalised, editable and git entries skipped), and each error with
//! its line.

use super::{check_lockfile, check_lockfile_prefixes};
use parapet_inventory::lockfile::LockfileKind;

#[track_caller]
fn check(text: &str, packages: &[&str], errors: &[&str]) {
    check_lockfile(LockfileKind::PipfileLock, "Pipfile.lock", text, packages, errors);
}

pub const LOCK: &str = r#"{
    "_meta": {
        "hash": {
            "sha256": "b2c0f4b4c7e9a1d3f5e7a9c1b3d5f7e9a1c3b5d7f9e1a3c5b7d9f1e3a5c7b9d1"
        },
        "pipfile-spec": 6,
        "requires": {
            "python_version": "3.11"
        },
        "sources": [
            {
                "name": "pypi",
                "url": "https://pypi.org/simple",
                "verify_ssl": true
            }
        ]
    },
    "default": {
        "certifi": {
            "hashes": [
                "sha256:539cc1d13202e33ca466e88b2807e29f4c13049d6d87031a3c110744495cb082",
                "sha256:92d6037539857d8206b8f6ae472e8b77db8058fec5937a1ef3f54304089edbb9"
            ],
            "index": "pypi",
            "markers": "python_version >= '3.6'",
            "version": "==2023.7.22"
        },
        "django-environ": {
            "hashes": [
                "sha256:f32a87aa0899894c27d4e1776fa6b477e8164ed7f6b3e410a62a6d72caaf64be"
            ],
            "index": "pypi",
            "markers": "python_version >= '3.6' and python_version < '4'",
            "version": "==0.11.2"
        },
        "mylib": {
            "editable": true,
            "path": "./mylib"
        },
        "ruamel.yaml": {
            "hashes": [
                "sha256:23cd2ed620231677564646b0c6a89d138b6822a0d78656df7abda5879ec4f447"
            ],
            "markers": "python_version >= '3'",
            "version": "==0.17.32"
        }
    },
    "develop": {
        "pytest": {
            "hashes": [
                "sha256:78bf16451a2eb8c7a2ea98e32dc119fd2aa758f1d5d66dbf0a59d69a3969df32"
            ],
            "index": "pypi",
            "markers": "python_version >= '3.7'",
            "version": "==7.4.0"
        },
        "tox-gh": {
            "git": "https://github.com/tox-dev/tox-gh.git",
            "ref": "4c3f5e9d2b1a0f8e7d6c5b4a39281706f5e4d3c2"
        }
    }
}
"#;

#[test]
fn packages() {
    let table: &[(&str, &[&str])] = &[
        ("{}", &[]),
        (r#"{"_meta": {"pipfile-spec": 6}, "default": {}, "develop": {}}"#, &[]),
        (
            LOCK,
            &[
                "19 PyPI certifi 2023.7.22",
                "28 PyPI django-environ 0.11.2",
                "40 PyPI ruamel-yaml 0.17.32",
                "49 PyPI pytest 7.4.0 dev",
            ],
        ),
    ];
    crate::check_rows(LockfileKind::PipfileLock, "Pipfile.lock", table);
}

#[test]
fn errors() {
    let table: &[(&str, &[&str], &[&str])] = &[
        (
            "{\n    \"default\": {\n        \"certifi\": {\n            \"version\": \"==2023.7.22\"\n",
            &[],
            &["Pipfile.lock:5: invalid Pipfile.lock: EOF while parsing an object"],
        ),
        (
            r#"{
    "default": {
        "attrs": {"version": ">=23.1.0"},
        "click": {"hashes": []},
        "idna": {
            "version": 3.4
        },
        "six": {"version": "==1.16.0"}
    },
    "develop": {
        "black": {"version": "=="}
    }
}"#,
            &["8 PyPI six 1.16.0"],
            &[
                "Pipfile.lock:3: entry \"attrs\": version \">=23.1.0\" must be pinned with ==",
                "Pipfile.lock:4: entry \"click\" has no \"version\"",
                "Pipfile.lock:6: entry \"idna\": invalid type: floating point `3.4`, expected a string",
                "Pipfile.lock:11: entry \"black\": invalid PyPI version \"\": version is empty",
            ],
        ),
        (r#"{"default": []}"#, &[], &["Pipfile.lock:1: invalid Pipfile.lock: invalid type: sequence, expected a map"]),
    ];
    for (text, packages, errors) in table {
        check(text, packages, errors);
    }
}

#[test]
fn prefixes_do_not_panic() {
    check_lockfile_prefixes(LockfileKind::PipfileLock, LOCK);
}
