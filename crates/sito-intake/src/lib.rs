//! The applicants' intake (issue 3): the JSON interface of contracts/intake-api.md, sealing on arrival, durable
//! group commits, rate limits, and the endpoints the office pulls from (see [`pull`]).
//!
//! Architecture invariant: the intake never holds a private key and never writes a plaintext field anywhere. An
//! application is checked in memory, sealed to every current office recipient, and only the ciphertext, the day
//! and the codename's slow keyed hash reach the database. Nothing here logs a request, an address or a field.
pub mod application;
mod commit;
pub mod i18n;
mod limits;
pub mod pull;
pub mod site;
pub mod store;
pub mod upload;

use std::sync::Arc;
use std::time::Duration;

use crate::store::StoreError;
use crate::store::{IntakeStore, NewSubmission};
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sito_crypto::{Codename, CodenameLookup, KdfParams, OfficeRecipients, ReplyRecipient};
use uuid::Uuid;
use zeroize::Zeroizing;

pub use application::Application;
use commit::GroupCommit;
pub use limits::{Admission, Limits};

/// The JSON interface's body limit (contracts/intake-api.md).
pub const JSON_BODY_LIMIT: usize = 64 * 1024;
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
                   frame-ancestors 'none'; base-uri 'none'";

/// Everything the intake is configured with. It holds public keys and the pepper, never an office identity.
pub struct IntakeConfig {
    pub recipients: OfficeRecipients,
    pub lookup: CodenameLookup,
    pub reply_params: KdfParams,
    /// The secret the office presents to pull; compared in constant time.
    pub pull_secret: Zeroizing<String>,
    pub limits: Limits,
    /// The signed statement of the intake's addresses (`sito keys sign-addresses`), shown to applicants.
    pub address_statement: Option<String>,
}

#[derive(Clone)]
pub struct IntakeState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn IntakeStore>,
    config: IntakeConfig,
    commit: GroupCommit,
    admission: Admission,
    /// Spent on unknown codenames, so they cost what a known one costs (the same answer, about the same time).
    decoy_reply: ReplyRecipient,
}

/// Why an intake operation failed, as the one mapping to HTTP below sees it.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error("{0}")]
    BadRequest(String),
    #[error("the body is larger than {0} bytes")]
    TooLarge(usize),
    #[error("too many requests; try again in a minute")]
    RateLimited,
    #[error("unknown codename")]
    UnknownCodename,
    #[error("internal error")]
    Internal(String),
}

impl From<StoreError> for IntakeError {
    fn from(error: StoreError) -> Self {
        IntakeError::Internal(format!("store: {error}"))
    }
}

impl From<sito_crypto::CryptoError> for IntakeError {
    fn from(error: sito_crypto::CryptoError) -> Self {
        IntakeError::Internal(format!("crypto: {error}"))
    }
}

