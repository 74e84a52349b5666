//! The files of a CSAF trusted provider directory (CSAF 2.0 section 7.1), made from the list of
//! published documents:
//!
//! ```text
//! /.well-known/csaf/provider-metadata.json
//! /.well-known/csaf/service.json                      ROLIE service document
//! /.well-known/csaf/openpgp/{FINGERPRINT}.asc         the public key
//! /.well-known/csaf/{tlp}/index.txt                   one folder per TLP label
//! /.well-known/csaf/{tlp}/changes.csv
//! /.well-known/csaf/{tlp}/feed-tlp-{tlp}.json         ROLIE feed
//! /.well-known/csaf/{tlp}/category-tlp-{tlp}.json     ROLIE category document
//! /.well-known/csaf/{tlp}/{year}/{file}.json          + .sha256, .sha512, .asc
//! ```
//!
//! Pure functions: the caller reads the entries and writes or serves the results.

use serde_json::{Value, json};
use sha2::{Digest, Sha256, Sha512};
use std::fmt;
use std::str::FromStr;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const CSAF_SCHEMA: &str = "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json";
const INFORMATION_TYPE: &str = "urn:ietf:params:rolie:category:information-type";

/// The distribution label of a document: a TLP label, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Label {
    White,
    Green,
    Amber,
    Red,
    Unlabeled,
}

impl Label {
    pub const ALL: [Label; 5] = [Label::White, Label::Green, Label::Amber, Label::Red, Label::Unlabeled];

    /// As `provider-metadata.json` spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Label::White => "WHITE",
            Label::Green => "GREEN",
            Label::Amber => "AMBER",
            Label::Red => "RED",
            Label::Unlabeled => "UNLABELED",
        }
    }

    /// The folder under `/.well-known/csaf/`.
    pub fn folder(self) -> &'static str {
        match self {
            Label::White => "white",
            Label::Green => "green",
            Label::Amber => "amber",
            Label::Red => "red",
            Label::Unlabeled => "unlabeled",
        }
    }

    pub fn from_folder(folder: &str) -> Option<Label> {
        Label::ALL.into_iter().find(|l| l.folder() == folder)
    }

    /// Reads `/document/distribution/tlp/label` (absent means unlabeled).
    pub fn of_document(document: &Value) -> Result<Label, String> {
        match document.pointer("/document/distribution/tlp/label") {
            None => Ok(Label::Unlabeled),
            Some(Value::String(s)) => s.parse(),
            Some(other) => Err(format!("the TLP label is not a string: {other}")),
        }
    }

    /// Whether anyone may read documents with this label (CSAF requirement 4 and 5: TLP:WHITE is
    /// freely accessible, TLP:AMBER and TLP:RED are access protected). TLP:GREEN is shared with a
    /// community, not the world, so it is protected too.
    pub fn is_public(self) -> bool {
        matches!(self, Label::White | Label::Unlabeled)
    }

    /// The ROLIE feed's file name in the label's folder.
    pub fn feed_file(self) -> String {
        match self {
            Label::Unlabeled => "feed-unlabeled.json".into(),
            _ => format!("feed-tlp-{}.json", self.folder()),
        }
    }

    /// The ROLIE category document's file name in the label's folder.
    pub fn category_file(self) -> String {
        match self {
            Label::Unlabeled => "category-unlabeled.json".into(),
            _ => format!("category-tlp-{}.json", self.folder()),
        }
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Label {
    type Err = String;
    fn from_str(s: &str) -> Result<Label, String> {
        Label::ALL
            .into_iter()
            .find(|l| l.as_str() == s)
            .ok_or_else(|| format!("unknown TLP label {s:?}; expected WHITE, GREEN, AMBER or RED"))
    }
}

/// The path of a document inside its TLP folder: the year of its initial release, then the file
/// name CSAF section 5.1 derives from its tracking ID. The file name keeps only `[a-z0-9+-]` and
/// `_`, so no ID can leave the folder or break the name.
pub fn document_path(initial_release: OffsetDateTime, tracking_id: &str) -> String {
    format!("{:04}/{}", initial_release.year(), parapet_csaf::file_name(tracking_id))
}

/// The SHA-256 and SHA-512 of a file, as lower-case hex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digests {
    pub sha256: String,
    pub sha512: String,
}

impl Digests {
    pub fn of(bytes: &[u8]) -> Digests {
        Digests { sha256: hex::encode(Sha256::digest(bytes)), sha512: hex::encode(Sha512::digest(bytes)) }
    }
}

/// The content of a `.sha256` or `.sha512` file: the hex digest, two spaces, the file name, as
/// `sha256sum` writes it (so `sha256sum -c` reads it).
pub fn hash_file(hex_digest: &str, file_name: &str) -> String {
    format!("{hex_digest}  {file_name}\n")
}

