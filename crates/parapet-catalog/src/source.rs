//! Sources the server's catalog is synced from: what each one is, where it lives, how often it is
//! read, what of it is kept, and which signatures it must carry. Plain data with its rules.

use crate::model::{Advisory, Update};
use crate::{ecosystem_base, normalize_name};
use serde::{Deserialize, Serialize};

/// How a source is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceType {
    /// A CSAF 2.0 provider (or aggregator): discovered from a domain, a `provider-metadata.json`
    /// URL or a `security.txt`.
    Csaf,
    /// OSV records: a folder, a zip as osv.dev ships an ecosystem, or an HTTP URL of either.
    Osv,
    /// An apt repository: its signed `InRelease`, then the `Packages` indices of its suites.
    Apt,
    /// Debian's DSA or DLA list from the security tracker.
    DebianList,
    /// Alpine's secdb: one `secfixes` file per release and repository.
    AlpineSecdb,
    /// Another Parapet server's catalog, replicated by cursor.
    Parapet,
    /// This server's own published bulletins and advisories: the current CSAF documents of its
    /// trusted provider directory with a public TLP label, read from its own store. The URL is
    /// the server's public URL, for provenance.
    Published,
    /// Another Parapet server's malware signature packs (`/malware/packs/`), checked against
    /// its key and republished here, signed by this server. Nothing enters the catalog.
    MalwarePacks,
}

impl SourceType {
    pub const ALL: [SourceType; 8] = [
        SourceType::Csaf,
        SourceType::Osv,
        SourceType::Apt,
        SourceType::DebianList,
        SourceType::AlpineSecdb,
        SourceType::Parapet,
        SourceType::Published,
        SourceType::MalwarePacks,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SourceType::Csaf => "csaf",
            SourceType::Osv => "osv",
            SourceType::Apt => "apt",
            SourceType::DebianList => "debian-list",
            SourceType::AlpineSecdb => "alpine-secdb",
            SourceType::Parapet => "parapet",
            SourceType::Published => "published",
            SourceType::MalwarePacks => "malware-packs",
        }
    }
}

impl std::fmt::Display for SourceType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for SourceType {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SourceType::ALL.into_iter().find(|kind| kind.as_str() == s).ok_or_else(|| {
            let known: Vec<_> = SourceType::ALL.iter().map(|k| k.as_str()).collect();
            format!("unknown source kind {s:?}: expected one of {}", known.join(", "))
        })
    }
}

/// How strictly a CSAF source's documents are judged once their hash and signature hold (a bad
/// hash or signature is always refused).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Validation {
    /// A document that passes the JSON schema enters the catalog; the mandatory tests it fails
    /// are recorded beside it. A catalog that silently misses a provider's advisories gives
    /// scans false negatives.
    #[default]
    Schema,
    /// Only documents that pass the schema and every mandatory test.
    Strict,
}

impl Validation {
    pub const ALL: [Validation; 2] = [Validation::Schema, Validation::Strict];

    pub fn as_str(self) -> &'static str {
        match self {
            Validation::Schema => "schema",
            Validation::Strict => "strict",
        }
    }
}

impl std::str::FromStr for Validation {
    type Err = String;
    fn from_str(s: &str) -> Result<Validation, String> {
        Validation::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| format!("unknown validation {s:?}: expected schema or strict"))
    }
}

/// A mandatory CSAF test that a document the catalog took anyway fails.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentProblem {
    /// The test's section number, such as `6.1.31`.
    pub test: String,
    /// A JSON pointer to the offending element.
    pub path: String,
    pub message: String,
}

/// A configured source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSpec {
    /// Short and stable: it names the source in commands, URLs and record provenance.
    pub name: String,
    pub kind: SourceType,
    /// A URL (`https://…`, `http://…`) or, for folder and file sources, a local path.
    pub url: String,
    /// Minutes between scheduled syncs; 0 syncs only when asked.
    #[serde(default)]
    pub interval_minutes: u32,
    /// Keep only advisories about these products (package names, or CPE `vendor:product` or
    /// `product`), case-insensitively. Empty keeps everything.
    #[serde(default)]
    pub products: Vec<String>,
    /// Keep only advisories and updates of these ecosystems (`Debian`, `PyPI`, `crates.io`…,
    /// without a release), case-insensitively. Empty keeps everything.
    #[serde(default)]
    pub ecosystems: Vec<String>,
    /// ASCII-armoured OpenPGP public keys whose signatures are accepted.
    #[serde(default)]
    pub keys: Vec<String>,
    /// Accept documents that carry no signature (a bad signature is refused all the same).
    #[serde(default)]
    pub allow_unsigned: bool,
    /// CSAF: what a signed, schema-valid document that fails mandatory tests gets.
    #[serde(default)]
    pub validation: Validation,
    /// apt: the suites to read (`bookworm-security`); empty reads the suite the URL names.
    #[serde(default)]
    pub suites: Vec<String>,
    /// apt: the architectures whose `Packages` indices are read; empty means `amd64`.
    #[serde(default)]
    pub architectures: Vec<String>,
    /// Largest document accepted, in bytes; 0 is the default for the kind.
    #[serde(default)]
    pub max_document_bytes: u64,
}

