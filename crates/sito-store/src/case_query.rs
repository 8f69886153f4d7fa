//! The case list's `WHERE` and `ORDER BY`, built once for both backends so a filter means the same on SQLite and
//! PostgreSQL. Only fixed fragments are joined; every value from a filter is a numbered parameter.
use crate::records::{CaseFilter, CaseOrder, fold_call_sign};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// The column that keeps arrival order (SQLite's rowid; PostgreSQL's identity column).
    fn arrival(self) -> &'static str {
        match self {
            Dialect::Sqlite => "rowid",
            Dialect::Postgres => "position",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Bind {
    Text(String),
    Int(i64),
}

#[derive(Debug)]
pub(crate) struct CaseQuery {
    /// Empty, or `WHERE …` with `$1`, `$2`, … for `binds`.
    pub where_clause: String,
    pub order: String,
    pub binds: Vec<Bind>,
}

/// Adds a value and returns its placeholder.
fn param(binds: &mut Vec<Bind>, value: Bind) -> String {
    binds.push(value);
    format!("${}", binds.len())
}

pub(crate) fn build(filter: &CaseFilter, dialect: Dialect) -> CaseQuery {
    let mut conditions: Vec<String> = Vec::new();
    let mut binds: Vec<Bind> = Vec::new();
    let text = [
        ("stage", filter.stage.clone()),
        ("category", filter.category.map(|c| c.as_str().to_owned())),
        (
            "owner_role",
            filter.owner_role.map(|r| r.as_str().to_owned()),
        ),
        ("status", filter.status.map(|s| s.as_str().to_owned())),
    ];
    for (column, value) in text {
        if let Some(value) = value {
            let p = param(&mut binds, Bind::Text(value));
            conditions.push(format!("{column} = {p}"));
        }
    }
    if let Some(needle) = filter.call_sign.as_deref().map(fold_call_sign)
        && !needle.is_empty()
    {
        let p = param(&mut binds, Bind::Text(needle));
        // A plain substring test, not LIKE: no wildcard in the needle can widen the match.
        conditions.push(match dialect {
            Dialect::Sqlite => format!("instr(call_sign_folded, {p}) > 0"),
            Dialect::Postgres => format!("strpos(call_sign_folded, {p}) > 0"),
        });
    }
    if let Some(by) = filter.entered_stage_by {
        let p = param(&mut binds, Bind::Int(by));
        conditions.push(format!("stage_entered_at <= {p}"));
    }
    if let Some(overdue) = &filter.overdue {
        if overdue.is_empty() {
            conditions.push("1 = 0".to_owned());
        } else {
            let alternatives: Vec<String> = overdue
                .iter()
                .map(|(stage, before)| {
                    let s = param(&mut binds, Bind::Text(stage.clone()));
                    let b = param(&mut binds, Bind::Int(*before));
                    format!("(stage = {s} AND stage_entered_at < {b})")
                })
                .collect();
            conditions.push(format!("({})", alternatives.join(" OR ")));
        }
    }
    let where_clause = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    };
    let arrival = dialect.arrival();
    // Call signs compare by code point on both backends: SQLite's BINARY collation, PostgreSQL's "C".
    let call_sign = match dialect {
        Dialect::Sqlite => "call_sign_folded",
        Dialect::Postgres => "call_sign_folded COLLATE \"C\"",
    };
    let order = match filter.order {
        CaseOrder::NewestReceived => format!("ORDER BY received_at DESC, {arrival} DESC"),
        CaseOrder::OldestInStage => format!("ORDER BY stage_entered_at ASC, {arrival} ASC"),
        CaseOrder::NewestInStage => format!("ORDER BY stage_entered_at DESC, {arrival} DESC"),
        CaseOrder::CallSign => format!("ORDER BY {call_sign} ASC, {arrival} ASC"),
    };
    CaseQuery {
        where_clause,
        order,
        binds,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sito_core::Status;

    #[test]
    fn every_value_is_a_parameter_never_sql() {
        let filter = CaseFilter {
            stage: Some("x' OR 1=1 --".into()),
            status: Some(Status::Active),
            call_sign: Some("%_'".into()),
            entered_stage_by: Some(5),
            overdue: Some(vec![("triage".into(), 7)]),
            ..CaseFilter::default()
        };
        let query = build(&filter, Dialect::Sqlite);
        assert!(!query.where_clause.contains("OR 1=1"));
        assert!(!query.where_clause.contains('%'));
        assert_eq!(query.binds.len(), 6);
        assert_eq!(
            query.where_clause,
            "WHERE stage = $1 AND status = $2 AND instr(call_sign_folded, $3) > 0 AND stage_entered_at <= $4 \
             AND ((stage = $5 AND stage_entered_at < $6))"
        );
        assert_eq!(query.binds[2], Bind::Text("%_'".into()));
    }

    #[test]
    fn an_empty_overdue_list_admits_nothing_and_a_blank_search_everything() {
        let query = build(
            &CaseFilter {
                call_sign: Some("  ".into()),
                overdue: Some(Vec::new()),
                ..CaseFilter::default()
            },
            Dialect::Postgres,
        );
        assert_eq!(query.where_clause, "WHERE 1 = 0");
        assert!(query.binds.is_empty());
    }
}
