//! `parapet_inventory::npm_lock`: packages read from realistic lockfiles of each version
//! (nested version 1 trees, `packages` paths with scopes, aliases, workspaces and links), and
//! each error kind with its line.

use parapet_inventory::npm_lock::{self, NpmPackage};

fn render(p: &NpmPackage) -> String {
    format!("{} {}{}", p.name, p.version, if p.dev { " dev" } else { "" })
}

#[track_caller]
fn check(text: &str, packages: &[&str], errors: &[&str]) {
    let parsed = npm_lock::parse(text, "package-lock.json");
    let got: Vec<String> = parsed.packages.iter().map(render).collect();
    let messages: Vec<String> = parsed.errors.iter().map(ToString::to_string).collect();
    let got: Vec<&str> = got.iter().map(String::as_str).collect();
    let messages: Vec<&str> = messages.iter().map(String::as_str).collect();
    assert_eq!((got, messages), (packages.to_vec(), errors.to_vec()), "{text}");
}

/// Version 1, as npm 6 wrote it: nested `dependencies`, an alias, a git and a file dependency.
const V1: &str = r#"{
  "name": "shop",
  "version": "1.0.0",
  "lockfileVersion": 1,
  "requires": true,
  "dependencies": {
    "@babel/code-frame": {
      "version": "7.12.13",
      "resolved": "https://registry.npmjs.org/@babel/code-frame/-/code-frame-7.12.13.tgz",
      "integrity": "sha512-HV1Cm0Q3ZrpCR93tkWOYiuYIgLxZXZFVG2VgK+MBWjUqZTundupbfx2aXarXuw5Ko5aMcjtJgbSs4vUGBS5v6g==",
      "dev": true,
      "requires": {
        "@babel/highlight": "^7.12.13"
      }
    },
    "express": {
      "version": "4.17.1",
      "resolved": "https://registry.npmjs.org/express/-/express-4.17.1.tgz",
      "integrity": "sha512-mHJ9O79RqluphRrcw2X/GTh3k9tVv8YcoyY4Kkh4WDMUYKRZUq0h1o0w2rrrxBqM7VoeUVqgb27xlEMXTnYt4g==",
      "requires": {
        "debug": "2.6.9"
      },
      "dependencies": {
        "debug": {
          "version": "2.6.9",
          "resolved": "https://registry.npmjs.org/debug/-/debug-2.6.9.tgz",
          "integrity": "sha512-bC7ElrdJaJnPbAP+1EotYvqZsb3ecl5wi6Bfi6BJTUcNowp6cvspg0jXznRTKDjm/E7AdgFBVeAPVMNcKGsHMA=="
        }
      }
    },
    "left-pad": {
      "version": "git+https://github.com/left-pad/left-pad.git#5b2a1b3b6c6f1d0b8e4c4c3b1d6c8b9f0a1b2c3d",
      "from": "git+https://github.com/left-pad/left-pad.git"
    },
    "local-utils": {
      "version": "file:../local-utils"
    },
    "string-width-cjs": {
      "version": "npm:string-width@4.2.3",
      "resolved": "https://registry.npmjs.org/string-width/-/string-width-4.2.3.tgz",
      "integrity": "sha512-wKyQRQpjJ0sIp62ErSZdGsjMJWsap5oRNihHhu6G7JVO/9jIB6UyevL+tXuOqrng8j/cxKTWyWUwvSTriiZz/g=="
    }
  }
}
"#;

