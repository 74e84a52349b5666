//! One package of the RPM database: the header blob that rpm keeps per installed package (a
//! row of the `Packages` table of `rpmdb.sqlite`), read into names and versions.
//!
//! The blob is an RPM header without its 8-byte magic: big-endian counts of index entries and
//! data bytes, then the index (16 bytes per entry: tag, type, offset, count), then the data.
//! Every entry's offset and extent is checked against the data before anything is read, as rpm
//! does when it imports a header, so a corrupt blob is an error that names the entry. The region
//! tags (61 to 63), whose offsets point at trailers with their own rules, are skipped.

use crate::error::{ErrorKind, excerpt};
use parapet_versions::Scheme;

/// One installed package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpmPackage {
    pub name: String,
    /// `None` when the header has no `EPOCH`, which rpm compares as `0`.
    pub epoch: Option<u32>,
    pub version: String,
    pub release: String,
    /// Empty for the `gpg-pubkey` entries that rpm makes for imported signing keys, which have
    /// no architecture.
    pub arch: String,
    /// The source package's name, from `SOURCERPM` (`openssl-3.0.7-24.el9.src.rpm` gives
    /// `openssl`); `None` when there is none (`gpg-pubkey`, whose `SOURCERPM` is `(none)`).
    pub source_name: Option<String>,
    /// The source package's `version-release` (`3.0.7-24.el9`); the file name has no epoch.
    pub source_version: Option<String>,
    /// Free text, decoded as UTF-8 with invalid bytes replaced (old packages use Latin-1).
    pub vendor: Option<String>,
    /// The module stream a package was built for (`nodejs:18:9020020230:rhel9`), when any.
    pub modularity_label: Option<String>,
}

impl RpmPackage {
    /// `epoch:version-release`, without `epoch:` when there is none: a version of
    /// [`Scheme::Rpm`].
    pub fn evr(&self) -> String {
        match self.epoch {
            Some(epoch) => format!("{epoch}:{}-{}", self.version, self.release),
            None => format!("{}-{}", self.version, self.release),
        }
    }
}

/// A header tag: its name for messages and its number in the index.
#[derive(Clone, Copy)]
struct Tag {
    name: &'static str,
    number: u32,
}

const NAME: Tag = Tag { name: "NAME", number: 1000 };
const VERSION: Tag = Tag { name: "VERSION", number: 1001 };
const RELEASE: Tag = Tag { name: "RELEASE", number: 1002 };
const EPOCH: Tag = Tag { name: "EPOCH", number: 1003 };
const VENDOR: Tag = Tag { name: "VENDOR", number: 1011 };
const ARCH: Tag = Tag { name: "ARCH", number: 1022 };
const SOURCERPM: Tag = Tag { name: "SOURCERPM", number: 1044 };
const MODULARITYLABEL: Tag = Tag { name: "MODULARITYLABEL", number: 5096 };

/// `HEADERIMAGE`, `HEADERSIGNATURES` and `HEADERIMMUTABLE`: regions, not data.
const REGION_TAGS: std::ops::RangeInclusive<u32> = 61..=63;

/// The entry types, by number.
const TYPES: [&str; 10] =
    ["NULL", "CHAR", "INT8", "INT16", "INT32", "INT64", "STRING", "BIN", "STRING_ARRAY", "I18NSTRING"];
const INT32: u32 = 4;
const STRING: u32 = 6;

