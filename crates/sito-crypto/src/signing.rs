//! Ed25519 signatures: the office signing key signs audit checkpoints and the statement of the intake's
//! addresses. Every signed message starts with its own domain label, so a signature made for one purpose can
//! never be replayed as another.
use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use zeroize::Zeroizing;

use crate::error::{CryptoError, Result};
use crate::secret::random_secret;

/// The office's Ed25519 signing key. Zeroised on drop; `Debug` is redacted.
#[derive(Clone)]
pub struct OfficeSigningKey(SigningKey);

impl OfficeSigningKey {
    pub fn generate() -> Self {
        let seed = random_secret::<32>();
        Self(SigningKey::from_bytes(&seed))
    }

    pub fn from_seed(seed: &[u8; 32]) -> Self {
        Self(SigningKey::from_bytes(seed))
    }

    pub fn seed(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.0.to_bytes())
    }

    pub fn public_key(&self) -> SigningPublicKey {
        SigningPublicKey(self.0.verifying_key())
    }

    pub(crate) fn sign_raw(&self, message: &[u8]) -> [u8; 64] {
        self.0.sign(message).to_bytes()
    }
}

impl fmt::Debug for OfficeSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// The public half of the office signing key: 32 bytes, written in standard base64.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SigningPublicKey(VerifyingKey);

/// The fixed DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): with it, OpenSSL can read our key.
const ED25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

impl SigningPublicKey {
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self> {
        VerifyingKey::from_bytes(bytes)
            .map(Self)
            .map_err(|_| CryptoError::InvalidPublicKey("not a valid Ed25519 point".into()))
    }

    /// Accepts the base64 form, or a PEM `PUBLIC KEY` block as written by [`SigningPublicKey::to_pem`].
    pub fn parse(text: &str) -> Result<Self> {
        let text = text.trim();
        let decoded = if text.starts_with("-----BEGIN PUBLIC KEY-----") {
            let body: String = text
                .lines()
                .filter(|line| !line.starts_with("-----"))
                .collect();
            let der = BASE64
                .decode(body.trim())
                .map_err(|_| CryptoError::InvalidPublicKey("PEM body is not base64".into()))?;
            match der.strip_prefix(&ED25519_SPKI_PREFIX[..]) {
                Some(raw) => raw.to_vec(),
                None => {
                    return Err(CryptoError::InvalidPublicKey(
                        "PEM is not an Ed25519 public key".into(),
                    ));
                }
            }
        } else {
            BASE64
                .decode(text)
                .map_err(|_| CryptoError::InvalidPublicKey("not base64".into()))?
        };
        let bytes: [u8; 32] = decoded.as_slice().try_into().map_err(|_| {
            CryptoError::InvalidPublicKey(format!("{} bytes, expected 32", decoded.len()))
        })?;
        Self::from_bytes(&bytes)
    }

    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// SubjectPublicKeyInfo PEM, for `openssl pkeyutl -verify -pubin -inkey`.
    pub fn to_pem(&self) -> String {
        let mut der = ED25519_SPKI_PREFIX.to_vec();
        der.extend_from_slice(&self.to_bytes());
        format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            BASE64.encode(der)
        )
    }

    pub(crate) fn verify_raw(&self, message: &[u8], signature: &[u8; 64]) -> Result<()> {
        let signature = ed25519_dalek::Signature::from_bytes(signature);
        self.0
            .verify_strict(message, &signature)
            .map_err(|_| CryptoError::BadSignature)
    }
}

impl fmt::Display for SigningPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&BASE64.encode(self.to_bytes()))
    }
}

impl fmt::Debug for SigningPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningPublicKey({self})")
    }
}

const STATEMENT_BEGIN: &str = "-----BEGIN SITO ADDRESS STATEMENT-----";
const SIGNATURE_BEGIN: &str = "-----BEGIN ED25519 SIGNATURE-----";
const STATEMENT_END: &str = "-----END SITO ADDRESS STATEMENT-----";
const STATEMENT_LABEL: &str = "sito-addresses-v1";

/// The list of addresses where the intake can be reached, signed by the office so that a person given an
/// address (a mirror, an onion address) can check it is genuine.
///
/// The signed bytes are exactly the lines between the BEGIN line and the signature marker, each ending in `\n`;
/// the first of them is the domain label `sito-addresses-v1`. So anyone can verify a block with OpenSSL alone
/// (see docs/crypto.md).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddressStatement {
    pub signed_at_unix: i64,
    pub addresses: Vec<String>,
}

