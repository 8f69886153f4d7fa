//! The office side of the pull (invariant 2: office pulls, intake forgets); the intake side and the wire types
//! are `sito_intake::pull`.
//!
//! [`OfficePuller`]: pull, open with the keyring, create each case idempotently (the case id *is*
//! the submission id, so a second attempt meets `Duplicate` and changes nothing), record it, then acknowledge.
//! A crash between any two steps is repaired by the next pull.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::http::header;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use http_body_util::{BodyExt, Full};
use sito_core::machine::CaseState;
use sito_core::{CaseId, Category, FieldGroup, GroupContent, Pipeline, Role, StaffId, Status};
use sito_crypto::ReplyRecipient;
pub use sito_intake::pull::{ASSISTED_INTAKE_ACTION, DOCUMENT_FIELD_PREFIX};
use sito_intake::pull::{
    Acknowledgement, AssistedReceipt, AssistedSubmission, PULL_BATCH, PullBatch, PulledMessage,
    PulledSubmission, Update, Updates,
};
use sito_intake::{Application, SealedStatus, ThreadMessage};
use sito_keyring::OfficeKeyring;
use sito_store::audit::AuditFilter;
use sito_store::intake::{OfficeMessage, ReceivedCase, ReceivedStore};
use sito_store::{NewCase, Store, StoreError};
use uuid::Uuid;
use zeroize::Zeroizing;

/// Why a pull failed. Nothing acknowledged is lost by a failure: the next pull repeats the work.
#[derive(Debug, thiserror::Error)]
pub enum PullError {
    #[error("cannot reach the intake at {0}: {1}")]
    Connect(String, String),
    #[error("the intake answered {0}")]
    Status(u16),
    #[error("malformed answer from the intake: {0}")]
    Malformed(String),
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("cannot open a sealed item: {0}")]
    Crypto(#[from] sito_crypto::CryptoError),
}

/// A tiny HTTP/1.1 client for the pull endpoints: one request per connection.
#[derive(Clone)]
pub struct PullClient {
    address: String,
    secret: Arc<Zeroizing<String>>,
}

impl PullClient {
    /// `address` is `HOST:PORT` (a `http://` prefix is accepted); the channel is meant for loopback, a private
    /// network or an onion service, which provide the transport encryption.
    pub fn new(address: &str, secret: Zeroizing<String>) -> Self {
        let address = address
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        Self {
            address,
            secret: Arc::new(secret),
        }
    }

    async fn post(&self, path: &str, body: Vec<u8>) -> Result<Bytes, PullError> {
        let connect_error = |error: &dyn std::fmt::Display| {
            PullError::Connect(self.address.clone(), error.to_string())
        };
        let stream = tokio::net::TcpStream::connect(&self.address)
            .await
            .map_err(|e| connect_error(&e))?;
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .map_err(|e| connect_error(&e))?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        let request = hyper::Request::post(path)
            .header(header::HOST, &self.address)
            .header(header::CONTENT_TYPE, "application/json")
            .header(
                header::AUTHORIZATION,
                format!("Bearer {}", self.secret.as_str()),
            )
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| PullError::Malformed(e.to_string()))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| connect_error(&e))?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| connect_error(&e))?
            .to_bytes();
        if !status.is_success() {
            return Err(PullError::Status(status.as_u16()));
        }
        Ok(body)
    }
}

/// What one round of pulling did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct PullReport {
    pub cases_created: usize,
    pub already_present: usize,
    pub messages: usize,
    pub statuses_pushed: usize,
    pub replies_pushed: usize,
}

/// Where an office reply is once `OfficePuller::reply` returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// On the intake, waiting for the applicant.
    Delivered,
    /// Filed in the office's outbox; the next successful pull pushes it.
    Queued,
}

/// The office side of the pull.
#[derive(Clone)]
pub struct OfficePuller {
    pub store: Arc<dyn Store>,
    pub received: Arc<dyn ReceivedStore>,
    pub keyring: Arc<OfficeKeyring>,
    pub pipeline: Arc<Pipeline>,
    pub client: PullClient,
}