/// Reads one header blob.
pub fn parse_header(blob: &[u8]) -> Result<RpmPackage, ErrorKind> {
    let header = Header::parse(blob)?;
    let name = word(NAME, header.required(NAME)?, &[])?;
    let version = word(VERSION, header.required(VERSION)?, &[HYPHEN, COLON])?;
    let release = word(RELEASE, header.required(RELEASE)?, &[HYPHEN])?;
    let epoch = header.int32(EPOCH)?;
    let arch = header.string(ARCH)?.map(|arch| word(ARCH, arch, &[])).transpose()?.unwrap_or_default();
    let (source_name, source_version) = match header.string(SOURCERPM)? {
        None => (None, None),
        // What rpm writes for the `gpg-pubkey` entries.
        Some(file) if file == "(none)" => (None, None),
        Some(file) => {
            let (name, version) = source_rpm(&file).ok_or_else(|| ErrorKind::HeaderTagValue {
                tag: SOURCERPM.name,
                number: SOURCERPM.number,
                value: excerpt(&file),
                reason: "expected name-version-release.src.rpm",
            })?;
            (Some(name.to_owned()), Some(version.to_owned()))
        }
    };
    let lossy = |tag| Ok::<_, ErrorKind>(header.bytes(tag)?.map(|text| String::from_utf8_lossy(text).into_owned()));
    let package = RpmPackage {
        name,
        epoch,
        version,
        release,
        arch,
        source_name,
        source_version,
        vendor: lossy(VENDOR)?,
        modularity_label: lossy(MODULARITYLABEL)?,
    };
    // What `word` lets through should always be valid; this keeps the promise of `evr`.
    Scheme::Rpm.validate(&package.evr()).map_err(ErrorKind::Version)?;
    Ok(package)
}

/// A character that a value must not contain, and why.
type Forbidden = (char, &'static str);

/// The EVR splits at the last hyphen.
const HYPHEN: Forbidden = ('-', "must not contain a hyphen, which starts the release");
/// Without an epoch, version `2:1` would read as epoch 2.
const COLON: Forbidden = (':', "must not contain a colon, which ends the epoch");

/// Checks that `value` is one word (not empty, no spaces or control characters, which would
/// make it garbage in a report) without any of the `forbidden` characters.
fn word(tag: Tag, value: String, forbidden: &[Forbidden]) -> Result<String, ErrorKind> {
    let reason = if value.is_empty() {
        "must not be empty"
    } else if value.contains(|c: char| c.is_whitespace() || c.is_control()) {
        "must not contain spaces or control characters"
    } else if let Some((_, reason)) = forbidden.iter().find(|(c, _)| value.contains(*c)) {
        reason
    } else {
        return Ok(value);
    };
    Err(ErrorKind::HeaderTagValue { tag: tag.name, number: tag.number, value: excerpt(&value), reason })
}

/// Splits `name-version-release.src.rpm` (or `.nosrc.rpm`, for a package whose sources are
/// not shipped) into the name and `version-release`.
fn source_rpm(file: &str) -> Option<(&str, &str)> {
    let stem = file.strip_suffix(".src.rpm").or_else(|| file.strip_suffix(".nosrc.rpm"))?;
    let (rest, release) = stem.rsplit_once('-')?;
    let (name, version) = rest.rsplit_once('-')?;
    let parts = [name, version, release];
    if parts.iter().any(|part| part.is_empty() || part.contains(|c: char| c.is_whitespace() || c.is_control())) {
        return None;
    }
    Some((name, &stem[name.len() + 1..]))
}

/// A header whose index has been checked against its data.
struct Header<'a> {
    entries: Vec<Entry<'a>>,
}

/// One index entry with the data it covers.
struct Entry<'a> {
    tag: u32,
    kind: u32,
    count: u32,
    value: &'a [u8],
}

/// Bytes of the counts of index entries and data bytes that start the blob.
const PREAMBLE: usize = 8;
/// Bytes of one index entry.
const ENTRY: usize = 16;

