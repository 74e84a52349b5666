//! Package URLs (`pkg:type/namespace/name@version?qualifiers#subpath`), as SBOMs and CSAF
//! documents name packages, read into the OSV ecosystem, name and version that advisories use.

use crate::pypi_name;

/// A package URL split into its parts, each percent-decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purl {
    /// Lowercase, as the specification says types compare.
    pub ty: String,
    pub namespace: Vec<String>,
    pub name: String,
    pub version: Option<String>,
    pub qualifiers: Vec<(String, String)>,
}

impl std::str::FromStr for Purl {
    type Err = &'static str;
    fn from_str(purl: &str) -> Result<Purl, &'static str> {
        parse(purl)
    }
}

/// Reads a package URL; the error says what is wrong with it.
pub fn parse(purl: &str) -> Result<Purl, &'static str> {
    let purl = purl.split_once('#').map_or(purl, |(purl, _)| purl);
    let (purl, qualifiers) = match purl.split_once('?') {
        Some((purl, qualifiers)) => (purl, qualifiers),
        None => (purl, ""),
    };
    let Some((scheme, rest)) = purl.split_once(':') else { return Err("expected pkg:type/name") };
    if !scheme.eq_ignore_ascii_case("pkg") {
        return Err("scheme must be pkg:");
    }
    let rest = rest.trim_matches('/');
    let Some((ty, rest)) = rest.split_once('/') else { return Err("expected pkg:type/name") };
    let valid_type = ty.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        && ty.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'+' | b'-'));
    if !valid_type {
        return Err("the type must be letters, digits, '.', '+' or '-', starting with a letter");
    }
    // An `@` is the version's only where it follows the last `/`: an npm scope may be written
    // `@scope` unencoded.
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (path, version) = match rest[last_slash..].rfind('@') {
        Some(at) => (&rest[..last_slash + at], Some(decode(&rest[last_slash + at + 1..])?)),
        None => (rest, None),
    };
    let mut segments = path.split('/').filter(|s| !s.is_empty()).map(decode).collect::<Result<Vec<_>, _>>()?;
    let name = segments.pop().filter(|name| !name.is_empty()).ok_or("the name is empty")?;
    let mut pairs = Vec::new();
    for pair in qualifiers.split('&').filter(|pair| !pair.is_empty()) {
        let (key, value) = pair.split_once('=').ok_or("expected qualifiers key=value")?;
        let value = decode(value)?;
        if !value.is_empty() {
            pairs.push((key.to_ascii_lowercase(), value));
        }
    }
    Ok(Purl {
        ty: ty.to_ascii_lowercase(),
        namespace: segments,
        name,
        version: version.filter(|v| !v.is_empty()),
        qualifiers: pairs,
    })
}

fn decode(text: &str) -> Result<String, &'static str> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
            let byte = hex.and_then(|h| u8::from_str_radix(h, 16).ok()).ok_or("invalid percent-encoding")?;
            out.push(byte);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "percent-encoding is not UTF-8")
}

