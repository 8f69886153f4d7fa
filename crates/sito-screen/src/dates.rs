//! Partial dates of birth (`YYYY-MM-DD`, `YYYY-MM`, `YYYY`) and how two of them agree.

use std::fmt;

/// A date of birth known to the year, the month or the day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PartialDate {
    pub year: u16,
    pub month: Option<u8>,
    pub day: Option<u8>,
}

/// Why a date string was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("malformed date {value:?}: expected YYYY-MM-DD, YYYY-MM or YYYY")]
pub struct DateError {
    pub value: String,
}

impl PartialDate {
    /// Parses `YYYY-MM-DD`, `YYYY-MM` or `YYYY`; `Ok(None)` for an empty field.
    pub fn parse(text: &str) -> Result<Option<Self>, DateError> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        let refuse = || DateError {
            value: text.chars().take(40).collect(),
        };
        let parts: Vec<&str> = text.split('-').collect();
        let number = |part: &str, digits: usize| -> Option<u16> {
            (part.len() == digits && part.bytes().all(|b| b.is_ascii_digit()))
                .then(|| part.parse().ok())
                .flatten()
        };
        let year = parts
            .first()
            .and_then(|p| number(p, 4))
            .filter(|y| *y >= 1000)
            .ok_or_else(refuse)?;
        let month = match parts.get(1) {
            Some(p) => Some(
                number(p, 2)
                    .filter(|m| (1..=12).contains(m))
                    .ok_or_else(refuse)? as u8,
            ),
            None => None,
        };
        let day = match parts.get(2) {
            Some(p) => {
                let day = number(p, 2).ok_or_else(refuse)? as u8;
                let last = days_in_month(year, month.unwrap_or(1));
                if day == 0 || day > last {
                    return Err(refuse());
                }
                Some(day)
            }
            None => None,
        };
        if parts.len() > 3 {
            return Err(refuse());
        }
        Ok(Some(Self { year, month, day }))
    }
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl fmt::Display for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.year)?;
        if let Some(month) = self.month {
            write!(f, "-{month:02}")?;
        }
        if let Some(day) = self.day {
            write!(f, "-{day:02}")?;
        }
        Ok(())
    }
}

/// How two dates of birth agree, from best to worst.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum DobAgreement {
    /// The same full date.
    Exact,
    /// Agree as far as both are known (year, or year and month).
    Partial,
    /// One slip of the pen: a digit of the day, the day off by one, or day and month swapped.
    Slip,
    /// One or both unknown.
    Unknown,
    /// Clearly different people.
    Conflict,
}

impl DobAgreement {
    pub fn label(self) -> &'static str {
        match self {
            Self::Exact => "exact",
            Self::Partial => "partial",
            Self::Slip => "slip",
            Self::Unknown => "unknown",
            Self::Conflict => "conflict",
        }
    }
}

fn one_digit_apart(a: u8, b: u8) -> bool {
    let (a, b) = (format!("{a:02}"), format!("{b:02}"));
    a.bytes().zip(b.bytes()).filter(|(x, y)| x != y).count() == 1
}

/// Compares two dates of birth.
pub fn compare(a: Option<PartialDate>, b: Option<PartialDate>) -> DobAgreement {
    let (Some(a), Some(b)) = (a, b) else {
        return DobAgreement::Unknown;
    };
    if a.year != b.year {
        return DobAgreement::Conflict;
    }
    match (a.month, b.month) {
        (Some(am), Some(bm)) => match (a.day, b.day) {
            (Some(ad), Some(bd)) => {
                if am == bm && ad == bd {
                    DobAgreement::Exact
                } else if (am == bm && (ad.abs_diff(bd) == 1 || one_digit_apart(ad, bd)))
                    || (am == bd && ad == bm)
                {
                    DobAgreement::Slip
                } else {
                    DobAgreement::Conflict
                }
            }
            _ => {
                // A full date against a year and month: a swapped day and month would show as the day equal
                // to the other month, but as often it is another person born that year, so months must agree.
                if am == bm {
                    DobAgreement::Partial
                } else {
                    DobAgreement::Conflict
                }
            }
        },
        _ => DobAgreement::Partial,
    }
}

/// The best agreement between one date and any of several.
pub fn best(applicant: Option<PartialDate>, listed: &[PartialDate]) -> DobAgreement {
    if listed.is_empty() {
        return DobAgreement::Unknown;
    }
    listed
        .iter()
        .map(|d| compare(applicant, Some(*d)))
        .min()
        .unwrap_or(DobAgreement::Unknown)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Option<PartialDate> {
        PartialDate::parse(text).ok().flatten()
    }

    #[test]
    fn parse_table() {
        type Parsed = Result<Option<(u16, Option<u8>, Option<u8>)>, ()>;
        let cases: &[(&str, Parsed)] = &[
            ("", Ok(None)),
            ("1984", Ok(Some((1984, None, None)))),
            ("1984-02", Ok(Some((1984, Some(2), None)))),
            ("1984-02-29", Ok(Some((1984, Some(2), Some(29))))),
            ("1983-02-29", Err(())),
            ("1984-13", Err(())),
            ("84-02-03", Err(())),
            ("1984/02/03", Err(())),
            ("1984-2-3", Err(())),
            ("1984-02-03-01", Err(())),
            ("abcd", Err(())),
        ];
        for (text, expected) in cases {
            let got = PartialDate::parse(text)
                .map(|d| d.map(|d| (d.year, d.month, d.day)))
                .map_err(|_| ());
            assert_eq!(&got, expected, "{text}");
        }
    }

    #[test]
    fn agreement_table() {
        let cases = [
            ("1980-05-12", "1980-05-12", DobAgreement::Exact),
            ("1980-05-12", "1980-05", DobAgreement::Partial),
            ("1980-05-12", "1980", DobAgreement::Partial),
            ("1980-05-12", "1980-05-13", DobAgreement::Slip),
            ("1980-05-12", "1980-05-18", DobAgreement::Slip),
            ("1980-05-12", "1980-12-05", DobAgreement::Slip),
            ("1980-05-12", "1980-05-27", DobAgreement::Conflict),
            ("1980-05-12", "1980-06", DobAgreement::Conflict),
            ("1970-02-09", "1970-09", DobAgreement::Conflict),
            ("1970-09", "1970-02-09", DobAgreement::Conflict),
            ("1980-05-12", "1981-05-12", DobAgreement::Conflict),
            ("1980-05-12", "", DobAgreement::Unknown),
        ];
        for (a, b, expected) in cases {
            assert_eq!(compare(date(a), date(b)), expected, "{a} vs {b}");
        }
    }
}
