//! CVSS v2.0, v3.0 and v3.1 as CSAF embeds them: vectors read against the metric tables, the
//! base, temporal and environmental scores computed as the FIRST specifications define them
//! (6.1.9), and the JSON properties that restate a metric (6.1.10).

use std::collections::HashMap;

/// One metric: the JSON property, the vector key, and its values (abbreviation, JSON value).
struct Metric {
    property: &'static str,
    key: &'static str,
    values: &'static [(&'static str, &'static str)],
    required: bool,
}

const fn m(property: &'static str, key: &'static str, values: &'static [(&'static str, &'static str)]) -> Metric {
    Metric { property, key, values, required: false }
}
const fn base(property: &'static str, key: &'static str, values: &'static [(&'static str, &'static str)]) -> Metric {
    Metric { property, key, values, required: true }
}

const V3_AV: &[(&str, &str)] = &[("N", "NETWORK"), ("A", "ADJACENT_NETWORK"), ("L", "LOCAL"), ("P", "PHYSICAL")];
const V3_MAV: &[(&str, &str)] =
    &[("X", "NOT_DEFINED"), ("N", "NETWORK"), ("A", "ADJACENT_NETWORK"), ("L", "LOCAL"), ("P", "PHYSICAL")];
const V3_AC: &[(&str, &str)] = &[("L", "LOW"), ("H", "HIGH")];
const V3_MAC: &[(&str, &str)] = &[("X", "NOT_DEFINED"), ("L", "LOW"), ("H", "HIGH")];
const V3_PR: &[(&str, &str)] = &[("N", "NONE"), ("L", "LOW"), ("H", "HIGH")];
const V3_MPR: &[(&str, &str)] = &[("X", "NOT_DEFINED"), ("N", "NONE"), ("L", "LOW"), ("H", "HIGH")];
const V3_UI: &[(&str, &str)] = &[("N", "NONE"), ("R", "REQUIRED")];
const V3_MUI: &[(&str, &str)] = &[("X", "NOT_DEFINED"), ("N", "NONE"), ("R", "REQUIRED")];
const V3_S: &[(&str, &str)] = &[("U", "UNCHANGED"), ("C", "CHANGED")];
const V3_MS: &[(&str, &str)] = &[("X", "NOT_DEFINED"), ("U", "UNCHANGED"), ("C", "CHANGED")];
const V3_CIA: &[(&str, &str)] = &[("H", "HIGH"), ("L", "LOW"), ("N", "NONE")];
const V3_MCIA: &[(&str, &str)] = &[("X", "NOT_DEFINED"), ("H", "HIGH"), ("L", "LOW"), ("N", "NONE")];
const V3_E: &[(&str, &str)] =
    &[("X", "NOT_DEFINED"), ("H", "HIGH"), ("F", "FUNCTIONAL"), ("P", "PROOF_OF_CONCEPT"), ("U", "UNPROVEN")];
const V3_RL: &[(&str, &str)] =
    &[("X", "NOT_DEFINED"), ("U", "UNAVAILABLE"), ("W", "WORKAROUND"), ("T", "TEMPORARY_FIX"), ("O", "OFFICIAL_FIX")];
const V3_RC: &[(&str, &str)] = &[("X", "NOT_DEFINED"), ("C", "CONFIRMED"), ("R", "REASONABLE"), ("U", "UNKNOWN")];
const V3_REQ: &[(&str, &str)] = &[("X", "NOT_DEFINED"), ("H", "HIGH"), ("M", "MEDIUM"), ("L", "LOW")];

