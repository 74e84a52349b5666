//! A CSAF document read once into what the tests share: the product definitions and references
//! with their paths, the product groups, the branches, the revision history. The reading is
//! lenient: what the schema refuses is skipped here, so every test sees only well-typed values.

use std::collections::HashMap;

use serde_json::Value;
use time::OffsetDateTime;

use crate::format::{self, Version};
use crate::join;

/// A `full_product_name_t` element.
pub struct Product<'a> {
    pub id: &'a str,
    /// The path of the full product name object.
    pub path: String,
    pub value: &'a Value,
    /// The categories of the branches above it, outermost first; `None` outside `branches`.
    pub branch_categories: Option<Vec<&'a str>>,
}

/// A branch of the product tree.
pub struct Branch<'a> {
    pub path: String,
    pub category: &'a str,
    pub name: &'a str,
}

/// A product group.
pub struct Group<'a> {
    pub id: &'a str,
    pub path: String,
}

/// An item of the revision history.
pub struct Revision<'a> {
    pub index: usize,
    pub number: &'a str,
    pub version: Option<Version>,
    pub date: Option<OffsetDateTime>,
}

pub struct Doc<'a> {
    pub root: &'a Value,
    pub category: Option<&'a str>,
    pub products: Vec<Product<'a>>,
    pub branches: Vec<Branch<'a>>,
    pub groups: Vec<Group<'a>>,
    /// Every reference to a product ID outside a full product name: (ID, path).
    pub product_refs: Vec<(&'a str, String)>,
    pub revisions: Vec<Revision<'a>>,
    pub vulnerabilities: Vec<&'a Value>,
    members: HashMap<&'a str, Vec<&'a str>>,
}

/// The strings of an array, with their indexes; nothing when it is not an array.
pub fn strings(value: Option<&Value>) -> impl Iterator<Item = (usize, &str)> {
    value.and_then(Value::as_array).into_iter().flatten().enumerate().filter_map(|(i, v)| Some((i, v.as_str()?)))
}

/// The items of an array, with their indexes.
pub fn items(value: Option<&Value>) -> impl Iterator<Item = (usize, &Value)> {
    value.and_then(Value::as_array).into_iter().flatten().enumerate()
}

pub fn str_at<'a>(value: &'a Value, pointer: &str) -> Option<&'a str> {
    value.pointer(pointer).and_then(Value::as_str)
}

/// The paths of a vulnerability that list product IDs.
pub const STATUS_GROUPS: [&str; 8] = [
    "first_affected",
    "first_fixed",
    "fixed",
    "known_affected",
    "known_not_affected",
    "last_affected",
    "recommended",
    "under_investigation",
];

