//! `parapet_inventory::go_mod`: modules read from a realistic `go.mod` (require blocks and
//! lines, indirect modules, pseudo-versions, `+incompatible`, replacements by module and by
//! directory, the Go release as `stdlib`), and each error with its line.

use super::{check_lockfile, check_lockfile_prefixes};
use parapet_inventory::lockfile::LockfileKind;

#[track_caller]
fn check(text: &str, packages: &[&str], errors: &[&str]) {
    check_lockfile(LockfileKind::GoMod, "go.mod", text, packages, errors);
}

pub const GO_MOD: &str = r#"module example.com/shop

go 1.21

toolchain go1.21.5

require (
	github.com/docker/docker v24.0.7+incompatible
	github.com/gin-gonic/gin v1.9.1
	github.com/google/uuid v1.3.1
	golang.org/x/exp v0.0.0-20230905200255-921286631fa9 // indirect
	golang.org/x/net v0.17.0 // indirect
	example.com/shop/tools v0.0.0-00010101000000-000000000000
	"gopkg.in/yaml.v3" v3.0.1 // indirect
)

require github.com/pkg/errors v0.9.1

require (
	k8s.io/api v0.27.0
	github.com/mattn/go-isatty v0.0.19 // indirect
)

replace golang.org/x/net => golang.org/x/net v0.18.0

replace github.com/google/uuid v1.3.1 => github.com/google/uuid v1.4.0

// Only another version is replaced: gin stays.
replace github.com/gin-gonic/gin v1.9.0 => github.com/gin-gonic/gin v1.9.1-fork

replace example.com/shop/tools => ./tools

replace (
	k8s.io/api => k8s.io/api v0.27.4
	k8s.io/api v0.27.0 => k8s.io/api v0.27.1
)

exclude github.com/mattn/go-isatty v0.0.18

retract [v1.0.0, v1.0.5] // published by mistake
"#;

#[test]
fn packages() {
    let table: &[(&str, &[&str])] = &[
        ("", &[]),
        ("module example.com/empty\n", &[]),
        (
            GO_MOD,
            &[
                "3 Go stdlib 1.21.0",
                "8 Go github.com/docker/docker 24.0.7+incompatible",
                "9 Go github.com/gin-gonic/gin 1.9.1",
                "10 Go github.com/google/uuid 1.4.0",
                "11 Go golang.org/x/exp 0.0.0-20230905200255-921286631fa9",
                "12 Go golang.org/x/net 0.18.0",
                "14 Go gopkg.in/yaml.v3 3.0.1",
                "17 Go github.com/pkg/errors 0.9.1",
                "20 Go k8s.io/api 0.27.1",
                "21 Go github.com/mattn/go-isatty 0.0.19",
            ],
        ),
        ("module m\n\ngo 1.22.3\n", &["3 Go stdlib 1.22.3"]),
        ("module m\ngo 1.21rc1\n", &["2 Go stdlib 1.21.0-rc.1"]),
        ("module m\ngo 1.20beta2 // first\n", &["2 Go stdlib 1.20.0-beta.2"]),
        // A module that requires itself is not its own dependency.
        ("module example.com/a\n\nrequire example.com/a v1.0.0\n", &[]),
        ("require(\n\trsc.io/quote v1.5.2\n)\n", &["2 Go rsc.io/quote 1.5.2"]),
    ];
    crate::check_rows(LockfileKind::GoMod, "go.mod", table);
}

#[test]
fn errors() {
    let table: &[(&str, &[&str], &[&str])] = &[
        // Truncated inside a block.
        (
            "module example.com/shop\n\nrequire (\n\tgithub.com/google/uuid v1.3.1\n\tgolang.org/x/net v0.1",
            &["4 Go github.com/google/uuid 1.3.1", "5 Go golang.org/x/net 0.1"],
            &["go.mod:3: entry \"require (\": block is not closed with )"],
        ),
        (
            r#"module example.com/shop

go banana

require github.com/pkg/errors
require github.com/pkg/errors v0.9.1+meta
require "github.com/pkg/errors v0.9.1
requires github.com/pkg/errors v0.9.1
replace github.com/pkg/errors v0.9.1
replace github.com/pkg/errors => github.com/pkg/errors v0.9.1 extra
require github.com/google/uuid v1.3.1
module
"#,
            &["11 Go github.com/google/uuid 1.3.1"],
            &[
                "go.mod:3: entry \"go banana\": expected go <release> such as 1.21, 1.21.3 or 1.21rc1",
                "go.mod:5: entry \"require github.com/pkg/errors\": expected require <module path> <version>",
                "go.mod:6: entry \"github.com/pkg/errors\": invalid Go module version \"v0.9.1+meta\": the only build suffix allowed is +incompatible",
                "go.mod:7: entry \"require \\\"github.com/pkg/errors v0.9.1\": unterminated quoted string",
                "go.mod:8: entry \"requires github.com/pkg/errors v0.9.1\": unknown directive",
                "go.mod:9: entry \"replace github.com/pkg/errors v0.9.1\": expected replace <module path> [<version>] => <replacement>",
                "go.mod:10: entry \"replace github.com/pkg/errors => github.com/pkg/errors v0.9.…\": expected a module path and version, or a directory, after =>",
                "go.mod:12: entry \"module\": expected module <path>",
            ],
        ),
    ];
    for (text, packages, errors) in table {
        check(text, packages, errors);
    }
}

#[test]
fn prefixes_do_not_panic() {
    check_lockfile_prefixes(LockfileKind::GoMod, GO_MOD);
}
