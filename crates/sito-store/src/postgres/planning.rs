//! Planning's store on PostgreSQL (see `crate::planning`).
use async_trait::async_trait;
use sito_core::CaseId;
use sqlx::Row;
use sqlx::postgres::{PgPool, PgRow};

use crate::planning::{
    Appointment, CalendarEntry, Draft, LocationKind, PlanningRole, PlanningStore, SafeLocation,
    Weekdays, corrupt, small,
};
use crate::{Result, StoreError};

pub struct PgPlanningStore {
    pool: PgPool,
}

impl PgPlanningStore {
    pub async fn open(url: &str) -> Result<Self> {
        Ok(Self {
            pool: super::open_pool(url, 2).await?,
        })
    }
}

fn location_from_row(row: &PgRow) -> Result<SafeLocation> {
    let kind: String = row.try_get("kind")?;
    Ok(SafeLocation {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        kind: LocationKind::parse(&kind).ok_or_else(|| corrupt("location kind", &kind))?,
        capacity: u32::try_from(row.try_get::<i64, _>("capacity")?)
            .map_err(|_| corrupt("capacity", "negative"))?,
        open_days: Weekdays(small(row.try_get("open_days")?, "open days")?),
        open_hour: small(row.try_get("open_hour")?, "open hour")?,
        close_hour: small(row.try_get("close_hour")?, "close hour")?,
        pickup_point: row.try_get("pickup_point")?,
    })
}

fn entry_from_row(row: &PgRow) -> Result<CalendarEntry> {
    let role: String = row.try_get("role")?;
    let cap: Option<i64> = row.try_get("max_tasks_per_day")?;
    Ok(CalendarEntry {
        call_sign: row.try_get("call_sign")?,
        role: PlanningRole::parse(&role).ok_or_else(|| corrupt("role", &role))?,
        location: row.try_get("location")?,
        work_days: Weekdays(small(row.try_get("work_days")?, "work days")?),
        max_tasks_per_day: cap
            .map(|cap| u32::try_from(cap).map_err(|_| corrupt("cap", &cap.to_string())))
            .transpose()?,
    })
}

fn appointment_from_row(row: &PgRow) -> Result<Appointment> {
    let case: String = row.try_get("case_id")?;
    let by: String = row.try_get("committed_by")?;
    Ok(Appointment {
        case: case.parse().map_err(|_| corrupt("case id", &case))?,
        week: row.try_get("week")?,
        location: row.try_get("location")?,
        arrive_day: row.try_get("arrive_day")?,
        leave_day: row.try_get("leave_day")?,
        tasks: row.try_get("tasks")?,
        committed_by: by.parse().map_err(|_| corrupt("staff id", &by))?,
        committed_at: row.try_get("committed_at")?,
    })
}

/// A refused foreign key means the row names something that does not exist (or is still named by others).
fn foreign_key(error: sqlx::Error, missing: StoreError) -> StoreError {
    match error {
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => missing,
        other => StoreError::Database(other),
    }
}

#[async_trait]
impl PlanningStore for PgPlanningStore {
    async fn locations(&self) -> Result<Vec<SafeLocation>> {
        sqlx::query("SELECT * FROM planning_locations ORDER BY id")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(location_from_row)
            .collect()
    }

