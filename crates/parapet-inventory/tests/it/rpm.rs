//! `parapet_inventory::rpm`: header blobs built here, entry by entry, as rpm lays them out (a
//! region tag first, data aligned for its type), what is read from them, and the error for each
//! way a blob can be corrupt.

use parapet_inventory::rpm::{self, RpmPackage};
use parapet_versions::Scheme;

const NAME: u32 = 1000;
const VERSION: u32 = 1001;
const RELEASE: u32 = 1002;
const EPOCH: u32 = 1003;
const SUMMARY: u32 = 1004;
const VENDOR: u32 = 1011;
const ARCH: u32 = 1022;
const SOURCERPM: u32 = 1044;
const DIRNAMES: u32 = 1118;
const MODULARITYLABEL: u32 = 5096;
const HEADERIMMUTABLE: u32 = 63;

const INT32: u32 = 4;
const STRING: u32 = 6;
const BIN: u32 = 7;
const STRING_ARRAY: u32 = 8;
const I18NSTRING: u32 = 9;

/// The value of one entry: its type, count and data bytes.
#[derive(Clone)]
struct Value {
    kind: u32,
    count: u32,
    data: Vec<u8>,
}

fn string(text: &str) -> Value {
    Value { kind: STRING, count: 1, data: [text.as_bytes(), b"\0"].concat() }
}

fn bytes(kind: u32, count: u32, data: &[u8]) -> Value {
    Value { kind, count, data: data.to_vec() }
}

fn int32(values: &[u32]) -> Value {
    Value { kind: INT32, count: values.len() as u32, data: values.iter().flat_map(|v| v.to_be_bytes()).collect() }
}

fn strings(kind: u32, texts: &[&str]) -> Value {
    Value { kind, count: texts.len() as u32, data: texts.iter().flat_map(|t| [t.as_bytes(), b"\0"].concat()).collect() }
}

/// A header blob as the rpmdb stores it: the counts, a `HEADERIMMUTABLE` region entry pointing
/// at a 16-byte trailer at the end of the data, then `entries`, each value aligned as rpm aligns
/// it for its type.
fn blob(entries: &[(u32, Value)]) -> Vec<u8> {
    let mut index = Vec::new();
    let mut data = Vec::new();
    for (tag, value) in entries {
        let align = match value.kind {
            3 => 2,
            4 => 4,
            5 => 8,
            _ => 1,
        };
        while data.len() % align != 0 {
            data.push(0);
        }
        index.push([*tag, value.kind, data.len() as u32, value.count]);
        data.extend_from_slice(&value.data);
    }
    let count = index.len() as u32 + 1;
    // The trailer is itself an index entry: the region tag and minus the region's index size.
    index.insert(0, [HEADERIMMUTABLE, BIN, data.len() as u32, 16]);
    for word in [HEADERIMMUTABLE, BIN, (count * 16).wrapping_neg(), 16] {
        data.extend_from_slice(&word.to_be_bytes());
    }
    let mut blob = Vec::new();
    blob.extend_from_slice(&count.to_be_bytes());
    blob.extend_from_slice(&(data.len() as u32).to_be_bytes());
    for entry in index {
        for word in entry {
            blob.extend_from_slice(&word.to_be_bytes());
        }
    }
    blob.extend_from_slice(&data);
    blob
}

/// OpenSSL's library as RHEL 9 installs it, with tags the parser skips around those it reads.
fn openssl() -> Vec<(u32, Value)> {
    vec![
        (NAME, string("openssl-libs")),
        (VERSION, string("3.0.7")),
        (RELEASE, string("24.el9")),
        (EPOCH, int32(&[1])),
        (SUMMARY, strings(I18NSTRING, &["A general purpose cryptography library with TLS implementation"])),
        (VENDOR, string("Red Hat, Inc.")),
        (ARCH, string("x86_64")),
        (SOURCERPM, string("openssl-3.0.7-24.el9.src.rpm")),
        (DIRNAMES, strings(STRING_ARRAY, &["/etc/pki/tls/", "/usr/lib64/"])),
    ]
}

/// `entries` with the entry of `tag` replaced by `value`, or dropped when `value` is `None`.
fn with(entries: &[(u32, Value)], tag: u32, value: Option<Value>) -> Vec<(u32, Value)> {
    let mut entries: Vec<(u32, Value)> = entries.iter().filter(|(t, _)| *t != tag).cloned().collect();
    if let Some(value) = value {
        entries.push((tag, value));
    }
    entries
}

