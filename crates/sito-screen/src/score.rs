//! Scoring one applicant name against one watchlist name, with an explanation of every feature used.
//!
//! Features and weights (see `docs/screening.md` for how the threshold was chosen):
//! name = 0.50·surname + 0.40·given + 0.10·patronymic (0.8 when either side has none), then
//! date of birth: exact +0.10, partial +0.04, slip +0.02, unknown 0, conflict −0.50;
//! sex conflict −0.50; patronymic conflict −0.30; birth place agreeing +0.02.

use std::fmt::Write as _;

use crate::dates::DobAgreement;
use crate::names::{ClassId, NameToken, ParsedName, given_names, patronymic_sex};
use crate::translit::{Sex, surname_sex};

/// The engine's recommended operating point.
pub const DEFAULT_THRESHOLD: f64 = 0.80;

/// Substitutions the transliteration systems leave behind after the skeleton (German ch, French j, ё as o …)
/// cost half an edit.
fn substitution_cost(a: u8, b: u8) -> f32 {
    if a == b {
        return 0.0;
    }
    let (a, b) = if a < b { (a, b) } else { (b, a) };
    match (a, b) {
        (b'g', b'x')
        | (b'w', b'x')
        | (b'i', b'w')
        | (b'c', b's')
        | (b'e', b'o')
        | (b'e', b'i')
        | (b'c', b'x') => 0.5,
        _ => 1.0,
    }
}

/// Weighted optimal-string-alignment distance (insert, delete, substitute, swap neighbours).
pub fn weighted_distance(a: &[u8], b: &[u8]) -> f32 {
    let (n, m) = (a.len(), b.len());
    if n == 0 || m == 0 {
        return n.max(m) as f32;
    }
    let width = m + 1;
    // Names are short: the three rows live on the stack unless a word is unusually long.
    let mut stack = [0f32; 3 * 33];
    let mut heap = Vec::new();
    let rows: &mut [f32] = if 3 * width <= stack.len() {
        &mut stack[..3 * width]
    } else {
        heap.resize(3 * width, 0f32);
        &mut heap
    };
    for (j, cell) in rows[width..2 * width].iter_mut().enumerate() {
        *cell = j as f32;
    }
    // rows: [two back | previous | current], rotated by copying to keep the code free of index tricks.
    for i in 1..=n {
        let (older, rest) = rows.split_at_mut(width);
        let (previous, current) = rest.split_at_mut(width);
        current[0] = i as f32;
        for j in 1..=m {
            let substitution = previous[j - 1] + substitution_cost(a[i - 1], b[j - 1]);
            let mut best = substitution
                .min(previous[j] + 1.0)
                .min(current[j - 1] + 1.0);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                // Swapped neighbours are the commonest typing slip and rarely tell two real names apart.
                best = best.min(older[j - 2] + 0.5);
            }
            current[j] = best;
        }
        older.copy_from_slice(previous);
        previous.copy_from_slice(current);
    }
    rows[width + m]
}

/// Similarity in [0, 1]: one minus the weighted distance over the longer length.
pub fn similarity(a: &str, b: &str) -> f32 {
    if a == b {
        return 1.0;
    }
    let longest = a.len().max(b.len());
    if longest == 0 {
        return 1.0;
    }
    (1.0 - weighted_distance(a.as_bytes(), b.as_bytes()) / longest as f32).max(0.0)
}

/// How a name part agreed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PartMatch {
    /// The same skeleton.
    Exact,
    /// Same after folding gender endings or through the equivalence table (Сергей = Serhii).
    Equivalent,
    /// A typing error undone: the applicant's word is unknown to the watchlist (or the table) and one dropped,
    /// doubled, swapped or mistyped letter from a spelling that reads as this one.
    Typo,
    /// One edit of the skeleton between words of four letters or more that are both known: as often another
    /// real name (Aliev / Faleev, Amir / Damir) as a typing error.
    Near,
    /// Close spelling (a transliteration the rules did not fold, or more than one slip): the similarity.
    Close(f32),
    /// Only an initial agreed.
    Initial,
    /// Both present and different.
    Different(f32),
    /// One side has no such part.
    Absent,
}

