//! Keys for one name token: the "Slavic skeleton" that folds the transliteration systems, the surname fold that
//! removes gender endings, and a coarse phonetic code.
//!
//! The skeleton is a small ASCII alphabet reached from Cyrillic (Russian and Ukrainian letters) and from Latin in any
//! of the systems we meet (ICAO 9303, the 1997–2010 and Soviet passport styles, BGN/PCGN, GOST 7.79 B, ISO 9,
//! German, French, informal English, the Ukrainian national system). Letters the systems disagree on collapse
//! into one symbol:
//!
//! | symbol | Cyrillic | Latin spellings |
//! |---|---|---|
//! | `g` | г ґ х | g h kh x(GOST) ch(German) |
//! | `w` | ж ш щ | zh sh shch sch shh schtsch chtch ch(French) j(French) š ž ŝ |
//! | `x` | ч | ch tch tsch č |
//! | `c` | ц | ts tc tz cz c z(German) |
//! | `s` | з с | z s ss |
//! | `i` | и ы і й ї, glide of я ю є ё | i y j ii iy ij |
//! | `v` | в | v w |
//!
//! then a glide `i` before `e` is dropped (ye/ie/je/е all become `e`), `io`/`yo`/`ё` become `e`, ya/ia/ja/я stay
//! `ia` after a consonant and lose the glide after a vowel (Nikolaevich = Nikolayevich), doubled
//! letters are single and soft/hard signs vanish. Architecture invariant: every key for a name part is derived
//! from this one function, so the watchlist and the applicants can never be folded by different rules.

use unicode_normalization::UnicodeNormalization;

/// True for letters of the Cyrillic blocks we fold (Russian, Ukrainian and the few extra Cyrillic letters).
pub fn is_cyrillic(c: char) -> bool {
    ('\u{0400}'..='\u{04FF}').contains(&c)
}

fn is_apostrophe(c: char) -> bool {
    matches!(
        c,
        '\'' | '’' | 'ʼ' | 'ʹ' | 'ʺ' | '`' | '´' | '‘' | '"' | '·' | 'ʻ' | '′' | '″'
    )
}

/// Skeleton of one lower-case token. Empty when the token holds no letters.
pub fn skeleton(token: &str) -> String {
    let raw = if token.chars().any(is_cyrillic) {
        cyrillic_to_raw(token)
    } else {
        latin_to_raw(token)
    };
    fold_raw(&raw)
}

fn cyrillic_to_raw(token: &str) -> String {
    let chars: Vec<char> = token.chars().collect();
    let mut out = String::with_capacity(token.len() + 4);
    for (position, &c) in chars.iter().enumerate() {
        let next = chars.get(position + 1).copied();
        let piece: &str = match c {
            'а' => "a",
            'б' => "b",
            'в' => "v",
            'г' | 'ґ' | 'х' => "g",
            'д' => "d",
            'е' | 'э' => "e",
            'ё' => "io",
            'є' => "ie",
            'ж' | 'ш' | 'щ' => "w",
            'з' | 'с' => "s",
            'и' | 'і' | 'й' | 'ы' => "i",
            'ї' => "ii",
            'к' => "k",
            'л' => "l",
            'м' => "m",
            'н' => "n",
            'о' => "o",
            'п' => "p",
            'р' => "r",
            'т' => "t",
            'у' | 'ў' => "u",
            'ф' => "f",
            'ц' => "c",
            'ч' => "x",
            'ю' => "iu",
            'я' => "ia",
            // A soft or hard sign before a vowel is heard as a glide (Васильев = Vasilyev); elsewhere it is silent.
            'ь' | 'ъ' => {
                if next.is_some_and(is_cyrillic_vowel) {
                    "i"
                } else {
                    ""
                }
            }
            _ => {
                if c.is_ascii_lowercase() {
                    // A Latin look-alike the normaliser could not place: keep it, folded as Latin would be.
                    out.push_str(&latin_to_raw(&c.to_string()));
                }
                ""
            }
        };
        out.push_str(piece);
    }
    out
}

fn is_cyrillic_vowel(c: char) -> bool {
    matches!(
        c,
        'а' | 'е' | 'ё' | 'и' | 'о' | 'у' | 'ы' | 'э' | 'ю' | 'я' | 'є' | 'і' | 'ї'
    )
}

