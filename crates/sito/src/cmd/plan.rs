//! `sito plan`: owned by the plan engine's author; filled in beside `sito-plan`.
use clap::Args;

#[derive(Args)]
pub struct PlanArgs {}

pub fn run(_args: PlanArgs) -> anyhow::Result<()> {
    Err(crate::exit::bad_input("not implemented yet"))
}
