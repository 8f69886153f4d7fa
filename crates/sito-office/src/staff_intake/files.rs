//! A case's stored documents as downloads (issue 3, deliverable 6). The bytes live in the Documents group as
//! `file_N = "media;quarantined|clean;base64"` (`intake::pull::content`); only a Documents permit reaches them.
//!
//! A file is never shown inline: every answer is an attachment with a generated name, `nosniff` and a conservative
//! type. A quarantined file (not decoded and re-encoded, e.g. a PDF) first gets a warning page; only the confirm
//! form (POST with the session's CSRF token) serves it. Every download is an audited read.
use askama::Template;
use axum::body::Body;
use axum::extract::{Path, RawForm, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use base64::Engine;
use sito_core::{CaseContent, CaseId, FieldGroup, GroupContent, Permit};

use super::{audit, case_permit, form_fields, parse_case_id};
use crate::AppState;
use crate::auth::Staff;
use crate::error::WebError;
use crate::frame::{chrome, render};
use crate::i18n::Tr;
use crate::pull::DOCUMENT_FIELD_PREFIX;
use crate::views::Chrome;

pub use crate::views::FileLink;

/// The audit action of a document download.
pub const DOCUMENT_READ: &str = "document.read";

/// A stored file as the case keeps it.
struct StoredFile {
    media_type: String,
    quarantined: bool,
    bytes: Vec<u8>,
}

impl StoredFile {
    fn parse(value: &str) -> Result<Self, WebError> {
        let mut parts = value.splitn(3, ';');
        let (Some(media_type), Some(state), Some(encoded)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(WebError::Internal("a stored file is malformed".into()));
        };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|_| WebError::Internal("a stored file is not base64".into()))?;
        Ok(Self {
            media_type: media_type.to_owned(),
            // Anything but an explicit "clean" is treated as quarantined.
            quarantined: state != "clean",
            bytes,
        })
    }

    /// What the browser is told: the sniffed image type for a clean image, else opaque bytes.
    fn content_type(&self) -> &'static str {
        match (self.quarantined, self.media_type.as_str()) {
            (false, "image/jpeg") => "image/jpeg",
            (false, "image/png") => "image/png",
            _ => "application/octet-stream",
        }
    }

    fn extension(&self) -> &'static str {
        match self.media_type.as_str() {
            "image/jpeg" => "jpg",
            "image/png" => "png",
            "application/pdf" => "pdf",
            _ => "bin",
        }
    }
}

/// A file's number in `file_N`, from the URL. Anything else is a malformed request, not an unknown file.
fn parse_number(text: &str) -> Result<u32, WebError> {
    text.parse::<u32>()
        .ok()
        .filter(|number| (1..=1000).contains(number))
        .ok_or_else(|| WebError::BadRequest("file number".into()))
}

/// The file names are made here from the case id and the number: nothing the applicant sent reaches a header.
fn download_name(case: CaseId, number: u32, file: &StoredFile) -> String {
    let short: String = case
        .to_string()
        .chars()
        .filter(|c| *c != '-')
        .take(8)
        .collect();
    format!("case-{short}-file-{number}.{}", file.extension())
}

/// The links for a Documents group the viewer holds a permit for.
pub(crate) fn links(tr: &Tr, case: CaseId, documents: Option<&GroupContent>) -> Vec<FileLink> {
    let Some(documents) = documents else {
        return Vec::new();
    };
    documents
        .fields
        .iter()
        .filter_map(|field| {
            let number = parse_number(field.key.strip_prefix(DOCUMENT_FIELD_PREFIX)?).ok()?;
            let mut parts = field.value.expose().splitn(3, ';');
            let media_type = parts.next().unwrap_or_default();
            let quarantined = parts.next() != Some("clean");
            let kib = parts
                .next()
                .map(|encoded| (encoded.len() * 3 / 4).div_ceil(1024))
                .unwrap_or(0);
            Some(FileLink {
                href: format!("/cases/{case}/files/{number}"),
                label: tr.args(
                    "si-file-link",
                    vec![
                        ("number", number.into()),
                        ("type", media_type.into()),
                        ("kib", kib.into()),
                    ],
                ),
                quarantined,
            })
        })
        .collect()
}

