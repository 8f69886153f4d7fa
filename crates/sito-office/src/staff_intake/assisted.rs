//! Assisted intake (issue 3, deliverable 7): an intake coordinator enters an application taken on paper or by phone
//! (e.g. from a prisoner-of-war camp). The questions and their checks are the public site's own
//! (`intake::site::questions`, `application_from_form`, `upload::accept`); the result is sealed to the office
//! recipients, filed on the intake under a new codename like any submission, and becomes a case through the
//! pull's own path (`OfficePuller::submit_assisted` → `open_submission`).
//!
//! The coordinator is recorded twice, both in the audit chain: an `intake.assisted` entry written before anything
//! leaves the office, and as the actor of the case's `received` event (taken from that entry, not from the sealed
//! payload), so the case history says who entered it.
use std::collections::HashMap;

use askama::Template;
use axum::extract::{FromRequest, Path, RawForm, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use sito_core::{CaseId, Category};
use uuid::Uuid;

use super::{MaybeLink, audit, form_fields, puller};
use crate::AppState;
use crate::auth::Staff;
use crate::error::WebError;
use crate::frame::{chrome, render};
use crate::i18n::{Lang, Tr};
use crate::pull::ASSISTED_INTAKE_ACTION;
use crate::views::Chrome;
use sito_intake::site::{COMMON, application_from_form, questions};
use sito_intake::upload;

/// The largest assisted form: every document at its limit and the text fields.
pub const BODY_LIMIT: usize = upload::MAX_FILES * upload::MAX_FILE_BYTES + 256 * 1024;

/// The form field carrying the applicant's language (replies and status are shown to them in it).
const LANGUAGE_FIELD: &str = "lang";
/// The form field carrying the id the review step chose for the case.
const SUBMISSION_FIELD: &str = "submission";

pub struct CategoryLink {
    pub href: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "staff_intake/choose.html")]
struct ChoosePage {
    chrome: Chrome,
    categories: Vec<CategoryLink>,
    unavailable: Option<String>,
}

pub struct Question {
    pub name: &'static str,
    pub label: String,
    pub value: String,
}

