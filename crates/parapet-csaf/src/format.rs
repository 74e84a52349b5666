//! The string formats and patterns of the CSAF 2.0 schema, written out by hand (the schema's
//! regular expressions, `date-time` and `uri`), plus the readings that the tests share: a
//! document version (integer or SemVer) and a language tag split into its subtags.

use std::cmp::Ordering;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// An RFC 3339 date-time, as JSON schema's `date-time` format requires.
pub fn date_time(text: &str) -> Option<OffsetDateTime> {
    let b = text.as_bytes();
    // RFC 3339 lets applications use a space instead of "T"; JSON schema's format does not.
    if !matches!(b.get(10), Some(b'T' | b't')) {
        return None;
    }
    // time's parser is stricter about case than RFC 3339 ("t" and "z" are allowed).
    let normalized;
    let text = if b.iter().any(|c| matches!(c, b't' | b'z')) {
        normalized = text.to_ascii_uppercase();
        normalized.as_str()
    } else {
        text
    };
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

/// An absolute URI (RFC 3986): a scheme, a colon, and only characters a URI may hold.
pub fn uri(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once(':') else { return false };
    let scheme_ok = scheme.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        && scheme.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    if !scheme_ok {
        return false;
    }
    let bytes = rest.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes.get(i + 1..i + 3);
            if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                return false;
            }
            i += 3;
            continue;
        }
        let allowed = b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=".contains(&b);
        if !allowed {
            return false;
        }
        i += 1;
    }
    true
}

/// `^[\S](.*[\S])?$` (ECMAScript: `.` is no line terminator).
pub fn trimmed_single_line(text: &str) -> bool {
    let first = text.chars().next();
    let last = text.chars().next_back();
    first.is_some_and(|c| !c.is_whitespace())
        && last.is_some_and(|c| !c.is_whitespace())
        && !text.chars().any(|c| matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}'))
}

/// The pattern of `/document/category`: `^[^\s\-_\.](.*[^\s\-_\.])?$`.
pub fn category(text: &str) -> bool {
    let edge = |c: Option<char>| c.is_some_and(|c| !c.is_whitespace() && !matches!(c, '-' | '_' | '.'));
    edge(text.chars().next())
        && edge(text.chars().next_back())
        && !text.chars().any(|c| matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}'))
}

/// `^CVE-[0-9]{4}-[0-9]{4,}$`
pub fn cve(text: &str) -> bool {
    let Some(rest) = text.strip_prefix("CVE-") else { return false };
    let Some((year, number)) = rest.split_once('-') else { return false };
    year.len() == 4 && all_digits(year) && number.len() >= 4 && all_digits(number)
}

/// `^CWE-[1-9]\d{0,5}$`
pub fn cwe(text: &str) -> bool {
    text.strip_prefix("CWE-").is_some_and(|n| (1..=6).contains(&n.len()) && all_digits(n) && !n.starts_with('0'))
}