/// What a verified statement says, and who signed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedStatement {
    pub statement: AddressStatement,
    pub signer: SigningPublicKey,
}

impl AddressStatement {
    /// Checks each address is one printable ASCII token (URLs and onion addresses are), so the signed text can
    /// never be reformatted into a different list.
    pub fn new(signed_at_unix: i64, addresses: Vec<String>) -> Result<Self> {
        if addresses.is_empty() {
            return Err(CryptoError::InvalidAddress {
                index: 0,
                reason: "no address given".into(),
            });
        }
        for (index, address) in addresses.iter().enumerate() {
            let reason = if address.is_empty() {
                Some("empty")
            } else if !address.bytes().all(|byte| byte.is_ascii_graphic()) {
                Some(
                    "must be printable ASCII without spaces (write internationalised names in punycode)",
                )
            } else if address.len() > 2048 {
                Some("longer than 2048 characters")
            } else {
                None
            };
            if let Some(reason) = reason {
                return Err(CryptoError::InvalidAddress {
                    index: index + 1,
                    reason: reason.into(),
                });
            }
        }
        Ok(Self {
            signed_at_unix,
            addresses,
        })
    }

    fn signed_body(&self) -> String {
        let mut body = format!(
            "{STATEMENT_LABEL}\nsigned-at: {}\n",
            format_rfc3339(self.signed_at_unix)
        );
        for address in &self.addresses {
            body.push_str("address: ");
            body.push_str(address);
            body.push('\n');
        }
        body
    }

    /// The text block to publish.
    pub fn sign(&self, key: &OfficeSigningKey) -> String {
        let body = self.signed_body();
        let signature = key.sign_raw(body.as_bytes());
        format!(
            "{STATEMENT_BEGIN}\n{body}{SIGNATURE_BEGIN}\nkey: {}\nsignature: {}\n{STATEMENT_END}\n",
            key.public_key(),
            BASE64.encode(signature)
        )
    }

