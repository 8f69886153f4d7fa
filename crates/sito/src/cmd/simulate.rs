//! `sito simulate`: owned by the simulate engine's author; filled in beside `sito-plan`.
use clap::Args;

#[derive(Args)]
pub struct SimulateArgs {}

pub fn run(_args: SimulateArgs) -> anyhow::Result<()> {
    Err(crate::exit::bad_input("not implemented yet"))
}
