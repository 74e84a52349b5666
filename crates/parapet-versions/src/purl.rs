//! Package URLs (`pkg:type/namespace/name@version?qualifiers#subpath`): reading one, and naming
//! the package the way OSV does in its ecosystem, so that an SBOM component or a CSAF product
//! finds the advisories about it.

use crate::VersionError;

/// A package URL, its parts percent-decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purl {
    /// The package type, lowercase: `cargo`, `npm`, `pypi`, `deb`…
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    pub version: Option<String>,
    pub qualifiers: Vec<(String, String)>,
}

impl Purl {
    pub fn parse(text: &str) -> Result<Purl, VersionError> {
        let invalid = |reason: &str| VersionError::Range { range: text.to_owned(), reason: reason.to_owned() };
        let rest = text.trim().strip_prefix("pkg:").ok_or_else(|| invalid("a package URL starts with pkg:"))?;
        let rest = rest.trim_start_matches('/');
        let rest = rest.split_once('#').map_or(rest, |(before, _)| before);
        let (rest, qualifiers) = match rest.split_once('?') {
            Some((rest, query)) => (rest, query),
            None => (rest, ""),
        };
        let (path, version) = match rest.rsplit_once('@') {
            // An `@` in the path is a percent-encoded npm scope; a raw one there is the version.
            Some((path, version)) if !version.contains('/') => (path, Some(decode(version))),
            _ => (rest, None),
        };
        let mut segments = path.split('/').filter(|s| !s.is_empty());
        let kind = segments.next().ok_or_else(|| invalid("no package type"))?.to_ascii_lowercase();
        if !kind.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b)) {
            return Err(invalid("the package type may only hold letters, digits, '+', '-' and '.'"));
        }
        let segments: Vec<String> = segments.map(decode).collect();
        let (name, namespace) = match segments.split_last() {
            Some((name, namespace)) => (name.clone(), (!namespace.is_empty()).then(|| namespace.join("/"))),
            None => return Err(invalid("no package name")),
        };
        let qualifiers = qualifiers
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .map(|(key, value)| (key.to_ascii_lowercase(), decode(value)))
            .collect();
        Ok(Purl { kind, namespace, name, version: version.filter(|v| !v.is_empty()), qualifiers })
    }

    pub fn qualifier(&self, key: &str) -> Option<&str> {
        self.qualifiers.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// The OSV ecosystem of the package: `crates.io`, `npm`, `PyPI`, `Go`, `Maven`,
    /// `Packagist`, `RubyGems`, `NuGet`, `Hex`, `Pub`; for distribution packages the release
    /// when the `distro` qualifier gives it (`Debian:12`, `Alpine:v3.18`), else the bare name.
    pub fn ecosystem(&self) -> Option<String> {
        let language = match self.kind.as_str() {
            "cargo" => "crates.io",
            "npm" => "npm",
            "pypi" => "PyPI",
            "golang" => "Go",
            "maven" => "Maven",
            "composer" => "Packagist",
            "gem" => "RubyGems",
            "nuget" => "NuGet",
            "hex" => "Hex",
            "pub" => "Pub",
            "deb" | "apk" | "rpm" => return self.distribution(),
            _ => return None,
        };
        Some(language.to_owned())
    }

    fn distribution(&self) -> Option<String> {
        let vendor = self.namespace.as_deref().unwrap_or_default().to_ascii_lowercase();
        let distro = self.qualifier("distro").unwrap_or_default().to_ascii_lowercase();
        // `distro=debian-12`, `distro=bookworm`, `distro=alpine-3.18`, `distro=3.18.4`.
        let release = distro.rsplit_once('-').map_or(distro.as_str(), |(_, r)| r);
        Some(match (self.kind.as_str(), vendor.as_str()) {
            ("deb", "debian") => match debian_release(release) {
                Some(number) => format!("Debian:{number}"),
                None => "Debian".to_owned(),
            },
            ("deb", "ubuntu") if !release.is_empty() => format!("Ubuntu:{release}"),
            ("deb", "ubuntu") => "Ubuntu".to_owned(),
            ("apk", "alpine") => {
                let mut parts = release.trim_start_matches('v').split('.');
                match (parts.next(), parts.next()) {
                    (Some(major), Some(minor)) if !major.is_empty() => format!("Alpine:v{major}.{minor}"),
                    _ => "Alpine".to_owned(),
                }
            }
            ("rpm", "redhat") => "Red Hat".to_owned(),
            ("rpm", "almalinux") => "AlmaLinux".to_owned(),
            ("rpm", "rocky-linux" | "rocky") => "Rocky Linux".to_owned(),
            ("rpm", "opensuse") => "openSUSE".to_owned(),
            ("rpm", "suse") => "SUSE".to_owned(),
            _ => return None,
        })
    }

    /// The package's name as OSV writes it in its ecosystem: `@scope/name` for npm,
    /// `group:artifact` for Maven, the module path for Go, `vendor/name` for Composer.
    pub fn package_name(&self) -> String {
        match (self.kind.as_str(), &self.namespace) {
            ("maven", Some(group)) => format!("{group}:{}", self.name),
            ("npm" | "golang" | "composer", Some(namespace)) => format!("{namespace}/{}", self.name),
            _ => self.name.clone(),
        }
    }
}

