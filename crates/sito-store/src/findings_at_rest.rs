//! Findings of checks at rest, one behaviour on every backend: the values a `FindingsRecorded` event carries are
//! sealed under the case key into `case_findings`, the event's payload keeps only the check and its group, and
//! reading the events puts the values back. Only the SQL differs per backend; it sits behind `SealedCaseData`.
use std::collections::BTreeMap;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use sito_core::findings::Findings;
use sito_core::machine::{Event, EventKind};
use sito_core::{CaseId, FieldGroup, Sensitive};
use sito_crypto::CaseKey;
use sito_keyring::OfficeKeyring;

use crate::crypto;
use crate::records::RecordedFindings;
use crate::{Append, Result, Store, StoreError};

/// One row of `case_findings` as read, before it is opened.
#[derive(sqlx::FromRow)]
pub(crate) struct SealedRow {
    seq: i64,
    field_group: String,
    data: Vec<u8>,
}

/// What a backend provides for its sealed case data: the office keyring it holds, a case's wrapped key, and the
/// case's rows of `case_findings`. Unwrapping the key is the same everywhere.
#[async_trait]
pub(crate) trait SealedCaseData: Store {
    fn keyring(&self) -> Option<&OfficeKeyring>;
    async fn wrapped_case_key(&self, id: CaseId) -> Result<Option<Vec<u8>>>;
    async fn sealed_findings(&self, id: CaseId) -> Result<Vec<SealedRow>>;

