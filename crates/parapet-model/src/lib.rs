//! Parapet's domain model: cases, products, people and the rules between them.
//!
//! Plain data and pure functions. Nothing here does I/O or knows about HTTP or SQL;
//! the store persists these types and the server renders them.

pub mod access;
pub mod advance;
pub mod blog;
pub mod briefing;
pub mod case;
pub mod document;
pub mod error;
pub mod product;
pub mod rating;
pub mod validate;

pub use access::{Permission, Role, Scope, Viewer};
pub use advance::{AdvanceNotice, Summary};
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
pub use product::{Product, ProductFields, ProductInput, ProductVersion, Vendor, VersionFields, VersionInput};
pub use rating::{CvssV3, CvssV4, Severity, SeverityOverride};
