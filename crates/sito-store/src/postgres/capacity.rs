//! Capacity planning's read of the event log on PostgreSQL: the same columns as `crate::capacity`'s query, the stage
//! names and the closure extracted from the payload inside PostgreSQL, so nothing else leaves the database.
use sqlx::postgres::PgPool;

use crate::Result;
use crate::capacity::{FlowEvent, flow_from_rows};

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
    flow_from_rows(&rows)
}
