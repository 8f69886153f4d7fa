//! What the office keeps of link analysis: the groups of the last analysis (members and the kinds of key each pair
//! shares), the keys too common to link by (as kind and count), and which flags the linker already raised.
//!
//! Architecture invariant: no identifier and no blind index is stored here. The linker keeps its keys in memory
//! only; what is written names case ids and key kinds, so the cluster pages can never show a phone number.
//!
//! Like screening, link analysis runs on its own pool over the same database and migrations.

use async_trait::async_trait;
use sito_core::CaseId;
use sqlx::Row;
use sqlx::sqlite::SqlitePool;

use crate::{Result, StoreError};

/// One link of a group: two members (positions in `members`) and the kinds of key they share.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupLink {
    pub a: usize,
    pub b: usize,
    pub kinds: Vec<String>,
}

/// A group of applications connected by shared keys, as the analysis found it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkGroup {
    /// Stable for the same members: derived from their case ids.
    pub id: String,
    pub flagged: bool,
    pub members: Vec<CaseId>,
    pub links: Vec<GroupLink>,
}

impl LinkGroup {
    /// Every kind of key shared somewhere in the group, sorted.
    pub fn kinds(&self) -> Vec<String> {
        let mut kinds: Vec<String> = self
            .links
            .iter()
            .flat_map(|link| link.kinds.iter().cloned())
            .collect();
        kinds.sort_unstable();
        kinds.dedup();
        kinds
    }
}

/// A member as the pages show it: the case's call sign and state, never its content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupMember {
    pub case: CaseId,
    pub call_sign: String,
    pub status: String,
    pub stage: String,
    pub open_flags: u32,
}

/// A group with its members' list rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupDetail {
    pub group: LinkGroup,
    pub members: Vec<GroupMember>,
}

/// A key held by more applications than the linking limit: its kind and how many hold it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkSignal {
    pub kind: String,
    pub holders: u64,
}

/// When the stored analysis was made and over how many applications.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AnalysisInfo {
    pub computed_at: i64,
    pub applications: u64,
}

#[async_trait]
pub trait LinkStore: Send + Sync {
    /// Cases still holding content (not crypto-shredded) that arrived in the office after `after` (a position
    /// this method returned before; 0 for the start), in arrival order, with their positions.
    async fn cases_after(&self, after: i64, limit: u32) -> Result<Vec<(i64, CaseId)>>;
    /// How many cases were crypto-shredded so far (cheap: the linker forgets their keys when it changes).
    async fn shredded_count(&self) -> Result<u64>;
    async fn shredded_cases(&self) -> Result<Vec<CaseId>>;
    /// Replaces the stored analysis with this one, in one transaction.
    async fn replace_analysis(
        &self,
        groups: &[LinkGroup],
        signals: &[LinkSignal],
        applications: u64,
        now: i64,
    ) -> Result<()>;
    async fn analysis(&self) -> Result<Option<AnalysisInfo>>;
    /// Flagged (or unflagged) groups with their members, largest first, at most `limit`.
    async fn groups(&self, flagged: bool, limit: u32) -> Result<Vec<GroupDetail>>;
    /// Groups that are not flagged (linked by one kind of key only): how many, and how many applications.
    async fn unflagged_counts(&self) -> Result<(u64, u64)>;
    /// The group a case belongs to, if any.
    async fn group_of(&self, case: CaseId) -> Result<Option<GroupDetail>>;
    async fn signals(&self) -> Result<Vec<LinkSignal>>;
    /// Every flag ever raised on the case (by screening or linking): a dismissed flag is not raised again.
    async fn raised_flags(&self, case: CaseId) -> Result<Vec<String>>;
    async fn record_raised_flag(&self, case: CaseId, flag: &str) -> Result<()>;
}

/// Opens the links store on the backend `url` names.
pub async fn open(url: &str) -> crate::Result<Box<dyn LinkStore>> {
    Ok(match crate::Backend::of(url)? {
        crate::Backend::Sqlite => Box::new(SqliteLinkStore::open(url).await?),
        crate::Backend::Postgres => Box::new(crate::postgres::PgLinkStore::open(url).await?),
    })
}

