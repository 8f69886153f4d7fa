//! Findings in the staff site: the form fields a check's declared findings generate, the recorded findings a reader
//! may see (by field group, under the need-to-know policy, with who recorded them and when), and refusals in the
//! reader's language (the core's refusal key and arguments, each id argument labelled).
use std::collections::BTreeMap;

use sito_core::findings::{FindingKind, FindingSpec};
use sito_core::machine::Refusal;
use sito_core::machine::{Event, EventKind};
use sito_core::{FieldGroup, StaffId};
use sito_store::RecordedFindings;

use crate::i18n::{ArgValue, Tr};
use crate::views;

pub use crate::views::{FindingInput, RecordedGroup, RecordedView};

/// The fields of a check's findings form, in declaration order; none for a check that declares none.
pub fn inputs(tr: &Tr, spec: Option<&FindingSpec>) -> Vec<FindingInput> {
    let Some(spec) = spec else {
        return Vec::new();
    };
    spec.fields
        .iter()
        .map(|field| {
            let (options, max_length, min, max) = match &field.kind {
                FindingKind::Text { max_length } => (Vec::new(), *max_length, 0, 0),
                FindingKind::Choice { options } => (
                    options
                        .iter()
                        .map(|option| (option.clone(), tr.label("option", option)))
                        .collect(),
                    0,
                    0,
                    0,
                ),
                FindingKind::Number { min, max } => (Vec::new(), 0, *min, *max),
                // An attachment is named by its id (as the case's file list shows it).
                FindingKind::Date | FindingKind::Attachment => (Vec::new(), 64, 0, 0),
            };
            FindingInput {
                name: format!("finding.{}", field.key),
                label: tr.label("finding", &field.key),
                kind: field.kind.as_str(),
                required: field.required,
                options,
                max_length,
                min,
                max,
            }
        })
        .collect()
}

/// The findings recorded in a case's events (the store puts the sealed values back into them when it reads).
pub fn recorded(events: &[Event]) -> Vec<RecordedFindings> {
    events
        .iter()
        .filter_map(|event| match &event.kind {
            EventKind::FindingsRecorded {
                check,
                group,
                findings,
            } => Some(RecordedFindings {
                seq: event.seq,
                at: event.at,
                actor: event.actor,
                check: check.clone(),
                group: *group,
                findings: findings.clone(),
            }),
            _ => None,
        })
        .collect()
}

/// A refusal's reason as stored: the list's id, then the text (`security_risk: …`).
pub fn coded_reason(code: &str, text: &str) -> String {
    format!("{code}: {text}")
}

/// A closure reason as shown: the list's id translated when the reason starts with one of the pipeline's ids.
pub fn reason_text(tr: &Tr, codes: &[String], reason: &str) -> String {
    match reason.split_once(": ") {
        Some((code, text)) if codes.iter().any(|known| known == code) => {
            format!("{}: {text}", tr.label("option", code))
        }
        _ => reason.to_owned(),
    }
}

/// The findings of the groups the reader may see, grouped in the order of `FieldGroup::ALL`, each in event order.
pub fn visible(
    tr: &Tr,
    recorded: &[RecordedFindings],
    may_see: impl Fn(FieldGroup) -> bool,
    staff_names: &BTreeMap<StaffId, String>,
) -> Vec<RecordedGroup> {
    FieldGroup::ALL
        .iter()
        .filter(|group| may_see(**group))
        .filter_map(|group| {
            let items: Vec<RecordedView> = recorded
                .iter()
                .filter(|finding| finding.group == *group)
                .map(|finding| view(tr, finding, staff_names))
                .collect();
            (!items.is_empty()).then(|| RecordedGroup {
                id: group.as_str(),
                label: tr.label("group", group.as_str()),
                items,
            })
        })
        .collect()
}