impl OfficePuller {
    /// Pulls until the intake has nothing left, then pushes changed statuses back.
    pub async fn pull_once(&self) -> Result<PullReport, PullError> {
        let mut report = PullReport::default();
        loop {
            let body = self
                .client
                .post("/api/v1/office/pull", b"{}".to_vec())
                .await?;
            let batch: PullBatch =
                serde_json::from_slice(&body).map_err(|e| PullError::Malformed(e.to_string()))?;
            if batch.submissions.is_empty() && batch.messages.is_empty() {
                break;
            }
            let mut ack = Acknowledgement::default();
            for submission in &batch.submissions {
                if self.receive(submission).await? {
                    report.cases_created += 1;
                } else {
                    report.already_present += 1;
                }
                ack.submissions.push(submission.id.clone());
            }
            for message in &batch.messages {
                if self.receive_message(message).await? {
                    report.messages += 1;
                }
                ack.messages.push(message.id);
            }
            let body = serde_json::to_vec(&ack).map_err(|e| PullError::Malformed(e.to_string()))?;
            self.client.post("/api/v1/office/ack", body).await?;
        }
        report.statuses_pushed = self.push_statuses().await?;
        report.replies_pushed = self.push_replies().await?;
        Ok(report)
    }

    /// Creates the case for a submission unless it exists. `true` when it was created now.
    async fn receive(&self, pulled: &PulledSubmission) -> Result<bool, PullError> {
        let sealed = BASE64
            .decode(&pulled.sealed)
            .map_err(|_| PullError::Malformed("sealed submission".into()))?;
        self.open_submission(&pulled.id, &sealed, &pulled.reply_record)
            .await
    }

    /// The one path from a sealed submission to a case, for pulled and assisted submissions alike: opens it with
    /// the keyring and creates the case idempotently (the case id is the submission id), then records it.
    /// `true` when the case was created now.
    pub(crate) async fn open_submission(
        &self,
        submission_id: &str,
        sealed: &[u8],
        reply_record: &str,
    ) -> Result<bool, PullError> {
        let uuid = Uuid::parse_str(submission_id)
            .map_err(|_| PullError::Malformed("submission id".into()))?;
        let case_id = CaseId::from_uuid(uuid);
        if self.received.received_case(submission_id).await?.is_some() {
            return Ok(false);
        }
        let opened = self.keyring.open(sealed)?;
        // Position only: serde's message can quote a value, and this error is logged.
        let application: Application = serde_json::from_slice(opened.expose()).map_err(|e| {
            PullError::Malformed(format!(
                "application at line {} column {}",
                e.line(),
                e.column()
            ))
        })?;
        let mut case = new_case(&self.pipeline, case_id, &application, sito_http::now());
        if application.assisted
            && let Some(first) = case.events.first_mut()
        {
            // Who entered it comes from the office's own audit log, never from the sealed payload: anyone holding
            // the office's public keys (the intake included) can seal a payload that claims to be assisted.
            first.actor = self.assisted_by(case_id).await?;
        }
        let created = match self.store.create_cases(std::slice::from_ref(&case)).await {
            Ok(()) => true,
            // Created by an earlier pull that crashed before recording it: the case id is the submission id.
            Err(StoreError::Duplicate) => {
                self.store.case_summary(case_id).await?;
                false
            }
            Err(other) => return Err(other.into()),
        };
        self.received
            .record_received(&ReceivedCase {
                submission_id: submission_id.to_owned(),
                case_id: case_id.to_string(),
                reply_record: reply_record.to_owned(),
                pushed_status: "received".into(),
            })
            .await?;
        Ok(created)
    }

    /// The coordinator the office's audit log names as having entered this case by assisted intake.
    async fn assisted_by(&self, case_id: CaseId) -> Result<Option<StaffId>, PullError> {
        let entries = self
            .store
            .search_audit(&AuditFilter {
                action_prefix: Some(ASSISTED_INTAKE_ACTION.to_owned()),
                subject: Some(case_id.to_string()),
                limit: 10,
                ..AuditFilter::default()
            })
            .await?;
        Ok(entries
            .iter()
            .filter(|stored| stored.entry.record.action == ASSISTED_INTAKE_ACTION)
            .find_map(|stored| stored.entry.record.actor.parse::<StaffId>().ok()))
    }

