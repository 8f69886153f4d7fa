-- The audit log (issue 4, invariant 5): a hash chain (sito-crypto `audit`), one row per entry, and the signed
-- checkpoints over its head. Both are append-only: triggers refuse updates and deletes, and `sito audit verify`
-- catches whoever drops the triggers and edits the file anyway.
CREATE TABLE audit_log (
    seq           INTEGER PRIMARY KEY,
    at_ms         INTEGER NOT NULL,
    actor         TEXT NOT NULL,
    action        TEXT NOT NULL,
    subject       TEXT NOT NULL,
    detail        TEXT NOT NULL,
    previous_hash TEXT NOT NULL,
    hash          TEXT NOT NULL
);
CREATE INDEX audit_by_actor ON audit_log (actor, at_ms);
CREATE INDEX audit_by_subject ON audit_log (subject, at_ms);
CREATE INDEX audit_by_action ON audit_log (action, at_ms);

CREATE TABLE audit_checkpoints (
    seq  INTEGER PRIMARY KEY,
    line TEXT NOT NULL
);

CREATE TRIGGER audit_log_is_append_only_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_is_append_only_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_checkpoints_are_append_only_update BEFORE UPDATE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
CREATE TRIGGER audit_checkpoints_are_append_only_delete BEFORE DELETE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