const V3_METRICS: &[Metric] = &[
    base("attackVector", "AV", V3_AV),
    base("attackComplexity", "AC", V3_AC),
    base("privilegesRequired", "PR", V3_PR),
    base("userInteraction", "UI", V3_UI),
    base("scope", "S", V3_S),
    base("confidentialityImpact", "C", V3_CIA),
    base("integrityImpact", "I", V3_CIA),
    base("availabilityImpact", "A", V3_CIA),
    m("exploitCodeMaturity", "E", V3_E),
    m("remediationLevel", "RL", V3_RL),
    m("reportConfidence", "RC", V3_RC),
    m("confidentialityRequirement", "CR", V3_REQ),
    m("integrityRequirement", "IR", V3_REQ),
    m("availabilityRequirement", "AR", V3_REQ),
    m("modifiedAttackVector", "MAV", V3_MAV),
    m("modifiedAttackComplexity", "MAC", V3_MAC),
    m("modifiedPrivilegesRequired", "MPR", V3_MPR),
    m("modifiedUserInteraction", "MUI", V3_MUI),
    m("modifiedScope", "MS", V3_MS),
    m("modifiedConfidentialityImpact", "MC", V3_MCIA),
    m("modifiedIntegrityImpact", "MI", V3_MCIA),
    m("modifiedAvailabilityImpact", "MA", V3_MCIA),
];

const V2_CIA: &[(&str, &str)] = &[("N", "NONE"), ("P", "PARTIAL"), ("C", "COMPLETE")];
const V2_REQ: &[(&str, &str)] = &[("L", "LOW"), ("M", "MEDIUM"), ("H", "HIGH"), ("ND", "NOT_DEFINED")];
const V2_METRICS: &[Metric] = &[
    base("accessVector", "AV", &[("L", "LOCAL"), ("A", "ADJACENT_NETWORK"), ("N", "NETWORK")]),
    base("accessComplexity", "AC", &[("H", "HIGH"), ("M", "MEDIUM"), ("L", "LOW")]),
    base("authentication", "Au", &[("M", "MULTIPLE"), ("S", "SINGLE"), ("N", "NONE")]),
    base("confidentialityImpact", "C", V2_CIA),
    base("integrityImpact", "I", V2_CIA),
    base("availabilityImpact", "A", V2_CIA),
    m(
        "exploitability",
        "E",
        &[("U", "UNPROVEN"), ("POC", "PROOF_OF_CONCEPT"), ("F", "FUNCTIONAL"), ("H", "HIGH"), ("ND", "NOT_DEFINED")],
    ),
    m(
        "remediationLevel",
        "RL",
        &[
            ("OF", "OFFICIAL_FIX"),
            ("TF", "TEMPORARY_FIX"),
            ("W", "WORKAROUND"),
            ("U", "UNAVAILABLE"),
            ("ND", "NOT_DEFINED"),
        ],
    ),
    m(
        "reportConfidence",
        "RC",
        &[("UC", "UNCONFIRMED"), ("UR", "UNCORROBORATED"), ("C", "CONFIRMED"), ("ND", "NOT_DEFINED")],
    ),
    m(
        "collateralDamagePotential",
        "CDP",
        &[
            ("N", "NONE"),
            ("L", "LOW"),
            ("LM", "LOW_MEDIUM"),
            ("MH", "MEDIUM_HIGH"),
            ("H", "HIGH"),
            ("ND", "NOT_DEFINED"),
        ],
    ),
    m(
        "targetDistribution",
        "TD",
        &[("N", "NONE"), ("L", "LOW"), ("M", "MEDIUM"), ("H", "HIGH"), ("ND", "NOT_DEFINED")],
    ),
    m("confidentialityRequirement", "CR", V2_REQ),
    m("integrityRequirement", "IR", V2_REQ),
    m("availabilityRequirement", "AR", V2_REQ),
];

/// Reads `key:value/...` against a metric table: every key known, at most once, every value
/// allowed, every base metric present.
fn read<'a>(body: &'a str, metrics: &[Metric]) -> Option<HashMap<&'a str, &'a str>> {
    let mut found = HashMap::new();
    for part in body.split('/') {
        let (key, value) = part.split_once(':')?;
        let metric = metrics.iter().find(|m| m.key == key)?;
        if !metric.values.iter().any(|(abbr, _)| *abbr == value) || found.insert(key, value).is_some() {
            return None;
        }
    }
    metrics.iter().filter(|m| m.required).all(|m| found.contains_key(m.key)).then_some(found)
}

