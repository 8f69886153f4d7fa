-- Lists filter by status together with category or stage, newest first, ties broken on arrival order: every index
-- ends in (received_at, position) so a backward index scan serves `ORDER BY received_at DESC, position DESC`.
CREATE INDEX cases_by_received_at ON cases (received_at, position);
CREATE INDEX cases_by_status ON cases (status, received_at, position);
CREATE INDEX cases_by_category ON cases (category, received_at, position);
CREATE INDEX cases_by_category_status ON cases (category, status, received_at, position);
CREATE INDEX cases_by_stage ON cases (stage, received_at, position);
CREATE INDEX cases_by_stage_status ON cases (stage, status, received_at, position);
CREATE INDEX cases_by_stage_entered ON cases (stage_entered_at, position);