impl<'a> Doc<'a> {
    pub fn read(root: &'a Value) -> Doc<'a> {
        let mut doc = Doc {
            root,
            category: str_at(root, "/document/category"),
            products: Vec::new(),
            branches: Vec::new(),
            groups: Vec::new(),
            product_refs: Vec::new(),
            revisions: Vec::new(),
            vulnerabilities: root.get("vulnerabilities").and_then(Value::as_array).into_iter().flatten().collect(),
            members: HashMap::new(),
        };
        let tree = root.get("product_tree");
        if let Some(tree) = tree {
            let mut ancestors = Vec::new();
            doc.read_branches(tree.get("branches"), "/product_tree/branches", &mut ancestors);
            for (i, product) in items(tree.get("full_product_names")) {
                doc.add_product(product, join("/product_tree/full_product_names", i), None);
            }
            for (i, group) in items(tree.get("product_groups")) {
                let path = join("/product_tree/product_groups", i);
                let products: Vec<&str> = strings(group.get("product_ids")).map(|(_, id)| id).collect();
                for (j, id) in strings(group.get("product_ids")) {
                    doc.product_refs.push((id, join(&join(&path, "product_ids"), j)));
                }
                if let Some(id) = group.get("group_id").and_then(Value::as_str) {
                    doc.members.entry(id).or_default().extend(products.iter().copied());
                    doc.groups.push(Group { id, path });
                }
            }
            for (i, relationship) in items(tree.get("relationships")) {
                let path = join("/product_tree/relationships", i);
                for key in ["product_reference", "relates_to_product_reference"] {
                    if let Some(id) = relationship.get(key).and_then(Value::as_str) {
                        doc.product_refs.push((id, join(&path, key)));
                    }
                }
                if let Some(product) = relationship.get("full_product_name") {
                    doc.add_product(product, join(&path, "full_product_name"), None);
                }
            }
        }
        for (v, vulnerability) in items(root.get("vulnerabilities")) {
            let path = join("/vulnerabilities", v);
            if let Some(status) = vulnerability.get("product_status") {
                for group in STATUS_GROUPS {
                    for (i, id) in strings(status.get(group)) {
                        doc.product_refs.push((id, format!("{path}/product_status/{group}/{i}")));
                    }
                }
            }
            for (list, key) in [
                ("remediations", "product_ids"),
                ("scores", "products"),
                ("threats", "product_ids"),
                ("flags", "product_ids"),
            ] {
                for (r, item) in items(vulnerability.get(list)) {
                    for (i, id) in strings(item.get(key)) {
                        doc.product_refs.push((id, format!("{path}/{list}/{r}/{key}/{i}")));
                    }
                }
            }
        }
        for (index, revision) in items(root.pointer("/document/tracking/revision_history")) {
            let Some(number) = revision.get("number").and_then(Value::as_str) else { continue };
            doc.revisions.push(Revision {
                index,
                number,
                version: Version::parse(number),
                date: revision.get("date").and_then(Value::as_str).and_then(format::date_time),
            });
        }
        doc
    }

    fn read_branches(&mut self, branches: Option<&'a Value>, path: &str, ancestors: &mut Vec<&'a str>) {
        for (i, branch) in items(branches) {
            let path = join(path, i);
            let category = branch.get("category").and_then(Value::as_str).unwrap_or("");
            let name = branch.get("name").and_then(Value::as_str).unwrap_or("");
            self.branches.push(Branch { path: path.clone(), category, name });
            ancestors.push(category);
            if let Some(product) = branch.get("product") {
                self.add_product(product, join(&path, "product"), Some(ancestors.clone()));
            }
            self.read_branches(branch.get("branches"), &join(&path, "branches"), ancestors);
            ancestors.pop();
        }
    }

    fn add_product(&mut self, value: &'a Value, path: String, branch_categories: Option<Vec<&'a str>>) {
        if let Some(id) = value.get("product_id").and_then(Value::as_str) {
            self.products.push(Product { id, path, value, branch_categories });
        }
    }

    /// The products of a group (empty for an unknown group).
    pub fn members(&self, group: &str) -> &[&'a str] {
        self.members.get(group).map_or(&[], Vec::as_slice)
    }

    /// The product IDs an item (remediation, threat, flag) names, directly or through groups.
    pub fn covered(&self, item: &'a Value) -> Vec<&'a str> {
        let mut ids: Vec<&'a str> = strings(item.get("product_ids")).map(|(_, id)| id).collect();
        for (_, group) in strings(item.get("group_ids")) {
            ids.extend(self.members(group).iter().copied());
        }
        ids
    }

    pub fn str(&self, pointer: &str) -> Option<&'a str> {
        str_at(self.root, pointer)
    }

    /// The revision history sorted by date, then by number, as 6.1.14, 6.1.16 and 6.1.21 read
    /// it: the order of the array carries no meaning. Dates and numbers that do not parse come
    /// first, and integers before semantic versions (6.1.30's error), so that the order is total.
    pub fn revisions_by_date(&self) -> Vec<&Revision<'a>> {
        let mut sorted: Vec<&Revision<'a>> = self.revisions.iter().collect();
        sorted.sort_by(|a, b| {
            a.date.cmp(&b.date).then_with(|| match (&a.version, &b.version) {
                (Some(x), Some(y)) => x.precedence(y).unwrap_or_else(|| y.is_integer().cmp(&x.is_integer())),
                (x, y) => x.is_some().cmp(&y.is_some()),
            })
        });
        sorted
    }
}