impl PartMatch {
    /// Evidence a surname part gives, in [0, 1]. Below 0.85 similarity falls fast: two typing errors in a
    /// short surname are as far as a different surname.
    pub fn surname_value(self) -> f32 {
        match self {
            Self::Exact | Self::Equivalent => 1.0,
            // A near surname behind another person is told apart by the date of birth (a conflict costs 0.5),
            // so one typing error keeps most of the surname's weight.
            Self::Typo | Self::Near => 0.85,
            // Beyond one typing error similarity falls fast: 0.83 is worth about half an exact surname.
            Self::Close(s) => (1.0 - 2.5 * (1.0 - s)).max(0.0),
            Self::Initial => 0.5,
            Self::Absent => 0.3,
            Self::Different(_) => 0.0,
        }
    }

    /// Evidence a given-name part gives, in [0, 1].
    pub fn given_value(self) -> f32 {
        match self {
            Self::Exact | Self::Equivalent => 1.0,
            Self::Typo | Self::Near => 0.85,
            // A one-letter difference between given names is as often another name (Amir / Damir) as a typing
            // error: on its own it cannot carry a pair, a date of birth has to agree too.
            Self::Close(s) => (1.0 - 2.0 * (1.0 - s)).max(0.4),
            Self::Initial => 0.75,
            Self::Absent => 0.3,
            Self::Different(_) => 0.0,
        }
    }

    /// Evidence a patronymic gives; its absence on either side is neutral.
    pub fn patronymic_value(self) -> f32 {
        match self {
            Self::Exact | Self::Equivalent => 1.0,
            Self::Typo | Self::Near => 0.9,
            Self::Close(s) => s,
            Self::Initial => 0.9,
            Self::Absent => 0.75,
            Self::Different(_) => 0.0,
        }
    }

    fn write(self, out: &mut String, name: &str) {
        let _ = match self {
            Self::Exact => write!(out, "{name}=exact"),
            Self::Equivalent => write!(out, "{name}=equiv"),
            Self::Typo => write!(out, "{name}=typo"),
            Self::Near => write!(out, "{name}=near"),
            Self::Close(s) => write!(out, "{name}=close({s:.2})"),
            Self::Initial => write!(out, "{name}=initial"),
            Self::Different(s) => write!(out, "{name}=different({s:.2})"),
            Self::Absent => write!(out, "{name}=absent"),
        };
    }
}

/// The features of one scored pair.
#[derive(Clone, Debug, PartialEq)]
pub struct Explanation {
    pub surname: PartMatch,
    pub given: PartMatch,
    pub patronymic: PartMatch,
    pub dob: DobAgreement,
    pub sex_conflict: bool,
    pub extra_word: bool,
    pub place_agrees: bool,
    /// Which watchlist name (0 = main name, then aliases) matched best.
    pub name_index: usize,
}