impl<'a> Header<'a> {
    fn parse(blob: &'a [u8]) -> Result<Self, ErrorKind> {
        let Some((preamble, rest)) = blob.split_first_chunk::<PREAMBLE>() else {
            return Err(ErrorKind::HeaderShort(blob.len()));
        };
        let (entries, data_len) = (be32(&preamble[..4]), be32(&preamble[4..]));
        let expected = PREAMBLE as u64 + ENTRY as u64 * u64::from(entries) + u64::from(data_len);
        // rpm stores exactly the header, so any difference is a truncated or padded blob; checked
        // before anything is allocated from the counts.
        let size_error = ErrorKind::HeaderSize { len: blob.len(), entries, data: data_len, expected };
        if blob.len() as u64 != expected {
            return Err(size_error);
        }
        let (index, data) = rest.split_at_checked(ENTRY * entries as usize).ok_or(size_error)?;
        let words: Vec<u32> = index.chunks_exact(4).map(be32).collect();
        let mut checked = Vec::with_capacity(entries as usize);
        for (index, entry) in (0..).zip(words.chunks_exact(4)) {
            let &[tag, kind, offset, count] = entry else { continue };
            if REGION_TAGS.contains(&tag) {
                continue;
            }
            let rest = data.get(offset as usize..).ok_or(ErrorKind::HeaderEntryOffset {
                index,
                tag,
                offset,
                data: data_len,
            })?;
            let len = match kind {
                0 => Some(0),
                1 | 2 | 7 => Some(u64::from(count)),
                3 => Some(u64::from(count) * 2),
                4 => Some(u64::from(count) * 4),
                5 => Some(u64::from(count) * 8),
                6 | 8 | 9 => strings_len(rest, count),
                _ => return Err(ErrorKind::HeaderEntryType { index, tag, kind }),
            };
            let value = len
                .and_then(|len| usize::try_from(len).ok())
                .and_then(|len| rest.get(..len))
                .ok_or(ErrorKind::HeaderEntryLength { index, tag, count, offset, data: data_len })?;
            checked.push(Entry { tag, kind, count, value });
        }
        Ok(Header { entries: checked })
    }

    /// The entry of `tag`. When a tag appears twice, the later entry wins, as in rpm: an entry
    /// added after the package's immutable region replaces the one inside it.
    fn entry(&self, tag: Tag) -> Option<&Entry<'a>> {
        self.entries.iter().rev().find(|entry| entry.tag == tag.number)
    }

    /// Checks that `tag`, when present, is of type `kind` with count 1.
    fn single(&self, tag: Tag, kind: u32, expected: &'static str) -> Result<Option<&'a [u8]>, ErrorKind> {
        match self.entry(tag) {
            None => Ok(None),
            Some(entry) if entry.kind == kind && entry.count == 1 => Ok(Some(entry.value)),
            Some(entry) => Err(ErrorKind::HeaderTagType {
                tag: tag.name,
                number: tag.number,
                expected,
                kind: TYPES.get(entry.kind as usize).copied().unwrap_or("?"),
                count: entry.count,
            }),
        }
    }

    /// The bytes of a string tag, without the NUL that ends them.
    fn bytes(&self, tag: Tag) -> Result<Option<&'a [u8]>, ErrorKind> {
        Ok(self.single(tag, STRING, "one STRING")?.map(|value| value.strip_suffix(&[0]).unwrap_or(value)))
    }

    fn string(&self, tag: Tag) -> Result<Option<String>, ErrorKind> {
        let Some(bytes) = self.bytes(tag)? else { return Ok(None) };
        match std::str::from_utf8(bytes) {
            Ok(text) => Ok(Some(text.to_owned())),
            Err(_) => Err(ErrorKind::HeaderTagValue {
                tag: tag.name,
                number: tag.number,
                value: excerpt(&String::from_utf8_lossy(bytes)),
                reason: "is not valid UTF-8",
            }),
        }
    }

    fn required(&self, tag: Tag) -> Result<String, ErrorKind> {
        self.string(tag)?.ok_or(ErrorKind::HeaderMissingTag { tag: tag.name, number: tag.number })
    }

    fn int32(&self, tag: Tag) -> Result<Option<u32>, ErrorKind> {
        Ok(self.single(tag, INT32, "one INT32")?.map(be32))
    }
}

/// The bytes that `count` NUL-terminated strings at the start of `data` take, NULs included;
/// `None` when they run past its end.
fn strings_len(data: &[u8], count: u32) -> Option<u64> {
    let mut len = 0;
    let mut rest = data;
    // Each string takes at least its NUL, so this stops within `data.len()` rounds even when
    // `count` is huge.
    for _ in 0..count {
        let end = rest.iter().position(|&b| b == 0)?;
        rest = rest.get(end + 1..)?;
        len += end as u64 + 1;
    }
    Some(len)
}

/// A big-endian number of up to four bytes.
fn be32(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0, |number, &byte| number << 8 | u32::from(byte))
}
