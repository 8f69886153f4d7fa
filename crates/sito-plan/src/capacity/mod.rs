//! The capacity estimate from the office's own event log (issue 6): the flow of cases between stages
//! (`sito_core::flow`, read by the store without case ids or content) becomes `simulate` observations here, the
//! estimators turn those into a scenario, the user's changes are applied within bounds, and the run is played.
//! The staff site only parses the form, calls these, and renders.
//!
//! How the log becomes observations:
//! - **arrivals**: `received` events inside the observation window;
//! - **stages**: the pipeline's stages up to and including the decision, in order; stages that no track passes
//!   together (the meeting at a safe location and the meeting at the camp) are alternatives and are simulated as
//!   one stage;
//! - **service time**: the log records when a case left a stage and who moved it, not when work on it began. A
//!   staff member works one case at a time, so work on a case began at the later of its entry into the stage and
//!   the moment the same staff member last moved a case on (the departure recursion of a first-come,
//!   first-served server). Measured in working hours on the simulation's clock. This is exact for staff who are
//!   never idle and an overestimate for staff who are; a service lying wholly outside working hours measures
//!   zero and is left out (and counted);
//! - **leaving**: cases rejected, withdrawn or referred to the security service at a stage left the pipeline there;
//!   a case put on hold neither left nor passed;
//! - **repeat visits**: services at the stage over distinct cases served there (a reopened case is served again);
//! - **staff**: distinct staff members who moved cases on from the stage in the window (a plan, editable).
mod observe;
mod scenario;

pub use observe::{
    Observed, StageEvidence, StageGroup, WorkingDay, observe, simulated_stages,
    working_day_from_log,
};
pub use scenario::{
    ARRIVALS_PER_DAY, Bound, HORIZON_DAYS, HOURS_PER_DAY, MAX_EXPECTED_ARRIVALS, Problem, Ran,
    SEED, SERVERS, SERVICE_HOURS, Settings, TARGET_DAYS, WARMUP_DAYS, WINDOW_DAYS, build_scenario,
    run,
};
