//! Parsed names: each word reduced to its keys, patronymics recognised by suffix, given names placed in their
//! equivalence class (Russian ↔ Ukrainian forms and common variants, from `data/given_names.txt`).

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::normalize::tokenize;
use crate::translit::{Sex, fold_surname, marked_system, other_readings, skeleton, skeleton_as};

/// The equivalence-class table, compiled into the binary so that screening never depends on a file at run time.
const GIVEN_NAMES_TABLE: &str = include_str!("../data/given_names.txt");

/// Index of an equivalence class in the given-name table.
pub type ClassId = u32;

#[derive(Debug)]
struct NameClass {
    sex: Sex,
    /// Skeletons of every form of the class.
    forms: Vec<String>,
}

/// Given-name equivalence classes, looked up by skeleton; and the stems patronymics are built from.
#[derive(Debug)]
pub struct GivenNames {
    classes: Vec<NameClass>,
    by_skeleton: HashMap<String, Vec<ClassId>>,
    by_stem: HashMap<String, Vec<ClassId>>,
    /// Each form with one letter deleted → classes: finds the class of a misspelt given name.
    by_deletion: HashMap<String, Vec<ClassId>>,
}

fn one_deletion_each(word: &str) -> Vec<String> {
    (0..word.len())
        .filter(|i| word.is_char_boundary(*i) && word.is_char_boundary(*i + 1))
        .map(|i| format!("{}{}", &word[..i], &word[i + 1..]))
        .collect()
}

/// Errors in the compiled-in table; reported by a test, never at screening time.
#[derive(Debug, PartialEq, Eq)]
pub struct TableLineError {
    pub line: usize,
    pub problem: &'static str,
}

fn find(parent: &mut [usize], mut item: usize) -> usize {
    while parent[item] != item {
        parent[item] = parent[parent[item]];
        item = parent[item];
    }
    item
}

