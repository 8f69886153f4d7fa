-- Replies the office sealed to applicants (issue 3), kept until the intake has them: a reply written while the intake
-- is unreachable is pushed by the next pull instead of being lost. Ciphertext only (sealed to the applicant's
-- codename key); the office's own copy is in office_messages, written in the same transaction.
CREATE TABLE office_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    submission_id TEXT NOT NULL,
    sealed BLOB NOT NULL
);
