//! The applicants' HTML site: works without JavaScript (Tor Browser "Safest"), no cookies, no third-party asset,
//! small pages. The language travels in a hidden field or `?lang=`, never in a cookie that could link visits.
//!
//! Flow: choose a category → the form for that category → review (the answers shown back, carried in hidden
//! fields) → send → the codename, shown once. The status page opens the thread with the codename.
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use sito_core::Category;
use std::collections::HashMap;
use zeroize::Zeroizing;

use super::application::{self, Answer, Application, Contact, Military};
use super::{IntakeError, IntakeState, ThreadMessage, upload};
use crate::i18n::{Lang, Tr};

/// The questions each category adds to the common ones, as (field name, Fluent key).
pub fn questions(category: Category) -> &'static [&'static str] {
    match category {
        Category::FormerServiceman => &[
            "military_branch",
            "military_unit",
            "military_rank",
            "service_years",
        ],
        Category::ResidentOfUkraine => &["ua_region", "ua_since", "ua_status"],
        Category::PoliticalEmigre => &["country_now", "left_russia", "activism"],
        Category::PrisonerOfWar => &["camp", "captured", "military_unit", "military_rank"],
        Category::Other => &["about_you"],
    }
}

fn lang_of(query: Option<&str>, headers: &HeaderMap) -> Lang {
    query.and_then(Lang::parse).unwrap_or_else(|| {
        Lang::negotiate(
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|value| value.to_str().ok()),
        )
    })
}