impl GivenNames {
    /// Parses the table text. Classes of the same sex that share a form are merged, so a name listed twice
    /// cannot split a class.
    pub fn parse(text: &str) -> (Self, Vec<TableLineError>) {
        let mut errors = Vec::new();
        let mut raw: Vec<(Sex, Vec<String>)> = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut words = line.split_whitespace();
            let sex = match words.next() {
                Some("m") => Sex::Male,
                Some("f") => Sex::Female,
                _ => {
                    errors.push(TableLineError {
                        line: index + 1,
                        problem: "line must start with m or f",
                    });
                    continue;
                }
            };
            let forms: Vec<String> = words
                .filter(|w| *w != "|")
                .map(|w| skeleton(&w.to_lowercase()))
                .filter(|s| !s.is_empty())
                .collect();
            if forms.is_empty() {
                errors.push(TableLineError {
                    line: index + 1,
                    problem: "class without forms",
                });
                continue;
            }
            raw.push((sex, forms));
        }
        // Union classes of one sex sharing a form skeleton.
        let mut parent: Vec<usize> = (0..raw.len()).collect();
        let mut first_owner: HashMap<(Sex, &str), usize> = HashMap::new();
        for (index, (sex, forms)) in raw.iter().enumerate() {
            for form in forms {
                match first_owner.get(&(*sex, form.as_str())) {
                    Some(&owner) => {
                        let (a, b) = (find(&mut parent, owner), find(&mut parent, index));
                        parent[b] = a;
                    }
                    None => {
                        first_owner.insert((*sex, form.as_str()), index);
                    }
                }
            }
        }
        let mut class_of_root: HashMap<usize, ClassId> = HashMap::new();
        let mut classes: Vec<NameClass> = Vec::new();
        for (index, (sex, forms)) in raw.iter().enumerate() {
            let root = find(&mut parent, index);
            let class = *class_of_root.entry(root).or_insert_with(|| {
                classes.push(NameClass {
                    sex: *sex,
                    forms: Vec::new(),
                });
                (classes.len() - 1) as ClassId
            });
            let entry = &mut classes[class as usize];
            for form in forms {
                if !entry.forms.contains(form) {
                    entry.forms.push(form.clone());
                }
            }
        }
        let mut by_skeleton: HashMap<String, Vec<ClassId>> = HashMap::new();
        let mut by_stem: HashMap<String, Vec<ClassId>> = HashMap::new();
        for (class, entry) in classes.iter().enumerate() {
            let class = class as ClassId;
            for form in &entry.forms {
                push_unique(by_skeleton.entry(form.clone()).or_default(), class);
                // Fathers' names of either sex class give patronymics; only male classes are fathers.
                if entry.sex == Sex::Male {
                    for stem in form_stems(form) {
                        push_unique(by_stem.entry(stem).or_default(), class);
                    }
                }
            }
        }
        let mut by_deletion: HashMap<String, Vec<ClassId>> = HashMap::new();
        for (class, entry) in classes.iter().enumerate() {
            for form in entry.forms.iter().filter(|f| f.len() >= 4) {
                for deleted in one_deletion_each(form) {
                    push_unique(by_deletion.entry(deleted).or_default(), class as ClassId);
                }
            }
        }
        (
            Self {
                classes,
                by_skeleton,
                by_stem,
                by_deletion,
            },
            errors,
        )
    }

    /// The classes a skeleton belongs to (usually one; empty when the name is not in the table).
    pub fn classes_of(&self, skeleton: &str) -> &[ClassId] {
        self.by_skeleton.get(skeleton).map_or(&[], Vec::as_slice)
    }

    /// Classes with a form one edit (insertion, deletion, substitution, swap) from a misspelt skeleton.
    pub fn near_classes(&self, skeleton: &str) -> Vec<ClassId> {
        let mut out = Vec::new();
        if skeleton.len() < 4 {
            return out;
        }
        let mut probe = |key: &str| {
            for lookup in [self.by_skeleton.get(key), self.by_deletion.get(key)]
                .into_iter()
                .flatten()
            {
                for class in lookup {
                    push_unique(&mut out, *class);
                }
            }
        };
        probe(skeleton);
        for deleted in one_deletion_each(skeleton) {
            probe(&deleted);
        }
        out
    }

    /// The father's-name classes a patronymic skeleton can come from.
    pub fn patronymic_classes(&self, patronymic_skeleton: &str) -> Vec<ClassId> {
        let mut out = Vec::new();
        for stem in patronymic_stems(patronymic_skeleton) {
            if let Some(classes) = self.by_stem.get(&stem) {
                for class in classes {
                    push_unique(&mut out, *class);
                }
            }
        }
        out
    }

    pub fn sex(&self, class: ClassId) -> Option<Sex> {
        self.classes.get(class as usize).map(|c| c.sex)
    }

    pub fn forms(&self, class: ClassId) -> &[String] {
        self.classes
            .get(class as usize)
            .map_or(&[], |c| c.forms.as_slice())
    }

    pub fn class_count(&self) -> usize {
        self.classes.len()
    }
}

fn push_unique(list: &mut Vec<ClassId>, class: ClassId) {
    if !list.contains(&class) {
        list.push(class);
    }
}

fn is_vowel(b: u8) -> bool {
    matches!(b, b'a' | b'e' | b'i' | b'o' | b'u')
}

/// The stems a patronymic may be built on, from one form of a father's name: Юрий → юр, Николай → никола,
/// Илья → ил, Павел → павл.
fn form_stems(form: &str) -> Vec<String> {
    let mut stems = vec![form.to_owned()];
    let mut current = form.to_owned();
    for _ in 0..2 {
        match current.as_bytes().last() {
            Some(&last) if is_vowel(last) && current.len() > 2 => {
                current.pop();
                stems.push(current.clone());
            }
            _ => break,
        }
    }
    let bytes = form.as_bytes();
    if bytes.len() >= 4
        && !is_vowel(bytes[bytes.len() - 1])
        && matches!(bytes[bytes.len() - 2], b'e' | b'o')
    {
        let mut fleeting = form.to_owned();
        fleeting.remove(bytes.len() - 2);
        stems.push(fleeting);
    }
    stems
}

