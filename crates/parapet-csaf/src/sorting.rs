//! 6.2.13 (sorting): the keys of every object are in alphabetical order. serde_json's `Value`
//! forgets the order of keys, so this test reads the document's text once more, visiting every
//! object without building anything.

use std::cell::RefCell;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::join;

/// The keys that come after a key that sorts behind them: (path, message).
pub fn unsorted_keys(text: &str) -> Vec<(String, String)> {
    let found = RefCell::new(Vec::new());
    let mut deserializer = serde_json::Deserializer::from_str(text);
    // The text has already been read as JSON, so this cannot fail.
    let _ = Checker { path: String::new(), found: &found }.deserialize(&mut deserializer);
    found.into_inner()
}

struct Checker<'a> {
    path: String,
    found: &'a RefCell<Vec<(String, String)>>,
}

impl<'de> DeserializeSeed<'de> for Checker<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Checker<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0;
        while seq.next_element_seed(Checker { path: join(&self.path, i), found: self.found })?.is_some() {
            i += 1;
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut previous: Option<String> = None;
        while let Some(key) = map.next_key::<String>()? {
            let path = join(&self.path, &key);
            if let Some(previous) = &previous
                && previous.as_str() > key.as_str()
            {
                self.found.borrow_mut().push((path.clone(), format!("key {key:?} comes after {previous:?}")));
            }
            map.next_value_seed(Checker { path, found: self.found })?;
            previous = Some(key);
        }
        Ok(())
    }
}