    /// Finds the block in `text` (surrounding text, such as a message it was pasted into, is ignored), checks it
    /// is signed by `trusted`, and returns what it says.
    pub fn verify(text: &str, trusted: &SigningPublicKey) -> Result<VerifiedStatement> {
        let lines: Vec<&str> = text
            .lines()
            .map(|line| line.trim_end_matches('\r'))
            .collect();
        let malformed = |line: usize, reason: &str| CryptoError::MalformedStatement {
            line,
            reason: reason.into(),
        };
        let begin = lines
            .iter()
            .position(|line| line.trim() == STATEMENT_BEGIN)
            .ok_or_else(|| malformed(0, "no BEGIN SITO ADDRESS STATEMENT line"))?;
        let signature_at = begin
            + lines[begin..]
                .iter()
                .position(|line| *line == SIGNATURE_BEGIN)
                .ok_or_else(|| {
                    malformed(
                        begin + 1,
                        "no BEGIN ED25519 SIGNATURE line after the statement",
                    )
                })?;
        let body_lines = &lines[begin + 1..signature_at];
        if body_lines.first() != Some(&STATEMENT_LABEL) {
            return Err(malformed(
                begin + 2,
                "the statement must start with sito-addresses-v1",
            ));
        }
        let signed_at_line = body_lines
            .get(1)
            .ok_or_else(|| malformed(begin + 3, "missing signed-at line"))?;
        let signed_at = signed_at_line
            .strip_prefix("signed-at: ")
            .and_then(parse_rfc3339)
            .ok_or_else(|| malformed(begin + 3, "expected signed-at: YYYY-MM-DDTHH:MM:SSZ"))?;
        let mut addresses = Vec::new();
        for (offset, line) in body_lines.iter().enumerate().skip(2) {
            let address = line
                .strip_prefix("address: ")
                .ok_or_else(|| malformed(begin + 2 + offset, "expected address: …"))?;
            addresses.push(address.to_owned());
        }
        let field = |offset: usize, name: &str| -> Result<&str> {
            lines
                .get(signature_at + offset)
                .and_then(|line| line.strip_prefix(name))
                .ok_or_else(|| malformed(signature_at + offset + 1, &format!("expected {name}…")))
        };
        let key_text = field(1, "key: ")?;
        let signature_text = field(2, "signature: ")?;
        if lines.get(signature_at + 3).map(|line| line.trim()) != Some(STATEMENT_END) {
            return Err(malformed(
                signature_at + 4,
                "expected the END SITO ADDRESS STATEMENT line",
            ));
        }
        let signer = SigningPublicKey::parse(key_text)?;
        if signer != *trusted {
            return Err(CryptoError::UntrustedSigner {
                found: signer.to_string(),
                expected: trusted.to_string(),
            });
        }
        let signature: [u8; 64] = BASE64
            .decode(signature_text)
            .ok()
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or_else(|| malformed(signature_at + 3, "signature is not 64 bytes of base64"))?;
        let statement = AddressStatement::new(signed_at, addresses)
            .map_err(|error| malformed(begin + 4, &error.to_string()))?;
        // Re-encoding must give back the exact bytes, so what was signed is what we report.
        let body = statement.signed_body();
        let original: String = body_lines.iter().map(|line| format!("{line}\n")).collect();
        if body != original {
            return Err(malformed(
                begin + 2,
                "the statement is not in canonical form",
            ));
        }
        trusted.verify_raw(body.as_bytes(), &signature)?;
        Ok(VerifiedStatement { statement, signer })
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` for a Unix time in seconds (proleptic Gregorian calendar, UTC).
pub fn format_rfc3339(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let seconds = unix.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        seconds / 3600,
        (seconds / 60) % 60,
        seconds % 60
    )
}

/// The inverse of [`format_rfc3339`]; only that exact form is accepted.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    if bytes.len() != 20
        || bytes[4] != b'-'
        || bytes[7] != b'-'
        || bytes[10] != b'T'
        || bytes[19] != b'Z'
    {
        return None;
    }
    if bytes[13] != b':' || bytes[16] != b':' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(range)?;
        if !part.bytes().all(|byte| byte.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's civil-calendar algorithms.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trips() {
        for (unix, text) in [
            (0, "1970-01-01T00:00:00Z"),
            (951_782_400, "2000-02-29T00:00:00Z"),
            (1_795_408_625, "2026-11-23T04:37:05Z"),
            (-1, "1969-12-31T23:59:59Z"),
        ] {
            assert_eq!(format_rfc3339(unix), text);
            assert_eq!(parse_rfc3339(text), Some(unix));
        }
        for bad in [
            "2026-02-30T00:00:00Z",
            "2026-11-23 04:37:05Z",
            "2026-11-23T24:00:00Z",
            "",
            "+026-11-23T04:37:05Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn public_key_round_trips_in_both_forms() {
        let key = OfficeSigningKey::generate();
        let public = key.public_key();
        assert_eq!(
            SigningPublicKey::parse(&public.to_string()).unwrap(),
            public
        );
        assert_eq!(SigningPublicKey::parse(&public.to_pem()).unwrap(), public);
        assert_eq!(format!("{key:?}"), "[redacted]");
        assert!(SigningPublicKey::parse("AAAA").is_err());
    }

    #[test]
    fn address_statement_signs_and_verifies() {
        let key = OfficeSigningKey::generate();
        let addresses = vec![
            "http://sitoexampleonionaddress.onion/".to_owned(),
            "https://example.org/".to_owned(),
        ];
        let statement = AddressStatement::new(1_795_408_625, addresses).unwrap();
        let block = statement.sign(&key);
        let pasted = format!(
            "Here are our addresses:\r\n\r\n{}\r\nStay safe.\r\n",
            block.replace('\n', "\r\n")
        );
        let verified = AddressStatement::verify(&pasted, &key.public_key()).unwrap();
        assert_eq!(verified.statement, statement);

        let forged = block.replace("https://example.org/", "https://evil.example/");
        assert!(matches!(
            AddressStatement::verify(&forged, &key.public_key()),
            Err(CryptoError::BadSignature)
        ));
        let other = OfficeSigningKey::generate();
        assert!(matches!(
            AddressStatement::verify(&block, &other.public_key()),
            Err(CryptoError::UntrustedSigner { .. })
        ));
    }

    #[test]
    fn addresses_must_be_single_printable_tokens() {
        assert!(AddressStatement::new(0, vec![]).is_err());
        assert!(AddressStatement::new(0, vec!["a b".into()]).is_err());
        assert!(
            AddressStatement::new(0, vec!["https://ok.example/".into(), "bad\nline".into()])
                .is_err()
        );
        assert!(AddressStatement::new(0, vec!["https://пример.рф/".into()]).is_err());
    }
}
