-- The public intake's tables (DESIGN.md section 4, invariants 1, 2, 7, 8). They hold ciphertext, the day a row
-- arrived and the slow keyed hash of a codename: nothing a seizure of the database could read. Identifiers are
-- random UUIDs, never derived from anything an applicant typed.

-- One row per applicant: how to find their submission from a codename, and how to seal replies to them.
CREATE TABLE intake_accounts (
    lookup_key TEXT PRIMARY KEY,          -- peppered argon2id of the codename (sito-crypto CodenameLookup)
    submission_id TEXT NOT NULL UNIQUE,
    reply_record TEXT NOT NULL,           -- public reply recipient derived from the codename (no secret)
    status_sealed BLOB,                   -- the office's last status, sealed to the reply recipient
    created_day TEXT NOT NULL
) WITHOUT ROWID;

-- Sealed applications waiting for the office; deleted when the office acknowledges them.
CREATE TABLE intake_submissions (
    submission_id TEXT PRIMARY KEY,
    sealed BLOB NOT NULL,                 -- age, to every current office recipient
    received_day TEXT NOT NULL
) WITHOUT ROWID;

-- Applicants' messages to the office, sealed to the office; deleted when acknowledged.
CREATE TABLE intake_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    submission_id TEXT NOT NULL,
    sealed BLOB NOT NULL,
    day TEXT NOT NULL
);

-- The thread an applicant reads with the codename: every entry sealed to the reply recipient, so the intake cannot
-- read the office's replies, nor the applicant's own words once written.
CREATE TABLE intake_thread (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    submission_id TEXT NOT NULL,
    sealed BLOB NOT NULL
);
CREATE INDEX intake_thread_by_submission ON intake_thread (submission_id, id);

-- Office side of the pull: which submissions became which case, so a repeated pull (after a crash between
-- creating the case and acknowledging) never creates a second case. `pushed_status` is the status last sent back.
CREATE TABLE office_received (
    submission_id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL UNIQUE,
    reply_record TEXT NOT NULL,
    pushed_status TEXT NOT NULL DEFAULT 'received'
) WITHOUT ROWID;

-- Office side: applicants' messages as pulled, still sealed to the office keyring.
CREATE TABLE office_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id TEXT NOT NULL,
    intake_message_id INTEGER,
    from_office INTEGER NOT NULL,
    sealed BLOB NOT NULL,
    day TEXT NOT NULL,
    UNIQUE (intake_message_id)
);
CREATE INDEX office_messages_by_case ON office_messages (case_id, id);
