-- Replies the office sealed to applicants, kept until the intake has them (see the SQLite migration).
CREATE TABLE office_outbox (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    submission_id TEXT NOT NULL,
    sealed BYTEA NOT NULL
);
