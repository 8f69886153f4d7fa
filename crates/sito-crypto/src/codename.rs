//! Applicant codenames (invariant 7).
//!
//! A codename is eight words drawn uniformly from the 2048-word BIP-39 English list (88 bits). The words are
//! plain lower-case ASCII and each is fixed by its first four letters, so a codename is easy to type and to
//! correct. It is shown to the applicant once; the intake keeps only:
//!
//! - a **lookup key**: argon2id of the codename keyed with a server secret (the pepper) and a fixed salt, so the
//!   intake can find the record from the codename, while a copy of the database without the pepper gives
//!   nothing to test guesses against;
//! - a **reply recipient**: the X25519 public key derived by argon2id from the codename and a random
//!   per-submission salt. Replies are sealed to it, so the intake cannot read them; when the applicant presents
//!   the codename, the intake derives the identity for the length of that request to open them.
use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bip39::Language;
use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

use crate::error::{CryptoError, Result};
use crate::seal::{self, Identity, Recipient, SealedBlob};
use crate::secret::redacted_debug;
use crate::secret::{KdfParams, Key32, Plaintext, argon2id_key, random_array};

/// Words in a codename: 8 × 11 bits = 88 bits.
pub const CODENAME_WORDS: usize = 8;
const WORD_LIST_SIZE: usize = 2048;
/// Words are told apart by this many leading letters, so a typed prefix this long is accepted.
const UNIQUE_PREFIX: usize = 4;

/// The word list codenames are drawn from (BIP-39 English, 2048 words), e.g. for a form's autocompletion.
pub fn word_list() -> &'static [&'static str; WORD_LIST_SIZE] {
    Language::English.word_list()
}

/// The entropy of a generated codename, in bits.
pub fn codename_entropy_bits() -> f64 {
    CODENAME_WORDS as f64 * (WORD_LIST_SIZE as f64).log2()
}

/// A codename in canonical form: eight list words separated by single spaces (the form the intake API returns). Zeroised on drop; `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct Codename(Zeroizing<String>);

impl Codename {
    pub fn generate() -> Self {
        let words = word_list();
        let mut text = Zeroizing::new(String::with_capacity(CODENAME_WORDS * 9));
        for position in 0..CODENAME_WORDS {
            if position > 0 {
                text.push(' ');
            }
            text.push_str(words[rand::random_range(0..WORD_LIST_SIZE)]);
        }
        Self(text)
    }

    /// Reads a codename as a person typed it: any case, any mix of spaces, hyphens, underscores, dots, commas or
    /// slashes between words, a word shortened to its first four (or more) letters, a word typed with a Russian
    /// or Ukrainian keyboard layout left on (`ыщдвшук` is read as `soldier`), and Cyrillic look-alike letters
    /// mixed into a Latin word (`оcean` with a Cyrillic `о`). Errors name the word's position, never the word.
    pub fn parse(input: &str) -> Result<Self> {
        let mut typed: Vec<Zeroizing<String>> = Vec::new();
        let mut current = Zeroizing::new(String::new());
        for (position, character) in input.nfkc().enumerate() {
            for lower in character.to_lowercase() {
                if is_separator(lower) {
                    if !current.is_empty() {
                        typed.push(std::mem::replace(
                            &mut current,
                            Zeroizing::new(String::new()),
                        ));
                    }
                } else if lower.is_ascii_lowercase()
                    || keyboard_layout_key(lower).is_some()
                    || latin_look_alike(lower).is_some()
                {
                    current.push(lower);
                } else {
                    return Err(CryptoError::CodenameInvalidCharacter {
                        position: position + 1,
                    });
                }
            }
        }
        if !current.is_empty() {
            typed.push(current);
        }
        if typed.len() != CODENAME_WORDS {
            return Err(CryptoError::CodenameWordCount {
                found: typed.len(),
                expected: CODENAME_WORDS,
            });
        }
        let mut canonical = Zeroizing::new(String::with_capacity(CODENAME_WORDS * 9));
        for (index, word) in typed.iter().enumerate() {
            let resolved = resolve_typed_word(word, index + 1)?;
            if index > 0 {
                canonical.push(' ');
            }
            canonical.push_str(resolved);
        }
        Ok(Self(canonical))
    }

