//! The product versions a document names, affected and fixed, sorted and numbered once so that
//! every format and every rendering agrees on them.

use parapet_model::{Document, Product, Update, Vulnerability};
use parapet_versions::Scheme;
use parapet_versions::purl::{self, Purl};
use std::cmp::Ordering;

/// One product version: a listed (affected or not) version, or the fixed version of an update.
#[derive(Debug)]
pub(crate) struct Entry<'a> {
    /// `CSAFPID-0001`…
    pub pid: String,
    pub product: &'a Product,
    pub version: String,
    /// The listed version's ID; `None` for a fixed version that is not listed.
    pub version_id: Option<i64>,
    pub purl: Option<String>,
    pub cpe: Option<String>,
}

impl Entry<'_> {
    pub fn full_name(&self) -> String {
        format!("{} {} {}", self.product.vendor_name, self.product.name, self.version)
    }

    /// The update that fixes this listed version.
    pub fn update<'d>(&self, document: &'d Document) -> Option<&'d Update> {
        let (_, version) = document.version(self.version_id?)?;
        document.update_for(version)
    }
}

/// The numbered product versions of a document.
pub(crate) struct Products<'a> {
    pub entries: Vec<Entry<'a>>,
}

impl<'a> Products<'a> {
    pub fn of(document: &'a Document) -> Products<'a> {
        let mut products: Vec<&Product> = document.products.iter().collect();
        products.sort_by(|a, b| (&a.vendor_name, &a.name, a.id).cmp(&(&b.vendor_name, &b.name, b.id)));
        let mut entries = Vec::new();
        for product in products {
            let scheme = scheme(product);
            let mut versions: Vec<Entry> = product
                .versions
                .iter()
                .map(|v| Entry {
                    pid: String::new(),
                    product,
                    version: v.version.clone(),
                    version_id: Some(v.id),
                    purl: v.purl.clone().or_else(|| product.purl.as_deref().map(|p| purl_with_version(p, &v.version))),
                    cpe: v.cpe.clone().or_else(|| product.cpe.as_deref().and_then(|c| cpe_with_version(c, &v.version))),
                })
                .collect();
            for update in document.updates.iter().filter(|u| u.product_id == product.id) {
                if !versions.iter().any(|e| e.version == update.fixed_version) {
                    versions.push(fixed_entry(product, update));
                }
            }
            versions.sort_by(|a, b| compare(scheme, &a.version, &b.version).then(a.version_id.cmp(&b.version_id)));
            entries.extend(versions);
        }
        for (i, entry) in entries.iter_mut().enumerate() {
            entry.pid = format!("CSAFPID-{:04}", i + 1);
        }
        Products { entries }
    }

    /// The products, each once, in order.
    pub fn products(&self) -> Vec<&'a Product> {
        let mut products: Vec<&Product> = self.entries.iter().map(|e| e.product).collect();
        products.dedup_by_key(|p| p.id);
        products
    }

    /// The listed versions of a product that a vulnerability affects, in order.
    pub fn affected(&self, product: &Product, v: &Vulnerability) -> Vec<&Entry<'a>> {
        self.entries
            .iter()
            .filter(|e| e.product.id == product.id && e.version_id.is_some_and(|id| v.affected.contains(&id)))
            .collect()
    }

    /// The updates that fix at least one version a vulnerability affects, in the order of their
    /// fixed versions.
    pub fn fixes<'d>(&self, document: &'d Document, v: &Vulnerability) -> Vec<&'d Update> {
        let mut updates: Vec<&Update> = Vec::new();
        for id in &v.affected {
            let Some(update) = self.listed(*id).and_then(|e| e.update(document)) else { continue };
            if !updates.iter().any(|u| std::ptr::eq(*u, update)) {
                updates.push(update);
            }
        }
        updates.sort_by_key(|u| {
            self.entries.iter().position(|e| e.product.id == u.product_id && e.version == u.fixed_version)
        });
        updates
    }

    /// The entry of a listed product version.
    pub fn listed(&self, version_id: i64) -> Option<&Entry<'a>> {
        self.entries.iter().find(|e| e.version_id == Some(version_id))
    }

    /// The entry of an update's fixed version.
    pub fn fixed(&self, update: &Update) -> Option<&Entry<'a>> {
        self.entries.iter().find(|e| e.product.id == update.product_id && e.version == update.fixed_version)
    }
}

