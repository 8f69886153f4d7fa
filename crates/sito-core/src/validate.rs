//! Validation of what people type, shared by the intake form, the JSON API, `sito screen`'s reader and the findings
//! of checks, so one input is accepted or refused the same way everywhere.
//!
//! Every refusal is a `Problem`: a stable machine key plus arguments that a UI translates (ru/uk/en); no English
//! sentence is produced here.
use std::fmt;

/// Why a value was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("required")]
    Required,
    #[error("too long (at most {max} characters)")]
    TooLong { max: usize },
    #[error("not a date (YYYY-MM-DD)")]
    NotADate,
    #[error("no such day in the calendar")]
    NoSuchDay,
    #[error("year out of range {min}..={max}")]
    YearOutOfRange { min: u16, max: u16 },
    #[error("not a phone number")]
    NotAPhone,
    #[error("not a number")]
    NotANumber,
    #[error("out of range {min}..={max}")]
    OutOfBounds { min: i64, max: i64 },
    #[error("not one of the options")]
    UnknownOption,
}

impl Problem {
    /// The stable key a UI translates, e.g. `validate-no-such-day`.
    pub const fn key(&self) -> &'static str {
        match self {
            Self::Required => "validate-required",
            Self::TooLong { .. } => "validate-too-long",
            Self::NotADate => "validate-not-a-date",
            Self::NoSuchDay => "validate-no-such-day",
            Self::YearOutOfRange { .. } => "validate-year-out-of-range",
            Self::NotAPhone => "validate-not-a-phone",
            Self::NotANumber => "validate-not-a-number",
            Self::OutOfBounds { .. } => "validate-out-of-bounds",
            Self::UnknownOption => "validate-unknown-option",
        }
    }

    /// The arguments of the key's message (Fluent variables).
    pub fn args(&self) -> Vec<(&'static str, String)> {
        match self {
            Self::TooLong { max } => vec![("max", max.to_string())],
            Self::YearOutOfRange { min, max } => {
                vec![("min", min.to_string()), ("max", max.to_string())]
            }
            Self::OutOfBounds { min, max } => {
                vec![("min", min.to_string()), ("max", max.to_string())]
            }
            _ => Vec::new(),
        }
    }
}

/// A calendar date that exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Years a date may fall in: anything else is a typing error (or a machine's default) rather than a real date.
pub const YEARS: std::ops::RangeInclusive<u16> = 1900..=2100;

/// Days of a month in the proleptic Gregorian calendar.
pub const fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        _ => 0,
    }
}

/// A full date `YYYY-MM-DD` that exists in the calendar, its year within `years`.
pub fn date_in(text: &str, years: std::ops::RangeInclusive<u16>) -> Result<Date, Problem> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Problem::Required);
    }
    let mut parts = text.split('-');
    let (Some(year), Some(month), Some(day), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Problem::NotADate);
    };
    let digits = |part: &str, width: usize| {
        (part.len() == width && part.bytes().all(|b| b.is_ascii_digit()))
            .then(|| part.parse::<u16>().ok())
            .flatten()
            .ok_or(Problem::NotADate)
    };
    let (year, month, day) = (digits(year, 4)?, digits(month, 2)?, digits(day, 2)?);
    if !years.contains(&year) {
        return Err(Problem::YearOutOfRange {
            min: *years.start(),
            max: *years.end(),
        });
    }
    let (Ok(month), Ok(day)) = (u8::try_from(month), u8::try_from(day)) else {
        return Err(Problem::NoSuchDay);
    };
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return Err(Problem::NoSuchDay);
    }
    Ok(Date { year, month, day })
}

/// A full date within `YEARS`.
pub fn date(text: &str) -> Result<Date, Problem> {
    date_in(text, YEARS)
}

/// A date of birth: a real date, the applicant between 14 and 100 years old in `this_year`.
pub fn birth_date(text: &str, this_year: u16) -> Result<Date, Problem> {
    date_in(
        text,
        this_year.saturating_sub(100)..=this_year.saturating_sub(14),
    )
}

/// A phone number, normalised to `+` and 7 to 15 digits (E.164). Spaces, dashes, dots and brackets are allowed
/// between digits; a leading `00` is read as `+`. A local number without a country code is refused: the office
/// can't guess the country of an applicant abroad.
pub fn phone(text: &str) -> Result<String, Problem> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Problem::Required);
    }
    let rest = if let Some(rest) = text.strip_prefix('+') {
        rest
    } else if let Some(rest) = text.strip_prefix("00") {
        rest
    } else {
        return Err(Problem::NotAPhone);
    };
    let mut digits = String::with_capacity(16);
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => return Err(Problem::NotAPhone),
        }
    }
    if !(7..=15).contains(&digits.len()) || digits.starts_with('0') {
        return Err(Problem::NotAPhone);
    }
    Ok(format!("+{digits}"))
}

/// A required field: the trimmed text, refused when empty.
pub fn required(text: &str) -> Result<&str, Problem> {
    let text = text.trim();
    if text.is_empty() {
        Err(Problem::Required)
    } else {
        Ok(text)
    }
}

