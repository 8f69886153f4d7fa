//! `sito office`: serves the staff site over an existing data directory.
use std::path::PathBuf;

use clap::Args;

use super::serve::{self, StoreArgs};
use crate::exit::bad_input;

#[derive(Args)]
pub struct OfficeArgs {
    /// The data directory (created by `sito demo` or an installation).
    #[arg(long, value_name = "DIR")]
    data: PathBuf,
    /// Address of the staff site.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8081")]
    listen: String,
    #[command(flatten)]
    store: StoreArgs,
}

pub fn run(args: OfficeArgs) -> anyhow::Result<()> {
    if args.store.database.is_none() && !args.data.join("office.db").is_file() {
        return Err(bad_input(format!(
            "{}: no office database here (office.db); run `sito demo --data {}` to create one",
            args.data.display(),
            args.data.display()
        )));
    }
    let pipeline = serve::load_pipeline(&args.store)?;
    serve::runtime()?.block_on(async {
        let store = serve::open_store(&serve::database_url(&args.data, &args.store)).await?;
        serve::serve_office(serve::app_state(store, pipeline), &args.listen).await
    })
}