/// Latin letters with diacritics as the systems use them, spelled out before the rules run.
fn decode_latin_diacritics(token: &str) -> (String, bool) {
    let mut out = String::with_capacity(token.len() + 4);
    let mut french_marks = false;
    for c in token.chars() {
        match c {
            'č' => out.push_str("ch"),
            'š' => out.push_str("sh"),
            'ž' => out.push_str("zh"),
            'ŝ' => out.push_str("shch"),
            'ĉ' => out.push_str("ch"),
            'ë' | 'ö' => out.push_str("io"),
            'ï' => {
                french_marks = true;
                out.push('i');
            }
            'û' | 'ü' => out.push_str("iu"),
            'â' | 'ä' => out.push_str("ia"),
            'ê' => out.push_str("ie"),
            'ß' => out.push_str("ss"),
            'ç' => out.push('s'),
            _ => {
                for d in c.to_string().nfd() {
                    if d.is_ascii_alphabetic() || is_apostrophe(d) {
                        out.push(d.to_ascii_lowercase());
                    }
                }
            }
        }
    }
    (out, french_marks)
}

fn is_latin_vowel(b: u8) -> bool {
    matches!(b, b'a' | b'e' | b'i' | b'o' | b'u' | b'y')
}

/// How one Latin token was probably written; decides the few letters whose reading depends on the system.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum LatinSystem {
    German,
    French,
    Gost,
    Plain,
}

fn guess_system(decoded: &str, french_marks: bool) -> LatinSystem {
    let letters: String = decoded
        .chars()
        .filter(|c| c.is_ascii_alphabetic())
        .collect();
    if letters.contains('w') || letters.contains("tsch") {
        LatinSystem::German
    } else if french_marks
        || letters.contains("ou")
        || (letters.contains("tch") && !letters.contains("tsch"))
    {
        LatinSystem::French
    } else if decoded.contains('`')
        || decoded.contains("y'")
        || decoded.contains("e'")
        || letters.contains("cz")
        || (letters.contains('x') && letters.contains('j'))
        || letters.contains("shh")
    {
        LatinSystem::Gost
    } else {
        LatinSystem::Plain
    }
}

/// The system a Latin token's own marks show (`w`, `tsch`: German; `ou`, `tch`, `ï`: French; `` ` ``, `cz`:
/// GOST), or `None` for Cyrillic and unmarked tokens.
pub fn marked_system(token: &str) -> Option<LatinSystem> {
    if token.chars().any(is_cyrillic) {
        return None;
    }
    let (decoded, french_marks) = decode_latin_diacritics(token);
    match guess_system(&decoded, french_marks) {
        LatinSystem::Plain => None,
        system => Some(system),
    }
}

/// Skeleton of a Latin token read by one system's rules: an unmarked word of a name whose other words show
/// the system (Janna beside Niourgounovna is Жанна, not Яна).
pub fn skeleton_as(token: &str, system: LatinSystem) -> String {
    if token.chars().any(is_cyrillic) {
        return skeleton(token);
    }
    fold_raw(&latin_to_raw_as(token, Some(system)))
}

fn latin_to_raw(token: &str) -> String {
    latin_to_raw_as(token, None)
}

/// Skeletons of a Latin token under the other systems' readings of its ambiguous letters (ch as х or ш, j as ж,
/// x as х, z as ц), when they differ from `skeleton(token)`. Empty for Cyrillic tokens.
pub fn other_readings(token: &str) -> Vec<String> {
    if token.chars().any(is_cyrillic) {
        return Vec::new();
    }
    let primary = skeleton(token);
    let mut out: Vec<String> = Vec::new();
    for system in [LatinSystem::French, LatinSystem::German, LatinSystem::Gost] {
        let reading = fold_raw(&latin_to_raw_as(token, Some(system)));
        if reading != primary && !reading.is_empty() && !out.contains(&reading) {
            out.push(reading);
        }
    }
    out
}

