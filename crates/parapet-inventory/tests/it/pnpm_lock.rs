//! `parapet_inventory::pnpm_lock`: packages read from realistic lockfiles of versions 5.4, 6.0
//! and 9.0 (scopes, peer suffixes, aliases, workspaces, non-registry packages, development
//! packages flagged or found through the importers), and each error with its line.

use super::{check_lockfile, check_lockfile_prefixes_every};
use parapet_inventory::lockfile::LockfileKind;

#[track_caller]
fn check(text: &str, packages: &[&str], errors: &[&str]) {
    check_lockfile(LockfileKind::PnpmLock, "pnpm-lock.yaml", text, packages, errors);
}

/// Version 5.4, as pnpm 7 wrote it: `/name/version` keys, a peer suffix after `_`, and a
/// package from a git host.
pub const V5: &str = r#"lockfileVersion: 5.4

specifiers:
  '@types/react': ^18.0.28
  react: ^18.2.0
  react-dom: ^18.2.0
  tiny-lib: github:acme/tiny-lib#3f1c2d4

dependencies:
  react: 18.2.0
  react-dom: 18.2.0_react@18.2.0
  tiny-lib: github.com/acme/tiny-lib/3f1c2d4e5f60718293a4b5c6d7e8f90a1b2c3d4e

devDependencies:
  '@types/react': 18.0.28