    /// The canonical text, to show the applicant once.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Domain-separated input to the KDFs, so a lookup key and a reply key never coincide.
    fn kdf_input(&self, domain: &str) -> Zeroizing<Vec<u8>> {
        let mut input = Zeroizing::new(Vec::with_capacity(domain.len() + 1 + self.0.len()));
        input.extend_from_slice(domain.as_bytes());
        input.push(0);
        input.extend_from_slice(self.0.as_bytes());
        input
    }
}

impl fmt::Debug for Codename {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

fn is_separator(character: char) -> bool {
    character.is_whitespace()
        || matches!(
            character,
            '-' | '_' | '.' | ',' | '/' | '‐' | '‑' | '–' | '—'
        )
}

/// The Latin letter on the same key of a standard Russian or Ukrainian (ЙЦУКЕН) keyboard.
fn keyboard_layout_key(character: char) -> Option<char> {
    const PAIRS: [(char, char); 27] = [
        ('й', 'q'),
        ('ц', 'w'),
        ('у', 'e'),
        ('к', 'r'),
        ('е', 't'),
        ('н', 'y'),
        ('г', 'u'),
        ('ш', 'i'),
        ('щ', 'o'),
        ('з', 'p'),
        ('ф', 'a'),
        ('ы', 's'),
        ('і', 's'),
        ('в', 'd'),
        ('а', 'f'),
        ('п', 'g'),
        ('р', 'h'),
        ('о', 'j'),
        ('л', 'k'),
        ('д', 'l'),
        ('я', 'z'),
        ('ч', 'x'),
        ('с', 'c'),
        ('м', 'v'),
        ('и', 'b'),
        ('т', 'n'),
        ('ь', 'm'),
    ];
    PAIRS
        .iter()
        .find(|(cyrillic, _)| *cyrillic == character)
        .map(|(_, latin)| *latin)
}

/// The Latin letter a Cyrillic letter looks like, for a word copied by eye with the wrong script.
fn latin_look_alike(character: char) -> Option<char> {
    const PAIRS: [(char, char); 11] = [
        ('а', 'a'),
        ('с', 'c'),
        ('е', 'e'),
        ('і', 'i'),
        ('ј', 'j'),
        ('к', 'k'),
        ('о', 'o'),
        ('р', 'p'),
        ('ѕ', 's'),
        ('у', 'y'),
        ('х', 'x'),
    ];
    PAIRS
        .iter()
        .find(|(cyrillic, _)| *cyrillic == character)
        .map(|(_, latin)| *latin)
}

/// Resolves one typed word. A Latin word is looked up as it is; an all-Cyrillic word is first read as typed on
/// the wrong keyboard layout, then as look-alike letters; a word mixing both scripts only as look-alikes.
fn resolve_typed_word(word: &str, position: usize) -> Result<&'static str> {
    if word.is_ascii() {
        return resolve_word(word, position);
    }
    let map_with = |map: fn(char) -> Option<char>| -> Option<Zeroizing<String>> {
        let mut latin = Zeroizing::new(String::with_capacity(word.len()));
        for character in word.chars() {
            latin.push(if character.is_ascii() {
                character
            } else {
                map(character)?
            });
        }
        Some(latin)
    };
    let mut first_error = CryptoError::CodenameUnknownWord { position };
    if !word.chars().any(|character| character.is_ascii())
        && let Some(latin) = map_with(keyboard_layout_key)
    {
        match resolve_word(&latin, position) {
            Ok(resolved) => return Ok(resolved),
            Err(error) => first_error = error,
        }
    }
    match map_with(latin_look_alike) {
        Some(latin) => resolve_word(&latin, position).map_err(|_| first_error),
        None => Err(first_error),
    }
}

