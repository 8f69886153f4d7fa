//! Office-side screening: every active case is screened against the imported watchlists, and again after every
//! import. Each hit opens a screening flag on the case through the state machine, so the decision guard
//! (`no_open_flags`) holds the case until a security officer confirms or dismisses the flag with a reason. A hit
//! never rejects anyone by itself (DESIGN.md section 5).
//!
//! Link analysis runs beside it (`Linker`): applications sharing exact-match keys (phone, e-mail, handle, document
//! number, address, referrer) form groups; a group whose members share two or more kinds of key opens a
//! `links/<group>` flag on each active member, resolved through the same flow and held by the same guard.
use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sito_core::machine::{Actor, CaseState, Command, Refusal};
use sito_core::{CaseId, FieldGroup, GroupContent, Pipeline, Role, StaffId};
use sito_crypto::{BlindIndexKey, IdentifierKind};
use sito_screen::links::{self, ApplicationKeys, KeyKind, LinkConfig};
use sito_screen::{Applicant, Index, PartialDate, Watchlist, WatchlistRecord};
use sito_store::links::{GroupLink, LinkGroup, LinkSignal, LinkStore};
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

// ---- Link analysis ----

/// The prefix of every flag link analysis opens (`links/<group id>`): one kind of flag, "possible coordinated
/// infiltration", resolved by the security officer like a watchlist hit.
pub const LINK_FLAG_PREFIX: &str = "links/";

/// The exact-match keys of one application, normalised by the engine's normalisers (phones to E.164). Which field
/// is which comes from its key (`email`, `phone`, `document_number`, `address`, `referrer`, ...); a contact under
/// a messenger's name (`signal`, `telegram`) is read by its shape: a mailbox, a number or a handle.
pub fn link_keys(content: &BTreeMap<FieldGroup, GroupContent>) -> Vec<(KeyKind, String)> {
    let mut keys = Vec::new();
    for (group, fields) in content {
        for field in &fields.fields {
            let key = field.key.to_lowercase();
            let value = field.value.expose();
            if key.starts_with(crate::pull::DOCUMENT_FIELD_PREFIX) {
                continue;
            }
            let found = if key.contains("mail") {
                links::normalize_email(value).map(|email| (KeyKind::Email, email))
            } else if key.contains("referr") || key.contains("recommended_by") {
                links::normalize_referrer(value, "RU").map(|referrer| (KeyKind::Referrer, referrer))
            } else if key.contains("phone") {
                phone(value).map(|phone| (KeyKind::Phone, phone))
            } else if key.contains("document_number") || key.contains("passport_number") {
                links::normalize_document(value).map(|number| (KeyKind::Document, number))
            } else if key.contains("address") {
                links::normalize_address(value).map(|address| (KeyKind::Address, address))
            } else if *group == FieldGroup::Contacts && key != "language" {
                contact(value)
            } else {
                None
            };
            if let Some(found) = found
                && !keys.contains(&found)
            {
                keys.push(found);
            }
        }
    }
    keys
}

/// A phone as E.164: a number without a country code is read as Russian first (most applicants), then Ukrainian.
fn phone(raw: &str) -> Option<String> {
    links::normalize_phone(raw, "RU").or_else(|| links::normalize_phone(raw, "UA"))
}

fn contact(value: &str) -> Option<(KeyKind, String)> {
    let trimmed = value.trim();
    if trimmed.contains('@') && !trimmed.starts_with('@') {
        return links::normalize_email(trimmed).map(|email| (KeyKind::Email, email));
    }
    let looks_like_number = trimmed
        .chars()
        .all(|c| c.is_ascii_digit() || c.is_whitespace() || "+-()".contains(c));
    if looks_like_number {
        phone(trimmed).map(|phone| (KeyKind::Phone, phone))
    } else {
        links::normalize_handle(trimmed).map(|handle| (KeyKind::Handle, handle))
    }
}

fn identifier_kind(kind: KeyKind) -> IdentifierKind {
    match kind {
        KeyKind::Phone => IdentifierKind::Phone,
        KeyKind::Email => IdentifierKind::Email,
        KeyKind::Handle => IdentifierKind::MessengerHandle,
        KeyKind::Document => IdentifierKind::DocumentNumber,
        KeyKind::Address => IdentifierKind::Address,
        KeyKind::Referrer => IdentifierKind::Referrer,
    }
}

