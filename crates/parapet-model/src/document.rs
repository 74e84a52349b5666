//! Published documents: security bulletins (fixes for one or more vulnerabilities) and security
//! advisories (guidance that may not need a bulletin), with their revision history.
//!
//! A document's content is its latest revision. A revision that is published (interim or final)
//! never changes: a correction is a new revision (minor for informational changes, major when
//! customers must act again), and withdrawing or superseding a document is a revision too, never a
//! deletion. [`Document::check_amendment`] is the rule a store applies before it saves a change.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use time::OffsetDateTime;

use crate::FieldError;
use crate::case::{CvssScores, Exploitability};
use crate::product::{Product, ProductVersion};
use crate::rating::Severity;
use crate::validate;

/// Longest title and summary line accepted, in characters.
pub const MAX_TITLE: usize = 300;
pub const MAX_TEXT: usize = 50_000;
pub const MAX_LINE: usize = 300;
const MAX_ID: usize = 100;

/// The two kinds of documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// Announces the fixes for one or more vulnerabilities.
    Bulletin,
    /// Guidance on a security-relevant change, with or without CVEs.
    Advisory,
}

impl DocumentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::Bulletin => "bulletin",
            DocumentKind::Advisory => "advisory",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DocumentKind::Bulletin => "Security bulletin",
            DocumentKind::Advisory => "Security advisory",
        }
    }

    /// The ID pattern used when none is configured.
    pub fn default_pattern(self) -> &'static str {
        match self {
            DocumentKind::Bulletin => "PSB-{year}-{seq:03}",
            DocumentKind::Advisory => "PSA-{year}-{seq:03}",
        }
    }
}

impl FromStr for DocumentKind {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, FieldError> {
        match s {
            "bulletin" => Ok(DocumentKind::Bulletin),
            "advisory" => Ok(DocumentKind::Advisory),
            other => Err(FieldError::new("kind", format!("unknown kind {other:?}; expected bulletin or advisory"))),
        }
    }
}

/// What an advisory is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdvisoryCategory {
    DefenceInDepth,
    Configuration,
    ThirdParty,
}

impl AdvisoryCategory {
    pub fn as_str(self) -> &'static str {
        match self {
            AdvisoryCategory::DefenceInDepth => "defence_in_depth",
            AdvisoryCategory::Configuration => "configuration",
            AdvisoryCategory::ThirdParty => "third_party",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AdvisoryCategory::DefenceInDepth => "Defence in depth",
            AdvisoryCategory::Configuration => "Configuration",
            AdvisoryCategory::ThirdParty => "Third-party component",
        }
    }
}

/// A revision's status, as CSAF's `document.tracking.status` states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevisionStatus {
    /// Being edited; not published.
    Draft,
    /// Published, more changes expected.
    Interim,
    /// Published.
    Final,
}

impl RevisionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RevisionStatus::Draft => "draft",
            RevisionStatus::Interim => "interim",
            RevisionStatus::Final => "final",
        }
    }

    pub fn is_published(self) -> bool {
        self != RevisionStatus::Draft
    }
}

impl FromStr for RevisionStatus {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, FieldError> {
        match s {
            "draft" => Ok(RevisionStatus::Draft),
            "interim" => Ok(RevisionStatus::Interim),
            "final" => Ok(RevisionStatus::Final),
            other => {
                Err(FieldError::new("status", format!("unknown status {other:?}; expected draft, interim or final")))
            }
        }
    }
}

/// The Traffic Light Protocol label, as CSAF 2.0 names it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Tlp {
    #[default]
    White,
    Green,
    Amber,
    Red,
}

impl Tlp {
    pub fn as_str(self) -> &'static str {
        match self {
            Tlp::White => "WHITE",
            Tlp::Green => "GREEN",
            Tlp::Amber => "AMBER",
            Tlp::Red => "RED",
        }
    }
}

/// What an attacker gains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Impact {
    RemoteCodeExecution,
    ElevationOfPrivilege,
    InformationDisclosure,
    DenialOfService,
    Spoofing,
    Tampering,
    SecurityFeatureBypass,
}

impl Impact {
    pub fn label(self) -> &'static str {
        match self {
            Impact::RemoteCodeExecution => "Remote code execution",
            Impact::ElevationOfPrivilege => "Elevation of privilege",
            Impact::InformationDisclosure => "Information disclosure",
            Impact::DenialOfService => "Denial of service",
            Impact::Spoofing => "Spoofing",
            Impact::Tampering => "Tampering",
            Impact::SecurityFeatureBypass => "Security feature bypass",
        }
    }
}

/// How big a change a new revision is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Informational: a corrected text, a new FAQ entry, an acknowledgment (1.0 → 1.1).
    Minor,
    /// Customers must act again, e.g. a re-released update (1.1 → 2.0).
    Major,
}

impl FromStr for Change {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, FieldError> {
        match s {
            "minor" => Ok(Change::Minor),
            "major" => Ok(Change::Major),
            other => Err(FieldError::new("change", format!("unknown change {other:?}; expected minor or major"))),
        }
    }
}

/// A revision number such as `1.0`, `1.1` or `2.0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RevisionNumber {
    pub major: u32,
    pub minor: u32,
}

impl RevisionNumber {
    /// The number of the first release.
    pub const FIRST: RevisionNumber = RevisionNumber { major: 1, minor: 0 };

