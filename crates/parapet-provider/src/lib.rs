//! The CSAF trusted provider (CSAF 2.0 section 7.1): the provider's OpenPGP key and signatures
//! ([`signing`]), the keyrings others' signatures are checked with ([`trust`]), and the files of the provider directory made from the list of published
//! documents ([`directory`]): `provider-metadata.json`, `index.txt`, `changes.csv`, ROLIE feed,
//! service and category documents, hash files.
//!
//! No I/O besides the operating system's random numbers for keys and signatures (and reading a
//! keyring file when asked): the store keeps
//! the documents, the server serves what these functions make.

pub mod directory;
pub mod publication;
pub mod signing;
pub mod trust;

pub use directory::{Digests, Entry, Label, Provider, document_path};
pub use publication::Refusal;
pub use signing::{KeyError, SigningKey};
