-- Findings of checks (issue 14): the values an event of kind `findings_recorded` carries, sealed under the case key
-- in the event's field group (sealed in the office process: PostgreSQL never receives them in the clear). The
-- event's payload in case_events holds the check and group only, never the values; deleting the case key
-- (retention) crypto-shreds them with the rest of the case.
CREATE TABLE case_findings (
    case_id     TEXT NOT NULL REFERENCES cases(id),
    seq         BIGINT NOT NULL,
    field_group TEXT NOT NULL,
    data        BYTEA NOT NULL,
    PRIMARY KEY (case_id, seq)
);