    pub fn next(self, change: Change) -> RevisionNumber {
        match change {
            Change::Minor => RevisionNumber { major: self.major, minor: self.minor + 1 },
            Change::Major => RevisionNumber { major: self.major + 1, minor: 0 },
        }
    }
}

impl fmt::Display for RevisionNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl FromStr for RevisionNumber {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, FieldError> {
        let number = |part: &str| {
            (!part.is_empty() && part.len() <= 6 && part.bytes().all(|b| b.is_ascii_digit()))
                .then(|| part.parse::<u32>().ok())
                .flatten()
        };
        s.split_once('.')
            .and_then(|(major, minor)| Some(RevisionNumber { major: number(major)?, minor: number(minor)? }))
            .ok_or_else(|| FieldError::new("revision", format!("{s:?} is not a revision number like 1.0 or 2.1")))
    }
}

impl TryFrom<String> for RevisionNumber {
    type Error = FieldError;
    fn try_from(s: String) -> Result<Self, FieldError> {
        s.parse()
    }
}

impl From<RevisionNumber> for String {
    fn from(n: RevisionNumber) -> String {
        n.to_string()
    }
}

/// What a revision does besides carrying the document's content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RevisionKind {
    /// A release or an update of the content.
    Content,
    /// The document no longer applies.
    Withdrawal,
    /// Another document replaces this one.
    Supersession { by: String },
}

/// One entry of the revision history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revision {
    pub number: RevisionNumber,
    /// The release instant; for a draft, the planned one.
    #[serde(with = "time::serde::rfc3339")]
    pub date: OffsetDateTime,
    /// One line saying what changed.
    pub summary: String,
    pub status: RevisionStatus,
    #[serde(flatten)]
    pub kind: RevisionKind,
}

/// A link to more information.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    pub url: String,
    pub summary: String,
}

/// A CWE entry, with its name as the CWE List spells it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cwe {
    pub id: String,
    pub name: String,
}

/// A workaround and how to undo it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workaround {
    pub text: String,
    pub undo: Option<String>,
}

/// A question customers ask, with the answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Faq {
    pub question: String,
    pub answer: String,
}

/// People credited, optionally with their organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acknowledgment {
    pub names: Vec<String>,
    pub organization: Option<String>,
}

/// One vulnerability a document covers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vulnerability {
    /// The case it comes from, if any.
    pub case_id: Option<i64>,
    pub cve: Option<String>,
    pub title: String,
    pub description: String,
    pub cwe: Option<Cwe>,
    pub cvss: CvssScores,
    /// The vendor rating; `None` derives it from CVSS.
    pub severity: Option<Severity>,
    pub impact: Option<Impact>,
    pub exploitability: Exploitability,
    pub mitigations: Vec<String>,
    pub workarounds: Vec<Workaround>,
    pub faq: Vec<Faq>,
    pub acknowledgments: Vec<Acknowledgment>,
    /// The affected product versions, by [`ProductVersion::id`].
    pub affected: Vec<i64>,
}

impl Vulnerability {
    /// The vendor rating in force: the one given, else the one derived from CVSS.
    pub fn effective_severity(&self) -> Option<Severity> {
        self.severity.or_else(|| Severity::derive(self.cvss.v31.as_ref(), self.cvss.v4.as_ref()))
    }
}

/// An update that fixes a product, on one branch or on all of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Update {
    pub product_id: i64,
    /// The branch it fixes (as [`ProductVersion::branch`]); `None` fixes every branch that has no
    /// update of its own.
    pub branch: Option<String>,
    pub fixed_version: String,
    /// The fixed package, when the product is distributed as one.
    pub purl: Option<String>,
    /// Where to get it: a package page or a download.
    pub url: Option<String>,
    pub restart_required: bool,
}

/// Where a document stands, from its latest published revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocumentState {
    /// No revision published yet.
    Unpublished,
    Active,
    Withdrawn,
    Superseded {
        by: String,
    },
}

/// A published revision as the trusted provider directory and the security update guide serve
/// it: the signed CSAF file, and what the guide lists and searches. Made from a [`Document`] at
/// publication, or from an existing CSAF document on import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Publication {
    pub document_id: String,
    /// `/document/tracking/version`.
    pub version: String,
    pub kind: DocumentKind,
    pub title: String,
    /// The TLP label as CSAF's provider metadata spells it (`WHITE`…, or `UNLABELED`).
    pub label: String,
    /// Inside the label's folder: `YYYY/file.json`.
    pub path: String,
    /// `/document/category`.
    pub category: String,
    pub severity: Option<Severity>,
    /// `active`, `withdrawn` or `superseded`.
    pub status: String,
    /// The monthly release (`YYYY-MM`) it came out in; `None` out of band.
    pub release_month: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub initial_release: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub current_release: OffsetDateTime,
    /// The CSAF file, byte for byte as served and signed.
    #[serde(skip)]
    pub csaf: String,
    pub sha256: String,
    pub sha512: String,
    /// The detached ASCII-armoured OpenPGP signature of `csaf`.
    #[serde(skip)]
    pub signature: String,
    /// The [`Document`] as published, as JSON; `None` for imported documents.
    #[serde(skip)]
    pub snapshot: Option<String>,
    pub cves: Vec<String>,
    /// Full product names, for the guide's product filter.
    pub products: Vec<String>,
}