fn resolve_word(word: &str, position: usize) -> Result<&'static str> {
    let words = word_list();
    if let Some(index) = Language::English.find_word(word) {
        return Ok(words[usize::from(index)]);
    }
    let mut candidates = words.iter().filter(|candidate| candidate.starts_with(word));
    match (candidates.next(), candidates.next()) {
        (None, _) => Err(CryptoError::CodenameUnknownWord { position }),
        (Some(only), None) if word.len() >= UNIQUE_PREFIX => Ok(only),
        _ => Err(CryptoError::CodenameAmbiguousWord { position }),
    }
}

/// The intake's secret for codename lookup keys. Keep it out of the database: with database and pepper, an
/// attacker can test codename guesses (88 bits still make that hopeless); with the database alone, not at all.
#[derive(Clone, PartialEq, Eq)]
pub struct Pepper(Key32);

impl Pepper {
    pub fn generate() -> Self {
        Self(Key32::generate())
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(Key32::from_bytes(bytes))
    }

    /// Base64 of 32 bytes, the form in the intake's configuration.
    pub fn parse(text: &str) -> Result<Self> {
        let bytes = Zeroizing::new(
            BASE64
                .decode(text.trim())
                .map_err(|_| CryptoError::MalformedPepper("not base64".into()))?,
        );
        Key32::from_slice(&bytes).map(Self).ok_or_else(|| {
            CryptoError::MalformedPepper(format!("{} bytes, expected 32", bytes.len()))
        })
    }

    pub fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(BASE64.encode(self.0.bytes()))
    }

    /// Reads the intake's pepper file, or creates it (mode 0600, base64 on one line) on first start. Keep the
    /// file outside the database and its backups. Errors name the file.
    pub fn load_or_generate(path: &std::path::Path) -> Result<Self> {
        let in_file =
            |reason: String| CryptoError::MalformedPepper(format!("{}: {reason}", path.display()));
        match std::fs::read_to_string(path) {
            Ok(text) => {
                Self::parse(&Zeroizing::new(text)).map_err(|error| in_file(error.to_string()))
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let pepper = Self::generate();
                let mut line = pepper.to_base64();
                line.push('\n');
                match crate::private_file::write_private_file(path, line.as_bytes(), false) {
                    Ok(()) => Ok(pepper),
                    // Another process created it first: use theirs, so every instance agrees.
                    Err(CryptoError::FileExists { .. }) => Self::load_or_generate(path),
                    Err(error) => Err(in_file(error.to_string())),
                }
            }
            Err(error) => Err(in_file(error.to_string())),
        }
    }
}

const LOOKUP_DOMAIN: &str = "sito-codename-lookup-v1";
/// Lookup must be deterministic, so the salt is fixed; the pepper is what keeps it unguessable.
const LOOKUP_SALT: &[u8; 16] = b"sito/lookup/salt";
const REPLY_DOMAIN: &str = "sito-reply-key-v1";
const MALFORMED_DOMAIN: &str = "sito-codename-malformed-v1";

/// Computes the lookup key under which the intake files a submission.
#[derive(Clone, Debug)]
pub struct CodenameLookup {
    pepper: Pepper,
    params: KdfParams,
}

impl CodenameLookup {
    pub fn new(pepper: Pepper, params: KdfParams) -> Result<Self> {
        params.validate()?;
        Ok(Self { pepper, params })
    }

    /// 64 lower-case hex characters. Slow by design (argon2id); run it off the async executor.
    pub fn lookup_key(&self, codename: &Codename) -> Result<LookupKey> {
        let input = codename.kdf_input(LOOKUP_DOMAIN);
        self.derive(&input)
    }

