//! The office pull (invariant 2: office pulls, intake forgets).
//!
//! Intake side: `POST /api/v1/office/pull` hands out sealed submissions and messages, `POST /api/v1/office/ack`
//! deletes what the office took, `POST /api/v1/office/updates` stores statuses and replies the office sealed to
//! applicants. All three need `Authorization: Bearer <pull secret>`, compared in constant time.
//!
//! The office side (`sito_office::pull::OfficePuller`) speaks to these endpoints with the wire types below.
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use uuid::Uuid;

use crate::store::StoreError;
use crate::{IntakeError, IntakeState, json_body};

pub const PULL_BATCH: u32 = 200;
/// The audit action of an application entered by staff (assisted intake); its actor is the coordinator and its
/// subject the case id, written before the sealed application leaves for the intake.
pub const ASSISTED_INTAKE_ACTION: &str = "intake.assisted";
/// Keys of the Documents group's fields that hold a submitted file.
pub const DOCUMENT_FIELD_PREFIX: &str = "file_";

/// Pull bodies carry sealed documents; updates carry sealed replies.
const OFFICE_BODY_LIMIT: usize = 512 * 1024;

#[derive(Debug, Serialize, Deserialize)]
pub struct PulledSubmission {
    pub id: String,
    pub received_at: String,
    pub reply_record: String,
    pub sealed: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct PulledMessage {
    pub id: i64,
    pub submission_id: String,
    pub at: String,
    pub sealed: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct PullBatch {
    pub submissions: Vec<PulledSubmission>,
    pub messages: Vec<PulledMessage>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Acknowledgement {
    pub submissions: Vec<String>,
    pub messages: Vec<i64>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Update {
    pub submission_id: String,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub reply: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Updates {
    pub updates: Vec<Update>,
}

pub(crate) fn intake_side_routes() -> Router<IntakeState> {
    Router::new()
        .route("/api/v1/office/pull", post(serve_pull))
        .route("/api/v1/office/ack", post(serve_ack))
        .route("/api/v1/office/updates", post(serve_updates))
        .route(
            "/api/v1/office/assisted",
            post(serve_assisted).layer(axum::extract::DefaultBodyLimit::max(ASSISTED_BODY_LIMIT)),
        )
}

/// An application entered by staff, sealed by the office, on its way into the intake's queue.
#[derive(Debug, Serialize, Deserialize)]
pub struct AssistedSubmission {
    pub id: String,
    pub sealed: String,
}

/// What the intake answers an assisted submission: the codename to hand to the applicant (once) and the record
/// the office seals replies to.
#[derive(Debug, Serialize, Deserialize)]
pub struct AssistedReceipt {
    pub codename: String,
    pub received_at: String,
    pub reply_record: String,
}

/// Every document at its largest, base64-encoded twice (inside the sealed JSON, then the sealed bytes in this
/// body), with room for a re-encoded image to come out larger than it went in, plus the form. The endpoint needs
/// the pull secret, so the size only bounds what the office itself may send.
pub const ASSISTED_BODY_LIMIT: usize =
    super::upload::MAX_FILES * super::upload::MAX_FILE_BYTES * 2 * 16 / 9 + 1024 * 1024;

async fn serve_assisted(
    State(state): State<IntakeState>,
    request: Request,
) -> Result<Response, IntakeError> {
    authorised(&state, &request)?;
    let body = json_body(request, ASSISTED_BODY_LIMIT).await?;
    let assisted: AssistedSubmission = serde_json::from_slice(&body)
        .map_err(|_| IntakeError::BadRequest("malformed assisted submission".into()))?;
    // The id becomes the case id: only a fresh UUID the office made is accepted.
    let id = Uuid::parse_str(&assisted.id)
        .map_err(|_| IntakeError::BadRequest("the id must be a UUID".into()))?;
    let sealed = BASE64
        .decode(&assisted.sealed)
        .map_err(|_| IntakeError::BadRequest("sealed is not base64".into()))?;
    let filed = state.submit_sealed(id.to_string(), sealed).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(AssistedReceipt {
            codename: filed.receipt.codename,
            received_at: filed.receipt.received_at,
            reply_record: filed.reply_record,
        }),
    )
        .into_response())
}

fn authorised(state: &IntakeState, request: &Request) -> Result<(), IntakeError> {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default();
    // Hashing first makes the comparison constant-time whatever the lengths.
    let presented = Sha256::digest(presented.as_bytes());
    let expected = Sha256::digest(state.config().pull_secret.as_bytes());
    if bool::from(presented.as_slice().ct_eq(expected.as_slice()))
        && !state.config().pull_secret.is_empty()
    {
        Ok(())
    } else {
        Err(IntakeError::UnknownCodename)
    }
}

async fn serve_pull(
    State(state): State<IntakeState>,
    request: Request,
) -> Result<Response, IntakeError> {
    authorised(&state, &request)?;
    let (submissions, messages) = state.store().pending(PULL_BATCH).await?;
    let batch = PullBatch {
        submissions: submissions
            .into_iter()
            .map(|pending| PulledSubmission {
                id: pending.submission_id,
                received_at: pending.received_day,
                reply_record: pending.reply_record,
                sealed: BASE64.encode(&pending.sealed),
            })
            .collect(),
        messages: messages
            .into_iter()
            .map(|pending| PulledMessage {
                id: pending.id,
                submission_id: pending.submission_id,
                at: pending.day,
                sealed: BASE64.encode(&pending.sealed),
            })
            .collect(),
    };
    Ok(axum::Json(batch).into_response())
}

async fn serve_ack(
    State(state): State<IntakeState>,
    request: Request,
) -> Result<Response, IntakeError> {
    authorised(&state, &request)?;
    let body = json_body(request, OFFICE_BODY_LIMIT).await?;
    let ack: Acknowledgement = serde_json::from_slice(&body)
        .map_err(|_| IntakeError::BadRequest("malformed acknowledgement".into()))?;
    state
        .store()
        .acknowledge(&ack.submissions, &ack.messages)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn serve_updates(
    State(state): State<IntakeState>,
    request: Request,
) -> Result<Response, IntakeError> {
    authorised(&state, &request)?;
    let body = json_body(request, OFFICE_BODY_LIMIT).await?;
    let updates: Updates = serde_json::from_slice(&body)
        .map_err(|_| IntakeError::BadRequest("malformed updates".into()))?;
    let decode = |text: &Option<String>| -> Result<Option<Vec<u8>>, IntakeError> {
        text.as_deref()
            .map(|text| {
                BASE64
                    .decode(text)
                    .map_err(|_| IntakeError::BadRequest("update is not base64".into()))
            })
            .transpose()
    };
    for update in &updates.updates {
        let status = decode(&update.status)?;
        let reply = decode(&update.reply)?;
        match state
            .store()
            .apply_update(&update.submission_id, status.as_deref(), reply.as_deref())
            .await
        {
            // The applicant's record may be gone (retention); nothing to deliver to.
            Ok(()) | Err(StoreError::NotFound) => {}
            Err(other) => return Err(other.into()),
        }
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