packages:

  /@types/prop-types/15.7.5:
    resolution: {integrity: sha512-JCB8C6SnDoQf0ns8Eyb1qqbTOMaROK/HafaVjkQzyNMhGd3R1UV4BVhDk4Yf1QkrMbqLnwyq7ssVoFVrGE9JKw==}
    dev: true

  /@types/react/18.0.28:
    resolution: {integrity: sha512-RD0ivG1kEztNBdoAK7lekI9M+azSnitIn85h4iOiaLjaTrMjzslhaqCGaI4IyCJ1RljWiLCEu4jyrLLgqxBTew==}
    dependencies:
      '@types/prop-types': 15.7.5
      csstype: 3.1.1
    dev: true

  /csstype/3.1.1:
    resolution: {integrity: sha512-DJR/VvkAvSZW9bTouZue2sSxDwdTN92uHjqeKVm+0dAqdfNykRzQ95tay8aXMBAAPpUiq4Qcug2L7neoRh2Egw==}
    dev: true

  /js-tokens/4.0.0:
    resolution: {integrity: sha512-RdJUflcE3cUzKiMqQgsCu06FPu9UdIJO0beYbPhHN4k6apgJtifcoCtT9bcxOpYBtpD2kCM6Sbzg4CausW/PKQ==}
    dev: false

  /loose-envify/1.4.0:
    resolution: {integrity: sha512-lyuxPGr/Wfhrlem2CL/UcnUc1zcqKAImBDzukY7Y5F/yQiNdko6+fRLevlw1HgMySw7f611UIY408EtxRSoK3Q==}
    hasBin: true
    dependencies:
      js-tokens: 4.0.0
    dev: false

  /react-dom/18.2.0_react@18.2.0:
    resolution: {integrity: sha512-6IMTriUmvsjHUjNtEDudZfuDQUoWXVxKHhlEGSk81n4YFS+r/Kl99wXiwlVXtPBtJenozv2P+hxDsw9eA7Xo6g==}
    peerDependencies:
      react: ^18.2.0
    dependencies:
      loose-envify: 1.4.0
      react: 18.2.0
      scheduler: 0.23.0
    dev: false

  /react/18.2.0:
    resolution: {integrity: sha512-/3IjMdb2L9QbBdWiW5e3P2/npwMBaU9mHCSCUzNln0ZCYbcfTsGbTJrU/kGemdH2IWmB2ioZ+zkxtmq6g09fGQ==}
    engines: {node: '>=0.10.0'}
    dependencies:
      loose-envify: 1.4.0
    dev: false

  /scheduler/0.23.0:
    resolution: {integrity: sha512-CtuThmgHNg7zIZWAXi3AsyIzA3n4xx7aNyjwC2VJldO2LMVDhFK+63xGqq6CsJH4rTAt6/M+N4GhZiDYPx9eUw==}
    dependencies:
      loose-envify: 1.4.0
    dev: false

  github.com/acme/tiny-lib/3f1c2d4e5f60718293a4b5c6d7e8f90a1b2c3d4e:
    resolution: {tarball: https://codeload.github.com/acme/tiny-lib/tar.gz/3f1c2d4e5f60718293a4b5c6d7e8f90a1b2c3d4e}
    name: tiny-lib
    version: 1.0.0
    dev: false
"#;

/// Version 6.0, as pnpm 8 writes it: `/name@version` keys, peers in parentheses, a local
/// directory, and a package both production and development need (no `dev` key).
pub const V6: &str = r#"lockfileVersion: '6.0'

settings:
  autoInstallPeers: true
  excludeLinksFromLockfile: false

dependencies:
  '@babel/runtime':
    specifier: ^7.23.2
    version: 7.23.2
  local-lib:
    specifier: file:packages/local-lib
    version: file:packages/local-lib
  react-dom:
    specifier: ^18.2.0
    version: 18.2.0(react@18.2.0)

devDependencies:
  typescript:
    specifier: ^5.2.2
    version: 5.2.2

packages:

  /@babel/runtime@7.23.2:
    resolution: {integrity: sha512-mM8eg4yl5D6i3lu2QKPuPH4FArvJ8KhTofbE7jwMUv9KX5mBvwPAqnV3MlyBNqdp9RyRKP6Yck8TrfYrPvX3bg==}
    engines: {node: '>=6.9.0'}
    dependencies:
      regenerator-runtime: 0.14.0
    dev: false

  /js-tokens@4.0.0:
    resolution: {integrity: sha512-RdJUflcE3cUzKiMqQgsCu06FPu9UdIJO0beYbPhHN4k6apgJtifcoCtT9bcxOpYBtpD2kCM6Sbzg4CausW/PKQ==}

  /react-dom@18.2.0(react@18.2.0):
    resolution: {integrity: sha512-6IMTriUmvsjHUjNtEDudZfuDQUoWXVxKHhlEGSk81n4YFS+r/Kl99wXiwlVXtPBtJenozv2P+hxDsw9eA7Xo6g==}
    peerDependencies:
      react: ^18.2.0
    dependencies:
      loose-envify: 1.4.0
      react: 18.2.0
      scheduler: 0.23.0
    dev: false

  /regenerator-runtime@0.14.0:
    resolution: {integrity: sha512-srw17NI0TUWHuGa5CFGGmhfNIeja30WMBfbslPNhf6JrqQlLN5gcrvig1oqPxiVaXb0oW0XRKtH6Nngs5lKCIA==}
    dev: false

  /typescript@5.2.2:
    resolution: {integrity: sha512-mI4WrpHsbCIcwT9cF4FZvr80QUeKvsUsUvKDoR+X/7XHQH98xYD8YHZg7ANtz2GtZt/CBq2QJ0thkGJMHfqc1w==}
    engines: {node: '>=14.17'}
    hasBin: true
    dev: true

  file:packages/local-lib:
    resolution: {directory: packages/local-lib, type: directory}
    name: local-lib
    dev: false
"#;

/// Version 9.0, as pnpm 9 writes it: bare keys, peers in `snapshots`, two importers, a
/// workspace link, an alias, a tarball, and development packages known only by the graph.
pub const V9: &str = r#"lockfileVersion: '9.0'

settings:
  autoInstallPeers: true
  excludeLinksFromLockfile: false

importers:

  .:
    dependencies:
      react-dom:
        specifier: ^18.2.0
        version: 18.2.0(react@18.2.0)
      shared:
        specifier: workspace:*
        version: link:packages/shared
      string-width-cjs:
        specifier: npm:string-width@^4.2.0
        version: string-width@4.2.3
    devDependencies:
      '@types/node':
        specifier: ^20.12.7
        version: 20.12.7
      typescript:
        specifier: ^5.4.5
        version: 5.4.5

  packages/shared:
    dependencies:
      js-tokens:
        specifier: ^4.0.0
        version: 4.0.0
      left-pad:
        specifier: https://codeload.github.com/stevemao/left-pad/tar.gz/v1.3.0
        version: https://codeload.github.com/stevemao/left-pad/tar.gz/v1.3.0

packages:

  '@types/node@20.12.7':
    resolution: {integrity: sha512-wq0cICSkRLVaf3UGLMGItu/PtdY7oaXaI/RVU+xliKVOtRna3PRY57ZDfztpDL0n11vfymMUnXv8QwYCO7L1wg==}

  ansi-regex@5.0.1:
    resolution: {integrity: sha512-quJQXlTSUGL2LH9SUXo8VwsY4soanhgo6LNSm84E1LBcE8s3O0wpdiRzyR9z/ZZJMlMWv37qOOb9pdJlMUEKFQ==}
    engines: {node: '>=8'}

  js-tokens@4.0.0:
    resolution: {integrity: sha512-RdJUflcE3cUzKiMqQgsCu06FPu9UdIJO0beYbPhHN4k6apgJtifcoCtT9bcxOpYBtpD2kCM6Sbzg4CausW/PKQ==}

  left-pad@https://codeload.github.com/stevemao/left-pad/tar.gz/v1.3.0:
    resolution: {tarball: https://codeload.github.com/stevemao/left-pad/tar.gz/v1.3.0}
    version: 1.3.0

  loose-envify@1.4.0:
    resolution: {integrity: sha512-lyuxPGr/Wfhrlem2CL/UcnUc1zcqKAImBDzukY7Y5F/yQiNdko6+fRLevlw1HgMySw7f611UIY408EtxRSoK3Q==}
    hasBin: true

  react-dom@18.2.0:
    resolution: {integrity: sha512-6IMTriUmvsjHUjNtEDudZfuDQUoWXVxKHhlEGSk81n4YFS+r/Kl99wXiwlVXtPBtJenozv2P+hxDsw9eA7Xo6g==}
    peerDependencies:
      react: ^18.2.0

  react@18.2.0:
    resolution: {integrity: sha512-/3IjMdb2L9QbBdWiW5e3P2/npwMBaU9mHCSCUzNln0ZCYbcfTsGbTJrU/kGemdH2IWmB2ioZ+zkxtmq6g09fGQ==}
    engines: {node: '>=0.10.0'}

  scheduler@0.23.2:
    resolution: {integrity: sha512-UOShsPwz7NrMUqhR6t0hWjFduvOzbtv7toDH1/hIrfRNIDBnnBWd0CwJTGvTpngVlmwGCdP9/Zl/tVrDqcuYzQ==}

  string-width@4.2.3:
    resolution: {integrity: sha512-wKyQRQpjJ0sIp62ErSZdGsjMJWsap5oRNihHhu6G7JVO/9jIB6UyevL+tXuOqrng8j/cxKTWyWUwvSTriiZz/g==}
    engines: {node: '>=8'}

  typescript@5.4.5:
    resolution: {integrity: sha512-vcI4UpRgg81oIRUFwR0WSIHKt11nJ7SAVlYNIu+QpqeyXP+gpQJy/Z4+F0aGxSE4MqwjyXvW/TzgkLAx2AGHwQ==}
    engines: {node: '>=14.17'}
    hasBin: true

  undici-types@5.26.5:
    resolution: {integrity: sha512-JlCMO+ehdEIKqlFxk6IfVoAUVmgz7cU7zD/h9XZ0qzeosSHmUJVOzSQvvYSYWXkFXC+IfLKSIffhv0sVZup6pA==}

snapshots:

  '@types/node@20.12.7':
    dependencies:
      undici-types: 5.26.5

  ansi-regex@5.0.1: {}

  js-tokens@4.0.0: {}

  left-pad@https://codeload.github.com/stevemao/left-pad/tar.gz/v1.3.0: {}

  loose-envify@1.4.0:
    dependencies:
      js-tokens: 4.0.0

  react-dom@18.2.0(react@18.2.0):
    dependencies:
      loose-envify: 1.4.0
      react: 18.2.0
      scheduler: 0.23.2

  react@18.2.0:
    dependencies:
      loose-envify: 1.4.0

  scheduler@0.23.2:
    dependencies:
      loose-envify: 1.4.0

  string-width@4.2.3:
    dependencies:
      ansi-regex: 5.0.1

  typescript@5.4.5: {}

  undici-types@5.26.5: {}
"#;

#[test]
fn packages() {
    let table: &[(&str, &[&str])] = &[
        ("", &[]),
        ("lockfileVersion: '9.0'\n", &[]),
        ("lockfileVersion: '6.0'\npackages: {}\n", &[]),
        (
            V5,
            &[
                "19 npm @types/prop-types 15.7.5 dev",
                "23 npm @types/react 18.0.28 dev",
                "30 npm csstype 3.1.1 dev",
                "34 npm js-tokens 4.0.0",
                "38 npm loose-envify 1.4.0",
                "45 npm react-dom 18.2.0",
                "55 npm react 18.2.0",
                "62 npm scheduler 0.23.0",
            ],
        ),
        (
            V6,
            &[
                "25 npm @babel/runtime 7.23.2",
                "32 npm js-tokens 4.0.0",
                "35 npm react-dom 18.2.0",
                "45 npm regenerator-runtime 0.14.0",
                "49 npm typescript 5.2.2 dev",
            ],
        ),
        (
            V9,
            &[
                "39 npm @types/node 20.12.7 dev",
                "42 npm ansi-regex 5.0.1",
                "46 npm js-tokens 4.0.0",
                "53 npm loose-envify 1.4.0",
                "57 npm react-dom 18.2.0",
                "62 npm react 18.2.0",
                "66 npm scheduler 0.23.2",
                "69 npm string-width 4.2.3",
                "73 npm typescript 5.4.5 dev",
                "78 npm undici-types 5.26.5 dev",
            ],
        ),
        // Without importers, version 9 cannot tell development packages apart.
        (
            "lockfileVersion: '9.0'\n\npackages:\n\n  typescript@5.4.5:\n    resolution: {integrity: sha512-AAAA}\n",
            &["5 npm typescript 5.4.5"],
        ),
        // Flow style, as a short lockfile may be written.
        (
            "lockfileVersion: '6.0'\npackages: {'/@scope/pkg@1.0.0': {dev: true}, /other@2.0.0-beta.1: {}}\n",
            &["2 npm @scope/pkg 1.0.0 dev", "2 npm other 2.0.0-beta.1"],
        ),
    ];
    crate::check_rows(LockfileKind::PnpmLock, "pnpm-lock.yaml", table);
}

#[test]
fn errors() {
    let table: &[(&str, &[&str], &[&str])] = &[
        // Truncated inside a flow mapping: the YAML is the one error.
        (
            "lockfileVersion: '6.0'\n\npackages:\n\n  /ms@2.1.3:\n    resolution: {integrity: sha512-6FlzubTLZG3J2a",
            &[],
            &["pnpm-lock.yaml:6: invalid pnpm-lock.yaml: unclosed bracket '{'"],
        ),
        (
            "lockfileVersion: '6.0'\npackages:\n  - /ms@2.1.3\n",
            &[],
            &["pnpm-lock.yaml:3: invalid pnpm-lock.yaml: expected mapping start"],
        ),
        (
            r#"lockfileVersion: '6.0'

packages:

  /ms@2.1:
    resolution: {integrity: sha512-AAAA}
    dev: false

  /debug:
    resolution: {integrity: sha512-BBBB}

  /chalk@4.1.2:
    resolution: {integrity: sha512-CCCC}
    dev: maybe

  /supports-color@7.2.0: [1, 2]

  /has-flag@4.0.0:
    resolution: {integrity: sha512-DDDD}
    dev: true
"#,
            &["18 npm has-flag 4.0.0 dev"],
            &[
                "pnpm-lock.yaml:5: entry \"/ms@2.1\": invalid SemVer version \"2.1\": expected MAJOR.MINOR.PATCH",
                "pnpm-lock.yaml:9: entry \"/debug\": expected a key name@version",
                "pnpm-lock.yaml:12: entry \"/chalk@4.1.2\": \"dev\" must be true or false",
                "pnpm-lock.yaml:16: entry \"/supports-color@7.2.0\": \"packages\" must be a mapping",
            ],
        ),
        (
            "lockfileVersion: 5.3\npackages:\n  /@babel/core:\n    dev: true\n  /ms/2.1.3:\n    dev: false\n",
            &["5 npm ms 2.1.3"],
            &["pnpm-lock.yaml:3: entry \"/@babel/core\": expected a key /name/version"],
        ),
        (
            "lockfileVersion: '4.0'\npackages:\n  /ms/2.1.3:\n    dev: false\n",
            &["3 npm ms 2.1.3"],
            &["pnpm-lock.yaml:1: unsupported pnpm-lock.yaml version 4.0"],
        ),
        (
            "packages:\n  ms@2.1.3: {}\n",
            &["2 npm ms 2.1.3"],
            &["pnpm-lock.yaml:1: unsupported pnpm-lock.yaml version (none)"],
        ),
    ];
    for (text, packages, errors) in table {
        check(text, packages, errors);
    }
}

#[test]
fn prefixes_do_not_panic() {
    for text in [V5, V6, V9] {
        check_lockfile_prefixes_every(LockfileKind::PnpmLock, text, 13);
    }
}

/// A monorepo's lockfile has more YAML nodes than serde-saphyr's default budget allows.
#[test]
fn large_lockfile() {
    let mut text = "lockfileVersion: '9.0'\n\npackages:\n\n".to_owned();
    // Twelve nodes a package: 300,000 in all.
    for n in 0..25_000 {
        text.push_str(&format!("  pkg-{n}@1.0.{n}: {{os: [a, b, c, d, e, f, g, h]}}\n"));
    }
    let parsed = parapet_inventory::lockfile::parse(LockfileKind::PnpmLock, &text, "pnpm-lock.yaml");
    assert_eq!(parsed.errors, []);
    assert_eq!(parsed.packages.len(), 25_000);
    assert_eq!((parsed.packages[24_999].name.as_str(), parsed.packages[24_999].line), ("pkg-24999", 25_004));
}
