use parapet_provider::signing::{self, SigningKey};

#[test]
fn signatures_verify_and_keys_round_trip() {
    let key = SigningKey::generate("Acme PSIRT <psirt@acme.example>", "correct horse").unwrap();
    assert_eq!(key.fingerprint().len(), 40);
    let data = br#"{"document":{}}"#;
    let signature = key.sign(data).unwrap();
    assert!(signature.starts_with("-----BEGIN PGP SIGNATURE-----"));
    let public = key.armored_public().unwrap();
    signing::verify(&public, data, &signature).unwrap();
    assert!(signing::verify(&public, b"tampered", &signature).is_err());

    // The stored form is protected: the wrong passphrase does not unlock it.
    let stored = key.armored_secret().unwrap();
    let again = SigningKey::from_armored(&stored, "correct horse").unwrap();
    assert_eq!(again.fingerprint(), key.fingerprint());
    let wrong = SigningKey::from_armored(&stored, "wrong").unwrap_err();
    assert!(matches!(wrong, signing::KeyError::Passphrase), "{wrong}");
    assert!(SigningKey::from_armored("not a key", "x").is_err());

    // Re-protected under another passphrase (an imported key stored under the server's).
    let moved = key.protected_with("server passphrase").unwrap();
    let reopened = SigningKey::from_armored(&moved, "server passphrase").unwrap();
    assert_eq!(reopened.fingerprint(), key.fingerprint());
    assert!(SigningKey::from_armored(&moved, "correct horse").is_err());
    signing::verify(&public, data, &reopened.sign(data).unwrap()).unwrap();
}