/// The properties of a CVSS object that contradict its vector: (property, stated, implied).
fn contradictions(
    metrics: &[Metric],
    parsed: &HashMap<&str, &str>,
    default: &str,
    object: &serde_json::Map<String, serde_json::Value>,
) -> Vec<(&'static str, String, &'static str)> {
    let mut out = Vec::new();
    for metric in metrics {
        let Some(stated) = object.get(metric.property).and_then(|v| v.as_str()) else { continue };
        let abbr = parsed.get(metric.key).copied().unwrap_or(default);
        let implied = metric.values.iter().find(|(a, _)| *a == abbr).map_or("NOT_DEFINED", |(_, long)| long);
        if stated != implied {
            out.push((metric.property, stated.to_owned(), implied));
        }
    }
    out
}

/// Fills the metrics a vector leaves undefined with the ones the CVSS object states as
/// properties (by their long names), so that a score can be computed from both.
fn complete(
    metrics: &[Metric],
    parsed: &mut HashMap<String, String>,
    undefined: &str,
    object: &serde_json::Map<String, serde_json::Value>,
) {
    for metric in metrics {
        if parsed.get(metric.key).is_some_and(|value| value != undefined) {
            continue;
        }
        let Some(stated) = object.get(metric.property).and_then(|v| v.as_str()) else { continue };
        if let Some((abbr, _)) = metric.values.iter().find(|(_, long)| *long == stated) {
            parsed.insert(metric.key.to_owned(), (*abbr).to_owned());
        }
    }
}

/// A CVSS v3.0 or v3.1 vector.
pub struct V3 {
    minor: u8,
    metrics: HashMap<String, String>,
}

/// Scores computed from a vector.
pub struct Scores {
    pub base: f64,
    pub temporal: f64,
    pub environmental: f64,
}

impl V3 {
    pub fn parse(vector: &str, version: &str) -> Option<V3> {
        let body = vector.strip_prefix("CVSS:")?.strip_prefix(version)?.strip_prefix('/')?;
        let minor = if version == "3.0" { 0 } else { 1 };
        let found = read(body, V3_METRICS)?;
        Some(V3 { minor, metrics: found.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect() })
    }

    pub fn contradictions(
        &self,
        object: &serde_json::Map<String, serde_json::Value>,
    ) -> Vec<(&'static str, String, &'static str)> {
        let parsed: HashMap<&str, &str> = self.metrics.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        contradictions(V3_METRICS, &parsed, "X", object)
    }

    /// The vector completed by the object's properties where it leaves a metric undefined.
    pub fn with_properties(mut self, object: &serde_json::Map<String, serde_json::Value>) -> V3 {
        complete(V3_METRICS, &mut self.metrics, "X", object);
        self
    }

    fn get(&self, key: &str) -> &str {
        self.metrics.get(key).map_or("X", String::as_str)
    }

    /// A modified metric, or the base metric when it is not defined.
    fn modified(&self, key: &str) -> &str {
        match self.get(&format!("M{key}")) {
            "X" => self.get(key),
            value => value,
        }
    }

    fn roundup(&self, x: f64) -> f64 {
        if self.minor == 0 {
            (x * 10.0 - 1e-9).ceil() / 10.0
        } else {
            let int_input = (x * 100_000.0).round() as i64;
            if int_input % 10_000 == 0 {
                int_input as f64 / 100_000.0
            } else {
                ((int_input / 10_000) + 1) as f64 / 10.0
            }
        }
    }

