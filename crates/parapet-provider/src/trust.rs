//! The OpenPGP keys a source is trusted with, and checking signatures against them: detached
//! `.asc` signatures of CSAF documents, clear-signed `InRelease` files of apt repositories.

use pgp::composed::{CleartextSignedMessage, Deserializable, DetachedSignature, SignedPublicKey};
use pgp::types::KeyDetails;

/// Public keys whose signatures are accepted. A signature by a key's signing subkey counts as
/// the key's.
#[derive(Debug, Clone, Default)]
pub struct Keyring {
    keys: Vec<SignedPublicKey>,
}

impl Keyring {
    /// Reads keys from armoured or binary OpenPGP data; one input may hold several keys (a
    /// keyring file such as Debian's).
    pub fn read(inputs: &[impl AsRef<[u8]>]) -> Result<Keyring, String> {
        let mut keys = Vec::new();
        for input in inputs {
            let input = input.as_ref();
            let (parsed, _) = SignedPublicKey::from_reader_many(std::io::Cursor::new(input))
                .map_err(|e| format!("not an OpenPGP public key: {e}"))?;
            let before = keys.len();
            for key in parsed {
                let key = key.map_err(|e| format!("not an OpenPGP public key: {e}"))?;
                keys.push(key);
            }
            if keys.len() == before {
                return Err("no OpenPGP public key found".to_owned());
            }
        }
        Ok(Keyring { keys })
    }

    /// Reads a keyring file (`/usr/share/keyrings/debian-archive-keyring.gpg`, or armoured).
    pub fn read_file(path: &std::path::Path) -> Result<Keyring, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Keyring::read(&[bytes]).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn extend(&mut self, other: Keyring) {
        self.keys.extend(other.keys);
    }

    /// The primary keys' fingerprints, 40 (or 64) upper-case hex digits.
    pub fn fingerprints(&self) -> Vec<String> {
        self.keys.iter().map(|key| hex::encode_upper(key.fingerprint().as_bytes())).collect()
    }

    /// Keeps only the keys with the given fingerprint (case and spaces do not matter).
    pub fn only(&self, fingerprint: &str) -> Keyring {
        let wanted: String = fingerprint.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_uppercase();
        Keyring {
            keys: self
                .keys
                .iter()
                .filter(|key| hex::encode_upper(key.fingerprint().as_bytes()) == wanted)
                .cloned()
                .collect(),
        }
    }

    /// Checks a detached, armoured signature of `data`; returns the fingerprint of the key
    /// that made it.
    pub fn verify_detached(&self, data: &[u8], signature: &[u8]) -> Result<String, String> {
        let text = std::str::from_utf8(signature).map_err(|_| "the signature is not ASCII-armoured".to_owned())?;
        let (signature, _) =
            DetachedSignature::from_string(text).map_err(|e| format!("the signature cannot be read: {e}"))?;
        for key in &self.keys {
            if signature.verify(key, data).is_ok() {
                return Ok(hex::encode_upper(key.fingerprint().as_bytes()));
            }
            for subkey in &key.public_subkeys {
                if signature.verify(subkey, data).is_ok() {
                    return Ok(hex::encode_upper(key.fingerprint().as_bytes()));
                }
            }
        }
        Err(self.no_match())
    }

    /// Checks a clear-signed message (an `InRelease` file); returns the signed text as it was
    /// signed (dash-escaping removed, `\n` line ends).
    pub fn verify_cleartext(&self, text: &str) -> Result<String, String> {
        let (message, _) = CleartextSignedMessage::from_string(text)
            .map_err(|e| format!("not an OpenPGP clear-signed message: {e}"))?;
        let verified = self.keys.iter().any(|key| {
            message.verify(key).is_ok() || key.public_subkeys.iter().any(|subkey| message.verify(subkey).is_ok())
        });
        if !verified {
            return Err(self.no_match());
        }
        Ok(message.signed_text().replace("\r\n", "\n"))
    }

    fn no_match(&self) -> String {
        if self.keys.is_empty() {
            "no trusted key to check the signature with".to_owned()
        } else {
            format!("the signature was not made by a trusted key ({} trusted)", self.keys.len())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Keyring;
    use crate::signing::SigningKey;

    #[test]
    fn detached_signatures() {
        let key = SigningKey::generate("Test <t@example.com>", "pw").unwrap();
        let other = SigningKey::generate("Other <o@example.com>", "pw").unwrap();
        let keyring = Keyring::read(&[key.armored_public().unwrap()]).unwrap();
        assert_eq!(keyring.fingerprints(), vec![key.fingerprint().to_owned()]);
        let signature = key.sign(b"hello").unwrap();
        assert_eq!(keyring.verify_detached(b"hello", signature.as_bytes()), Ok(key.fingerprint().to_owned()));
        let error = keyring.verify_detached(b"hellO", signature.as_bytes()).unwrap_err();
        assert!(error.contains("not made by a trusted key"), "{error}");
        let error = keyring.verify_detached(b"hello", other.sign(b"hello").unwrap().as_bytes()).unwrap_err();
        assert!(error.contains("not made by a trusted key"), "{error}");
        assert!(keyring.verify_detached(b"hello", b"garbage").unwrap_err().contains("cannot be read"));
        assert!(keyring.only("0000").is_empty());
        assert!(!keyring.only(&key.fingerprint().to_lowercase()).is_empty());
        assert!(Keyring::read(&["not a key"]).is_err());
    }
}
