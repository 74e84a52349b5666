//! Parapet's domain model: cases, products, people and the rules between them.
//!
//! Plain data and pure functions. Nothing here does I/O or knows about HTTP or SQL;
//! the store persists these types and the server renders them.

pub mod access;
pub mod advance;
pub mod audit;
pub mod blog;
pub mod briefing;
pub mod case;
pub mod document;
pub mod error;
pub mod fleet;
pub mod malware;
pub mod product;
pub mod rating;
pub mod rollout;
pub mod validate;

pub use access::{Permission, Role, Scope, Viewer};
pub use advance::{AdvanceNotice, Summary};
pub use audit::{AuditAction, Entity};
pub use blog::{Post, PostFields, PostInput, PostStatus};
pub use briefing::{Briefing, BriefingInput};
pub use case::{
    AffectedInput, AffectedProduct, Case, CaseDraft, CaseFields, CaseKey, CaseState, CvssScores, Exploitability,
    ExploitabilityIndex, MessageVisibility,
};
pub use document::{
    Acknowledgment, AdvisoryCategory, Change, Cwe, Document, DocumentKind, DocumentState, Faq, IdPattern, Impact,
    Publication, Reference, Revision, RevisionKind, RevisionNumber, RevisionStatus, Tlp, Update, Vulnerability,
    Workaround,
};
pub use error::FieldError;
pub use fleet::{
    CheckIn, CheckInAnswer, Enroll, Enrolled, HardenDrift, HardenReport, HostFacts, InstalledPackage, Job, JobOutcome,
    JobPackage, JobReport, JobWork, PackageChange, PackageManager, Tag, Wanted,
};
pub use product::{Product, ProductFields, ProductInput, ProductVersion, Vendor, VersionFields, VersionInput};
pub use rating::{CvssV3, CvssV4, Severity, SeverityOverride};

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    /// The field an unknown value is refused for, or `None` when it parses.
    fn refused<T: FromStr<Err = FieldError>>(value: &str) -> Option<&'static str> {
        T::from_str(value).err().map(|e| {
            assert!(e.message.contains(value), "the message quotes {value:?}: {}", e.message);
            e.field
        })
    }

    type Parser = fn(&str) -> Option<&'static str>;

    /// Every value that comes from a form or a request as a word: the known ones parse, and an
    /// unknown one is refused naming its field (what the API reports and the console shows).
    #[test]
    fn status_words_parse_or_name_their_field() {
        let table: [(&str, Parser, &[&str]); 7] = [
            ("role", refused::<Role>, &["admin", "analyst", "publisher", "auditor"]),
            ("state", refused::<CaseState>, &["new", "triaged", "disclosed", "rejected", "duplicate"]),
            ("visibility", refused::<MessageVisibility>, &["internal", "reporter"]),
            ("status", refused::<RevisionStatus>, &["final", "interim", "draft"]),
            ("change", refused::<Change>, &["minor", "major"]),
            ("kind", refused::<DocumentKind>, &["bulletin", "advisory"]),
            ("severity", refused::<Severity>, &["critical", "important", "moderate", "low"]),
        ];
        for (field, parse, known) in table {
            for value in known {
                assert_eq!(parse(value), None, "{field} {value:?} parses");
            }
            for unknown in ["", "Final", "everything", "internal "] {
                if known.contains(&unknown) {
                    continue;
                }
                assert_eq!(parse(unknown), Some(field), "{field} refuses {unknown:?}");
            }
        }
    }
}
