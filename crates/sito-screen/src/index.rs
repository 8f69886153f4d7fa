//! The watchlist index and the screening of one applicant against it.
//!
//! Candidates come from a weighted inverted index over name-word keys (the folded skeleton of every word and the
//! equivalence class of every given name), with Levenshtein-1 lookups done SymSpell-style on the key vocabulary
//! (deletions of the query against deletions of the vocabulary), a cap on very common keys, and keys combining a
//! name word with the year of birth so that a common given name still finds its entries when the surname is
//! badly misspelt. Every candidate is then scored in full (`score.rs`).

use std::collections::HashMap;

use rustc_hash::FxHashMap;

use crate::dates::{self, DobAgreement, PartialDate};
use crate::names::{NameToken, ParsedName, Repairs, Role, given_names, one_typo_spellings};
use crate::read::{ApplicantRecord, WatchlistRecord};
use crate::score::{DEFAULT_THRESHOLD, Explanation, NameComparison, PartMatch, compare_names};
use crate::translit::{fold_surname, other_readings, skeleton};

/// The watchlist as records.
#[derive(Clone, Debug, Default)]
pub struct Watchlist {
    records: Vec<WatchlistRecord>,
}

impl Watchlist {
    pub fn from_records(records: Vec<WatchlistRecord>) -> Self {
        Self { records }
    }

    pub fn records(&self) -> &[WatchlistRecord] {
        &self.records
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}

/// An applicant to screen, prepared once.
#[derive(Clone, Debug)]
pub struct Applicant {
    pub id: String,
    name: ParsedName,
    birth_date: Option<PartialDate>,
    place: Option<String>,
}

impl Applicant {
    pub fn new(
        id: impl Into<String>,
        name: &str,
        birth_date: Option<PartialDate>,
        birth_place: Option<&str>,
    ) -> Self {
        Self {
            id: id.into(),
            name: ParsedName::parse(name),
            birth_date,
            place: birth_place.and_then(place_key),
        }
    }

    pub fn from_record(record: &ApplicantRecord) -> Self {
        Self::new(
            record.id.clone(),
            &record.name,
            record.birth_date,
            record.birth_place.as_deref(),
        )
    }
}

/// One watchlist entry the applicant may be.
#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    pub watchlist_id: String,
    pub score: f64,
    pub explanation: Explanation,
}

struct Entry {
    names: Vec<ParsedName>,
    birth_dates: Vec<PartialDate>,
    place: Option<String>,
}

/// Postings longer than this are not followed for fuzzy (Levenshtein-1) lookups.
const FUZZY_POSTING_CAP: usize = 2_000;
/// The reach bit of an agreeing year of birth (words use the bits below it).
const YEAR_BIT: u8 = 1 << 7;
/// Keys shorter than this are looked up exactly only.
const FUZZY_MIN_KEY: usize = 4;
/// A word whose key holds more entries than this is taken as correctly spelt and is not repaired.
const REPAIR_POSTING_LIMIT: usize = 20;
/// Words shorter than this (in letters as written) are not repaired: too many short names lie one slip apart.
const REPAIR_MIN_LETTERS: usize = 4;

/// The searchable watchlist.
pub struct Index {
    ids: Vec<String>,
    entries: Vec<Entry>,
    /// Key → vocabulary id.
    vocabulary: FxHashMap<Box<str>, u32>,
    postings: Vec<Vec<u32>>,
    /// Deletion of a plain word key → vocabulary ids of the keys it comes from.
    deletions: FxHashMap<Box<str>, Vec<u32>>,
    /// Postings above this are too common to gather candidates from on their own.
    common_cap: usize,
}

fn word_key(folded: &str) -> String {
    folded.to_owned()
}

fn class_key(class: u32) -> String {
    format!("#{class}")
}

fn year_key(base: &str, year: u16) -> String {
    format!("{base}@{year}")
}

