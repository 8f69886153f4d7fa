-- Planning (issue 6): safe locations, the staff calendar, drafts with pins, committed appointments.
CREATE TABLE planning_locations (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('safe_house', 'camp')),
    capacity     BIGINT NOT NULL CHECK (capacity >= 0),
    open_days    BIGINT NOT NULL CHECK (open_days BETWEEN 0 AND 127),
    open_hour    BIGINT NOT NULL CHECK (open_hour BETWEEN 0 AND 23),
    close_hour   BIGINT NOT NULL CHECK (close_hour BETWEEN 1 AND 24 AND close_hour > open_hour),
    pickup_point TEXT NOT NULL
);

CREATE TABLE planning_staff (
    call_sign         TEXT PRIMARY KEY,
    role              TEXT NOT NULL CHECK (role IN ('psychologist', 'examiner')),
    location          TEXT NOT NULL REFERENCES planning_locations(id),
    work_days         BIGINT NOT NULL CHECK (work_days BETWEEN 0 AND 127),
    max_tasks_per_day BIGINT CHECK (max_tasks_per_day IS NULL OR max_tasks_per_day >= 1)
);

CREATE TABLE planning_drafts (
    week          BIGINT PRIMARY KEY,
    plan          TEXT NOT NULL,
    case_versions TEXT NOT NULL,
    built_at      BIGINT NOT NULL,
    built_by      TEXT NOT NULL REFERENCES staff(id)
);

CREATE TABLE planning_pins (
    week       BIGINT NOT NULL,
    case_id    TEXT NOT NULL REFERENCES cases(id),
    assignment TEXT NOT NULL,
    PRIMARY KEY (week, case_id)
);

CREATE TABLE planning_appointments (
    case_id      TEXT PRIMARY KEY REFERENCES cases(id),
    week         BIGINT NOT NULL,
    location     TEXT NOT NULL REFERENCES planning_locations(id),
    arrive_day   BIGINT NOT NULL,
    leave_day    BIGINT NOT NULL,
    tasks        TEXT NOT NULL,
    committed_by TEXT NOT NULL REFERENCES staff(id),
    committed_at BIGINT NOT NULL
);
CREATE INDEX planning_appointments_by_week ON planning_appointments (week, arrive_day);
