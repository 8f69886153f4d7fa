//! Office-side screening: every active case is screened against the imported watchlists, and again after every
//! import. Each hit opens a screening flag on the case through the state machine, so the decision guard
//! (`no_open_flags`) holds the case until a security officer confirms or dismisses the flag with a reason. A hit
//! never rejects anyone by itself (DESIGN.md section 5).
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sito_core::machine::{Actor, CaseState, Command, Refusal};
use sito_core::{CaseId, FieldGroup, Pipeline, Role, StaffId};
use sito_screen::{Applicant, Index, PartialDate, Watchlist, WatchlistRecord};
use sito_store::screening::ScreeningStore;
use sito_store::{Append, Store, StoreError};
use tokio::sync::Mutex;

/// The actor screening acts as: no person, the security officer's role (flags are security business).
pub const SCREENING_ACTOR: Actor = Actor {
    id: StaffId::from_uuid(uuid::Uuid::nil()),
    role: Role::SecurityOfficer,
};

#[derive(Debug, thiserror::Error)]
pub enum ScreeningError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("a stored watchlist entry is unreadable: {0}")]
    Entry(String),
    #[error("the index build was interrupted")]
    Interrupted,
}

/// A watchlist entry as the office stores it (the engine's record, with dates as text).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredEntry {
    pub id: String,
    pub names: Vec<String>,
    pub birth_dates: Vec<String>,
    pub birth_place: Option<String>,
    pub country: Option<String>,
}

impl StoredEntry {
    pub fn from_record(record: &WatchlistRecord) -> Self {
        Self {
            id: record.id.clone(),
            names: record.names.clone(),
            birth_dates: record.birth_dates.iter().map(ToString::to_string).collect(),
            birth_place: record.birth_place.clone(),
            country: record.country.clone(),
        }
    }

    /// The engine's record, its id prefixed by the list so hits name where they come from (`list/id`).
    fn into_record(self, list: &str) -> Result<WatchlistRecord, ScreeningError> {
        let birth_dates = self
            .birth_dates
            .iter()
            .filter_map(|text| PartialDate::parse(text).transpose())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| ScreeningError::Entry(error.to_string()))?;
        Ok(WatchlistRecord {
            id: format!("{list}/{}", self.id),
            names: self.names,
            birth_dates,
            birth_place: self.birth_place,
            country: self.country,
        })
    }
}

/// What one round of screening did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Round {
    pub screened: usize,
    pub flags_opened: usize,
}

/// Keeps the watchlist index of the current generation and screens cases against it.
pub struct Screener {
    store: Arc<dyn ScreeningStore>,
    index: Mutex<Option<(i64, Arc<Index>)>>,
}

impl Screener {
    pub fn new(store: Arc<dyn ScreeningStore>) -> Self {
        Self {
            store,
            index: Mutex::new(None),
        }
    }

    async fn index_at(&self, generation: i64) -> Result<Arc<Index>, ScreeningError> {
        let mut cached = self.index.lock().await;
        if let Some((built_at, index)) = cached.as_ref()
            && *built_at == generation
        {
            return Ok(Arc::clone(index));
        }
        let entries = self.store.watchlist_entries().await?;
        let records = entries
            .into_iter()
            .map(|(list, json)| {
                serde_json::from_str::<StoredEntry>(&json)
                    .map_err(|error| ScreeningError::Entry(error.to_string()))
                    .and_then(|entry| entry.into_record(&list))
            })
            .collect::<Result<Vec<_>, _>>()?;
        // Building the index is CPU work: keep it off the async workers.
        let index =
            tokio::task::spawn_blocking(move || Index::build(&Watchlist::from_records(records)))
                .await
                .map_err(|_| ScreeningError::Interrupted)?;
        let index = Arc::new(index);
        *cached = Some((generation, Arc::clone(&index)));
        Ok(index)
    }

