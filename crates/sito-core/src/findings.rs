//! What a check records: the findings a pipeline declares per check (fields of kind text, choice, number, date or
//! attachment, each required or not, all in one field group so the need-to-know policy decides who reads them),
//! and the validation of submitted values against that declaration.
use std::collections::BTreeMap;

use crate::model::FieldGroup;
use crate::validate::{self, Problem};

/// Submitted finding values by field key. Values are text as typed; their kind is checked against the declaration.
pub type Findings = BTreeMap<String, String>;

/// Longest text a finding may hold unless its declaration says less.
pub const DEFAULT_TEXT_LIMIT: usize = 4000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FindingKind {
    Text {
        max_length: usize,
    },
    Choice {
        options: Vec<String>,
    },
    Number {
        min: i64,
        max: i64,
    },
    Date,
    /// A reference to an attachment already stored with the case (its id), never the file itself.
    Attachment,
}

impl FindingKind {
    pub const fn as_str(&self) -> &'static str {
        match self {
            Self::Text { .. } => "text",
            Self::Choice { .. } => "choice",
            Self::Number { .. } => "number",
            Self::Date => "date",
            Self::Attachment => "attachment",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FindingField {
    pub key: String,
    pub kind: FindingKind,
    pub required: bool,
}

/// The findings a check records, and the field group they are stored in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FindingSpec {
    pub group: FieldGroup,
    pub fields: Vec<FindingField>,
}

/// Why submitted findings were refused: which field, and the problem as a machine key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FindingError {
    pub field: String,
    pub problem: FindingProblem,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FindingProblem {
    /// A field the check does not declare.
    Undeclared,
    Invalid(Problem),
}

impl FindingSpec {
    /// The values as they will be stored: trimmed, empty optional fields left out, numbers and dates normalised.
    /// Refuses the first field (in declaration order, then undeclared keys) that is missing or malformed.
    pub fn validate(&self, submitted: &Findings) -> Result<Findings, FindingError> {
        if let Some(undeclared) = submitted
            .keys()
            .find(|key| !self.fields.iter().any(|field| &field.key == *key))
        {
            return Err(FindingError {
                field: undeclared.clone(),
                problem: FindingProblem::Undeclared,
            });
        }
        let mut accepted = Findings::new();
        for field in &self.fields {
            let value = submitted.get(&field.key).map(|v| v.trim()).unwrap_or("");
            if value.is_empty() {
                if field.required {
                    return Err(field.refuse(Problem::Required));
                }
                continue;
            }
            let normal = field
                .check(value)
                .map_err(|problem| field.refuse(problem))?;
            accepted.insert(field.key.clone(), normal);
        }
        Ok(accepted)
    }

    /// A valid filling of every field from `text` (cut to each limit): for demo data and walks through the pipeline.
    pub fn example(&self, text: &str) -> Findings {
        self.fields
            .iter()
            .map(|field| {
                let value = match &field.kind {
                    FindingKind::Text { max_length } => text.chars().take(*max_length).collect(),
                    FindingKind::Choice { options } => options.first().cloned().unwrap_or_default(),
                    FindingKind::Number { min, max } => (min + (max - min) / 2).to_string(),
                    FindingKind::Date => "2026-01-15".to_owned(),
                    FindingKind::Attachment => "attachment-1".to_owned(),
                };
                (field.key.clone(), value)
            })
            .collect()
    }

    pub fn has_required(&self) -> bool {
        self.fields.iter().any(|field| field.required)
    }
}

impl FindingField {
    fn refuse(&self, problem: Problem) -> FindingError {
        FindingError {
            field: self.key.clone(),
            problem: FindingProblem::Invalid(problem),
        }
    }

    fn check(&self, value: &str) -> Result<String, Problem> {
        match &self.kind {
            FindingKind::Text { max_length } => {
                Ok(validate::length(value, *max_length)?.to_owned())
            }
            FindingKind::Choice { options } => options
                .iter()
                .find(|option| option.as_str() == value)
                .cloned()
                .ok_or(Problem::UnknownOption),
            FindingKind::Number { min, max } => {
                validate::number(value, *min, *max).map(|n| n.to_string())
            }
            FindingKind::Date => validate::date(value).map(|d| d.to_string()),
            FindingKind::Attachment => {
                // An attachment id: short, no spaces or markup, so it can't smuggle text past the limits.
                let ok = value.len() <= 64
                    && value
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
                if ok {
                    Ok(value.to_owned())
                } else {
                    Err(Problem::TooLong { max: 64 })
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> FindingSpec {
        FindingSpec {
            group: FieldGroup::Psychology,
            fields: vec![
                FindingField {
                    key: "motivation".into(),
                    kind: FindingKind::Text { max_length: 10 },
                    required: true,
                },
                FindingField {
                    key: "recommendation".into(),
                    kind: FindingKind::Choice {
                        options: vec!["recommend".into(), "do_not_recommend".into()],
                    },
                    required: true,
                },
                FindingField {
                    key: "stability".into(),
                    kind: FindingKind::Number { min: 1, max: 5 },
                    required: false,
                },
                FindingField {
                    key: "seen_on".into(),
                    kind: FindingKind::Date,
                    required: false,
                },
            ],
        }
    }

    fn values(pairs: &[(&str, &str)]) -> Findings {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn findings_table() {
        let invalid = |field: &str, problem| {
            Err(FindingError {
                field: field.into(),
                problem: FindingProblem::Invalid(problem),
            })
        };
        let rows: Vec<(Findings, Result<Findings, FindingError>)> = vec![
            (
                values(&[
                    ("motivation", " freedom "),
                    ("recommendation", "recommend"),
                    ("stability", ""),
                ]),
                Ok(values(&[
                    ("motivation", "freedom"),
                    ("recommendation", "recommend"),
                ])),
            ),
            (
                values(&[("recommendation", "recommend")]),
                invalid("motivation", Problem::Required),
            ),
            (
                values(&[("motivation", "x"), ("recommendation", "maybe")]),
                invalid("recommendation", Problem::UnknownOption),
            ),
            (
                values(&[
                    ("motivation", "01234567890"),
                    ("recommendation", "recommend"),
                ]),
                invalid("motivation", Problem::TooLong { max: 10 }),
            ),
            (
                values(&[
                    ("motivation", "x"),
                    ("recommendation", "recommend"),
                    ("stability", "9"),
                ]),
                invalid("stability", Problem::OutOfBounds { min: 1, max: 5 }),
            ),
            (
                values(&[
                    ("motivation", "x"),
                    ("recommendation", "recommend"),
                    ("seen_on", "2026-02-30"),
                ]),
                invalid("seen_on", Problem::NoSuchDay),
            ),
            (
                values(&[
                    ("motivation", "x"),
                    ("recommendation", "recommend"),
                    ("mood", "ok"),
                ]),
                Err(FindingError {
                    field: "mood".into(),
                    problem: FindingProblem::Undeclared,
                }),
            ),
        ];
        for (submitted, expected) in rows {
            assert_eq!(spec().validate(&submitted), expected, "{submitted:?}");
        }
    }
}
