//! Blind indexes (invariant 3): exact-match linking of applications that share an identifier, without storing
//! the identifier. The index is HMAC-SHA256 under an office secret over the normalised identifier, with the kind
//! of identifier in the input, so the same string as a phone and as a handle never collide.
use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

use crate::error::{CryptoError, Result};
use crate::secret::Key32;
use crate::secret::redacted_debug;

pub use crate::identifier::IdentifierKind;

impl fmt::Display for IdentifierKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Brings the many ways a person writes the same identifier to one string.
///
/// - phone: digits only; a leading `00` international prefix is dropped, and a Russian domestic `8` before ten
///   digits becomes the country code `7` (`8 (916) 123-45-67` = `+7 916 123 45 67`).
/// - e-mail: trimmed, lower-cased.
/// - messenger handle and referrer: trimmed, a leading `@` dropped, lower-cased.
/// - document number: letters and digits only, upper-cased (`45 09 123456` = `4509123456`).
/// - address: lower-cased, punctuation dropped, runs of spaces collapsed.
///
/// Everything is NFKC-normalised first, so full-width digits and composed letters compare equal.
pub fn normalise_identifier(kind: IdentifierKind, raw: &str) -> Result<Zeroizing<String>> {
    let text: Zeroizing<String> = Zeroizing::new(raw.nfkc().collect());
    let normalised: String = match kind {
        IdentifierKind::Phone => {
            let digits: String = text.chars().filter(char::is_ascii_digit).collect();
            let digits = digits
                .strip_prefix("00")
                .map(str::to_owned)
                .unwrap_or(digits);
            if digits.len() == 11 && digits.starts_with('8') && !text.trim_start().starts_with('+')
            {
                format!("7{}", &digits[1..])
            } else {
                digits
            }
        }
        IdentifierKind::Email => text.trim().to_lowercase(),
        IdentifierKind::MessengerHandle | IdentifierKind::Referrer => {
            let trimmed = text.trim();
            trimmed
                .strip_prefix('@')
                .unwrap_or(trimmed)
                .trim()
                .to_lowercase()
        }
        IdentifierKind::DocumentNumber => text
            .chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_uppercase)
            .collect(),
        IdentifierKind::Address => {
            let lowered: String = text
                .chars()
                .map(|c| if c.is_alphanumeric() { c } else { ' ' })
                .flat_map(char::to_lowercase)
                .collect();
            lowered.split_whitespace().collect::<Vec<_>>().join(" ")
        }
    };
    if normalised.is_empty() {
        return Err(CryptoError::EmptyIdentifier { kind });
    }
    Ok(Zeroizing::new(normalised))
}

/// The office secret behind every blind index. Lose it and links across old and new records are lost; leak it
/// and identifiers can be confirmed by guessing, so it lives in the encrypted keyring.
#[derive(Clone, PartialEq, Eq)]
pub struct BlindIndexKey(Key32);

impl BlindIndexKey {
    pub fn generate() -> Self {
        Self(Key32::generate())
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(Key32::from_bytes(bytes))
    }

    /// The key from the bytes the keyring file stores; `None` unless there are 32.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        Key32::from_slice(bytes).map(Self)
    }

    /// The raw key, for the keyring file only.
    pub fn bytes(&self) -> &[u8; 32] {
        self.0.bytes()
    }

    /// The blind index of an identifier: 128 bits of HMAC-SHA256, as 32 lower-case hex characters.
    pub fn index(&self, kind: IdentifierKind, raw: &str) -> Result<BlindIndex> {
        let normalised = normalise_identifier(kind, raw)?;
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(self.bytes())
            .map_err(|_| CryptoError::KeyDerivation("HMAC key".into()))?;
        mac.update(b"sito-blind-index-v1\0");
        mac.update(kind.as_str().as_bytes());
        mac.update(b"\0");
        mac.update(normalised.as_bytes());
        let tag = mac.finalize().into_bytes();
        Ok(BlindIndex(hex::encode(&tag[..16])))
    }
}

/// A blind index value, safe to store and compare; equal values mean the same normalised identifier of the
/// same kind.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlindIndex(String);

impl BlindIndex {
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Accepts a stored value back (32 lower-case hex characters).
    pub fn parse(text: &str) -> Option<Self> {
        (text.len() == 32
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
        .then(|| Self(text.to_owned()))
    }
}

impl fmt::Display for BlindIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

redacted_debug!(BlindIndexKey);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_table() {
        let table: &[(IdentifierKind, &str, &str)] = &[
            (IdentifierKind::Phone, "+7 (916) 123-45-67", "79161234567"),
            (IdentifierKind::Phone, "8 916 123 45 67", "79161234567"),
            (IdentifierKind::Phone, "007 916 1234567", "79161234567"),
            (IdentifierKind::Phone, "+380 44 123 4567", "380441234567"),
            (
                IdentifierKind::Phone,
                "８９１６１２３４５６７",
                "79161234567",
            ),
            (
                IdentifierKind::Email,
                "  Ivan.Petrov@Example.ORG ",
                "ivan.petrov@example.org",
            ),
            (
                IdentifierKind::MessengerHandle,
                "@Ivan_Petrov",
                "ivan_petrov",
            ),
            (IdentifierKind::Referrer, " @Вася ", "вася"),
            (
                IdentifierKind::DocumentNumber,
                "45 09 123-456",
                "4509123456",
            ),
            (IdentifierKind::DocumentNumber, "ab 12", "AB12"),
            (
                IdentifierKind::Address,
                "Москва,  ул. Тверская, д.1",
                "москва ул тверская д 1",
            ),
        ];
        for (kind, raw, expected) in table {
            assert_eq!(
                normalise_identifier(*kind, raw).unwrap().as_str(),
                *expected,
                "{kind} {raw}"
            );
        }
        assert!(matches!(
            normalise_identifier(IdentifierKind::Phone, "n/a"),
            Err(CryptoError::EmptyIdentifier {
                kind: IdentifierKind::Phone
            })
        ));
    }

    #[test]
    fn equal_identifiers_link_and_kinds_are_separated() {
        let key = BlindIndexKey::generate();
        let a = key
            .index(IdentifierKind::Phone, "+7 916 123-45-67")
            .unwrap();
        let b = key.index(IdentifierKind::Phone, "89161234567").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.as_str().len(), 32);
        assert_eq!(BlindIndex::parse(a.as_str()), Some(a.clone()));
        let as_document = key
            .index(IdentifierKind::DocumentNumber, "79161234567")
            .unwrap();
        assert_ne!(a, as_document);
        let other_key = BlindIndexKey::generate();
        assert_ne!(
            a,
            other_key
                .index(IdentifierKind::Phone, "89161234567")
                .unwrap()
        );
    }

    #[test]
    fn kinds_have_stable_names() {
        for kind in IdentifierKind::ALL {
            assert_eq!(IdentifierKind::parse(kind.as_str()), Some(kind));
        }
    }
}
