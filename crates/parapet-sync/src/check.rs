//! `parapet csaf check`: a CSAF provider's conformance to the distribution requirements 1 to 23
//! of CSAF 2.0 section 7.1, each with pass, fail, or why it cannot be checked from here or does
//! not apply to the provider's role.

use crate::csaf::{self, Discovery};
use crate::fetch::{FetchError, Fetched, Fetcher};
use crate::{Keyring, sha256_hex};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use url::Url;

/// One requirement's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Pass,
    Fail,
    /// It cannot be decided from here (TLS on a loopback address served over HTTP, DNS
    /// records of an address without a domain).
    NotCheckable,
    /// It does not apply to this provider (aggregator requirements, optional parts not used).
    NotApplicable,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::NotCheckable => "not checkable here",
            Verdict::NotApplicable => "not applicable",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Requirement {
    pub number: u8,
    pub title: &'static str,
    pub result: Verdict,
    /// What failed, or why it is not checked.
    pub messages: Vec<String>,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub url: String,
    pub metadata_url: Option<String>,
    pub role: Option<String>,
    pub documents_checked: usize,
    pub requirements: Vec<Requirement>,
}

impl CheckReport {
    pub fn passed(&self) -> bool {
        self.requirements.iter().all(|r| r.result != Verdict::Fail)
    }
}

const TITLES: [&str; 23] = [
    "Valid CSAF document",
    "Filename",
    "TLS",
    "TLP:WHITE",
    "TLP:AMBER and TLP:RED",
    "No redirects",
    "provider-metadata.json",
    "security.txt",
    "Well-known URL for provider-metadata.json",
    "DNS path",
    "One folder per year",
    "index.txt",
    "changes.csv",
    "Directory listings",
    "ROLIE feed",
    "ROLIE service document",
    "ROLIE category document",
    "Integrity",
    "Signatures",
    "Public OpenPGP key",
    "List of CSAF providers",
    "Two disjoint issuing parties",
    "Mirror",
];

/// What has been found per requirement while checking.
#[derive(Default)]
struct Findings {
    failures: BTreeMap<u8, Vec<String>>,
    skipped: BTreeMap<u8, (Verdict, String)>,
    checked: BTreeSet<u8>,
}

impl Findings {
    fn fail(&mut self, number: u8, message: impl Into<String>) {
        self.checked.insert(number);
        let list = self.failures.entry(number).or_default();
        // Thousands of documents can fail the same way: the first few say enough.
        if list.len() < 20 {
            list.push(message.into());
        } else if list.len() == 20 {
            list.push("… and more".to_owned());
        }
    }

    fn pass(&mut self, number: u8) {
        self.checked.insert(number);
    }

    fn skip(&mut self, number: u8, verdict: Verdict, why: impl Into<String>) {
        self.skipped.entry(number).or_insert((verdict, why.into()));
    }

    fn report(self, url: String, metadata_url: Option<String>, role: Option<String>, documents: usize) -> CheckReport {
        let mut requirements = Vec::new();
        for (index, title) in TITLES.iter().enumerate() {
            let number = index as u8 + 1;
            let (result, messages) = if let Some(failures) = self.failures.get(&number) {
                (Verdict::Fail, failures.clone())
            } else if let Some((verdict, why)) = self.skipped.get(&number) {
                (*verdict, vec![why.clone()])
            } else if self.checked.contains(&number) {
                (Verdict::Pass, Vec::new())
            } else {
                (Verdict::NotCheckable, vec!["nothing was found to check it against".to_owned()])
            };
            requirements.push(Requirement { number, title, result, messages });
        }
        CheckReport { url, metadata_url, role, documents_checked: documents, requirements }
    }
}

/// Options of a check.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// Check at most this many documents (all when `None`).
    pub max_documents: Option<usize>,
}