/// At most `max` characters (not bytes: Cyrillic is two bytes a letter).
pub fn length(text: &str, max: usize) -> Result<&str, Problem> {
    if text.chars().count() > max {
        Err(Problem::TooLong { max })
    } else {
        Ok(text)
    }
}

/// A whole number within `min..=max`.
pub fn number(text: &str, min: i64, max: i64) -> Result<i64, Problem> {
    let value: i64 = required(text)?.parse().map_err(|_| Problem::NotANumber)?;
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(Problem::OutOfBounds { min, max })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A date as typed, and what reading it gives (year, month, day) or why not.
    type DateRow = (&'static str, Result<(u16, u8, u8), Problem>);

    #[test]
    fn dates_table() {
        let rows: &[DateRow] = &[
            ("1990-02-28", Ok((1990, 2, 28))),
            (" 2000-02-29 ", Ok((2000, 2, 29))),
            ("1990-02-30", Err(Problem::NoSuchDay)),
            ("1900-02-29", Err(Problem::NoSuchDay)),
            ("1991-04-31", Err(Problem::NoSuchDay)),
            ("1991-13-01", Err(Problem::NoSuchDay)),
            ("1991-00-10", Err(Problem::NoSuchDay)),
            ("1991-01-00", Err(Problem::NoSuchDay)),
            (
                "0990-01-01",
                Err(Problem::YearOutOfRange {
                    min: 1900,
                    max: 2100,
                }),
            ),
            (
                "9999-12-31",
                Err(Problem::YearOutOfRange {
                    min: 1900,
                    max: 2100,
                }),
            ),
            ("1990-2-3", Err(Problem::NotADate)),
            ("30.02.1990", Err(Problem::NotADate)),
            ("1990-02-28-01", Err(Problem::NotADate)),
            ("199O-01-01", Err(Problem::NotADate)),
            ("", Err(Problem::Required)),
        ];
        for (text, expected) in rows {
            let got = date(text).map(|d| (d.year, d.month, d.day));
            assert_eq!(&got, expected, "{text:?}");
        }
    }

    #[test]
    fn birth_dates_must_be_of_a_living_adult() {
        assert!(birth_date("1990-05-01", 2026).is_ok());
        assert_eq!(
            birth_date("2020-05-01", 2026),
            Err(Problem::YearOutOfRange {
                min: 1926,
                max: 2012
            })
        );
        assert_eq!(birth_date("1990-02-30", 2026), Err(Problem::NoSuchDay));
    }

    #[test]
    fn phones_table() {
        let rows: &[(&str, Result<&str, Problem>)] = &[
            ("+380 67 123-45-67", Ok("+380671234567")),
            ("+7 (916) 123.45.67", Ok("+79161234567")),
            ("0048 601 234 567", Ok("+48601234567")),
            ("89161234567", Err(Problem::NotAPhone)),
            ("+12", Err(Problem::NotAPhone)),
            ("+0123456789", Err(Problem::NotAPhone)),
            ("+380 67 12x 45 67", Err(Problem::NotAPhone)),
            ("+1234567890123456", Err(Problem::NotAPhone)),
            ("  ", Err(Problem::Required)),
        ];
        for (text, expected) in rows {
            assert_eq!(phone(text).as_deref(), expected.as_deref(), "{text:?}");
        }
    }

    #[test]
    fn required_length_and_numbers_table() {
        assert_eq!(required("  "), Err(Problem::Required));
        assert_eq!(required(" Сокол "), Ok("Сокол"));
        assert_eq!(length("Ястреб", 6), Ok("Ястреб"));
        assert_eq!(length("Ястребы", 6), Err(Problem::TooLong { max: 6 }));
        assert_eq!(number("7", 1, 10), Ok(7));
        assert_eq!(
            number("11", 1, 10),
            Err(Problem::OutOfBounds { min: 1, max: 10 })
        );
        assert_eq!(number("seven", 1, 10), Err(Problem::NotANumber));
        assert_eq!(Problem::TooLong { max: 6 }.key(), "validate-too-long");
        assert_eq!(
            Problem::TooLong { max: 6 }.args(),
            vec![("max", "6".to_owned())]
        );
    }

    proptest! {
        /// Every real date in range round-trips through its text; a day past the month's end never parses.
        #[test]
        fn dates_round_trip_and_impossible_days_fail(year in 1900u16..=2100, month in 1u8..=12, day in 1u8..=31) {
            let text = format!("{year:04}-{month:02}-{day:02}");
            let parsed = date(&text);
            if day <= days_in_month(year, month) {
                let parsed = parsed.expect("a real date");
                prop_assert_eq!(parsed.to_string(), text);
            } else {
                prop_assert_eq!(parsed, Err(Problem::NoSuchDay));
            }
        }

        /// Whatever is typed, the validators never panic, and an accepted phone is `+` and 7–15 digits.
        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,24}") {
            let _ = date(&text);
            if let Ok(normal) = phone(&text) {
                prop_assert!(normal.starts_with('+'));
                prop_assert!((8..=16).contains(&normal.len()));
                prop_assert!(normal[1..].bytes().all(|b| b.is_ascii_digit()));
            }
        }
    }
}