/// A security bulletin or advisory: its content is that of the latest revision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    pub id: String,
    pub kind: DocumentKind,
    pub title: String,
    /// The executive summary.
    pub summary: String,
    /// Advisories only.
    pub category: Option<AdvisoryCategory>,
    pub tlp: Tlp,
    /// Oldest first; only the last may be a draft.
    pub revisions: Vec<Revision>,
    /// The products named, with the versions the vulnerabilities affect.
    pub products: Vec<Product>,
    pub vulnerabilities: Vec<Vulnerability>,
    pub updates: Vec<Update>,
    pub references: Vec<Reference>,
    /// IDs of the documents this one replaces.
    pub replaces: Vec<String>,
}

impl Document {
    /// The latest revision.
    pub fn current(&self) -> Option<&Revision> {
        self.revisions.last()
    }

    /// The first revision's date: when the document was first released.
    pub fn initial_release(&self) -> Option<OffsetDateTime> {
        self.revisions.first().map(|r| r.date)
    }

    /// The highest vendor rating of the vulnerabilities.
    pub fn severity(&self) -> Option<Severity> {
        self.vulnerabilities.iter().filter_map(Vulnerability::effective_severity).max()
    }

    /// Whether installing any of the updates needs a restart.
    pub fn restart_required(&self) -> bool {
        self.updates.iter().any(|u| u.restart_required)
    }

    pub fn state(&self) -> DocumentState {
        match self.revisions.iter().rev().find(|r| r.status.is_published()).map(|r| &r.kind) {
            None => DocumentState::Unpublished,
            Some(RevisionKind::Content) => DocumentState::Active,
            Some(RevisionKind::Withdrawal) => DocumentState::Withdrawn,
            Some(RevisionKind::Supersession { by }) => DocumentState::Superseded { by: by.clone() },
        }
    }

    /// A product version named by ID, with its product.
    pub fn version(&self, id: i64) -> Option<(&Product, &ProductVersion)> {
        self.products.iter().find_map(|p| p.versions.iter().find(|v| v.id == id).map(|v| (p, v)))
    }

    /// The update that fixes a product version: the one for its branch, else the one for every
    /// branch.
    pub fn update_for(&self, version: &ProductVersion) -> Option<&Update> {
        let of_product = || self.updates.iter().filter(|u| u.product_id == version.product_id);
        of_product()
            .find(|u| u.branch.is_some() && u.branch == version.branch)
            .or_else(|| of_product().find(|u| u.branch.is_none()))
    }

    /// Starts a new draft revision after the published ones.
    pub fn revise(
        &mut self,
        change: Change,
        date: OffsetDateTime,
        summary: &str,
    ) -> Result<RevisionNumber, FieldError> {
        self.push_revision(change, date, summary, RevisionKind::Content)
    }

    /// Withdraws the document: a new minor revision saying why. The document's readers need do
    /// nothing new because of it, and its history stays.
    pub fn withdraw(&mut self, date: OffsetDateTime, reason: &str) -> Result<RevisionNumber, FieldError> {
        self.push_revision(Change::Minor, date, reason, RevisionKind::Withdrawal)
    }

    /// Marks the document as superseded by another: a new minor revision pointing to it.
    pub fn supersede(&mut self, by: &str, date: OffsetDateTime, reason: &str) -> Result<RevisionNumber, FieldError> {
        let by = document_id("superseded_by", by)?;
        if by == self.id {
            return Err(FieldError::new("superseded_by", "a document cannot supersede itself"));
        }
        self.push_revision(Change::Minor, date, reason, RevisionKind::Supersession { by })
    }

    fn push_revision(
        &mut self,
        change: Change,
        date: OffsetDateTime,
        summary: &str,
        kind: RevisionKind,
    ) -> Result<RevisionNumber, FieldError> {
        let summary = one_line("revisions.summary", summary)?;
        let Some(last) = self.revisions.last() else {
            return Err(FieldError::new("revisions", "the document has no first revision to follow"));
        };
        if !last.status.is_published() {
            return Err(FieldError::new(
                "revisions",
                format!("revision {} is still a draft: edit it rather than starting another", last.number),
            ));
        }
        if !matches!(self.state(), DocumentState::Active) {
            return Err(FieldError::new("revisions", "the document is withdrawn or superseded; it takes no revisions"));
        }
        if date < last.date {
            return Err(FieldError::new("revisions.date", format!("is earlier than revision {}", last.number)));
        }
        let number = last.number.next(change);
        self.revisions.push(Revision { number, date, summary, status: RevisionStatus::Draft, kind });
        Ok(number)
    }

    /// Publishes the draft revision at `date` as interim or final.
    pub fn publish(&mut self, status: RevisionStatus, date: OffsetDateTime) -> Result<RevisionNumber, FieldError> {
        if !status.is_published() {
            return Err(FieldError::new("status", "publish as interim or final"));
        }
        let earlier = self.revisions.iter().rev().nth(1).map(|r| (r.number, r.date));
        let Some(draft) = self.revisions.last_mut().filter(|r| !r.status.is_published()) else {
            return Err(FieldError::new("revisions", "there is no draft revision to publish"));
        };
        if let Some((number, before)) = earlier.filter(|(_, before)| date < *before) {
            return Err(FieldError::new(
                "revisions.date",
                format!("{date} is earlier than revision {number} ({before})"),
            ));
        }
        draft.status = status;
        draft.date = date;
        Ok(draft.number)
    }