impl Explanation {
    /// `surname=equiv; given=exact; patronymic=absent; dob=exact`: no commas, no quotes.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(80);
        self.surname.write(&mut out, "surname");
        out.push_str("; ");
        self.given.write(&mut out, "given");
        out.push_str("; ");
        self.patronymic.write(&mut out, "patronymic");
        let _ = write!(out, "; dob={}", self.dob.label());
        if self.sex_conflict {
            out.push_str("; sex=conflict");
        }
        if self.extra_word {
            out.push_str("; extra=word");
        }
        if self.place_agrees {
            out.push_str("; place=same");
        }
        if self.name_index > 0 {
            let _ = write!(out, "; via=alias{}", self.name_index);
        }
        out
    }

    pub fn score(&self) -> f64 {
        let name = 0.5 * self.surname.surname_value()
            + 0.4 * self.given.given_value()
            + 0.1 * self.patronymic.patronymic_value();
        let mut score = f64::from(name);
        score += match self.dob {
            DobAgreement::Exact => 0.10,
            DobAgreement::Partial => 0.03,
            DobAgreement::Slip => 0.02,
            DobAgreement::Unknown => -0.05,
            DobAgreement::Conflict => -0.50,
        };
        if self.sex_conflict {
            score -= 0.5;
        }
        if matches!(self.patronymic, PartMatch::Different(s) if s < 0.75) {
            score -= 0.3;
        }
        if self.extra_word {
            score -= 0.15;
        }
        // A given name one letter off (Amir / Damir) with only the year agreeing is a namesake as often as not:
        // only a full date (exact or a slip) carries it.
        let full_date = matches!(self.dob, DobAgreement::Exact | DobAgreement::Slip);
        if matches!(self.given, PartMatch::Close(s) if s < 0.85) && !full_date {
            score -= 0.07;
        }
        // A misspelt given name outside the table may be another real name one letter away: a little less
        // when no full date backs it.
        let slipped = |part: PartMatch| matches!(part, PartMatch::Typo | PartMatch::Near);
        if slipped(self.given) && !full_date {
            score -= 0.03;
        }
        // One letter is what tells many real surnames and given names apart (Aliev / Faleev, Amir / Damir):
        // a near word between two known names is believed only when a date of birth backs it, and a year alone
        // backs it less. An undone typing error (the applicant's word exists nowhere else) is stronger evidence.
        // An agreeing patronymic is the third piece of evidence that can stand in for the date.
        let typos = u8::from(slipped(self.surname)) + u8::from(slipped(self.given));
        let near = self.surname == PartMatch::Near || self.given == PartMatch::Near;
        let patronymic_agrees = matches!(self.patronymic, PartMatch::Exact | PartMatch::Equivalent);
        if typos > 0 {
            score -= match self.dob {
                DobAgreement::Unknown if near => 0.10,
                DobAgreement::Unknown if patronymic_agrees => 0.0,
                DobAgreement::Unknown if typos == 2 => 0.10,
                DobAgreement::Unknown => 0.03,
                // A known surname one letter from the listed one and only the year agreeing: most often
                // another family (Aliev / Faleev born the same year).
                DobAgreement::Partial if self.surname == PartMatch::Near && !patronymic_agrees => {
                    0.15
                }
                DobAgreement::Partial if typos == 2 && !patronymic_agrees => 0.10,
                DobAgreement::Partial => 0.03,
                _ => 0.0,
            };
        }
        if self.place_agrees {
            score += 0.02;
        }
        (score.clamp(0.0, 1.0) * 10_000.0).round() / 10_000.0
    }
}

fn classes_intersect(a: &[ClassId], b: &[ClassId]) -> bool {
    a.iter().any(|c| b.contains(c))
}

fn repair_classes(token: &NameToken) -> &[ClassId] {
    token.repairs.as_ref().map_or(&[], |r| r.classes.as_slice())
}

/// How one typing error in the written word of either side leads to the other.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Repaired {
    No,
    /// The only known word one slip away.
    Uniquely,
    /// One of several known words one slip away (Grelov: Grekov or Gorelov).
    Ambiguously,
}

fn repaired_to(a: &NameToken, b: &NameToken, as_given: bool) -> Repaired {
    let reaches = |from: &NameToken, to: &NameToken| {
        let Some(r) = from.repairs.as_ref() else {
            return Repaired::No;
        };
        let (found, choices) = if as_given {
            (classes_intersect(&r.classes, &to.classes), r.classes.len())
        } else {
            let found = r
                .keys
                .iter()
                .any(|k| **k == *to.folded || to.alternatives.iter().any(|alt| alt == k));
            (found, r.keys.len() + usize::from(r.written_is_known))
        };
        match (found, choices) {
            (false, _) => Repaired::No,
            (true, 1) => Repaired::Uniquely,
            (true, _) => Repaired::Ambiguously,
        }
    };
    match reaches(a, b) {
        Repaired::No => reaches(b, a),
        found => found,
    }
}

fn repaired_match(repaired: Repaired) -> Option<PartMatch> {
    match repaired {
        Repaired::No => None,
        Repaired::Uniquely => Some(PartMatch::Typo),
        Repaired::Ambiguously => Some(PartMatch::Near),
    }
}

/// One edit of the skeleton (weighted distance at most 1) between words of four letters or more, under any
/// reading of either side.
fn one_skeleton_edit(a: &NameToken, b: &NameToken) -> bool {
    if a.skeleton.len().min(b.skeleton.len()) < 4 {
        return false;
    }
    let within = |x: &str, y: &str| weighted_distance(x.as_bytes(), y.as_bytes()) <= 1.0;
    within(&a.skeleton, &b.skeleton)
        || within(&a.folded, &b.folded)
        || a.alternatives.iter().any(|alt| within(alt, &b.folded))
        || b.alternatives.iter().any(|alt| within(&a.folded, alt))
}