fn deletions_of(key: &str) -> Vec<String> {
    let bytes = key.as_bytes();
    let mut out: Vec<String> = Vec::with_capacity(bytes.len());
    for skip in 0..bytes.len() {
        let mut deleted = Vec::with_capacity(bytes.len() - 1);
        deleted.extend_from_slice(&bytes[..skip]);
        deleted.extend_from_slice(&bytes[skip + 1..]);
        let text = String::from_utf8_lossy(&deleted).into_owned();
        if !out.contains(&text) {
            out.push(text);
        }
    }
    out
}

/// Birth places compared loosely: skeletons of the words, "г." dropped, a few renamed cities mapped to today's names.
fn place_key(place: &str) -> Option<String> {
    let parsed = ParsedName::parse(place);
    let words: Vec<&str> = parsed
        .tokens
        .iter()
        .filter(|t| t.role != Role::Initial)
        .map(|t| &*t.skeleton)
        .filter(|w| !matches!(*w, "g" | "gorod" | "city" | "of"))
        .collect();
    if words.is_empty() {
        return None;
    }
    let joined = words.concat();
    const RENAMED: &[(&str, &str)] = &[
        ("leningrad", "sanktpeterburg"),
        ("saintpeterburg", "sanktpeterburg"),
        ("stpeterburg", "sanktpeterburg"),
        ("sverdlovsk", "ekaterinburg"),
        ("gorki", "niwniinovgorod"),
        ("kuibiwev", "samara"),
        ("kalinin", "tver"),
        ("solgograd", "volgograd"),
        ("stalingrad", "volgograd"),
        ("moskva", "moskov"),
        ("mosko", "moskov"),
        ("moscov", "moskov"),
    ];
    let joined = RENAMED
        .iter()
        .find(|(old, _)| joined == *old)
        .map_or(joined.clone(), |(_, new)| (*new).to_owned());
    Some(skeleton(&joined))
}

