//! sito-plan: the vetting scheduler (`schedule`) and the capacity simulation (`simulate`). No I/O beyond what
//! callers hand in: both engines take parsed values and return results.
#![forbid(unsafe_code)]

pub mod schedule;
pub mod simulate;