    pub fn scores(&self) -> Scores {
        let av = |v: &str| match v {
            "N" => 0.85,
            "A" => 0.62,
            "L" => 0.55,
            _ => 0.2,
        };
        let ac = |v: &str| if v == "L" { 0.77 } else { 0.44 };
        let pr = |v: &str, changed: bool| match (v, changed) {
            ("N", _) => 0.85,
            ("L", false) => 0.62,
            ("L", true) => 0.68,
            (_, false) => 0.27,
            (_, true) => 0.5,
        };
        let ui = |v: &str| if v == "N" { 0.85 } else { 0.62 };
        let cia = |v: &str| match v {
            "H" => 0.56,
            "L" => 0.22,
            _ => 0.0,
        };
        let changed = self.get("S") == "C";
        let iss: f64 = 1.0 - (1.0 - cia(self.get("C"))) * (1.0 - cia(self.get("I"))) * (1.0 - cia(self.get("A")));
        let impact: f64 = if changed { 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02).powi(15) } else { 6.42 * iss };
        let exploitability: f64 =
            8.22 * av(self.get("AV")) * ac(self.get("AC")) * pr(self.get("PR"), changed) * ui(self.get("UI"));
        let base = if impact <= 0.0 {
            0.0
        } else if changed {
            self.roundup((1.08 * (impact + exploitability)).min(10.0))
        } else {
            self.roundup((impact + exploitability).min(10.0))
        };
        let e: f64 = match self.get("E") {
            "F" => 0.97,
            "P" => 0.94,
            "U" => 0.91,
            _ => 1.0,
        };
        let rl: f64 = match self.get("RL") {
            "W" => 0.97,
            "T" => 0.96,
            "O" => 0.95,
            _ => 1.0,
        };
        let rc: f64 = match self.get("RC") {
            "R" => 0.96,
            "U" => 0.92,
            _ => 1.0,
        };
        let temporal = self.roundup(base * e * rl * rc);
        let req = |v: &str| match v {
            "H" => 1.5,
            "L" => 0.5,
            _ => 1.0,
        };
        let m_changed = self.modified("S") == "C";
        let miss: f64 = (1.0_f64
            - (1.0 - req(self.get("CR")) * cia(self.modified("C")))
                * (1.0 - req(self.get("IR")) * cia(self.modified("I")))
                * (1.0 - req(self.get("AR")) * cia(self.modified("A"))))
        .min(0.915);
        let m_impact: f64 = if !m_changed {
            6.42 * miss
        } else if self.minor == 0 {
            7.52 * (miss - 0.029) - 3.25 * (miss - 0.02).powi(15)
        } else {
            7.52 * (miss - 0.029) - 3.25 * (miss * 0.9731 - 0.02).powi(13)
        };
        let m_exploitability: f64 = 8.22
            * av(self.modified("AV"))
            * ac(self.modified("AC"))
            * pr(self.modified("PR"), m_changed)
            * ui(self.modified("UI"));
        let environmental = if m_impact <= 0.0 {
            0.0
        } else if m_changed {
            self.roundup(self.roundup((1.08 * (m_impact + m_exploitability)).min(10.0)) * e * rl * rc)
        } else {
            self.roundup(self.roundup((m_impact + m_exploitability).min(10.0)) * e * rl * rc)
        };
        Scores { base, temporal, environmental }
    }
}

/// The qualitative severity of a v3 score.
pub fn severity(score: f64) -> &'static str {
    if score == 0.0 {
        "NONE"
    } else if score < 4.0 {
        "LOW"
    } else if score < 7.0 {
        "MEDIUM"
    } else if score < 9.0 {
        "HIGH"
    } else {
        "CRITICAL"
    }
}

/// A CVSS v2.0 vector.
pub struct V2 {
    metrics: HashMap<String, String>,
}

impl V2 {
    pub fn parse(vector: &str) -> Option<V2> {
        let found = read(vector, V2_METRICS)?;
        Some(V2 { metrics: found.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect() })
    }

    pub fn contradictions(
        &self,
        object: &serde_json::Map<String, serde_json::Value>,
    ) -> Vec<(&'static str, String, &'static str)> {
        let parsed: HashMap<&str, &str> = self.metrics.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        contradictions(V2_METRICS, &parsed, "ND", object)
    }

