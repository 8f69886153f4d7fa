//! What capacity planning reads of the event log: when cases arrived, moved between stages, left and came back,
//! and which staff member moved them. Nothing else leaves the database: no case id (cases are numbered in the
//! order of the answer), no content, no notes or reasons (only the stage names and the closure are taken out of
//! the event payloads, inside SQLite).
use sito_core::StaffId;
// The flow's types live in the core so the planning engine reads them without depending on the store.
pub use sito_core::flow::{FlowEvent, FlowKind};
use sito_core::machine::Closure;
use sqlx::Row;
use sqlx::sqlite::SqlitePool;

use crate::{Result, StoreError};

const FLOW_QUERY: &str = "\
    SELECT e.case_id, e.at, e.actor, e.kind, \
           json_extract(e.payload, '$.stage') AS stage, \
           json_extract(e.payload, '$.from') AS from_stage, \
           json_extract(e.payload, '$.to') AS to_stage, \
           json_extract(e.payload, '$.closure') AS closure \
    FROM case_events e JOIN cases c ON c.id = e.case_id \
    WHERE c.updated_at >= $1 AND e.kind IN ('received', 'stage_advanced', 'closed', 'reopened') \
    ORDER BY e.case_id, e.seq";

/// Every flow event of the cases changed at or after `since`, each case's events in order. Whole histories are
/// returned (not only the events after `since`) because a service that ends inside a window began when the case
/// entered the stage, which may be earlier.
pub(crate) async fn sqlite_case_flow(pool: &SqlitePool, since: i64) -> Result<Vec<FlowEvent>> {
    let rows = sqlx::query(FLOW_QUERY).bind(since).fetch_all(pool).await?;
    flow_from_rows(&rows)
}

/// The flow events of rows with the columns of `FLOW_QUERY` (each backend extracts the payload fields in its own
/// dialect), ordered by case and sequence.
pub(crate) fn flow_from_rows<R>(rows: &[R]) -> Result<Vec<FlowEvent>>
where
    R: Row,
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let mut events = Vec::with_capacity(rows.len());
    let mut current_case: Option<String> = None;
    let mut case_number: u32 = 0;
    for row in rows {
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
        let kind: String = row.try_get("kind")?;
        let kind = match kind.as_str() {
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

fn parse_closure(text: &str) -> Result<Closure> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|_| StoreError::Corrupt(format!("unknown closure `{text}`")))
}