impl SourceSpec {
    pub fn new(name: impl Into<String>, kind: SourceType, url: impl Into<String>) -> SourceSpec {
        SourceSpec {
            name: name.into(),
            kind,
            url: url.into(),
            interval_minutes: 0,
            products: Vec::new(),
            ecosystems: Vec::new(),
            keys: Vec::new(),
            allow_unsigned: false,
            validation: Validation::default(),
            suites: Vec::new(),
            architectures: Vec::new(),
            max_document_bytes: 0,
        }
    }

    /// Checks the rules a source must follow, naming the first one broken.
    pub fn validate(&self) -> Result<(), String> {
        let name_ok = !self.name.is_empty()
            && self.name.len() <= 64
            && self.name.starts_with(|c: char| c.is_ascii_alphanumeric())
            && self.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'));
        if !name_ok {
            return Err(format!(
                "source name {:?} must be 1 to 64 lowercase letters, digits, '-', '_' or '.', starting with a letter or digit",
                self.name
            ));
        }
        let url = self.url.trim();
        if url.is_empty() {
            return Err("the source needs a URL or path".to_owned());
        }
        if url.chars().any(char::is_control) {
            return Err("the URL contains control characters".to_owned());
        }
        if let Some((scheme, _)) = url.split_once("://")
            && !matches!(scheme, "http" | "https" | "file")
        {
            return Err(format!("unsupported URL scheme {scheme:?}: expected https, http, file or a path"));
        }
        if matches!(
            self.kind,
            SourceType::Parapet | SourceType::Apt | SourceType::Csaf | SourceType::Published | SourceType::MalwarePacks
        ) && !is_http(url)
        {
            return Err(format!("a {} source needs an http or https URL", self.kind));
        }
        if self.validation != Validation::default() && self.kind != SourceType::Csaf {
            return Err(format!("validation = {:?} applies to CSAF sources only", self.validation.as_str()));
        }
        if self.interval_minutes > 60 * 24 * 366 {
            return Err("the interval is longer than a year".to_owned());
        }
        for key in &self.keys {
            if !key.contains("-----BEGIN PGP PUBLIC KEY BLOCK-----") {
                return Err("a key is not an ASCII-armoured OpenPGP public key".to_owned());
            }
        }
        Ok(())
    }

    /// The largest document this source accepts.
    pub fn document_limit(&self) -> u64 {
        match self.max_document_bytes {
            0 => match self.kind {
                // osv.dev's zips and Debian's lists are whole databases in one file.
                SourceType::Osv | SourceType::DebianList | SourceType::Apt => 1 << 30,
                _ => 64 << 20,
            },
            limit => limit,
        }
    }

    /// Whether the filters keep an advisory: one of its packages must pass both.
    pub fn keeps(&self, advisory: &Advisory) -> bool {
        if self.products.is_empty() && self.ecosystems.is_empty() {
            return true;
        }
        advisory.affected.iter().any(|affected| self.keeps_package(&affected.ecosystem, &affected.package))
    }

    /// Whether the filters keep an update.
    pub fn keeps_update(&self, update: &Update) -> bool {
        self.keeps_package(&update.ecosystem, &update.package) || self.keeps_package(&update.ecosystem, &update.source)
    }

    fn keeps_package(&self, ecosystem: &str, package: &str) -> bool {
        let base = ecosystem_base(ecosystem);
        let ecosystem_ok = self.ecosystems.is_empty() || self.ecosystems.iter().any(|e| e.eq_ignore_ascii_case(&base));
        let product_ok = self.products.is_empty()
            || self.products.iter().any(|wanted| {
                let wanted = normalize_name(ecosystem, wanted).to_ascii_lowercase();
                let package = package.to_ascii_lowercase();
                // CPE-named products are `vendor:product`: the product alone matches too.
                package == wanted || package.rsplit(':').next() == Some(wanted.as_str())
            });
        ecosystem_ok && product_ok
    }
}

