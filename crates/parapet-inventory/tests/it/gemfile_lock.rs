//! `parapet_inventory::gemfile_lock`: gems read from a realistic `Gemfile.lock` (several
//! sections, platform gems, git and path gems skipped), and each error with its line.

use super::{check_lockfile, check_lockfile_prefixes};
use parapet_inventory::lockfile::LockfileKind;

#[track_caller]
fn check(text: &str, packages: &[&str], errors: &[&str]) {
    check_lockfile(LockfileKind::GemfileLock, "Gemfile.lock", text, packages, errors);
}

pub const LOCK: &str = r#"GIT
  remote: https://github.com/rails/rails.git
  revision: 3c0b5f5d5e0e2d4f8f0e8c5d2b8f8d5e1c0b9a7f
  branch: main
  specs:
    rails (7.1.0.alpha)
      actioncable (= 7.1.0.alpha)

PATH
  remote: engines/billing
  specs:
    billing (0.1.0)
      rails (>= 7.0)

GEM
  remote: https://rubygems.org/
  specs:
    actioncable (7.0.8)
      actionpack (= 7.0.8)
      nio4r (~> 2.0)
    jruby-openssl (0.14.2-java)
    mini_portile2 (2.8.4)
    nokogiri (1.15.4-arm64-darwin)
      racc (~> 1.4)
    nokogiri (1.15.4-x86_64-linux)
      racc (~> 1.4)
    racc (1.7.1)
    rack (2.2.8)
    rails-html-sanitizer (1.6.0)
      loofah (~> 2.21)
      nokogiri (~> 1.14, >= 1.14.3)

GEM
  remote: https://gems.example.com/
  specs:
    acme-auth (2.0.0.pre.1)

PLATFORMS
  arm64-darwin-22
  x86_64-linux

DEPENDENCIES
  acme-auth!
  billing!
  nokogiri
  rails!

CHECKSUMS
  rack (2.2.8) sha256=7b83a1c8e0d6a3f4b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9

RUBY VERSION
   ruby 3.2.2p53

BUNDLED WITH
   2.4.19
"#;

#[test]
fn packages() {
    let table: &[(&str, &[&str])] = &[
        ("", &[]),
        ("GEM\n  remote: https://rubygems.org/\n  specs:\n\nPLATFORMS\n  ruby\n", &[]),
        (
            LOCK,
            &[
                "18 RubyGems actioncable 7.0.8",
                "21 RubyGems jruby-openssl 0.14.2",
                "22 RubyGems mini_portile2 2.8.4",
                "23 RubyGems nokogiri 1.15.4",
                "27 RubyGems racc 1.7.1",
                "28 RubyGems rack 2.2.8",
                "29 RubyGems rails-html-sanitizer 1.6.0",
                "36 RubyGems acme-auth 2.0.0.pre.1",
            ],
        ),
    ];
    crate::check_rows(LockfileKind::GemfileLock, "Gemfile.lock", table);
}

#[test]
fn errors() {
    let table: &[(&str, &[&str], &[&str])] = &[
        // Truncated in the middle of a gem.
        (
            "GEM\n  remote: https://rubygems.org/\n  specs:\n    rack (2.2.8)\n    rake (13.0",
            &["4 RubyGems rack 2.2.8"],
            &["Gemfile.lock:5: entry \"rake (13.0\": expected a gem as name (version)"],
        ),
        (
            "GEM\n  remote: https://rubygems.org/\n  specs:\n    rack\n    thor ()\n    tzinfo (two)\n     (1.0)\n    zeitwerk (2.6.11)\n",
            &["8 RubyGems zeitwerk 2.6.11"],
            &[
                "Gemfile.lock:4: entry \"rack\": expected a gem as name (version)",
                "Gemfile.lock:5: entry \"thor ()\": expected a gem as name (version)",
                "Gemfile.lock:6: entry \"tzinfo\": invalid RubyGems version \"two\": version must start with a number",
            ],
        ),
    ];
    for (text, packages, errors) in table {
        check(text, packages, errors);
    }
}

#[test]
fn prefixes_do_not_panic() {
    check_lockfile_prefixes(LockfileKind::GemfileLock, LOCK);
}