fn latin_to_raw_as(token: &str, forced: Option<LatinSystem>) -> String {
    let (decoded, french_marks) = decode_latin_diacritics(token);
    let system = forced.unwrap_or_else(|| guess_system(&decoded, french_marks));
    let bytes: Vec<u8> = decoded.bytes().filter(u8::is_ascii_alphabetic).collect();
    let mut out = String::with_capacity(bytes.len() + 4);
    let mut i = 0;
    let starts = |at: usize, pattern: &[u8]| bytes.get(at..at + pattern.len()) == Some(pattern);
    while i < bytes.len() {
        let (piece, used): (&str, usize) = if starts(i, b"schtsch") {
            ("w", 7)
        } else if starts(i, b"chtch") || starts(i, b"shch") {
            ("w", if starts(i, b"chtch") { 5 } else { 4 })
        } else if starts(i, b"tsch") {
            ("x", 4)
        } else if starts(i, b"sch") || starts(i, b"shh") {
            ("w", 3)
        } else if starts(i, b"tch") {
            ("x", 3)
        } else if starts(i, b"dzh") {
            ("dw", 3)
        } else if starts(i, b"tsh") {
            // Мухаметшин: т + ш, not ц + х.
            ("tw", 3)
        } else if starts(i, b"sh") || starts(i, b"zh") {
            ("w", 2)
        } else if starts(i, b"ch") {
            match system {
                LatinSystem::German => ("g", 2),
                LatinSystem::French => ("w", 2),
                _ => ("x", 2),
            }
        } else if starts(i, b"kh") || starts(i, b"gh") {
            ("g", 2)
        } else if starts(i, b"ts") || starts(i, b"tz") || starts(i, b"tc") || starts(i, b"cz") {
            ("c", 2)
        } else if starts(i, b"ck") {
            ("k", 2)
        } else if starts(i, b"ph") {
            ("f", 2)
        } else if starts(i, b"th") {
            ("t", 2)
        } else if starts(i, b"ou") {
            ("u", 2)
        } else {
            let b = bytes[i];
            let piece = match b {
                b'h' => "g",
                b'w' => "v",
                b'y' => "i",
                b'q' => "k",
                b'x' => {
                    if i == 0 || system == LatinSystem::Gost {
                        "g"
                    } else {
                        "ks"
                    }
                }
                b'z' => {
                    if system == LatinSystem::German {
                        "c"
                    } else {
                        "s"
                    }
                }
                b'j' => {
                    let previous_is_vowel = i > 0 && is_latin_vowel(bytes[i - 1]);
                    let next = bytes.get(i + 1).copied();
                    let next_is_glide_vowel =
                        next.is_some_and(|n| matches!(n, b'a' | b'e' | b'o' | b'u'));
                    // French writes ж as j; elsewhere j is the glide й, except where a glide cannot stand
                    // (Jdanov, Jilin: before a consonant or i at the start of a syllable). A guessed French
                    // token keeps j after a vowel as a glide; the forced French reading (an alternative key)
                    // takes it as ж there too (Toujounov).
                    if (system == LatinSystem::French
                        && (!previous_is_vowel || forced == Some(LatinSystem::French)))
                        || (!previous_is_vowel && !next_is_glide_vowel && next.is_some())
                    {
                        "w"
                    } else {
                        "i"
                    }
                }
                _ => {
                    out.push(b as char);
                    ""
                }
            };
            out.push_str(piece);
            i += 1;
            continue;
        };
        out.push_str(piece);
        i += used;
    }
    out
}

fn is_skeleton_vowel(b: u8) -> bool {
    matches!(b, b'a' | b'e' | b'o' | b'u')
}

fn collapse_doubles(bytes: &[u8]) -> Vec<u8> {
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len());
    for &b in bytes {
        if out.last() != Some(&b) {
            out.push(b);
        }
    }
    out
}

fn fold_raw(raw: &str) -> String {
    let collapsed = collapse_doubles(raw.as_bytes());
    let mut glided: Vec<u8> = Vec::with_capacity(collapsed.len());
    let mut i = 0;
    while i < collapsed.len() {
        let b = collapsed[i];
        if b == b'i' {
            let next = collapsed.get(i + 1).copied();
            match next {
                // yo / io / ё: read as e, the way passports mostly write it.
                Some(b'o') => {
                    glided.push(b'e');
                    i += 2;
                    continue;
                }
                // ye / ie / е and (after a vowel) ya / ia: the glide is written by some systems only.
                // After a consonant я and ю stay distinct from а and у (Миняев is not Минаев).
                Some(b'e') => {
                    i += 1;
                    continue;
                }
                Some(n)
                    if is_skeleton_vowel(n)
                        && glided.last().is_some_and(|p| is_skeleton_vowel(*p)) =>
                {
                    i += 1;
                    continue;
                }
                _ => {}
            }
        }
        glided.push(b);
        i += 1;
    }
    let mut folded = collapse_doubles(&glided);
    // т+с sounds as ц in every system; Latin ts was already folded, Cyrillic тс is folded here.
    let mut out = Vec::with_capacity(folded.len());
    let mut j = 0;
    while j < folded.len() {
        if folded[j] == b't' && folded.get(j + 1) == Some(&b's') {
            out.push(b'c');
            j += 2;
        } else {
            out.push(folded[j]);
            j += 1;
        }
    }
    folded = collapse_doubles(&out);
    String::from_utf8_lossy(&folded).into_owned()
}

