//! Secrets that cross the API: passphrases, plaintext, and the memory-hard key derivation every secret key in
//! Sito that comes from something a person types passes through.
use std::fmt;

use argon2::{Algorithm, Argon2, Params, Version};
use zeroize::{Zeroize, Zeroizing};

use crate::error::{CryptoError, Result};

/// Opened plaintext. `Debug` prints `[redacted]` and the bytes are zeroised on drop.
pub type Plaintext = sito_core::Sensitive<Vec<u8>>;

/// A passphrase typed by a person (it unlocks the office keyring). Zeroised on drop, never printed.
#[derive(Clone)]
pub struct Passphrase(Zeroizing<String>);

impl Passphrase {
    /// Rejects an empty passphrase: an empty one is almost always a missing environment variable or file.
    pub fn new(text: impl Into<String>) -> Result<Self> {
        let text = Zeroizing::new(text.into());
        if text.is_empty() {
            return Err(CryptoError::EmptyPassphrase);
        }
        Ok(Self(text))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Counted in characters, not bytes, so a Cyrillic passphrase is not judged longer than it is.
    pub fn char_count(&self) -> usize {
        self.0.chars().count()
    }
}

impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Argon2id cost parameters. They are stored beside whatever they protect, so they can be raised later without
/// breaking old records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KdfParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl KdfParams {
    /// For the office keyring: unlocked once per process start, so it can afford more.
    pub const KEYRING: KdfParams = KdfParams {
        memory_kib: 64 * 1024,
        iterations: 3,
        parallelism: 1,
    };
    /// The OWASP minimum for argon2id, for human-chosen secrets. Codename lookup and reply keys used it before
    /// `RANDOM_SECRET`; intakes created then keep it, so their applicants' codenames still open their threads.
    pub const INTERACTIVE: KdfParams = KdfParams {
        memory_kib: 19 * 1024,
        iterations: 2,
        parallelism: 1,
    };
    /// For codename lookup keys and reply keys. A codename is a random 88-bit secret, not a password: a KDF's
    /// work factor exists to slow the guessing of low-entropy inputs, and here no work factor is needed to put
    /// 2^88 guesses out of reach (at a nanosecond each they take ten billion years). What argon2id still buys is
    /// a memory-hard step ~1,000 times dearer than a plain hash, at under a millisecond, so the intake can take a
    /// flood of applications instead of spending 30 ms of CPU on each (`INTERACTIVE`, sized for passwords).
    /// New intakes use these; an intake whose accounts were keyed with `INTERACTIVE` keeps it (see `sito intake`).
    pub const RANDOM_SECRET: KdfParams = KdfParams {
        memory_kib: 1024,
        iterations: 1,
        parallelism: 1,
    };
    /// For tests only: protects nothing.
    pub const INSECURE_FAST: KdfParams = KdfParams {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    };

    /// Upper bounds keep a hostile or corrupted file from making us allocate or spin without end.
    pub const MAX_MEMORY_KIB: u32 = 4 * 1024 * 1024;
    pub const MAX_ITERATIONS: u32 = 64;
    pub const MAX_PARALLELISM: u32 = 16;

    /// `m=KiB t=ITERATIONS p=PARALLELISM`, the form of configuration files.
    pub fn to_line(&self) -> String {
        format!(
            "argon2id m={} t={} p={}",
            self.memory_kib, self.iterations, self.parallelism
        )
    }

    /// Reads `to_line`'s form and checks the bounds.
    pub fn parse_line(text: &str) -> Result<Self> {
        let invalid =
            |reason: &str| CryptoError::InvalidKdfParams(format!("`{}`: {reason}", text.trim()));
        let mut fields = text.split_whitespace();
        if fields.next() != Some("argon2id") {
            return Err(invalid("expected `argon2id m=KiB t=N p=N`"));
        }
        let mut value = |name: &str| {
            fields
                .next()
                .and_then(|field| field.strip_prefix(name))
                .and_then(|number| number.parse::<u32>().ok())
                .ok_or_else(|| invalid(&format!("expected `{name}NUMBER`")))
        };
        let params = KdfParams {
            memory_kib: value("m=")?,
            iterations: value("t=")?,
            parallelism: value("p=")?,
        };
        params.validate()?;
        Ok(params)
    }

    pub fn validate(&self) -> Result<()> {
        if self.parallelism == 0 || self.parallelism > Self::MAX_PARALLELISM {
            return Err(CryptoError::InvalidKdfParams(format!(
                "parallelism {} is outside 1..={}",
                self.parallelism,
                Self::MAX_PARALLELISM
            )));
        }
        if self.iterations == 0 || self.iterations > Self::MAX_ITERATIONS {
            return Err(CryptoError::InvalidKdfParams(format!(
                "iterations {} is outside 1..={}",
                self.iterations,
                Self::MAX_ITERATIONS
            )));
        }
        let minimum_memory = 8 * self.parallelism;
        if self.memory_kib < minimum_memory || self.memory_kib > Self::MAX_MEMORY_KIB {
            return Err(CryptoError::InvalidKdfParams(format!(
                "memory {} KiB is outside {}..={} KiB",
                self.memory_kib,
                minimum_memory,
                Self::MAX_MEMORY_KIB
            )));
        }
        Ok(())
    }

    fn to_argon2(self, output_len: usize) -> Result<Params> {
        self.validate()?;
        Params::new(
            self.memory_kib,
            self.iterations,
            self.parallelism,
            Some(output_len),
        )
        .map_err(|error| CryptoError::InvalidKdfParams(error.to_string()))
    }
}

