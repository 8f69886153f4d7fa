//! Sealing (invariant 1): bytes are encrypted with age to X25519 recipients, so whoever holds only the public
//! recipients (the intake) can seal but never open. A sealed blob is a standard binary age file: the office can
//! also open one offline with the `age`/`rage` command line and an exported identity.
//!
//! Architecture invariant: nothing in this module needs a private key to seal.
use std::fmt;
use std::io::{self, BufReader, Read, Write};
use std::str::FromStr;

use age::secrecy::ExposeSecret;
use zeroize::{Zeroize, Zeroizing};

use crate::error::{CryptoError, Result};
use crate::secret::Plaintext;

/// An X25519 public key that blobs are sealed to, written `age1…`.
#[derive(Clone, PartialEq, Eq)]
pub struct Recipient(age::x25519::Recipient);

impl Recipient {
    fn as_age(&self) -> &dyn age::Recipient {
        &self.0
    }
}

impl FromStr for Recipient {
    type Err = CryptoError;
    fn from_str(text: &str) -> Result<Self> {
        age::x25519::Recipient::from_str(text.trim())
            .map(Recipient)
            .map_err(|reason| CryptoError::InvalidRecipient {
                line: 1,
                reason: reason.to_string(),
            })
    }
}

impl fmt::Display for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Debug for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Recipient({})", self.0)
    }
}

/// An X25519 private key that opens blobs sealed to its [`Recipient`]. Zeroised on drop; `Debug` is redacted.
#[derive(Clone)]
pub struct Identity(age::x25519::Identity);

impl Identity {
    pub fn generate() -> Self {
        Self(age::x25519::Identity::generate())
    }

    /// Builds the identity whose X25519 secret scalar is `secret` (clamped as X25519 requires). Used to turn a
    /// key derived from a codename into an identity.
    pub(crate) fn from_secret_bytes(secret: &[u8; 32]) -> Result<Self> {
        let hrp = bech32::Hrp::parse("AGE-SECRET-KEY-")
            .map_err(|error| CryptoError::KeyDerivation(error.to_string()))?;
        let mut encoded = Zeroizing::new(
            bech32::encode::<bech32::Bech32>(hrp, secret)
                .map_err(|error| CryptoError::KeyDerivation(error.to_string()))?,
        );
        encoded.make_ascii_uppercase();
        let identity = age::x25519::Identity::from_str(&encoded)
            .map_err(|reason| CryptoError::KeyDerivation(reason.to_string()))?;
        Ok(Self(identity))
    }

    /// Parses `AGE-SECRET-KEY-1…`. The error never repeats the input.
    pub fn parse(text: &str) -> Result<Self> {
        age::x25519::Identity::from_str(text.trim())
            .map(Self)
            .map_err(|reason| CryptoError::MalformedKeyring(format!("invalid identity: {reason}")))
    }

    /// The `AGE-SECRET-KEY-1…` form, for the keyring file and for offline use with the age command line.
    pub fn to_secret_string(&self) -> Zeroizing<String> {
        let secret = self.0.to_string();
        Zeroizing::new(secret.expose_secret().to_owned())
    }

    pub fn recipient(&self) -> Recipient {
        Recipient(self.0.to_public())
    }

    fn as_age(&self) -> &dyn age::Identity {
        &self.0
    }
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// The non-empty set of recipients every submission is sealed to: the office's current key, and any backup keys.
/// Several recipients let the office rotate keys and keep an offline backup key without the intake knowing which
/// is which.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OfficeRecipients {
    recipients: Vec<Recipient>,
}

impl OfficeRecipients {
    pub fn new(recipients: Vec<Recipient>) -> Result<Self> {
        if recipients.is_empty() {
            return Err(CryptoError::NoRecipients);
        }
        Ok(Self { recipients })
    }

    /// A set that is never empty by construction.
    pub fn with_first(first: Recipient, rest: impl IntoIterator<Item = Recipient>) -> Self {
        let mut recipients = vec![first];
        for recipient in rest {
            if !recipients.contains(&recipient) {
                recipients.push(recipient);
            }
        }
        Self { recipients }
    }