/// Similarity of two words compared as given names.
fn given_match(a: &NameToken, b: &NameToken) -> PartMatch {
    if a.skeleton == b.skeleton {
        return PartMatch::Exact;
    }
    if classes_intersect(&a.classes, &b.classes) {
        return PartMatch::Equivalent;
    }
    if (a.classes.is_empty() || b.classes.is_empty())
        && let Some(found) = repaired_match(repaired_to(a, b, true))
    {
        return found;
    }
    let table = given_names();
    let plain = similarity(&a.skeleton, &b.skeleton);
    if !a.classes.is_empty() && !b.classes.is_empty() {
        // Two different names of the table (Виктор / Виктория, Владислав / Вячеслав).
        return PartMatch::Different(plain.min(0.5));
    }
    let (known, other) = if a.classes.is_empty() { (b, a) } else { (a, b) };
    let mut best = plain;
    for class in known.classes.iter() {
        for form in table.forms(*class) {
            best = best.max(similarity(form, &other.skeleton));
        }
    }
    // One typing error (an edit of weight at most 1) in a given name of three letters or more is Close,
    // however short the name: the score then asks the date of birth to agree.
    let one_edit = other.skeleton.len() >= 3
        && std::iter::once(&*known.skeleton)
            .chain(
                known
                    .classes
                    .iter()
                    .flat_map(|c| table.forms(*c).iter().map(String::as_str)),
            )
            .any(|form| weighted_distance(form.as_bytes(), other.skeleton.as_bytes()) <= 1.0);
    if one_edit && other.skeleton.len() >= 4 {
        PartMatch::Near
    } else if best >= 0.8 || one_edit {
        PartMatch::Close(best)
    } else {
        PartMatch::Different(best)
    }
}

/// Similarity of two folded words, trying the other reading of a Latin `x` on either side.
fn folded_similarity(a: &NameToken, b: &NameToken) -> f32 {
    let mut best = similarity(&a.folded, &b.folded);
    for alternative in a.alternatives.iter() {
        best = best.max(similarity(alternative, &b.folded));
    }
    for alternative in b.alternatives.iter() {
        best = best.max(similarity(&a.folded, alternative));
    }
    best
}

/// Similarity of two words compared as surnames.
fn surname_match(a: &NameToken, b: &NameToken) -> PartMatch {
    if a.skeleton == b.skeleton {
        return PartMatch::Exact;
    }
    let best = folded_similarity(a, b).max(similarity(&a.skeleton, &b.skeleton));
    if best >= 1.0 {
        return PartMatch::Equivalent;
    }
    if let Some(found) = repaired_match(repaired_to(a, b, false)) {
        return found;
    }
    if one_skeleton_edit(a, b) {
        return PartMatch::Near;
    }
    if best >= 0.7 {
        PartMatch::Close(best)
    } else {
        PartMatch::Different(best)
    }
}

fn patronymic_match(a: Option<&NameToken>, b: Option<&NameToken>) -> PartMatch {
    let (Some(a), Some(b)) = (a, b) else {
        return PartMatch::Absent;
    };
    if a.skeleton == b.skeleton {
        return PartMatch::Exact;
    }
    if classes_intersect(&a.classes, &b.classes) {
        return PartMatch::Equivalent;
    }
    if one_skeleton_edit(a, b) {
        return PartMatch::Near;
    }
    let s = similarity(&a.skeleton, &b.skeleton);
    if s >= 0.75 {
        PartMatch::Close(s)
    } else {
        PartMatch::Different(s)
    }
}

/// Value of a word pair for the assignment: the better of its readings as given names and as surnames.
fn pair_value(a: &NameToken, b: &NameToken) -> f32 {
    if a.skeleton == b.skeleton || a.folded == b.folded || classes_intersect(&a.classes, &b.classes)
    {
        return 1.0;
    }
    if !a.classes.is_empty() && !b.classes.is_empty() {
        return 0.3;
    }
    if repaired_to(a, b, true) != Repaired::No || repaired_to(a, b, false) != Repaired::No {
        return 0.9;
    }
    folded_similarity(a, b).max(similarity(&a.skeleton, &b.skeleton))
}

