//! CPE names (`cpe:2.3:a:vendor:product:version:…` and the older `cpe:/a:vendor:product:version`
//! URI form): products that have no package URL, such as a vendor's appliance or application,
//! are matched by vendor, product and version. The catalog files them under the ecosystem `CPE`
//! with the name `vendor:product`, ordered by the generic scheme.

/// The ecosystem name under which CPE-identified products are matched.
pub const ECOSYSTEM: &str = "CPE";

/// The parts of a CPE name that identify a product version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cpe {
    /// `a` (application), `o` (operating system) or `h` (hardware).
    pub part: String,
    pub vendor: String,
    pub product: String,
    /// `None` for `*` (any) and `-` (not applicable).
    pub version: Option<String>,
}

impl Cpe {
    /// The name the catalog keys the product by: `vendor:product`, lowercase.
    pub fn package_name(&self) -> String {
        format!("{}:{}", self.vendor, self.product)
    }
}

/// Reads a CPE 2.3 formatted string or a CPE 2.2 URI.
pub fn parse(text: &str) -> Result<Cpe, &'static str> {
    let text = text.trim();
    let fields: Vec<String> = if let Some(rest) = text.strip_prefix("cpe:2.3:") {
        split_escaped(rest)
    } else if let Some(rest) = text.strip_prefix("cpe:/") {
        rest.split(':').map(|f| f.replace("%7e", "~").replace("%7E", "~")).collect()
    } else {
        return Err("a CPE name starts with cpe:2.3: or cpe:/");
    };
    let field =
        |i: usize| fields.get(i).map(|f| f.to_ascii_lowercase()).filter(|f| !f.is_empty() && f != "*" && f != "-");
    let part = field(0).filter(|p| matches!(p.as_str(), "a" | "o" | "h")).ok_or("the part must be a, o or h")?;
    let vendor = field(1).ok_or("the vendor is missing")?;
    let product = field(2).ok_or("the product is missing")?;
    Ok(Cpe { part, vendor, product, version: field(3) })
}

/// Splits at colons not escaped by a backslash, and removes the escapes.
fn split_escaped(text: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => fields.last_mut().expect("one field").extend(chars.next()),
            ':' => fields.push(String::new()),
            c => fields.last_mut().expect("one field").push(c),
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpe_names() {
        let cpe = parse("cpe:2.3:a:Acme:widget\\:pro:4.2.1:*:*:*:*:*:*:*").unwrap();
        assert_eq!((cpe.package_name(), cpe.version.as_deref()), ("acme:widget:pro".to_owned(), Some("4.2.1")));
        let cpe = parse("cpe:/o:acme:firmware:9").unwrap();
        assert_eq!(
            (cpe.part.as_str(), cpe.package_name(), cpe.version.as_deref()),
            ("o", "acme:firmware".to_owned(), Some("9"))
        );
        assert_eq!(parse("cpe:2.3:a:acme:widget:*:*:*:*:*:*:*:*").unwrap().version, None);
        for bad in ["acme:widget", "cpe:2.3:x:acme:widget", "cpe:2.3:a::widget", "cpe:/a:acme"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
