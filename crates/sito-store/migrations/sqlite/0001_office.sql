-- The office store. Append-only: never edit a released migration, add a new one.
-- Times are Unix seconds (i64); ids are UUID text; content is a blob per field group.

CREATE TABLE staff (
    id            TEXT PRIMARY KEY,
    call_sign     TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
    id_hash     TEXT PRIMARY KEY,
    staff_id    TEXT NOT NULL REFERENCES staff(id),
    csrf_token  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL
);

CREATE TABLE units (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    target_strength INTEGER NOT NULL
);

-- Projection of each case's event log, for lists and queues. Rebuildable from case_events.
CREATE TABLE cases (
    id               TEXT PRIMARY KEY,
    category         TEXT NOT NULL,
    call_sign        TEXT NOT NULL,
    stage            TEXT NOT NULL,
    owner_role       TEXT NOT NULL,
    status           TEXT NOT NULL,
    version          INTEGER NOT NULL,
    received_at      INTEGER NOT NULL,
    stage_entered_at INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    unit_id          TEXT REFERENCES units(id),
    action_needed    INTEGER NOT NULL DEFAULT 0,
    open_flags       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX cases_by_received ON cases (received_at DESC, id);
CREATE INDEX cases_by_stage ON cases (stage, received_at DESC);
CREATE INDEX cases_by_owner ON cases (owner_role, status, stage_entered_at);
CREATE INDEX cases_by_category ON cases (category, received_at DESC);
CREATE INDEX cases_by_unit ON cases (unit_id, status);

-- The truth: every case's events, in order. Rows are only ever inserted.
CREATE TABLE case_events (
    case_id  TEXT NOT NULL REFERENCES cases(id),
    seq      INTEGER NOT NULL,
    at       INTEGER NOT NULL,
    actor    TEXT,
    kind     TEXT NOT NULL,
    payload  TEXT NOT NULL,
    PRIMARY KEY (case_id, seq)
);

CREATE TABLE case_content (
    case_id     TEXT NOT NULL REFERENCES cases(id),
    field_group TEXT NOT NULL,
    data        BLOB NOT NULL,
    PRIMARY KEY (case_id, field_group)
);

CREATE TRIGGER case_events_are_append_only_update BEFORE UPDATE ON case_events
BEGIN SELECT RAISE(ABORT, 'case_events is append-only'); END;
CREATE TRIGGER case_events_are_append_only_delete BEFORE DELETE ON case_events
BEGIN SELECT RAISE(ABORT, 'case_events is append-only'); END;