/// One published document, as the directory lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub tracking_id: String,
    pub title: String,
    pub label: Label,
    /// Inside the TLP folder: `2026/psb-2026-014.json`.
    pub path: String,
    pub initial_release: OffsetDateTime,
    pub current_release: OffsetDateTime,
    /// `/document/category`, such as `csaf_security_advisory`.
    pub category: String,
}

/// RFC 3339 in UTC to the millisecond, as the CSAF examples write timestamps.
pub fn timestamp(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    let at = at.replace_nanosecond(at.millisecond() as u32 * 1_000_000).unwrap_or(at);
    at.format(&Rfc3339).unwrap_or_default()
}

/// `index.txt`: every document path of one TLP folder, one per line, sorted.
pub fn index_txt(entries: &[Entry]) -> String {
    let mut paths: Vec<&str> = entries.iter().map(|e| e.path.as_str()).collect();
    paths.sort_unstable();
    paths.iter().map(|p| format!("{p}\n")).collect()
}

/// `changes.csv`: path and current release date of every document of one TLP folder, latest first,
/// no heading.
pub fn changes_csv(entries: &[Entry]) -> String {
    let mut sorted: Vec<&Entry> = entries.iter().collect();
    sorted.sort_by(|a, b| b.current_release.cmp(&a.current_release).then_with(|| a.path.cmp(&b.path)));
    sorted
        .iter()
        .map(|e| format!("\"{}\",\"{}\"\n", e.path.replace('"', "\"\""), timestamp(e.current_release)))
        .collect()
}

/// Who runs the provider and where it is served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    /// Ends with `/.well-known/csaf`, no trailing slash.
    pub base_url: String,
    pub publisher_category: String,
    pub publisher_name: String,
    pub publisher_namespace: String,
    pub publisher_contact_details: Option<String>,
    /// The signing key's fingerprint (40 hex digits).
    pub fingerprint: String,
}

impl Provider {
    pub fn metadata_url(&self) -> String {
        format!("{}/provider-metadata.json", self.base_url)
    }

    pub fn key_url(&self) -> String {
        format!("{}/openpgp/{}.asc", self.base_url, self.fingerprint)
    }

    pub fn service_url(&self) -> String {
        format!("{}/service.json", self.base_url)
    }

    pub fn feed_url(&self, label: Label) -> String {
        format!("{}/{}/{}", self.base_url, label.folder(), label.feed_file())
    }

    pub fn category_url(&self, label: Label) -> String {
        format!("{}/{}/{}", self.base_url, label.folder(), label.category_file())
    }

    pub fn document_url(&self, entry: &Entry) -> String {
        format!("{}/{}/{}", self.base_url, entry.label.folder(), entry.path)
    }

    /// `provider-metadata.json` for a provider whose documents carry the given labels. The WHITE
    /// feed is always listed, empty or not, so that a new provider is already valid.
    pub fn metadata(&self, labels: &[Label], last_updated: OffsetDateTime) -> Value {
        let labels = with_white(labels);
        let feeds: Vec<Value> = labels
            .iter()
            .map(|l| {
                json!({
                    "summary": format!("{} documents of {}", l.as_str(), self.publisher_name),
                    "tlp_label": l.as_str(),
                    "url": self.feed_url(*l),
                })
            })
            .collect();
        let categories: Vec<String> = labels.iter().map(|l| self.category_url(*l)).collect();
        let mut publisher = json!({
            "category": self.publisher_category,
            "name": self.publisher_name,
            "namespace": self.publisher_namespace,
        });
        if let Some(contact) = &self.publisher_contact_details {
            publisher["contact_details"] = json!(contact);
        }
        json!({
            "canonical_url": self.metadata_url(),
            // The same TLP:WHITE documents are also a directory (index.txt, changes.csv and a
            // folder per year), for consumers that read those rather than ROLIE.
            "distributions": [
                {
                    "rolie": {
                        "categories": categories,
                        "feeds": feeds,
                        "services": [self.service_url()],
                    }
                },
                {"directory_url": format!("{}/{}", self.base_url, Label::White.folder())}
            ],
            "last_updated": timestamp(last_updated),
            "list_on_CSAF_aggregators": true,
            "metadata_version": "2.0",
            "mirror_on_CSAF_aggregators": true,
            "public_openpgp_keys": [{"fingerprint": self.fingerprint, "url": self.key_url()}],
            "publisher": publisher,
            "role": "csaf_trusted_provider",
        })
    }