impl Index {
    /// Builds the index; names are parsed in parallel on the current rayon pool.
    pub fn build(watchlist: &Watchlist) -> Self {
        use rayon::prelude::*;
        let entries: Vec<Entry> = watchlist
            .records
            .par_iter()
            .map(|record| Entry {
                names: record.names.iter().map(|n| ParsedName::parse(n)).collect(),
                birth_dates: record.birth_dates.clone(),
                place: record.birth_place.as_deref().and_then(place_key),
            })
            .collect();
        let ids = watchlist.records.iter().map(|r| r.id.clone()).collect();
        let mut vocabulary: FxHashMap<Box<str>, u32> = FxHashMap::default();
        let mut postings: Vec<Vec<u32>> = Vec::new();
        let mut keys: Vec<String> = Vec::new();
        for (entry_id, entry) in entries.iter().enumerate() {
            keys.clear();
            collect_entry_keys(entry, &mut keys);
            for key in &keys {
                let id = match vocabulary.get(key.as_str()) {
                    Some(id) => *id,
                    None => {
                        let id = postings.len() as u32;
                        vocabulary.insert(key.clone().into_boxed_str(), id);
                        postings.push(Vec::new());
                        id
                    }
                };
                let list = &mut postings[id as usize];
                if list.last() != Some(&(entry_id as u32)) {
                    list.push(entry_id as u32);
                }
            }
        }
        let mut deletions: FxHashMap<Box<str>, Vec<u32>> = FxHashMap::default();
        for (key, id) in &vocabulary {
            if key.starts_with('#') || key.contains('@') || key.len() < FUZZY_MIN_KEY {
                continue;
            }
            for deleted in deletions_of(key) {
                deletions
                    .entry(deleted.into_boxed_str())
                    .or_default()
                    .push(*id);
            }
        }
        for list in deletions.values_mut() {
            list.sort_unstable();
        }
        let common_cap = (entries.len() / 40).max(5_000);
        Self {
            ids,
            entries,
            vocabulary,
            postings,
            deletions,
            common_cap,
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn posting(&self, key: &str) -> Option<&[u32]> {
        self.vocabulary
            .get(key)
            .map(|id| self.postings[*id as usize].as_slice())
    }

    /// Entries reached by at least two of the applicant's words (one when the name has a single word): a
    /// match needs both its surname and its given name to agree, so an entry reached through one word only
    /// is a namesake in part and is never scored.
    fn candidates(&self, applicant: &Applicant, name: &ParsedName) -> Vec<u32> {
        let mut reached: FxHashMap<u32, u8> = FxHashMap::default();
        let year = applicant.birth_date.map(|d| d.year);
        let words: Vec<_> = name.words().take(7).collect();
        // Words whose every key was too common to follow (a frequent given name of an applicant without a
        // date of birth) cannot be asked to reach the candidate.
        let mut too_common_words = 0u32;
        for (position, token) in words.iter().enumerate() {
            let bit = 1u8 << position;
            let (mut followed, mut skipped) = (false, false);
            let mut year_reached: Vec<u32> = Vec::new();
            let mut take = |list: &[u32], cap: usize| {
                if list.len() <= cap {
                    followed |= !list.is_empty();
                    for entry in list {
                        *reached.entry(*entry).or_insert(0) |= bit;
                    }
                } else {
                    skipped = true;
                }
            };
            let key = word_key(&token.folded);
            if let Some(list) = self.posting(&key) {
                take(list, self.common_cap);
            }
            let unfolded = word_key(&token.skeleton);
            let lookups: &[&str] = if unfolded == key {
                &[key.as_str()]
            } else {
                &[key.as_str(), unfolded.as_str()]
            };
            for alternative in token.alternatives.iter() {
                if let Some(list) = self.posting(alternative) {
                    take(list, self.common_cap);
                }
                if let Some(year) = year
                    && let Some(list) = self.posting(&year_key(alternative, year))
                {
                    take(list, self.common_cap);
                }
            }
            // A misspelt given name (Mykyga) still reaches its class (Никита) through the table's neighbours.
            let near: Vec<u32> = if token.classes.is_empty() {
                given_names().near_classes(&token.skeleton)
            } else {
                Vec::new()
            };
            let (repair_keys, repair_classes): (&[Box<str>], &[u32]) = token
                .repairs
                .as_ref()
                .map_or((&[], &[]), |r| (r.keys.as_slice(), r.classes.as_slice()));
            for repaired in repair_keys {
                if let Some(list) = self.posting(repaired) {
                    take(list, FUZZY_POSTING_CAP);
                }
                if let Some(year) = year
                    && let Some(list) = self.posting(&year_key(repaired, year))
                {
                    take(list, self.common_cap);
                    // As for a correctly spelt surname: the year is the second piece of evidence.
                    if list.len() <= self.common_cap && token.classes.is_empty() {
                        year_reached.extend_from_slice(list);
                    }
                }
            }
            for class in token
                .classes
                .iter()
                .chain(near.iter())
                .chain(repair_classes.iter())
            {
                if let Some(list) = self.posting(&class_key(*class)) {
                    take(list, self.common_cap);
                }
                if let Some(year) = year
                    && let Some(list) = self.posting(&year_key(&class_key(*class), year))
                {
                    take(list, self.common_cap);
                }
            }
            if let Some(year) = year
                && let Some(list) = self.posting(&year_key(&key, year))
            {
                take(list, self.common_cap);
                // The year of birth is a second piece of evidence beside this word: an entry sharing the
                // surname and the year is scored even when the given name is misspelt beyond the lookups.
                if list.len() <= self.common_cap && token.classes.is_empty() {
                    year_reached.extend_from_slice(list);
                }
            }
            let mut neighbour_ids: Vec<u32> = Vec::new();
            for lookup in lookups.iter().filter(|k| k.len() >= FUZZY_MIN_KEY) {
                if let Some(id) = self.vocabulary.get(*lookup) {
                    neighbour_ids.push(*id);
                }
                if let Some(ids) = self.deletions.get(*lookup) {
                    neighbour_ids.extend_from_slice(ids);
                }
                for deleted in deletions_of(lookup) {
                    if let Some(id) = self.vocabulary.get(deleted.as_str()) {
                        neighbour_ids.push(*id);
                    }
                    if let Some(ids) = self.deletions.get(deleted.as_str()) {
                        neighbour_ids.extend_from_slice(ids);
                    }
                }
            }
            if !neighbour_ids.is_empty() {
                neighbour_ids.sort_unstable();
                neighbour_ids.dedup();
                for id in neighbour_ids {
                    take(&self.postings[id as usize], FUZZY_POSTING_CAP);
                }
            }
            for entry in year_reached {
                *reached.entry(entry).or_insert(0) |= YEAR_BIT;
            }
            if skipped && !followed {
                too_common_words += 1;
            }
        }
        let needed = if words.len() >= 2 {
            2u32.saturating_sub(too_common_words).max(1)
        } else {
            1
        };
        let mut out: Vec<u32> = reached
            .into_iter()
            .filter(|(_, mask)| mask.count_ones() >= needed)
            .map(|(entry, _)| entry)
            .collect();
        out.sort_unstable();
        out
    }

    /// Every watchlist entry scoring at least `threshold`, best first (ties by watchlist id).
    pub fn screen_with_threshold(&self, applicant: &Applicant, threshold: f64) -> Vec<Hit> {
        let mut hits = Vec::new();
        let name_with_repairs = self.with_repairs(&applicant.name);
        for entry_id in self.candidates(applicant, &name_with_repairs) {
            let entry = &self.entries[entry_id as usize];
            let dob = dates::best(applicant.birth_date, &entry.birth_dates);
            if dob == DobAgreement::Conflict {
                // A conflicting date costs more than any name can give back: the pair cannot reach a threshold.
                continue;
            }
            let place_agrees =
                matches!((&applicant.place, &entry.place), (Some(a), Some(b)) if a == b);
            let mut best: Option<Explanation> = None;
            let mut given_contradicted = false;
            let mut best_patronymic = PartMatch::Absent;
            for (name_index, name) in entry.names.iter().enumerate() {
                let Some(NameComparison {
                    surname,
                    given,
                    patronymic,
                    sex_conflict,
                    extra_word,
                }) = compare_names(&name_with_repairs, name)
                else {
                    continue;
                };
                if matches!(given, PartMatch::Different(_)) && surname.surname_value() >= 0.5 {
                    given_contradicted = true;
                }
                if patronymic != PartMatch::Absent
                    && (best_patronymic == PartMatch::Absent
                        || patronymic.patronymic_value() > best_patronymic.patronymic_value())
                {
                    best_patronymic = patronymic;
                }
                let explanation = Explanation {
                    surname,
                    given,
                    patronymic,
                    dob,
                    sex_conflict,
                    extra_word,
                    place_agrees,
                    name_index,
                };
                if best
                    .as_ref()
                    .is_none_or(|b| explanation.score() > b.score())
                {
                    best = Some(explanation);
                }
            }
            // The person has one patronymic: whichever of their names shows it, it counts.
            if let Some(explanation) = best.as_mut()
                && explanation.patronymic == PartMatch::Absent
            {
                explanation.patronymic = best_patronymic;
            }
            // An alias with only initials ("Bogdanov A.") must not outweigh the full name it abbreviates.
            if given_contradicted
                && let Some(explanation) = best.as_mut()
                && explanation.given == PartMatch::Initial
            {
                explanation.given = PartMatch::Different(0.0);
            }
            if let Some(explanation) = best {
                let score = explanation.score();
                if score >= threshold {
                    hits.push(Hit {
                        watchlist_id: self.ids[entry_id as usize].clone(),
                        score,
                        explanation,
                    });
                }
            }
        }
        hits.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| a.watchlist_id.cmp(&b.watchlist_id))
        });
        hits
    }

    /// The applicant's name with each unknown word's one-typo repairs: spellings the index or the table knows.
    fn with_repairs(&self, name: &ParsedName) -> ParsedName {
        let mut name = name.clone();
        for token in name.tokens.iter_mut().filter(|t| t.role == Role::Word) {
            let repairs = self.repairs_of(token);
            if !repairs.is_empty() {
                token.repairs = Some(Box::new(repairs));
            }
        }
        name
    }

    fn repairs_of(&self, token: &NameToken) -> Repairs {
        let mut repairs = Repairs::default();
        let common = |key: &str| {
            self.posting(key)
                .is_some_and(|l| l.len() > REPAIR_POSTING_LIMIT)
        };
        if token.text.chars().count() < REPAIR_MIN_LETTERS
            || !token.classes.is_empty()
            || common(&token.folded)
            || token.alternatives.iter().any(|alt| common(alt))
        {
            return repairs;
        }
        let table = given_names();
        let mut readings: Vec<String> = Vec::new();
        for spelling in one_typo_spellings(&token.text) {
            readings.clear();
            readings.push(skeleton(&spelling));
            // The repaired spelling may be in a system whose letters read otherwise (Mcihina → Michina, French
            // ch = ш); only letters with several readings make alternatives worth computing.
            if spelling.contains(['c', 'j', 'x', 'z']) {
                readings.extend(other_readings(&spelling));
            }
            for repaired in &readings {
                if repaired.len() < 3 || *repaired == *token.skeleton {
                    continue;
                }
                for class in table.classes_of(repaired) {
                    if !repairs.classes.contains(class) {
                        repairs.classes.push(*class);
                    }
                }
                let folded = fold_surname(repaired);
                if folded != *token.folded
                    && self.vocabulary.contains_key(folded.as_str())
                    && !repairs.keys.iter().any(|k| **k == *folded)
                {
                    repairs.keys.push(folded.into_boxed_str());
                }
            }
        }
        repairs.keys.sort_unstable();
        repairs.written_is_known = self.vocabulary.contains_key(&*token.folded);
        repairs
    }

    /// Screening at the recommended operating point.
    pub fn screen(&self, applicant: &Applicant) -> Vec<Hit> {
        self.screen_with_threshold(applicant, DEFAULT_THRESHOLD)
    }
}