const PATRONYMIC_SUFFIXES: &[&str] = &[
    "inixna", "ovix", "evix", "ovna", "evna", "ivna", "ixna", "ix",
];

fn patronymic_stems(patronymic: &str) -> Vec<String> {
    let mut stems = Vec::new();
    for suffix in PATRONYMIC_SUFFIXES {
        if let Some(stem) = patronymic.strip_suffix(suffix)
            && stem.len() >= 2
        {
            stems.push(stem.to_owned());
            if stem.as_bytes().last().is_some_and(|b| is_vowel(*b)) && stem.len() > 2 {
                stems.push(stem[..stem.len() - 1].to_owned());
            }
            break;
        }
    }
    stems
}

/// True when the skeleton ends like a patronymic beyond doubt (-ович, -евна, -ична …).
fn has_strong_patronymic_suffix(skeleton: &str) -> bool {
    skeleton.len() >= 6
        && ["vix", "vna", "ixna"]
            .iter()
            .any(|suffix| skeleton.ends_with(suffix))
}

/// The sex a patronymic shows: -вна, -ична are a daughter's, -вич, -ич a son's.
pub fn patronymic_sex(skeleton: &str) -> Option<Sex> {
    if skeleton.ends_with("na") {
        Some(Sex::Female)
    } else if skeleton.ends_with("ix") {
        Some(Sex::Male)
    } else {
        None
    }
}

/// The compiled-in table.
pub fn given_names() -> &'static GivenNames {
    static TABLE: OnceLock<GivenNames> = OnceLock::new();
    TABLE.get_or_init(|| GivenNames::parse(GIVEN_NAMES_TABLE).0)
}

/// What a word of a name is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A given name or a surname; which one is decided when two names are compared.
    Word,
    Patronymic,
    Initial,
}

/// One word of a name with its keys.
#[derive(Clone, Debug)]
pub struct NameToken {
    pub role: Role,
    pub skeleton: Box<str>,
    /// Skeleton with surname gender endings folded; the index key.
    pub folded: Box<str>,
    pub classes: Box<[ClassId]>,
    /// Folded skeletons under the other systems' readings of ambiguous Latin letters (ch, j, x, z).
    pub alternatives: Box<[Box<str>]>,
    pub surname_hint: bool,
    pub hyphen_group: Option<u8>,
    /// The word as written (lower case, script-consistent): typing errors are undone on this, not on the
    /// skeleton, where one slip inside `ts`, `kh` or a glide can become two edits.
    pub text: Box<str>,
    /// Spellings one typing error away that the watchlist or the table knows; set on applicants' words only.
    pub repairs: Option<Box<Repairs>>,
}

/// What lies one typing error (a dropped, doubled, swapped, inserted or mistyped letter) from an applicant's
/// word and is known: index keys of the watchlist, classes of the given-name table.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Repairs {
    /// Folded skeletons of the repaired spellings found among the index keys.
    pub keys: Vec<Box<str>>,
    /// Given-name classes of the repaired spellings.
    pub classes: Vec<ClassId>,
    /// The word as written is itself an index key (a listed surname): then every repair is one reading of two.
    pub written_is_known: bool,
}

impl Repairs {
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty() && self.classes.is_empty()
    }
}

const LATIN_LETTERS: &str = "abcdefghijklmnopqrstuvwxyz";
const CYRILLIC_LETTERS: &str = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяіїєґ";
/// Letter rows of the QWERTY and ЙЦУКЕН layouts (Ukrainian і, ї, є on the keys of ы, ъ, э).
const KEYBOARD_ROWS: &[&[&str]] = &[
    &["qwertyuiop", "asdfghjkl", "zxcvbnm"],
    &["йцукенгшщзхъ", "фывапролджэ", "ячсмитьбю"],
];