/// A Debian release's number from the `distro` qualifier's release part: `12`, `12.5` or a
/// code name.
fn debian_release(release: &str) -> Option<String> {
    if let Some(major) = release.split('.').next().filter(|m| !m.is_empty() && m.bytes().all(|b| b.is_ascii_digit())) {
        return Some(major.to_owned());
    }
    let number = match release {
        "stretch" => "9",
        "buster" => "10",
        "bullseye" => "11",
        "bookworm" => "12",
        "trixie" => "13",
        "forky" => "14",
        _ => return None,
    };
    Some(number.to_owned())
}

/// Percent-decoding; an invalid escape is kept as written.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = bytes.get(i + 1..i + 3)
            && let Ok(byte) = u8::from_str_radix(std::str::from_utf8(hex).unwrap_or("zz"), 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls_name_osv_packages() {
        for (purl, ecosystem, name, version) in [
            ("pkg:cargo/smallvec@1.6.0", Some("crates.io"), "smallvec", Some("1.6.0")),
            ("pkg:npm/%40babel/traverse@7.23.1", Some("npm"), "@babel/traverse", Some("7.23.1")),
            ("pkg:npm/@babel/core@7.0.0", Some("npm"), "@babel/core", Some("7.0.0")),
            (
                "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
                Some("Maven"),
                "org.apache.logging.log4j:log4j-core",
                Some("2.14.1"),
            ),
            ("pkg:golang/golang.org/x/net@v0.7.0", Some("Go"), "golang.org/x/net", Some("v0.7.0")),
            ("pkg:pypi/Django@3.2.0", Some("PyPI"), "Django", Some("3.2.0")),
            (
                "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12",
                Some("Debian:12"),
                "openssl",
                Some("3.0.11-1~deb12u2"),
            ),
            ("pkg:deb/debian/curl@7.88.1?distro=bookworm", Some("Debian:12"), "curl", Some("7.88.1")),
            ("pkg:apk/alpine/musl@1.2.4-r2?distro=alpine-3.18.4", Some("Alpine:v3.18"), "musl", Some("1.2.4-r2")),
            ("pkg:github/package-url/purl-spec", None, "purl-spec", None),
        ] {
            let parsed = Purl::parse(purl).unwrap();
            assert_eq!(parsed.ecosystem().as_deref(), ecosystem, "{purl}");
            assert_eq!(parsed.package_name(), name, "{purl}");
            assert_eq!(parsed.version.as_deref(), version, "{purl}");
        }
        for bad in ["cargo/x", "pkg:", "pkg:cargo", "pkg:c$r/x"] {
            assert!(Purl::parse(bad).is_err(), "{bad}");
        }
    }
}