async fn stored_file(
    state: &AppState,
    permit: &Permit,
    number: u32,
) -> Result<StoredFile, WebError> {
    let content = CaseContent::new(
        permit.case(),
        state.store.case_content(permit.case()).await?,
    );
    let key = format!("{DOCUMENT_FIELD_PREFIX}{number}");
    let value = content
        .group(permit)
        .and_then(|group| group.fields.iter().find(|field| field.key == key))
        .ok_or(WebError::NotFound)?;
    StoredFile::parse(value.value.expose())
}

#[derive(Template)]
#[template(path = "staff_intake/file_warning.html")]
struct WarningPage {
    chrome: Chrome,
    case_href: String,
    action: String,
    facts: String,
}

/// `GET /cases/{id}/files/{n}`: a clean file downloads at once; a quarantined one shows the warning first.
pub(crate) async fn download(
    staff: Staff,
    State(state): State<AppState>,
    Path((id, number)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let id = parse_case_id(&id)?;
    let permit = case_permit(&state, &staff, id, FieldGroup::Documents).await?;
    let number = parse_number(&number)?;
    let file = stored_file(&state, &permit, number).await?;
    if !file.quarantined {
        return serve(&state, &staff, id, number, file).await;
    }
    let path = format!("/cases/{id}/files/{number}");
    let chrome = chrome(&staff, &path, "/cases");
    let facts = chrome.tr.args(
        "si-file-facts",
        vec![
            ("type", file.media_type.as_str().into()),
            ("kib", file.bytes.len().div_ceil(1024).into()),
        ],
    );
    render(WarningPage {
        chrome,
        case_href: format!("/cases/{id}"),
        action: path,
        facts,
    })
}

/// `POST /cases/{id}/files/{n}`: the confirmed download (any file; the form exists for quarantined ones).
pub(crate) async fn confirm(
    staff: Staff,
    State(state): State<AppState>,
    Path((id, number)): Path<(String, String)>,
    RawForm(form): RawForm,
) -> Result<Response, WebError> {
    staff.check_csrf(form_fields(&form).get("csrf").map(String::as_str))?;
    let id = parse_case_id(&id)?;
    let permit = case_permit(&state, &staff, id, FieldGroup::Documents).await?;
    let number = parse_number(&number)?;
    let file = stored_file(&state, &permit, number).await?;
    serve(&state, &staff, id, number, file).await
}

async fn serve(
    state: &AppState,
    staff: &Staff,
    id: CaseId,
    number: u32,
    file: StoredFile,
) -> Result<Response, WebError> {
    audit(
        state,
        staff,
        DOCUMENT_READ,
        &id.to_string(),
        format!(
            "file={number}; type={}; quarantined={}",
            file.media_type, file.quarantined
        ),
    )
    .await?;
    let disposition = format!(
        "attachment; filename=\"{}\"",
        download_name(id, number, &file)
    );
    let content_type = file.content_type();
    let mut response = Response::new(Body::from(file.bytes));
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition)
            .map_err(|_| WebError::Internal("download name".into()))?,
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_files_get_conservative_types_and_generated_names() {
        let case: CaseId = "0190d6f2-7c2e-7d3a-9f00-000000000001".parse().unwrap();
        let table = [
            ("image/jpeg;clean;AAEC", "image/jpeg", false, "jpg"),
            ("image/png;clean;AAEC", "image/png", false, "png"),
            (
                "application/pdf;quarantined;AAEC",
                "application/octet-stream",
                true,
                "pdf",
            ),
            // A clean mark on a type we never decode is not believed.
            (
                "text/html;clean;AAEC",
                "application/octet-stream",
                false,
                "bin",
            ),
            (
                "image/png;unknown;AAEC",
                "application/octet-stream",
                true,
                "png",
            ),
        ];
        for (value, content_type, quarantined, extension) in table {
            let file = StoredFile::parse(value).unwrap();
            assert_eq!(file.content_type(), content_type, "{value}");
            assert_eq!(file.quarantined, quarantined, "{value}");
            assert_eq!(file.bytes, vec![0, 1, 2]);
            assert_eq!(
                download_name(case, 2, &file),
                format!("case-0190d6f2-file-2.{extension}")
            );
        }
        assert!(StoredFile::parse("image/png;clean").is_err());
        assert!(StoredFile::parse("image/png;clean;***").is_err());
    }

    #[test]
    fn file_numbers_are_small_positive_integers() {
        assert_eq!(parse_number("3").unwrap(), 3);
        for bad in ["0", "-1", "{n}", "1.pdf", "", "99999999999"] {
            assert!(
                matches!(parse_number(bad), Err(WebError::BadRequest(_))),
                "{bad}"
            );
        }
    }
}