/// `blob` with word `word` (0 to 3: tag, type, offset, count) of index entry `entry` set to
/// `value`; entry 0 is the region.
fn patch(mut blob: Vec<u8>, entry: usize, word: usize, value: u32) -> Vec<u8> {
    let at = 8 + entry * 16 + word * 4;
    blob[at..at + 4].copy_from_slice(&value.to_be_bytes());
    blob
}

/// A package as one line: name, EVR, arch, source name and version, vendor and module.
fn render(p: &RpmPackage) -> String {
    let or_none = |value: &Option<String>| value.clone().unwrap_or_else(|| "-".to_owned());
    format!(
        "{} {} {} {} {} {} {}",
        p.name,
        p.evr(),
        p.arch,
        or_none(&p.source_name),
        or_none(&p.source_version),
        p.vendor.as_ref().map_or_else(|| "-".to_owned(), |vendor| format!("{vendor:?}")),
        or_none(&p.modularity_label),
    )
}

#[track_caller]
fn check(blob: &[u8], expected: Result<&str, &str>) {
    let got = rpm::parse_header(blob);
    if let Ok(package) = &got {
        Scheme::Rpm.validate(&package.evr()).unwrap();
    }
    let got = got.as_ref().map(render).map_err(ToString::to_string);
    assert_eq!(got.as_deref().map_err(String::as_str), expected);
}

