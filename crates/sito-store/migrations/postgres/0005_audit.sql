-- The audit log (issue 4, invariant 5): a hash chain, one row per entry, and signed checkpoints over its head.
-- Both are append-only: triggers refuse updates, deletes and TRUNCATE, and `sito audit verify` catches whoever
-- disables the triggers and edits the rows anyway.
CREATE TABLE audit_log (
    seq           BIGINT PRIMARY KEY,
    at_ms         BIGINT NOT NULL,
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
    seq  BIGINT PRIMARY KEY,
    line TEXT NOT NULL
);

CREATE TRIGGER audit_log_is_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION sito_refuse_change();
CREATE TRIGGER audit_log_is_never_truncated BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION sito_refuse_change();
CREATE TRIGGER audit_checkpoints_are_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION sito_refuse_change();
CREATE TRIGGER audit_checkpoints_are_never_truncated BEFORE TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION sito_refuse_change();
