-- The public intake's tables and the office side of the pull on PostgreSQL (see migrations/sqlite/0003_intake.sql
-- for what each holds). The intake's own store (`sito-intake`, migrations/postgres/0003_intake.sql) runs this
-- very file, byte for byte, so either side may create a shared database first; on an intake-only database the
-- office tables stay empty. The intake tables hold ciphertext, days and slow keyed hashes only.

-- One row per applicant: how to find their submission from a codename, and how to seal replies to them.
CREATE TABLE intake_accounts (
    lookup_key TEXT PRIMARY KEY,          -- peppered argon2id of the codename (sito-crypto CodenameLookup)
    submission_id TEXT NOT NULL UNIQUE,
    reply_record TEXT NOT NULL,           -- public reply recipient derived from the codename (no secret)
    status_sealed BYTEA,                  -- the office's last status, sealed to the reply recipient
    created_day TEXT NOT NULL
);

-- Sealed applications waiting for the office; deleted when the office acknowledges them.
CREATE TABLE intake_submissions (
    submission_id TEXT PRIMARY KEY,
    sealed BYTEA NOT NULL,                -- age, to every current office recipient
    received_day TEXT NOT NULL
);

-- Applicants' messages to the office, sealed to the office; deleted when acknowledged.
CREATE TABLE intake_outbox (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    submission_id TEXT NOT NULL,
    sealed BYTEA NOT NULL,
    day TEXT NOT NULL
);

-- The thread an applicant reads with the codename, every entry sealed to the reply recipient.
CREATE TABLE intake_thread (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    submission_id TEXT NOT NULL,
    sealed BYTEA NOT NULL
);
CREATE INDEX intake_thread_by_submission ON intake_thread (submission_id, id);

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