pub fn view(
    tr: &Tr,
    finding: &RecordedFindings,
    staff_names: &BTreeMap<StaffId, String>,
) -> RecordedView {
    RecordedView {
        check: tr.label("check", &finding.check),
        actor: finding
            .actor
            .and_then(|actor| staff_names.get(&actor).cloned())
            .unwrap_or_default(),
        at: views::date_time(finding.at),
        fields: labelled(tr, &finding.findings),
    }
}

/// Findings as label and value pairs in the reader's language, in the order they are stored.
pub fn labelled(tr: &Tr, findings: &sito_core::findings::Findings) -> Vec<(String, String)> {
    findings
        .iter()
        .map(|(key, value)| (tr.label("finding", key), value_text(tr, value)))
        .collect()
}

/// Choice values are ids (translated); anything else is shown as recorded.
fn value_text(tr: &Tr, value: &str) -> String {
    let is_id = !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'_' || b.is_ascii_digit());
    if is_id {
        tr.label("option", value)
    } else {
        value.to_owned()
    }
}

/// A refusal in the reader's language: the core's key, with check, stage, role, status and field ids labelled and
/// a validation problem translated in its own words.
pub fn refusal_text(tr: &Tr, refusal: &Refusal) -> String {
    let args: Vec<(&str, ArgValue)> = refusal
        .args()
        .into_iter()
        .map(|(name, value)| {
            let text = match name {
                "check" => tr.label("check", &value),
                "checks" => value
                    .split(", ")
                    .map(|check| tr.label("check", check))
                    .collect::<Vec<_>>()
                    .join(", "),
                "stage" => tr.label("stage", &value),
                "role" => tr.label("role", &value),
                "status" => tr.label("status", &value),
                "field" => tr.label("finding", &value),
                "what" => tr.label("refusal-what", &value.replace(' ', "_")),
                "problem" => problem_text(tr, refusal),
                _ => match value.parse::<u64>() {
                    Ok(number) => return (name, ArgValue::from(number)),
                    Err(_) => value,
                },
            };
            (name, ArgValue::from(text))
        })
        .collect();
    tr.args(refusal.key(), args)
}

fn problem_text(tr: &Tr, refusal: &Refusal) -> String {
    match refusal {
        Refusal::FindingInvalid { problem, .. } => problem_message(tr, problem),
        _ => String::new(),
    }
}

/// A validation problem in the reader's words, its bounds filled in.
pub fn problem_message(tr: &Tr, problem: &sito_core::validate::Problem) -> String {
    tr.args(
        problem.key(),
        problem
            .args()
            .into_iter()
            .map(|(name, value)| match value.parse::<u64>() {
                Ok(number) => (name, ArgValue::from(number)),
                Err(_) => (name, ArgValue::from(value)),
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use sito_core::validate::Problem;
    use sito_http::i18n::Lang;

    #[test]
    fn refusals_are_translated_with_their_ids_labelled() {
        let ru = crate::i18n::tr(Lang::Ru);
        let incomplete = refusal_text(
            &ru,
            &Refusal::ChecklistIncomplete(vec!["polygraph_1_recorded".into()]),
        );
        assert!(!incomplete.contains("polygraph_1_recorded"), "{incomplete}");
        assert!(incomplete.contains(&ru.label("check", "polygraph_1_recorded")));
        let en = crate::i18n::tr(Lang::En);
        let invalid = refusal_text(
            &en,
            &Refusal::FindingInvalid {
                check: "assessment_written".into(),
                field: "stability".into(),
                problem: Problem::OutOfBounds { min: 1, max: 5 },
            },
        );
        assert!(invalid.contains("Stability"), "{invalid}");
        assert!(invalid.contains('5'), "{invalid}");
        for lang in [Lang::En, Lang::Ru, Lang::Uk] {
            let tr = crate::i18n::tr(lang);
            let text = refusal_text(&tr, &Refusal::SetByPlanning("transfer_arranged".into()));
            assert!(!text.starts_with("refusal-"), "{lang:?}: {text}");
            assert!(!text.contains("transfer_arranged"), "{lang:?}: {text}");
        }
    }
}