/// Whether `url` is fetched over HTTP rather than read from the file system.
pub fn is_http(url: &str) -> bool {
    url.starts_with("http://") || url.starts_with("https://")
}

/// The catalog entry a record belongs to: the one CVE it names, else its own ID. A CVE that three
/// sources describe is one entry listing all three; an advisory covering several CVEs (a DSA,
/// say) is an entry of its own, and each of its CVEs still finds it by alias.
pub fn entry_of(advisory: &Advisory) -> String {
    let mut cves = advisory.ids().filter(|id| id.starts_with("CVE-"));
    match (cves.next(), cves.next()) {
        (Some(cve), None) => cve.to_owned(),
        _ => advisory.id.clone(),
    }
}

/// How urgent an update is, as the catalog classifies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Classification {
    Bugfix,
    Security,
    /// A security update for an issue rated critical.
    Critical,
}

impl Classification {
    pub fn as_str(self) -> &'static str {
        match self {
            Classification::Bugfix => "bugfix",
            Classification::Security => "security",
            Classification::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Classification> {
        [Classification::Bugfix, Classification::Security, Classification::Critical]
            .into_iter()
            .find(|c| c.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AdvisoryKind, Affected, SourceKind, Status};

    fn advisory(id: &str, aliases: &[&str], packages: &[(&str, &str)]) -> Advisory {
        Advisory {
            id: id.to_owned(),
            aliases: aliases.iter().map(|a| a.to_string()).collect(),
            source: SourceKind::Osv,
            kind: AdvisoryKind::Vulnerability,
            title: String::new(),
            severity: None,
            cvss: None,
            url: None,
            affected: packages
                .iter()
                .map(|(ecosystem, package)| Affected {
                    ecosystem: ecosystem.to_string(),
                    package: package.to_string(),
                    by_source: false,
                    status: Status::Affected,
                    ranges: Vec::new(),
                    versions: Vec::new(),
                    fixed: Vec::new(),
                })
                .collect(),
        }
    }

    #[test]
    fn entries() {
        let cases = [
            (advisory("GHSA-1", &["CVE-2024-1"], &[]), "CVE-2024-1"),
            (advisory("CVE-2024-2", &["GHSA-2"], &[]), "CVE-2024-2"),
            (advisory("DSA-5000-1", &["CVE-2024-3", "CVE-2024-4"], &[]), "DSA-5000-1"),
            (advisory("RUSTSEC-2024-0001", &[], &[]), "RUSTSEC-2024-0001"),
        ];
        for (advisory, entry) in cases {
            assert_eq!(entry_of(&advisory), entry, "{}", advisory.id);
        }
    }

    #[test]
    fn filters() {
        let mut spec = SourceSpec::new("s", SourceType::Osv, "/x");
        let requests = advisory("A", &[], &[("PyPI", "requests")]);
        let openssl = advisory("B", &[], &[("Debian:12", "openssl")]);
        let cpe = advisory("C", &[], &[("CPE", "siemens:simatic_s7")]);
        assert!(spec.keeps(&requests) && spec.keeps(&openssl) && spec.keeps(&cpe));
        spec.ecosystems = vec!["debian".into()];
        assert!(!spec.keeps(&requests) && spec.keeps(&openssl));
        spec.ecosystems.clear();
        spec.products = vec!["Requests".into(), "simatic_s7".into()];
        assert!(spec.keeps(&requests) && !spec.keeps(&openssl) && spec.keeps(&cpe));
    }

    #[test]
    fn validation() {
        let ok = SourceSpec::new("debian-security", SourceType::Apt, "https://deb.debian.org/debian-security");
        assert_eq!(ok.validate(), Ok(()));
        let cases = [
            (SourceSpec::new("Bad Name", SourceType::Osv, "/x"), "source name"),
            (SourceSpec::new("x", SourceType::Osv, ""), "needs a URL"),
            (SourceSpec::new("x", SourceType::Osv, "ftp://h/x"), "unsupported URL scheme"),
            (SourceSpec::new("x", SourceType::Parapet, "/srv/x"), "http or https"),
            (SourceSpec::new("x", SourceType::Csaf, "provider.example"), "http or https"),
            (SourceSpec::new("x", SourceType::Published, "psirt.example"), "http or https"),
        ];
        for (spec, message) in cases {
            let error = spec.validate().unwrap_err();
            assert!(error.contains(message), "{error}");
        }
        assert!("csaf".parse::<SourceType>().is_ok());
        assert!("rss".parse::<SourceType>().unwrap_err().contains("expected one of csaf, osv"));
    }
}