    /// The ROLIE feed (RFC 8322) of one TLP folder, newest first.
    pub fn feed(&self, label: Label, entries: &[Entry], updated: OffsetDateTime) -> Value {
        let mut sorted: Vec<&Entry> = entries.iter().collect();
        sorted.sort_by(|a, b| b.current_release.cmp(&a.current_release).then_with(|| a.path.cmp(&b.path)));
        let items: Vec<Value> = sorted
            .iter()
            .map(|e| {
                let url = self.document_url(e);
                json!({
                    "id": e.tracking_id,
                    "title": e.title,
                    "link": [
                        {"rel": "self", "href": url},
                        {"rel": "hash", "href": format!("{url}.sha256")},
                        {"rel": "hash", "href": format!("{url}.sha512")},
                        {"rel": "signature", "href": format!("{url}.asc")},
                    ],
                    "published": timestamp(e.initial_release),
                    "updated": timestamp(e.current_release),
                    "summary": {"content": e.title},
                    "content": {"type": "application/json", "src": url},
                    "format": {"schema": CSAF_SCHEMA, "version": "2.0"},
                })
            })
            .collect();
        json!({
            "feed": {
                "id": format!("{}-csaf-feed-{}", slug(&self.publisher_name), label.folder()),
                "title": format!("{} CSAF feed ({})", self.publisher_name, tlp_title(label)),
                "link": [{"rel": "self", "href": self.feed_url(label)}],
                "category": [{"scheme": INFORMATION_TYPE, "term": "csaf"}],
                "updated": timestamp(updated),
                "entry": items,
            }
        })
    }

    /// The ROLIE service document listing every feed.
    pub fn service(&self, labels: &[Label]) -> Value {
        let collections: Vec<Value> = with_white(labels)
            .iter()
            .map(|l| {
                json!({
                    "title": format!("{} CSAF feed ({})", self.publisher_name, tlp_title(*l)),
                    "href": self.feed_url(*l),
                    "categories": {"category": [{"scheme": INFORMATION_TYPE, "term": "csaf"}]},
                })
            })
            .collect();
        json!({
            "service": {
                "workspace": [{"title": format!("{} CSAF documents", self.publisher_name), "collection": collections}]
            }
        })
    }
}

/// The ROLIE category document of one TLP folder: the document categories it holds.
pub fn category_document(entries: &[Entry]) -> Value {
    let mut terms: Vec<&str> = entries.iter().map(|e| e.category.as_str()).collect();
    terms.sort_unstable();
    terms.dedup();
    let category: Vec<Value> = terms.iter().map(|t| json!({"term": t})).collect();
    json!({"categories": {"category": category}})
}

fn with_white(labels: &[Label]) -> Vec<Label> {
    let mut all: Vec<Label> = labels.to_vec();
    all.push(Label::White);
    all.sort_unstable();
    all.dedup();
    all
}

fn tlp_title(label: Label) -> String {
    match label {
        Label::Unlabeled => "unlabeled".into(),
        l => format!("TLP:{}", l.as_str()),
    }
}

fn slug(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn paths_stay_inside_their_folder() {
        let at = datetime!(2026-03-10 17:00 UTC);
        let table = [
            ("PSB-2026-014", "2026/psb-2026-014.json"),
            ("../../etc/passwd", "2026/_etc_passwd.json"),
            ("a/b\\c\0d", "2026/a_b_c_d.json"),
            ("ICSA-24-352-04", "2026/icsa-24-352-04.json"),
        ];
        for (id, path) in table {
            assert_eq!(document_path(at, id), path, "{id}");
        }
    }

    #[test]
    fn changes_are_latest_first_and_quoted() {
        let entry = |path: &str, at: OffsetDateTime| Entry {
            tracking_id: path.into(),
            title: "t".into(),
            label: Label::White,
            path: path.into(),
            initial_release: at,
            current_release: at,
            category: "csaf_security_advisory".into(),
        };
        let entries = [
            entry("2025/a.json", datetime!(2025-01-01 00:00 UTC)),
            entry("2026/b.json", datetime!(2026-02-03 04:05:06.789 UTC)),
        ];
        assert_eq!(
            changes_csv(&entries),
            "\"2026/b.json\",\"2026-02-03T04:05:06.789Z\"\n\"2025/a.json\",\"2025-01-01T00:00:00Z\"\n"
        );
        assert_eq!(index_txt(&entries), "2025/a.json\n2026/b.json\n");
    }

    #[test]
    fn labels_read_from_documents() {
        let doc = |label: Value| json!({"document": {"distribution": {"tlp": {"label": label}}}});
        assert_eq!(Label::of_document(&doc(json!("WHITE"))), Ok(Label::White));
        assert_eq!(Label::of_document(&json!({"document": {}})), Ok(Label::Unlabeled));
        assert!(Label::of_document(&doc(json!("CLEAR"))).is_err());
        assert_eq!(slug("Acme Corp. PSIRT"), "acme-corp-psirt");
    }
}