/// Version 3, as npm 9 writes it: the root, a scoped package, a nested copy, an alias, a
/// workspace with its link, and an optional dev dependency.
const V3: &str = r#"{
  "name": "shop",
  "version": "1.0.0",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "": {
      "name": "shop",
      "version": "1.0.0",
      "workspaces": ["packages/*"],
      "dependencies": {
        "express": "^4.18.2"
      },
      "devDependencies": {
        "@types/node": "^20.8.0"
      }
    },
    "node_modules/@types/node": {
      "version": "20.8.10",
      "resolved": "https://registry.npmjs.org/@types/node/-/node-20.8.10.tgz",
      "integrity": "sha512-TlgT8JntpcbmKUFzjhsyhGfP2fsiz1Mv56im6enJ905xG1DAYesxJaeSbGqQmAw8OWPdhyJGhGSQGKRNJ45u9w==",
      "dev": true,
      "dependencies": {
        "undici-types": "~5.26.4"
      }
    },
    "node_modules/express": {
      "version": "4.18.2",
      "resolved": "https://registry.npmjs.org/express/-/express-4.18.2.tgz",
      "integrity": "sha512-5/PsL6iGPdfQ/lKM1UuielYgv3BUoJfz1aUwU9vHZ+J7gyvwdQXFEBIEIaxeGf0GIcreATNyBExtalisDbuMqQ==",
      "engines": {
        "node": ">= 0.10.0"
      }
    },
    "node_modules/express/node_modules/debug": {
      "version": "2.6.9",
      "resolved": "https://registry.npmjs.org/debug/-/debug-2.6.9.tgz",
      "integrity": "sha512-bC7ElrdJaJnPbAP+1EotYvqZsb3ecl5wi6Bfi6BJTUcNowp6cvspg0jXznRTKDjm/E7AdgFBVeAPVMNcKGsHMA=="
    },
    "node_modules/fsevents": {
      "version": "2.3.3",
      "resolved": "https://registry.npmjs.org/fsevents/-/fsevents-2.3.3.tgz",
      "integrity": "sha512-5xoDfX+fL7faATnagmWPpbFtwh/R77WmMMqqHGS65C3vvB0YHrgF+B1YmZ3441tMj5n63k0212XNoJwzlhffQw==",
      "devOptional": true,
      "hasInstallScript": true,
      "optional": true,
      "os": ["darwin"]
    },
    "node_modules/shop-ui": {
      "resolved": "packages/ui",
      "link": true
    },
    "node_modules/string-width-cjs": {
      "name": "string-width",
      "version": "4.2.3",
      "resolved": "https://registry.npmjs.org/string-width/-/string-width-4.2.3.tgz",
      "integrity": "sha512-wKyQRQpjJ0sIp62ErSZdGsjMJWsap5oRNihHhu6G7JVO/9jIB6UyevL+tXuOqrng8j/cxKTWyWUwvSTriiZz/g=="
    },
    "packages/ui": {
      "name": "shop-ui",
      "version": "0.1.0",
      "dependencies": {
        "react": "^18.2.0"
      }
    },
    "packages/ui/node_modules/react": {
      "version": "18.2.0",
      "resolved": "https://registry.npmjs.org/react/-/react-18.2.0.tgz",
      "integrity": "sha512-/3IjMdb2L9QbBdWiW5e3P2/npwMBaU9mHCSCUzNln0ZCYbcfTsGbTJrU/kGemdH2IWmB2ioZ+zkxtmq6g09fGQ=="
    }
  }
}
"#;

/// Version 2 carries both trees; only `packages` is read.
const V2: &str = r#"{
  "name": "tiny",
  "version": "0.0.1",
  "lockfileVersion": 2,
  "requires": true,
  "packages": {
    "": {
      "name": "tiny",
      "version": "0.0.1",
      "dependencies": {
        "ms": "^2.1.3"
      }
    },
    "node_modules/ms": {
      "version": "2.1.3",
      "resolved": "https://registry.npmjs.org/ms/-/ms-2.1.3.tgz",
      "integrity": "sha512-6FlzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcLsvoVaHJq/s5xXI6/XXP6tz7R9xAOtHnSO/tXtF3WRTlA=="
    }
  },
  "dependencies": {
    "ms": {
      "version": "2.1.3",
      "resolved": "https://registry.npmjs.org/ms/-/ms-2.1.3.tgz",
      "integrity": "sha512-6FlzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcLsvoVaHJq/s5xXI6/XXP6tz7R9xAOtHnSO/tXtF3WRTlA=="
    }
  }
}
"#;