/// Keys around `letter` on its keyboard (same row left and right, three above and three below).
fn keyboard_neighbours(letter: char) -> Vec<char> {
    let canonical = match letter {
        'і' => 'ы',
        'ї' => 'ъ',
        'є' => 'э',
        'ґ' => 'г',
        'ё' => 'е',
        other => other,
    };
    let mut out = Vec::new();
    for rows in KEYBOARD_ROWS {
        let grid: Vec<Vec<char>> = rows.iter().map(|r| r.chars().collect()).collect();
        for (row, keys) in grid.iter().enumerate() {
            let Some(column) = keys.iter().position(|k| *k == canonical) else {
                continue;
            };
            let mut take = |r: usize, c: Option<usize>| {
                if let Some(key) = c.and_then(|c| grid.get(r).and_then(|keys| keys.get(c))) {
                    out.push(*key);
                }
            };
            // Rows are drawn aligned here; the three keys above and below cover a stagger to either side
            // (keyboards, and people's fingers, differ).
            take(row, column.checked_sub(1));
            take(row, Some(column + 1));
            for other in [row.checked_sub(1), Some(row + 1)].into_iter().flatten() {
                take(other, column.checked_sub(1));
                take(other, Some(column));
                take(other, Some(column + 1));
            }
        }
    }
    out
}

