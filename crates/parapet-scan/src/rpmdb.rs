//! The RPM database of RHEL 9, Fedora 33 and later, and SUSE: `rpmdb.sqlite`, whose `Packages`
//! table holds one header blob per installed package, read into packages with
//! [`parapet_inventory::rpm::parse_header`].
//!
//! The database is opened read-only and `immutable`: SQLite takes no locks and creates no
//! `-wal` or `-shm` file, so a database in an image or on a read-only mount is never touched.
//! The price: a write-ahead log left by an rpm that did not finish is not read (rpm folds its
//! log into the database whenever it closes it), and a database that rpm is changing at that
//! very moment may be read half-changed. The Berkeley DB (`Packages`, RHEL 8
//! and older) and ndb (`Packages.db`, SUSE before 2021) formats are recognised and refused.

use parapet_inventory::rpm::{RpmPackage, parse_header};
use parapet_inventory::{ErrorKind, ParseError, Parsed};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use std::ffi::OsString;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// Why a database cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum RpmdbError {
    #[error("cannot read {}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error(
        "{}: rpmdb in {format} format is not supported; only rpmdb.sqlite (rpm 4.16 and later) can be read \
         (`rpmdb --rebuilddb --define '_db_backend sqlite'` converts a database)",
        path.display()
    )]
    Unsupported { path: PathBuf, format: &'static str },
    #[error("{} is not an SQLite rpmdb: {reason}", path.display())]
    NotRpmdb { path: PathBuf, reason: &'static str },
    #[error("cannot read rpmdb {}: {source}", path.display())]
    Sqlite { path: PathBuf, source: rusqlite::Error },
}

/// Where rpm keeps its database, relative to the root: `/var/lib/rpm` (RHEL, CentOS and Fedora
/// before 36), then `/usr/lib/sysimage/rpm` (Fedora 36 and later, SUSE), each in the SQLite
/// format first and then in the older ones, which [`read`] refuses with the reason.
const PLACES: [&str; 6] = [
    "var/lib/rpm/rpmdb.sqlite",
    "usr/lib/sysimage/rpm/rpmdb.sqlite",
    "var/lib/rpm/Packages.db",
    "usr/lib/sysimage/rpm/Packages.db",
    "var/lib/rpm/Packages",
    "usr/lib/sysimage/rpm/Packages",
];

/// The rpm database of the system under `root` (`/` for this host), if it has one.
///
/// Symbolic links are followed inside `root`, as if it were the root directory: Fedora's
/// `/var/lib/rpm` is a link to `/usr/lib/sysimage/rpm`, which in an unpacked image must not
/// lead to this host's database.
pub fn locate(root: &Path) -> Option<PathBuf> {
    PLACES.iter().filter_map(|place| resolve_in(root, Path::new(place))).find(|path| path.is_file())
}

/// `relative` under `root`, with every symbolic link on the way resolved within `root`; `None`
/// when a part is missing or the links loop.
fn resolve_in(root: &Path, relative: &Path) -> Option<PathBuf> {
    /// Links followed before giving up, as Linux does.
    const MAX_LINKS: usize = 40;
    /// The parts still to walk, last first.
    fn parts(path: &Path) -> impl Iterator<Item = Option<OsString>> + '_ {
        path.components().rev().filter_map(|part| match part {
            Component::Normal(name) => Some(Some(name.to_owned())),
            // `None` goes up a level.
            Component::ParentDir => Some(None),
            Component::RootDir | Component::CurDir | Component::Prefix(_) => None,
        })
    }
    let mut pending: Vec<Option<OsString>> = parts(relative).collect();
    let mut resolved = PathBuf::new();
    let mut links = 0;
    while let Some(part) = pending.pop() {
        let Some(name) = part else {
            resolved.pop();
            continue;
        };
        let candidate = resolved.join(name);
        let full = root.join(&candidate);
        if !std::fs::symlink_metadata(&full).ok()?.file_type().is_symlink() {
            resolved = candidate;
            continue;
        }
        links += 1;
        if links > MAX_LINKS {
            return None;
        }
        let target = std::fs::read_link(&full).ok()?;
        if target.has_root() {
            resolved = PathBuf::new();
        }
        pending.extend(parts(&target));
    }
    Some(root.join(resolved))
}