/// Argon2id into a 32-byte key. `secret` is argon2's optional key input (the "pepper"); the salt must be at
/// least 8 bytes. Public for the keyring file (sito-keyring), which derives its file key with it.
pub fn argon2id_key(
    params: KdfParams,
    secret: Option<&[u8]>,
    password: &[u8],
    salt: &[u8],
) -> Result<Zeroizing<[u8; 32]>> {
    let argon_params = params.to_argon2(32)?;
    let hasher = match secret {
        Some(secret) => {
            Argon2::new_with_secret(secret, Algorithm::Argon2id, Version::V0x13, argon_params)
                .map_err(|error| CryptoError::KeyDerivation(error.to_string()))?
        }
        None => Argon2::new(Algorithm::Argon2id, Version::V0x13, argon_params),
    };
    let mut output = Zeroizing::new([0u8; 32]);
    hasher
        .hash_password_into(password, salt, output.as_mut())
        .map_err(|error| CryptoError::KeyDerivation(error.to_string()))?;
    Ok(output)
}

/// Fresh random bytes from the thread-local CSPRNG (ChaCha seeded from the operating system).
pub fn random_array<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    rand::fill(&mut bytes[..]);
    bytes
}

/// Random bytes that will hold a secret: zeroised when dropped.
pub(crate) fn random_secret<const N: usize>() -> Zeroizing<[u8; N]> {
    let mut bytes = Zeroizing::new([0u8; N]);
    rand::fill(&mut bytes[..]);
    bytes
}

/// A secret 32-byte key with a redacted `Debug`, zeroised on drop; the building block of the typed keys.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Key32(Zeroizing<[u8; 32]>);

impl Key32 {
    pub(crate) fn generate() -> Self {
        Self(random_secret())
    }
    pub(crate) fn from_bytes(mut bytes: [u8; 32]) -> Self {
        let key = Self(Zeroizing::new(bytes));
        bytes.zeroize();
        key
    }
    pub(crate) fn from_slice(bytes: &[u8]) -> Option<Self> {
        let array: [u8; 32] = bytes.try_into().ok()?;
        Some(Self::from_bytes(array))
    }
    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for Key32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// `Debug` that prints `[redacted]` and nothing else, for the typed secrets.
macro_rules! redacted_debug {
    ($($name:ty),+ $(,)?) => {
        $(impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("[redacted]")
            }
        })+
    };
}
pub(crate) use redacted_debug;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kdf_parameters_read_back_what_they_write_and_refuse_nonsense() {
        for params in [
            KdfParams::RANDOM_SECRET,
            KdfParams::INTERACTIVE,
            KdfParams::KEYRING,
        ] {
            assert_eq!(KdfParams::parse_line(&params.to_line()).unwrap(), params);
        }
        assert_eq!(
            KdfParams::parse_line("  argon2id   m=2048 t=1 p=1\n").unwrap(),
            KdfParams {
                memory_kib: 2048,
                iterations: 1,
                parallelism: 1
            }
        );
        for bad in [
            "",
            "scrypt m=1 t=1 p=1",
            "argon2id m=1024 t=1",
            "argon2id t=1 m=1024 p=1",
            "argon2id m=lots t=1 p=1",
            "argon2id m=1024 t=0 p=1",
            "argon2id m=99999999 t=1 p=1",
        ] {
            assert!(
                matches!(
                    KdfParams::parse_line(bad),
                    Err(CryptoError::InvalidKdfParams(_))
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn passphrase_is_redacted_and_not_empty() {
        let passphrase = Passphrase::new("correct horse battery staple").unwrap();
        assert_eq!(format!("{passphrase:?}"), "[redacted]");
        assert!(matches!(
            Passphrase::new(""),
            Err(CryptoError::EmptyPassphrase)
        ));
        assert_eq!(Passphrase::new("пароль").unwrap().char_count(), 6);
    }

    #[test]
    fn kdf_params_are_bounded() {
        assert!(KdfParams::KEYRING.validate().is_ok());
        assert!(KdfParams::INTERACTIVE.validate().is_ok());
        assert!(KdfParams::INSECURE_FAST.validate().is_ok());
        for bad in [
            KdfParams {
                memory_kib: 4,
                iterations: 1,
                parallelism: 1,
            },
            KdfParams {
                memory_kib: 64,
                iterations: 0,
                parallelism: 1,
            },
            KdfParams {
                memory_kib: 64,
                iterations: 1,
                parallelism: 0,
            },
            KdfParams {
                memory_kib: u32::MAX,
                iterations: 1,
                parallelism: 1,
            },
            KdfParams {
                memory_kib: 64,
                iterations: 1000,
                parallelism: 1,
            },
        ] {
            assert!(
                matches!(bad.validate(), Err(CryptoError::InvalidKdfParams(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn argon2id_is_deterministic_and_keyed() {
        let params = KdfParams::INSECURE_FAST;
        let a = argon2id_key(params, Some(b"pepper-one"), b"password", b"saltsalt").unwrap();
        let b = argon2id_key(params, Some(b"pepper-one"), b"password", b"saltsalt").unwrap();
        let c = argon2id_key(params, Some(b"pepper-two"), b"password", b"saltsalt").unwrap();
        let d = argon2id_key(params, None, b"password", b"saltsalt").unwrap();
        assert_eq!(*a, *b);
        assert_ne!(*a, *c);
        assert_ne!(*a, *d);
    }

    #[test]
    fn key_debug_is_redacted() {
        assert_eq!(format!("{:?}", Key32::generate()), "[redacted]");
        assert!(Key32::from_slice(&[0u8; 31]).is_none());
    }
}