#[test]
fn packages() {
    let openssl = openssl();
    let table: &[(Vec<(u32, Value)>, &str)] = &[
        (openssl.clone(), r#"openssl-libs 1:3.0.7-24.el9 x86_64 openssl 3.0.7-24.el9 "Red Hat, Inc." -"#),
        // No epoch; a module stream; a package whose sources are not shipped.
        (
            with(&with(&openssl, EPOCH, None), MODULARITYLABEL, Some(string("nodejs:18:9020020230:rhel9"))),
            r#"openssl-libs 3.0.7-24.el9 x86_64 openssl 3.0.7-24.el9 "Red Hat, Inc." nodejs:18:9020020230:rhel9"#,
        ),
        (
            with(&openssl, SOURCERPM, Some(string("nvidia-driver-535.1-1.fc39.nosrc.rpm"))),
            r#"openssl-libs 1:3.0.7-24.el9 x86_64 nvidia-driver 535.1-1.fc39 "Red Hat, Inc." -"#,
        ),
        // Epoch 0 is kept: rpm prints `0:` for it in `%{EPOCH}`, unlike a missing one.
        (
            with(&openssl, EPOCH, Some(int32(&[0]))),
            r#"openssl-libs 0:3.0.7-24.el9 x86_64 openssl 3.0.7-24.el9 "Red Hat, Inc." -"#,
        ),
        // An imported signing key, as rpm records it: no arch, no source package, no vendor.
        (
            vec![
                (NAME, string("gpg-pubkey")),
                (VERSION, string("fd431d51")),
                (RELEASE, string("4ae0493b")),
                (SOURCERPM, string("(none)")),
                (SUMMARY, strings(I18NSTRING, &["Red Hat, Inc. (release key 2) <security@redhat.com> public key"])),
            ],
            "gpg-pubkey fd431d51-4ae0493b  - - - -",
        ),
        // A vendor in Latin-1 is read with the bad byte replaced.
        (
            with(&openssl, VENDOR, Some(bytes(STRING, 1, b"Soci\xe9t\xe9\0"))),
            "openssl-libs 1:3.0.7-24.el9 x86_64 openssl 3.0.7-24.el9 \"Soci\u{fffd}t\u{fffd}\" -",
        ),
        // A tag added after the immutable region replaces the one inside it.
        (
            [openssl.clone(), vec![(RELEASE, string("25.el9"))]].concat(),
            r#"openssl-libs 1:3.0.7-25.el9 x86_64 openssl 3.0.7-24.el9 "Red Hat, Inc." -"#,
        ),
        // Unknown tags of every type are skipped, whatever they hold.
        (
            [
                openssl.clone(),
                vec![
                    (1, bytes(0, 0, b"")),
                    (2, bytes(1, 3, b"abc")),
                    (3, bytes(3, 2, b"\0\x01\0\x02")),
                    (4, bytes(5, 1, &7u64.to_be_bytes())),
                    (5, bytes(BIN, 0, b"")),
                ],
            ]
            .concat(),
            r#"openssl-libs 1:3.0.7-24.el9 x86_64 openssl 3.0.7-24.el9 "Red Hat, Inc." -"#,
        ),
    ];
    for (entries, expected) in table {
        check(&blob(entries), Ok(expected));
    }
}

#[test]
fn region_tags_are_skipped() {
    // rpm checks region trailers by rules of their own; whatever they hold, they are not data.
    let blob = blob(&openssl());
    check(&patch(blob.clone(), 0, 2, 0xffff_fff0), Ok(&render(&rpm::parse_header(&blob).unwrap())));
    check(&patch(blob.clone(), 0, 1, 99), Ok(&render(&rpm::parse_header(&blob).unwrap())));
}

#[test]
fn corrupt_blobs() {
    let openssl = openssl();
    let good = blob(&openssl);
    let data = (good.len() - 8 - 10 * 16) as u32;
    let mut padded = good.clone();
    padded.push(0);
    let table: Vec<(Vec<u8>, String)> = vec![
        (vec![], "header blob is 0 bytes, too short for its counts of index entries and data bytes".into()),
        (good[..7].to_vec(), "header blob is 7 bytes, too short for its counts of index entries and data bytes".into()),
        (
            good[..good.len() - 1].to_vec(),
            format!(
                "header blob is {} bytes, but its 10 index entries and {data} data bytes make {}",
                good.len() - 1,
                good.len()
            ),
        ),
        (
            padded,
            format!(
                "header blob is {} bytes, but its 10 index entries and {data} data bytes make {}",
                good.len() + 1,
                good.len()
            ),
        ),
        // Counts that would need gigabytes, in a blob of a few hundred bytes.
        (
            [u32::MAX.to_be_bytes(), u32::MAX.to_be_bytes()].concat(),
            format!(
                "header blob is 8 bytes, but its {} index entries and {} data bytes make {}",
                u32::MAX,
                u32::MAX,
                8 + 17 * u64::from(u32::MAX)
            ),
        ),
        (
            patch(good.clone(), 2, 2, 900),
            format!("header entry 2 (tag 1001) points past the end of the data (offset 900, data {data} bytes)"),
        ),
        (
            patch(good.clone(), 4, 2, u32::MAX),
            format!("header entry 4 (tag 1003) points past the end of the data (offset 4294967295, data {data} bytes)"),
        ),
        // The offset of the data's end is within it, but nothing follows for the value.
        (
            patch(good.clone(), 4, 2, data),
            format!(
                "header entry 4 (tag 1003): 1 values from offset {data} run past the end of the data ({data} bytes)"
            ),
        ),
        // A count whose byte size does not fit in 32 bits.
        (
            patch(good.clone(), 4, 3, u32::MAX),
            format!(
                "header entry 4 (tag 1003): 4294967295 values from offset 28 run past the end of the data ({data} bytes)"
            ),
        ),
        (
            patch(good.clone(), 9, 3, 100),
            format!(
                "header entry 9 (tag 1118): 100 values from offset 145 run past the end of the data ({data} bytes)"
            ),
        ),
        // A string that starts in the region trailer has no NUL before the end.
        (
            patch(good.clone(), 1, 2, data - 1),
            format!(
                "header entry 1 (tag 1000): 1 values from offset {} run past the end of the data ({data} bytes)",
                data - 1
            ),
        ),
        (patch(good.clone(), 2, 1, 12), "header entry 2 (tag 1001) has unknown type 12".into()),
        (patch(good.clone(), 2, 1, u32::MAX), "header entry 2 (tag 1001) has unknown type 4294967295".into()),
        // An entry of a tag the parser does not read is checked all the same.
        (patch(good.clone(), 5, 1, 10), "header entry 5 (tag 1004) has unknown type 10".into()),
        (
            blob(&with(&openssl, NAME, Some(int32(&[7])))),
            "header tag NAME (1000) must be one STRING, not type INT32 with count 1".into(),
        ),
        (
            blob(&with(&openssl, VERSION, Some(strings(I18NSTRING, &["3.0.7"])))),
            "header tag VERSION (1001) must be one STRING, not type I18NSTRING with count 1".into(),
        ),
        (
            blob(&with(&openssl, ARCH, Some(strings(STRING, &["x86_64", "noarch"])))),
            "header tag ARCH (1022) must be one STRING, not type STRING with count 2".into(),
        ),
        (
            blob(&with(&openssl, EPOCH, Some(string("1")))),
            "header tag EPOCH (1003) must be one INT32, not type STRING with count 1".into(),
        ),
        (
            blob(&with(&openssl, EPOCH, Some(int32(&[1, 2])))),
            "header tag EPOCH (1003) must be one INT32, not type INT32 with count 2".into(),
        ),
        (
            blob(&with(&openssl, VENDOR, Some(bytes(BIN, 4, b"abc\0")))),
            "header tag VENDOR (1011) must be one STRING, not type BIN with count 4".into(),
        ),
        (blob(&with(&openssl, NAME, None)), "header has no NAME tag (1000)".into()),
        (blob(&with(&openssl, VERSION, None)), "header has no VERSION tag (1001)".into()),
        (blob(&with(&openssl, RELEASE, None)), "header has no RELEASE tag (1002)".into()),
        (blob(&[]), "header has no NAME tag (1000)".into()),
        (blob(&with(&openssl, NAME, Some(string("")))), r#"header tag NAME (1000) "": must not be empty"#.into()),
        (
            blob(&with(&openssl, NAME, Some(string("openssl libs")))),
            r#"header tag NAME (1000) "openssl libs": must not contain spaces or control characters"#.into(),
        ),
        (
            blob(&with(&openssl, ARCH, Some(string("x86_64\n")))),
            r#"header tag ARCH (1022) "x86_64\n": must not contain spaces or control characters"#.into(),
        ),
        (
            blob(&with(&openssl, NAME, Some(bytes(STRING, 1, b"openssl\xff\0")))),
            "header tag NAME (1000) \"openssl\u{fffd}\": is not valid UTF-8".into(),
        ),
        (
            blob(&with(&openssl, VERSION, Some(string("3.0-7")))),
            r#"header tag VERSION (1001) "3.0-7": must not contain a hyphen, which starts the release"#.into(),
        ),
        (
            blob(&with(&openssl, VERSION, Some(string("2:3.0.7")))),
            r#"header tag VERSION (1001) "2:3.0.7": must not contain a colon, which ends the epoch"#.into(),
        ),
        (
            blob(&with(&openssl, RELEASE, Some(string("24-el9")))),
            r#"header tag RELEASE (1002) "24-el9": must not contain a hyphen, which starts the release"#.into(),
        ),
        (blob(&with(&openssl, RELEASE, Some(string("")))), r#"header tag RELEASE (1002) "": must not be empty"#.into()),
        (
            blob(&with(&openssl, SOURCERPM, Some(string("openssl-3.0.7-24.el9.rpm")))),
            r#"header tag SOURCERPM (1044) "openssl-3.0.7-24.el9.rpm": expected name-version-release.src.rpm"#.into(),
        ),
        (
            blob(&with(&openssl, SOURCERPM, Some(string("openssl-3.0.7.src.rpm")))),
            r#"header tag SOURCERPM (1044) "openssl-3.0.7.src.rpm": expected name-version-release.src.rpm"#.into(),
        ),
        (
            blob(&with(&openssl, SOURCERPM, Some(string("-3.0.7-24.el9.src.rpm")))),
            r#"header tag SOURCERPM (1044) "-3.0.7-24.el9.src.rpm": expected name-version-release.src.rpm"#.into(),
        ),
    ];
    for (blob, expected) in &table {
        check(blob, Err(expected));
    }
}

/// Every prefix and every one-byte change of a blob is read or refused, never a panic or an
/// out-of-bounds read.
#[test]
fn no_panics() {
    let good = blob(&with(&openssl(), MODULARITYLABEL, Some(string("perl:5.32:9000020230:rhel9"))));
    for end in 0..good.len() {
        assert!(rpm::parse_header(&good[..end]).is_err(), "prefix of {end} bytes");
    }
    for at in 0..good.len() {
        for byte in [0x00, 0x01, 0x7f, 0x80, 0xff] {
            let mut blob = good.clone();
            blob[at] = byte;
            if let Ok(package) = rpm::parse_header(&blob) {
                Scheme::Rpm.validate(&package.evr()).unwrap();
            }
        }
    }
}