/// A group's id: the same members give the same id, so re-running the analysis raises no new flag, and a group
/// that gains or loses a member is a new group (new evidence for the officer).
fn group_id(members: &[CaseId]) -> String {
    let mut sorted: Vec<String> = members.iter().map(ToString::to_string).collect();
    sorted.sort_unstable();
    let digest = Sha256::digest(sorted.join(",").as_bytes());
    digest[..6]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// What one round of linking did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct LinkRound {
    /// Applications whose keys were read this round.
    pub keyed: usize,
    /// Whether the groups were computed (and stored) again.
    pub analysed: bool,
    /// Applications the analysis covered.
    pub applications: usize,
    pub groups: usize,
    pub flagged_groups: usize,
    pub flags_opened: usize,
    /// Time spent analysing, storing the groups and opening flags (not reading keys).
    pub analysis_ms: u64,
}

/// What the linker holds in memory: each application's blind-indexed keys, never the identifiers.
#[derive(Default)]
struct Keyring {
    /// The arrival position (store's) of the last application read.
    after: i64,
    cases: Vec<CaseId>,
    /// Shared with the analysis while it runs on a blocking thread, so a failed analysis loses nothing.
    keys: Arc<Vec<ApplicationKeys>>,
    shredded: Option<u64>,
    /// Keys changed since the stored analysis (true at start: nothing is known to be stored yet).
    stale: bool,
}

/// Links applications by shared exact-match keys and flags possible coordinated groups.
///
/// Keys are blind indexes (HMAC) under a secret the caller gives; the linker keeps them in memory only and stores
/// nothing but the resulting groups (case ids and key kinds). A restarted office reads the applications again.
pub struct Linker {
    store: Arc<dyn LinkStore>,
    secret: BlindIndexKey,
    config: LinkConfig,
    memory: Mutex<Keyring>,
}

impl Linker {
    pub fn new(store: Arc<dyn LinkStore>, secret: BlindIndexKey, config: LinkConfig) -> Self {
        Self {
            store,
            secret,
            config,
            memory: Mutex::new(Keyring {
                stale: true,
                ..Keyring::default()
            }),
        }
    }

    /// Reads the keys of up to `limit` applications not read yet and, once every application is read and anything
    /// changed, computes the groups again, stores them and opens a flag on each active member of a flagged group.
    pub async fn link_pending(
        &self,
        cases: &dyn Store,
        pipeline: &Pipeline,
        now: i64,
        limit: u32,
    ) -> Result<LinkRound, ScreeningError> {
        let mut memory = self.memory.lock().await;
        let mut round = LinkRound::default();
        let shredded = self.store.shredded_count().await?;
        if memory.shredded.is_some_and(|known| known != shredded) {
            // Crypto-shredded applications are forgotten here too: their keys must not keep linking anyone.
            let gone: std::collections::HashSet<CaseId> =
                self.store.shredded_cases().await?.into_iter().collect();
            let Keyring { cases, keys, .. } = &mut *memory;
            for (case, keys) in cases.iter().zip(Arc::make_mut(keys).iter_mut()) {
                if gone.contains(case) {
                    keys.keys.clear();
                }
            }
            memory.stale = true;
        }
        memory.shredded = Some(shredded);
        let arrived = self.store.cases_after(memory.after, limit).await?;
        for (position, case) in &arrived {
            let content = match cases.case_content(*case).await {
                Ok(content) => content,
                // Shredded meanwhile: nothing to link by.
                Err(StoreError::NotFound) => BTreeMap::new(),
                Err(other) => return Err(other.into()),
            };
            let keys = link_keys(&content)
                .into_iter()
                .filter_map(|(kind, value)| {
                    self.secret
                        .index(identifier_kind(kind), &value)
                        .ok()
                        .map(|index| (kind, index.as_str().to_owned()))
                })
                .collect();
            memory.cases.push(*case);
            Arc::make_mut(&mut memory.keys).push(ApplicationKeys { keys });
            memory.after = *position;
            round.keyed += 1;
            memory.stale = true;
        }
        // Still catching up: analyse once, when every application is read.
        if !memory.stale || arrived.len() as u64 >= u64::from(limit) {
            return Ok(round);
        }
        let analysis_started = std::time::Instant::now();
        let applications = Arc::clone(&memory.keys);
        let config = self.config;
        let report = tokio::task::spawn_blocking(move || links::analyse(&applications, config))
            .await
            .map_err(|_| ScreeningError::Interrupted)?;
        let groups: Vec<LinkGroup> = report
            .groups
            .iter()
            .map(|group| {
                let members: Vec<CaseId> = group
                    .members
                    .iter()
                    .filter_map(|index| memory.cases.get(*index).copied())
                    .collect();
                let position = |index: usize| group.members.iter().position(|m| *m == index);
                LinkGroup {
                    id: group_id(&members),
                    flagged: group.flagged,
                    links: group
                        .links
                        .iter()
                        .filter_map(|link| {
                            Some(GroupLink {
                                a: position(link.a)?,
                                b: position(link.b)?,
                                kinds: link.kinds.iter().map(|k| k.label().to_owned()).collect(),
                            })
                        })
                        .collect(),
                    members,
                }
            })
            .collect();
        // Signals by kind and count only: the value is a blind index, meaningless to a reader anyway.
        let signals: Vec<LinkSignal> = report
            .common_keys
            .iter()
            .map(|common| LinkSignal {
                kind: common.kind.label().to_owned(),
                holders: common.holders as u64,
            })
            .collect();
        let applications = memory.cases.len() as u64;
        self.store
            .replace_analysis(&groups, &signals, applications, now)
            .await?;
        // Only once stored: a failed write is retried by the next round.
        memory.stale = false;
        drop(memory);
        round.analysed = true;
        round.applications = applications as usize;
        round.groups = groups.len();
        for group in groups.iter().filter(|group| group.flagged) {
            round.flagged_groups += 1;
            round.flags_opened += self.flag_group(cases, pipeline, group, now).await?;
        }
        round.analysis_ms = analysis_started.elapsed().as_millis() as u64;
        Ok(round)
    }

