//! The staff's second factor: RFC 6238 TOTP (SHA-1, 6 digits, 30 s steps, one step of clock skew either way),
//! the enrolment QR code drawn as SVG, and single-use recovery codes.
//!
//! A code is accepted once: the store remembers the last accepted time step and refuses that step and every
//! earlier one, so a code seen over a shoulder or in a proxy log cannot be replayed.
use sha2::{Digest, Sha256};
use totp_rs::{Builder, Secret, Totp};

use crate::error::WebError;

pub const ISSUER: &str = "Sito";
pub const RECOVERY_CODES: usize = 10;

/// A fresh 160-bit secret, base32 (what authenticator apps and `sito demo` print).
pub fn new_secret() -> Result<String, WebError> {
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes).map_err(|_| WebError::Internal("no randomness".into()))?;
    Ok(Secret::from(bytes).to_base32())
}

fn totp(secret_base32: &str) -> Option<Totp> {
    let secret = Secret::try_from_base32(secret_base32).ok()?;
    Builder::new().with_secret(secret).build().ok()
}

/// The time step a code is valid for, if it is valid for `secret` at `now`.
pub fn matching_step(secret_base32: &str, code: &str, now: i64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let time = u64::try_from(now).ok()?;
    let step = totp(secret_base32)?.check(&code, time)?;
    i64::try_from(step).ok()
}

/// The code for `secret` at `now` (for the CLI and tests; the server only checks).
pub fn code_at(secret_base32: &str, now: i64) -> Option<String> {
    let time = u64::try_from(now).ok()?;
    Some(totp(secret_base32)?.generate(time).to_string())
}

/// The `otpauth://` URI authenticator apps read from the QR code.
pub fn provisioning_uri(call_sign: &str, secret_base32: &str) -> String {
    let label: String =
        form_urlencoded::byte_serialize(format!("{ISSUER}:{call_sign}").as_bytes()).collect();
    format!(
        "otpauth://totp/{label}?secret={secret_base32}&issuer={ISSUER}&algorithm=SHA1&digits=6&period=30"
    )
}

/// The QR code as inline SVG (no script, no style attribute: passes the strict CSP).
pub fn qr_svg(uri: &str) -> Result<String, WebError> {
    let code = qrcode::QrCode::new(uri.as_bytes())
        .map_err(|error| WebError::Internal(format!("qr code: {error}")))?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(220, 220)
        .build();
    // Drop the XML declaration: the SVG is embedded in an HTML page.
    Ok(match svg.find("<svg") {
        Some(start) => svg[start..].to_owned(),
        None => svg,
    })
}

/// Fresh recovery codes (50 bits each, `xxxxx-xxxxx`), shown once; only their hashes are stored.
pub fn new_recovery_codes() -> Result<Vec<String>, WebError> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut codes = Vec::with_capacity(RECOVERY_CODES);
    for _ in 0..RECOVERY_CODES {
        let mut bytes = [0u8; 10];
        getrandom::fill(&mut bytes).map_err(|_| WebError::Internal("no randomness".into()))?;
        let letters: String = bytes
            .iter()
            .map(|byte| ALPHABET[usize::from(*byte) % ALPHABET.len()] as char)
            .collect();
        codes.push(format!("{}-{}", &letters[..5], &letters[5..]));
    }
    Ok(codes)
}

/// The stored form of a recovery code: SHA-256 of its normalised text (lower case, no separators).
pub fn recovery_code_hash(code: &str) -> String {
    let normalised: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    Sha256::digest(normalised.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Whether the submitted second factor looks like a recovery code rather than a TOTP code.
pub fn looks_like_recovery_code(code: &str) -> bool {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).count() == 10
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_matches_its_own_step_and_neighbours_only() {
        let secret = new_secret().unwrap();
        let now = 1_800_000_000;
        let code = code_at(&secret, now).unwrap();
        assert_eq!(matching_step(&secret, &code, now), Some(now / 30));
        assert!(
            matching_step(&secret, &code, now + 30).is_some(),
            "one step of skew"
        );
        assert_eq!(matching_step(&secret, &code, now + 120), None);
        assert_eq!(matching_step(&secret, "12345", now), None);
        assert_eq!(matching_step(&secret, "abcdef", now), None);
    }

    #[test]
    fn rfc_6238_vector() {
        // RFC 6238 appendix B, SHA-1, T = 59: 94287082 (8 digits); the 6-digit code is its last six digits.
        let secret = Secret::from(b"12345678901234567890".to_vec()).to_base32();
        assert_eq!(code_at(&secret, 59).unwrap(), "287082");
    }

    #[test]
    fn recovery_codes_are_distinct_and_hash_alike_in_any_case() {
        let codes = new_recovery_codes().unwrap();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let unique: std::collections::BTreeSet<_> = codes.iter().collect();
        assert_eq!(unique.len(), codes.len());
        assert!(codes.iter().all(|code| looks_like_recovery_code(code)));
        assert_eq!(
            recovery_code_hash(&codes[0]),
            recovery_code_hash(&codes[0].to_uppercase().replace('-', " "))
        );
    }

    #[test]
    fn qr_code_is_bare_svg() {
        let svg = qr_svg(&provisioning_uri("owl", &new_secret().unwrap())).unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(!svg.contains("<script") && !svg.contains("style="));
    }
}
