//! The provider's OpenPGP key: generated on first start or imported, kept passphrase-protected
//! (the secret key material is encrypted with OpenPGP's own S2K scheme, so the stored form is
//! safe at rest), and used to make detached ASCII-armoured signatures of CSAF documents.

use pgp::composed::{
    ArmorOptions, Deserializable, DetachedSignature, EncryptionCaps, KeyType, SecretKeyParamsBuilder, SignedPublicKey,
    SignedSecretKey,
};
use pgp::crypto::hash::HashAlgorithm;
use pgp::types::{KeyDetails, Password};
use rand_core::OsRng;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the key is not an ASCII-armoured OpenPGP secret key: {0}")]
    Parse(String),
    #[error("the key cannot sign: {0}")]
    CannotSign(String),
    #[error("the passphrase does not unlock the signing key")]
    Passphrase,
    #[error("OpenPGP: {0}")]
    Pgp(String),
}

fn pgp_error(e: pgp::errors::Error) -> KeyError {
    KeyError::Pgp(e.to_string())
}

/// A signing key, unlocked once in memory (deriving the key from the passphrase is deliberately
/// slow: doing it per signature made importing thousands of documents take minutes), with its
/// passphrase-protected form for storage.
pub struct SigningKey {
    unlocked: SignedSecretKey,
    protected: String,
    fingerprint: String,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey").field("fingerprint", &self.fingerprint).finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Generates an Ed25519 key that certifies and signs, for the user ID `uid` (such as
    /// `Acme PSIRT <psirt@acme.example>`), its secret part protected by `passphrase`.
    pub fn generate(uid: &str, passphrase: &str) -> Result<SigningKey, KeyError> {
        let params = SecretKeyParamsBuilder::default()
            .key_type(KeyType::Ed25519Legacy)
            .can_certify(true)
            .can_sign(true)
            .can_encrypt(EncryptionCaps::None)
            .primary_user_id(uid.to_owned())
            .passphrase(Some(passphrase.to_owned()))
            .build()
            .map_err(|e| KeyError::Pgp(e.to_string()))?;
        let secret = params.generate(OsRng).map_err(pgp_error)?;
        SigningKey::new(secret, passphrase)
    }

    /// Reads an ASCII-armoured secret key (as `gpg --export-secret-keys --armor` writes it) and
    /// checks that `passphrase` unlocks it and that it can sign.
    pub fn from_armored(armored: &str, passphrase: &str) -> Result<SigningKey, KeyError> {
        let (secret, _) = SignedSecretKey::from_string(armored).map_err(|e| KeyError::Parse(e.to_string()))?;
        secret.verify_bindings().map_err(|e| KeyError::Parse(e.to_string()))?;
        SigningKey::new(secret, passphrase)
    }

    fn new(secret: SignedSecretKey, passphrase: &str) -> Result<SigningKey, KeyError> {
        let fingerprint = hex::encode_upper(secret.fingerprint().as_bytes());
        let protected = secret.to_armored_string(ArmorOptions::default()).map_err(pgp_error)?;
        let mut unlocked = secret;
        unlocked.primary_key.remove_password(&Password::from(passphrase)).map_err(|_| KeyError::Passphrase)?;
        let key = SigningKey { unlocked, protected, fingerprint };
        // Signing once proves the key can sign before anything depends on it.
        key.sign(b"parapet").map_err(|e| KeyError::CannotSign(e.to_string()))?;
        Ok(key)
    }

    /// The fingerprint as 40 upper-case hex digits, as CSAF's `provider-metadata.json` gives it.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The secret key, still protected by its passphrase, ASCII-armoured: the form stored.
    pub fn armored_secret(&self) -> Result<String, KeyError> {
        Ok(self.protected.clone())
    }

    /// The secret key protected by another passphrase, ASCII-armoured: how an imported key is
    /// stored under the server's passphrase.
    pub fn protected_with(&self, passphrase: &str) -> Result<String, KeyError> {
        let mut key = self.unlocked.clone();
        key.primary_key.set_password(OsRng, &Password::from(passphrase)).map_err(pgp_error)?;
        key.to_armored_string(ArmorOptions::default()).map_err(pgp_error)
    }

    /// The public key (certificate), ASCII-armoured, as published beside the provider metadata.
    pub fn armored_public(&self) -> Result<String, KeyError> {
        self.public().to_armored_string(ArmorOptions::default()).map_err(pgp_error)
    }

    pub fn public(&self) -> SignedPublicKey {
        self.unlocked.to_public_key()
    }

    /// A detached, ASCII-armoured signature of `data` (a `.asc` file), with SHA-512.
    pub fn sign(&self, data: &[u8]) -> Result<String, KeyError> {
        let signature = DetachedSignature::sign_binary_data(
            OsRng,
            &self.unlocked.primary_key,
            &Password::empty(),
            HashAlgorithm::Sha512,
            data,
        )
        .map_err(pgp_error)?;
        signature.to_armored_string(ArmorOptions::default()).map_err(pgp_error)
    }
}

/// Checks an ASCII-armoured detached signature of `data` against an ASCII-armoured public key.
pub fn verify(public_key: &str, data: &[u8], signature: &str) -> Result<(), KeyError> {
    let (key, _) = SignedPublicKey::from_string(public_key).map_err(|e| KeyError::Parse(e.to_string()))?;
    let (signature, _) = DetachedSignature::from_string(signature).map_err(|e| KeyError::Parse(e.to_string()))?;
    signature.verify(&key, data).map_err(pgp_error)
}
