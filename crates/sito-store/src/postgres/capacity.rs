//! Capacity planning's read of the event log on PostgreSQL: as `crate::capacity`, only stage names and the closure
//! leave the database (extracted from the payload inside PostgreSQL), cases numbered in answer order.
use sito_core::StaffId;
use sqlx::Row;
use sqlx::postgres::PgPool;

use crate::capacity::{FlowEvent, FlowKind, parse_closure};
use crate::{Result, StoreError};

const FLOW_QUERY: &str = "\
    SELECT e.case_id, e.at, e.actor, e.kind, \
           e.payload::jsonb ->> 'stage' AS stage, \
           e.payload::jsonb ->> 'from' AS from_stage, \
           e.payload::jsonb ->> 'to' AS to_stage, \
           e.payload::jsonb ->> 'closure' AS closure \
    FROM case_events e JOIN cases c ON c.id = e.case_id \
    WHERE c.updated_at >= $1 AND e.kind IN ('received', 'stage_advanced', 'closed', 'reopened') \
    ORDER BY e.case_id, e.seq";

pub(super) async fn case_flow(pool: &PgPool, since: i64) -> Result<Vec<FlowEvent>> {
    let rows = sqlx::query(FLOW_QUERY).bind(since).fetch_all(pool).await?;
    let mut events = Vec::with_capacity(rows.len());
    let mut current_case: Option<String> = None;
    let mut case_number: u32 = 0;
    for row in &rows {
        let case_id: String = row.try_get("case_id")?;
        if current_case.as_deref() != Some(case_id.as_str()) {
            if current_case.is_some() {
                case_number = case_number.saturating_add(1);
            }
            current_case = Some(case_id);
        }
        let text = |column: &str| -> Result<String> {
            row.try_get::<Option<String>, _>(column)?
                .ok_or_else(|| StoreError::Corrupt(format!("flow event without `{column}`")))
        };
        let kind = match row.try_get::<&str, _>("kind")? {
            "received" => FlowKind::Received {
                stage: text("stage")?,
            },
            "stage_advanced" => FlowKind::Advanced {
                from: text("from_stage")?,
                to: text("to_stage")?,
            },
            "closed" => FlowKind::Closed {
                closure: parse_closure(&text("closure")?)?,
            },
            _ => FlowKind::Reopened,
        };
        let actor = row
            .try_get::<Option<String>, _>("actor")?
            .map(|actor| {
                actor
                    .parse::<StaffId>()
                    .map_err(|_| StoreError::Corrupt("flow event actor is not a staff id".into()))
            })
            .transpose()?;
        events.push(FlowEvent {
            case: case_number,
            at: row.try_get("at")?,
            actor,
            kind,
        });
    }
    Ok(events)
}
