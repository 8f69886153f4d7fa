//! Link analysis's store on PostgreSQL (see `crate::links`): no identifier and no blind index is stored.
use async_trait::async_trait;
use sito_core::CaseId;
use sqlx::Row;
use sqlx::postgres::PgPool;

use crate::links::{
    AnalysisInfo, GroupDetail, GroupMember, LinkGroup, LinkSignal, LinkStore, StoredLinks, case_id,
    decode_links,
};
use crate::{Result, StoreError};

pub struct PgLinkStore {
    pool: PgPool,
}

impl PgLinkStore {
    pub async fn open(url: &str) -> Result<Self> {
        Ok(Self {
            pool: super::open_pool(url, 2).await?,
        })
    }

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
                    open_flags: super::clamp_u32(row.try_get("open_flags")?),
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
impl LinkStore for PgLinkStore {
    async fn cases_after(&self, after: i64, limit: u32) -> Result<Vec<(i64, CaseId)>> {
        let rows = sqlx::query(
            "SELECT position, id FROM cases WHERE position > $1 AND shredded_at IS NULL \
             ORDER BY position LIMIT $2",
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
        let rows =
            sqlx::query("SELECT id FROM cases WHERE shredded_at IS NOT NULL ORDER BY position")
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
        let mut tx = self.pool.begin().await?;
        // Two instances replacing the analysis at once would interleave their deletes and inserts: one at a time.
        sqlx::query("LOCK TABLE link_analysis IN EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await?;
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
            .bind(group.flagged)
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
                // Groups partition the applications: a case in two groups is a caller's bug.
                .map_err(|error| super::unique_as(error, StoreError::Duplicate))?;
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
        .bind(flagged)
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
            "SELECT COUNT(*) AS groups, COALESCE(SUM(size), 0)::BIGINT AS members FROM link_groups \
             WHERE NOT flagged",
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
        let links: String = row.try_get("links")?;
        Ok(Some(
            self.detail(&id, row.try_get("flagged")?, &links).await?,
        ))
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
        super::screening::raised_flags(&self.pool, case).await
    }

    async fn record_raised_flag(&self, case: CaseId, flag: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO raised_flags (case_id, flag) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(case.to_string())
        .bind(flag)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
