-- The office side of the intake pull (see migrations/sqlite/0003_intake.sql). The intake's own tables live in the
-- intake's database, which stays on SQLite: an intake machine holds ciphertext only and is never scaled out here.

-- Which submissions became which case, so a repeated pull never creates a second case (exactly-once ingest, also
-- between several office instances: the primary key is the arbiter).
CREATE TABLE office_received (
    submission_id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL UNIQUE,
    reply_record TEXT NOT NULL,
    pushed_status TEXT NOT NULL DEFAULT 'received'
);

-- Applicants' messages as pulled, still sealed to the office keyring.
CREATE TABLE office_messages (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id TEXT NOT NULL,
    intake_message_id BIGINT UNIQUE,
    from_office BOOLEAN NOT NULL,
    sealed BYTEA NOT NULL,
    day TEXT NOT NULL
);
CREATE INDEX office_messages_by_case ON office_messages (case_id, id);