fn render(page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(error) => {
            tracing::error!(%error, "intake template");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

pub struct Choice {
    pub code: &'static str,
    pub label: String,
}

#[derive(Template)]
#[template(path = "intake/home.html")]
struct HomePage {
    tr: Tr,
    categories: Vec<Choice>,
}

#[derive(Deserialize)]
pub struct LangQuery {
    lang: Option<String>,
}

pub async fn home(Query(query): Query<LangQuery>, headers: HeaderMap) -> Response {
    let tr = crate::i18n::tr(lang_of(query.lang.as_deref(), &headers));
    let categories = Category::ALL
        .iter()
        .map(|category| Choice {
            code: category.as_str(),
            label: tr.label("intake-category", category.as_str()),
        })
        .collect();
    render(&HomePage { tr, categories })
}

pub struct Question {
    pub name: &'static str,
    pub label: String,
    pub value: String,
}

#[derive(Template)]
#[template(path = "intake/form.html")]
struct FormPage {
    tr: Tr,
    category: &'static str,
    category_label: String,
    error: Option<String>,
    fields: HashMap<String, String>,
    questions: Vec<Question>,
}

impl FormPage {
    fn value(&self, name: &str) -> &str {
        self.fields.get(name).map(String::as_str).unwrap_or("")
    }
}

#[derive(Template)]
#[template(path = "intake/review.html")]
struct ReviewPage {
    tr: Tr,
    category: &'static str,
    category_label: String,
    rows: Vec<(String, String)>,
    hidden: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "intake/done.html")]
struct DonePage {
    tr: Tr,
    codename: String,
    received_at: String,
}

fn no_such_category() -> Response {
    (StatusCode::NOT_FOUND, "no such category").into_response()
}

pub const COMMON: &[&str] = &[
    "call_sign",
    "full_name",
    "birth_date",
    "birth_place",
    "contact_kind",
    "contact_value",
    "statement",
];

fn form_page(
    tr: Tr,
    category: Category,
    fields: HashMap<String, String>,
    error: Option<String>,
) -> FormPage {
    let questions = questions(category)
        .iter()
        .map(|name| Question {
            name,
            label: tr.label("intake-q", name),
            value: fields.get(*name).cloned().unwrap_or_default(),
        })
        .collect();
    FormPage {
        category_label: tr.label("intake-category", category.as_str()),
        category: category.as_str(),
        tr,
        error,
        fields,
        questions,
    }
}

pub async fn form(
    Path(code): Path<String>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let Some(category) = Category::parse(&code) else {
        return no_such_category();
    };
    render(&form_page(
        crate::i18n::tr(lang_of(query.lang.as_deref(), &headers)),
        category,
        HashMap::new(),
        None,
    ))
}

/// Back from the review page to edit: the same form, filled in.
pub async fn form_again(
    Path(code): Path<String>,
    Form(fields): Form<HashMap<String, String>>,
) -> Response {
    let Some(category) = Category::parse(&code) else {
        return no_such_category();
    };
    let tr = crate::i18n::tr(
        fields
            .get("lang")
            .and_then(|code| Lang::parse(code))
            .unwrap_or(Lang::En),
    );
    render(&form_page(tr, category, fields, None))
}

/// Builds the application from the form's fields, with the same checks as the JSON interface.
pub fn application_from_form(
    category: Category,
    fields: &HashMap<String, String>,
    lang: Lang,
) -> Result<Application, String> {
    let field = |name: &str| fields.get(name).map(String::as_str).unwrap_or("");
    let text = |name: &str, required: bool, max: usize| {
        application::checked_text(name, field(name), required, max, false)
    };
    let tr = crate::i18n::tr(lang);
    // The same core checks as the JSON interface and `sito screen`, told in the applicant's language.
    let refused = |label: &str, problem: sito_core::validate::Problem| {
        let args = problem
            .args()
            .into_iter()
            .map(|(name, value)| (name, crate::i18n::ArgValue::from(value)))
            .collect();
        format!("{}: {}", tr.t(label), tr.args(problem.key(), args))
    };
    let mut contacts = Vec::new();
    let contact_value = text("contact_value", false, application::MAX_SHORT_CHARS)?;
    if !contact_value.is_empty() {
        let kind = text("contact_kind", false, 32)?;
        let value = application::contact_value(&kind, &contact_value)
            .map_err(|problem| refused("intake-q-contact_value", problem))?;
        contacts.push(Contact {
            kind: if kind.is_empty() {
                "other".into()
            } else {
                kind
            },
            value,
        });
    }
    let birth_date = application::birth_date_value(&text("birth_date", false, 10)?)
        .map_err(|problem| refused("intake-q-birth_date", problem))?;
    let mut answers = Vec::new();
    for name in questions(category) {
        let answer = application::checked_text(name, field(name), false, 2_000, true)?;
        if !answer.is_empty() {
            answers.push(Answer {
                question: (*name).to_owned(),
                answer,
            });
        }
    }
    let military = Military {
        served: matches!(
            category,
            Category::FormerServiceman | Category::PrisonerOfWar
        ),
        branch: text("military_branch", false, application::MAX_SHORT_CHARS)?,
        unit: text("military_unit", false, application::MAX_SHORT_CHARS)?,
        rank: text("military_rank", false, application::MAX_SHORT_CHARS)?,
    };
    if category == Category::PrisonerOfWar && field("voluntary") != "yes" {
        return Err(
            "`voluntary`: a prisoner of war applies only of their own free will; tick the box"
                .into(),
        );
    }
    Ok(Application {
        language: lang.code().to_owned(),
        category: category.as_str().to_owned(),
        call_sign: text("call_sign", true, application::MAX_CALL_SIGN_CHARS)?,
        full_name: text("full_name", true, application::MAX_SHORT_CHARS)?,
        birth_date,
        birth_place: text("birth_place", false, application::MAX_SHORT_CHARS)?,
        contacts,
        military,
        statement: application::checked_text(
            "statement",
            field("statement"),
            false,
            application::MAX_STATEMENT_CHARS,
            true,
        )?,
        answers,
        documents: Vec::new(),
        assisted: false,
    })
}

fn form_lang(fields: &HashMap<String, String>) -> Lang {
    fields
        .get("lang")
        .and_then(|code| Lang::parse(code))
        .unwrap_or(Lang::En)
}

pub async fn review(
    Path(code): Path<String>,
    Form(fields): Form<HashMap<String, String>>,
) -> Response {
    let Some(category) = Category::parse(&code) else {
        return no_such_category();
    };
    let lang = form_lang(&fields);
    let tr = crate::i18n::tr(lang);
    if let Err(error) = application_from_form(category, &fields, lang) {
        return render(&form_page(tr, category, fields, Some(error)));
    }
    let mut rows = Vec::new();
    let mut hidden = Vec::new();
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
    render(&ReviewPage {
        category_label: tr.label("intake-category", category.as_str()),
        category: category.as_str(),
        tr,
        rows,
        hidden,
    })
}

pub async fn send(
    State(state): State<IntakeState>,
    Path(code): Path<String>,
    mut multipart: axum::extract::Multipart,
) -> Response {
    let Some(category) = Category::parse(&code) else {
        return no_such_category();
    };
    let mut fields = HashMap::new();
    let mut uploads: Vec<Vec<u8>> = Vec::new();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(error) => return (error.status(), "the form could not be read").into_response(),
        };
        let name = field.name().unwrap_or_default().to_owned();
        let is_file = field.file_name().is_some();
        let bytes = match field.bytes().await {
            Ok(bytes) => bytes,
            Err(error) => return (error.status(), "the form could not be read").into_response(),
        };
        if is_file {
            if !bytes.is_empty() {
                uploads.push(bytes.to_vec());
            }
        } else {
            fields.insert(name, String::from_utf8_lossy(&bytes).into_owned());
        }
    }
    let lang = form_lang(&fields);
    let tr = crate::i18n::tr(lang);
    let refuse = |tr: Tr, fields: HashMap<String, String>, error: String| {
        (
            StatusCode::BAD_REQUEST,
            render(&form_page(tr, category, fields, Some(error))),
        )
            .into_response()
    };
    let mut application = match application_from_form(category, &fields, lang) {
        Ok(application) => application,
        Err(error) => return refuse(tr, fields, error),
    };
    if uploads.len() > upload::MAX_FILES {
        return refuse(tr, fields, upload::UploadError::TooMany.to_string());
    }
    let accepted = tokio::task::spawn_blocking(move || {
        uploads
            .iter()
            .map(|bytes| upload::accept(bytes))
            .collect::<Result<Vec<_>, _>>()
    })
    .await;
    match accepted {
        Ok(Ok(documents)) => application.documents = documents,
        Ok(Err(error)) => return refuse(tr, fields, error.to_string()),
        Err(_) => return IntakeError::Internal("upload task failed".into()).into_response(),
    }
    match state.submit(application).await {
        Ok(receipt) => render(&DonePage {
            tr,
            codename: receipt.codename,
            received_at: receipt.received_at,
        }),
        Err(error) => error_page(tr, error),
    }
}

