//! sito-plan: the vetting scheduler (`schedule`) and booking the office's visits with it (`booking`), the capacity
//! simulation (`simulate`) and its estimate from the office's event log (`capacity`). No I/O beyond what callers
//! hand in: both engines take parsed values and return results.
#![forbid(unsafe_code)]

pub mod booking;
pub mod capacity;
pub mod schedule;
pub mod simulate;