    async fn receive_message(&self, pulled: &PulledMessage) -> Result<bool, PullError> {
        let Some(record) = self.received.received_case(&pulled.submission_id).await? else {
            // The submission has not been received yet; it will be, and the message with a later pull.
            return Ok(false);
        };
        let sealed = BASE64
            .decode(&pulled.sealed)
            .map_err(|_| PullError::Malformed("sealed message".into()))?;
        let message = OfficeMessage {
            from_office: false,
            sealed,
            day: pulled.at.clone(),
        };
        self.received
            .add_office_message(&record.case_id, Some(pulled.id), &message)
            .await?;
        Ok(true)
    }

    /// Seals each changed status to its applicant and sends it to the intake.
    async fn push_statuses(&self) -> Result<usize, PullError> {
        let mut updates = Updates::default();
        let mut changed = Vec::new();
        for record in self.received.received_cases().await? {
            let Ok(uuid) = Uuid::parse_str(&record.case_id) else {
                continue;
            };
            let summary = match self.store.case_summary(CaseId::from_uuid(uuid)).await {
                Ok(summary) => summary,
                Err(StoreError::NotFound) => continue,
                Err(other) => return Err(other.into()),
            };
            let first = self
                .pipeline
                .first_stage(summary.category)
                .map(|stage| stage.id.as_str());
            let status = applicant_status(
                summary.status,
                summary.action_needed,
                first == Some(summary.stage.as_str()),
            );
            if status == record.pushed_status {
                continue;
            }
            let reply = ReplyRecipient::parse_record(&record.reply_record)?;
            let sealed = reply.seal(
                &serde_json::to_vec(&SealedStatus {
                    status: status.to_owned(),
                })
                .map_err(|e| PullError::Malformed(e.to_string()))?,
            )?;
            updates.updates.push(Update {
                submission_id: record.submission_id.clone(),
                status: Some(BASE64.encode(sealed.as_bytes())),
                reply: None,
            });
            changed.push((record.submission_id, status));
        }
        if updates.updates.is_empty() {
            return Ok(0);
        }
        let body = serde_json::to_vec(&updates).map_err(|e| PullError::Malformed(e.to_string()))?;
        self.client.post("/api/v1/office/updates", body).await?;
        for (submission_id, status) in &changed {
            self.received
                .mark_status_pushed(submission_id, status)
                .await?;
        }
        Ok(changed.len())
    }

    /// Assisted intake: seals an application staff entered to the office recipients, files it on the intake like
    /// any submission (the intake makes the codename and queues it for the pull), and creates the case at once by
    /// the same path as a pulled submission. A later pull finds the case made and only acknowledges it.
    pub(crate) async fn submit_assisted(
        &self,
        case_id: CaseId,
        application: &Application,
    ) -> Result<AssistedReceipt, PullError> {
        let plaintext = Zeroizing::new(
            serde_json::to_vec(application).map_err(|e| PullError::Malformed(e.to_string()))?,
        );
        let sealed = self
            .keyring
            .current_recipients()
            .seal(&plaintext)?
            .into_bytes();
        let body = serde_json::to_vec(&AssistedSubmission {
            id: case_id.to_string(),
            sealed: BASE64.encode(&sealed),
        })
        .map_err(|e| PullError::Malformed(e.to_string()))?;
        let answer = self.client.post("/api/v1/office/assisted", body).await?;
        // The answer holds the codename: a parse error must not quote it into a log.
        let receipt: AssistedReceipt = serde_json::from_slice(&answer)
            .map_err(|_| PullError::Malformed("the intake's receipt".into()))?;
        // Filed on the intake means the codename exists and must reach the coordinator: if the case can't be made
        // now, the next pull makes it from the queued copy by this same path.
        if let Err(error) = self
            .open_submission(&case_id.to_string(), &sealed, &receipt.reply_record)
            .await
        {
            tracing::warn!(%error, "assisted case left for the next pull");
        }
        Ok(receipt)
    }