impl Purl {
    pub fn qualifier(&self, key: &str) -> Option<&str> {
        self.qualifiers.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// The OSV ecosystem of the package, `None` for types that OSV has none for.
    pub fn ecosystem(&self) -> Option<String> {
        let fixed = match self.ty.as_str() {
            "cargo" => "crates.io",
            "npm" => "npm",
            "pypi" => "PyPI",
            "golang" => "Go",
            "composer" => "Packagist",
            "gem" => "RubyGems",
            "maven" => "Maven",
            "nuget" => "NuGet",
            "hex" => "Hex",
            "pub" => "Pub",
            "hackage" => "Hackage",
            "cran" => "CRAN",
            "deb" => return self.deb_ecosystem(),
            "apk" => return self.apk_ecosystem(),
            "rpm" => return self.rpm_ecosystem(),
            _ => return None,
        };
        Some(fixed.to_owned())
    }

    /// The distribution and its release: `distro=debian-12` or `distro=bookworm`, else the
    /// namespace alone.
    fn distro(&self) -> (String, Option<&str>) {
        match self.qualifier("distro") {
            Some(distro) => match distro.split_once('-') {
                Some((id, release)) => (id.to_ascii_lowercase(), Some(release)),
                None => match crate::release_of_codename(distro) {
                    Some((id, release)) => (id.to_owned(), Some(release)),
                    None => (distro.to_ascii_lowercase(), None),
                },
            },
            None => (self.namespace.first().map(|ns| ns.to_ascii_lowercase()).unwrap_or_default(), None),
        }
    }

    fn deb_ecosystem(&self) -> Option<String> {
        let (id, release) = self.distro();
        match (id.as_str(), release) {
            ("debian", Some(release)) => Some(format!("Debian:{}", major(release))),
            ("debian", None) => Some("Debian".to_owned()),
            ("ubuntu", Some(release)) => {
                let release = release.split('.').take(2).collect::<Vec<_>>().join(".");
                let lts = release
                    .split_once('.')
                    .is_some_and(|(year, month)| month == "04" && year.parse::<u32>().is_ok_and(|year| year % 2 == 0));
                Some(if lts { format!("Ubuntu:{release}:LTS") } else { format!("Ubuntu:{release}") })
            }
            ("ubuntu", None) => Some("Ubuntu".to_owned()),
            _ => None,
        }
    }

    fn apk_ecosystem(&self) -> Option<String> {
        let (id, release) = self.distro();
        match (id.as_str(), release) {
            ("alpine", Some(release)) => {
                let release = release.trim_start_matches('v').split('.').take(2).collect::<Vec<_>>().join(".");
                Some(format!("Alpine:v{release}"))
            }
            ("alpine", None) => Some("Alpine".to_owned()),
            ("wolfi", _) => Some("Wolfi".to_owned()),
            ("chainguard", _) => Some("Chainguard".to_owned()),
            _ => None,
        }
    }

    fn rpm_ecosystem(&self) -> Option<String> {
        let (id, release) = self.distro();
        let with_major = |name: &str| match release {
            Some(release) => format!("{name}:{}", major(release)),
            None => name.to_owned(),
        };
        match id.as_str() {
            "redhat" | "rhel" => Some("Red Hat".to_owned()),
            "almalinux" => Some(with_major("AlmaLinux")),
            "rocky" | "rockylinux" => Some(with_major("Rocky Linux")),
            "opensuse" | "opensuse-leap" | "opensuse-tumbleweed" => Some("openSUSE".to_owned()),
            "suse" | "sles" => Some("SUSE".to_owned()),
            _ => None,
        }
    }

    /// The package's name as OSV writes it in this type's ecosystem.
    pub fn package_name(&self) -> Option<String> {
        Some(match self.ty.as_str() {
            // OSV needs the group: an artifact alone names nothing.
            "maven" if self.namespace.is_empty() => return None,
            "maven" => format!("{}:{}", self.namespace.join("."), self.name),
            "pypi" => pypi_name(&self.name),
            "deb" | "apk" | "rpm" | "cargo" | "gem" | "nuget" | "hex" | "pub" | "hackage" | "cran" => self.name.clone(),
            _ if self.namespace.is_empty() => self.name.clone(),
            _ => format!("{}/{}", self.namespace.join("/"), self.name),
        })
    }

    /// The version as the ecosystem's advisories write it: Go's without its `v`, an RPM's with
    /// the epoch from its qualifier.
    pub fn package_version(&self) -> Option<String> {
        let version = self.version.as_deref()?;
        Some(match (self.ty.as_str(), self.qualifier("epoch")) {
            ("golang", _) => version.strip_prefix('v').unwrap_or(version).to_owned(),
            ("rpm", Some(epoch)) if !version.contains(':') => format!("{epoch}:{version}"),
            _ => version.to_owned(),
        })
    }
}

/// A release's major number: `12.5` → `12`.
fn major(release: &str) -> &str {
    release.split('.').next().unwrap_or(release)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls_name_osv_packages() {
        for (purl, ecosystem, name, version) in [
            ("pkg:cargo/smallvec@1.6.0", Some("crates.io"), Some("smallvec"), Some("1.6.0")),
            ("pkg:npm/%40babel/traverse@7.23.1", Some("npm"), Some("@babel/traverse"), Some("7.23.1")),
            (
                "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
                Some("Maven"),
                Some("org.apache.logging.log4j:log4j-core"),
                Some("2.14.1"),
            ),
            ("pkg:golang/golang.org/x/net@v0.7.0", Some("Go"), Some("golang.org/x/net"), Some("0.7.0")),
            ("pkg:pypi/Django_REST@3.2.0", Some("PyPI"), Some("django-rest"), Some("3.2.0")),
            (
                "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12",
                Some("Debian:12"),
                Some("openssl"),
                Some("3.0.11-1~deb12u2"),
            ),
            ("pkg:deb/debian/curl@7.88.1?distro=bookworm", Some("Debian:12"), Some("curl"), Some("7.88.1")),
            ("pkg:apk/alpine/musl@1.2.4-r2?distro=alpine-3.18.4", Some("Alpine:v3.18"), Some("musl"), Some("1.2.4-r2")),
            ("pkg:rpm/redhat/openssl@3.0.7-24.el9?epoch=1", Some("Red Hat"), Some("openssl"), Some("1:3.0.7-24.el9")),
            ("pkg:github/package-url/purl-spec", None, Some("package-url/purl-spec"), None),
        ] {
            let parsed = parse(purl).unwrap();
            assert_eq!(parsed.ecosystem().as_deref(), ecosystem, "{purl}");
            assert_eq!(parsed.package_name().as_deref(), name, "{purl}");
            assert_eq!(parsed.package_version().as_deref(), version, "{purl}");
        }
    }

    #[test]
    fn parts() {
        let p = parse("pkg:npm/%40angular/core@16.2.0?foo=bar#sub/path").unwrap();
        assert_eq!(
            (p.ty.as_str(), p.namespace.as_slice(), p.name.as_str()),
            ("npm", &["@angular".to_owned()][..], "core")
        );
        assert_eq!(p.version.as_deref(), Some("16.2.0"));
        assert_eq!(p.qualifiers, [("foo".to_owned(), "bar".to_owned())]);
        let p = parse("pkg:npm/@angular/core").unwrap();
        assert_eq!((p.namespace.as_slice(), p.name.as_str(), p.version), (&["@angular".to_owned()][..], "core", None));
        for (purl, reason) in [
            ("npm/x@1", "expected pkg:type/name"),
            ("pkg:npm", "expected pkg:type/name"),
            ("pkg:1x/y", "the type must be letters, digits, '.', '+' or '-', starting with a letter"),
            ("pkg:npm/x%4", "invalid percent-encoding"),
            ("pkg:npm/x%ff", "percent-encoding is not UTF-8"),
            ("pkg:npm/@1.0", "the name is empty"),
            ("url:npm/x", "scheme must be pkg:"),
        ] {
            assert_eq!(parse(purl), Err(reason), "{purl}");
        }
    }
}
