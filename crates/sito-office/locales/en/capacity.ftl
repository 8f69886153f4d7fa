# The capacity-planning page (crates/sito-web/src/capacity.rs).
nav-capacity = Capacity
capacity-title = Capacity planning
capacity-intro = A simulation of the vetting pipeline up to the board's decision. Its defaults are estimated from the office's own event log; change any of them to ask "what if". Only aggregate figures are shown.
capacity-errors = The simulation could not run:
capacity-estimates = Estimated from the event log
capacity-window = Observed from { $from } to { $to }: { $arrivals } { $arrivals ->
    [one] application
   *[other] applications
} received, { $rate } a day.
capacity-window-days = Observation window (days)
capacity-hours-per-day = Working hours a day
capacity-arrivals-per-day = Applications a day
capacity-days = Horizon (days)
capacity-warmup-days = Warm-up (days)
capacity-seed = Seed
capacity-stage = Stage
capacity-services = Services observed
capacity-service-mean = Mean service (working hours)
capacity-shape = Shape
capacity-leave = Leave after stage
capacity-visits = Visits
capacity-servers = Staff
capacity-service-hours = Service hours
capacity-cases = { $count } { $count ->
    [one] case
   *[other] cases
}
capacity-outside-hours = { $count } outside working hours
capacity-left-of = { $left } of { $seen }
capacity-form-hint = An empty field keeps the estimate shown in grey. Staff defaults to the staff members seen moving cases on from the stage; a service time is estimated from when a staff member could have started on a case (its arrival at the stage, or their previous case) to when they moved it on, in working hours.
capacity-solve = How many staff reach a target?
capacity-solve-stage = Stage to staff
capacity-solve-none = (don't search)
capacity-target-days = Target mean time to decision (days)
capacity-run = Run the simulation
capacity-results = Simulation results
capacity-decided-per-day = Decided a day
capacity-time-to-decision = Time to decision (days)
capacity-ttd-values = mean { $mean }, median { $p50 }, 90% within { $p90 }
capacity-nothing-decided = nothing decided within the horizon
capacity-backlog-at-end = Backlog at the end
capacity-arrived-left = Arrived / left early a day
capacity-bottleneck = Bottleneck
capacity-utilisation = Utilisation
capacity-queue-mean = Mean queue
capacity-wait-days = Mean wait (days)
capacity-chart-title = estimate from the event log
capacity-shape-lognormal = lognormal, cv { $cv }
capacity-shape-exponential = exponential
capacity-error-range = { $field }: enter a number from { $min } to { $max }.
capacity-error-target-missing = Enter the target mean time to decision in days to search for a staffing.
capacity-error-unknown-stage = The stage to staff is not one of the simulated stages.
capacity-error-warmup = The warm-up must be shorter than the horizon.
capacity-error-no-arrivals = No applications were received in the observation window: enter the applications a day.
capacity-error-no-services = { $stage }: no services observed in the window: enter its mean service hours.
capacity-error-too-large = Horizon × applications a day may be at most { $limit }: shorten the horizon.
capacity-solved = { $servers } staff at { $stage } bring the mean time to decision to { $mean } days (target { $target }); with one fewer it is { $fewer } days. The results below are for this staffing.
capacity-unreachable = No staffing of this stage up to { $servers } reaches the target: the best mean is { $mean } days. Other stages or the working hours set the floor.
capacity-hours-note = Working day read from the log: 95% of the { $moves } moves staff made fell within { $hours } hours from { $from } to { $to } UTC; service times count only those hours.