    /// Opens the group's flag on each member that has not had it, unless the member already has an open link flag
    /// (one lead at a time; the cluster page always shows the current group).
    async fn flag_group(
        &self,
        cases: &dyn Store,
        pipeline: &Pipeline,
        group: &LinkGroup,
        now: i64,
    ) -> Result<usize, ScreeningError> {
        let flag = format!("{LINK_FLAG_PREFIX}{}", group.id);
        let kinds = group.kinds().join(", ");
        // The summary names kinds and a count, never a value or another applicant.
        let summary = format!(
            "possible coordinated group of {} applications sharing: {kinds}",
            group.members.len()
        );
        let mut opened = 0;
        for member in &group.members {
            if self.store.raised_flags(*member).await?.contains(&flag) {
                continue;
            }
            let state = CaseState::fold(*member, &cases.case_events(*member).await?);
            if state
                .open_flags
                .iter()
                .any(|open| open.starts_with(LINK_FLAG_PREFIX))
            {
                continue;
            }
            let command = Command::OpenFlag {
                flag: flag.clone(),
                summary: summary.clone(),
            };
            if open_flag(cases, pipeline, *member, &command, now).await? {
                self.store.record_raised_flag(*member, &flag).await?;
                opened += 1;
            }
        }
        Ok(opened)
    }
}

/// Links in the background every few seconds for as long as the office runs. Errors are logged without case data
/// and the loop goes on.
pub async fn link_forever(linker: Arc<Linker>, cases: Arc<dyn Store>, pipeline: Arc<Pipeline>) {
    const BATCH: u32 = 500;
    // Reading keys of a backlog (every application after a restart) spans rounds: timed from its first round.
    let mut reading: Option<(std::time::Instant, usize)> = None;
    loop {
        let started = std::time::Instant::now();
        match linker
            .link_pending(cases.as_ref(), &pipeline, crate::now(), BATCH)
            .await
        {
            Ok(round) => {
                if round.keyed > 0 {
                    let (_, keyed) = reading.get_or_insert((started, 0));
                    *keyed += round.keyed;
                }
                if round.analysed {
                    let (since, keyed) = reading.take().unwrap_or((started, 0));
                    // Counts and timings only: no case, key or kind of anyone.
                    tracing::info!(
                        keyed,
                        applications = round.applications,
                        groups = round.groups,
                        flagged_groups = round.flagged_groups,
                        flags_opened = round.flags_opened,
                        total_ms = since.elapsed().as_millis() as u64,
                        analysis_ms = round.analysis_ms,
                        "link analysis done"
                    );
                }
                if round.keyed as u64 >= u64::from(BATCH) {
                    continue;
                }
            }
            Err(error) => tracing::error!(error = %error, "link analysis round failed"),
        }
        tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    }
}