    /// The rule a store applies before replacing `published` by `next`: same ID and kind, the
    /// published revisions unchanged, and the content changed only under a new revision.
    pub fn check_amendment(published: &Document, next: &Document) -> Result<(), FieldError> {
        if next.id != published.id || next.kind != published.kind {
            return Err(FieldError::new("id", "a document's ID and kind never change"));
        }
        for (i, old) in published.revisions.iter().enumerate().filter(|(_, r)| r.status.is_published()) {
            if next.revisions.get(i) != Some(old) {
                return Err(FieldError::new(
                    "revisions",
                    format!("revision {} is published and cannot change or disappear", old.number),
                ));
            }
        }
        let last_published = published.revisions.last().is_some_and(|r| r.status.is_published());
        if last_published && next.revisions.len() == published.revisions.len() && next != published {
            let number = published.revisions.last().map(|r| r.number).unwrap_or(RevisionNumber::FIRST);
            return Err(FieldError::new(
                "revisions",
                format!("revision {number} is published; start a new revision to change the document"),
            ));
        }
        Ok(())
    }

    /// Checks the whole document; every problem is reported, each naming its field.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut check = |result: Result<(), FieldError>| {
            if let Err(e) = result {
                errors.push(e);
            }
        };
        check(document_id("id", &self.id).map(drop));
        check(validate::required_text("title", &self.title, MAX_TITLE).map(drop));
        check(validate::required_text("summary", &self.summary, MAX_TEXT).map(drop));
        if self.kind == DocumentKind::Bulletin && self.category.is_some() {
            check(Err(FieldError::new("category", "only advisories have a category")));
        }
        check(self.check_revisions());
        for id in &self.replaces {
            check(document_id("replaces", id).map(drop));
        }
        for reference in &self.references {
            check(https_url("references.url", &reference.url));
            check(validate::required_text("references.summary", &reference.summary, MAX_LINE).map(drop));
        }
        check(self.check_products());
        for v in &self.vulnerabilities {
            check(self.check_vulnerability(v));
        }
        check(self.check_updates());
        let mut cves: Vec<&str> = self.vulnerabilities.iter().filter_map(|v| v.cve.as_deref()).collect();
        cves.sort_unstable();
        if let Some(pair) = cves.windows(2).find(|pair| pair[0] == pair[1]) {
            check(Err(FieldError::new("vulnerabilities.cve", format!("{} is listed twice", pair[0]))));
        }
        match self.kind {
            DocumentKind::Bulletin if self.vulnerabilities.is_empty() => check(Err(FieldError::new(
                "vulnerabilities",
                "a bulletin announces fixes for at least one vulnerability",
            ))),
            DocumentKind::Bulletin if self.updates.is_empty() => {
                check(Err(FieldError::new("updates", "a bulletin names the updates that fix it")))
            }
            DocumentKind::Advisory if self.vulnerabilities.is_empty() && self.references.is_empty() => {
                check(Err(FieldError::new("references", "an advisory without vulnerabilities needs a reference")))
            }
            _ => {}
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }

    fn check_revisions(&self) -> Result<(), FieldError> {
        let Some(first) = self.revisions.first() else {
            return Err(FieldError::new("revisions", "a document has at least its first revision"));
        };
        if first.number != RevisionNumber::FIRST {
            return Err(FieldError::new("revisions", format!("the first revision is 1.0, not {}", first.number)));
        }
        for revision in &self.revisions {
            one_line("revisions.summary", &revision.summary)?;
            if let RevisionKind::Supersession { by } = &revision.kind {
                document_id("superseded_by", by)?;
            }
        }
        for pair in self.revisions.windows(2) {
            let (before, after) = (&pair[0], &pair[1]);
            if !before.status.is_published() {
                return Err(FieldError::new(
                    "revisions",
                    format!("revision {} is a draft but is followed by {}", before.number, after.number),
                ));
            }
            if ![Change::Minor, Change::Major].iter().any(|c| before.number.next(*c) == after.number) {
                return Err(FieldError::new(
                    "revisions",
                    format!(
                        "revision {} cannot follow {}: expected {} or {}",
                        after.number,
                        before.number,
                        before.number.next(Change::Minor),
                        before.number.next(Change::Major)
                    ),
                ));
            }
            if after.date < before.date {
                return Err(FieldError::new(
                    "revisions.date",
                    format!("revision {} is dated before revision {}", after.number, before.number),
                ));
            }
            if before.kind != RevisionKind::Content {
                return Err(FieldError::new(
                    "revisions",
                    format!("revision {} withdrew or superseded the document; nothing follows it", before.number),
                ));
            }
        }
        Ok(())
    }

    fn check_products(&self) -> Result<(), FieldError> {
        let mut ids: Vec<i64> = self.products.iter().map(|p| p.id).collect();
        ids.sort_unstable();
        if ids.windows(2).any(|pair| pair[0] == pair[1]) {
            return Err(FieldError::new("products", "a product is listed twice"));
        }
        let mut versions = Vec::new();
        for product in &self.products {
            for version in &product.versions {
                if version.product_id != product.id {
                    return Err(FieldError::new(
                        "products.versions",
                        format!("version {} is listed under {}, not its own product", version.version, product.name),
                    ));
                }
                versions.push(version.id);
            }
        }
        versions.sort_unstable();
        if versions.windows(2).any(|pair| pair[0] == pair[1]) {
            return Err(FieldError::new("products.versions", "a product version is listed twice"));
        }
        Ok(())
    }

    fn check_vulnerability(&self, v: &Vulnerability) -> Result<(), FieldError> {
        let name = v.cve.as_deref().unwrap_or(&v.title);
        if let Some(cve) = &v.cve {
            let normal = validate::cve_id("vulnerabilities.cve", cve)?;
            if &normal != cve {
                return Err(FieldError::new("vulnerabilities.cve", format!("write {cve:?} as {normal:?}")));
            }
        }
        validate::required_text("vulnerabilities.title", &v.title, MAX_TITLE)?;
        validate::required_text("vulnerabilities.description", &v.description, MAX_TEXT)?;
        if let Some(cwe) = &v.cwe {
            validate::cwe_id("vulnerabilities.cwe", &cwe.id)?;
            validate::required_text("vulnerabilities.cwe.name", &cwe.name, MAX_LINE)?;
        }
        for text in &v.mitigations {
            validate::required_text("vulnerabilities.mitigations", text, MAX_TEXT)?;
        }
        for w in &v.workarounds {
            validate::required_text("vulnerabilities.workarounds", &w.text, MAX_TEXT)?;
            if let Some(undo) = &w.undo {
                validate::required_text("vulnerabilities.workarounds.undo", undo, MAX_TEXT)?;
            }
        }
        for faq in &v.faq {
            validate::required_text("vulnerabilities.faq.question", &faq.question, MAX_TEXT)?;
            validate::required_text("vulnerabilities.faq.answer", &faq.answer, MAX_TEXT)?;
        }
        for a in &v.acknowledgments {
            if a.names.is_empty() && a.organization.is_none() {
                return Err(FieldError::new("vulnerabilities.acknowledgments", "name someone or an organization"));
            }
            for n in a.names.iter().chain(&a.organization) {
                validate::required_text("vulnerabilities.acknowledgments", n, MAX_LINE)?;
            }
        }
        if self.kind == DocumentKind::Bulletin {
            if v.affected.is_empty() {
                return Err(FieldError::new("vulnerabilities.affected", format!("{name} affects no product version")));
            }
            if v.effective_severity().is_none() {
                return Err(FieldError::new(
                    "vulnerabilities.severity",
                    format!("{name} has no rating: give one or a CVSS vector"),
                ));
            }
        }
        for id in &v.affected {
            let Some((product, version)) = self.version(*id) else {
                return Err(FieldError::new(
                    "vulnerabilities.affected",
                    format!("{name} names product version {id}, which the document does not list"),
                ));
            };
            if self.kind == DocumentKind::Bulletin && self.update_for(version).is_none() {
                return Err(FieldError::new(
                    "updates",
                    format!("{name} affects {} {} but no update fixes it", product.name, version.version),
                ));
            }
        }
        Ok(())
    }

    fn check_updates(&self) -> Result<(), FieldError> {
        for (i, u) in self.updates.iter().enumerate() {
            let Some(product) = self.products.iter().find(|p| p.id == u.product_id) else {
                return Err(FieldError::new(
                    "updates.product_id",
                    format!("product {} is not listed in the document", u.product_id),
                ));
            };
            validate::required_text("updates.fixed_version", &u.fixed_version, 100)?;
            if let Some(branch) = &u.branch {
                validate::required_text("updates.branch", branch, 100)?;
            }
            if let Some(url) = &u.url {
                https_url("updates.url", url)?;
            }
            if let Some(purl) = &u.purl
                && !(purl.starts_with("pkg:") && purl[4..].contains('/') && !purl.contains(char::is_whitespace))
            {
                return Err(FieldError::new("updates.purl", format!("{purl:?} is not a package URL")));
            }
            if self.updates[..i].iter().any(|o| o.product_id == u.product_id && o.branch == u.branch) {
                let branch = u.branch.as_deref().unwrap_or("all branches");
                return Err(FieldError::new(
                    "updates",
                    format!("{} ({branch}) has two updates; keep the one that fixes it", product.name),
                ));
            }
        }
        Ok(())
    }
}

