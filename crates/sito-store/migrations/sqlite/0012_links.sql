-- Link analysis in the office (issue 5): the last analysis's groups, so the cluster pages read them instead of
-- recomputing per request. Nothing here holds an identifier or a blind index: members are case ids, links name
-- only the kinds of key two applications share (phone, email, ...). The keys themselves live only in the memory
-- of the running office (keyed with a per-process secret), so a seized database cannot be used to confirm a
-- guessed phone number against them.
CREATE TABLE link_groups (
    id      TEXT PRIMARY KEY,
    flagged INTEGER NOT NULL,
    size    INTEGER NOT NULL,
    -- The kinds of key shared anywhere in the group, comma-separated, e.g. `phone,referrer`.
    kinds   TEXT NOT NULL,
    -- The links as JSON: [[member index, member index, ["phone", "referrer"]], ...].
    links   TEXT NOT NULL
);

CREATE TABLE link_group_members (
    case_id  TEXT PRIMARY KEY REFERENCES cases(id),
    group_id TEXT NOT NULL REFERENCES link_groups(id),
    position INTEGER NOT NULL
);
CREATE INDEX link_group_members_by_group ON link_group_members (group_id, position);

-- Keys held by too many applications to link by (a public channel's handle, a hostel's address): reported as a
-- signal by kind and count, never by value.
CREATE TABLE link_signals (
    kind    TEXT NOT NULL,
    holders INTEGER NOT NULL
);

CREATE TABLE link_analysis (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    computed_at  INTEGER NOT NULL,
    applications INTEGER NOT NULL
);