pub struct SqliteLinkStore {
    pool: SqlitePool,
}

impl SqliteLinkStore {
    pub async fn open(url: &str) -> Result<Self> {
        Ok(Self {
            pool: crate::sqlite::open_pool(url, 2).await?,
        })
    }
}

pub(crate) fn case_id(text: &str) -> Result<CaseId> {
    text.parse()
        .map_err(|_| StoreError::Corrupt(format!("case id `{text}`")))
}

pub(crate) type StoredLinks = Vec<(usize, usize, Vec<String>)>;

pub(crate) fn decode_links(json: &str) -> Result<Vec<GroupLink>> {
    let links: StoredLinks = serde_json::from_str(json)
        .map_err(|error| StoreError::Corrupt(format!("link group: {error}")))?;
    Ok(links
        .into_iter()
        .map(|(a, b, kinds)| GroupLink { a, b, kinds })
        .collect())
}

impl SqliteLinkStore {
    async fn detail(&self, group_id: &str, flagged: bool, links: &str) -> Result<GroupDetail> {
        let rows = sqlx::query(
            "SELECT m.case_id, c.call_sign, c.status, c.stage, c.open_flags FROM link_group_members m \
             JOIN cases c ON c.id = m.case_id WHERE m.group_id = $1 ORDER BY m.position",
        )
        .bind(group_id)
        .fetch_all(&self.pool)
        .await?;
        let members = rows
            .iter()
            .map(|row| {
                Ok(GroupMember {
                    case: case_id(row.try_get("case_id")?)?,
                    call_sign: row.try_get("call_sign")?,
                    status: row.try_get("status")?,
                    stage: row.try_get("stage")?,
                    open_flags: row.try_get::<i64, _>("open_flags")?.max(0) as u32,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let links = decode_links(links)?;
        if links
            .iter()
            .any(|link| link.a >= members.len() || link.b >= members.len())
        {
            return Err(StoreError::Corrupt(format!(
                "link group {group_id}: a link names a missing member"
            )));
        }
        Ok(GroupDetail {
            group: LinkGroup {
                id: group_id.to_owned(),
                flagged,
                members: members.iter().map(|member| member.case).collect(),
                links,
            },
            members,
        })
    }
}

#[async_trait]
impl LinkStore for SqliteLinkStore {
    async fn cases_after(&self, after: i64, limit: u32) -> Result<Vec<(i64, CaseId)>> {
        let rows = sqlx::query(
            "SELECT rowid AS position, id FROM cases WHERE rowid > $1 AND shredded_at IS NULL \
             ORDER BY rowid LIMIT $2",
        )
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("position")?, case_id(row.try_get("id")?)?)))
            .collect()
    }

    async fn shredded_count(&self) -> Result<u64> {
        let count: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM cases WHERE shredded_at IS NOT NULL")
                .fetch_one(&self.pool)
                .await?
                .try_get("n")?;
        Ok(count.max(0) as u64)
    }

    async fn shredded_cases(&self) -> Result<Vec<CaseId>> {
        let rows = sqlx::query("SELECT id FROM cases WHERE shredded_at IS NOT NULL")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|row| case_id(row.try_get("id")?)).collect()
    }

