//! The pipeline as data: stages, checks, guards and tracks read from a TOML file and validated before use, so a
//! broken file stops the service at start with the file, line and problem rather than misbehaving later.
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Deserialize;
use toml::Spanned;

use crate::findings::{DEFAULT_TEXT_LIMIT, FindingField, FindingKind, FindingSpec};
use crate::model::{Category, FieldGroup, Phase, Role};

/// A problem in a pipeline file, located where possible.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct PipelineError {
    pub file: String,
    pub line: Option<usize>,
    pub problem: String,
}

impl fmt::Display for PipelineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.file, line, self.problem),
            None => write!(f, "{}: {}", self.file, self.problem),
        }
    }
}

/// A condition beyond the checklist that must hold before a case leaves a stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Guard {
    /// No unresolved screening flag on the case.
    NoOpenFlags,
    /// The second polygraph was recorded by another examiner than the first.
    DistinctExaminer,
    /// Two different board members approved.
    TwoApprovals,
    /// The chosen unit has room under its target strength.
    UnitCapacity,
    /// A check of an earlier stage was ticked.
    CheckDone(String),
}

impl Guard {
    fn parse(text: &str) -> Option<Self> {
        match text {
            "no_open_flags" => Some(Self::NoOpenFlags),
            "distinct_examiner" => Some(Self::DistinctExaminer),
            "two_approvals" => Some(Self::TwoApprovals),
            "unit_capacity" => Some(Self::UnitCapacity),
            other => other
                .strip_prefix("check:")
                .map(|check| Self::CheckDone(check.to_owned())),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    pub id: String,
    pub phase: Phase,
    pub owner: Role,
    pub target_days: u32,
    pub checklist: Vec<String>,
    pub guards: Vec<Guard>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pipeline {
    pub name: String,
    pub version: u32,
    checks: BTreeMap<String, String>,
    stages: Vec<Stage>,
    tracks: BTreeMap<Category, Vec<usize>>,
    findings: BTreeMap<String, FindingSpec>,
    booking_checks: BTreeSet<String>,
    refusal_reasons: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPipeline {
    name: String,
    version: u32,
    #[serde(default)]
    checks: BTreeMap<String, String>,
    stages: Vec<RawStage>,
    tracks: Vec<RawTrack>,
    #[serde(default)]
    booking_checks: Vec<Spanned<String>>,
    #[serde(default)]
    refusal_reasons: Vec<String>,
    #[serde(default)]
    findings: BTreeMap<String, RawFindingSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFindingSpec {
    group: Spanned<String>,
    fields: Vec<RawFindingField>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFindingField {
    key: Spanned<String>,
    kind: Spanned<String>,
    #[serde(default)]
    required: bool,
    options: Option<Vec<String>>,
    min: Option<i64>,
    max: Option<i64>,
    max_length: Option<usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStage {
    id: Spanned<String>,
    phase: Spanned<String>,
    owner: Spanned<String>,
    target_days: u32,
    #[serde(default)]
    checklist: Vec<Spanned<String>>,
    #[serde(default)]
    guards: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTrack {
    category: Spanned<String>,
    stages: Vec<Spanned<String>>,
}

impl Pipeline {
    /// Parses and validates a pipeline. `file` only names the source in error messages.
    pub fn from_toml(file: &str, text: &str) -> Result<Self, PipelineError> {
        let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
        let fail = |span: Option<std::ops::Range<usize>>, problem: String| PipelineError {
            file: file.to_owned(),
            line: span.map(|span| line_of(span.start)),
            problem,
        };
        let raw: RawPipeline =
            toml::from_str(text).map_err(|error| fail(error.span(), error.message().to_owned()))?;

        let mut stages = Vec::with_capacity(raw.stages.len());
        let mut index_of: BTreeMap<String, usize> = BTreeMap::new();
        for stage in &raw.stages {
            let id = stage.id.get_ref().clone();
            if index_of.insert(id.clone(), stages.len()).is_some() {
                return Err(fail(
                    Some(stage.id.span()),
                    format!("stage `{id}` is defined twice"),
                ));
            }
            let phase = Phase::parse(stage.phase.get_ref()).ok_or_else(|| {
                fail(
                    Some(stage.phase.span()),
                    format!("stage `{id}` has unknown phase `{}`", stage.phase.get_ref()),
                )
            })?;
            let owner = Role::parse(stage.owner.get_ref()).ok_or_else(|| {
                fail(
                    Some(stage.owner.span()),
                    format!(
                        "stage `{id}` names unknown owner role `{}`",
                        stage.owner.get_ref()
                    ),
                )
            })?;
            let mut checklist = Vec::new();
            for check in &stage.checklist {
                if !raw.checks.contains_key(check.get_ref()) {
                    return Err(fail(
                        Some(check.span()),
                        format!("stage `{id}` lists unknown check `{}`", check.get_ref()),
                    ));
                }
                checklist.push(check.get_ref().clone());
            }
            let mut guards = Vec::new();
            for guard_text in &stage.guards {
                let guard = Guard::parse(guard_text.get_ref()).ok_or_else(|| {
                    fail(
                        Some(guard_text.span()),
                        format!("stage `{id}` has unknown guard `{}`", guard_text.get_ref()),
                    )
                })?;
                if let Guard::CheckDone(check) = &guard
                    && !raw.checks.contains_key(check)
                {
                    return Err(fail(
                        Some(guard_text.span()),
                        format!("stage `{id}` has a guard naming unknown check `{check}`"),
                    ));
                }
                guards.push(guard);
            }
            stages.push(Stage {
                id,
                phase,
                owner,
                target_days: stage.target_days,
                checklist,
                guards,
            });
        }

        let mut tracks = BTreeMap::new();
        let mut reachable = BTreeSet::new();
        for track in &raw.tracks {
            let category = Category::parse(track.category.get_ref()).ok_or_else(|| {
                fail(
                    Some(track.category.span()),
                    format!("unknown category `{}`", track.category.get_ref()),
                )
            })?;
            let mut path = Vec::new();
            for stage in &track.stages {
                let index = *index_of.get(stage.get_ref()).ok_or_else(|| {
                    fail(
                        Some(stage.span()),
                        format!(
                            "track `{category}` names unknown stage `{}`",
                            stage.get_ref()
                        ),
                    )
                })?;
                if path.contains(&index) {
                    return Err(fail(
                        Some(stage.span()),
                        format!(
                            "track `{category}` visits stage `{}` twice",
                            stage.get_ref()
                        ),
                    ));
                }
                path.push(index);
                reachable.insert(index);
            }
            match path.last().map(|last| stages[*last].phase) {
                Some(Phase::Assigned) => {}
                _ => {
                    return Err(fail(
                        Some(track.category.span()),
                        format!("track `{category}` must end in a stage of phase `assigned`"),
                    ));
                }
            }
            if tracks.insert(category, path).is_some() {
                return Err(fail(
                    Some(track.category.span()),
                    format!("category `{category}` has two tracks"),
                ));
            }
        }
        for (index, stage) in raw.stages.iter().enumerate() {
            if !reachable.contains(&index) {
                return Err(fail(
                    Some(stage.id.span()),
                    format!(
                        "stage `{}` is unreachable: no track passes through it",
                        stage.id.get_ref()
                    ),
                ));
            }
        }
        for category in Category::ALL {
            if !tracks.contains_key(category) {
                return Err(fail(None, format!("no track for category `{category}`")));
            }
        }
        let mut booking_checks = BTreeSet::new();
        for check in &raw.booking_checks {
            if !raw.checks.contains_key(check.get_ref()) {
                return Err(fail(
                    Some(check.span()),
                    format!("booking check `{}` is not a known check", check.get_ref()),
                ));
            }
            booking_checks.insert(check.get_ref().clone());
        }
        let mut findings = BTreeMap::new();
        for (check, spec) in &raw.findings {
            let at = Some(spec.group.span());
            if !raw.checks.contains_key(check) {
                return Err(fail(at, format!("findings for unknown check `{check}`")));
            }
            if booking_checks.contains(check) {
                return Err(fail(
                    at,
                    format!("booking check `{check}` is set by planning and takes no findings"),
                ));
            }
            let group = FieldGroup::parse(spec.group.get_ref()).ok_or_else(|| {
                fail(
                    at.clone(),
                    format!(
                        "findings of `{check}` name unknown field group `{}`",
                        spec.group.get_ref()
                    ),
                )
            })?;
            let mut fields: Vec<FindingField> = Vec::new();
            for field in &spec.fields {
                fields.push(
                    finding_field(check, field, &fields)
                        .map_err(|(span, problem)| fail(Some(span), problem))?,
                );
            }
            findings.insert(check.clone(), FindingSpec { group, fields });
        }
        Ok(Self {
            name: raw.name,
            version: raw.version,
            checks: raw.checks,
            stages,
            tracks,
            findings,
            booking_checks,
            refusal_reasons: raw.refusal_reasons,
        })
    }

    /// The embedded default pipeline. It is validated by a unit test, so this cannot fail in a released build.
    pub fn default_legion() -> Result<Self, PipelineError> {
        Self::from_toml(crate::DEFAULT_PIPELINE_PATH, crate::DEFAULT_PIPELINE_TOML)
    }

    pub fn stage(&self, id: &str) -> Option<&Stage> {
        self.stages.iter().find(|stage| stage.id == id)
    }

    pub fn stages(&self) -> &[Stage] {
        &self.stages
    }

    /// The findings a check records, if it declares any.
    pub fn findings(&self, check: &str) -> Option<&FindingSpec> {
        self.findings.get(check)
    }

    /// Whether a check is set by the planning commit (and cleared by a visit cancellation), never by a person.
    pub fn is_booking_check(&self, check: &str) -> bool {
        self.booking_checks.contains(check)
    }

    pub fn booking_checks(&self) -> impl Iterator<Item = &str> {
        self.booking_checks.iter().map(String::as_str)
    }

    /// The reasons a case may be refused with (ids, translated by the UI), to pick from beside a free text.
    pub fn refusal_reasons(&self) -> &[String] {
        &self.refusal_reasons
    }

    /// Whether a case that entered `stage` at `entered_at` is overdue at `now`: strictly past the stage's target
    /// time. A stage with no target (0 days) or unknown to the pipeline is never overdue.
    pub fn is_overdue(&self, stage: &str, entered_at: i64, now: i64) -> bool {
        match self.stage(stage) {
            Some(stage) if stage.target_days > 0 => {
                now - entered_at > i64::from(stage.target_days) * 86_400
            }
            _ => false,
        }
    }

    pub fn check_label(&self, id: &str) -> Option<&str> {
        self.checks.get(id).map(String::as_str)
    }

    /// The stages a case of this category passes through, in order.
    pub fn track(&self, category: Category) -> impl Iterator<Item = &Stage> {
        self.tracks
            .get(&category)
            .into_iter()
            .flatten()
            .map(|index| &self.stages[*index])
    }

    pub fn first_stage(&self, category: Category) -> Option<&Stage> {
        self.track(category).next()
    }

    /// The stage after `current` on the category's track; `None` at the end or off the track.
    pub fn next_stage(&self, category: Category, current: &str) -> Option<&Stage> {
        let mut track = self.track(category);
        track.by_ref().find(|stage| stage.id == current)?;
        track.next()
    }

    pub fn is_on_track(&self, category: Category, stage: &str) -> bool {
        self.track(category).any(|candidate| candidate.id == stage)
    }

    /// Position of a stage on the category's track (0 for the first).
    pub fn position(&self, category: Category, stage: &str) -> Option<usize> {
        self.track(category)
            .position(|candidate| candidate.id == stage)
    }
}

type Located = (std::ops::Range<usize>, String);

/// One declared finding field, checked: a known kind with the parameters it needs and no others, a unique key.
fn finding_field(
    check: &str,
    raw: &RawFindingField,
    earlier: &[FindingField],
) -> Result<FindingField, Located> {
    let key = raw.key.get_ref();
    let at = |problem: String| (raw.key.span(), problem);
    let valid_key = !key.is_empty()
        && key.len() <= 40
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !valid_key {
        return Err(at(format!(
            "finding `{key}` of `{check}`: keys are lowercase letters, digits and `_`"
        )));
    }
    if earlier.iter().any(|field| &field.key == key) {
        return Err(at(format!(
            "finding `{key}` of `{check}` is declared twice"
        )));
    }
    let stray = |name: &str, given: bool| -> Result<(), Located> {
        if given {
            Err(at(format!(
                "finding `{key}` of `{check}`: `{name}` does not apply to kind `{}`",
                raw.kind.get_ref()
            )))
        } else {
            Ok(())
        }
    };
    let kind = match raw.kind.get_ref().as_str() {
        "text" => {
            stray("options", raw.options.is_some())?;
            stray("min", raw.min.is_some() || raw.max.is_some())?;
            let max_length = raw.max_length.unwrap_or(DEFAULT_TEXT_LIMIT);
            if max_length == 0 || max_length > DEFAULT_TEXT_LIMIT * 4 {
                return Err(at(format!(
                    "finding `{key}` of `{check}`: max_length must be 1..={}",
                    DEFAULT_TEXT_LIMIT * 4
                )));
            }
            FindingKind::Text { max_length }
        }
        "choice" => {
            stray("min", raw.min.is_some() || raw.max.is_some())?;
            stray("max_length", raw.max_length.is_some())?;
            let options = raw.options.clone().unwrap_or_default();
            let distinct: BTreeSet<&String> = options.iter().collect();
            if options.is_empty() || distinct.len() != options.len() {
                return Err(at(format!(
                    "finding `{key}` of `{check}`: a choice needs a list of distinct options"
                )));
            }
            FindingKind::Choice { options }
        }
        "number" => {
            stray("options", raw.options.is_some())?;
            stray("max_length", raw.max_length.is_some())?;
            match (raw.min, raw.max) {
                (Some(min), Some(max)) if min <= max => FindingKind::Number { min, max },
                _ => {
                    return Err(at(format!(
                        "finding `{key}` of `{check}`: a number needs bounds with min <= max"
                    )));
                }
            }
        }
        "date" | "attachment" => {
            stray("options", raw.options.is_some())?;
            stray("min", raw.min.is_some() || raw.max.is_some())?;
            stray("max_length", raw.max_length.is_some())?;
            if raw.kind.get_ref() == "date" {
                FindingKind::Date
            } else {
                FindingKind::Attachment
            }
        }
        other => {
            return Err((
                raw.kind.span(),
                format!("finding `{key}` of `{check}` has unknown kind `{other}`"),
            ));
        }
    };
    Ok(FindingField {
        key: key.clone(),
        kind,
        required: raw.required,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_pipeline_is_valid_and_has_every_track() {
        let pipeline = Pipeline::default_legion().expect("default pipeline");
        for category in Category::ALL {
            assert_eq!(
                pipeline.first_stage(*category).map(|s| s.id.as_str()),
                Some("received")
            );
            assert_eq!(
                pipeline.track(*category).last().map(|s| s.phase),
                Some(Phase::Assigned)
            );
        }
        assert!(pipeline.is_on_track(Category::PrisonerOfWar, "camp_meeting"));
        assert!(!pipeline.is_on_track(Category::PrisonerOfWar, "meeting_arranged"));
        let camp = pipeline.stage("camp_meeting").expect("camp stage");
        assert!(
            camp.checklist
                .iter()
                .any(|check| check == "voluntariness_recorded")
        );
        assert_eq!(
            pipeline
                .next_stage(Category::FormerServiceman, "polygraph_1")
                .map(|s| s.id.as_str()),
            Some("polygraph_2")
        );
    }

    fn broken(edit: impl Fn(&str) -> String) -> PipelineError {
        let text = edit(crate::DEFAULT_PIPELINE_TOML);
        Pipeline::from_toml("legion.toml", &text).expect_err("the edit must break the pipeline")
    }

    fn line_of(needle: &str, text: &str) -> usize {
        let offset = text.find(needle).expect("needle in text");
        text[..offset].matches('\n').count() + 1
    }

    #[test]
    fn broken_files_are_reported_with_file_line_and_problem() {
        // Each row: an edit of the default file, the text that must appear at the reported line, the problem.
        let rows: &[(&str, &str, &str, &str)] = &[
            (
                "\"polygraph_1\", \"polygraph_2\", \"board_decision\", \"training\", \"briefing\",\n          \"assigned_to_unit\"]\n\n[[tracks]]\ncategory = \"resident_of_ukraine\"",
                "\"polygraph_1\", \"polygraph_x\", \"board_decision\", \"training\", \"briefing\",\n          \"assigned_to_unit\"]\n\n[[tracks]]\ncategory = \"resident_of_ukraine\"",
                "polygraph_x",
                "unknown stage `polygraph_x`",
            ),
            (
                "owner = \"psychologist\"",
                "owner = \"astrologer\"",
                "astrologer",
                "unknown owner role `astrologer`",
            ),
            (
                "guards = [\"distinct_examiner\"]",
                "guards = [\"check:no_such_check\"]",
                "check:no_such_check",
                "unknown check `no_such_check`",
            ),
            (
                "checklist = [\"interview_done\", \"assessment_written\"]",
                "checklist = [\"interview_done\", \"vibes\"]",
                "vibes",
                "unknown check `vibes`",
            ),
        ];
        for (from, to, marker, problem) in rows {
            let text = crate::DEFAULT_PIPELINE_TOML.replacen(from, to, 1);
            assert_ne!(
                text,
                crate::DEFAULT_PIPELINE_TOML,
                "edit {from:?} did not apply"
            );
            let error = Pipeline::from_toml("legion.toml", &text).expect_err("must fail");
            assert_eq!(error.file, "legion.toml");
            assert_eq!(error.line, Some(line_of(marker, &text)), "{error}");
            assert!(error.problem.contains(problem), "{error}");
        }
    }

    #[test]
    fn a_stage_without_owner_is_refused() {
        let error = broken(|text| text.replacen("owner = \"psychologist\"\n", "", 1));
        assert!(error.problem.contains("owner"), "{error}");
        assert!(error.line.is_some());
    }

    #[test]
    fn an_unreachable_stage_is_refused() {
        let error = broken(|text| {
            format!("{text}\n[[stages]]\nid = \"orphan\"\nphase = \"vetting\"\nowner = \"auditor\"\ntarget_days = 1\n")
                .replace("[[stages]]\nid = \"orphan\"", "[[stages]]\nid = \"orphan\"")
        });
        // The orphan is appended after the tracks; TOML array-of-tables order doesn't matter for validity.
        assert!(error.problem.contains("unreachable"), "{error}");
    }

    #[test]
    fn unknown_keys_and_syntax_errors_are_located() {
        let error = broken(|text| {
            text.replacen(
                "target_days = 3\n",
                "target_days = 3\ncolour = \"red\"\n",
                1,
            )
        });
        assert!(error.problem.contains("colour"), "{error}");
        assert!(error.line.is_some());
        let error = broken(|text| text.replacen("version = 1", "version = ", 1));
        assert!(error.line.is_some(), "{error}");
    }
}