    /// Screens up to `limit` cases that have not been screened against the current watchlists.
    pub async fn screen_pending(
        &self,
        cases: &dyn Store,
        pipeline: &Pipeline,
        now: i64,
        limit: u32,
    ) -> Result<Round, ScreeningError> {
        let generation = self.store.generation().await?;
        let pending = self.store.cases_to_screen(generation, limit).await?;
        let mut round = Round::default();
        if pending.is_empty() {
            return Ok(round);
        }
        let index = self.index_at(generation).await?;
        for case in pending {
            let raised = self.screen_case(cases, pipeline, &index, case, now).await?;
            round.screened += 1;
            round.flags_opened += raised.len();
            self.store.mark_screened(case, generation, &raised).await?;
        }
        Ok(round)
    }

    async fn screen_case(
        &self,
        cases: &dyn Store,
        pipeline: &Pipeline,
        index: &Index,
        case: CaseId,
        now: i64,
    ) -> Result<Vec<String>, ScreeningError> {
        let content = cases.case_content(case).await?;
        let Some(identity) = content.get(&FieldGroup::Identity) else {
            return Ok(Vec::new());
        };
        let field = |key: &str| {
            identity
                .fields
                .iter()
                .find(|field| field.key == key)
                .map(|field| field.value.expose().as_str())
        };
        let Some(name) = field("full_name").filter(|name| !name.trim().is_empty()) else {
            return Ok(Vec::new());
        };
        let birth_date =
            field("birth_date").and_then(|text| PartialDate::parse(text).ok().flatten());
        let applicant = Applicant::new(case.to_string(), name, birth_date, field("birth_place"));
        let already: std::collections::BTreeSet<String> =
            self.store.raised_flags(case).await?.into_iter().collect();
        let mut raised = Vec::new();
        for hit in index.screen(&applicant) {
            if already.contains(&hit.watchlist_id) {
                continue;
            }
            // The summary explains the match by features; it names no one from the list.
            let summary = format!("score {:.2}: {}", hit.score, hit.explanation.render());
            let command = Command::OpenFlag {
                flag: hit.watchlist_id.clone(),
                summary,
            };
            if open_flag(cases, pipeline, case, &command, now).await? {
                raised.push(hit.watchlist_id);
            }
        }
        Ok(raised)
    }
}

/// Opens one flag, retrying when staff changed the case meanwhile. `false` when the machine refused (e.g. the
/// case was closed in between, or the flag is already open).
async fn open_flag(
    cases: &dyn Store,
    pipeline: &Pipeline,
    case: CaseId,
    command: &Command,
    now: i64,
) -> Result<bool, StoreError> {
    for _ in 0..5 {
        let state = CaseState::fold(case, &cases.case_events(case).await?);
        let kinds = match state.decide(pipeline, SCREENING_ACTOR, command) {
            Ok(kinds) => kinds,
            Err(Refusal::FlagAlreadyOpen(_) | Refusal::NotActive(_)) => return Ok(false),
            Err(_) => return Ok(false),
        };
        let events = state.stamp(kinds, Some(SCREENING_ACTOR.id), now);
        let mut next = state.clone();
        events.iter().for_each(|event| next.apply(event));
        let owner_role = pipeline
            .stage(&next.stage)
            .map(|stage| stage.owner)
            .unwrap_or(Role::SecurityOfficer);
        let append = Append {
            case,
            expected_version: state.version,
            events: &events,
            state: &next,
            owner_role,
            unit_limit: None,
        };
        match cases.append(&[append]).await {
            Ok(()) => return Ok(true),
            Err(StoreError::Conflict) => continue,
            Err(other) => return Err(other),
        }
    }
    Ok(false)
}

/// Screens in the background every few seconds for as long as the office runs. Errors are logged without case
/// data and the loop goes on.
pub async fn run_forever(screener: Arc<Screener>, cases: Arc<dyn Store>, pipeline: Arc<Pipeline>) {
    loop {
        match screener
            .screen_pending(cases.as_ref(), &pipeline, crate::now(), 200)
            .await
        {
            Ok(round) if round.screened == 200 => continue,
            Ok(_) => {}
            Err(error) => tracing::error!(error = %error, "screening round failed"),
        }
        tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    }
}