    async fn replace_analysis(
        &self,
        groups: &[LinkGroup],
        signals: &[LinkSignal],
        applications: u64,
        now: i64,
    ) -> Result<()> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        for statement in [
            "DELETE FROM link_group_members",
            "DELETE FROM link_groups",
            "DELETE FROM link_signals",
        ] {
            sqlx::query(statement).execute(&mut *tx).await?;
        }
        for group in groups {
            let links: StoredLinks = group
                .links
                .iter()
                .map(|link| (link.a, link.b, link.kinds.clone()))
                .collect();
            let links = serde_json::to_string(&links)
                .map_err(|error| StoreError::Corrupt(format!("link group: {error}")))?;
            sqlx::query(
                "INSERT INTO link_groups (id, flagged, size, kinds, links) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&group.id)
            .bind(i64::from(group.flagged))
            .bind(group.members.len() as i64)
            .bind(group.kinds().join(","))
            .bind(links)
            .execute(&mut *tx)
            .await?;
            for (position, member) in group.members.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO link_group_members (case_id, group_id, position) VALUES ($1, $2, $3)",
                )
                .bind(member.to_string())
                .bind(&group.id)
                .bind(position as i64)
                .execute(&mut *tx)
                .await
                .map_err(|error| match error {
                    // Groups partition the applications: a case in two groups is a caller's bug.
                    sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Duplicate,
                    other => StoreError::Database(other),
                })?;
            }
        }
        for signal in signals {
            sqlx::query("INSERT INTO link_signals (kind, holders) VALUES ($1, $2)")
                .bind(&signal.kind)
                .bind(signal.holders as i64)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "INSERT INTO link_analysis (id, computed_at, applications) VALUES (1, $1, $2) \
             ON CONFLICT (id) DO UPDATE SET computed_at = excluded.computed_at, \
             applications = excluded.applications",
        )
        .bind(now)
        .bind(applications as i64)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn analysis(&self) -> Result<Option<AnalysisInfo>> {
        let row = sqlx::query("SELECT computed_at, applications FROM link_analysis WHERE id = 1")
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| {
            Ok(AnalysisInfo {
                computed_at: row.try_get("computed_at")?,
                applications: row.try_get::<i64, _>("applications")?.max(0) as u64,
            })
        })
        .transpose()
    }

    async fn groups(&self, flagged: bool, limit: u32) -> Result<Vec<GroupDetail>> {
        let rows = sqlx::query(
            "SELECT id, links FROM link_groups WHERE flagged = $1 ORDER BY size DESC, id LIMIT $2",
        )
        .bind(i64::from(flagged))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let mut groups = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: String = row.try_get("id")?;
            let links: String = row.try_get("links")?;
            groups.push(self.detail(&id, flagged, &links).await?);
        }
        Ok(groups)
    }

    async fn unflagged_counts(&self) -> Result<(u64, u64)> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS groups, COALESCE(SUM(size), 0) AS members FROM link_groups WHERE flagged = 0",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok((
            row.try_get::<i64, _>("groups")?.max(0) as u64,
            row.try_get::<i64, _>("members")?.max(0) as u64,
        ))
    }

    async fn group_of(&self, case: CaseId) -> Result<Option<GroupDetail>> {
        let row = sqlx::query(
            "SELECT g.id, g.flagged, g.links FROM link_group_members m \
             JOIN link_groups g ON g.id = m.group_id WHERE m.case_id = $1",
        )
        .bind(case.to_string())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let id: String = row.try_get("id")?;
        let flagged: i64 = row.try_get("flagged")?;
        let links: String = row.try_get("links")?;
        Ok(Some(self.detail(&id, flagged != 0, &links).await?))
    }

    async fn signals(&self) -> Result<Vec<LinkSignal>> {
        let rows =
            sqlx::query("SELECT kind, holders FROM link_signals ORDER BY holders DESC, kind")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|row| {
                Ok(LinkSignal {
                    kind: row.try_get("kind")?,
                    holders: row.try_get::<i64, _>("holders")?.max(0) as u64,
                })
            })
            .collect()
    }

    async fn raised_flags(&self, case: CaseId) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT flag FROM raised_flags WHERE case_id = $1 ORDER BY flag")
            .bind(case.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|row| Ok(row.try_get("flag")?)).collect()
    }

    async fn record_raised_flag(&self, case: CaseId, flag: &str) -> Result<()> {
        sqlx::query("INSERT OR IGNORE INTO raised_flags (case_id, flag) VALUES ($1, $2)")
            .bind(case.to_string())
            .bind(flag)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