/// A document ID: letters, digits and `-_.+`, not starting with a dot, so that it is safe as a
/// file name and in a URL.
pub fn document_id(field: &'static str, id: &str) -> Result<String, FieldError> {
    let id = id.trim();
    let valid = !id.is_empty()
        && id.len() <= MAX_ID
        && !id.starts_with('.')
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'+'));
    if valid {
        Ok(id.to_owned())
    } else {
        Err(FieldError::new(field, format!("{id:?} is not a document ID like PSB-2026-014")))
    }
}

fn one_line(field: &'static str, text: &str) -> Result<String, FieldError> {
    let text = validate::required_text(field, text, MAX_LINE)?;
    if text.contains(['\n', '\r']) {
        return Err(FieldError::new(field, "must be one line"));
    }
    Ok(text)
}

fn https_url(field: &'static str, url: &str) -> Result<(), FieldError> {
    let valid = url.strip_prefix("https://").is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'))
        && !url.contains(char::is_whitespace)
        && url.len() <= 2000;
    if valid { Ok(()) } else { Err(FieldError::new(field, format!("{url:?} is not an https:// URL"))) }
}

/// A configurable document ID pattern such as `PSB-{year}-{seq:03}`: text, the release year
/// (`{year}`, optional) and a sequence number (`{seq}`, or `{seq:0N}` zero-padded to N digits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdPattern {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Year,
    Seq { width: usize },
}

