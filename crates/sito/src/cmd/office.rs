//! `sito office`: serves the staff site over an existing data directory.
use std::path::PathBuf;

use std::sync::Arc;

use clap::Args;
use sito_office::pull::{OfficePuller, PullClient};

use super::intake;
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
    /// Pull sealed submissions from this intake (HOST:PORT); needs the keyring and the pull secret.
    #[arg(long, value_name = "HOST:PORT")]
    intake_url: Option<String>,
    /// The intake's pull secret (the intake's DIR/pull-secret).
    #[arg(long, value_name = "FILE", requires = "intake_url")]
    pull_secret_file: Option<PathBuf>,
    /// The keyring passphrase file (else SITO_OFFICE_PASSPHRASE, else a prompt).
    #[arg(long, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,
    /// Also append every signed audit checkpoint to this file (e.g. on a remote mount).
    #[arg(long, value_name = "PATH")]
    checkpoint_copy: Option<PathBuf>,
    #[command(flatten)]
    office: serve::OfficeOptions,
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
        let url = serve::database_url(&args.data, &args.store);
        let keyring_path = args.data.join("keys/office.keyring");
        let keyring = if keyring_path.is_file() {
            // A demo directory keeps its passphrase beside the keyring; a real office never does.
            let demo_passphrase = args.data.join(super::demo::DEMO_PASSPHRASE_FILE);
            let passphrase_file = args.passphrase_file.clone().or_else(|| {
                (std::env::var_os("SITO_OFFICE_PASSPHRASE").is_none() && demo_passphrase.is_file())
                    .then_some(demo_passphrase)
            });
            let passphrase = intake::office_passphrase(passphrase_file.as_deref())?;
            Some(Arc::new(intake::unlock_keyring(&keyring_path, &passphrase)?))
        } else {
            eprintln!(
                "warning: no office keyring in {}: case content is stored unencrypted; create one with `sito keys generate`",
                args.data.join("keys").display()
            );
            None
        };
        let store = match &keyring {
            Some(keyring) => serve::open_encrypted_store(&url, Arc::clone(keyring)).await?,
            None => serve::open_store(&url).await?,
        };
        if let Some(keyring) = &keyring {
            super::audit::spawn_checkpoints(Arc::clone(&store), Arc::clone(keyring), &args.data, args.checkpoint_copy.as_deref());
        }
        let state = serve::apply_office_options(serve::app_state(store, pipeline), &args.office);
        serve::start_screening(&url, &state).await?;
        let mut staff_link = None;
        if let Some(intake_url) = &args.intake_url {
            let secret_path = args
                .pull_secret_file
                .clone()
                .unwrap_or_else(|| args.data.join(intake::PULL_SECRET_FILE));
            let secret = std::fs::read_to_string(&secret_path).map_err(|error| {
                bad_input(format!(
                    "{}: cannot read the pull secret: {error}",
                    secret_path.display()
                ))
            })?;
            let keyring = keyring
                .clone()
                .ok_or_else(|| bad_input("pulling from an intake needs the office keyring (`sito keys generate`)"))?;
            let puller = OfficePuller {
                store: Arc::clone(&state.store),
                received: serve::open_received(&url).await?,
                keyring,
                pipeline: Arc::clone(&state.pipeline),
                client: PullClient::new(
                    intake_url,
                    zeroize::Zeroizing::new(secret.trim().to_owned()),
                ),
            };
            staff_link = Some(puller.clone());
            tokio::spawn(puller.run(sito_intake::PULL_INTERVAL));
        }
        serve::serve_office(state, &args.listen, staff_link).await
    })
}
