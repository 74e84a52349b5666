//! Renders a security bulletin or advisory (`parapet_model::Document`) in the machine formats:
//! CSAF 2.0 ([`csaf::document`]), one OSV record per vulnerability ([`osv::records`]) and one
//! CVE JSON 5 record per CVE ([`cve::records`]).
//!
//! Pure functions over the model: no I/O, no clock. The output is deterministic (products are
//! sorted and numbered, `CSAFPID-0001`…), so a published revision always renders to the same
//! bytes. The latest revision is rendered; a draft renders as a preview with status `draft`.

pub mod csaf;
pub mod cve;
pub mod osv;
mod products;

use parapet_model::Document;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Who publishes, and where: the parts of the output that come from the server's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The publisher's name, as CSAF's `document.publisher.name`.
    pub publisher_name: String,
    /// The publisher's namespace, an `https://` URL that identifies it.
    pub publisher_namespace: String,
    /// How to reach the publisher, e.g. `mailto:security@acme.example`.
    pub contact_details: Option<String>,
    /// The public base URL of the security response center, without a trailing slash: documents
    /// are served under it (pages at `/documents/{id}`, CSAF under `/.well-known/csaf/`).
    pub public_url: String,
    /// The CNA's organization UUID in the CVE program.
    pub cna_org_id: String,
    /// The CNA's short name in the CVE program.
    pub cna_short_name: String,
    /// A legal disclaimer added to every CSAF document.
    pub disclaimer: Option<String>,
}

/// The file name CSAF section 5.1 derives from a document ID (`PSB-2026-014` → `psb-2026-014.json`).
pub use parapet_csaf::file_name;

/// The canonical URL of a document's CSAF file in the trusted provider directory: one folder per
/// TLP label, then one per year of the initial release.
pub fn csaf_url(document: &Document, settings: &Settings) -> String {
    let year = document.initial_release().map_or(0, |d| d.year());
    format!(
        "{}/.well-known/csaf/{}/{year}/{}",
        settings.public_url,
        document.tlp.as_str().to_ascii_lowercase(),
        file_name(&document.id)
    )
}

/// The URL of a document's page in the security update guide.
pub fn page_url(id: &str, settings: &Settings) -> String {
    format!("{}/documents/{id}", settings.public_url)
}

/// An instant as RFC 3339 in UTC, to the second.
fn timestamp(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC).replace_nanosecond(0).unwrap_or(at);
    at.format(&Rfc3339).unwrap_or_default()
}

/// The identifier of a vulnerability outside CVE: the document ID and its place among the
/// document's vulnerabilities that have no CVE (`PSA-2026-003-1`).
fn local_id(document: &Document, index: usize) -> String {
    let n = document.vulnerabilities[..=index].iter().filter(|v| v.cve.is_none()).count();
    format!("{}-{n}", document.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names() {
        for (id, expected) in [
            ("PSB-2026-014", "psb-2026-014.json"),
            ("ACME_SA.2026/1", "acme_sa_2026_1.json"),
            ("a..b++c", "a_b++c.json"),
        ] {
            assert_eq!(file_name(id), expected, "{id}");
        }
    }

    #[test]
    fn timestamps_are_utc_seconds() {
        let at = time::macros::datetime!(2026-12-08 10:00:00.123 -8);
        assert_eq!(timestamp(at), "2026-12-08T18:00:00Z");
    }
}
