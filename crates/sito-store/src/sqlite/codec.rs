//! What both backends share about rows: content groups as stored, parsing ids and roles, the audit entries of
//! case events, blind indexes of exact identifiers, and the column lists.
use std::collections::BTreeMap;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sito_core::machine::Event;
use sito_core::{CaseId, FieldGroup, GroupContent, Role};
use sito_crypto::IdentifierKind;
use sito_keyring::OfficeKeyring;

use crate::audit::AuditInput;
use crate::{Result, StoreError};

/// Content as stored: a list of key/value pairs per group. (Encryption at rest wraps this blob; see issue 4.)
#[derive(Serialize, Deserialize)]
struct StoredGroup(Vec<(String, String)>);

pub(crate) fn encode_group(group: &GroupContent) -> Result<Vec<u8>> {
    let stored = StoredGroup(
        group
            .fields
            .iter()
            .map(|field| (field.key.clone(), field.value.expose().clone()))
            .collect(),
    );
    serde_json::to_vec(&stored).map_err(|error| StoreError::Corrupt(error.to_string()))
}

pub(crate) fn decode_group(bytes: &[u8]) -> Result<GroupContent> {
    let StoredGroup(pairs) = serde_json::from_slice(bytes)
        .map_err(|error| StoreError::Corrupt(format!("case content: {error}")))?;
    let mut group = GroupContent::default();
    for (key, value) in pairs {
        group.push(&key, value);
    }
    Ok(group)
}

pub(crate) fn parse<T: FromStr>(what: &str, text: &str) -> Result<T> {
    text.parse()
        .map_err(|_| StoreError::Corrupt(format!("{what} `{text}`")))
}

pub(crate) fn parse_role(text: &str) -> Result<Role> {
    Role::parse(text).ok_or_else(|| StoreError::Corrupt(format!("role `{text}`")))
}

/// Marks a TOTP secret sealed to the office keyring (age, base64) in the staff table.
pub(crate) const SEALED_SECRET_PREFIX: &str = "sealed:";

/// The audit entries of case events: one per event, the actor being the staff member (or "intake" for
/// applications that arrived without one). The detail names the event, never its free text.
pub(crate) fn event_audits(case: CaseId, events: &[Event]) -> Vec<AuditInput> {
    events
        .iter()
        .map(|event| AuditInput {
            at_ms: event.at.saturating_mul(1000),
            actor: event
                .actor
                .map(|actor| actor.to_string())
                .unwrap_or_else(|| "intake".to_owned()),
            action: format!("case.{}", event.kind.name()),
            subject: case.to_string(),
            detail: format!("seq {}", event.seq),
        })
        .collect()
}

pub(crate) use crate::crypto;

/// The exact-match identifiers in a case's content, as keyed blind indexes. Which field is which comes from its
/// key (phone, e-mail, document number) or, for messenger contacts, from the value's shape (a number or a handle).
pub(crate) fn blind_indexes(
    keyring: &OfficeKeyring,
    content: &BTreeMap<FieldGroup, GroupContent>,
) -> Vec<(IdentifierKind, String)> {
    let mut indexes = Vec::new();
    for (group, fields) in content {
        for field in &fields.fields {
            let key = field.key.to_lowercase();
            let value = field.value.expose();
            let kind = if key.contains("mail") {
                Some(IdentifierKind::Email)
            } else if key.contains("phone") {
                Some(IdentifierKind::Phone)
            } else if key.contains("document_number") || key.contains("passport_number") {
                Some(IdentifierKind::DocumentNumber)
            } else if *group == FieldGroup::Contacts {
                let looks_like_number = value
                    .chars()
                    .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '(' | ')'))
                    .all(|c| c.is_ascii_digit() || c == '+');
                Some(if looks_like_number {
                    IdentifierKind::Phone
                } else {
                    IdentifierKind::MessengerHandle
                })
            } else {
                None
            };
            // A value that does not normalise (too short, malformed) cannot link anything: skip it.
            if let Some(kind) = kind
                && let Ok(index) = keyring.blind_index_key().index(kind, value)
            {
                indexes.push((kind, index.as_str().to_owned()));
            }
        }
    }
    indexes
}

pub(crate) const STAFF_COLUMNS: &str = "id, call_sign, role, password_hash, disabled, totp_secret, totp_pending, \
                             totp_last_step, failed_logins, locked_until";

pub(crate) const SUMMARY_COLUMNS: &str = "id, category, call_sign, stage, owner_role, status, version, received_at, \
                               stage_entered_at, unit_id, action_needed, open_flags";
