//! Documents from applicants: the type is sniffed from the content (the browser's word is ignored), images are
//! decoded and re-encoded so nothing but pixels survives (EXIF with a phone's GPS position, thumbnails, comments),
//! PDFs are kept only as sealed, quarantined data that the staff site must offer as a download with a warning, and
//! everything else is refused.
use std::io::Cursor;

use image::{ImageFormat, ImageReader, Limits};

use super::application::Document;

pub const MAX_FILE_BYTES: usize = 4 * 1024 * 1024;
pub const MAX_FILES: usize = 3;
/// Decoding a hostile image must not exhaust memory: a 4 MB JPEG can claim to be 60,000 pixels wide.
const MAX_SIDE: u32 = 8_000;
const MAX_DECODE_BYTES: u64 = 256 * 1024 * 1024;

#[derive(Clone, Debug, thiserror::Error, PartialEq, Eq)]
pub enum UploadError {
    #[error("a file is larger than {} MiB", MAX_FILE_BYTES / (1024 * 1024))]
    TooLarge,
    #[error("more than {MAX_FILES} files")]
    TooMany,
    #[error("unsupported file type: send JPEG or PNG images, or PDF")]
    UnsupportedType,
    #[error("the image could not be read: {0}")]
    BrokenImage(String),
}

enum Sniffed {
    Jpeg,
    Png,
    Pdf,
}

fn sniff(bytes: &[u8]) -> Option<Sniffed> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(Sniffed::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(Sniffed::Png)
    } else if bytes.starts_with(b"%PDF-") {
        Some(Sniffed::Pdf)
    } else {
        None
    }
}

/// Turns uploaded bytes into a document ready to seal. CPU-heavy for images: call it off the async executor.
pub fn accept(bytes: &[u8]) -> Result<Document, UploadError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(UploadError::TooLarge);
    }
    let (format, media_type) = match sniff(bytes).ok_or(UploadError::UnsupportedType)? {
        Sniffed::Pdf => {
            return Ok(Document {
                media_type: "application/pdf".into(),
                quarantined: true,
                bytes: bytes.to_vec(),
            });
        }
        Sniffed::Jpeg => (ImageFormat::Jpeg, "image/jpeg"),
        Sniffed::Png => (ImageFormat::Png, "image/png"),
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let image = reader
        .decode()
        .map_err(|error| UploadError::BrokenImage(error.to_string()))?;
    let mut out = Cursor::new(Vec::new());
    // JPEG cannot carry alpha; photos of documents lose nothing by dropping it.
    match format {
        ImageFormat::Jpeg => image.to_rgb8().write_to(&mut out, ImageFormat::Jpeg),
        _ => image.write_to(&mut out, ImageFormat::Png),
    }
    .map_err(|error| UploadError::BrokenImage(error.to_string()))?;
    Ok(Document {
        media_type: media_type.into(),
        quarantined: false,
        bytes: out.into_inner(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg_with_exif(marker: &[u8]) -> Vec<u8> {
        let image = image::RgbImage::from_pixel(16, 16, image::Rgb([200, 10, 10]));
        let mut plain = Cursor::new(Vec::new());
        image.write_to(&mut plain, ImageFormat::Jpeg).unwrap();
        let plain = plain.into_inner();
        // An APP1 (Exif) segment right after SOI, as cameras write it.
        let mut payload = b"Exif\0\0".to_vec();
        payload.extend_from_slice(marker);
        let length = (payload.len() + 2) as u16;
        let mut with_exif = vec![0xFF, 0xD8, 0xFF, 0xE1];
        with_exif.extend_from_slice(&length.to_be_bytes());
        with_exif.extend_from_slice(&payload);
        with_exif.extend_from_slice(&plain[2..]);
        with_exif
    }

    #[test]
    fn exif_does_not_survive_re_encoding() {
        let marker = b"GPS 55.7558N 37.6173E secret-camera-serial";
        let upload = jpeg_with_exif(marker);
        assert!(upload.windows(marker.len()).any(|window| window == marker));
        let document = accept(&upload).unwrap();
        assert_eq!(document.media_type, "image/jpeg");
        assert!(!document.quarantined);
        assert!(
            !document
                .bytes
                .windows(marker.len())
                .any(|window| window == marker)
        );
        assert!(!document.bytes.windows(4).any(|window| window == b"Exif"));
    }

    #[test]
    fn types_come_from_content_not_names() {
        let table: &[(&[u8], Result<&str, UploadError>)] = &[
            (b"%PDF-1.7\n...", Ok("application/pdf")),
            (
                b"<html><script>alert(1)</script>",
                Err(UploadError::UnsupportedType),
            ),
            (b"MZ\x90\x00 executable", Err(UploadError::UnsupportedType)),
            (b"GIF89a", Err(UploadError::UnsupportedType)),
        ];
        for (bytes, expected) in table {
            let result = accept(bytes).map(|document| document.media_type.clone());
            assert_eq!(result.as_deref().map_err(Clone::clone), *expected);
        }
        assert!(accept(b"%PDF-1.4").unwrap().quarantined);
        assert!(matches!(
            accept(&[0xFF, 0xD8, 0xFF, 0x00, 0x01]),
            Err(UploadError::BrokenImage(_))
        ));
        assert_eq!(
            accept(&vec![0u8; MAX_FILE_BYTES + 1]),
            Err(UploadError::TooLarge)
        );
    }
}