fn first_letter(token: &NameToken) -> Option<u8> {
    token.skeleton.as_bytes().first().copied()
}

/// The sex a name shows, by weighted vote of its patronymic (2), given name (1.5) and surname ending (1): a
/// typing error in one ending (Pakhomov for Pakhomova) is outvoted, a feminine surname and patronymic outvote a
/// given name read as masculine.
fn sex_vote(
    given: Option<&NameToken>,
    surname: Option<&NameToken>,
    patronymic: Option<&NameToken>,
) -> Option<Sex> {
    let table = given_names();
    let mut female = 0.0f32;
    let mut male = 0.0f32;
    let mut vote = |sex: Option<Sex>, weight: f32| match sex {
        Some(Sex::Female) => female += weight,
        Some(Sex::Male) => male += weight,
        None => {}
    };
    if let Some(given) = given {
        // A misspelt given name votes by the classes its repairs reach, when they agree.
        let classes = if given.classes.is_empty() {
            repair_classes(given)
        } else {
            &given.classes
        };
        let sexes: Vec<Sex> = classes.iter().filter_map(|c| table.sex(*c)).collect();
        if let Some(first) = sexes.first()
            && sexes.iter().all(|s| s == first)
        {
            vote(Some(*first), 1.5);
        }
    }
    vote(patronymic.and_then(|t| patronymic_sex(&t.skeleton)), 2.0);
    vote(surname.and_then(|t| surname_sex(&t.skeleton)), 1.0);
    if female > male {
        Some(Sex::Female)
    } else if male > female {
        Some(Sex::Male)
    } else {
        None
    }
}

fn sexes_differ(a: Option<Sex>, b: Option<Sex>) -> bool {
    matches!((a, b), (Some(x), Some(y)) if x != y)
}

/// Two given names outside the table that are one name's masculine and feminine forms (Antonin / Antonina,
/// Yevgeniy / Yevgeniya, Yan / Yana): the same stem, one of them with the feminine `-a` / `-ia`.
fn gendered_pair(a: &NameToken, b: &NameToken) -> bool {
    if !a.classes.is_empty() && !b.classes.is_empty() {
        return false;
    }
    let stem = |word: &str| -> Option<String> {
        let feminine = word.strip_suffix("ia").or_else(|| word.strip_suffix('a'))?;
        Some(feminine.to_owned())
    };
    let masculine = |word: &str| -> String {
        word.strip_suffix("ii")
            .or_else(|| word.strip_suffix('i'))
            .unwrap_or(word)
            .to_owned()
    };
    let (x, y) = (&*a.skeleton, &*b.skeleton);
    let pair = |feminine: &str, other: &str| {
        !other.ends_with('a')
            && stem(feminine).is_some_and(|s| s.len() >= 2 && (s == masculine(other) || s == other))
    };
    pair(x, y) || pair(y, x)
}

