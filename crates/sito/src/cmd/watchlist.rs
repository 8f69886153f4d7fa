//! `sito watchlist`: import watchlists (CSV or FollowTheMoney) into an office; the running office screens every
//! active case against them.
use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use sito_office::screening::StoredEntry;

use super::serve::{self, StoreArgs};
use crate::exit::bad_input;

#[derive(Args)]
pub struct WatchlistArgs {
    #[command(subcommand)]
    command: WatchlistCommand,
}

#[derive(Subcommand)]
enum WatchlistCommand {
    /// Import FILE (.csv with id,name,aliases,birth_date,birth_place,country, or .json/.jsonl FollowTheMoney) as the
    /// list NAME, replacing the list's previous version.
    Import {
        file: PathBuf,
        /// The list's name (default: the file's name without its ending).
        #[arg(long)]
        name: Option<String>,
        /// The office's data directory.
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List the imported watchlists.
    List {
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
}

pub fn run(args: WatchlistArgs) -> anyhow::Result<()> {
    match args.command {
        WatchlistCommand::Import {
            file,
            name,
            data,
            store,
        } => import(file, name, &serve::database_url(&data, &store)),
        WatchlistCommand::List { data, store } => list(&serve::database_url(&data, &store)),
    }
}

fn import(file: PathBuf, name: Option<String>, url: &str) -> anyhow::Result<()> {
    let name = match name {
        Some(name) => name,
        None => file
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    if name.is_empty() || name.len() > 64 || name.contains('/') {
        return Err(bad_input(
            "--name: a list name of 1 to 64 characters without `/`",
        ));
    }
    // A bar for a person watching a large list being read; pipes and logs get the summary line alone.
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(0);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "reading {bar:40} {bytes}/{total_bytes} {elapsed}",
        ) {
            bar.set_style(style);
        }
        bar
    });
    let progress = |read: u64, total: u64| {
        if let Some(bar) = &bar {
            bar.set_length(total);
            bar.set_position(read);
        }
    };
    let read = sito_screen::read::read_watchlist_with_progress(&file, &progress);
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let (records, skipped) = read.map_err(|error| bad_input(error.to_string()))?;
    let mut entries = Vec::with_capacity(records.len());
    for record in &records {
        let json = serde_json::to_string(&StoredEntry::from_record(record))
            .context("encoding an entry")?;
        entries.push((record.id.clone(), json));
    }
    serve::runtime()?.block_on(async {
        let store = serve::opened(sito_store::screening::open(url).await)?;
        let generation = match store.replace_watchlist(&name, &file.display().to_string(), &entries, sito_office::now()).await {
            Ok(generation) => generation,
            Err(sito_store::StoreError::Duplicate) => {
                return Err(bad_input(format!("{}: an entry id appears twice", file.display())));
            }
            Err(other) => return Err(anyhow::Error::new(other).context("cannot store the watchlist")),
        };
        let version = store.watchlists().await?.into_iter().find(|list| list.name == name).map(|list| list.version);
        eprintln!(
            "imported {} entries into list `{name}` (version {}, screening generation {generation}); {} entities of other \
             schemata skipped; the running office screens every active case against it",
            entries.len(),
            version.unwrap_or(0),
            skipped.other_schema,
        );
        Ok(())
    })
}

fn list(url: &str) -> anyhow::Result<()> {
    serve::runtime()?.block_on(async {
        let store = serve::opened(sito_store::screening::open(url).await)?;
        for list in store.watchlists().await? {
            println!(
                "{}\tversion {}\t{} entries\t{}",
                list.name, list.version, list.entries, list.source
            );
        }
        Ok(())
    })
}