impl IntoResponse for IntakeError {
    fn into_response(self) -> Response {
        let status = match &self {
            IntakeError::BadRequest(_) => StatusCode::BAD_REQUEST,
            IntakeError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            IntakeError::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            IntakeError::UnknownCodename => StatusCode::NOT_FOUND,
            IntakeError::Internal(detail) => {
                // Our own code's and the driver's words only: no field, codename or address reaches this.
                tracing::error!(error = %detail, "intake internal error");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        let message = match &self {
            IntakeError::Internal(_) => "internal error".to_owned(),
            other => other.to_string(),
        };
        let mut response = (status, axum::Json(json!({ "error": message }))).into_response();
        if status == StatusCode::TOO_MANY_REQUESTS {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("30"));
        }
        response
    }
}

/// What a correct codename opens, for the length of one request.
struct Unlocked {
    account: crate::store::IntakeAccount,
    reply: ReplyRecipient,
    identity: sito_crypto::ReplyIdentity,
}

/// The answer to a submission.
#[derive(Debug, Serialize)]
pub struct Receipt {
    pub codename: String,
    pub received_at: String,
}

/// A submission filed under a new codename, with the public record the office seals replies to.
pub(crate) struct Filed {
    pub receipt: Receipt,
    pub reply_record: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadMessage {
    pub from: String,
    pub at: String,
    pub text: String,
}

#[derive(Debug, Serialize)]
pub struct StatusView {
    pub status: String,
    pub messages: Vec<ThreadMessage>,
}

/// What the office seals to the applicant as their status.
#[derive(Serialize, Deserialize)]
pub struct SealedStatus {
    pub status: String,
}

impl IntakeState {
    pub fn new(store: Arc<dyn IntakeStore>, config: IntakeConfig) -> Result<Self, IntakeError> {
        let decoy_reply = ReplyRecipient::create(&Codename::generate(), config.reply_params)?;
        let commit = GroupCommit::start(Arc::clone(&store));
        let admission = Admission::new(&config.limits);
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                config,
                commit,
                admission,
                decoy_reply,
            }),
        })
    }

    pub fn store(&self) -> &Arc<dyn IntakeStore> {
        &self.inner.store
    }

    pub fn config(&self) -> &IntakeConfig {
        &self.inner.config
    }

    /// Seals an application, files it under a new codename and answers once the commit is durable.
    pub async fn submit(&self, application: Application) -> Result<Receipt, IntakeError> {
        let filed = self
            .file_under_new_codename(Uuid::now_v7().to_string(), move |config| {
                let plaintext = Zeroizing::new(
                    serde_json::to_vec(&application)
                        .map_err(|error| IntakeError::Internal(error.to_string()))?,
                );
                Ok(config.recipients.seal(&plaintext)?.into_bytes())
            })
            .await?;
        Ok(filed.receipt)
    }

    /// Files an application the office sealed itself (assisted intake, entered by staff from paper or a call)
    /// exactly as a submission from the site: a new codename, the same durable commit, the same queue the office
    /// pulls from. The intake sees only the ciphertext.
    pub(crate) async fn submit_sealed(
        &self,
        submission_id: String,
        sealed: Vec<u8>,
    ) -> Result<Filed, IntakeError> {
        self.file_under_new_codename(submission_id, move |_| Ok(sealed))
            .await
    }

    /// The one way a submission enters the intake: a codename and its two slow keys are made, the sealed
    /// payload is filed under them, and the answer waits for the durable commit.
    async fn file_under_new_codename(
        &self,
        submission_id: String,
        seal: impl FnOnce(&IntakeConfig) -> Result<Vec<u8>, IntakeError> + Send + 'static,
    ) -> Result<Filed, IntakeError> {
        let _permit = self.inner.admission.submission().await?;
        let inner = Arc::clone(&self.inner);
        let (codename, submission) =
            tokio::task::spawn_blocking(move || -> Result<_, IntakeError> {
                let codename = Codename::generate();
                let lookup_key = inner.config.lookup.lookup_key(&codename)?;
                let reply = ReplyRecipient::create(&codename, inner.config.reply_params)?;
                let sealed = seal(&inner.config)?;
                let submission = NewSubmission {
                    submission_id,
                    lookup_key: lookup_key.as_str().to_owned(),
                    reply_record: reply.to_record(),
                    sealed,
                    received_day: today(),
                };
                Ok((codename, submission))
            })
            .await
            .map_err(|_| IntakeError::Internal("sealing task failed".into()))??;
        drop(_permit);
        let received_at = submission.received_day.clone();
        let reply_record = submission.reply_record.clone();
        self.inner.commit.commit(submission).await?;
        Ok(Filed {
            receipt: Receipt {
                codename: codename.expose().to_owned(),
                received_at,
            },
            reply_record,
        })
    }

    /// Opens what a codename gives access to. Unknown and wrong codenames cost the same work and get the same
    /// answer.
    async fn unlock(&self, typed: &str) -> Result<Unlocked, IntakeError> {
        self.inner.admission.codename_attempt(typed)?;
        let _permit = self.inner.admission.lookup().await?;
        let inner = Arc::clone(&self.inner);
        let typed = Zeroizing::new(typed.to_owned());
        let (lookup_key, codename) =
            tokio::task::spawn_blocking(move || inner.config.lookup.lookup_presented(&typed))
                .await
                .map_err(|_| IntakeError::Internal("lookup task failed".into()))??;
        let account = match self.inner.store.account(lookup_key.as_str()).await {
            Ok(account) => Some(account),
            Err(StoreError::NotFound) => None,
            Err(other) => return Err(other.into()),
        };
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            let found = match (codename, account) {
                (Some(codename), Some(account)) => {
                    let reply = ReplyRecipient::parse_record(&account.reply_record)?;
                    // Proves the codename (not only its hash) and costs one KDF, like the decoy below.
                    let identity = reply.unlock(&codename)?;
                    Some(Unlocked {
                        account,
                        reply,
                        identity,
                    })
                }
                _ => None,
            };
            if found.is_none() {
                let _ = inner.decoy_reply.unlock(&Codename::generate());
            }
            found.ok_or(IntakeError::UnknownCodename)
        })
        .await
        .map_err(|_| IntakeError::Internal("lookup task failed".into()))?
    }

    pub async fn status(&self, typed: &str) -> Result<StatusView, IntakeError> {
        let Unlocked {
            account, identity, ..
        } = self.unlock(typed).await?;
        tokio::task::spawn_blocking(move || {
            let status = match &account.status_sealed {
                Some(sealed) => {
                    let opened = identity.open(sealed)?;
                    serde_json::from_slice::<SealedStatus>(opened.expose())
                        .map(|status| status.status)
                        .unwrap_or_else(|_| "received".to_owned())
                }
                None => "received".to_owned(),
            };
            let messages = account
                .thread
                .iter()
                .filter_map(|sealed| identity.open(sealed).ok())
                .filter_map(|opened| serde_json::from_slice::<ThreadMessage>(opened.expose()).ok())
                .collect();
            Ok(StatusView { status, messages })
        })
        .await
        .map_err(|_| IntakeError::Internal("opening task failed".into()))?
    }

    pub async fn message(&self, typed: &str, text: &str) -> Result<(), IntakeError> {
        let text =
            application::checked_text("text", text, true, application::MAX_STATEMENT_CHARS, true)
                .map_err(IntakeError::BadRequest)?;
        let Unlocked { account, reply, .. } = self.unlock(typed).await?;
        let message = ThreadMessage {
            from: "applicant".into(),
            at: today(),
            text,
        };
        let plaintext = Zeroizing::new(
            serde_json::to_vec(&message)
                .map_err(|error| IntakeError::Internal(error.to_string()))?,
        );
        let to_office = self.inner.config.recipients.seal(&plaintext)?;
        let to_thread = reply.seal(&plaintext)?;
        self.inner
            .store
            .add_applicant_message(
                &account.submission_id,
                to_office.as_bytes(),
                to_thread.as_bytes(),
                &message.at,
            )
            .await?;
        Ok(())
    }
}

