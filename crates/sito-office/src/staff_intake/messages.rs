//! The applicant's message thread, office side (issue 3, deliverable 1). Applicants' messages arrive sealed to the
//! office with the pull (`office_messages`); the office's replies are sealed to a key only the applicant's codename
//! opens and sent to the intake (`OfficePuller::reply`).
//!
//! Who may: a message can carry anything an applicant writes (names, numbers, where they are), and answering means
//! corresponding with them, so the thread is gated like the applicant's contacts: the roles the policy grants the
//! Contacts group for this case now (the intake coordinator and the security officer always, the logistics officer
//! while arranging the meeting). Every opening of the thread is an audited read; every reply an audited write.
use askama::Template;
use axum::extract::{Path, Query, RawForm, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use sito_core::{CaseId, FieldGroup};
use std::collections::HashMap;

use super::{MaybeLink, audit, case_permit, form_fields, parse_case_id, puller};
use crate::AppState;
use crate::auth::Staff;
use crate::error::WebError;
use crate::frame::{chrome, render};
use crate::pull::Delivery;
use crate::views::Chrome;
use sito_intake::application::{MAX_STATEMENT_CHARS, checked_text};

/// The audit action of opening a case's thread.
pub const THREAD_READ: &str = "messages.read";
/// The audit action of a reply to the applicant.
pub const REPLY_SENT: &str = "messages.reply";

pub struct MessageView {
    pub from_office: bool,
    pub from: String,
    pub at: String,
    pub text: String,
}

#[derive(Template)]
#[template(path = "staff_intake/messages.html")]
struct ThreadPage {
    chrome: Chrome,
    title: String,
    case_href: String,
    action: String,
    /// Why there is no thread to show (no intake link, or the case did not come through the intake).
    unavailable: Option<String>,
    notice: Option<String>,
    error: Option<String>,
    messages: Vec<MessageView>,
    draft: String,
}

/// `GET /cases/{id}/messages`
pub(crate) async fn thread(
    staff: Staff,
    State(state): State<AppState>,
    link: MaybeLink,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let id = parse_case_id(&id)?;
    case_permit(&state, &staff, id, FieldGroup::Contacts).await?;
    let tr = crate::i18n::tr(staff.lang);
    let notice = match query.get("sent").map(String::as_str) {
        Some("delivered") => Some(tr.t("si-reply-sent")),
        Some("queued") => Some(tr.t("si-reply-queued")),
        _ => None,
    };
    page(
        &state,
        &staff,
        &link,
        id,
        notice,
        None,
        String::new(),
        StatusCode::OK,
    )
    .await
}

/// `POST /cases/{id}/messages`: a reply to the applicant.
pub(crate) async fn reply(
    staff: Staff,
    State(state): State<AppState>,
    link: MaybeLink,
    Path(id): Path<String>,
    RawForm(form): RawForm,
) -> Result<Response, WebError> {
    let fields = form_fields(&form);
    staff.check_csrf(fields.get("csrf").map(String::as_str))?;
    let id = parse_case_id(&id)?;
    case_permit(&state, &staff, id, FieldGroup::Contacts).await?;
    let draft = fields.get("text").cloned().unwrap_or_default();
    let tr = crate::i18n::tr(staff.lang);
    // The same rules as an applicant's own message (length, no control characters but line breaks).
    let text = match checked_text("text", &draft, true, MAX_STATEMENT_CHARS, true) {
        Ok(text) => text,
        Err(problem) => {
            let error = tr.t1("si-reply-invalid", "problem", problem);
            return page(
                &state,
                &staff,
                &link,
                id,
                None,
                Some(error),
                draft,
                StatusCode::BAD_REQUEST,
            )
            .await;
        }
    };
    let Some(puller) = puller(&link) else {
        let error = tr.t("si-no-intake");
        return page(
            &state,
            &staff,
            &link,
            id,
            None,
            Some(error),
            draft,
            StatusCode::SERVICE_UNAVAILABLE,
        )
        .await;
    };
    if !puller.has_applicant(id).await.map_err(internal)? {
        return Err(WebError::BadRequest(
            "this case has no applicant to write to".into(),
        ));
    }
    // The text itself is never in the log: it is sealed in the thread. The length shows the entry is a real reply.
    audit(
        &state,
        &staff,
        REPLY_SENT,
        &id.to_string(),
        format!("characters={}", text.chars().count()),
    )
    .await?;
    let outcome = match puller
        .reply(&id.to_string(), &text)
        .await
        .map_err(internal)?
    {
        Delivery::Delivered => "delivered",
        Delivery::Queued => "queued",
    };
    Ok(Redirect::to(&format!("/cases/{id}/messages?sent={outcome}")).into_response())
}

fn internal(error: crate::pull::PullError) -> WebError {
    WebError::Internal(error.to_string())
}

#[allow(clippy::too_many_arguments)]
async fn page(
    state: &AppState,
    staff: &Staff,
    link: &MaybeLink,
    id: CaseId,
    notice: Option<String>,
    error: Option<String>,
    draft: String,
    status: StatusCode,
) -> Result<Response, WebError> {
    let summary = state.store.case_summary(id).await?;
    let path = format!("/cases/{id}/messages");
    let chrome = chrome(staff, &path, "/cases");
    let tr = chrome.tr.clone();
    let (unavailable, messages) = match puller(link) {
        None => (Some(tr.t("si-no-intake")), Vec::new()),
        Some(puller) if !puller.has_applicant(id).await.map_err(internal)? => {
            (Some(tr.t("si-no-applicant")), Vec::new())
        }
        Some(puller) => {
            audit(state, staff, THREAD_READ, &id.to_string(), String::new()).await?;
            let thread = puller.thread(id).await.map_err(internal)?;
            let messages = thread
                .into_iter()
                .map(|(from_office, message)| MessageView {
                    from_office,
                    from: if from_office {
                        tr.t("si-from-office")
                    } else {
                        tr.t("si-from-applicant")
                    },
                    at: message.at,
                    text: message.text,
                })
                .collect();
            (None, messages)
        }
    };
    let mut response = render(ThreadPage {
        title: tr.t1("si-thread-title", "call_sign", summary.call_sign.as_str()),
        case_href: format!("/cases/{id}"),
        action: path,
        unavailable,
        notice,
        error,
        messages,
        draft,
        chrome,
    })?;
    *response.status_mut() = status;
    Ok(response)
}