    /// Opens a case's thread: the applicant's messages and the office's replies, oldest first. A message that
    /// does not open (a retired key) is left out rather than failing the thread.
    pub(crate) async fn thread(
        &self,
        case_id: CaseId,
    ) -> Result<Vec<(bool, ThreadMessage)>, PullError> {
        let sealed = self.received.office_messages(&case_id.to_string()).await?;
        Ok(sealed
            .iter()
            .filter_map(|message| {
                let opened = self.keyring.open(&message.sealed).ok()?;
                let text = serde_json::from_slice::<ThreadMessage>(opened.expose()).ok()?;
                Some((message.from_office, text))
            })
            .collect())
    }

    /// Whether a case came from the intake, so its applicant holds a codename and can be written to.
    pub(crate) async fn has_applicant(&self, case_id: CaseId) -> Result<bool, PullError> {
        Ok(self
            .received
            .received_case_for(&case_id.to_string())
            .await?
            .is_some())
    }

    /// Sends a reply from the office to the applicant of a case, sealed so only their codename opens it. The reply
    /// is first filed durably (the office's copy in the thread, the applicant's in the outbox), then pushed; if the
    /// intake can't be reached it stays queued and the next pull pushes it.
    pub async fn reply(&self, case_id: &str, text: &str) -> Result<Delivery, PullError> {
        let record = self
            .received
            .received_case_for(case_id)
            .await?
            .ok_or(PullError::Store(StoreError::NotFound))?;
        let message = ThreadMessage {
            from: "office".into(),
            at: sito_intake::today(),
            text: text.to_owned(),
        };
        let plaintext = Zeroizing::new(
            serde_json::to_vec(&message).map_err(|e| PullError::Malformed(e.to_string()))?,
        );
        let to_applicant = ReplyRecipient::parse_record(&record.reply_record)?.seal(&plaintext)?;
        let to_office = self.keyring.current_recipients().seal(&plaintext)?;
        let office_copy = OfficeMessage {
            from_office: true,
            sealed: to_office.into_bytes(),
            day: message.at,
        };
        self.received
            .queue_reply(
                case_id,
                &record.submission_id,
                &office_copy,
                to_applicant.as_bytes(),
            )
            .await?;
        match self.push_replies().await {
            Ok(_) => Ok(Delivery::Delivered),
            Err(error) => {
                tracing::warn!(%error, "reply queued; the next pull pushes it");
                Ok(Delivery::Queued)
            }
        }
    }

    /// Pushes every queued reply to the intake, oldest first, and forgets those the intake stored. A reply pushed
    /// twice (two pushers, or a crash before the outbox was cleared) is stored once by the intake.
    async fn push_replies(&self) -> Result<usize, PullError> {
        let mut pushed = 0;
        loop {
            let queued = self.received.queued_replies(PULL_BATCH).await?;
            if queued.is_empty() {
                return Ok(pushed);
            }
            let updates = Updates {
                updates: queued
                    .iter()
                    .map(|reply| Update {
                        submission_id: reply.submission_id.clone(),
                        status: None,
                        reply: Some(BASE64.encode(&reply.sealed)),
                    })
                    .collect(),
            };
            let body =
                serde_json::to_vec(&updates).map_err(|e| PullError::Malformed(e.to_string()))?;
            self.client.post("/api/v1/office/updates", body).await?;
            let ids: Vec<i64> = queued.iter().map(|reply| reply.id).collect();
            self.received.replies_delivered(&ids).await?;
            pushed += ids.len();
        }
    }

    /// Pulls every `interval` until the process ends. Failures are logged without detail about content.
    pub async fn run(self, interval: std::time::Duration) {
        loop {
            match self.pull_once().await {
                Ok(report) if report.cases_created + report.messages > 0 => {
                    tracing::info!(
                        cases = report.cases_created,
                        messages = report.messages,
                        "pulled from the intake"
                    );
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "pull from the intake failed; retrying"),
            }
            tokio::time::sleep(interval).await;
        }
    }
}

/// The applicant's view of a case: coarse on purpose, so a status page tells nothing about vetting. A completed
/// case (handed over to a unit) says only that: never which unit, nor anything found on the way.
pub fn applicant_status(status: Status, action_needed: bool, at_first_stage: bool) -> &'static str {
    match status {
        Status::Active if action_needed => "action_needed",
        Status::Active if at_first_stage => "received",
        Status::Active => "in_review",
        Status::Completed => "completed",
        Status::Rejected | Status::Withdrawn | Status::Held | Status::Referred => "closed",
    }
}