    /// Reads what an applicant typed and computes its lookup key in the same time whether or not it is a
    /// well-formed codename, so a status answer cannot tell "malformed" from "unknown" by its timing. A malformed
    /// input yields a key from another domain, which matches no record, and no codename.
    pub fn lookup_presented(&self, typed: &str) -> Result<(LookupKey, Option<Codename>)> {
        match Codename::parse(typed) {
            Ok(codename) => Ok((self.lookup_key(&codename)?, Some(codename))),
            Err(_) => {
                let mut input =
                    Zeroizing::new(Vec::with_capacity(MALFORMED_DOMAIN.len() + 1 + 256));
                input.extend_from_slice(MALFORMED_DOMAIN.as_bytes());
                input.push(0);
                // Bounded so a huge input costs no more than a codename.
                input.extend(typed.bytes().take(256));
                Ok((self.derive(&input)?, None))
            }
        }
    }

    fn derive(&self, input: &[u8]) -> Result<LookupKey> {
        let key = argon2id_key(self.params, Some(self.pepper.0.bytes()), input, LOOKUP_SALT)?;
        Ok(LookupKey(hex::encode(&key[..])))
    }
}

/// A codename lookup key: safe to store and index.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LookupKey(String);

impl LookupKey {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LookupKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the intake stores to seal replies to an applicant: the KDF parameters, the per-submission salt and the
/// derived public key. Holds nothing that opens a reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplyRecipient {
    params: KdfParams,
    salt: [u8; 16],
    recipient: Recipient,
}

const REPLY_RECORD_LABEL: &str = "sito-reply-v1";

impl ReplyRecipient {
    /// Derives the reply recipient for a new submission, with a fresh salt.
    pub fn create(codename: &Codename, params: KdfParams) -> Result<Self> {
        let salt = random_array::<16>();
        let identity = derive_reply_identity(codename, params, &salt)?;
        Ok(Self {
            params,
            salt,
            recipient: identity.recipient(),
        })
    }

    pub fn recipient(&self) -> &Recipient {
        &self.recipient
    }

    pub fn seal(&self, reply: &[u8]) -> Result<SealedBlob> {
        seal::seal_to(std::slice::from_ref(&self.recipient), reply)
    }

    /// Derives the applicant's reply identity from the codename they presented. Fails with
    /// [`CryptoError::WrongCodename`] unless it matches this record. Drop the identity when the request ends.
    pub fn unlock(&self, codename: &Codename) -> Result<ReplyIdentity> {
        let identity = derive_reply_identity(codename, self.params, &self.salt)?;
        if identity.recipient() != self.recipient {
            return Err(CryptoError::WrongCodename);
        }
        Ok(ReplyIdentity(identity))
    }

    /// One line: `sito-reply-v1 <memory KiB> <iterations> <parallelism> <salt base64> <age1…>`.
    pub fn to_record(&self) -> String {
        format!(
            "{REPLY_RECORD_LABEL} {} {} {} {} {}",
            self.params.memory_kib,
            self.params.iterations,
            self.params.parallelism,
            BASE64.encode(self.salt),
            self.recipient
        )
    }

    pub fn parse_record(text: &str) -> Result<Self> {
        let malformed = |reason: &str| CryptoError::MalformedReplyRecord(reason.into());
        let fields: Vec<&str> = text.split_whitespace().collect();
        let [label, memory, iterations, parallelism, salt, recipient] = fields.as_slice() else {
            return Err(malformed("expected six space-separated fields"));
        };
        if *label != REPLY_RECORD_LABEL {
            return Err(malformed("unknown record version"));
        }
        let number = |field: &str| {
            field
                .parse::<u32>()
                .map_err(|_| malformed("KDF parameter is not a number"))
        };
        let params = KdfParams {
            memory_kib: number(memory)?,
            iterations: number(iterations)?,
            parallelism: number(parallelism)?,
        };
        params.validate()?;
        let salt: [u8; 16] = BASE64
            .decode(salt)
            .ok()
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or_else(|| malformed("salt is not 16 bytes of base64"))?;
        let recipient = recipient
            .parse()
            .map_err(|_| malformed("invalid recipient"))?;
        Ok(Self {
            params,
            salt,
            recipient,
        })
    }
}

