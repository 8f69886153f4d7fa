//! Alert rules over the audit log (invariant 5): unusual reading raises an alert for the auditor. Alerts are
//! themselves audit entries (`alert.*`), so they are chained and cannot be removed quietly either.
//!
//! Rules, thresholds in `OfficeConfig`:
//! - `alert.reads_per_hour`: a staff member's identity reads in the last hour exceed `alert_reads_per_hour`;
//! - `alert.outside_assignment`: identity read of a case whose current stage another role owns;
//! - `alert.out_of_hours`: a bulk action, or an identity read, outside `work_hours` (UTC);
//! - `alert.sign_in_failures`: an account's failed sign-ins in a row reach `alert_sign_in_failures` (and each
//!   doubling of it). This one is for the administrators too, who can reset the account's password and
//!   authenticator; someone may be guessing, or the staff member may be locked out of their authenticator.
use sito_store::audit::AuditInput;

use crate::auth::Staff;
use crate::{AppState, now_ms};

/// The audit action of a read of identity data; the case page writes it, the hourly count here reads it.
pub const IDENTITY_READ: &str = "identity.read";

pub const READS_PER_HOUR: &str = "alert.reads_per_hour";
pub const OUTSIDE_ASSIGNMENT: &str = "alert.outside_assignment";
pub const OUT_OF_HOURS: &str = "alert.out_of_hours";
pub const SIGN_IN_FAILURES: &str = "alert.sign_in_failures";

/// Whether the `failures`-th failure in a row raises the burst alert: at the threshold and at each doubling of it,
/// so a long attack alerts a handful of times rather than once per guess.
pub fn sign_in_burst(failures: u32, threshold: u32) -> bool {
    let threshold = threshold.max(1);
    failures >= threshold
        && failures.is_multiple_of(threshold)
        && (failures / threshold).is_power_of_two()
}

/// Records the burst alert when a failed sign-in crosses the threshold. Like the other rules, a failure to record
/// is logged, not returned: the refusal the visitor gets must not depend on it.
pub async fn after_sign_in_failure(
    state: &AppState,
    account: &sito_store::StaffRecord,
    failures: u32,
) {
    if !sign_in_burst(failures, state.config.alert_sign_in_failures) {
        return;
    }
    let alert = AuditInput {
        at_ms: now_ms(),
        actor: account.id.to_string(),
        action: SIGN_IN_FAILURES.to_owned(),
        subject: account.id.to_string(),
        detail: format!(
            "{} ({}): {failures} failed sign-ins in a row",
            account.call_sign,
            account.role.as_str()
        ),
    };
    if let Err(error) = state.store.record_audit(&[alert]).await {
        tracing::error!(%error, "alert rules: cannot record alerts");
    }
}

/// Whether a Unix time falls inside the working hours `[start, end)` (UTC hours).
pub fn in_work_hours(at_ms: i64, (start, end): (u8, u8)) -> bool {
    let hour = (at_ms.div_euclid(1000).rem_euclid(86_400) / 3600) as u8;
    if start <= end {
        (start..end).contains(&hour)
    } else {
        hour >= start || hour < end
    }
}

/// The alerts an identity read raises, given the reader's reads in the last hour (this one included).
pub fn identity_read_alerts(
    config: &crate::OfficeConfig,
    staff: &Staff,
    case: &str,
    assigned: bool,
    reads_last_hour: u64,
    at_ms: i64,
) -> Vec<AuditInput> {
    let alert = |action: &str, detail: String| AuditInput {
        at_ms,
        actor: staff.id.to_string(),
        action: action.to_owned(),
        subject: case.to_owned(),
        detail,
    };
    let mut alerts = Vec::new();
    // Raised once when the threshold is crossed, not on every read after it.
    if reads_last_hour == config.alert_reads_per_hour + 1 {
        alerts.push(alert(
            READS_PER_HOUR,
            format!(
                "{} ({}) read more than {} identities in an hour",
                staff.call_sign,
                staff.role.as_str(),
                config.alert_reads_per_hour
            ),
        ));
    }
    if !assigned {
        alerts.push(alert(
            OUTSIDE_ASSIGNMENT,
            format!(
                "{} ({}) read the identity of a case their role does not hold",
                staff.call_sign,
                staff.role.as_str()
            ),
        ));
    }
    if !in_work_hours(at_ms, config.work_hours) {
        alerts.push(alert(
            OUT_OF_HOURS,
            format!("{} read an identity out of hours", staff.call_sign),
        ));
    }
    alerts
}