#[test]
fn packages() {
    let table: &[(&str, &[&str])] = &[
        (r#"{"lockfileVersion": 3}"#, &[]),
        (r#"{"lockfileVersion": 3, "packages": {"": {"name": "empty"}}}"#, &[]),
        (V1, &["@babel/code-frame 7.12.13 dev", "express 4.17.1", "debug 2.6.9", "string-width 4.2.3"]),
        (V2, &["ms 2.1.3"]),
        (
            V3,
            &[
                "@types/node 20.8.10 dev",
                "express 4.18.2",
                "debug 2.6.9",
                "fsevents 2.3.3",
                "string-width 4.2.3",
                "react 18.2.0",
            ],
        ),
    ];
    for (text, packages) in table {
        check(text, packages, &[]);
        check(&text.replace('\n', "\r\n"), packages, &[]);
    }
}

#[test]
fn errors() {
    let table: &[(&str, &[&str], &[&str])] = &[
        ("", &[], &["package-lock.json:1: invalid package-lock.json: EOF while parsing a value"]),
        (
            "{\n  \"lockfileVersion\": 3,\n  \"packages\": {\n    \"node_modules/a\": {\"version\": \"1.0.0\"},\n  }\n}\n",
            &[],
            &["package-lock.json:5: invalid package-lock.json: trailing comma"],
        ),
        (
            "[]",
            &[],
            &["package-lock.json:1: invalid package-lock.json: invalid length 0, expected struct Lock with 3 elements"],
        ),
        (
            r#"{
  "lockfileVersion": 3,
  "packages": {
    "node_modules/a": {
      "version": "1.0"
    },
    "node_modules/b": {
      "resolved": "https://registry.npmjs.org/b/-/b-1.0.0.tgz"
    },
    "node_modules/c": {
      "version": 1
    },
    "node_modules/@scope": {
      "version": "1.0.0"
    },
    "node_modules/d": {
      "version": "4.0.0",
      "dev": true
    }
  }
}"#,
            &["d 4.0.0 dev"],
            &[
                "package-lock.json:4: invalid SemVer version \"1.0\": expected MAJOR.MINOR.PATCH",
                "package-lock.json:7: entry \"node_modules/b\" has no \"version\"",
                "package-lock.json:11: entry \"node_modules/c\": invalid type: integer `1`, expected a string",
                "package-lock.json:13: entry \"node_modules/@scope\": expected the path to end in node_modules/<name> or node_modules/@<scope>/<name>",
            ],
        ),
        (
            r#"{
  "lockfileVersion": 1,
  "dependencies": {
    "a": {
      "version": "1.0.0",
      "dependencies": {
        "b": {"integrity": "sha512-AAAA"},
        "c": {"version": "not-a-version"}
      }
    }
  }
}"#,
            &["a 1.0.0"],
            &[
                "package-lock.json:7: entry \"b\" has no \"version\"",
                "package-lock.json:8: invalid SemVer version \"not-a-version\": major version must be a number",
            ],
        ),
        (
            r#"{"lockfileVersion": 4, "packages": {"node_modules/a": {"version": "1.0.0"}}}"#,
            &["a 1.0.0"],
            &["package-lock.json:1: unsupported package-lock.json version 4"],
        ),
    ];
    for (text, packages, errors) in table {
        check(text, packages, errors);
    }
}

#[test]
fn prefixes_do_not_panic() {
    for text in [V1.trim_end(), V3.trim_end()] {
        for (end, _) in text.char_indices() {
            let parsed = npm_lock::parse(&text[..end], "package-lock.json");
            assert!(parsed.packages.is_empty() && parsed.errors.len() == 1, "{end}");
        }
    }
}
