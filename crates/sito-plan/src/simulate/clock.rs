//! Working hours as a second clock.
//!
//! Each stage's servers work `hours_per_day` a day, every day, from [`DAY_OPENS_AT`] (earlier when the working day
//! is longer than the rest of the day allows; 24 hours is round the clock). Counting only working hours gives a
//! stage its own clock, the *work clock*, on which the stage is an ordinary queue without interruptions: a
//! service that is unfinished at closing time simply resumes at the next opening, and an application arriving at
//! night waits until the morning. Wall time is hours since the start of the simulation (midnight of day 0).

/// Hour of the day at which a working day opens.
pub const DAY_OPENS_AT: f64 = 9.0;

/// Below this a remainder of work is treated as the window's end, so rounding never starts a service at closing.
const EPSILON_HOURS: f64 = 1e-9;

#[derive(Debug, Clone, Copy)]
pub(crate) struct WorkClock {
    opens_at: f64,
    hours: f64,
}

impl WorkClock {
    pub(crate) fn new(hours_per_day: f64) -> Self {
        let hours = hours_per_day.clamp(f64::MIN_POSITIVE, 24.0);
        WorkClock {
            opens_at: DAY_OPENS_AT.min(24.0 - hours),
            hours,
        }
    }

    fn round_the_clock(&self) -> bool {
        self.hours >= 24.0
    }

    /// Working hours elapsed from the start of the simulation to `wall`.
    pub(crate) fn work_at(&self, wall: f64) -> f64 {
        if self.round_the_clock() {
            return wall;
        }
        let day = whole_part(wall / 24.0);
        let into_day = wall - day * 24.0;
        day * self.hours + (into_day - self.opens_at).clamp(0.0, self.hours)
    }

    /// Splits a work-clock instant into (day, working hours into that day's window), with a remainder within
    /// rounding of the window's length read as the next day's opening, so that both inverses below agree on
    /// which window an instant belongs to.
    fn day_and_offset(&self, work: f64) -> (f64, f64) {
        let day = whole_part(work / self.hours);
        let into_window = work - day * self.hours;
        if into_window >= self.hours - EPSILON_HOURS {
            (day + 1.0, 0.0)
        } else {
            (day, into_window.max(0.0))
        }
    }

    /// The wall time at which work can go on from work-clock instant `work`: at a window's end, the next opening.
    pub(crate) fn wall_starting(&self, work: f64) -> f64 {
        if self.round_the_clock() {
            return work;
        }
        let (day, into_window) = self.day_and_offset(work);
        day * 24.0 + self.opens_at + into_window
    }

    /// The wall time at which work-clock instant `work` is reached: at a window's end, the closing time.
    pub(crate) fn wall_finishing(&self, work: f64) -> f64 {
        if self.round_the_clock() {
            return work;
        }
        let (day, into_window) = match self.day_and_offset(work) {
            (day, into_window) if into_window <= EPSILON_HOURS && day >= 1.0 => {
                (day - 1.0, self.hours)
            }
            split => split,
        };
        day * 24.0 + self.opens_at + into_window
    }
}

/// `floor` for the non-negative times used here. The cast compiles to one instruction where `f64::floor` is a
/// library call on baseline x86-64, and this sits on the hottest path of the simulation.
fn whole_part(value: f64) -> f64 {
    if value >= 0.0 {
        (value as u64) as f64
    } else {
        value.floor()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hour(day: f64, hour: f64) -> f64 {
        day * 24.0 + hour
    }

    #[test]
    fn an_eight_hour_day_runs_from_nine_to_five() {
        let clock = WorkClock::new(8.0);
        assert_eq!(clock.work_at(hour(0.0, 8.0)), 0.0);
        assert_eq!(clock.work_at(hour(0.0, 10.0)), 1.0);
        assert_eq!(clock.work_at(hour(0.0, 20.0)), 8.0);
        assert_eq!(clock.work_at(hour(2.0, 12.0)), 19.0);
    }

    #[test]
    fn a_service_unfinished_at_closing_resumes_next_morning() {
        let clock = WorkClock::new(8.0);
        // Started at 15:00 on day 0 with 3 hours of work: 2 hours today, 1 tomorrow from 09:00.
        let start = clock.work_at(hour(0.0, 15.0));
        assert_eq!(clock.wall_finishing(start + 3.0), hour(1.0, 10.0));
    }

    #[test]
    fn work_ending_at_closing_finishes_at_closing_and_the_next_starts_next_morning() {
        let clock = WorkClock::new(8.0);
        assert_eq!(clock.wall_finishing(8.0), hour(0.0, 17.0));
        assert_eq!(clock.wall_starting(8.0), hour(1.0, 9.0));
        // A night arrival waits for the opening.
        assert_eq!(
            clock.wall_starting(clock.work_at(hour(0.0, 23.0))),
            hour(1.0, 9.0)
        );
    }

    #[test]
    fn long_days_start_early_enough_to_fit() {
        let clock = WorkClock::new(20.0);
        assert_eq!(clock.work_at(hour(0.0, 4.0)), 0.0);
        assert_eq!(clock.wall_finishing(20.0), hour(1.0, 0.0));
    }

    #[test]
    fn round_the_clock_is_the_identity() {
        let clock = WorkClock::new(24.0);
        for wall in [0.0, 3.5, 100.25] {
            assert_eq!(clock.work_at(wall), wall);
            assert_eq!(clock.wall_starting(wall), wall);
            assert_eq!(clock.wall_finishing(wall), wall);
        }
    }

    #[test]
    fn the_clocks_invert_each_other_inside_windows() {
        let clock = WorkClock::new(7.3);
        // From the first opening on: before it there is no earlier closing to finish at.
        for step in 30..2000 {
            let wall = f64::from(step) * 0.37;
            let work = clock.work_at(wall);
            let start = clock.wall_starting(work);
            let finish = clock.wall_finishing(work);
            assert!(
                start >= wall - 1e-6 && finish <= wall + 1e-6,
                "{wall}: {finish} {start}"
            );
            assert!((clock.work_at(start) - work).abs() < 1e-6);
            assert!((clock.work_at(finish) - work).abs() < 1e-6);
        }
    }
}