/// `^[0-9a-fA-F]{32,}$`
pub fn hash_value(text: &str) -> bool {
    text.len() >= 32 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `^pkg:[A-Za-z\.\-\+][A-Za-z0-9\.\-\+]*/.+`
pub fn purl_pattern(text: &str) -> bool {
    let Some(rest) = text.strip_prefix("pkg:") else { return false };
    let Some((ty, tail)) = rest.split_once('/') else { return false };
    let sym = |b: u8| matches!(b, b'.' | b'-' | b'+');
    ty.bytes().next().is_some_and(|b| b.is_ascii_alphabetic() || sym(b))
        && ty.bytes().all(|b| b.is_ascii_alphanumeric() || sym(b))
        && !tail.is_empty()
        && !tail.contains('\n')
}

fn all_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// The CPE pattern of the schema: a CPE 2.3 formatted string or a CPE 2.2 URI.
pub fn cpe(text: &str) -> bool {
    if let Some(rest) = text.strip_prefix("cpe:2.3:") {
        let parts = split_unescaped(rest);
        if parts.len() != 11 || !matches!(parts[0], "a" | "h" | "o" | "*" | "-") {
            return false;
        }
        return parts[1..].iter().all(|p| cpe23_component(p));
    }
    let lower = text.get(..5).map(str::to_ascii_lowercase);
    if !text.starts_with('c') || lower.as_deref() != Some("cpe:/") {
        return false;
    }
    let rest = &text[5..];
    let rest = match rest.as_bytes().first() {
        Some(b'A' | b'H' | b'O' | b'a' | b'h' | b'o') => &rest[1..],
        _ => rest,
    };
    if rest.is_empty() {
        return true;
    }
    let Some(rest) = rest.strip_prefix(':') else { return false };
    let parts: Vec<&str> = rest.split(':').collect();
    parts.len() <= 6 && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-~%".contains(&b)))
}

fn split_unescaped(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (i, b) in text.bytes().enumerate() {
        match b {
            _ if escaped => escaped = false,
            b'\\' => escaped = true,
            b':' => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn cpe23_component(part: &str) -> bool {
    if part == "*" || part == "-" {
        return true;
    }
    let body = part.trim_start_matches('?');
    let body = body.strip_prefix('*').filter(|_| body.len() == part.len()).unwrap_or(body);
    let body = body.trim_end_matches('?');
    let body = body.strip_suffix('*').filter(|_| !body.ends_with("\\*") && body.len() > 1).unwrap_or(body);
    if body.is_empty() {
        return false;
    }
    let bytes = body.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'\\' {
            if !bytes.get(i + 1).is_some_and(|n| n.is_ascii_punctuation()) {
                return false;
            }
            i += 2;
        } else if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_') {
            i += 1;
        } else {
            return false;
        }
    }
    true
}

/// A `version_t`: an integer or a SemVer 2.0.0 version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Version {
    Integer(u64),
    Semantic { major: u64, minor: u64, patch: u64, pre: Vec<String>, build: Option<String> },
}

impl Version {
    pub fn parse(text: &str) -> Option<Version> {
        if all_digits(text) {
            if text.len() > 1 && text.starts_with('0') {
                return None;
            }
            return text.parse().ok().map(Version::Integer);
        }
        let (rest, build) = match text.split_once('+') {
            Some((rest, build)) => (rest, Some(build)),
            None => (text, None),
        };
        if let Some(build) = build
            && !build.split('.').all(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        {
            return None;
        }
        let (core, pre) = match rest.split_once('-') {
            Some((core, pre)) => (core, Some(pre)),
            None => (rest, None),
        };
        let numbers: Vec<&str> = core.split('.').collect();
        let numeric = |n: &str| all_digits(n) && (n == "0" || !n.starts_with('0'));
        if numbers.len() != 3 || !numbers.iter().all(|n| numeric(n)) {
            return None;
        }
        let mut pre_ids = Vec::new();
        if let Some(pre) = pre {
            for id in pre.split('.') {
                let valid = !id.is_empty()
                    && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    && (!all_digits(id) || id == "0" || !id.starts_with('0'));
                if !valid {
                    return None;
                }
                pre_ids.push(id.to_owned());
            }
        }
        Some(Version::Semantic {
            major: numbers[0].parse().ok()?,
            minor: numbers[1].parse().ok()?,
            patch: numbers[2].parse().ok()?,
            pre: pre_ids,
            build: build.map(str::to_owned),
        })
    }

    pub fn major(&self) -> u64 {
        match self {
            Version::Integer(n) => *n,
            Version::Semantic { major, .. } => *major,
        }
    }

    pub fn has_pre_release(&self) -> bool {
        matches!(self, Version::Semantic { pre, .. } if !pre.is_empty())
    }

    pub fn has_build(&self) -> bool {
        matches!(self, Version::Semantic { build: Some(_), .. })
    }

    pub fn is_integer(&self) -> bool {
        matches!(self, Version::Integer(_))
    }

    /// The version without build metadata and, when asked, without its pre-release part.
    pub fn stripped(&self, drop_pre: bool) -> Version {
        match self {
            Version::Integer(n) => Version::Integer(*n),
            Version::Semantic { major, minor, patch, pre, .. } => Version::Semantic {
                major: *major,
                minor: *minor,
                patch: *patch,
                pre: if drop_pre { Vec::new() } else { pre.clone() },
                build: None,
            },
        }
    }

    /// SemVer precedence (build metadata ignored); integers by value. `None` across the kinds.
    pub fn precedence(&self, other: &Version) -> Option<Ordering> {
        match (self, other) {
            (Version::Integer(a), Version::Integer(b)) => Some(a.cmp(b)),
            (
                Version::Semantic { major: a1, minor: a2, patch: a3, pre: ap, .. },
                Version::Semantic { major: b1, minor: b2, patch: b3, pre: bp, .. },
            ) => Some((a1, a2, a3).cmp(&(b1, b2, b3)).then_with(|| compare_pre(ap, bp))),
            _ => None,
        }
    }
}

fn compare_pre(a: &[String], b: &[String]) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        _ => {}
    }
    for (x, y) in a.iter().zip(b) {
        let order = match (x.parse::<u64>(), y.parse::<u64>()) {
            (Ok(x), Ok(y)) => x.cmp(&y),
            (Ok(_), Err(_)) => Ordering::Less,
            (Err(_), Ok(_)) => Ordering::Greater,
            (Err(_), Err(_)) => x.cmp(y),
        };
        if order != Ordering::Equal {
            return order;
        }
    }
    a.len().cmp(&b.len())
}