/// Grammatical sex a surname's ending shows, when it shows one.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum Sex {
    Male,
    Female,
}

/// Surname skeleton with its gender ending folded (-ова → -ов, -ева → -ов, -ина → -ин, -ская → -ский) and -ев
/// read as -ов (Ковалёв, Kovalev, Kovalyov, Ковальов). Used for index keys and surname comparison.
pub fn fold_surname(skeleton: &str) -> String {
    let s = skeleton;
    let replace_end = |ending: &str, with: &str| -> Option<String> {
        s.strip_suffix(ending)
            .filter(|stem| stem.len() >= 2)
            .map(|stem| format!("{stem}{with}"))
    };
    replace_end("ova", "ov")
        .or_else(|| replace_end("eva", "ov"))
        .or_else(|| replace_end("ev", "ov"))
        // -off / -eff, the French and older German spelling of -ов / -ев (Garipoff, Orloff).
        .or_else(|| replace_end("of", "ov"))
        .or_else(|| replace_end("ef", "ov"))
        .or_else(|| replace_end("ina", "in"))
        .or_else(|| replace_end("ska", "ski"))
        .or_else(|| replace_end("cka", "cki"))
        .or_else(|| replace_end("skaia", "ski"))
        .or_else(|| replace_end("ckaia", "cki"))
        .unwrap_or_else(|| s.to_owned())
}

/// The sex a surname skeleton's ending shows, if any.
pub fn surname_sex(skeleton: &str) -> Option<Sex> {
    let long_enough = skeleton.len() >= 4;
    if !long_enough {
        return None;
    }
    if ["ova", "eva", "ina", "ska", "cka"]
        .iter()
        .any(|e| skeleton.ends_with(e))
    {
        Some(Sex::Female)
    } else if ["ov", "ev", "of", "ef", "in", "ski", "cki"]
        .iter()
        .any(|e| skeleton.ends_with(e))
    {
        Some(Sex::Male)
    } else {
        None
    }
}

/// A coarse phonetic code of a skeleton: first letter kept, vowels dropped, voiced and voiceless pairs merged.
/// Two names with the same code "sound alike"; used as a fallback feature when spelling distance is large.
pub fn phonetic(skeleton: &str) -> String {
    let mut out = String::with_capacity(skeleton.len());
    for (position, b) in skeleton.bytes().enumerate() {
        let mapped = match b {
            b'a' | b'e' | b'i' | b'o' | b'u' => {
                if position == 0 {
                    'a'
                } else {
                    continue;
                }
            }
            b'b' | b'p' => 'p',
            b'd' | b't' => 't',
            b'g' | b'k' => 'k',
            b'v' | b'f' => 'f',
            b's' | b'c' => 's',
            other => other as char,
        };
        if !out.ends_with(mapped) {
            out.push(mapped);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soft_sign_before_vowel_is_a_glide() {
        assert_eq!(skeleton("васильев"), skeleton("vasilyev"));
        assert_eq!(skeleton("ольга"), "olga");
    }

    #[test]
    fn phonetic_merges_voicing() {
        assert_eq!(phonetic("bdgv"), "ptkf");
        assert_eq!(phonetic("ivanov"), "afnf");
    }

    #[test]
    fn surname_gender_is_folded() {
        assert_eq!(
            fold_surname(&skeleton("иванова")),
            fold_surname(&skeleton("иванов"))
        );
        assert_eq!(
            fold_surname(&skeleton("достоевская")),
            fold_surname(&skeleton("dostoevskii"))
        );
        assert_eq!(surname_sex(&skeleton("strelkova")), Some(Sex::Female));
        assert_eq!(surname_sex(&skeleton("strelkov")), Some(Sex::Male));
        assert_eq!(surname_sex(&skeleton("shevchenko")), None);
    }
}