/// Today as `YYYY-MM-DD` (UTC): the only time the intake keeps.
pub fn today() -> String {
    let days = sito_http::now().div_euclid(86_400);
    let date = time::Date::from_julian_day(2_440_588 + days as i32).unwrap_or(time::Date::MIN);
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// The intake's router: the JSON interface and the pull endpoints.
pub fn intake_router(state: IntakeState) -> Router {
    let router = Router::new()
        .route("/api/v1/applications", post(api_submit))
        .route("/api/v1/status", post(api_status))
        .route("/api/v1/messages", post(api_message))
        .route("/", get(site::home))
        .route("/apply/{category}", get(site::form).post(site::form_again))
        .route("/apply/{category}/review", post(site::review))
        .route(
            "/apply/{category}/send",
            post(site::send).layer(axum::extract::DefaultBodyLimit::max(
                upload::MAX_FILES * upload::MAX_FILE_BYTES + JSON_BODY_LIMIT,
            )),
        )
        .route("/status", get(site::status_form).post(site::status))
        .route("/authenticity", get(site::authenticity))
        .route("/static/intake.css", get(site::stylesheet))
        .route("/static/favicon.svg", get(sito_http::favicon))
        .merge(pull::intake_side_routes())
        .fallback(api_not_found)
        .layer(axum::extract::DefaultBodyLimit::max(JSON_BODY_LIMIT));
    sito_http::with_security_headers(router, CSP)
        .route("/healthz", get(|| async { "ok" }))
        .with_state(state)
}

async fn api_not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        axum::Json(json!({ "error": "no such endpoint" })),
    )
        .into_response()
}

/// Reads a JSON body up to `limit` bytes. The size is checked while reading, so a lying or missing
/// Content-Length cannot make us buffer more.
pub(crate) async fn json_body(
    request: Request,
    limit: usize,
) -> Result<axum::body::Bytes, IntakeError> {
    let is_json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(IntakeError::BadRequest(
            "the Content-Type must be application/json".into(),
        ));
    }
    let body: Body = request.into_body();
    axum::body::to_bytes(body, limit).await.map_err(|error| {
        let too_large = std::error::Error::source(&error)
            .is_some_and(|source| source.is::<http_body_util::LengthLimitError>())
            || error.to_string().contains("length limit");
        if too_large {
            IntakeError::TooLarge(limit)
        } else {
            IntakeError::BadRequest("the body could not be read".into())
        }
    })
}

async fn api_submit(
    State(state): State<IntakeState>,
    request: Request,
) -> Result<Response, IntakeError> {
    let body = json_body(request, JSON_BODY_LIMIT).await?;
    let application = Application::from_json(&body).map_err(IntakeError::BadRequest)?;
    let receipt = state.submit(application).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({ "codename": receipt.codename, "received_at": receipt.received_at })),
    )
        .into_response())
}

fn string_field(body: &[u8], name: &str) -> Result<Zeroizing<String>, IntakeError> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|_| IntakeError::BadRequest("the body is not valid JSON".into()))?;
    match value.get(name) {
        Some(serde_json::Value::String(text)) => Ok(Zeroizing::new(text.clone())),
        Some(_) => Err(IntakeError::BadRequest(format!(
            "`{name}` must be a string"
        ))),
        None => Err(IntakeError::BadRequest(format!("`{name}` is missing"))),
    }
}

async fn api_status(
    State(state): State<IntakeState>,
    request: Request,
) -> Result<Response, IntakeError> {
    let body = json_body(request, 4 * 1024).await?;
    let codename = string_field(&body, "codename")?;
    let view = state.status(&codename).await?;
    Ok((
        StatusCode::OK,
        axum::Json(json!({ "status": view.status, "messages": view.messages })),
    )
        .into_response())
}

async fn api_message(
    State(state): State<IntakeState>,
    request: Request,
) -> Result<Response, IntakeError> {
    let body = json_body(request, JSON_BODY_LIMIT).await?;
    let codename = string_field(&body, "codename")?;
    let text = string_field(&body, "text")?;
    state.message(&codename, &text).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({ "received_at": today() })),
    )
        .into_response())
}

/// How long the office waits between pulls.
pub const PULL_INTERVAL: Duration = Duration::from_secs(2);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today_is_a_plain_date() {
        let day = today();
        assert_eq!(day.len(), 10);
        assert!(day.starts_with("20"));
    }
}
