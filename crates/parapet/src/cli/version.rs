//! `parapet version`: version semantics from the command line, for scripts and for checking
//! what Parapet makes of a version.

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use parapet_versions::Scheme;
use std::cmp::Ordering;
use std::io::{BufRead, BufWriter, Write};
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum VersionCommand {
    /// Compare two versions and print -1, 0 or 1 (A older, equal, A newer).
    ///
    /// Without A and B, read "A B" pairs from standard input, one a line (blank lines are
    /// skipped), and print one result a line. An invalid version stops with exit code 2 and says
    /// what is wrong with it.
    Compare(CompareArgs),
}

#[derive(Args, Debug)]
pub struct CompareArgs {
    /// The versioning scheme: deb, rpm, apk, semver, pep440, go or maven; also pypi (PEP 440
    /// and older PyPI versions), packagist, rubygems, generic, and OSV ecosystem names such as
    /// Debian, Ubuntu, "Red Hat", AlmaLinux, Alpine, PyPI, crates.io, npm, Go, Maven, RubyGems.
    #[arg(long, value_name = "SCHEME", value_parser = Scheme::parse)]
    scheme: Scheme,
    /// The first version.
    #[arg(requires = "b", allow_hyphen_values = true)]
    a: Option<String>,
    /// The second version.
    #[arg(allow_hyphen_values = true)]
    b: Option<String>,
}

pub fn run(command: VersionCommand) -> anyhow::Result<ExitCode> {
    match command {
        VersionCommand::Compare(args) => {
            let mut out = BufWriter::new(std::io::stdout().lock());
            match (args.a, args.b) {
                (Some(a), Some(b)) => writeln!(out, "{}", sign(args.scheme.compare(&a, &b)?))?,
                _ => compare_lines(args.scheme, std::io::stdin().lock(), &mut out)?,
            }
            out.flush().context("cannot write to standard output")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn sign(order: Ordering) -> i8 {
    order as i8
}

/// Compares the `A B` pair on each line of `input`.
fn compare_lines(scheme: Scheme, mut input: impl BufRead, out: &mut impl Write) -> anyhow::Result<()> {
    let mut line = String::new();
    for number in 1.. {
        line.clear();
        if input.read_line(&mut line).context("cannot read standard input")? == 0 {
            break;
        }
        let mut fields = line.split_whitespace();
        match (fields.next(), fields.next(), fields.next()) {
            (None, _, _) => {}
            (Some(a), Some(b), None) => {
                let order = scheme.compare(a, b).with_context(|| format!("line {number}"))?;
                writeln!(out, "{}", sign(order))?;
            }
            _ => bail!("line {number}: expected two versions separated by a space, found {:?}", line.trim_end()),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_lines(scheme: &str, input: &str) -> Result<String, String> {
        let mut out = Vec::new();
        let result = compare_lines(Scheme::parse(scheme).unwrap(), input.as_bytes(), &mut out);
        result.map(|()| String::from_utf8(out).unwrap()).map_err(|e| format!("{e:#}"))
    }

    #[test]
    fn one_result_a_line() {
        assert_eq!(run_lines("deb", "1.0 2.0\n\n2.0~rc1 2.0\n1:1 2\n 1.0-0 1.0 \n"), Ok("-1\n-1\n1\n0\n".into()));
        assert_eq!(run_lines("semver", "1.0.0-rc.1 1.0.0"), Ok("-1\n".into()));
        assert_eq!(run_lines("rpm", ""), Ok("".into()));
    }

    #[test]
    fn problems_name_the_line() {
        assert_eq!(
            run_lines("deb", "1.0 2.0\nabc 1.0\n"),
            Err(r#"line 2: invalid dpkg version "abc": upstream version must start with a digit"#.into())
        );
        assert_eq!(
            run_lines("go", "v1.0.0\n"),
            Err(r#"line 1: expected two versions separated by a space, found "v1.0.0""#.into())
        );
        assert_eq!(
            run_lines("maven", "1 2 3"),
            Err(r#"line 1: expected two versions separated by a space, found "1 2 3""#.into())
        );
    }
}