/// Every spelling one typing error from `text`, by the typing-error model: a mistyped letter is undone by its
/// keyboard neighbours, a dropped letter by inserting any letter of the word's script, a doubled or stray
/// letter (one that repeats or touches a neighbouring letter on the keyboard) by deleting it, a swap by
/// swapping back.
pub fn one_typo_spellings(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let alphabet: Vec<char> = if chars.iter().any(|c| crate::translit::is_cyrillic(*c)) {
        CYRILLIC_LETTERS.chars().collect()
    } else {
        LATIN_LETTERS.chars().collect()
    };
    let mut out: Vec<String> = Vec::with_capacity(chars.len() * (alphabet.len() + 8));
    let spell = |parts: &[&[char]]| -> String { parts.iter().flat_map(|p| p.iter()).collect() };
    for i in 0..chars.len() {
        let neighbours = keyboard_neighbours(chars[i]);
        let touches = |other: Option<&char>| {
            other.is_some_and(|o| *o == chars[i] || neighbours.contains(o) || !o.is_alphabetic())
        };
        if !chars[i].is_alphabetic()
            || touches(i.checked_sub(1).and_then(|p| chars.get(p)))
            || touches(chars.get(i + 1))
        {
            out.push(spell(&[&chars[..i], &chars[i + 1..]]));
        }
        if i + 1 < chars.len() && chars[i] != chars[i + 1] {
            out.push(spell(&[
                &chars[..i],
                &[chars[i + 1], chars[i]],
                &chars[i + 2..],
            ]));
        }
        for letter in &neighbours {
            out.push(spell(&[&chars[..i], &[*letter], &chars[i + 1..]]));
        }
    }
    for i in 0..=chars.len() {
        for letter in &alphabet {
            out.push(spell(&[&chars[..i], &[*letter], &chars[i..]]));
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// A name reduced to comparable tokens.
#[derive(Clone, Debug, Default)]
pub struct ParsedName {
    pub tokens: Vec<NameToken>,
}

impl ParsedName {
    pub fn parse(raw: &str) -> Self {
        let table = given_names();
        let raw_tokens = tokenize(raw);
        // One system for the whole name when its marked words agree on it.
        let name_system = {
            let mut marked = raw_tokens.iter().filter_map(|t| marked_system(&t.text));
            let first = marked.next();
            first.filter(|system| marked.all(|other| other == *system))
        };
        let mut tokens: Vec<NameToken> = raw_tokens
            .iter()
            .filter_map(|t| {
                let skel = skeleton(&t.text);
                if skel.is_empty() {
                    return None;
                }
                let role = if t.initial { Role::Initial } else { Role::Word };
                let readings = if role == Role::Word {
                    other_readings(&t.text)
                } else {
                    Vec::new()
                };
                // A written Latin form the skeleton would merge with another name: Janna (the French and German
                // Жанна) has a double n that Яна never has, and the skeleton drops doubled letters.
                let skel = match t.text.as_str() {
                    "janna" | "jeanna" => skeleton("жанна"),
                    _ => skel,
                };
                let mut skel = skel;
                let mut classes: Box<[ClassId]> = if role == Role::Word {
                    table.classes_of(&skel).into()
                } else {
                    Box::new([])
                };
                // An unmarked given name reads by the system the name's other words show, when the table knows
                // it that way.
                if role == Role::Word
                    && let Some(system) = name_system
                    && marked_system(&t.text).is_none()
                {
                    let reading = skeleton_as(&t.text, system);
                    if reading != skel && !table.classes_of(&reading).is_empty() {
                        classes = table.classes_of(&reading).into();
                        skel = reading;
                    }
                }
                if role == Role::Word && classes.is_empty() {
                    // x is кс in informal English (Maxim) but х in GOST 7.79 B (Mixail), ch is ч, х or ш: a given
                    // name known under another system's reading takes that reading.
                    if let Some(reading) = readings.iter().find(|r| !table.classes_of(r).is_empty())
                    {
                        classes = table.classes_of(reading).into();
                        skel = reading.clone();
                    }
                }
                let folded = fold_surname(&skel);
                let alternatives: Box<[Box<str>]> = readings
                    .iter()
                    .map(|r| fold_surname(r))
                    .filter(|r| *r != folded)
                    .map(String::into_boxed_str)
                    .collect();
                Some(NameToken {
                    role,
                    alternatives,
                    folded: folded.into_boxed_str(),
                    skeleton: skel.into_boxed_str(),
                    classes,
                    surname_hint: t.before_comma || t.capitalised_alone,
                    hyphen_group: t.hyphen_group.map(|g| g.min(255) as u8),
                    text: t.text.as_str().into(),
                    repairs: None,
                })
            })
            .collect();
        let words = tokens.iter().filter(|t| t.role == Role::Word).count();
        if words >= 3 {
            let mut found = false;
            for token in tokens.iter_mut().filter(|t| t.role == Role::Word) {
                if !found
                    && has_strong_patronymic_suffix(&token.skeleton)
                    && token.hyphen_group.is_none()
                {
                    token.role = Role::Patronymic;
                    found = true;
                }
            }
            if !found {
                // Ильич, Никитич, Кузьмич: the short suffix counts only when its stem is a known father's name.
                let first_word = tokens.iter().position(|t| t.role == Role::Word);
                for (position, token) in tokens.iter_mut().enumerate() {
                    if Some(position) != first_word
                        && token.role == Role::Word
                        && token.skeleton.ends_with("ix")
                        && !table.patronymic_classes(&token.skeleton).is_empty()
                    {
                        token.role = Role::Patronymic;
                        break;
                    }
                }
            }
        }
        for token in tokens.iter_mut().filter(|t| t.role == Role::Patronymic) {
            token.classes = table.patronymic_classes(&token.skeleton).into_boxed_slice();
        }
        Self { tokens }
    }

    pub fn words(&self) -> impl Iterator<Item = &NameToken> {
        self.tokens.iter().filter(|t| t.role == Role::Word)
    }

    pub fn patronymic(&self) -> Option<&NameToken> {
        self.tokens.iter().find(|t| t.role == Role::Patronymic)
    }

    pub fn initials(&self) -> impl Iterator<Item = &NameToken> {
        self.tokens.iter().filter(|t| t.role == Role::Initial)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use proptest::prelude::*;

    #[test]
    fn one_typo_spellings_undo_each_kind_of_slip() {
        let cases = [
            ("rostslav", "rostislav"),   // dropped letter
            ("rostiislav", "rostislav"), // doubled letter
            ("rsotislav", "rostislav"),  // swapped letters
            ("rostislsv", "rostislav"),  // neighbouring key
            ("умврова", "умарова"),      // neighbouring key in ЙЦУКЕН
            ("umzrova", "umarova"),
        ];
        for (typed, meant) in cases {
            assert!(
                one_typo_spellings(typed).iter().any(|s| s == meant),
                "{typed} should repair to {meant}"
            );
        }
        // A letter far from its neighbours on the keyboard is not taken for a slip.
        assert!(!one_typo_spellings("safin").iter().any(|s| s == "sanin"));
    }

    fn slip(word: &str, kind: usize, at: usize, pick: usize) -> String {
        let mut chars: Vec<char> = word.chars().collect();
        let at = at % chars.len();
        match kind {
            0 => {
                chars.remove(at);
            }
            1 => chars.insert(at, chars[at]),
            2 if at + 1 < chars.len() => chars.swap(at, at + 1),
            _ => {
                let near = keyboard_neighbours(chars[at]);
                if !near.is_empty() {
                    chars[at] = near[pick % near.len()];
                }
            }
        }
        chars.into_iter().collect()
    }

    proptest! {
        /// Whatever single slip of the model is made, the intended word is among the repairs.
        #[test]
        fn every_modelled_slip_is_undone(
            word in "[a-z]{4,10}",
            kind in 0usize..4,
            at in 0usize..10,
            pick in 0usize..8,
        ) {
            let typed = slip(&word, kind, at, pick);
            prop_assume!(typed != word);
            prop_assert!(one_typo_spellings(&typed).contains(&word));
        }
    }

    #[test]
    fn table_parses_cleanly_and_is_broad() {
        let (table, errors) = GivenNames::parse(GIVEN_NAMES_TABLE);
        assert!(errors.is_empty(), "{errors:?}");
        assert!(
            table.class_count() > 500,
            "only {} classes",
            table.class_count()
        );
    }

    #[test]
    fn patronymic_found_by_suffix_in_any_position() {
        let name = ParsedName::parse("Иванов Сергей Петрович");
        assert_eq!(name.patronymic().map(|t| &*t.skeleton), Some("petrovix"));
        let name = ParsedName::parse("KOVALOV HAVRYLO DAVYDOVYCH");
        assert!(name.patronymic().is_some());
        let name = ParsedName::parse("Igor Ilyich Titov");
        assert!(name.patronymic().is_some());
        // Two words: no patronymic even if one looks like one (a surname such as Petrovich).
        assert!(ParsedName::parse("Ivan Petrovich").patronymic().is_none());
    }

    #[test]
    fn patronymics_map_to_the_fathers_name() {
        let table = given_names();
        let pairs = [
            ("Юрьевич", "Юрий"),
            ("Миколайович", "Николай"),
            ("Ильич", "Илья"),
            ("Ильинична", "Илья"),
            ("Андрійович", "Андрей"),
            ("Oleksandrivna", "Александр"),
            ("Savvich", "Савва"),
            ("Kuzminichna", "Кузьма"),
            ("Pavlovich", "Павел"),
            ("Sergeevich", "Сергей"),
        ];
        for (patronymic, father) in pairs {
            let from_patronymic = table.patronymic_classes(&skeleton(&patronymic.to_lowercase()));
            let father_classes = table.classes_of(&skeleton(&father.to_lowercase()));
            assert!(
                father_classes.iter().any(|c| from_patronymic.contains(c)),
                "{patronymic} should come from {father}: {from_patronymic:?} vs {father_classes:?}"
            );
        }
    }
}
