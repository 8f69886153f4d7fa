-- Planning (issue 6): safe locations, the staff calendar, the week's draft plan with its hand-made pins, and the
-- appointments committed into cases. No case content here: cases are named by id, staff by call sign.

-- A place where candidates stay for their interview and examinations. `kind` says which cases may go there:
-- a safe house (reached by a transfer from `pickup_point`) or a prisoner-of-war camp (no transfer).
CREATE TABLE planning_locations (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('safe_house', 'camp')),
    capacity     INTEGER NOT NULL CHECK (capacity >= 0),
    -- Weekdays open, bit 0 = Monday.
    open_days    INTEGER NOT NULL CHECK (open_days BETWEEN 0 AND 127),
    open_hour    INTEGER NOT NULL CHECK (open_hour BETWEEN 0 AND 23),
    close_hour   INTEGER NOT NULL CHECK (close_hour BETWEEN 1 AND 24 AND close_hour > open_hour),
    pickup_point TEXT NOT NULL
);

-- Who works where on which weekdays, in which planning role.
CREATE TABLE planning_staff (
    call_sign         TEXT PRIMARY KEY,
    role              TEXT NOT NULL CHECK (role IN ('psychologist', 'examiner')),
    location          TEXT NOT NULL REFERENCES planning_locations(id),
    work_days         INTEGER NOT NULL CHECK (work_days BETWEEN 0 AND 127),
    max_tasks_per_day INTEGER CHECK (max_tasks_per_day IS NULL OR max_tasks_per_day >= 1)
);

-- The latest plan built for a week (its Monday as a Unix day number), as the engine's JSON, with the case versions
-- it was built on (committing appends only to cases still at those versions).
CREATE TABLE planning_drafts (
    week          INTEGER PRIMARY KEY,
    plan          TEXT NOT NULL,
    case_versions TEXT NOT NULL,
    built_at      INTEGER NOT NULL,
    built_by      TEXT NOT NULL REFERENCES staff(id)
);

-- Assignments kept by hand; every re-plan of the week works around them.
CREATE TABLE planning_pins (
    week       INTEGER NOT NULL,
    case_id    TEXT NOT NULL REFERENCES cases(id),
    assignment TEXT NOT NULL,
    PRIMARY KEY (week, case_id)
);

-- Committed appointments: one visit per case (re-committing never duplicates one).
CREATE TABLE planning_appointments (
    case_id      TEXT PRIMARY KEY REFERENCES cases(id),
    week         INTEGER NOT NULL,
    location     TEXT NOT NULL REFERENCES planning_locations(id),
    arrive_day   INTEGER NOT NULL,
    leave_day    INTEGER NOT NULL,
    tasks        TEXT NOT NULL,
    committed_by TEXT NOT NULL REFERENCES staff(id),
    committed_at INTEGER NOT NULL
);
CREATE INDEX planning_appointments_by_week ON planning_appointments (week, arrive_day);