/// Reads every package of the rpmdb at `path`. A header that cannot be read is one error in
/// [`Parsed::errors`] whose `line` is its header number (`hnum`, which `rpm -q
/// --qf '%{DBINSTANCE}'` shows); the other packages are still read. Packages come in header
/// number order and include the `gpg-pubkey` entries of imported signing keys, as `rpm -qa`
/// lists them.
pub fn read(path: &Path) -> Result<Parsed<RpmPackage>, RpmdbError> {
    check_format(path)?;
    let sqlite = |source| RpmdbError::Sqlite { path: path.to_owned(), source };
    let absolute = std::path::absolute(path).map_err(|source| RpmdbError::Io { path: path.to_owned(), source })?;
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let connection =
        Connection::open_with_flags(format!("file://{}?immutable=1", uri_path(&absolute)), flags).map_err(sqlite)?;
    let has_packages: bool = connection
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'Packages')",
            [],
            |row| row.get(0),
        )
        .map_err(sqlite)?;
    if !has_packages {
        return Err(RpmdbError::NotRpmdb { path: path.to_owned(), reason: "it has no Packages table" });
    }
    let mut statement = connection.prepare("SELECT hnum, blob FROM Packages ORDER BY hnum").map_err(sqlite)?;
    let mut rows = statement.query([]).map_err(sqlite)?;
    let file = path.display().to_string();
    let mut parsed = Parsed::default();
    while let Some(row) = rows.next().map_err(sqlite)? {
        let hnum: i64 = row.get(0).map_err(sqlite)?;
        let not_blob = |what| {
            Err(ErrorKind::Syntax { format: "rpmdb", message: format!("the blob column holds {what}, not a blob") })
        };
        let package = match row.get_ref(1).map_err(sqlite)? {
            ValueRef::Blob(blob) => parse_header(blob),
            ValueRef::Text(_) => not_blob("text"),
            ValueRef::Null => not_blob("NULL"),
            ValueRef::Integer(_) => not_blob("an integer"),
            ValueRef::Real(_) => not_blob("a real number"),
        };
        match package {
            Ok(package) => parsed.packages.push(package),
            // rpm numbers headers from 1; anything else is as corrupt as the blob.
            Err(kind) => {
                parsed.errors.push(ParseError { file: file.clone(), line: usize::try_from(hnum).unwrap_or(0), kind })
            }
        }
    }
    Ok(parsed)
}

/// Refuses what is not an SQLite database, naming the older rpmdb formats, before SQLite is
/// asked to open it.
fn check_format(path: &Path) -> Result<(), RpmdbError> {
    let io = |source| RpmdbError::Io { path: path.to_owned(), source };
    let mut start = Vec::with_capacity(16);
    std::fs::File::open(path).and_then(|file| file.take(16).read_to_end(&mut start)).map_err(io)?;
    if start == b"SQLite format 3\0" {
        return Ok(());
    }
    let word = |at: usize| start.get(at..at + 4).and_then(|w| <[u8; 4]>::try_from(w).ok());
    // ndb's `Packages.db` starts with the magic "RpmP"; Berkeley DB keeps its magic (hash or
    // btree, in either byte order) at byte 12.
    let format = if start.starts_with(b"RpmP") {
        Some("ndb")
    } else {
        word(12)
            .map(|magic| [u32::from_le_bytes(magic), u32::from_be_bytes(magic)])
            .filter(|magics| magics.iter().any(|m| [0x0006_1561, 0x0005_3162].contains(m)))
            .map(|_| "Berkeley DB")
    };
    Err(match format {
        Some(format) => RpmdbError::Unsupported { path: path.to_owned(), format },
        None if start.is_empty() => RpmdbError::NotRpmdb { path: path.to_owned(), reason: "the file is empty" },
        None => {
            RpmdbError::NotRpmdb { path: path.to_owned(), reason: "the file does not start with the SQLite header" }
        }
    })
}

/// `path` for a `file:` URI: bytes other than unreserved characters and `/` percent-encoded,
/// so that `?`, `#` and `%` in a name stay part of it.
fn uri_path(path: &Path) -> String {
    use std::fmt::Write;
    let mut uri = String::new();
    for &byte in path.as_os_str().as_encoded_bytes() {
        if byte.is_ascii_alphanumeric() || b"/-._~".contains(&byte) {
            uri.push(char::from(byte));
        } else {
            let _ = write!(uri, "%{byte:02X}");
        }
    }
    uri
}