/// Checks the rules after an identity read and records what they raise. A failure here must not hide the page
/// the read was already audited for, so it is logged rather than returned.
pub async fn after_identity_read(state: &AppState, staff: &Staff, case: &str, assigned: bool) {
    let at_ms = now_ms();
    let reads = match state
        .store
        .audit_counts_since(IDENTITY_READ, at_ms - 3_600_000)
        .await
    {
        Ok(counts) => counts
            .into_iter()
            .find(|(actor, _)| *actor == staff.id.to_string())
            .map(|(_, reads)| reads)
            .unwrap_or(0),
        Err(error) => {
            tracing::error!(%error, "alert rules: cannot count reads");
            return;
        }
    };
    let alerts = identity_read_alerts(&state.config, staff, case, assigned, reads, at_ms);
    if let Err(error) = state.store.record_audit(&alerts).await {
        tracing::error!(%error, "alert rules: cannot record alerts");
    }
}

/// A bulk action out of hours is an alert whatever its size.
pub async fn after_bulk(state: &AppState, staff: &Staff, cases: usize) {
    let at_ms = now_ms();
    if in_work_hours(at_ms, state.config.work_hours) {
        return;
    }
    let alert = AuditInput {
        at_ms,
        actor: staff.id.to_string(),
        action: OUT_OF_HOURS.to_owned(),
        subject: "bulk".to_owned(),
        detail: format!(
            "{} acted on {cases} cases at once out of hours",
            staff.call_sign
        ),
    };
    if let Err(error) = state.store.record_audit(&[alert]).await {
        tracing::error!(%error, "alert rules: cannot record alerts");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staff() -> Staff {
        Staff {
            id: sito_core::StaffId::from_uuid(uuid::Uuid::from_u128(5)),
            call_sign: "owl".into(),
            role: sito_core::Role::SecurityOfficer,
            csrf: String::new(),
            lang: crate::i18n::Lang::En,
        }
    }

    const NOON: i64 = 1_800_000_000_000 - 1_800_000_000_000 % 86_400_000 + 12 * 3_600_000;

    #[test]
    fn rules_fire_on_their_own_conditions_only() {
        let config = crate::OfficeConfig::default();
        let actions = |assigned, reads, at| -> Vec<String> {
            identity_read_alerts(&config, &staff(), "case", assigned, reads, at)
                .into_iter()
                .map(|alert| alert.action)
                .collect()
        };
        assert!(actions(true, 1, NOON).is_empty());
        assert_eq!(actions(false, 1, NOON), [OUTSIDE_ASSIGNMENT]);
        assert_eq!(
            actions(true, config.alert_reads_per_hour + 1, NOON),
            [READS_PER_HOUR]
        );
        assert!(
            actions(true, config.alert_reads_per_hour + 2, NOON).is_empty(),
            "once per crossing"
        );
        assert_eq!(
            actions(true, 1, NOON + 12 * 3_600_000),
            [OUT_OF_HOURS],
            "midnight"
        );
    }

    #[test]
    fn a_burst_of_failures_alerts_at_the_threshold_and_each_doubling() {
        let raised: Vec<u32> = (1..=100).filter(|n| sign_in_burst(*n, 10)).collect();
        assert_eq!(raised, [10, 20, 40, 80]);
    }

    #[test]
    fn work_hours_may_wrap_midnight() {
        let hour = |h: i64| h * 3_600_000;
        assert!(in_work_hours(hour(7), (7, 20)));
        assert!(!in_work_hours(hour(20), (7, 20)));
        assert!(in_work_hours(hour(23), (22, 6)));
        assert!(!in_work_hours(hour(12), (22, 6)));
    }
}