fn collect_entry_keys(entry: &Entry, keys: &mut Vec<String>) {
    let years: Vec<u16> = {
        let mut years: Vec<u16> = entry.birth_dates.iter().map(|d| d.year).collect();
        years.sort_unstable();
        years.dedup();
        years
    };
    for name in &entry.names {
        for token in name.words() {
            let key = word_key(&token.folded);
            for year in &years {
                keys.push(year_key(&key, *year));
            }
            keys.push(key);
            // The unfolded skeleton too: a typing error in a gendered ending (Zakiorva) defeats the folding, and
            // its one-edit neighbour is then only found among unfolded forms.
            if *token.skeleton != *token.folded {
                keys.push(word_key(&token.skeleton));
            }
            for class in token.classes.iter() {
                let key = class_key(*class);
                for year in &years {
                    keys.push(year_key(&key, *year));
                }
                keys.push(key);
            }
        }
    }
    keys.sort_unstable();
    keys.dedup();
}

/// Statistics for the summary line and the benchmark.
pub fn key_statistics(index: &Index) -> HashMap<&'static str, usize> {
    let mut stats = HashMap::new();
    stats.insert("entries", index.entries.len());
    stats.insert("keys", index.vocabulary.len());
    stats.insert("postings", index.postings.iter().map(Vec::len).sum());
    stats.insert("deletion_keys", index.deletions.len());
    stats
}