fn derive_reply_identity(
    codename: &Codename,
    params: KdfParams,
    salt: &[u8; 16],
) -> Result<Identity> {
    let input = codename.kdf_input(REPLY_DOMAIN);
    let secret = argon2id_key(params, None, &input, salt)?;
    Identity::from_secret_bytes(&secret)
}

/// The applicant's reply identity, derived for one request. Zeroised on drop; `Debug` is redacted.
#[derive(Debug)]
pub struct ReplyIdentity(Identity);

impl ReplyIdentity {
    pub fn open(&self, blob: &[u8]) -> Result<Plaintext> {
        seal::open([&self.0], blob)
    }
}

redacted_debug!(Pepper);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_list_is_typeable() {
        let words = word_list();
        let unique: std::collections::BTreeSet<&str> = words.iter().copied().collect();
        assert_eq!(unique.len(), WORD_LIST_SIZE);
        assert!(
            words
                .iter()
                .all(|word| word.bytes().all(|b| b.is_ascii_lowercase()))
        );
        let prefixes: std::collections::BTreeSet<&str> =
            words.iter().map(|w| &w[..w.len().min(4)]).collect();
        assert_eq!(
            prefixes.len(),
            WORD_LIST_SIZE,
            "every word is fixed by its first four letters"
        );
        assert!(codename_entropy_bits() >= 80.0);
    }

    #[test]
    fn generated_codenames_parse_back_and_differ() {
        let a = Codename::generate();
        let b = Codename::generate();
        assert_ne!(a, b);
        assert_eq!(Codename::parse(a.expose()).unwrap(), a);
        assert_eq!(a.expose().split(' ').count(), CODENAME_WORDS);
        assert_eq!(format!("{a:?}"), "[redacted]");
    }

    #[test]
    fn typed_variants_normalise() {
        let canonical = "abandon ability able about above absent absorb abstract";
        let table = [
            "abandon ability able about above absent absorb abstract",
            "  ABANDON-Ability_able.about, above / absent  absorb—abstract ",
            "aban abil able abou abov abse abso abst",
            "фифтвщт фишд able about above absent absorb abstract",
            "ＡＢＡＮＤＯＮ ability able about above absent absorb abstract",
            // Cyrillic look-alikes: а, о, с and е typed in place of Latin letters.
            "аbandon ability able аbоut above absent absоrb аbstrасt",
            // Ukrainian layout: і sits where Russian ы does.
            "abandon ability able about above фиіуте absorb abstract",
        ];
        for typed in table {
            assert_eq!(
                Codename::parse(typed).unwrap().expose(),
                canonical,
                "{typed}"
            );
        }
    }

    #[test]
    fn bad_codenames_give_typed_errors() {
        type ErrorCheck = fn(&CryptoError) -> bool;
        let cases: [(&str, ErrorCheck); 5] = [
            ("abandon ability", |e| {
                matches!(
                    e,
                    CryptoError::CodenameWordCount {
                        found: 2,
                        expected: 8
                    }
                )
            }),
            ("abandon ability able about above absent absorb zzzz", |e| {
                matches!(e, CryptoError::CodenameUnknownWord { position: 8 })
            }),
            ("ab ability able about above absent absorb abstract", |e| {
                matches!(e, CryptoError::CodenameAmbiguousWord { position: 1 })
            }),
            (
                "abandon ability able about above absent absorb abstract1",
                |e| matches!(e, CryptoError::CodenameInvalidCharacter { .. }),
            ),
            ("", |e| {
                matches!(e, CryptoError::CodenameWordCount { found: 0, .. })
            }),
        ];
        for (typed, check) in cases {
            let error = Codename::parse(typed).unwrap_err();
            assert!(check(&error), "{typed}: {error}");
            assert!(!error.to_string().contains("zzzz"));
        }
    }

    #[test]
    fn lookup_is_deterministic_and_peppered() {
        let codename = Codename::generate();
        let pepper = Pepper::generate();
        let lookup = CodenameLookup::new(pepper.clone(), KdfParams::INSECURE_FAST).unwrap();
        let first = lookup.lookup_key(&codename).unwrap();
        assert_eq!(
            first,
            lookup
                .lookup_key(&Codename::parse(&codename.expose().to_uppercase()).unwrap())
                .unwrap()
        );
        assert_eq!(first.as_str().len(), 64);
        let other = CodenameLookup::new(Pepper::generate(), KdfParams::INSECURE_FAST).unwrap();
        assert_ne!(first, other.lookup_key(&codename).unwrap());
        assert_eq!(Pepper::parse(&pepper.to_base64()).unwrap(), pepper);
        assert!(Pepper::parse("c2hvcnQ=").is_err());
    }

    #[test]
    fn pepper_file_is_created_once_and_reread() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("pepper");
        let first = Pepper::load_or_generate(&path).unwrap();
        let second = Pepper::load_or_generate(&path).unwrap();
        assert_eq!(first, second);
        std::fs::write(&path, "garbage\n").unwrap();
        let error = Pepper::load_or_generate(&path).unwrap_err();
        assert!(error.to_string().contains("pepper"), "{error}");
    }

    #[test]
    fn presented_input_always_costs_one_lookup() {
        let lookup = CodenameLookup::new(Pepper::generate(), KdfParams::INSECURE_FAST).unwrap();
        let codename = Codename::generate();
        let (key, parsed) = lookup
            .lookup_presented(&codename.expose().to_uppercase())
            .unwrap();
        assert_eq!(key, lookup.lookup_key(&codename).unwrap());
        assert_eq!(parsed, Some(codename.clone()));
        let (malformed, parsed) = lookup.lookup_presented("not a codename at all").unwrap();
        assert!(parsed.is_none());
        assert_eq!(malformed.as_str().len(), 64);
        assert_ne!(malformed, key);
        let (huge, _) = lookup.lookup_presented(&"x".repeat(1_000_000)).unwrap();
        assert_eq!(huge.as_str().len(), 64);
    }

    #[test]
    fn replies_open_only_with_the_codename() {
        let codename = Codename::generate();
        let record = ReplyRecipient::create(&codename, KdfParams::INSECURE_FAST).unwrap();
        let stored = ReplyRecipient::parse_record(&record.to_record()).unwrap();
        assert_eq!(stored, record);
        let blob = stored.seal(b"please bring your passport").unwrap();
        let identity = stored.unlock(&codename).unwrap();
        assert_eq!(
            identity.open(blob.as_bytes()).unwrap().expose(),
            b"please bring your passport"
        );
        assert!(matches!(
            stored.unlock(&Codename::generate()),
            Err(CryptoError::WrongCodename)
        ));
        // The same codename with another salt gives another key: submissions are not linkable by reply key.
        let second = ReplyRecipient::create(&codename, KdfParams::INSECURE_FAST).unwrap();
        assert_ne!(second.recipient(), record.recipient());
    }

    #[test]
    fn reply_records_reject_garbage() {
        for bad in [
            "",
            "sito-reply-v1 1 2 3",
            "sito-reply-v2 64 1 1 AAAAAAAAAAAAAAAAAAAAAA== age1x",
            "sito-reply-v1 4 1 1 AAAAAAAAAAAAAAAAAAAAAA== age1x",
        ] {
            assert!(ReplyRecipient::parse_record(bad).is_err(), "{bad}");
        }
    }
}