    async fn save_location(&self, location: &SafeLocation) -> Result<()> {
        sqlx::query(
            "INSERT INTO planning_locations (id, name, kind, capacity, open_days, open_hour, close_hour, \
             pickup_point) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO UPDATE SET \
             name = excluded.name, kind = excluded.kind, capacity = excluded.capacity, \
             open_days = excluded.open_days, open_hour = excluded.open_hour, close_hour = excluded.close_hour, \
             pickup_point = excluded.pickup_point",
        )
        .bind(&location.id)
        .bind(&location.name)
        .bind(location.kind.as_str())
        .bind(i64::from(location.capacity))
        .bind(i64::from(location.open_days.0))
        .bind(i64::from(location.open_hour))
        .bind(i64::from(location.close_hour))
        .bind(&location.pickup_point)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn delete_location(&self, id: &str) -> Result<()> {
        let deleted = sqlx::query("DELETE FROM planning_locations WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(|error| foreign_key(error, StoreError::Conflict))?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn calendar(&self) -> Result<Vec<CalendarEntry>> {
        sqlx::query("SELECT * FROM planning_staff ORDER BY location, role, call_sign")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(entry_from_row)
            .collect()
    }

    async fn save_calendar_entry(&self, entry: &CalendarEntry) -> Result<()> {
        sqlx::query(
            "INSERT INTO planning_staff (call_sign, role, location, work_days, max_tasks_per_day) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (call_sign) DO UPDATE SET role = excluded.role, \
             location = excluded.location, work_days = excluded.work_days, \
             max_tasks_per_day = excluded.max_tasks_per_day",
        )
        .bind(&entry.call_sign)
        .bind(entry.role.as_str())
        .bind(&entry.location)
        .bind(i64::from(entry.work_days.0))
        .bind(entry.max_tasks_per_day.map(i64::from))
        .execute(&self.pool)
        .await
        .map_err(|error| foreign_key(error, StoreError::NotFound))?;
        Ok(())
    }

    async fn delete_calendar_entry(&self, call_sign: &str) -> Result<()> {
        let deleted = sqlx::query("DELETE FROM planning_staff WHERE call_sign = $1")
            .bind(call_sign)
            .execute(&self.pool)
            .await?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn draft(&self, week: i64) -> Result<Option<Draft>> {
        let Some(row) = sqlx::query("SELECT * FROM planning_drafts WHERE week = $1")
            .bind(week)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let by: String = row.try_get("built_by")?;
        Ok(Some(Draft {
            week: row.try_get("week")?,
            plan: row.try_get("plan")?,
            case_versions: row.try_get("case_versions")?,
            built_at: row.try_get("built_at")?,
            built_by: by.parse().map_err(|_| corrupt("staff id", &by))?,
        }))
    }

    async fn save_draft(&self, draft: &Draft) -> Result<()> {
        sqlx::query(
            "INSERT INTO planning_drafts (week, plan, case_versions, built_at, built_by) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (week) DO UPDATE SET plan = excluded.plan, \
             case_versions = excluded.case_versions, built_at = excluded.built_at, built_by = excluded.built_by",
        )
        .bind(draft.week)
        .bind(&draft.plan)
        .bind(&draft.case_versions)
        .bind(draft.built_at)
        .bind(draft.built_by.to_string())
        .execute(&self.pool)
        .await
        .map_err(|error| foreign_key(error, StoreError::NotFound))?;
        Ok(())
    }

    async fn pins(&self, week: i64) -> Result<Vec<(CaseId, String)>> {
        sqlx::query(
            "SELECT case_id, assignment FROM planning_pins WHERE week = $1 ORDER BY case_id",
        )
        .bind(week)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            let case: String = row.try_get("case_id")?;
            Ok((
                case.parse().map_err(|_| corrupt("case id", &case))?,
                row.try_get("assignment")?,
            ))
        })
        .collect()
    }

    async fn set_pin(&self, week: i64, case: CaseId, assignment: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO planning_pins (week, case_id, assignment) VALUES ($1, $2, $3) \
             ON CONFLICT (week, case_id) DO UPDATE SET assignment = excluded.assignment",
        )
        .bind(week)
        .bind(case.to_string())
        .bind(assignment)
        .execute(&self.pool)
        .await
        .map_err(|error| foreign_key(error, StoreError::NotFound))?;
        Ok(())
    }

    async fn remove_pin(&self, week: i64, case: CaseId) -> Result<()> {
        sqlx::query("DELETE FROM planning_pins WHERE week = $1 AND case_id = $2")
            .bind(week)
            .bind(case.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn record_appointments(&self, appointments: &[Appointment]) -> Result<u64> {
        let mut tx = self.pool.begin().await?;
        let mut added = 0;
        for appointment in appointments {
            let inserted = sqlx::query(
                "INSERT INTO planning_appointments (case_id, week, location, arrive_day, leave_day, tasks, \
                 committed_by, committed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (case_id) DO NOTHING",
            )
            .bind(appointment.case.to_string())
            .bind(appointment.week)
            .bind(&appointment.location)
            .bind(appointment.arrive_day)
            .bind(appointment.leave_day)
            .bind(&appointment.tasks)
            .bind(appointment.committed_by.to_string())
            .bind(appointment.committed_at)
            .execute(&mut *tx)
            .await
            .map_err(|error| foreign_key(error, StoreError::NotFound))?;
            added += inserted.rows_affected();
        }
        tx.commit().await?;
        Ok(added)
    }

    async fn appointments_between(&self, from_day: i64, to_day: i64) -> Result<Vec<Appointment>> {
        sqlx::query(
            "SELECT * FROM planning_appointments WHERE leave_day >= $1 AND arrive_day <= $2 \
             ORDER BY arrive_day, location, case_id",
        )
        .bind(from_day)
        .bind(to_day)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(appointment_from_row)
        .collect()
    }

    async fn cases_with_appointments(&self) -> Result<Vec<CaseId>> {
        sqlx::query("SELECT case_id FROM planning_appointments ORDER BY case_id")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| {
                let case: String = row.try_get("case_id")?;
                case.parse().map_err(|_| corrupt("case id", &case))
            })
            .collect()
    }

    async fn forget_appointments(&self, cases: &[CaseId]) -> Result<u64> {
        let ids: Vec<String> = cases.iter().map(ToString::to_string).collect();
        let removed = sqlx::query("DELETE FROM planning_appointments WHERE case_id = ANY($1)")
            .bind(&ids)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(removed)
    }
}
