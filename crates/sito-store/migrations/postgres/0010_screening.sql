-- Watchlists imported into the office and what screening has done (see migrations/sqlite/0010_screening.sql).
CREATE TABLE watchlists (
    name        TEXT PRIMARY KEY,
    version     BIGINT NOT NULL,
    entries     BIGINT NOT NULL,
    source      TEXT NOT NULL,
    imported_at BIGINT NOT NULL
);

CREATE TABLE watchlist_entries (
    list     TEXT NOT NULL REFERENCES watchlists(name),
    entry_id TEXT NOT NULL,
    record   TEXT NOT NULL,
    PRIMARY KEY (list, entry_id)
);

-- Bumped by every import: cases screened at an older generation are screened again.
CREATE TABLE screening_generation (
    id         BIGINT PRIMARY KEY CHECK (id = 1),
    generation BIGINT NOT NULL
);
INSERT INTO screening_generation (id, generation) VALUES (1, 0);

CREATE TABLE screened_cases (
    case_id    TEXT PRIMARY KEY REFERENCES cases(id),
    generation BIGINT NOT NULL
);

-- Every flag ever raised on a case, so a dismissed hit is not raised again by the next screening.
CREATE TABLE raised_flags (
    case_id TEXT NOT NULL REFERENCES cases(id),
    flag    TEXT NOT NULL,
    PRIMARY KEY (case_id, flag)
);
