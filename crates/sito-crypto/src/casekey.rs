//! Case data keys (invariant 3). Each case has its own random key; its fields are encrypted with
//! XChaCha20-Poly1305 one field group at a time, with the case id and the field group as associated data, so a
//! ciphertext moved to another case or another group does not open. The case key is stored only wrapped
//! (sealed) to the office recipients; deleting the wrapped key makes every field of the case unreadable
//! (crypto-shredding), even in backups that still hold the field ciphertexts.
use std::fmt;

use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};
use sito_core::{CaseId, FieldGroup};

use crate::error::{CryptoError, Result};
use crate::seal::{self, Identity, OfficeRecipients, SealedBlob};
use crate::secret::redacted_debug;
use crate::secret::{Key32, Plaintext, random_array};

const FIELD_FORMAT_VERSION: u8 = 1;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
const FIELD_DOMAIN: &[u8] = b"sito-case-field-v1";

/// A case's data key. Zeroised on drop; `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct CaseKey(Key32);

impl CaseKey {
    pub fn generate() -> Self {
        Self(Key32::generate())
    }

    fn cipher(&self) -> Result<XChaCha20Poly1305> {
        XChaCha20Poly1305::new_from_slice(self.0.bytes())
            .map_err(|_| CryptoError::KeyDerivation("cipher key length".into()))
    }

    /// Encrypts one field group of one case. A random 192-bit nonce per call makes reuse negligible.
    pub fn encrypt_field(
        &self,
        case: CaseId,
        group: FieldGroup,
        plaintext: &[u8],
    ) -> Result<FieldCiphertext> {
        let nonce = random_array::<NONCE_LEN>();
        let aad = associated_data(case, group);
        let sealed = self
            .cipher()?
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .map_err(|_| CryptoError::Sealing("field encryption".into()))?;
        let mut bytes = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        bytes.push(FIELD_FORMAT_VERSION);
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&sealed);
        Ok(FieldCiphertext(bytes))
    }

    /// Decrypts a field group; fails unless this key encrypted it for this case and this group.
    pub fn decrypt_field(
        &self,
        case: CaseId,
        group: FieldGroup,
        ciphertext: &[u8],
    ) -> Result<Plaintext> {
        let (version, rest) = ciphertext
            .split_first()
            .ok_or(CryptoError::MalformedFieldCiphertext)?;
        if *version != FIELD_FORMAT_VERSION || rest.len() < NONCE_LEN + TAG_LEN {
            return Err(CryptoError::MalformedFieldCiphertext);
        }
        let (nonce, sealed) = rest.split_at(NONCE_LEN);
        let mut nonce_bytes = [0u8; NONCE_LEN];
        nonce_bytes.copy_from_slice(nonce);
        let aad = associated_data(case, group);
        self.cipher()?
            .decrypt(
                &XNonce::from(nonce_bytes),
                Payload {
                    msg: sealed,
                    aad: &aad,
                },
            )
            .map(Plaintext::new)
            .map_err(|_| CryptoError::FieldAuthentication)
    }

    /// Seals the key to the office recipients, for storage beside the case.
    pub fn wrap(&self, recipients: &OfficeRecipients) -> Result<WrappedCaseKey> {
        recipients.seal(self.0.bytes()).map(WrappedCaseKey)
    }

    /// Opens a wrapped key with any of the office identities (old ones included, so rotation needs no rewrap).
    pub fn unwrap<'a>(
        wrapped: &[u8],
        identities: impl IntoIterator<Item = &'a Identity>,
    ) -> Result<CaseKey> {
        let bytes = seal::open(identities, wrapped)?;
        Key32::from_slice(bytes.expose())
            .map(CaseKey)
            .ok_or(CryptoError::MalformedWrappedKey)
    }
}