#[derive(Template)]
#[template(path = "intake/status.html")]
struct StatusPage {
    tr: Tr,
    codename: String,
    status: Option<String>,
    messages: Vec<ThreadMessage>,
    error: Option<String>,
}

pub async fn status_form(Query(query): Query<LangQuery>, headers: HeaderMap) -> Response {
    let tr = crate::i18n::tr(lang_of(query.lang.as_deref(), &headers));
    render(&StatusPage {
        tr,
        codename: String::new(),
        status: None,
        messages: Vec::new(),
        error: None,
    })
}

pub async fn status(
    State(state): State<IntakeState>,
    Form(fields): Form<HashMap<String, String>>,
) -> Response {
    let tr = crate::i18n::tr(form_lang(&fields));
    let codename = Zeroizing::new(fields.get("codename").cloned().unwrap_or_default());
    if let Some(text) = fields.get("text").filter(|text| !text.trim().is_empty())
        && let Err(error) = state.message(&codename, text).await
    {
        return status_error(tr, error);
    }
    match state.status(&codename).await {
        Ok(view) => {
            let status = tr.label("intake-status", &view.status);
            render(&StatusPage {
                tr,
                codename: codename.to_string(),
                status: Some(status),
                messages: view.messages,
                error: None,
            })
        }
        Err(error) => status_error(tr, error),
    }
}

fn status_error(tr: Tr, error: IntakeError) -> Response {
    let message = match error {
        IntakeError::UnknownCodename => tr.t("intake-unknown-codename"),
        IntakeError::RateLimited => tr.t("intake-rate-limited"),
        IntakeError::BadRequest(detail) => detail,
        IntakeError::TooLarge(_) | IntakeError::Internal(_) => return error.into_response(),
    };
    render(&StatusPage {
        tr,
        codename: String::new(),
        status: None,
        messages: Vec::new(),
        error: Some(message),
    })
}

fn error_page(tr: Tr, error: IntakeError) -> Response {
    let status = match &error {
        IntakeError::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        IntakeError::Internal(_) => return error.into_response(),
        _ => StatusCode::BAD_REQUEST,
    };
    let message = match &error {
        IntakeError::RateLimited => tr.t("intake-rate-limited"),
        other => other.to_string(),
    };
    (
        status,
        render(&StatusPage {
            tr,
            codename: String::new(),
            status: None,
            messages: Vec::new(),
            error: Some(message),
        }),
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "intake/authenticity.html")]
struct AuthenticityPage {
    tr: Tr,
    statement: Option<String>,
}