impl FromStr for IdPattern {
    type Err = FieldError;
    fn from_str(pattern: &str) -> Result<IdPattern, FieldError> {
        const FIELD: &str = "id_pattern";
        let bad = |why: &str| FieldError::new(FIELD, format!("{pattern:?}: {why}"));
        let mut parts = Vec::new();
        let mut rest = pattern;
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix('{') {
                let (name, tail) = after.split_once('}').ok_or_else(|| bad("a { is not closed"))?;
                let part = match name {
                    "year" => Part::Year,
                    "seq" => Part::Seq { width: 1 },
                    _ => match name.strip_prefix("seq:0").map(str::parse::<usize>) {
                        Some(Ok(width @ 1..=9)) => Part::Seq { width },
                        _ => {
                            return Err(bad(&format!(
                                "unknown placeholder {{{name}}}; use {{year}}, {{seq}} or {{seq:03}}"
                            )));
                        }
                    },
                };
                if !matches!(parts.last(), None | Some(Part::Text(_))) {
                    return Err(bad("placeholders must be separated by text"));
                }
                parts.push(part);
                rest = tail;
            } else {
                let end = rest.find('{').unwrap_or(rest.len());
                let text = &rest[..end];
                if !text.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')) {
                    return Err(bad("text may hold only letters, digits, '-', '_' and '.'"));
                }
                parts.push(Part::Text(text.to_owned()));
                rest = &rest[end..];
            }
        }
        let count = |f: fn(&Part) -> bool| parts.iter().filter(|p| f(p)).count();
        if count(|p| matches!(p, Part::Seq { .. })) != 1 {
            return Err(bad("needs exactly one {seq}"));
        }
        if count(|p| matches!(p, Part::Year)) > 1 {
            return Err(bad("has {year} twice"));
        }
        if !matches!(parts.first(), Some(Part::Text(t)) if t.starts_with(|c: char| c.is_ascii_alphanumeric())) {
            return Err(bad("must start with a letter or digit"));
        }
        Ok(IdPattern { parts })
    }
}

impl IdPattern {
    /// The ID with this year and sequence number.
    pub fn format(&self, year: i32, seq: u32) -> String {
        self.parts
            .iter()
            .map(|part| match part {
                Part::Text(text) => text.clone(),
                Part::Year => format!("{year:04}"),
                Part::Seq { width } => format!("{seq:0width$}"),
            })
            .collect()
    }

    /// The year (when the pattern has one) and sequence number of an ID written by this pattern.
    pub fn read(&self, id: &str) -> Option<(Option<i32>, u32)> {
        let (mut year, mut seq, mut rest) = (None, None, id);
        for part in &self.parts {
            match part {
                Part::Text(text) => rest = rest.strip_prefix(text.as_str())?,
                Part::Year => {
                    let digits = rest.get(..4).filter(|d| d.bytes().all(|b| b.is_ascii_digit()))?;
                    year = Some(digits.parse().ok()?);
                    rest = &rest[4..];
                }
                Part::Seq { .. } => {
                    let end = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
                    seq = Some(rest[..end].parse().ok()?);
                    rest = &rest[end..];
                }
            }
        }
        let seq = seq?;
        (rest.is_empty() && self.format(year.unwrap_or_default(), seq) == id).then_some((year, seq))
    }

