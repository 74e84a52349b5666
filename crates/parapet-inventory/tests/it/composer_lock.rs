//! `parapet_inventory::composer_lock`: packages read from a realistic `composer.lock`
//! (`packages` and `packages-dev`, tags with a `v`, branch versions, a path repository), and
//! each error with its line.

use super::{check_lockfile, check_lockfile_prefixes};
use parapet_inventory::lockfile::LockfileKind;

#[track_caller]
fn check(text: &str, packages: &[&str], errors: &[&str]) {
    check_lockfile(LockfileKind::ComposerLock, "composer.lock", text, packages, errors);
}

pub const LOCK: &str = r#"{
    "_readme": [
        "This file locks the dependencies of your project to a known state",
        "Read more about it at https://getcomposer.org/doc/01-basic-usage.md#installing-dependencies",
        "This file is @generated automatically"
    ],
    "content-hash": "7b0c3f1e2d4a5b6c8e9f0a1b2c3d4e5f",
    "packages": [
        {
            "name": "acme/billing",
            "version": "dev-main",
            "dist": {
                "type": "path",
                "url": "../billing",
                "reference": "3c8f2e1d0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e"
            },
            "type": "library"
        },
        {
            "name": "guzzlehttp/guzzle",
            "version": "7.8.0",
            "source": {
                "type": "git",
                "url": "https://github.com/guzzle/guzzle.git",
                "reference": "1110f66a6530a40fe7aea0378fe608ee2b2248f9"
            },
            "dist": {
                "type": "zip",
                "url": "https://api.github.com/repos/guzzle/guzzle/zipball/1110f66a6530a40fe7aea0378fe608ee2b2248f9",
                "reference": "1110f66a6530a40fe7aea0378fe608ee2b2248f9",
                "shasum": ""
            },
            "require": {
                "ext-json": "*",
                "php": "^7.2.5 || ^8.0"
            },
            "type": "library",
            "license": ["MIT"]
        },
        {
            "name": "monolog/monolog",
            "version": "3.x-dev",
            "source": {
                "type": "git",
                "url": "https://github.com/Seldaek/monolog.git",
                "reference": "e2392369686d420ca32df3803de28b5d6f76867d"
            },
            "type": "library"
        },
        {
            "name": "symfony/console",
            "version": "v6.3.4",
            "source": {
                "type": "git",
                "url": "https://github.com/symfony/console.git",
                "reference": "eca495f2ee845130855ddf1cf18460c38966c8b6"
            },
            "type": "library"
        }
    ],
    "packages-dev": [
        {
            "name": "phpunit/phpunit",
            "version": "10.3.5",
            "source": {
                "type": "git",
                "url": "https://github.com/sebastianbergmann/phpunit.git",
                "reference": "747c3b2038f1139e3dcd9886a3f5a948648b7503"
            },
            "type": "library"
        }
    ],
    "aliases": [],
    "minimum-stability": "stable",
    "stability-flags": [],
    "prefer-stable": false,
    "prefer-lowest": false,
    "platform": {
        "php": "^8.1"
    },
    "platform-dev": [],
    "plugin-api-version": "2.6.0"
}
"#;

#[test]
fn packages() {
    let table: &[(&str, &[&str])] = &[
        ("{}", &[]),
        (r#"{"packages": [], "packages-dev": []}"#, &[]),
        (
            LOCK,
            &[
                "19 Packagist guzzlehttp/guzzle 7.8.0",
                "40 Packagist monolog/monolog 3.x-dev",
                "50 Packagist symfony/console 6.3.4",
                "62 Packagist phpunit/phpunit 10.3.5 dev",
            ],
        ),
    ];
    crate::check_rows(LockfileKind::ComposerLock, "composer.lock", table);
}

#[test]
fn errors() {
    let table: &[(&str, &[&str], &[&str])] = &[
        (
            "{\n    \"packages\": [\n        {\n            \"name\": \"psr/log\",\n            \"version\": \"3.0.0\",\n",
            &[],
            &["composer.lock:6: invalid composer.lock: EOF while parsing an object"],
        ),
        (
            r#"{
    "packages": [
        {"version": "1.0.0"},
        {"name": "psr/log"},
        {
            "name": "psr/container",
            "version": ["2.0.2"]
        },
        {"name": "psr/cache", "version": "3.0 beta"},
        {"name": "psr/clock", "version": "1.0.0"}
    ],
    "packages-dev": [
        {"name": "mockery/mockery", "version": "1.6.6"}
    ]
}"#,
            &["10 Packagist psr/clock 1.0.0", "13 Packagist mockery/mockery 1.6.6 dev"],
            &[
                "composer.lock:3: entry \"packages #1\" has no \"name\"",
                "composer.lock:4: entry \"psr/log\" has no \"version\"",
                "composer.lock:7: entry \"packages #3\": invalid type: sequence, expected a string",
                "composer.lock:9: entry \"psr/cache\": invalid Packagist version \"3.0 beta\": version contains a space",
            ],
        ),
        (
            r#"{"packages": {}}"#,
            &[],
            &["composer.lock:1: invalid composer.lock: invalid type: map, expected a sequence"],
        ),
    ];
    for (text, packages, errors) in table {
        check(text, packages, errors);
    }
}

#[test]
fn prefixes_do_not_panic() {
    check_lockfile_prefixes(LockfileKind::ComposerLock, LOCK);
}