    /// The vector completed by the object's properties where it leaves a metric undefined.
    pub fn with_properties(mut self, object: &serde_json::Map<String, serde_json::Value>) -> V2 {
        complete(V2_METRICS, &mut self.metrics, "ND", object);
        self
    }

    fn get(&self, key: &str) -> &str {
        self.metrics.get(key).map_or("ND", String::as_str)
    }

    pub fn scores(&self) -> Scores {
        let round1 = |x: f64| (x * 10.0).round() / 10.0;
        let cia = |v: &str| match v {
            "P" => 0.275,
            "C" => 0.660,
            _ => 0.0,
        };
        let av = match self.get("AV") {
            "L" => 0.395,
            "A" => 0.646,
            _ => 1.0,
        };
        let ac = match self.get("AC") {
            "H" => 0.35,
            "M" => 0.61,
            _ => 0.71,
        };
        let au = match self.get("Au") {
            "M" => 0.45,
            "S" => 0.56,
            _ => 0.704,
        };
        let exploitability = 20.0 * av * ac * au;
        let formula = |impact: f64| {
            let f = if impact == 0.0 { 0.0 } else { 1.176 };
            round1(((0.6 * impact) + (0.4 * exploitability) - 1.5) * f)
        };
        let (c, i, a) = (cia(self.get("C")), cia(self.get("I")), cia(self.get("A")));
        let base = formula(10.41 * (1.0 - (1.0 - c) * (1.0 - i) * (1.0 - a)));
        let e: f64 = match self.get("E") {
            "U" => 0.85,
            "POC" => 0.9,
            "F" => 0.95,
            _ => 1.0,
        };
        let rl: f64 = match self.get("RL") {
            "OF" => 0.87,
            "TF" => 0.9,
            "W" => 0.95,
            _ => 1.0,
        };
        let rc: f64 = match self.get("RC") {
            "UC" => 0.9,
            "UR" => 0.95,
            _ => 1.0,
        };
        let temporal = round1(base * e * rl * rc);
        let req = |v: &str| match v {
            "L" => 0.5,
            "H" => 1.51,
            _ => 1.0,
        };
        let adjusted_impact: f64 = (10.41_f64
            * (1.0
                - (1.0 - c * req(self.get("CR"))) * (1.0 - i * req(self.get("IR"))) * (1.0 - a * req(self.get("AR")))))
        .min(10.0);
        let adjusted_temporal = round1(formula(adjusted_impact) * e * rl * rc);
        let cdp = match self.get("CDP") {
            "L" => 0.1,
            "LM" => 0.3,
            "MH" => 0.4,
            "H" => 0.5,
            _ => 0.0,
        };
        let td = match self.get("TD") {
            "N" => 0.0,
            "L" => 0.25,
            "M" => 0.75,
            _ => 1.0,
        };
        let environmental = round1((adjusted_temporal + (10.0 - adjusted_temporal) * cdp) * td);
        Scores { base, temporal, environmental }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_scores() {
        let cases = [
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "3.1", 9.8),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", "3.1", 10.0),
            ("CVSS:3.1/AV:L/AC:L/PR:H/UI:R/S:U/C:H/I:H/A:H", "3.1", 6.5),
            ("CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N", "3.0", 6.4),
            ("CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N", "3.1", 3.1),
        ];
        for (vector, version, expected) in cases {
            assert_eq!(V3::parse(vector, version).unwrap().scores().base, expected, "{vector}");
        }
        assert_eq!(V2::parse("AV:N/AC:L/Au:N/C:P/I:P/A:P").unwrap().scores().base, 7.5);
        assert_eq!(V2::parse("AV:N/AC:M/Au:N/C:C/I:C/A:C").unwrap().scores().base, 9.3);
        assert!(V3::parse("CVSS:3.1/AV:N/AC:L", "3.1").is_none());
    }
}