/// Best reading of two names against each other: which words pair up and in which roles.
pub fn compare_names(applicant: &ParsedName, listed: &ParsedName) -> Option<NameComparison> {
    let a_words: Vec<&NameToken> = applicant.words().take(5).collect();
    let b_words: Vec<&NameToken> = listed.words().take(5).collect();
    if a_words.is_empty() || b_words.is_empty() {
        return None;
    }
    // Exhaustive assignment of applicant words to listed words (at most 5 each, usually 2 or 3).
    let mut best_total = -1f32;
    let mut best_pairs: Vec<(usize, usize)> = Vec::new();
    let mut current: Vec<(usize, usize)> = Vec::new();
    let mut used = vec![false; b_words.len()];
    let values: Vec<Vec<f32>> = a_words
        .iter()
        .map(|a| b_words.iter().map(|b| pair_value(a, b)).collect())
        .collect();
    fn search(
        i: usize,
        values: &[Vec<f32>],
        used: &mut [bool],
        current: &mut Vec<(usize, usize)>,
        total: f32,
        best_total: &mut f32,
        best_pairs: &mut Vec<(usize, usize)>,
    ) {
        if i == values.len() {
            if total > *best_total {
                *best_total = total;
                best_pairs.clone_from(current);
            }
            return;
        }
        for j in 0..used.len() {
            if !used[j] {
                used[j] = true;
                current.push((i, j));
                search(
                    i + 1,
                    values,
                    used,
                    current,
                    total + values[i][j],
                    best_total,
                    best_pairs,
                );
                current.pop();
                used[j] = false;
            }
        }
        // Leaving this applicant word unpaired costs it; only worth it when it pairs with nothing.
        search(
            i + 1,
            values,
            used,
            current,
            total - 0.2,
            best_total,
            best_pairs,
        );
    }
    search(
        0,
        &values,
        &mut used,
        &mut current,
        0.0,
        &mut best_total,
        &mut best_pairs,
    );

    // The given-name pair: the one whose words are in the table; a surname hint counts against.
    let givenness = |(i, j): (usize, usize)| -> i32 {
        let (a, b) = (a_words[i], b_words[j]);
        let surname_like = |t: &NameToken| {
            i32::from(t.surname_hint)
                + i32::from(surname_sex(&t.skeleton).is_some())
                + i32::from(t.hyphen_group.is_some())
        };
        3 * i32::from(!a.classes.is_empty()) + 3 * i32::from(!b.classes.is_empty())
            - surname_like(a)
            - surname_like(b)
    };
    let given_pair = if best_pairs.len() >= 2 {
        best_pairs
            .iter()
            .copied()
            .max_by_key(|p| (givenness(*p), std::cmp::Reverse(p.0)))
    } else {
        best_pairs.first().copied().filter(|p| givenness(*p) > 0)
    };
    let surname_pairs: Vec<(usize, usize)> = best_pairs
        .iter()
        .copied()
        .filter(|p| Some(*p) != given_pair)
        .collect();

    let mut given = given_pair.map_or(PartMatch::Absent, |(i, j)| {
        given_match(a_words[i], b_words[j])
    });
    let mut surname = PartMatch::Absent;
    for (i, j) in &surname_pairs {
        let candidate = surname_match(a_words[*i], b_words[*j]);
        if surname == PartMatch::Absent || candidate.surname_value() > surname.surname_value() {
            surname = candidate;
        }
    }
    // Unpaired applicant words that are not part of a double surname count as a weak disagreement.
    let unpaired_applicant = (0..a_words.len())
        .filter(|i| !best_pairs.iter().any(|(pi, _)| pi == i))
        .filter(|i| a_words[*i].hyphen_group.is_none())
        .count();

    let a_patronymic = applicant.patronymic();
    let b_patronymic = listed.patronymic();
    let mut patronymic = patronymic_match(a_patronymic, b_patronymic);

    // Initials stand in for a missing given name or patronymic.
    let a_initials: Vec<u8> = applicant.initials().filter_map(first_letter).collect();
    let b_initials: Vec<u8> = listed.initials().filter_map(first_letter).collect();
    if given == PartMatch::Absent {
        let unpaired_b: Vec<&NameToken> = (0..b_words.len())
            .filter(|j| !best_pairs.iter().any(|(_, pj)| pj == j))
            .map(|j| b_words[j])
            .collect();
        let unpaired_a: Vec<&NameToken> = (0..a_words.len())
            .filter(|i| !best_pairs.iter().any(|(pi, _)| pi == i))
            .map(|i| a_words[i])
            .collect();
        let initial_agrees = |initials: &[u8], words: &[&NameToken]| {
            initials
                .first()
                .is_some_and(|letter| words.iter().any(|w| first_letter(w) == Some(*letter)))
        };
        if initial_agrees(&a_initials, &unpaired_b) || initial_agrees(&b_initials, &unpaired_a) {
            given = PartMatch::Initial;
        }
    }
    let a_left = (0..a_words.len()).any(|i| !best_pairs.iter().any(|(pi, _)| *pi == i));
    let b_left = (0..b_words.len()).any(|j| !best_pairs.iter().any(|(_, pj)| *pj == j));
    if given == PartMatch::Absent
        && (a_left || !a_initials.is_empty())
        && (b_left || !b_initials.is_empty())
    {
        // Both sides name someone's given name (a word or an initial) and nothing agreed.
        given = PartMatch::Different(0.0);
    }
    if surname == PartMatch::Absent && a_left && b_left {
        surname = PartMatch::Different(0.0);
    }
    if patronymic == PartMatch::Absent {
        let initial_vs_patronymic = |initials: &[u8], patronymic: Option<&NameToken>| {
            initials.len() >= 2 && patronymic.and_then(first_letter) == initials.get(1).copied()
        };
        let initial_against_patronymic = |initials: &[u8], patronymic: Option<&NameToken>| {
            initials.len() >= 2
                && patronymic.is_some()
                && !initial_vs_patronymic(initials, patronymic)
        };
        if initial_vs_patronymic(&a_initials, b_patronymic)
            || initial_vs_patronymic(&b_initials, a_patronymic)
        {
            patronymic = PartMatch::Initial;
        } else if initial_against_patronymic(&a_initials, b_patronymic)
            || initial_against_patronymic(&b_initials, a_patronymic)
        {
            patronymic = PartMatch::Different(0.0);
        }
    }
    if unpaired_applicant > 0
        && let PartMatch::Close(s) | PartMatch::Different(s) = surname
    {
        surname = PartMatch::Different(s * 0.8);
    }

    let a_given = given_pair.map(|(i, _)| a_words[i]);
    let b_given = given_pair.map(|(_, j)| b_words[j]);
    let a_surname = surname_pairs.first().map(|(i, _)| a_words[*i]);
    let b_surname = surname_pairs.first().map(|(_, j)| b_words[*j]);
    let (a_sex, b_sex) = (
        sex_vote(a_given, a_surname, a_patronymic),
        sex_vote(b_given, b_surname, b_patronymic),
    );
    // Antonin / Antonina decide the sex unless the rest of both names agrees on it (Kazakova Kir, a dropped
    // letter, is still the woman Kazakova Kira).
    // Both surnames show their sex by the ending and the endings differ (Kirsanova / Kirsanov): another person
    // of the family, unless both patronymics show one and the same sex.
    let ending_sex = |t: Option<&NameToken>| t.and_then(|t| surname_sex(&t.skeleton));
    let patronymic_sexes = (
        a_patronymic.and_then(|t| patronymic_sex(&t.skeleton)),
        b_patronymic.and_then(|t| patronymic_sex(&t.skeleton)),
    );
    let patronymics_settle =
        patronymic_sexes.0.is_some() && patronymic_sexes.0 == patronymic_sexes.1;
    let endings_conflict = sexes_differ(ending_sex(a_surname), ending_sex(b_surname))
        && !matches!(surname, PartMatch::Typo | PartMatch::Near)
        && !patronymics_settle;
    let sex_conflict = sexes_differ(a_sex, b_sex)
        || endings_conflict
        || (matches!((a_given, b_given), (Some(a), Some(b)) if gendered_pair(a, b))
            && !(a_sex.is_some() && a_sex == b_sex));
    Some(NameComparison {
        surname,
        given,
        patronymic,
        sex_conflict,
        extra_word: unpaired_applicant > 0,
    })
}

