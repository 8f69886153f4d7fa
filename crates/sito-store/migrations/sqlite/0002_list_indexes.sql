-- Lists filter by status together with category or stage, newest first, and break ties on rowid for stable pages.
-- Every index below ends in received_at (ascending; rowid follows implicitly), so a backward scan serves
-- `ORDER BY received_at DESC, rowid DESC` without a sort step. Measured with 100,000 cases
-- (sito-web/benches/case_list.rs): the first indexes made a filtered count read every row of a category (p95
-- 142 ms) and deep pages sort the whole table.
DROP INDEX cases_by_received;
DROP INDEX cases_by_stage;
DROP INDEX cases_by_category;
CREATE INDEX cases_by_received_at ON cases (received_at);
CREATE INDEX cases_by_status ON cases (status, received_at);
CREATE INDEX cases_by_category ON cases (category, received_at);
CREATE INDEX cases_by_category_status ON cases (category, status, received_at);
CREATE INDEX cases_by_stage ON cases (stage, received_at);
CREATE INDEX cases_by_stage_status ON cases (stage, status, received_at);
