//! The provider's files against the CSAF provider schema, and signatures made and checked.

mod directory;
mod signing;