/// The outcome of comparing two names.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NameComparison {
    pub surname: PartMatch,
    pub given: PartMatch,
    pub patronymic: PartMatch,
    pub sex_conflict: bool,
    /// The applicant's name has a word the listed name has nothing for.
    pub extra_word: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_table() {
        let cases = [
            ("", "", 0.0),
            ("abc", "abc", 0.0),
            ("abc", "acb", 0.5),
            ("abc", "ab", 1.0),
            ("abc", "abd", 1.0),
            ("gax", "gag", 0.5),
            ("", "abc", 3.0),
        ];
        for (a, b, expected) in cases {
            assert!(
                (weighted_distance(a.as_bytes(), b.as_bytes()) - expected).abs() < 1e-6,
                "{a} {b}"
            );
        }
    }

    #[test]
    fn explanation_has_no_commas_or_quotes() {
        let explanation = Explanation {
            surname: PartMatch::Close(0.8667),
            given: PartMatch::Equivalent,
            patronymic: PartMatch::Absent,
            dob: DobAgreement::Exact,
            sex_conflict: false,
            extra_word: false,
            place_agrees: true,
            name_index: 2,
        };
        let text = explanation.render();
        assert_eq!(
            text,
            "surname=close(0.87); given=equiv; patronymic=absent; dob=exact; place=same; via=alias2"
        );
        assert!(!text.contains(',') && !text.contains('"'));
    }
}