    /// Parses an age recipients file: one `age1…` per line; blank lines and lines starting with `#` are skipped.
    pub fn parse(text: &str) -> Result<Self> {
        let mut recipients = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let recipient = age::x25519::Recipient::from_str(line).map_err(|reason| {
                CryptoError::InvalidRecipient {
                    line: index + 1,
                    reason: reason.to_string(),
                }
            })?;
            recipients.push(Recipient(recipient));
        }
        Self::new(recipients)
    }

    /// Reads a recipients file (as written by `sito keys export-public`); errors name the file.
    pub fn load(path: &std::path::Path) -> Result<Self> {
        let in_file = |source: CryptoError| CryptoError::RecipientsFile {
            path: path.to_path_buf(),
            source: Box::new(source),
        };
        let text = std::fs::read_to_string(path).map_err(|error| in_file(error.into()))?;
        Self::parse(&text).map_err(in_file)
    }

    /// The recipients file form, readable by [`OfficeRecipients::parse`] and by `age -R`.
    pub fn to_text(&self) -> String {
        let mut text =
            String::from("# Sito office recipients: seal submissions to every line below.\n");
        for recipient in &self.recipients {
            text.push_str(&recipient.to_string());
            text.push('\n');
        }
        text
    }

    pub fn recipients(&self) -> &[Recipient] {
        &self.recipients
    }

    /// Seals `plaintext` to every recipient.
    pub fn seal(&self, plaintext: &[u8]) -> Result<SealedBlob> {
        seal_to(&self.recipients, plaintext)
    }

    /// Seals everything `input` yields into `output`, in constant memory; returns the plaintext length.
    pub fn seal_from_reader<R: Read, W: Write>(&self, mut input: R, output: W) -> Result<u64> {
        let mut writer = self.seal_writer(output)?;
        let length = io::copy(&mut input, &mut writer)?;
        writer.finish()?;
        Ok(length)
    }

    /// Starts a streaming seal into `output`, for uploads too large to hold twice in memory. Call
    /// [`SealingWriter::finish`] at the end, or the blob is truncated and will not open.
    pub fn seal_writer<W: Write>(&self, output: W) -> Result<SealingWriter<W>> {
        SealingWriter::start(&self.recipients, output)
    }
}

/// The ciphertext of a seal: a binary age file.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedBlob(Vec<u8>);

impl SealedBlob {
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }
}

impl fmt::Debug for SealedBlob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SealedBlob({} bytes)", self.0.len())
    }
}

pub(crate) fn seal_to(recipients: &[Recipient], plaintext: &[u8]) -> Result<SealedBlob> {
    // The age header is about 110 bytes per recipient; the payload grows by 16 bytes per 64 KiB chunk.
    let mut output =
        Vec::with_capacity(plaintext.len() + 64 + recipients.len() * 128 + plaintext.len() / 4096);
    let mut writer = SealingWriter::start(recipients, &mut output)?;
    writer.write_all(plaintext)?;
    writer.finish()?;
    Ok(SealedBlob(output))
}

/// A writer that seals everything written to it. Dropping it without [`SealingWriter::finish`] leaves a
/// truncated blob that every opener rejects.
pub struct SealingWriter<W: Write> {
    stream: age::stream::StreamWriter<W>,
}

impl<W: Write> SealingWriter<W> {
    fn start(recipients: &[Recipient], output: W) -> Result<Self> {
        if recipients.is_empty() {
            return Err(CryptoError::NoRecipients);
        }
        let encryptor = age::Encryptor::with_recipients(recipients.iter().map(Recipient::as_age))
            .map_err(|error| CryptoError::Sealing(error.to_string()))?;
        let stream = encryptor.wrap_output(output)?;
        Ok(Self { stream })
    }

    /// Writes the last chunk and returns the underlying writer.
    pub fn finish(self) -> Result<W> {
        Ok(self.stream.finish()?)
    }
}

impl<W: Write> Write for SealingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.stream.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.stream.flush()
    }
}

fn decrypt_error(error: age::DecryptError) -> CryptoError {
    match error {
        age::DecryptError::NoMatchingKeys => CryptoError::NoMatchingIdentity,
        age::DecryptError::DecryptionFailed
        | age::DecryptError::InvalidMac
        | age::DecryptError::KeyDecryptionFailed => CryptoError::TamperedSealedBlob,
        age::DecryptError::InvalidHeader => CryptoError::MalformedSealedBlob("invalid age header"),
        age::DecryptError::UnknownFormat | age::DecryptError::ExcessiveWork { .. } => {
            CryptoError::UnsupportedSealedFormat
        }
        age::DecryptError::Io(error) if error.kind() == io::ErrorKind::UnexpectedEof => {
            CryptoError::MalformedSealedBlob("truncated header")
        }
        age::DecryptError::Io(error) => CryptoError::Io(error),
        _ => CryptoError::MalformedSealedBlob("unrecognised age file"),
    }
}

fn payload_error(error: io::Error) -> CryptoError {
    match error.kind() {
        // age reports a failed chunk tag, a missing final chunk and trailing garbage as invalid data or early EOF.
        io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof => {
            CryptoError::TamperedSealedBlob
        }
        _ => CryptoError::Io(error),
    }
}

/// Opens a sealed blob with whichever of `identities` it was sealed to. The whole payload is authenticated
/// before anything is returned.
pub fn open<'a>(
    identities: impl IntoIterator<Item = &'a Identity>,
    blob: &[u8],
) -> Result<Plaintext> {
    let identities: Vec<&Identity> = identities.into_iter().collect();
    let decryptor = age::Decryptor::new_buffered(blob).map_err(decrypt_error)?;
    if decryptor.is_scrypt() {
        return Err(CryptoError::UnsupportedSealedFormat);
    }
    let mut reader = decryptor
        .decrypt(identities.iter().map(|identity| identity.as_age()))
        .map_err(decrypt_error)?;
    let mut plaintext = Vec::with_capacity(blob.len());
    if let Err(error) = reader.read_to_end(&mut plaintext) {
        plaintext.zeroize();
        return Err(payload_error(error));
    }
    Ok(Plaintext::new(plaintext))
}

