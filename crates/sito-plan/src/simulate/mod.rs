//! The discrete-event capacity simulation (contracts/simulate.md).
