//! `sito screen`: owned by the screen engine's author; filled in beside `sito-screen`.
use clap::Args;

#[derive(Args)]
pub struct ScreenArgs {}

pub fn run(_args: ScreenArgs) -> anyhow::Result<()> {
    Err(crate::exit::bad_input("not implemented yet"))
}