fn fixed_entry<'a>(product: &'a Product, update: &Update) -> Entry<'a> {
    Entry {
        pid: String::new(),
        product,
        version: update.fixed_version.clone(),
        version_id: None,
        purl: update
            .purl
            .clone()
            .or_else(|| product.purl.as_deref().map(|p| purl_with_version(p, &update.fixed_version))),
        cpe: product.cpe.as_deref().and_then(|c| cpe_with_version(c, &update.fixed_version)),
    }
}

/// The product's package, when its package URL names one in an OSV ecosystem.
pub(crate) fn package(product: &Product) -> Option<Purl> {
    let text = product.purl.as_deref().or_else(|| product.versions.iter().find_map(|v| v.purl.as_deref()))?;
    purl::parse(text).ok().filter(|p| p.ecosystem().is_some() && p.package_name().is_some())
}

/// The version scheme of a product: its package's, else the generic order.
pub(crate) fn scheme(product: &Product) -> Scheme {
    package(product).and_then(|p| p.ecosystem()).and_then(|e| Scheme::parse(&e).ok()).unwrap_or(Scheme::Generic)
}

/// Orders versions by the scheme, falling back to the generic order and then the text, so the
/// order is total even for versions the scheme refuses.
pub(crate) fn compare(scheme: Scheme, a: &str, b: &str) -> Ordering {
    scheme.compare(a, b).or_else(|_| Scheme::Generic.compare(a, b)).unwrap_or(Ordering::Equal).then_with(|| a.cmp(b))
}

/// A package URL with its version set: `pkg:deb/debian/openssl?distro=debian-12` and `3.0.11-1`
/// give `pkg:deb/debian/openssl@3.0.11-1?distro=debian-12`.
pub(crate) fn purl_with_version(purl: &str, version: &str) -> String {
    let (base, tail) = match purl.find(['?', '#']) {
        Some(i) => purl.split_at(i),
        None => (purl, ""),
    };
    let last_slash = base.rfind('/').map_or(0, |i| i + 1);
    let base = match base[last_slash..].rfind('@') {
        Some(at) => &base[..last_slash + at],
        None => base,
    };
    let mut encoded = String::with_capacity(version.len());
    for b in version.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'~') {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("{base}@{encoded}{tail}")
}

/// A CPE 2.3 name with its version part set, when the product's CPE leaves the version open.
pub(crate) fn cpe_with_version(cpe: &str, version: &str) -> Option<String> {
    let mut parts: Vec<String> = cpe.split(':').map(str::to_owned).collect();
    if parts.len() != 13 || !matches!(parts[5].as_str(), "*" | "-") {
        return None;
    }
    let mut quoted = String::with_capacity(version.len());
    for c in version.chars() {
        if !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')) {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    parts[5] = quoted;
    Some(parts.join(":"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_in_identifiers() {
        let table = [
            ("pkg:cargo/widget", "2.3.1", "pkg:cargo/widget@2.3.1"),
            (
                "pkg:deb/debian/openssl?distro=debian-12",
                "3.0.11-1+deb12u2",
                "pkg:deb/debian/openssl@3.0.11-1%2Bdeb12u2?distro=debian-12",
            ),
            ("pkg:npm/%40acme/widget@1.0.0", "1.0.1", "pkg:npm/%40acme/widget@1.0.1"),
        ];
        for (purl, version, expected) in table {
            assert_eq!(purl_with_version(purl, version), expected);
        }
        assert_eq!(
            cpe_with_version("cpe:2.3:a:acme:widget:*:*:*:*:*:*:*:*", "2.3.1").as_deref(),
            Some("cpe:2.3:a:acme:widget:2.3.1:*:*:*:*:*:*:*")
        );
        assert_eq!(cpe_with_version("cpe:2.3:a:acme:widget:2.0:*:*:*:*:*:*:*", "2.3.1"), None);
    }
}