pub struct LanguageOption {
    pub code: &'static str,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "staff_intake/form.html")]
struct FormPage {
    chrome: Chrome,
    category: &'static str,
    category_label: String,
    error: Option<String>,
    fields: HashMap<String, String>,
    questions: Vec<Question>,
    languages: Vec<LanguageOption>,
}

impl FormPage {
    fn value(&self, name: &str) -> &str {
        self.fields.get(name).map(String::as_str).unwrap_or("")
    }
}

#[derive(Template)]
#[template(path = "staff_intake/review.html")]
struct ReviewPage {
    chrome: Chrome,
    category: &'static str,
    category_label: String,
    rows: Vec<(String, String)>,
    hidden: Vec<(String, String)>,
    documents_hint: String,
}

#[derive(Template)]
#[template(path = "staff_intake/done.html")]
struct DonePage {
    chrome: Chrome,
    codename: String,
    received: String,
    case_href: String,
}

fn unavailable(tr: &Tr, link: &MaybeLink) -> Option<String> {
    puller(link).is_none().then(|| tr.t("si-no-intake"))
}

/// `GET /assisted`: which kind of applicant.
pub(crate) async fn choose(staff: Staff, link: MaybeLink) -> Result<Response, WebError> {
    let chrome = chrome(&staff, "/assisted", "/assisted");
    let tr = chrome.tr.clone();
    render(ChoosePage {
        categories: category_links(&tr),
        unavailable: unavailable(&tr, &link),
        chrome,
    })
}

fn category_links(tr: &Tr) -> Vec<CategoryLink> {
    Category::ALL
        .iter()
        .map(|category| CategoryLink {
            href: format!("/assisted/{}", category.as_str()),
            label: tr.label("intake-category", category.as_str()),
        })
        .collect()
}

/// A category in a URL we serve a form for. An unknown one is a malformed request (400), so the route answers
/// as its neighbours do.
fn category_of(code: &str) -> Result<Category, WebError> {
    Category::parse(code).ok_or_else(|| WebError::BadRequest("category".into()))
}

fn applicant_lang(fields: &HashMap<String, String>) -> Lang {
    fields
        .get(LANGUAGE_FIELD)
        .and_then(|code| Lang::parse(code))
        .unwrap_or(Lang::Ru)
}

fn form_page(
    staff: &Staff,
    category: Category,
    fields: HashMap<String, String>,
    error: Option<String>,
) -> FormPage {
    let path = format!("/assisted/{}", category.as_str());
    let chrome = chrome(staff, &path, "/assisted");
    let tr = chrome.tr.clone();
    let chosen = applicant_lang(&fields);
    FormPage {
        category: category.as_str(),
        category_label: tr.label("intake-category", category.as_str()),
        error,
        questions: questions(category)
            .iter()
            .map(|name| Question {
                name,
                label: tr.label("intake-q", name),
                value: fields.get(*name).cloned().unwrap_or_default(),
            })
            .collect(),
        languages: [Lang::Ru, Lang::Uk, Lang::En]
            .into_iter()
            .map(|lang| LanguageOption {
                code: lang.code(),
                label: tr.label("si-language", lang.code()),
                selected: lang == chosen,
            })
            .collect(),
        fields,
        chrome,
    }
}

/// `GET /assisted/{category}`: the empty form.
pub(crate) async fn form(staff: Staff, Path(code): Path<String>) -> Result<Response, WebError> {
    let category = category_of(&code)?;
    render(form_page(&staff, category, HashMap::new(), None))
}

/// `POST /assisted/{category}`: back from the review to edit, the form filled in.
pub(crate) async fn form_again(
    staff: Staff,
    Path(code): Path<String>,
    RawForm(form): RawForm,
) -> Result<Response, WebError> {
    let fields = form_fields(&form);
    staff.check_csrf(fields.get("csrf").map(String::as_str))?;
    let category = category_of(&code)?;
    render(form_page(&staff, category, fields, None))
}

fn refused(page: FormPage) -> Result<Response, WebError> {
    let mut response = render(page)?;
    *response.status_mut() = StatusCode::BAD_REQUEST;
    Ok(response)
}

/// `POST /assisted/{category}/review`: the answers shown back, checked as the public site checks them.
pub(crate) async fn review(
    staff: Staff,
    Path(code): Path<String>,
    RawForm(form): RawForm,
) -> Result<Response, WebError> {
    let fields = form_fields(&form);
    staff.check_csrf(fields.get("csrf").map(String::as_str))?;
    let category = category_of(&code)?;
    if let Err(error) = application_from_form(category, &fields, applicant_lang(&fields)) {
        return refused(form_page(&staff, category, fields, Some(error)));
    }
    let path = format!("/assisted/{}/review", category.as_str());
    let chrome = chrome(&staff, &path, "/assisted");
    let tr = chrome.tr.clone();
    let mut rows = vec![(
        tr.t("si-applicant-language"),
        tr.label("si-language", applicant_lang(&fields).code()),
    )];
    let mut hidden = vec![
        (
            LANGUAGE_FIELD.to_owned(),
            applicant_lang(&fields).code().to_owned(),
        ),
        // The case id, chosen once per review: sending the same form again (a reload, a double click) finds it
        // used and files nothing, so one paper application never becomes two cases with two codenames.
        (SUBMISSION_FIELD.to_owned(), Uuid::now_v7().to_string()),
    ];
    for name in COMMON
        .iter()
        .chain(questions(category))
        .chain(["voluntary"].iter())
    {
        let value = fields.get(*name).cloned().unwrap_or_default();
        if !value.trim().is_empty() {
            rows.push((tr.label("intake-q", name), value.clone()));
        }
        hidden.push(((*name).to_owned(), value));
    }
    render(ReviewPage {
        category: category.as_str(),
        category_label: tr.label("intake-category", category.as_str()),
        rows,
        hidden,
        documents_hint: tr.t1("si-documents-hint", "count", upload::MAX_FILES),
        chrome,
    })
}

/// `POST /assisted/{category}/send` (multipart, with the documents): seal, file on the intake, create the case.
pub(crate) async fn send(
    staff: Staff,
    State(state): State<AppState>,
    link: MaybeLink,
    Path(code): Path<String>,
    request: Request,
) -> Result<Response, WebError> {
    // Read only after the role is known: a forbidden role gets 403 whatever it sent.
    let (fields, uploads) = read_multipart(request, &state).await?;
    staff.check_csrf(fields.get("csrf").map(String::as_str))?;
    let category = category_of(&code)?;
    let case_id = fields
        .get(SUBMISSION_FIELD)
        .and_then(|text| Uuid::parse_str(text).ok())
        .filter(|id| id.get_version_num() == 7)
        .map(CaseId::from_uuid)
        .ok_or_else(|| WebError::BadRequest(SUBMISSION_FIELD.into()))?;
    let mut application = match application_from_form(category, &fields, applicant_lang(&fields)) {
        Ok(application) => application,
        Err(error) => return refused(form_page(&staff, category, fields, Some(error))),
    };
    if uploads.len() > upload::MAX_FILES {
        let error = upload::UploadError::TooMany.to_string();
        return refused(form_page(&staff, category, fields, Some(error)));
    }
    let accepted = tokio::task::spawn_blocking(move || {
        uploads
            .iter()
            .map(|bytes| upload::accept(bytes))
            .collect::<Result<Vec<_>, _>>()
    })
    .await
    .map_err(|_| WebError::Internal("upload task failed".into()))?;
    match accepted {
        Ok(documents) => application.documents = documents,
        Err(error) => return refused(form_page(&staff, category, fields, Some(error.to_string()))),
    }
    application.assisted = true;
    let tr = crate::i18n::tr(staff.lang);
    let Some(puller) = puller(&link) else {
        let mut response = render(form_page(
            &staff,
            category,
            fields,
            Some(tr.t("si-no-intake")),
        ))?;
        *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
        return Ok(response);
    };
    if already_filed(&state, case_id).await? {
        let chrome = chrome(&staff, "/assisted", "/assisted");
        let tr = chrome.tr.clone();
        let mut response = render(ChoosePage {
            categories: category_links(&tr),
            unavailable: Some(tr.t1("si-already-filed", "case", format!("/cases/{case_id}"))),
            chrome,
        })?;
        *response.status_mut() = StatusCode::CONFLICT;
        return Ok(response);
    }
    let documents = application.documents.len();
    // Written before the application leaves: the pull's path reads it to name the coordinator on the case.
    audit(
        &state,
        &staff,
        ASSISTED_INTAKE_ACTION,
        &case_id.to_string(),
        format!("category={}; documents={documents}", category.as_str()),
    )
    .await?;
    let receipt = match puller.submit_assisted(case_id, &application).await {
        Ok(receipt) => receipt,
        Err(error) => {
            tracing::warn!(%error, "assisted intake not filed on the intake");
            let mut response = render(form_page(
                &staff,
                category,
                fields,
                Some(tr.t("si-assisted-failed")),
            ))?;
            *response.status_mut() = StatusCode::BAD_GATEWAY;
            return Ok(response);
        }
    };
    let chrome = chrome(&staff, "/assisted", "/assisted");
    let received = format!(
        "{} {}",
        chrome.tr.t1("si-done-received", "documents", documents),
        receipt.received_at
    );
    render(DonePage {
        chrome,
        codename: receipt.codename,
        received,
        case_href: format!("/cases/{case_id}"),
    })
}

/// Whether an assisted application with this case id was sent before (the entry is written before sending).
async fn already_filed(state: &AppState, case_id: CaseId) -> Result<bool, WebError> {
    let entries = state
        .store
        .search_audit(&sito_store::audit::AuditFilter {
            action_prefix: Some(ASSISTED_INTAKE_ACTION.to_owned()),
            subject: Some(case_id.to_string()),
            limit: 10,
            ..Default::default()
        })
        .await?;
    Ok(entries
        .iter()
        .any(|stored| stored.entry.record.action == ASSISTED_INTAKE_ACTION))
}

/// The text fields and the non-empty files of the multipart form.
async fn read_multipart(
    request: Request,
    state: &AppState,
) -> Result<(HashMap<String, String>, Vec<Vec<u8>>), WebError> {
    let unreadable = || WebError::BadRequest("the form could not be read".into());
    let mut multipart = axum::extract::Multipart::from_request(request, state)
        .await
        .map_err(|_| WebError::BadRequest("the form must be sent as multipart/form-data".into()))?;
    let mut fields = HashMap::new();
    let mut uploads = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(|_| unreadable())? {
        let name = field.name().unwrap_or_default().to_owned();
        let is_file = field.file_name().is_some();
        let bytes = field.bytes().await.map_err(|_| unreadable())?;
        if is_file {
            if !bytes.is_empty() {
                uploads.push(bytes.to_vec());
            }
        } else {
            fields.insert(name, String::from_utf8_lossy(&bytes).into_owned());
        }
    }
    Ok((fields, uploads))
}