    /// The next free ID for `year`: one past the highest sequence number among `existing` IDs
    /// of that year (of any year when the pattern has none).
    pub fn next<'a>(&self, year: i32, existing: impl IntoIterator<Item = &'a str>) -> String {
        let highest = existing
            .into_iter()
            .filter_map(|id| self.read(id))
            .filter(|(y, _)| y.is_none_or(|y| y == year))
            .map(|(_, seq)| seq)
            .max()
            .unwrap_or(0);
        self.format(year, highest + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rating::CvssV3;
    use time::macros::datetime;

    #[test]
    fn id_patterns() {
        let table = [
            ("PSB-{year}-{seq:03}", Some((2026, 14, "PSB-2026-014"))),
            ("PSA-{year}-{seq:03}", Some((2026, 1234, "PSA-2026-1234"))),
            ("ACME-SA-{seq}", Some((2026, 7, "ACME-SA-7"))),
            ("{year}-{seq:04}", None),
            ("psb_{year}.{seq:02}", Some((2025, 3, "psb_2025.03"))),
            ("PSB-{seq}{year}", None),
            ("PSB-{year}", None),
            ("PSB-{seq}-{seq}", None),
            ("PSB/{seq}", None),
            ("../{seq}", None),
            ("PSB-{sequence}", None),
            ("PSB-{seq:010}", None),
            ("PSB-{seq", None),
        ];
        for (pattern, expected) in table {
            match (pattern.parse::<IdPattern>(), expected) {
                (Ok(p), Some((year, seq, id))) => {
                    assert_eq!(p.format(year, seq), id, "{pattern}");
                    let year = pattern.contains("{year}").then_some(year);
                    assert_eq!(p.read(id), Some((year, seq)), "{pattern}");
                }
                (Err(e), None) => assert_eq!(e.field, "id_pattern", "{pattern}"),
                (result, _) => panic!("{pattern}: {result:?}"),
            }
        }
    }

    #[test]
    fn next_ids() {
        let pattern: IdPattern = "PSB-{year}-{seq:03}".parse().unwrap();
        let table: [(&[&str], i32, &str); 5] = [
            (&[], 2026, "PSB-2026-001"),
            (&["PSB-2026-001", "PSB-2026-013", "PSB-2026-002"], 2026, "PSB-2026-014"),
            (&["PSB-2025-040"], 2026, "PSB-2026-001"),
            (&["PSB-2026-1", "PSA-2026-009", "PSB-2026-01x"], 2026, "PSB-2026-001"),
            (&["PSB-2026-999"], 2026, "PSB-2026-1000"),
        ];
        for (existing, year, expected) in table {
            assert_eq!(pattern.next(year, existing.iter().copied()), expected, "{existing:?}");
        }
        for kind in [DocumentKind::Bulletin, DocumentKind::Advisory] {
            assert!(kind.default_pattern().parse::<IdPattern>().is_ok(), "{kind:?}");
        }
        let yearless: IdPattern = "ACME-{seq}".parse().unwrap();
        assert_eq!(yearless.next(2027, ["ACME-41", "ACME-9"]), "ACME-42");
    }

    #[test]
    fn revision_numbers() {
        let table = [("1.0", Change::Minor, "1.1"), ("1.9", Change::Minor, "1.10"), ("1.3", Change::Major, "2.0")];
        for (from, change, to) in table {
            assert_eq!(from.parse::<RevisionNumber>().unwrap().next(change).to_string(), to);
        }
        for bad in ["1", "1.", ".1", "1.0.0", "v1.0", "-1.0", "1.x"] {
            assert_eq!(bad.parse::<RevisionNumber>().unwrap_err().field, "revision", "{bad}");
        }
        assert!("1.10".parse::<RevisionNumber>().unwrap() > "1.9".parse().unwrap());
        let json = serde_json::to_value(RevisionNumber { major: 2, minor: 1 }).unwrap();
        assert_eq!(json, "2.1");
        assert_eq!(serde_json::from_value::<RevisionNumber>(json).unwrap().to_string(), "2.1");
        assert!(serde_json::from_value::<RevisionNumber>(serde_json::json!("2")).is_err());
    }

    fn product() -> Product {
        let version = |id, v: &str, branch: &str| ProductVersion {
            id,
            product_id: 1,
            version: v.into(),
            branch: Some(branch.into()),
            cpe: None,
            purl: None,
        };
        Product {
            id: 1,
            vendor_id: 1,
            vendor_name: "Acme".into(),
            name: "Widget".into(),
            cpe: None,
            purl: Some("pkg:cargo/widget".into()),
            versions: vec![version(10, "2.3.0", "2.x"), version(11, "1.9.4", "1.x")],
        }
    }

    fn vulnerability(cve: &str, vector: &str) -> Vulnerability {
        Vulnerability {
            case_id: None,
            cve: Some(cve.into()),
            title: "Heap overflow".into(),
            description: "A crafted file overflows a buffer.".into(),
            cwe: None,
            cvss: CvssScores { v31: Some(CvssV3::parse(vector).unwrap()), v4: None },
            severity: None,
            impact: Some(Impact::RemoteCodeExecution),
            exploitability: Exploitability::default(),
            mitigations: vec![],
            workarounds: vec![],
            faq: vec![],
            acknowledgments: vec![],
            affected: vec![10, 11],
        }
    }

    fn update(branch: Option<&str>) -> Update {
        Update {
            product_id: 1,
            branch: branch.map(Into::into),
            fixed_version: "2.3.1".into(),
            purl: None,
            url: Some("https://acme.example/widget".into()),
            restart_required: false,
        }
    }

    fn bulletin() -> Document {
        Document {
            id: "PSB-2026-014".into(),
            kind: DocumentKind::Bulletin,
            title: "Security update for Widget".into(),
            summary: "Fixes two vulnerabilities.".into(),
            category: None,
            tlp: Tlp::White,
            revisions: vec![Revision {
                number: RevisionNumber::FIRST,
                date: datetime!(2026-12-08 18:00 UTC),
                summary: "Initial release".into(),
                status: RevisionStatus::Final,
                kind: RevisionKind::Content,
            }],
            products: vec![product()],
            vulnerabilities: vec![
                vulnerability("CVE-2026-1000", "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H"),
                vulnerability("CVE-2026-1001", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
            ],
            updates: vec![update(None)],
            references: vec![],
            replaces: vec![],
        }
    }

    #[test]
    fn bulletin_severity_is_the_highest() {
        let mut doc = bulletin();
        assert_eq!(doc.severity(), Some(Severity::Critical));
        doc.vulnerabilities[1].severity = Some(Severity::Low);
        assert_eq!(doc.severity(), Some(Severity::Important));
        doc.vulnerabilities.clear();
        assert_eq!(doc.severity(), None);
    }

    #[test]
    fn updates_by_branch() {
        let mut doc = bulletin();
        doc.updates = vec![update(None), Update { fixed_version: "1.9.5".into(), ..update(Some("1.x")) }];
        let fixed = |id| doc.version(id).and_then(|(_, v)| doc.update_for(v)).map(|u| u.fixed_version.as_str());
        assert_eq!(fixed(10), Some("2.3.1"));
        assert_eq!(fixed(11), Some("1.9.5"));
    }

    #[test]
    fn validation_names_the_field() {
        type Edit = fn(&mut Document);
        let table: &[(Edit, &str)] = &[
            (|d| d.id = "../etc/passwd".into(), "id"),
            (|d| d.title = " ".into(), "title"),
            (|d| d.category = Some(AdvisoryCategory::Configuration), "category"),
            (|d| d.revisions.clear(), "revisions"),
            (|d| d.revisions[0].number = "2.0".parse().unwrap(), "revisions"),
            (|d| d.revisions[0].summary = "two\nlines".into(), "revisions.summary"),
            (|d| d.vulnerabilities.clear(), "vulnerabilities"),
            (|d| d.vulnerabilities[1].cve = Some("CVE-2026-1000".into()), "vulnerabilities.cve"),
            (|d| d.vulnerabilities[0].cve = Some("cve-2026-1".into()), "vulnerabilities.cve"),
            (|d| d.vulnerabilities[0].affected = vec![99], "vulnerabilities.affected"),
            (|d| d.vulnerabilities[0].affected.clear(), "vulnerabilities.affected"),
            (|d| d.vulnerabilities[0].cwe = Some(Cwe { id: "79".into(), name: "XSS".into() }), "vulnerabilities.cwe"),
            (
                |d| {
                    d.vulnerabilities[0].cvss = CvssScores::default();
                },
                "vulnerabilities.severity",
            ),
            (|d| d.updates[0].branch = Some("1.x".into()), "updates"),
            (|d| d.updates[0].url = Some("http://acme.example".into()), "updates.url"),
            (|d| d.updates[0].product_id = 2, "updates.product_id"),
            (|d| d.updates.push(update(None)), "updates"),
            (|d| d.products.push(product()), "products"),
            (|d| d.references.push(Reference { url: "ftp://x".into(), summary: "x".into() }), "references.url"),
            (
                |d| {
                    d.kind = DocumentKind::Advisory;
                    d.vulnerabilities.clear();
                },
                "references",
            ),
        ];
        assert_eq!(bulletin().validate(), Ok(()));
        for (edit, field) in table {
            let mut doc = bulletin();
            edit(&mut doc);
            let errors = doc.validate().unwrap_err();
            assert!(errors.iter().any(|e| e.field == *field), "expected {field}, got {errors:?}");
        }
    }

    #[test]
    fn revisions_follow_the_rules() {
        let mut doc = bulletin();
        let published = doc.clone();
        // Published content does not change without a new revision.
        doc.title = "Edited".into();
        assert!(Document::check_amendment(&published, &doc).unwrap_err().message.contains("start a new revision"));

        let day = |d: u8| datetime!(2026-12-01 0:00 UTC).replace_day(d).unwrap();
        assert_eq!(doc.revise(Change::Minor, day(9), "Added an FAQ entry").unwrap().to_string(), "1.1");
        assert_eq!(Document::check_amendment(&published, &doc), Ok(()));
        assert!(doc.revise(Change::Major, day(10), "Another").unwrap_err().message.contains("still a draft"));
        assert_eq!(doc.publish(RevisionStatus::Final, day(9)).unwrap().to_string(), "1.1");
        assert_eq!(doc.validate(), Ok(()));

        let mut rewritten = doc.clone();
        rewritten.revisions[0].summary = "Rewritten".into();
        assert!(Document::check_amendment(&doc, &rewritten).unwrap_err().message.contains("1.0 is published"));
        let mut dropped = doc.clone();
        dropped.revisions.pop();
        assert!(Document::check_amendment(&doc, &dropped).is_err());

        assert!(doc.revise(Change::Major, day(8), "Back in time").unwrap_err().field == "revisions.date");
        assert_eq!(doc.revise(Change::Major, day(10), "Re-released the update").unwrap().to_string(), "2.0");
        doc.publish(RevisionStatus::Final, day(10)).unwrap();
        assert!(doc.publish(RevisionStatus::Final, day(10)).is_err());

        assert_eq!(doc.supersede("PSB-2027-001", day(20), "Replaced by PSB-2027-001").unwrap().to_string(), "2.1");
        assert_eq!(doc.state(), DocumentState::Active);
        doc.publish(RevisionStatus::Final, day(20)).unwrap();
        assert_eq!(doc.state(), DocumentState::Superseded { by: "PSB-2027-001".into() });
        assert_eq!(doc.validate(), Ok(()));
        assert!(doc.withdraw(day(21), "Withdrawn").unwrap_err().message.contains("takes no revisions"));
        let json = serde_json::to_value(&doc.revisions).unwrap();
        assert_eq!(json[3]["kind"], "supersession");
        assert_eq!(serde_json::from_value::<Vec<Revision>>(json).unwrap(), doc.revisions);

        let mut withdrawn = bulletin();
        withdrawn.withdraw(day(11), "The update broke printing").unwrap();
        withdrawn.publish(RevisionStatus::Final, day(11)).unwrap();
        assert_eq!(withdrawn.state(), DocumentState::Withdrawn);
        assert_eq!(withdrawn.revisions.len(), 2, "history is kept");
    }
}
