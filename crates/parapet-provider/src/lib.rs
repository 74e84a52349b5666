//! The CSAF trusted provider (CSAF 2.0 section 7.1): the provider's OpenPGP key and signatures
//! ([`signing`]), and the files of the provider directory made from the list of published
//! documents ([`directory`]): `provider-metadata.json`, `index.txt`, `changes.csv`, ROLIE feed,
//! service and category documents, hash files.
//!
//! No I/O besides the operating system's random numbers for keys and signatures: the store keeps
//! the documents, the server serves what these functions make.

pub mod directory;
pub mod publication;
pub mod signing;

pub use directory::{Digests, Entry, Label, Provider, document_path};
pub use publication::Refusal;
pub use signing::{KeyError, SigningKey};