/// Checks the provider at `url` (a domain, or its metadata's URL).
pub async fn check_provider(fetcher: &Fetcher, url: &str, options: &CheckOptions) -> Result<CheckReport, String> {
    let mut findings = Findings::default();
    let start = Url::parse(url).map_err(|e| format!("{url}: not a URL: {e}"))?;
    let loopback = is_loopback(&start);
    let provider = csaf::discover(fetcher, url).await.map_err(|e| e.to_string())?;
    let metadata_url = provider.metadata_url.clone();
    let metadata = provider.metadata.clone();
    let role = metadata["role"].as_str().map(str::to_owned);

    // 3: TLS, judged on every URL fetched below; recorded as they come.
    let mut urls_seen: Vec<String> = vec![metadata_url.clone()];

    // 7: the metadata.
    for problem in metadata_problems(&metadata) {
        findings.fail(7, problem);
    }
    findings.pass(7);

    // 8, 9, 10: where the metadata is found.
    let origin = start.origin().ascii_serialization();
    let well_known = format!("{origin}/.well-known/csaf/provider-metadata.json");
    match fetcher.get_response(&well_known, 4 << 20).await {
        Ok(Some(fetched)) if serde_json::from_slice::<Value>(&fetched.body).is_ok() => {
            redirect_check(&mut findings, &well_known, &fetched);
            findings.pass(9);
        }
        Ok(_) => findings.fail(9, format!("{well_known} does not serve the provider metadata")),
        Err(e) => findings.fail(9, e.to_string()),
    }
    let security_txt = format!("{origin}/.well-known/security.txt");
    match fetcher.get_optional(&security_txt, 1 << 20).await {
        Ok(Some(text)) => {
            let fields = csaf::csaf_fields(&String::from_utf8_lossy(&text));
            if fields.is_empty() {
                findings.fail(8, format!("{security_txt} has no CSAF field"));
            } else if !fields.iter().any(|f| f == &metadata_url || f == &well_known) {
                findings.fail(8, format!("the CSAF fields of {security_txt} do not point to {metadata_url}"));
            } else if fields.iter().any(|f| !f.starts_with("https://")) && !loopback {
                findings.fail(8, "a CSAF field of security.txt does not begin with https://");
            } else {
                if fields.first().is_some_and(|f| f != &well_known) {
                    findings.fail(8, "the well-known URL must be the first CSAF field");
                }
                findings.pass(8);
            }
        }
        Ok(None) => findings.fail(8, format!("{security_txt} is missing")),
        Err(e) => findings.fail(8, e.to_string()),
    }
    match start.host() {
        Some(url::Host::Domain(domain)) if domain.contains('.') && !loopback => {
            let dns_path = format!("https://csaf.data.security.{domain}/provider-metadata.json");
            match fetcher.get_optional(&dns_path, 4 << 20).await {
                Ok(Some(_)) => findings.pass(10),
                _ => findings.skip(10, Verdict::Fail, format!("{dns_path} does not serve the provider metadata")),
            }
        }
        _ => findings.skip(10, Verdict::NotCheckable, "the provider is addressed without a domain name"),
    }
    if provider.how == Discovery::DnsPath {
        findings.pass(10);
    }
    // Only one of 8 to 10 is needed: a failure of the others is reported but does not count.
    let one_of = [8u8, 9, 10].iter().any(|n| findings.checked.contains(n) && !findings.failures.contains_key(n));
    if one_of {
        for n in [8u8, 9, 10] {
            if let Some(failures) = findings.failures.remove(&n) {
                findings.skip(
                    n,
                    Verdict::NotApplicable,
                    format!("not met ({}), but another of requirements 8 to 10 is", failures.join("; ")),
                );
            }
        }
    }

    // 20: the keys.
    let mut keys = Keyring::default();
    for listed in metadata["public_openpgp_keys"].as_array().into_iter().flatten() {
        let (Some(key_url), Some(fingerprint)) = (listed["url"].as_str(), listed["fingerprint"].as_str()) else {
            findings.fail(20, "a public_openpgp_keys entry lacks its url or fingerprint");
            continue;
        };
        urls_seen.push(key_url.to_owned());
        match fetcher.get(key_url, 1 << 20).await.map_err(|e| e.to_string()).and_then(|b| Keyring::read(&[b])) {
            Ok(ring) => {
                let matching = ring.only(fingerprint);
                if matching.is_empty() {
                    findings.fail(20, format!("{key_url} is not the key with fingerprint {fingerprint}"));
                } else {
                    keys.extend(matching);
                    findings.pass(20);
                }
            }
            Err(e) => findings.fail(20, format!("{key_url}: {e}")),
        }
    }
    if keys.is_empty() {
        findings.fail(20, "no public OpenPGP key is available");
    }

    // 15 to 17 (ROLIE) and 11 to 14 (directories): the documents they list.
    let mut documents: BTreeMap<String, Listing> = BTreeMap::new();
    let mut protected_feeds = 0;
    let mut rolie_used = false;
    let mut directory_used = false;
    for distribution in metadata["distributions"].as_array().into_iter().flatten() {
        let rolie = &distribution["rolie"];
        if rolie.is_object() {
            rolie_used = true;
            for feed in rolie["feeds"].as_array().into_iter().flatten() {
                let (Some(feed_url), label) = (feed["url"].as_str(), feed["tlp_label"].as_str().unwrap_or("")) else {
                    continue;
                };
                urls_seen.push(feed_url.to_owned());
                if matches!(label, "AMBER" | "RED") {
                    protected_feeds += 1;
                    match fetcher.get_response(feed_url, 64 << 20).await {
                        Ok(Some(_)) => findings
                            .fail(5, format!("the TLP:{label} feed {feed_url} is served without authentication")),
                        Ok(None) | Err(FetchError::Status { status: 401 | 403, .. }) => findings.pass(5),
                        Err(e) => findings.fail(5, format!("{feed_url}: {e}")),
                    }
                    continue;
                }
                check_feed(fetcher, &mut findings, feed_url, label, &mut documents).await;
            }
            check_optional_rolie(fetcher, &mut findings, rolie, &mut urls_seen).await;
        }
        if let Some(directory) = distribution["directory_url"].as_str() {
            directory_used = true;
            urls_seen.push(directory.to_owned());
            check_directory(fetcher, &mut findings, directory.trim_end_matches('/'), &mut documents).await;
        }
    }
    if protected_feeds == 0 {
        findings.skip(5, Verdict::NotApplicable, "no TLP:AMBER or TLP:RED distribution is listed");
    }
    if !rolie_used {
        for n in [15u8, 16, 17] {
            findings.skip(n, Verdict::NotApplicable, "the provider distributes through directories, not ROLIE");
        }
    }
    if !directory_used {
        for n in [12u8, 13, 14] {
            findings.skip(n, Verdict::NotApplicable, "the provider distributes through ROLIE feeds, not directories");
        }
    }

    // 1, 2, 4, 6, 11, 18, 19: each document.
    let limit = options.max_documents.unwrap_or(usize::MAX);
    let mut checked = 0;
    for (document_url, listing) in documents.iter().take(limit) {
        urls_seen.push(document_url.clone());
        check_document(fetcher, &mut findings, &keys, document_url, listing).await;
        checked += 1;
    }
    if checked == 0 {
        findings.fail(1, "the provider lists no document");
    }

    // 3: TLS.
    let plain: Vec<&String> = urls_seen.iter().filter(|u| u.starts_with("http://")).collect();
    if plain.is_empty() {
        findings.pass(3);
    } else if plain.iter().all(|u| Url::parse(u).is_ok_and(|u| is_loopback(&u))) {
        findings.skip(
            3,
            Verdict::NotCheckable,
            "served over plain HTTP on a loopback address; TLS is checked on a real host",
        );
    } else {
        for url in plain.into_iter().filter(|u| Url::parse(u).is_ok_and(|u| !is_loopback(&u))).take(5) {
            findings.fail(3, format!("{url} is not served over TLS"));
        }
    }
    findings.pass(6);

    // 21 to 23: aggregators only.
    let aggregator = role.as_deref() == Some("csaf_aggregator");
    for n in [21u8, 22, 23] {
        if !aggregator {
            findings.skip(
                n,
                Verdict::NotApplicable,
                format!("a requirement of aggregators; the role is {}", role.as_deref().unwrap_or("not given")),
            );
        }
    }
    Ok(findings.report(url.to_owned(), Some(metadata_url), role, checked))
}

