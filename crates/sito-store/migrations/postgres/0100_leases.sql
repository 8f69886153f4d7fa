-- Background jobs (retention, alerts, screening, link analysis) on several office instances: a job runs only on
-- the instance holding its lease, until `expires_at` (Unix milliseconds); another instance takes over once it lapses.
CREATE TABLE job_leases (
    job        TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