/// Opens a sealed stream. Each 64 KiB chunk is authenticated before it is returned, but a truncated or altered
/// stream is only known to be so when a read fails: treat what was read as untrusted until the reader reaches
/// the end without error.
pub fn open_reader<'a, R: Read>(
    identities: impl IntoIterator<Item = &'a Identity>,
    input: R,
) -> Result<OpeningReader<R>> {
    let identities: Vec<&Identity> = identities.into_iter().collect();
    let decryptor = age::Decryptor::new_buffered(BufReader::new(input)).map_err(decrypt_error)?;
    if decryptor.is_scrypt() {
        return Err(CryptoError::UnsupportedSealedFormat);
    }
    let stream = decryptor
        .decrypt(identities.iter().map(|identity| identity.as_age()))
        .map_err(decrypt_error)?;
    Ok(OpeningReader { stream })
}

/// Plaintext of a sealed stream. Read errors of kind `InvalidData` mean the stream was tampered with.
pub struct OpeningReader<R: Read> {
    stream: age::stream::StreamReader<BufReader<R>>,
}

impl<R: Read> Read for OpeningReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.stream.read(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_and_open_with_any_recipient() {
        let first = Identity::generate();
        let second = Identity::generate();
        let recipients =
            OfficeRecipients::new(vec![first.recipient(), second.recipient()]).unwrap();
        let blob = recipients.seal(b"application text").unwrap();
        assert_eq!(
            open([&first], blob.as_bytes()).unwrap().expose(),
            b"application text"
        );
        assert_eq!(
            open([&second], blob.as_bytes()).unwrap().expose(),
            b"application text"
        );
        let stranger = Identity::generate();
        assert!(matches!(
            open([&stranger], blob.as_bytes()),
            Err(CryptoError::NoMatchingIdentity)
        ));
    }

    #[test]
    fn recipients_file_round_trips_and_reports_the_bad_line() {
        let recipients = OfficeRecipients::new(vec![
            Identity::generate().recipient(),
            Identity::generate().recipient(),
        ])
        .unwrap();
        assert_eq!(
            OfficeRecipients::parse(&recipients.to_text()).unwrap(),
            recipients
        );
        let broken = format!("# comment\n{}\nage1notakey\n", recipients.recipients()[0]);
        assert!(matches!(
            OfficeRecipients::parse(&broken),
            Err(CryptoError::InvalidRecipient { line: 3, .. })
        ));
        assert!(matches!(
            OfficeRecipients::parse("# nothing\n\n"),
            Err(CryptoError::NoRecipients)
        ));
    }

    #[test]
    fn recipients_file_errors_name_the_file() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("recipients.txt");
        std::fs::write(&path, "# ok\nage1broken\n").unwrap();
        let error = OfficeRecipients::load(&path).unwrap_err();
        assert!(error.to_string().contains("recipients.txt"), "{error}");
        assert!(error.to_string().contains("line 2"), "{error}");
        assert!(error.is_bad_input());
        let recipients = OfficeRecipients::new(vec![Identity::generate().recipient()]).unwrap();
        std::fs::write(&path, recipients.to_text()).unwrap();
        assert_eq!(OfficeRecipients::load(&path).unwrap(), recipients);
    }

    #[test]
    fn seal_from_reader_matches_seal() {
        let identity = Identity::generate();
        let recipients = OfficeRecipients::new(vec![identity.recipient()]).unwrap();
        let plaintext = vec![9u8; 200_000];
        let mut sealed = Vec::new();
        assert_eq!(
            recipients
                .seal_from_reader(plaintext.as_slice(), &mut sealed)
                .unwrap(),
            200_000
        );
        assert_eq!(open([&identity], &sealed).unwrap().expose(), &plaintext);
    }

    #[test]
    fn identity_from_secret_bytes_is_stable() {
        let a = Identity::from_secret_bytes(&[7u8; 32]).unwrap();
        let b = Identity::from_secret_bytes(&[7u8; 32]).unwrap();
        assert_eq!(a.recipient(), b.recipient());
        assert_eq!(
            Identity::parse(&a.to_secret_string()).unwrap().recipient(),
            a.recipient()
        );
        assert_eq!(format!("{a:?}"), "[redacted]");
    }

    #[test]
    fn tampering_and_truncation_are_detected() {
        let identity = Identity::generate();
        let recipients = OfficeRecipients::new(vec![identity.recipient()]).unwrap();
        let blob = recipients.seal(&[42u8; 1000]).unwrap().into_bytes();
        let mut flipped = blob.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert!(matches!(
            open([&identity], &flipped),
            Err(CryptoError::TamperedSealedBlob)
        ));
        let truncated = &blob[..blob.len() - 10];
        assert!(matches!(
            open([&identity], truncated),
            Err(CryptoError::TamperedSealedBlob)
        ));
        assert!(matches!(
            open([&identity], b"hello"),
            Err(CryptoError::MalformedSealedBlob(_))
        ));
    }
}