    /// The case's data key, unwrapped with the newest identity first.
    async fn case_key(&self, id: CaseId) -> Result<CaseKey> {
        let keyring = self.keyring().ok_or_else(|| {
            StoreError::Corrupt(
                "case content is encrypted; open the store with the office keyring".into(),
            )
        })?;
        let wrapped = self
            .wrapped_case_key(id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let identities: Vec<&sito_crypto::Identity> =
            keyring.identities().map(|entry| &entry.identity).collect();
        CaseKey::unwrap(&wrapped, identities.into_iter().rev()).map_err(crypto)
    }
}

/// The `SealedCaseData` of a store, and `insert_sealed_findings` for its transactions: the statements read the
/// same on SQLite and PostgreSQL, and both stores keep their `pool` and `keyring` fields under these names, so one
/// text serves both.
macro_rules! sealed_case_data {
    ($store:ty, $database:ty) => {
        /// Writes an event's sealed findings (see `findings_at_rest::for_storage`) in the event's transaction.
        async fn insert_sealed_findings(
            tx: &mut sqlx::Transaction<'static, $database>,
            case: sito_core::CaseId,
            seq: u64,
            (group, sealed): (sito_core::FieldGroup, Vec<u8>),
        ) -> $crate::Result<()> {
            sqlx::query(
                "INSERT INTO case_findings (case_id, seq, field_group, data) VALUES ($1, $2, $3, $4)",
            )
            .bind(case.to_string())
            .bind(seq as i64)
            .bind(group.as_str())
            .bind(sealed)
            .execute(&mut **tx)
            .await?;
            Ok(())
        }

        #[async_trait::async_trait]
        impl $crate::findings_at_rest::SealedCaseData for $store {
            fn keyring(&self) -> Option<&sito_keyring::OfficeKeyring> {
                self.keyring.as_deref()
            }

            async fn wrapped_case_key(
                &self,
                id: sito_core::CaseId,
            ) -> $crate::Result<Option<Vec<u8>>> {
                Ok(
                    sqlx::query_scalar("SELECT wrapped FROM case_keys WHERE case_id = $1")
                        .bind(id.to_string())
                        .fetch_optional(&self.pool)
                        .await?,
                )
            }

            async fn sealed_findings(
                &self,
                id: sito_core::CaseId,
            ) -> $crate::Result<Vec<$crate::findings_at_rest::SealedRow>> {
                Ok(sqlx::query_as(
                    "SELECT seq, field_group, data FROM case_findings WHERE case_id = $1 ORDER BY seq",
                )
                .bind(id.to_string())
                .fetch_all(&self.pool)
                .await?)
            }
        }
    };
}
pub(crate) use sealed_case_data;

/// An event as the backend writes it: its payload for `case_events`, and its findings sealed for `case_findings`
/// (with their field group) when it carries any.
pub(crate) struct StoredEvent {
    pub payload: String,
    pub sealed_findings: Option<(FieldGroup, Vec<u8>)>,
}

/// Findings are refused without a case key: they are never stored in the clear.
pub(crate) fn for_storage(
    case: CaseId,
    event: &Event,
    key: Option<&CaseKey>,
) -> Result<StoredEvent> {
    let mut kind = event.kind.clone();
    let mut sealed = None;
    if let EventKind::FindingsRecorded {
        group, findings, ..
    } = &mut kind
        && !findings.is_empty()
    {
        let key = key.ok_or(StoreError::EncryptionRequired)?;
        sealed = Some((*group, seal(key, case, event.seq, *group, findings)?));
        findings.clear();
    }
    let payload =
        serde_json::to_string(&kind).map_err(|error| StoreError::Corrupt(error.to_string()))?;
    Ok(StoredEvent {
        payload,
        sealed_findings: sealed,
    })
}

/// The case keys an append batch needs to seal its findings, unwrapped before the write transaction takes a
/// connection. A store without the keyring refuses the whole batch.
pub(crate) async fn keys_for<S: SealedCaseData + ?Sized>(
    store: &S,
    batch: &[Append<'_>],
) -> Result<BTreeMap<CaseId, CaseKey>> {
    let mut keys = BTreeMap::new();
    for append in batch {
        let carries_findings = append.events.iter().any(|event| {
            matches!(&event.kind, EventKind::FindingsRecorded { findings, .. } if !findings.is_empty())
        });
        if carries_findings && !keys.contains_key(&append.case) {
            if store.keyring().is_none() {
                return Err(StoreError::EncryptionRequired);
            }
            keys.insert(append.case, store.case_key(append.case).await?);
        }
    }
    Ok(keys)
}

/// Puts the sealed findings back into their events. Without the keyring they stay empty: the fold needs only
/// which check was recorded, and the values are not readable without the key.
pub(crate) async fn fill<S: SealedCaseData + ?Sized>(
    store: &S,
    id: CaseId,
    events: &mut [Event],
) -> Result<()> {
    let recorded = events
        .iter()
        .any(|event| matches!(event.kind, EventKind::FindingsRecorded { .. }));
    if !recorded || store.keyring().is_none() {
        return Ok(());
    }
    let rows = store.sealed_findings(id).await?;
    if rows.is_empty() {
        return Ok(());
    }
    let key = store.case_key(id).await?;
    for row in rows {
        let seq = row.seq.max(0) as u64;
        let stored_group = FieldGroup::parse(&row.field_group)
            .ok_or_else(|| StoreError::Corrupt(format!("field group `{}`", row.field_group)))?;
        let Some(event) = events.iter_mut().find(|event| event.seq == seq) else {
            return Err(StoreError::Corrupt(format!(
                "findings of a missing event {seq}"
            )));
        };
        match &mut event.kind {
            EventKind::FindingsRecorded {
                group, findings, ..
            } if *group == stored_group => {
                *findings = open(&key, id, seq, stored_group, &row.data)?;
            }
            _ => {
                return Err(StoreError::Corrupt(format!(
                    "findings stored for event {seq}, which records none"
                )));
            }
        }
    }
    Ok(())
}

/// The findings recorded on a case, in event order, decrypted: only a store with the keyring reads them.
pub(crate) async fn recorded<S: SealedCaseData + ?Sized>(
    store: &S,
    id: CaseId,
) -> Result<Vec<RecordedFindings>> {
    if store.keyring().is_none() {
        return Err(StoreError::EncryptionRequired);
    }
    let events = store.case_events(id).await?;
    Ok(events
        .into_iter()
        .filter_map(|event| match event.kind {
            EventKind::FindingsRecorded {
                check,
                group,
                findings,
            } => Some(RecordedFindings {
                seq: event.seq,
                at: event.at,
                actor: event.actor,
                check,
                group,
                findings,
            }),
            _ => None,
        })
        .collect())
}

/// Findings as sealed: the event's sequence number is inside the ciphertext, so a sealed blob moved to another
/// event of the case is detected on reading.
#[derive(Serialize, Deserialize)]
struct SealedFindings {
    seq: u64,
    findings: Findings,
}

fn seal(
    key: &CaseKey,
    case: CaseId,
    seq: u64,
    group: FieldGroup,
    findings: &Findings,
) -> Result<Vec<u8>> {
    // Wiped on drop: the plaintext lives only as long as the encryption takes.
    let plain = Sensitive::new(
        serde_json::to_vec(&SealedFindings {
            seq,
            findings: findings.clone(),
        })
        .map_err(|error| StoreError::Corrupt(error.to_string()))?,
    );
    Ok(key
        .encrypt_field(case, group, plain.expose())
        .map_err(crypto)?
        .into_bytes())
}

fn open(key: &CaseKey, case: CaseId, seq: u64, group: FieldGroup, data: &[u8]) -> Result<Findings> {
    let plain = key.decrypt_field(case, group, data).map_err(crypto)?;
    let sealed: SealedFindings = serde_json::from_slice(plain.expose())
        .map_err(|error| StoreError::Corrupt(format!("findings: {error}")))?;
    if sealed.seq != seq {
        return Err(StoreError::Corrupt(format!(
            "findings sealed for event {} found at event {seq}",
            sealed.seq
        )));
    }
    Ok(sealed.findings)
}
