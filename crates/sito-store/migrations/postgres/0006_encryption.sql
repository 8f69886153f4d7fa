-- Encryption at rest (issue 4, invariant 3): each case's content under its own data key, stored here only wrapped
-- to the office recipients; deleting the row crypto-shreds the case. Encryption happens in the office process, so
-- PostgreSQL (its files, WAL, replicas and dumps) never receives plaintext content.
CREATE TABLE case_keys (
    case_id TEXT PRIMARY KEY REFERENCES cases(id),
    wrapped BYTEA NOT NULL
);
-- TRUE when `data` is ciphertext under the case key, FALSE for stores opened without a keyring.
ALTER TABLE case_content ADD COLUMN sealed BOOLEAN NOT NULL DEFAULT FALSE;
-- Keyed blind indexes (HMAC) of exact-match identifiers, for linking applications without the plaintext.
CREATE TABLE case_identifiers (
    case_id     TEXT NOT NULL REFERENCES cases(id),
    kind        TEXT NOT NULL,
    blind_index TEXT NOT NULL,
    PRIMARY KEY (case_id, kind, blind_index)
);
CREATE INDEX case_identifiers_by_index ON case_identifiers (blind_index, kind);
-- When the case's key was deleted (retention); the list projection and events stay for the statistics.
ALTER TABLE cases ADD COLUMN shredded_at BIGINT;
