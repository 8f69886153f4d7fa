-- Staff identity (issue 4): TOTP second factor with the last accepted time step, recovery codes, sign-in failure
-- counting, and sessions that are only half open until enrolment ends.
ALTER TABLE staff ADD COLUMN totp_secret TEXT;
ALTER TABLE staff ADD COLUMN totp_pending TEXT;
ALTER TABLE staff ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;
ALTER TABLE staff ADD COLUMN failed_logins BIGINT NOT NULL DEFAULT 0;
ALTER TABLE staff ADD COLUMN locked_until BIGINT NOT NULL DEFAULT 0;

-- 'full' opens the staff site; 'enrol' opens only the enrolment page.
ALTER TABLE sessions ADD COLUMN stage TEXT NOT NULL DEFAULT 'full';
CREATE INDEX sessions_by_staff ON sessions (staff_id);
CREATE INDEX sessions_by_last_seen ON sessions (last_seen);

-- Only hashes of recovery codes are kept; a used code is deleted.
CREATE TABLE recovery_codes (
    staff_id  TEXT NOT NULL REFERENCES staff(id),
    code_hash TEXT NOT NULL,
    PRIMARY KEY (staff_id, code_hash)
);
