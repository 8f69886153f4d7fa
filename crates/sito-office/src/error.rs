//! The one place where errors become HTTP answers. Error pages carry no case data and no internal detail.
use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};

use crate::i18n::{Lang, Tr};

#[derive(Clone, Debug, thiserror::Error)]
pub enum WebError {
    #[error("sign-in required")]
    LoginRequired,
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    /// Malformed input from the client; the detail names the field and is safe to show.
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<sito_store::StoreError> for WebError {
    fn from(error: sito_store::StoreError) -> Self {
        match error {
            sito_store::StoreError::NotFound => WebError::NotFound,
            other => WebError::Internal(other.to_string()),
        }
    }
}

impl From<askama::Error> for WebError {
    fn from(error: askama::Error) -> Self {
        WebError::Internal(format!("template: {error}"))
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    tr: Tr,
    message: String,
}

impl WebError {
    /// Renders the error in the visitor's language.
    pub fn into_response_in(self, lang: Lang) -> Response {
        if let WebError::Internal(detail) = &self {
            // The detail comes from our own code and the database driver, never from case content.
            tracing::error!(error = %detail, "internal error");
        }
        self.page_in(lang)
    }

    /// The error page alone, for an error already logged.
    pub(crate) fn page_in(&self, lang: Lang) -> Response {
        let tr = crate::i18n::tr(lang);
        let (status, message) = match self {
            WebError::LoginRequired => return Redirect::to("/login").into_response(),
            WebError::Forbidden => (StatusCode::FORBIDDEN, tr.t("error-forbidden")),
            WebError::NotFound => (StatusCode::NOT_FOUND, tr.t("error-not-found")),
            WebError::BadRequest(detail) => (
                StatusCode::BAD_REQUEST,
                tr.t1("error-bad-request", "detail", detail.as_str()),
            ),
            WebError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, tr.t("error-internal")),
        };
        let body = ErrorPage { tr, message }
            .render()
            .unwrap_or_else(|_| String::from("error"));
        (status, [(header::CACHE_CONTROL, "no-store")], Html(body)).into_response()
    }
}

/// A handler's error as it left the handler, carried on its response so that the gate middleware, which knows the
/// reader's language, can render the page again in it (`gate::enforce`).
#[derive(Clone)]
pub(crate) struct Untranslated(pub(crate) WebError);

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        // A handler does not know the reader's language: the default here, the reader's in `gate::enforce`.
        let mut response = self.clone().into_response_in(Lang::Ru);
        response.extensions_mut().insert(Untranslated(self));
        response
    }
}