pub async fn authenticity(
    State(state): State<IntakeState>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let tr = crate::i18n::tr(lang_of(query.lang.as_deref(), &headers));
    render(&AuthenticityPage {
        tr,
        statement: state.config().address_statement.clone(),
    })
}

pub async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=86400"),
        ],
        include_str!("../static/intake.css"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect()
    }

    #[test]
    fn a_prisoner_of_war_must_state_it_is_voluntary() {
        let base = [
            ("call_sign", "Quiet"),
            ("full_name", "A B"),
            ("camp", "camp 3"),
        ];
        let error =
            application_from_form(Category::PrisonerOfWar, &fields(&base), Lang::Ru).unwrap_err();
        assert!(error.contains("voluntary"));
        let mut with = base.to_vec();
        with.push(("voluntary", "yes"));
        let application =
            application_from_form(Category::PrisonerOfWar, &fields(&with), Lang::Ru).unwrap();
        assert_eq!(
            application.answers,
            vec![Answer {
                question: "camp".into(),
                answer: "camp 3".into()
            }]
        );
        assert!(application.military.served);
    }

    #[test]
    fn the_form_refuses_a_day_the_calendar_lacks_in_the_applicants_language() {
        let base = [("call_sign", "Quiet"), ("full_name", "A B")];
        let mut with = base.to_vec();
        with.push(("birth_date", "1990-02-30"));
        let error = application_from_form(Category::Other, &fields(&with), Lang::Ru).unwrap_err();
        assert!(error.contains("такого дня нет в календаре"), "{error}");
        let error = application_from_form(Category::Other, &fields(&with), Lang::Uk).unwrap_err();
        assert!(error.contains("такого дня немає"), "{error}");
        with[2] = ("birth_date", "1990-02-28");
        let application = application_from_form(Category::Other, &fields(&with), Lang::En).unwrap();
        assert_eq!(application.birth_date, "1990-02-28");
    }

    #[test]
    fn the_form_keeps_a_phone_as_e164_and_refuses_a_local_number() {
        let mut with = vec![
            ("call_sign", "Quiet"),
            ("full_name", "A B"),
            ("contact_kind", "phone"),
            ("contact_value", "+380 (67) 123-45-67"),
        ];
        let application = application_from_form(Category::Other, &fields(&with), Lang::En).unwrap();
        assert_eq!(application.contacts[0].value, "+380671234567");
        with[3] = ("contact_value", "12");
        let error = application_from_form(Category::Other, &fields(&with), Lang::En).unwrap_err();
        assert!(error.contains("not a phone number"), "{error}");
        with[3] = ("contact_value", "+380671234567");
        with.retain(|(key, _)| *key != "call_sign");
        let error = application_from_form(Category::Other, &fields(&with), Lang::En).unwrap_err();
        assert!(error.contains("call_sign"), "{error}");
    }

    #[test]
    fn every_intake_key_exists_in_every_language() {
        let keys = |lang: &str| -> Vec<String> {
            // Every `.ftl` of the language, as the loader reads them all.
            let dir = format!("{}/locales/{lang}", env!("CARGO_MANIFEST_DIR"));
            let mut text = String::new();
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_some_and(|ext| ext == "ftl") {
                    text.push_str(&std::fs::read_to_string(path).unwrap());
                    text.push('\n');
                }
            }
            let mut keys: Vec<String> = text
                .lines()
                .filter(|line| !line.starts_with([' ', '#', '*', '[']) && line.contains(" ="))
                .map(|line| line.split(" =").next().unwrap().to_owned())
                .collect();
            keys.sort();
            keys
        };
        let english = keys("en");
        assert!(english.len() > 30);
        for lang in ["ru", "uk"] {
            assert_eq!(keys(lang), english, "{lang}");
        }
        // Every status the office may push (`sito_office::pull::applicant_status`).
        for status in [
            "received",
            "in_review",
            "action_needed",
            "closed",
            "completed",
        ] {
            assert!(
                english.contains(&format!("intake-status-{status}")),
                "{status}"
            );
        }
        for category in Category::ALL {
            assert!(english.contains(&format!("intake-category-{}", category.as_str())));
            for question in questions(*category) {
                assert!(
                    english.contains(&format!("intake-q-{question}")),
                    "{question}"
                );
            }
        }
    }
}
