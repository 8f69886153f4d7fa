//! What the office keeps for planning visits to safe locations: the locations, the staff calendar, the week's draft
//! plan with its pins, and the appointments committed into cases. Plans, pins and tasks are stored as the caller's
//! own JSON, so this crate needs no knowledge of the scheduler's types (as screening stores the importer's JSON).
//!
//! Like screening, planning runs on its own small pool over the same database and migrations. Committing a plan
//! appends an event to each case through `Store::append` (audited, optimistic); `record_appointments` then keeps
//! the appointment rows, and ignores a case that already has one, so a re-submitted commit changes nothing.
use async_trait::async_trait;
use sito_core::{CaseId, StaffId};
use sqlx::Row;
use sqlx::sqlite::{SqlitePool, SqliteRow};

use crate::{Result, StoreError};

// The value types live in the core so the planning engine plans with them without depending on the store.
pub use sito_core::planning::{CalendarEntry, LocationKind, PlanningRole, SafeLocation, Weekdays};

/// The latest plan built for a week. `week` is the Monday as a Unix day number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Draft {
    pub week: i64,
    pub plan: String,
    pub case_versions: String,
    pub built_at: i64,
    pub built_by: StaffId,
}

/// A visit committed into a case. Days are Unix day numbers; `tasks` is the caller's JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Appointment {
    pub case: CaseId,
    pub week: i64,
    pub location: String,
    pub arrive_day: i64,
    pub leave_day: i64,
    pub tasks: String,
    pub committed_by: StaffId,
    pub committed_at: i64,
}

#[async_trait]
pub trait PlanningStore: Send + Sync {
    async fn locations(&self) -> Result<Vec<SafeLocation>>;
    /// Creates the location or replaces the one with the same id.
    async fn save_location(&self, location: &SafeLocation) -> Result<()>;
    /// `Conflict` while staff or appointments still refer to it.
    async fn delete_location(&self, id: &str) -> Result<()>;
    async fn calendar(&self) -> Result<Vec<CalendarEntry>>;
    /// Creates the entry or replaces the one with the same call sign; `NotFound` for an unknown location.
    async fn save_calendar_entry(&self, entry: &CalendarEntry) -> Result<()>;
    async fn delete_calendar_entry(&self, call_sign: &str) -> Result<()>;
    async fn draft(&self, week: i64) -> Result<Option<Draft>>;
    async fn save_draft(&self, draft: &Draft) -> Result<()>;
    /// The week's pinned assignments as `(case, assignment JSON)`.
    async fn pins(&self, week: i64) -> Result<Vec<(CaseId, String)>>;
    async fn set_pin(&self, week: i64, case: CaseId, assignment: &str) -> Result<()>;
    async fn remove_pin(&self, week: i64, case: CaseId) -> Result<()>;
    /// Keeps these appointments, skipping any case that already has one; returns how many were new.
    async fn record_appointments(&self, appointments: &[Appointment]) -> Result<u64>;
    /// Appointments whose visit overlaps the days `[from_day, to_day]`, by arrival.
    async fn appointments_between(&self, from_day: i64, to_day: i64) -> Result<Vec<Appointment>>;
    /// Every case that has an appointment (they are not planned again).
    async fn cases_with_appointments(&self) -> Result<Vec<CaseId>>;
    /// Removes the appointments of these cases (a commit that could not book them, or one a crash cut short).
    async fn forget_appointments(&self, cases: &[CaseId]) -> Result<u64>;
}

/// Opens the planning store on the backend `url` names.
pub async fn open(url: &str) -> crate::Result<Box<dyn PlanningStore>> {
    Ok(match crate::Backend::of(url)? {
        crate::Backend::Sqlite => Box::new(SqlitePlanningStore::open(url).await?),
        crate::Backend::Postgres => Box::new(crate::postgres::PgPlanningStore::open(url).await?),
    })
}

pub struct SqlitePlanningStore {
    pool: SqlitePool,
}

impl SqlitePlanningStore {
    pub async fn open(url: &str) -> Result<Self> {
        Ok(Self {
            pool: crate::sqlite::open_pool(url, 2).await?,
        })
    }
}

pub(crate) fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("planning: {what} `{value}`"))
}

pub(crate) fn small(value: i64, what: &str) -> Result<u8> {
    u8::try_from(value).map_err(|_| corrupt(what, &value.to_string()))
}

fn location_from_row(row: &SqliteRow) -> Result<SafeLocation> {
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

fn entry_from_row(row: &SqliteRow) -> Result<CalendarEntry> {
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

fn appointment_from_row(row: &SqliteRow) -> Result<Appointment> {
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
impl PlanningStore for SqlitePlanningStore {
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
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
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

    async fn forget_appointments(&self, cases: &[CaseId]) -> Result<u64> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let mut removed = 0;
        for case in cases {
            removed += sqlx::query("DELETE FROM planning_appointments WHERE case_id = $1")
                .bind(case.to_string())
                .execute(&mut *tx)
                .await?
                .rows_affected();
        }
        tx.commit().await?;
        Ok(removed)
    }

    async fn cases_with_appointments(&self) -> Result<Vec<CaseId>> {
        sqlx::query("SELECT case_id FROM planning_appointments")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| {
                let case: String = row.try_get("case_id")?;
                case.parse().map_err(|_| corrupt("case id", &case))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn store() -> (SqlitePlanningStore, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}/office.db", dir.path().display());
        (SqlitePlanningStore::open(&url).await.expect("open"), dir)
    }

    fn house(id: &str) -> SafeLocation {
        SafeLocation {
            id: id.into(),
            name: format!("House {id}"),
            kind: LocationKind::SafeHouse,
            capacity: 3,
            open_days: Weekdays::MONDAY_TO_FRIDAY,
            open_hour: 8,
            close_hour: 18,
            pickup_point: "railway station".into(),
        }
    }

    #[tokio::test]
    async fn locations_and_calendar_round_trip_and_refuse_dangling_references() {
        let (store, _dir) = store().await;
        store.save_location(&house("north")).await.expect("save");
        let mut changed = house("north");
        changed.capacity = 5;
        store.save_location(&changed).await.expect("replace");
        assert_eq!(store.locations().await.expect("list"), vec![changed]);

        let entry = CalendarEntry {
            call_sign: "heron".into(),
            role: PlanningRole::Psychologist,
            location: "north".into(),
            work_days: Weekdays(0b101),
            max_tasks_per_day: Some(3),
        };
        store.save_calendar_entry(&entry).await.expect("save entry");
        assert_eq!(store.calendar().await.expect("calendar"), vec![entry]);
        let elsewhere = CalendarEntry {
            call_sign: "wolf".into(),
            role: PlanningRole::Examiner,
            location: "nowhere".into(),
            work_days: Weekdays::EVERY_DAY,
            max_tasks_per_day: None,
        };
        assert!(matches!(
            store.save_calendar_entry(&elsewhere).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            store.delete_location("north").await,
            Err(StoreError::Conflict)
        ));
        store.delete_calendar_entry("heron").await.expect("delete");
        store.delete_location("north").await.expect("now free");
        assert!(store.locations().await.expect("list").is_empty());
    }

    #[test]
    fn weekdays_count_from_monday() {
        assert!(Weekdays::MONDAY_TO_FRIDAY.contains(0));
        assert!(Weekdays::MONDAY_TO_FRIDAY.contains(4));
        assert!(!Weekdays::MONDAY_TO_FRIDAY.contains(5));
        assert!(!Weekdays::EVERY_DAY.contains(7));
    }
}
