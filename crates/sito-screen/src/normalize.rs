//! Text normalisation before any key is computed: NFKC, case folding, ё → е, apostrophes kept only as
//! transliteration marks, and look-alike Latin/Cyrillic letters put back into the script of their word.

use unicode_normalization::UnicodeNormalization;

use crate::translit::is_cyrillic;

/// One word of a raw name, with the hints its writing gives about its role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawToken {
    /// Lower-case, script-consistent letters (apostrophe-like marks kept for the skeleton to read).
    pub text: String,
    /// Written in capitals while the rest of the name was not (`Vladimir ZAITSEV`): a surname hint.
    pub capitalised_alone: bool,
    /// Stood before a comma (`KOSLOW, GERMAN`): a surname hint.
    pub before_comma: bool,
    /// Followed by a dot or a single letter: an initial.
    pub initial: bool,
    /// Part of a hyphenated group (double surname).
    pub hyphen_group: Option<usize>,
}

const CYRILLIC_LOOKALIKES: &[(char, char)] = &[
    ('a', 'а'),
    ('c', 'с'),
    ('e', 'е'),
    ('o', 'о'),
    ('p', 'р'),
    ('x', 'х'),
    ('y', 'у'),
    ('k', 'к'),
    ('m', 'м'),
    ('t', 'т'),
    ('h', 'н'),
    ('b', 'в'),
    ('i', 'і'),
];

fn is_mark(c: char) -> bool {
    matches!(
        c,
        '\'' | '’' | 'ʼ' | 'ʹ' | 'ʺ' | '`' | '´' | '‘' | '·' | 'ʻ' | '′' | '″'
    )
}

/// Puts stray letters of the other script back into the word's own script (`Cидоров` with a Latin C).
fn fix_lookalikes(word: &str) -> String {
    let cyrillic = word.chars().filter(|c| is_cyrillic(*c)).count();
    let latin = word.chars().filter(|c| c.is_ascii_alphabetic()).count();
    if cyrillic == 0 || latin == 0 {
        return word.to_owned();
    }
    if cyrillic >= latin {
        word.chars()
            .map(|c| {
                CYRILLIC_LOOKALIKES
                    .iter()
                    .find(|(l, _)| *l == c)
                    .map_or(c, |(_, cy)| *cy)
            })
            .collect()
    } else {
        word.chars()
            .map(|c| {
                CYRILLIC_LOOKALIKES
                    .iter()
                    .find(|(_, cy)| *cy == c)
                    .map_or(c, |(l, _)| *l)
            })
            .collect()
    }
}

/// Splits a raw name into words with their hints. Never fails: anything that is not a letter separates words.
pub fn tokenize(name: &str) -> Vec<RawToken> {
    let text: String = name.nfkc().collect();
    let letters_total = text.chars().filter(|c| c.is_alphabetic()).count();
    let lowercase_total = text.chars().filter(|c| c.is_lowercase()).count();
    let mixed_case = lowercase_total > 0 && lowercase_total < letters_total;

    struct Pending {
        word: String,
        followed_by_dot: bool,
        before_comma: bool,
        hyphen_group: Option<usize>,
    }
    let mut pending: Vec<Pending> = Vec::new();
    let mut current = String::new();
    let mut hyphen_groups = 0usize;
    let mut joined_by_hyphen = false;
    let mut flush = |current: &mut String,
                     pending: &mut Vec<Pending>,
                     separator: Option<char>,
                     joined: &mut bool| {
        let trimmed: String = current.trim_matches(is_mark).to_owned();
        current.clear();
        if trimmed.chars().any(char::is_alphabetic) {
            let group = if *joined {
                pending.last_mut().map(|previous| {
                    let group = previous.hyphen_group.unwrap_or_else(|| {
                        hyphen_groups += 1;
                        hyphen_groups
                    });
                    previous.hyphen_group = Some(group);
                    group
                })
            } else {
                None
            };
            *joined = separator == Some('-');
            pending.push(Pending {
                word: trimmed,
                followed_by_dot: separator == Some('.'),
                before_comma: false,
                hyphen_group: group,
            });
        } else if separator == Some(',')
            && let Some(previous) = pending.last_mut()
        {
            previous.before_comma = true;
        }
        if separator == Some(',') {
            for earlier in pending.iter_mut() {
                earlier.before_comma = true;
            }
        }
    };
    for c in text.chars() {
        if c.is_alphabetic() || is_mark(c) {
            current.push(c);
        } else {
            let separator = match c {
                '-' | '‐' | '–' | '—' => Some('-'),
                '.' => Some('.'),
                ',' | ';' => Some(','),
                _ => None,
            };
            flush(&mut current, &mut pending, separator, &mut joined_by_hyphen);
            if separator != Some('-') {
                joined_by_hyphen = false;
            }
        }
    }
    flush(&mut current, &mut pending, None, &mut joined_by_hyphen);
    // Only the first comma splits surname from given names; words after it are not surnames.
    if let Some(first_after) = pending.iter().position(|p| !p.before_comma)
        && first_after > 0
    {
        for later in pending.iter_mut().skip(first_after) {
            later.before_comma = false;
        }
    } else if pending.iter().all(|p| p.before_comma) {
        for p in pending.iter_mut() {
            p.before_comma = false;
        }
    }

    pending
        .into_iter()
        .map(|p| {
            let letters: Vec<char> = p.word.chars().filter(|c| c.is_alphabetic()).collect();
            let all_upper = letters.iter().all(|c| c.is_uppercase());
            let lowered: String = p
                .word
                .chars()
                .flat_map(char::to_lowercase)
                .map(|c| if c == 'ё' { 'е' } else { c })
                .collect();
            RawToken {
                text: fix_lookalikes(&lowered),
                capitalised_alone: mixed_case && all_upper && letters.len() >= 2,
                before_comma: p.before_comma,
                initial: letters.len() == 1 || (p.followed_by_dot && letters.len() <= 2),
                hyphen_group: p.hyphen_group,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comma_marks_the_surname() {
        let tokens = tokenize("KOSLOW, GERMAN WIKTOROWITSCH");
        assert_eq!(tokens.len(), 3);
        assert!(tokens[0].before_comma);
        assert!(!tokens[1].before_comma);
        assert_eq!(tokens[0].text, "koslow");
    }

    #[test]
    fn capitals_in_a_mixed_name_mark_the_surname() {
        let tokens = tokenize("Vladimir ZAITSEV");
        assert!(!tokens[0].capitalised_alone);
        assert!(tokens[1].capitalised_alone);
        assert!(!tokenize("VLADIMIR ZAITSEV")[1].capitalised_alone);
    }

    #[test]
    fn initials_and_hyphens() {
        let tokens = tokenize("В. А. Плюснина-Рожкова");
        assert!(tokens[0].initial && tokens[1].initial);
        assert_eq!(tokens[2].hyphen_group, tokens[3].hyphen_group);
        assert!(tokens[2].hyphen_group.is_some());
    }

    #[test]
    fn lookalikes_and_yo() {
        // Latin C and o inside a Cyrillic word.
        assert_eq!(tokenize("Cидoров")[0].text, "сидоров");
        assert_eq!(tokenize("Семён")[0].text, "семен");
        assert_eq!(tokenize("Vasil'ev")[0].text, "vasil'ev");
    }
}
