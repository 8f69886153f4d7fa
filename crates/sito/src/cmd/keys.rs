//! `sito keys`: owned by the sito-crypto author.
use clap::Args;

#[derive(Args)]
pub struct KeysArgs {}

pub fn run(_args: KeysArgs) -> anyhow::Result<()> {
    Err(crate::exit::bad_input("not implemented yet"))
}