/// How a document was listed: its ROLIE links, if any.
#[derive(Debug, Clone, Default)]
struct Listing {
    hash_links: Vec<String>,
    signature_links: Vec<String>,
    in_feed: bool,
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(domain)) => domain == "localhost",
        None => false,
    }
}

fn redirect_check(findings: &mut Findings, requested: &str, fetched: &Fetched) {
    if fetched.final_url != requested {
        findings.fail(6, format!("{requested} redirects to {}", fetched.final_url));
    }
}

async fn check_feed(
    fetcher: &Fetcher,
    findings: &mut Findings,
    feed_url: &str,
    label: &str,
    documents: &mut BTreeMap<String, Listing>,
) {
    let fetched = match fetcher.get_response(feed_url, 512 << 20).await {
        Ok(Some(fetched)) => fetched,
        Ok(None) => return findings.fail(15, format!("the feed {feed_url} is missing")),
        Err(e) => return findings.fail(15, e.to_string()),
    };
    redirect_check(findings, feed_url, &fetched);
    let feed: Value = match serde_json::from_slice(&fetched.body) {
        Ok(feed) => feed,
        Err(e) => return findings.fail(15, format!("{feed_url}: not JSON: {e}")),
    };
    let root = &feed["feed"];
    for field in ["id", "title", "updated"] {
        if !root[field].is_string() {
            findings.fail(15, format!("{feed_url}: feed.{field} is missing"));
        }
    }
    if !root["link"].as_array().into_iter().flatten().any(|l| l["rel"] == "self") {
        findings.fail(15, format!("{feed_url}: no self link"));
    }
    if !root["category"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["scheme"] == "urn:ietf:params:rolie:category:information-type" && c["term"] == "csaf")
    {
        findings.fail(15, format!("{feed_url}: no csaf information-type category"));
    }
    let Some(entries) = root["entry"].as_array() else {
        return findings.fail(15, format!("{feed_url}: no feed.entry array"));
    };
    for (index, entry) in entries.iter().enumerate() {
        let links = entry["link"].as_array().cloned().unwrap_or_default();
        let by_rel = |rel: &str| -> Vec<String> {
            links.iter().filter(|l| l["rel"] == rel).filter_map(|l| l["href"].as_str().map(str::to_owned)).collect()
        };
        let Some(document) = by_rel("self").into_iter().next() else {
            findings.fail(15, format!("{feed_url}: entry {index} has no self link"));
            continue;
        };
        for field in ["id", "title", "published", "updated"] {
            if !entry[field].is_string() {
                findings.fail(15, format!("{feed_url}: entry {index} has no {field}"));
            }
        }
        if entry["format"]["version"] != "2.0" {
            findings.fail(15, format!("{feed_url}: entry {index} does not give format version 2.0"));
        }
        let listing = documents.entry(document).or_default();
        listing.in_feed = true;
        listing.hash_links.extend(by_rel("hash"));
        listing.signature_links.extend(by_rel("signature"));
    }
    let _ = label;
    findings.pass(15);
}

