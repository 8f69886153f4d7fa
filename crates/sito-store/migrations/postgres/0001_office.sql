-- The office store on PostgreSQL: the same tables as migrations/sqlite, in PostgreSQL's types. Append-only: never
-- edit a released migration, add a new one (with the same number as its SQLite counterpart when there is one).
-- Times are Unix seconds (BIGINT); ids are UUID text (so orderings match SQLite's); content is BYTEA per group.

CREATE TABLE staff (
    id            TEXT PRIMARY KEY,
    call_sign     TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    BIGINT NOT NULL
);

CREATE TABLE sessions (
    id_hash     TEXT PRIMARY KEY,
    staff_id    TEXT NOT NULL REFERENCES staff(id),
    csrf_token  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    last_seen   BIGINT NOT NULL
);

CREATE TABLE units (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    target_strength BIGINT NOT NULL
);

-- Projection of each case's event log, for lists and queues. Rebuildable from case_events. `position` is the
-- arrival order (SQLite's rowid): it breaks ties in lists and numbers cases for the linker.
CREATE TABLE cases (
    id               TEXT PRIMARY KEY,
    position         BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    category         TEXT NOT NULL,
    call_sign        TEXT NOT NULL,
    stage            TEXT NOT NULL,
    owner_role       TEXT NOT NULL,
    status           TEXT NOT NULL,
    version          BIGINT NOT NULL,
    received_at      BIGINT NOT NULL,
    stage_entered_at BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    unit_id          TEXT REFERENCES units(id),
    action_needed    BOOLEAN NOT NULL DEFAULT FALSE,
    open_flags       BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX cases_by_owner ON cases (owner_role, status, stage_entered_at);
CREATE INDEX cases_by_unit ON cases (unit_id, status);

-- The truth: every case's events, in order. Rows are only ever inserted.
CREATE TABLE case_events (
    case_id  TEXT NOT NULL REFERENCES cases(id),
    seq      BIGINT NOT NULL,
    at       BIGINT NOT NULL,
    actor    TEXT,
    kind     TEXT NOT NULL,
    payload  TEXT NOT NULL,
    PRIMARY KEY (case_id, seq)
);

CREATE TABLE case_content (
    case_id     TEXT NOT NULL REFERENCES cases(id),
    field_group TEXT NOT NULL,
    data        BYTEA NOT NULL,
    PRIMARY KEY (case_id, field_group)
);

-- One function refuses every change to an append-only table; each such table gets row and TRUNCATE triggers.
CREATE FUNCTION sito_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$;

CREATE TRIGGER case_events_are_append_only BEFORE UPDATE OR DELETE ON case_events
    FOR EACH ROW EXECUTE FUNCTION sito_refuse_change();
CREATE TRIGGER case_events_are_never_truncated BEFORE TRUNCATE ON case_events
    FOR EACH STATEMENT EXECUTE FUNCTION sito_refuse_change();
