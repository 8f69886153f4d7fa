-- Encryption at rest (issue 4, invariant 3). With an office keyring, each case's content is encrypted with its own
-- data key, stored here only wrapped (sealed) to the office recipients; deleting the row crypto-shreds the case.
CREATE TABLE case_keys (
    case_id TEXT PRIMARY KEY REFERENCES cases(id),
    wrapped BLOB NOT NULL
);
-- 1 when `data` is ciphertext under the case key, 0 for stores opened without a keyring.
ALTER TABLE case_content ADD COLUMN sealed INTEGER NOT NULL DEFAULT 0;
-- Keyed blind indexes (HMAC) of exact-match identifiers, for linking applications without the plaintext.
CREATE TABLE case_identifiers (
    case_id     TEXT NOT NULL REFERENCES cases(id),
    kind        TEXT NOT NULL,
    blind_index TEXT NOT NULL,
    PRIMARY KEY (case_id, kind, blind_index)
);
CREATE INDEX case_identifiers_by_index ON case_identifiers (blind_index, kind);
-- When the case's key was deleted (retention); the list projection and events stay for the statistics.
ALTER TABLE cases ADD COLUMN shredded_at INTEGER;
