//! Maven versions, ordered as Maven 3.9's `ComparableVersion`: items split at `.`, `-` and
//! digit/letter transitions, a `-` (or a qualifier after a `.`) opening a nested list, trailing
//! "null" items (`0`, `""`, `final`, `ga`, `release`) dropped, and the qualifiers
//! `alpha < beta < milestone < rc < snapshot < "" < sp` before any other, which sort
//! alphabetically.
//!
//! Every string is a Maven version; only an empty one is refused.

use crate::VersionError;
use crate::semver::cmp_digits;
use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    /// Digits without leading zeros (`"0"` for zero).
    Number(String),
    /// A qualifier after aliases (`cr` → `rc`, `ga`/`final`/`release` → `""`).
    Text(String),
    List(Vec<Item>),
}

const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];

impl Item {
    fn number(digits: &str) -> Item {
        let trimmed = digits.trim_start_matches('0');
        Item::Number(if trimmed.is_empty() { "0".to_owned() } else { trimmed.to_owned() })
    }

    fn text(text: &str, followed_by_digit: bool) -> Item {
        let text = match text {
            "a" if followed_by_digit => "alpha",
            "b" if followed_by_digit => "beta",
            "m" if followed_by_digit => "milestone",
            "ga" | "final" | "release" => "",
            "cr" => "rc",
            other => other,
        };
        Item::Text(text.to_owned())
    }

    fn is_null(&self) -> bool {
        match self {
            Item::Number(n) => n == "0",
            Item::Text(t) => t.is_empty(),
            Item::List(items) => items.is_empty(),
        }
    }

    /// `ComparableVersion.compareTo`, where `None` is the padding of the shorter list.
    fn compare(&self, other: Option<&Item>) -> Ordering {
        match (self, other) {
            (Item::Number(n), None) => {
                if n == "0" {
                    Ordering::Equal
                } else {
                    Ordering::Greater
                }
            }
            (Item::Number(a), Some(Item::Number(b))) => cmp_digits(a, b),
            (Item::Number(_), Some(_)) => Ordering::Greater,
            (Item::Text(t), None) => comparable(t).as_str().cmp(comparable("").as_str()),
            (Item::Text(a), Some(Item::Text(b))) => comparable(a).cmp(&comparable(b)),
            (Item::Text(_), Some(_)) => Ordering::Less,
            (Item::List(items), None) => {
                items.iter().map(|item| item.compare(None)).find(|o| o.is_ne()).unwrap_or(Ordering::Equal)
            }
            (Item::List(_), Some(Item::Number(_))) => Ordering::Less,
            (Item::List(_), Some(Item::Text(_))) => Ordering::Greater,
            (Item::List(a), Some(Item::List(b))) => compare_lists(a, b),
        }
    }
}

fn compare_lists(a: &[Item], b: &[Item]) -> Ordering {
    for i in 0..a.len().max(b.len()) {
        let order = match (a.get(i), b.get(i)) {
            (Some(l), r) => l.compare(r),
            (None, Some(r)) => r.compare(None).reverse(),
            (None, None) => Ordering::Equal,
        };
        if order.is_ne() {
            return order;
        }
    }
    Ordering::Equal
}

/// Known qualifiers by rank, unknown ones after them in alphabetical order, compared as strings
/// exactly as Maven does (`"7-foo"`).
fn comparable(qualifier: &str) -> String {
    match QUALIFIERS.iter().position(|q| *q == qualifier) {
        Some(i) => i.to_string(),
        None => format!("{}-{qualifier}", QUALIFIERS.len()),
    }
}

/// A parsed Maven version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    items: Vec<Item>,
}

impl Version {
    pub fn parse(version: &str) -> Result<Self, VersionError> {
        if version.is_empty() {
            return Err(VersionError::invalid("Maven", version, "version is empty"));
        }
        let version = version.to_lowercase();
        // The lists being filled, outermost first; each list is the last item of its parent.
        let mut stack: Vec<Vec<Item>> = vec![Vec::new()];
        let mut is_digit = false;
        let mut start = 0;
        for (i, c) in version.char_indices() {
            let current = stack.len() - 1;
            if c == '.' || c == '-' {
                let item = if i == start { Item::number("0") } else { parse_item(is_digit, &version[start..i]) };
                stack[current].push(item);
                start = i + 1;
                if c == '-' {
                    stack.push(Vec::new());
                }
            } else if c.is_ascii_digit() {
                if !is_digit && i > start {
                    stack[current].push(Item::text(&version[start..i], true));
                    start = i;
                    stack.push(Vec::new());
                }
                is_digit = true;
            } else {
                if is_digit && i > start {
                    stack[current].push(parse_item(true, &version[start..i]));
                    start = i;
                    stack.push(Vec::new());
                }
                is_digit = false;
            }
        }
        if version.len() > start {
            let current = stack.len() - 1;
            stack[current].push(parse_item(is_digit, &version[start..]));
        }
        // Normalise innermost first, attaching each list to its parent.
        let mut items = Vec::new();
        while let Some(mut list) = stack.pop() {
            normalize(&mut list);
            if let Some(parent) = stack.last_mut() {
                parent.push(Item::List(list));
            } else {
                items = list;
            }
        }
        Ok(Version { items })
    }
}

fn parse_item(is_digit: bool, text: &str) -> Item {
    if is_digit { Item::number(text) } else { Item::text(text, false) }
}

/// Drops trailing null items, looking through (non-null) nested lists as Maven does.
fn normalize(list: &mut Vec<Item>) {
    let mut i = list.len();
    while i > 0 {
        i -= 1;
        if list[i].is_null() {
            list.remove(i);
        } else if !matches!(list[i], Item::List(_)) {
            break;
        }
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        compare_lists(&self.items, &other.items)
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Compares two Maven versions.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(Version::parse(a)?.cmp(&Version::parse(b)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_is_invalid() {
        assert_eq!(Version::parse("").unwrap_err(), VersionError::invalid("Maven", "", "version is empty"));
    }
}