/// The case a submission becomes: the same first event and content groups as any other case.
pub fn new_case(pipeline: &Pipeline, id: CaseId, application: &Application, now: i64) -> NewCase {
    let category = application.category();
    let event =
        CaseState::receive(pipeline, category, &application.call_sign, now).unwrap_or_else(|| {
            sito_core::machine::Event {
                seq: 1,
                at: now,
                actor: None,
                kind: sito_core::EventKind::Received {
                    category,
                    call_sign: application.call_sign.clone(),
                    stage: "received".into(),
                },
            }
        });
    let events = vec![event];
    let state = CaseState::fold(id, &events);
    let owner_role = pipeline
        .stage(&state.stage)
        .map(|stage| stage.owner)
        .unwrap_or(Role::IntakeCoordinator);
    NewCase {
        events,
        state,
        owner_role,
        content: content(application, category),
    }
}

fn content(application: &Application, category: Category) -> BTreeMap<FieldGroup, GroupContent> {
    let mut identity = GroupContent::default();
    identity.push("full_name", application.full_name.clone());
    identity.push("birth_date", application.birth_date.clone());
    identity.push("birth_place", application.birth_place.clone());
    let mut contacts = GroupContent::default();
    for contact in &application.contacts {
        contacts.push(&contact.kind, contact.value.clone());
    }
    contacts.push("language", application.language.clone());
    let mut military = GroupContent::default();
    military.push(
        "served",
        if application.military.served {
            "yes"
        } else {
            "no"
        },
    );
    for (key, value) in [
        ("branch", &application.military.branch),
        ("unit", &application.military.unit),
        ("rank", &application.military.rank),
    ] {
        if !value.is_empty() {
            military.push(key, value.clone());
        }
    }
    let mut motivation = GroupContent::default();
    motivation.push("statement", application.statement.clone());
    for answer in &application.answers {
        motivation.push(&answer.question, answer.answer.clone());
    }
    let mut documents = GroupContent::default();
    let listed: Vec<String> = application
        .documents
        .iter()
        .map(|document| {
            let warning = if document.quarantined {
                " (quarantined: download only)"
            } else {
                ""
            };
            format!(
                "{} ({} KiB){warning}",
                document.media_type,
                document.bytes.len().div_ceil(1024)
            )
        })
        .collect();
    documents.push(
        "submitted",
        if listed.is_empty() {
            "none".to_owned()
        } else {
            listed.join(", ")
        },
    );
    // The files themselves are kept in the case (encrypted at rest with the case's data key like every group), so
    // nothing the applicant sent is lost. Format: `media type;quarantined|clean;base64`. The case page shows only
    // a summary of them, never the bytes.
    for (number, document) in application.documents.iter().enumerate() {
        use base64::Engine;
        let state = if document.quarantined {
            "quarantined"
        } else {
            "clean"
        };
        let encoded = base64::engine::general_purpose::STANDARD.encode(&document.bytes);
        documents.push(
            &format!("{DOCUMENT_FIELD_PREFIX}{}", number + 1),
            format!("{};{state};{encoded}", document.media_type),
        );
    }
    if application.assisted {
        documents.push("channel", "assisted intake (paper or phone)");
    }
    if category == Category::PrisonerOfWar {
        documents.push(
            "voluntary",
            "stated by the applicant; to be confirmed at the camp meeting",
        );
    }
    BTreeMap::from([
        (FieldGroup::Identity, identity),
        (FieldGroup::Contacts, contacts),
        (FieldGroup::MilitaryBackground, military),
        (FieldGroup::Motivation, motivation),
        (FieldGroup::Documents, documents),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_applicant_sees_only_coarse_statuses() {
        assert_eq!(applicant_status(Status::Active, false, true), "received");
        assert_eq!(applicant_status(Status::Active, false, false), "in_review");
        assert_eq!(
            applicant_status(Status::Active, true, false),
            "action_needed"
        );
        for closed in [
            Status::Rejected,
            Status::Held,
            Status::Referred,
            Status::Withdrawn,
        ] {
            assert_eq!(applicant_status(closed, false, false), "closed");
        }
        assert_eq!(
            applicant_status(Status::Completed, false, false),
            "completed"
        );
    }
}