/// Case id and field group, length-prefixed so no two pairs encode alike.
fn associated_data(case: CaseId, group: FieldGroup) -> Vec<u8> {
    let case_bytes = case.as_uuid();
    let case_bytes = case_bytes.as_bytes();
    let group_name = group.as_str().as_bytes();
    let mut aad = Vec::with_capacity(FIELD_DOMAIN.len() + 2 + case_bytes.len() + group_name.len());
    aad.extend_from_slice(FIELD_DOMAIN);
    aad.push(0);
    aad.extend_from_slice(case_bytes);
    aad.push(u8::try_from(group_name.len()).unwrap_or(u8::MAX));
    aad.extend_from_slice(group_name);
    aad
}

/// One encrypted field group: version byte, 24-byte nonce, ciphertext and tag.
#[derive(Clone, PartialEq, Eq)]
pub struct FieldCiphertext(Vec<u8>);

impl FieldCiphertext {
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }
}

impl fmt::Debug for FieldCiphertext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FieldCiphertext({} bytes)", self.0.len())
    }
}

/// A case key sealed to the office recipients. Deleting every copy of it crypto-shreds the case.
#[derive(Clone, PartialEq, Eq)]
pub struct WrappedCaseKey(SealedBlob);

impl WrappedCaseKey {
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self(SealedBlob::from_bytes(bytes))
    }
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
    pub fn into_bytes(self) -> Vec<u8> {
        self.0.into_bytes()
    }

    /// Rewraps to the current recipients, so an old identity can finally be destroyed after a rotation.
    pub fn rewrap<'a>(
        &self,
        identities: impl IntoIterator<Item = &'a Identity>,
        recipients: &OfficeRecipients,
    ) -> Result<WrappedCaseKey> {
        CaseKey::unwrap(self.as_bytes(), identities)?.wrap(recipients)
    }
}

impl fmt::Debug for WrappedCaseKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WrappedCaseKey({} bytes)", self.as_bytes().len())
    }
}

redacted_debug!(CaseKey);

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn case(n: u128) -> CaseId {
        CaseId::from_uuid(Uuid::from_u128(n))
    }

    #[test]
    fn fields_are_bound_to_case_and_group() {
        let key = CaseKey::generate();
        let sealed = key
            .encrypt_field(case(1), FieldGroup::Identity, b"Ivan Petrov")
            .unwrap();
        assert_eq!(
            key.decrypt_field(case(1), FieldGroup::Identity, sealed.as_bytes())
                .unwrap()
                .expose(),
            b"Ivan Petrov"
        );
        for (other_case, other_group) in [
            (case(2), FieldGroup::Identity),
            (case(1), FieldGroup::Contacts),
        ] {
            assert!(matches!(
                key.decrypt_field(other_case, other_group, sealed.as_bytes()),
                Err(CryptoError::FieldAuthentication)
            ));
        }
        assert!(matches!(
            CaseKey::generate().decrypt_field(case(1), FieldGroup::Identity, sealed.as_bytes()),
            Err(CryptoError::FieldAuthentication)
        ));
        assert!(
            !sealed
                .as_bytes()
                .windows(5)
                .any(|window| window == b"Petro")
        );
    }

    #[test]
    fn malformed_field_ciphertexts_are_typed_errors() {
        let key = CaseKey::generate();
        for bad in [&[][..], &[1u8; 10][..], &[2u8; 60][..]] {
            assert!(matches!(
                key.decrypt_field(case(1), FieldGroup::Identity, bad),
                Err(CryptoError::MalformedFieldCiphertext)
            ));
        }
    }

    #[test]
    fn wrapped_key_round_trips() {
        let office = Identity::generate();
        let recipients = OfficeRecipients::new(vec![office.recipient()]).unwrap();
        let key = CaseKey::generate();
        let wrapped = key.wrap(&recipients).unwrap();
        assert_eq!(CaseKey::unwrap(wrapped.as_bytes(), [&office]).unwrap(), key);
        assert_eq!(format!("{key:?}"), "[redacted]");
    }
}
