//! The vetting scheduler (contracts/plan.md).
