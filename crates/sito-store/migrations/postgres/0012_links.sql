-- Link analysis (issue 5): the last analysis's groups; nothing here holds an identifier or a blind index.
CREATE TABLE link_groups (
    id      TEXT PRIMARY KEY,
    flagged BOOLEAN NOT NULL,
    size    BIGINT NOT NULL,
    kinds   TEXT NOT NULL,
    links   TEXT NOT NULL
);

CREATE TABLE link_group_members (
    case_id  TEXT PRIMARY KEY REFERENCES cases(id),
    group_id TEXT NOT NULL REFERENCES link_groups(id),
    position BIGINT NOT NULL
);
CREATE INDEX link_group_members_by_group ON link_group_members (group_id, position);

CREATE TABLE link_signals (
    kind    TEXT NOT NULL,
    holders BIGINT NOT NULL
);

CREATE TABLE link_analysis (
    id           BIGINT PRIMARY KEY CHECK (id = 1),
    computed_at  BIGINT NOT NULL,
    applications BIGINT NOT NULL
);