async fn check_optional_rolie(fetcher: &Fetcher, findings: &mut Findings, rolie: &Value, urls: &mut Vec<String>) {
    let feeds: BTreeSet<String> =
        rolie["feeds"].as_array().into_iter().flatten().filter_map(|f| f["url"].as_str().map(str::to_owned)).collect();
    let services: Vec<&str> = rolie["services"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    if services.is_empty() {
        findings.skip(16, Verdict::NotApplicable, "optional, and the provider lists no service document");
    }
    for service in services {
        urls.push(service.to_owned());
        match fetcher
            .get(service, 16 << 20)
            .await
            .map_err(|e| e.to_string())
            .and_then(|b| serde_json::from_slice::<Value>(&b).map_err(|e| format!("not JSON: {e}")))
        {
            Ok(document) => {
                let listed: BTreeSet<String> = document["service"]["workspace"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .flat_map(|w| w["collection"].as_array().cloned().unwrap_or_default())
                    .filter_map(|c| c["href"].as_str().map(str::to_owned))
                    .collect();
                if listed.is_empty() {
                    findings.fail(16, format!("{service}: no service.workspace[].collection[].href"));
                }
                for feed in feeds.iter().filter(|f| !listed.contains(*f)) {
                    findings.fail(16, format!("{service} does not list the feed {feed}"));
                }
                findings.pass(16);
            }
            Err(e) => findings.fail(16, format!("{service}: {e}")),
        }
    }
    let categories: Vec<&str> =
        rolie["categories"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    if categories.is_empty() {
        findings.skip(17, Verdict::NotApplicable, "optional, and the provider lists no category document");
    }
    for category in categories {
        urls.push(category.to_owned());
        match fetcher
            .get(category, 16 << 20)
            .await
            .map_err(|e| e.to_string())
            .and_then(|b| serde_json::from_slice::<Value>(&b).map_err(|e| format!("not JSON: {e}")))
        {
            Ok(document) if document["categories"]["category"].as_array().is_some_and(|c| !c.is_empty()) => {
                findings.pass(17)
            }
            Ok(_) => findings.fail(17, format!("{category}: no categories.category list")),
            Err(e) => findings.fail(17, format!("{category}: {e}")),
        }
    }
}

async fn check_directory(
    fetcher: &Fetcher,
    findings: &mut Findings,
    directory: &str,
    documents: &mut BTreeMap<String, Listing>,
) {
    let mut from_index = BTreeSet::new();
    match fetcher.get_optional(&format!("{directory}/index.txt"), 64 << 20).await {
        Ok(Some(text)) => {
            let base = Url::parse(&format!("{directory}/")).ok();
            for line in String::from_utf8_lossy(&text).lines().filter(|l| !l.trim().is_empty()) {
                match base.as_ref().map(|b| b.join(line.trim())) {
                    Some(Ok(url)) if !line.contains("://") && !line.starts_with('/') => {
                        from_index.insert(url.to_string());
                    }
                    _ => findings.fail(12, format!("index.txt: {line:?} is not a path inside the folder")),
                }
            }
            findings.pass(12);
        }
        Ok(None) => findings.fail(12, format!("{directory}/index.txt is missing")),
        Err(e) => findings.fail(12, e.to_string()),
    }
    match fetcher.get_optional(&format!("{directory}/changes.csv"), 64 << 20).await {
        Ok(Some(text)) => {
            let text = String::from_utf8_lossy(&text);
            match csaf::read_changes(directory, &text) {
                Ok(listed) => {
                    let times: Vec<String> = text
                        .lines()
                        .filter_map(|l| l.rsplit(',').next().map(|t| t.trim().trim_matches('"').to_owned()))
                        .collect();
                    let mut sorted = times.clone();
                    sorted.sort_by(|a, b| b.cmp(a));
                    if times != sorted {
                        findings.fail(13, "changes.csv is not sorted by time, latest first");
                    }
                    let from_changes: BTreeSet<String> = listed.iter().map(|l| l.url.clone()).collect();
                    if !from_index.is_empty() && from_changes != from_index {
                        findings.fail(13, "changes.csv and index.txt do not list the same documents");
                    }
                    for url in from_changes {
                        documents.entry(url).or_default();
                    }
                    findings.pass(13);
                }
                Err(e) => findings.fail(13, e),
            }
        }
        Ok(None) => findings.fail(13, format!("{directory}/changes.csv is missing")),
        Err(e) => findings.fail(13, e.to_string()),
    }
    for url in from_index {
        documents.entry(url).or_default();
    }
    match fetcher.get_response(&format!("{directory}/"), 16 << 20).await {
        Ok(Some(fetched)) => {
            let text = String::from_utf8_lossy(&fetched.body);
            if text.contains("index.txt") || text.contains("href") {
                findings.pass(14);
            } else {
                findings.fail(14, format!("{directory}/ does not list its files"));
            }
        }
        Ok(None) => findings.fail(14, format!("{directory}/ has no directory listing")),
        Err(e) => findings.fail(14, e.to_string()),
    }
}

async fn check_document(fetcher: &Fetcher, findings: &mut Findings, keys: &Keyring, url: &str, listing: &Listing) {
    let fetched = match fetcher.get_response(url, 64 << 20).await {
        Ok(Some(fetched)) => fetched,
        Ok(None) => return findings.fail(1, format!("{url} is listed but missing")),
        Err(e) => return findings.fail(1, e.to_string()),
    };
    redirect_check(findings, url, &fetched);
    let body = &fetched.body;
    let text = String::from_utf8_lossy(body);
    let document: Value = match serde_json::from_str(&text) {
        Ok(document) => document,
        Err(e) => return findings.fail(1, format!("{url}: not JSON: {e}")),
    };
    match parapet_csaf::validate_str(&text) {
        Ok(report) if report.is_valid() => findings.pass(1),
        Ok(report) => {
            let first = &report.errors[0];
            findings.fail(1, format!("{url}: test {} at {}: {}", first.test, first.path, first.message));
        }
        Err(e) => findings.fail(1, format!("{url}: {e}")),
    }
    let tracking = &document["document"]["tracking"];
    let file = url.rsplit('/').next().unwrap_or_default();
    match tracking["id"].as_str() {
        Some(id) if parapet_csaf::file_name(id) == file => findings.pass(2),
        Some(id) => findings.fail(2, format!("{url}: the file name for {id:?} is {}", parapet_csaf::file_name(id))),
        None => findings.fail(2, format!("{url}: no /document/tracking/id")),
    }
    let folder = url.rsplit('/').nth(1).unwrap_or_default();
    match tracking["initial_release_date"].as_str().and_then(|d| d.get(..4)) {
        Some(year) if year == folder => findings.pass(11),
        Some(year) => {
            findings.fail(11, format!("{url}: in folder {folder:?}, not {year:?} (the initial release year)"))
        }
        None => findings.fail(11, format!("{url}: no initial_release_date")),
    }
    let label = document["document"]["distribution"]["tlp"]["label"].as_str().unwrap_or("");
    match label {
        "WHITE" | "CLEAR" => findings.pass(4),
        "AMBER" | "RED" => findings.fail(5, format!("{url} (TLP:{label}) is served without authentication")),
        _ => {}
    }
    // 18: at least one hash file that matches.
    let mut hash_urls = listing.hash_links.clone();
    if hash_urls.is_empty() {
        hash_urls = vec![format!("{url}.sha512"), format!("{url}.sha256")];
    }
    let mut hashed = false;
    for hash_url in &hash_urls {
        match fetcher.get_optional(hash_url, 64 << 10).await {
            Ok(Some(file)) => {
                let expected =
                    String::from_utf8_lossy(&file).split_whitespace().next().unwrap_or_default().to_lowercase();
                let actual = if hash_url.ends_with(".sha512") {
                    use sha2::Digest;
                    hex::encode(sha2::Sha512::digest(body))
                } else if hash_url.ends_with(".sha256") {
                    sha256_hex(body)
                } else {
                    findings.fail(18, format!("{hash_url}: not a .sha256 or .sha512 file"));
                    continue;
                };
                if expected == actual {
                    hashed = true;
                } else {
                    findings.fail(18, format!("{hash_url} does not match the document"));
                }
            }
            Ok(None) if listing.in_feed => findings.fail(18, format!("{hash_url} is listed in the feed but missing")),
            Ok(None) => {}
            Err(e) => findings.fail(18, e.to_string()),
        }
    }
    if hashed {
        findings.pass(18);
    } else {
        findings.fail(18, format!("{url} has no hash file that matches"));
    }
    if listing.in_feed && listing.hash_links.is_empty() {
        findings.fail(15, format!("{url}: the feed entry lists no hash file"));
    }
    // 19: a signature by a listed key.
    let signature_url = listing.signature_links.first().cloned().unwrap_or_else(|| format!("{url}.asc"));
    if listing.in_feed && listing.signature_links.is_empty() {
        findings.fail(15, format!("{url}: the feed entry lists no signature"));
    }
    match fetcher.get_optional(&signature_url, 64 << 10).await {
        Ok(Some(signature)) => match keys.verify_detached(body, &signature) {
            Ok(_) => findings.pass(19),
            Err(e) => findings.fail(19, format!("{signature_url}: {e}")),
        },
        Ok(None) => findings.fail(19, format!("{signature_url} is missing")),
        Err(e) => findings.fail(19, e.to_string()),
    }
}

/// Problems of a `provider-metadata.json` against the provider schema (CSAF 2.0, encoded here).
pub fn metadata_problems(metadata: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let Some(object) = metadata.as_object() else { return vec!["the metadata is not a JSON object".to_owned()] };
    for field in [
        "canonical_url",
        "last_updated",
        "list_on_CSAF_aggregators",
        "mirror_on_CSAF_aggregators",
        "metadata_version",
        "publisher",
        "role",
    ] {
        if !object.contains_key(field) {
            problems.push(format!("/{field} is required"));
        }
    }
    let known = [
        "canonical_url",
        "distributions",
        "last_updated",
        "list_on_CSAF_aggregators",
        "metadata_version",
        "mirror_on_CSAF_aggregators",
        "public_openpgp_keys",
        "publisher",
        "role",
    ];
    for key in object.keys().filter(|k| !known.contains(&k.as_str())) {
        problems.push(format!("/{key} is not a property of the provider metadata"));
    }
    if let Some(url) = metadata["canonical_url"].as_str()
        && (!url.starts_with("https://") && !url.starts_with("http://") || !url.ends_with("/provider-metadata.json"))
    {
        problems.push("/canonical_url must be an https URL ending in /provider-metadata.json".to_owned());
    }
    if metadata["last_updated"]
        .as_str()
        .is_none_or(|t| time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).is_err())
    {
        problems.push("/last_updated must be an RFC 3339 date-time".to_owned());
    }
    for flag in ["list_on_CSAF_aggregators", "mirror_on_CSAF_aggregators"] {
        if !metadata[flag].is_boolean() {
            problems.push(format!("/{flag} must be a boolean"));
        }
    }
    if metadata["metadata_version"] != "2.0" {
        problems.push("/metadata_version must be \"2.0\"".to_owned());
    }
    if !matches!(metadata["role"].as_str(), Some("csaf_publisher" | "csaf_provider" | "csaf_trusted_provider")) {
        problems.push("/role must be csaf_publisher, csaf_provider or csaf_trusted_provider".to_owned());
    }
    let publisher = &metadata["publisher"];
    if !matches!(
        publisher["category"].as_str(),
        Some("coordinator" | "discoverer" | "other" | "translator" | "user" | "vendor")
    ) {
        problems.push("/publisher/category is not a publisher category".to_owned());
    }
    if publisher["name"].as_str().is_none_or(str::is_empty) {
        problems.push("/publisher/name is required".to_owned());
    }
    if publisher["namespace"].as_str().is_none_or(|n| Url::parse(n).is_err()) {
        problems.push("/publisher/namespace must be a URL".to_owned());
    }
    match metadata["distributions"].as_array() {
        Some(list) if !list.is_empty() => {
            for (index, distribution) in list.iter().enumerate() {
                let has_directory = distribution["directory_url"].is_string();
                let feeds = distribution["rolie"]["feeds"].as_array();
                if !has_directory && feeds.is_none() {
                    problems.push(format!("/distributions/{index} has neither directory_url nor rolie.feeds"));
                }
                for (f, feed) in feeds.into_iter().flatten().enumerate() {
                    if !matches!(feed["tlp_label"].as_str(), Some("UNLABELED" | "WHITE" | "GREEN" | "AMBER" | "RED")) {
                        problems.push(format!("/distributions/{index}/rolie/feeds/{f}/tlp_label is not a TLP label"));
                    }
                    if !feed["url"].as_str().is_some_and(|u| u.ends_with(".json")) {
                        problems.push(format!("/distributions/{index}/rolie/feeds/{f}/url must be a .json URL"));
                    }
                }
            }
        }
        Some(_) => problems.push("/distributions must not be empty".to_owned()),
        None if metadata["role"] != "csaf_publisher" => {
            problems.push("/distributions is required of providers".to_owned())
        }
        None => {}
    }
    for (index, key) in metadata["public_openpgp_keys"].as_array().into_iter().flatten().enumerate() {
        if key["url"].as_str().is_none() {
            problems.push(format!("/public_openpgp_keys/{index}/url is required"));
        }
        if let Some(fingerprint) = key["fingerprint"].as_str()
            && (fingerprint.len() < 40 || !fingerprint.chars().all(|c| c.is_ascii_hexdigit()))
        {
            problems.push(format!("/public_openpgp_keys/{index}/fingerprint must be at least 40 hex digits"));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_rules() {
        let good = serde_json::json!({
            "canonical_url": "https://example.com/.well-known/csaf/provider-metadata.json",
            "distributions": [{"rolie": {"feeds": [{"tlp_label": "WHITE", "url": "https://example.com/feed.json"}]}}],
            "last_updated": "2024-01-01T00:00:00Z",
            "list_on_CSAF_aggregators": true,
            "metadata_version": "2.0",
            "mirror_on_CSAF_aggregators": true,
            "public_openpgp_keys": [{"fingerprint": "8F5F267907B2C4559DB360DB2294BA7D2B2298B1", "url": "https://k"}],
            "publisher": {"category": "vendor", "name": "Example", "namespace": "https://example.com"},
            "role": "csaf_trusted_provider"
        });
        assert_eq!(metadata_problems(&good), Vec::<String>::new());
        let cases: [(&str, Value, &str); 5] = [
            ("role", serde_json::json!("csaf_lister"), "/role"),
            ("metadata_version", serde_json::json!("2.1"), "/metadata_version"),
            ("distributions", serde_json::json!([]), "must not be empty"),
            ("publisher", serde_json::json!({"category": "vendor", "name": "x"}), "/publisher/namespace"),
            ("extra", serde_json::json!(1), "/extra is not a property"),
        ];
        for (field, value, expected) in cases {
            let mut bad = good.clone();
            bad[field] = value;
            let problems = metadata_problems(&bad);
            assert!(problems.iter().any(|p| p.contains(expected)), "{field}: {problems:?}");
        }
    }
}