/// A language tag that matches the schema's `lang_t` pattern (BCP 47 syntax), split up.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LangTag {
    /// Empty for a tag that is only private use (`x-…`) or grandfathered.
    pub language: String,
    pub script: Option<String>,
    pub region: Option<String>,
    pub private_use: bool,
    pub grandfathered: bool,
}

/// Reads a language tag as the schema's pattern does.
pub fn lang(text: &str) -> Option<LangTag> {
    if text.eq_ignore_ascii_case("i-default") || text.eq_ignore_ascii_case("i-mingo") {
        return Some(LangTag { grandfathered: true, ..LangTag::default() });
    }
    let parts: Vec<&str> = text.split('-').collect();
    let alpha =
        |s: &str, min: usize, max: usize| (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphabetic());
    let alnum = |s: &str, min: usize, max: usize| {
        (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
    };
    let private = |parts: &[&str]| parts.len() >= 2 && parts[1..].iter().all(|p| alnum(p, 1, 8));
    if parts[0].eq_ignore_ascii_case("x") {
        return private(&parts).then(|| LangTag { private_use: true, ..LangTag::default() });
    }
    let mut tag = LangTag { language: parts[0].to_owned(), ..LangTag::default() };
    let mut i = 1;
    if alpha(parts[0], 2, 3) {
        let mut extlangs = 0;
        while extlangs < 3 && parts.get(i).is_some_and(|p| alpha(p, 3, 3)) {
            i += 1;
            extlangs += 1;
        }
    } else if !alpha(parts[0], 4, 8) {
        return None;
    }
    if let Some(p) = parts.get(i).filter(|p| alpha(p, 4, 4)) {
        tag.script = Some((*p).to_owned());
        i += 1;
    }
    if let Some(p) = parts.get(i).filter(|p| alpha(p, 2, 2) || (p.len() == 3 && all_digits(p))) {
        tag.region = Some((*p).to_owned());
        i += 1;
    }
    while let Some(p) = parts.get(i) {
        let variant = alnum(p, 5, 8) || (p.len() == 4 && p.as_bytes()[0].is_ascii_digit() && alnum(p, 4, 4));
        if !variant {
            break;
        }
        i += 1;
    }
    while let Some(p) = parts.get(i) {
        if p.len() != 1 || p.eq_ignore_ascii_case("x") || !alnum(p, 1, 1) {
            break;
        }
        let start = i;
        i += 1;
        while parts.get(i).is_some_and(|p| alnum(p, 2, 8)) {
            i += 1;
        }
        if i == start + 1 {
            return None;
        }
    }
    if parts.get(i).is_some_and(|p| p.eq_ignore_ascii_case("x")) {
        if !private(&parts[i..]) {
            return None;
        }
        tag.private_use = true;
        i = parts.len();
    }
    (i == parts.len()).then_some(tag)
}

impl LangTag {
    /// Whether the primary language exists: two-letter tags must be ISO 639-1 codes; longer
    /// ones are taken on trust (the registry of three-letter codes is too large to carry).
    pub fn language_exists(&self) -> bool {
        if self.language.len() != 2 {
            return true;
        }
        let code = self.language.to_ascii_lowercase();
        ISO_639_1.split(' ').any(|c| c == code)
    }

    /// Whether the region exists: UN M.49 numeric codes are taken on trust, two letters must be
    /// an ISO 3166-1 code, one of the IANA registry's exceptional or deprecated ones, or
    /// private use.
    pub fn region_exists(&self) -> bool {
        let Some(region) = &self.region else { return true };
        if region.len() != 2 {
            return true;
        }
        let code = region.to_ascii_uppercase();
        let private = code == "AA"
            || code == "ZZ"
            || ("QM"..="QZ").contains(&code.as_str())
            || ("XA"..="XZ").contains(&code.as_str());
        private || ISO_3166_1.split(' ').any(|c| c == code)
    }

    /// Whether a subtag is reserved for private use (BCP 47 / the IANA registry).
    pub fn uses_private_subtags(&self) -> bool {
        let language = self.language.to_ascii_lowercase();
        let private_language = language.len() == 3 && ("qaa"..="qtz").contains(&language.as_str());
        let private_script = self.script.as_ref().is_some_and(|s| {
            let s = s.to_ascii_lowercase();
            ("qaaa"..="qabx").contains(&s.as_str())
        });
        let private_region = self.region.as_ref().is_some_and(|r| {
            let r = r.to_ascii_uppercase();
            r == "AA" || r == "ZZ" || ("QM"..="QZ").contains(&r.as_str()) || ("XA"..="XZ").contains(&r.as_str())
        });
        self.private_use || private_language || private_script || private_region
    }
}

const ISO_639_1: &str = "aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv \
cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii \
ik in io is it iu iw ja ji jv jw ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml \
mn mo mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg sh si \
sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu";

const ISO_3166_1: &str = "AC AD AE AF AG AI AL AM AN AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN \
BO BQ BR BS BT BU BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CP CQ CR CS CU CV CW CX CY CZ DD DE DG DJ DK DM DO DZ \
EA EC EE EG EH ER ES ET EU EZ FI FJ FK FM FO FR FX GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR \
HT HU IC ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA \
MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NT NU NZ OM PA PE PF PG \
PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SU SV SX SY SZ TA TC \
TD TF TG TH TJ TK TL TM TN TO TP TR TT TV TW TZ UA UG UM UN US UY UZ VA VC VE VG VI VN VU WF WS XK YD YE YT YU ZA ZM ZR \
ZW";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages() {
        for ok in ["en", "de-DE", "zh-Hant-TW", "en-US-x-twain", "x-private", "i-default", "sgn-ase", "es-419"] {
            assert!(lang(ok).is_some(), "{ok}");
        }
        for bad in ["", "e", "en-", "en--US", "toolongtagxx", "en-US-x"] {
            assert!(lang(bad).is_none(), "{bad}");
        }
        assert!(!lang("EZ").unwrap().language_exists());
        assert!(!lang("en-QA").unwrap().uses_private_subtags());
        assert!(lang("de-DE").unwrap().region_exists() && lang("es-419").unwrap().region_exists());
        assert!(!lang("en-OO").unwrap().region_exists());
        assert!(lang("qtx").unwrap().uses_private_subtags());
        assert!(lang("en-x-foo").unwrap().uses_private_subtags());
        assert!(!lang("en-US").unwrap().uses_private_subtags());
    }

    #[test]
    fn versions() {
        assert_eq!(Version::parse("2"), Some(Version::Integer(2)));
        assert!(Version::parse("01").is_none());
        assert!(Version::parse("1.0.0-rc.1+build.5").unwrap().has_pre_release());
        assert!(Version::parse("1.0").is_none());
        assert!(Version::parse("1.0.0-01").is_none());
    }

    #[test]
    fn patterns() {
        assert!(cpe("cpe:2.3:a:example:product:1.0:*:*:*:*:*:*:*"));
        assert!(cpe("cpe:/a:example:product:1.0"));
        assert!(!cpe("cpe:2.3:a:example"));
        assert!(uri("https://example.com/a%20b?x=1#f"));
        assert!(!uri("not a uri"));
        assert!(date_time("2021-07-21T10:00:00.000Z").is_some());
        assert!(date_time("2021-07-21 10:00:00Z").is_none());
        assert!(cve("CVE-2021-44228") && !cve("CVE-21-1"));
        assert!(cwe("CWE-79") && !cwe("CWE-079"));
    }
}
