use proptest::prelude::*;

use super::*;

const CONTEXT: &str = "refresh_token:slack:U123:oid-1";

fn key(byte: u8) -> SecretKey {
    SecretKey::new([byte; 32])
}

fn vault(keys: &[(&str, u8)]) -> TokenVault {
    TokenVault::new(keys.iter().map(|(id, byte)| ((*id).to_owned(), key(*byte))))
        .expect("a valid ring")
}

#[test]
fn a_sealed_value_opens_to_its_plaintext() {
    let vault = vault(&[("k1", 1)]);
    let sealed = vault.seal("0.AVYA-refresh-token", CONTEXT).expect("seals");
    assert!(sealed.starts_with("v1.k1."), "{sealed}");
    assert!(!sealed.contains("refresh-token"), "{sealed}");
    assert_eq!(
        vault.open(&sealed, CONTEXT).as_deref(),
        Ok("0.AVYA-refresh-token")
    );
}

#[test]
fn each_seal_takes_a_fresh_nonce() {
    let vault = vault(&[("k1", 1)]);
    let first = vault.seal("same", CONTEXT).expect("seals");
    let second = vault.seal("same", CONTEXT).expect("seals");
    assert_ne!(first, second);
}

#[test]
fn after_a_rotation_old_values_open_and_new_ones_use_the_new_key() {
    let old = vault(&[("k1", 1)]);
    let sealed_before = old.seal("token", CONTEXT).expect("seals");
    let rotated = vault(&[("k2", 2), ("k1", 1)]);
    assert_eq!(
        rotated.open(&sealed_before, CONTEXT).as_deref(),
        Ok("token")
    );
    let sealed_after = rotated.seal("token", CONTEXT).expect("seals");
    assert!(sealed_after.starts_with("v1.k2."), "{sealed_after}");
    assert_eq!(
        old.open(&sealed_after, CONTEXT),
        Err(SealError::UnknownKey {
            key_id: "k2".to_owned()
        })
    );
}

#[test]
fn a_ring_without_the_key_refuses() {
    let sealed = vault(&[("k1", 1)]).seal("token", CONTEXT).expect("seals");
    let without = vault(&[("k2", 2)]);
    assert_eq!(
        without.open(&sealed, CONTEXT),
        Err(SealError::UnknownKey {
            key_id: "k1".to_owned()
        })
    );
    // Another key under the same id does not open it either.
    let impostor = vault(&[("k1", 9)]);
    assert_eq!(impostor.open(&sealed, CONTEXT), Err(SealError::Refused));
}

#[test]
fn a_flipped_byte_refuses() {
    let vault = vault(&[("k1", 1)]);
    let sealed = vault.seal("token", CONTEXT).expect("seals");
    let (head, body) = sealed.split_at("v1.k1.".len());
    let mut bytes = URL_SAFE_NO_PAD.decode(body).expect("base64url");
    for at in [0, NONCE_LEN, bytes.len() - 1] {
        bytes[at] ^= 0x01;
        let altered = format!("{head}{}", URL_SAFE_NO_PAD.encode(&bytes));
        assert_eq!(
            vault.open(&altered, CONTEXT),
            Err(SealError::Refused),
            "{at}"
        );
        bytes[at] ^= 0x01;
    }
}

#[test]
fn another_context_refuses() {
    let vault = vault(&[("k1", 1)]);
    let sealed = vault.seal("token", CONTEXT).expect("seals");
    for other in [
        "refresh_token:slack:U999:oid-1",
        "pkce_verifier:slack:U123:oid-1",
        "",
    ] {
        assert_eq!(
            vault.open(&sealed, other),
            Err(SealError::Refused),
            "{other}"
        );
    }
}

#[test]
fn malformed_text_refuses() {
    let vault = vault(&[("k1", 1)]);
    for text in [
        "",
        "v1",
        "v1.k1",
        "v2.k1.AAAA",
        "v1.k1.!!!!",
        "v1.k1.AAAA",
        "plain token",
    ] {
        assert!(vault.open(text, CONTEXT).is_err(), "{text}");
    }
}

#[test]
fn a_bad_ring_is_refused_naming_the_id() {
    assert_eq!(TokenVault::new(Vec::new()).err(), Some(VaultError::NoKeys));
    let twice = [("k1".to_owned(), key(1)), ("k1".to_owned(), key(2))];
    assert_eq!(
        TokenVault::new(twice).err(),
        Some(VaultError::DuplicateKeyId("k1".to_owned()))
    );
    let dotted = [("k.1".to_owned(), key(1))];
    assert_eq!(
        TokenVault::new(dotted).err(),
        Some(VaultError::BadKeyId("k.1".to_owned()))
    );
}

#[test]
fn neither_debug_nor_errors_show_keys_or_plaintext() {
    let vault = vault(&[("k2", 0xAB), ("k1", 1)]);
    let shown = format!("{vault:?}");
    assert_eq!(shown, r#"TokenVault { key_ids: ["k2", "k1"] }"#);
    let sealed = vault.seal("very-secret-token", CONTEXT).expect("seals");
    let error = vault.open(&sealed, "elsewhere").expect_err("refused");
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains("very-secret-token"), "{shown}");
    assert!(!shown.contains(&sealed), "{shown}");
}

/// One edit of a text: replace, insert or remove the character at `at`, or cut the text there.
#[derive(Debug, Clone)]
enum Edit {
    Replace(usize, char),
    Insert(usize, char),
    Remove(usize),
    Truncate(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let chars = prop::sample::select("abcxyzABCXYZ0189-_.=+/ ".chars().collect::<Vec<_>>());
    prop_oneof![
        (any::<usize>(), chars.clone()).prop_map(|(at, c)| Edit::Replace(at, c)),
        (any::<usize>(), chars).prop_map(|(at, c)| Edit::Insert(at, c)),
        any::<usize>().prop_map(Edit::Remove),
        any::<usize>().prop_map(Edit::Truncate),
    ]
}

fn apply(text: &str, edit: &Edit) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let len = chars.len();
    match *edit {
        Edit::Replace(at, c) => chars[at % len] = c,
        Edit::Insert(at, c) => chars.insert(at % (len + 1), c),
        Edit::Remove(at) => {
            chars.remove(at % len);
        }
        Edit::Truncate(at) => chars.truncate(at % len),
    }
    chars.into_iter().collect()
}

proptest! {
    #[test]
    fn any_plaintext_round_trips(plaintext in any::<String>(), context in any::<String>()) {
        let vault = vault(&[("k2", 2), ("k1", 1)]);
        let sealed = vault.seal(&plaintext, &context).expect("seals");
        prop_assert_eq!(vault.open(&sealed, &context), Ok(plaintext));
    }

    #[test]
    fn any_edit_of_the_sealed_text_is_refused(plaintext in any::<String>(), edit in edit()) {
        let vault = vault(&[("k1", 1)]);
        let sealed = vault.seal(&plaintext, CONTEXT).expect("seals");
        let altered = apply(&sealed, &edit);
        prop_assume!(altered != sealed);
        prop_assert!(vault.open(&altered, CONTEXT).is_err(), "{} opened", altered);
    }
}
