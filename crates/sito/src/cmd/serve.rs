//! What `demo` and `office` share: opening the store, loading the pipeline, serving the staff site.
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use sito_core::Pipeline;
use sito_office::{AppState, OfficeConfig};
use sito_store::Store;

use crate::exit::bad_input;

/// Options every serving command takes.
#[derive(clap::Args, Clone, Debug)]
pub struct StoreArgs {
    /// Database URL: sqlite://PATH or postgres://… (default: sqlite://DIR/office.db inside the data directory).
    #[arg(long, value_name = "URL")]
    pub database: Option<String>,
    /// A pipeline file to use instead of the embedded default (pipelines/legion.toml).
    #[arg(long, value_name = "FILE")]
    pub pipeline: Option<PathBuf>,
}

pub fn database_url(data: &Path, args: &StoreArgs) -> String {
    args.database
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", data.join("office.db").display()))
}

pub fn load_pipeline(args: &StoreArgs) -> anyhow::Result<Pipeline> {
    let pipeline = match &args.pipeline {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|error| {
                bad_input(format!(
                    "{}: cannot read the pipeline file: {error}",
                    path.display()
                ))
            })?;
            Pipeline::from_toml(&path.display().to_string(), &text)
        }
        None => Pipeline::default_legion(),
    };
    pipeline.map_err(|error| bad_input(error.to_string()))
}

/// A store-opening result as the command line reports it: a URL naming no backend we have is the caller's input
/// (exit 2), anything else is the database's failure.
pub fn opened<T>(result: sito_store::Result<T>) -> anyhow::Result<T> {
    match result {
        Ok(store) => Ok(store),
        Err(error @ sito_store::StoreError::UnsupportedUrl(_)) => Err(bad_input(error.to_string())),
        Err(error) => Err(anyhow::Error::new(error).context("cannot open the database")),
    }
}

/// Opens the office store on the backend the URL names (`sqlite://PATH` or `postgres://…`).
pub async fn open_store(url: &str) -> anyhow::Result<Arc<dyn Store>> {
    opened(sito_store::open(url).await).map(Arc::from)
}

/// Opens the store with the office keyring, so case content is encrypted at rest with per-case keys
/// (DESIGN.md invariant 3).
pub async fn open_encrypted_store(
    url: &str,
    keyring: Arc<sito_keyring::OfficeKeyring>,
) -> anyhow::Result<Arc<dyn Store>> {
    opened(sito_store::open_encrypted(url, keyring).await).map(Arc::from)
}

/// The office's side of the pull, on the office database's backend.
pub async fn open_received(
    url: &str,
) -> anyhow::Result<Arc<dyn sito_store::intake::ReceivedStore>> {
    opened(sito_store::intake::open(url).await).map(Arc::from)
}

pub fn app_state(store: Arc<dyn Store>, pipeline: Pipeline) -> AppState {
    AppState {
        store,
        pipeline: Arc::new(pipeline),
        passwords: Arc::new(sito_office::auth::PasswordHashing::recommended()),
        config: Arc::new(OfficeConfig::default()),
        sign_ins: Arc::default(),
    }
}

/// Binds the staff site and serves it until Ctrl-C. The `listening on` line is printed once connections are
/// accepted, as contracts/intake-api.md says.
pub async fn serve_office(
    state: AppState,
    listen: &str,
    intake: Option<sito_office::pull::OfficePuller>,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|error| bad_input(format!("cannot listen on {listen}: {error}")))?;
    let address = listener.local_addr().context("listener address")?;
    eprintln!("listening on http://{address} (office)");
    let app = sito_office::routes::office_router_with_links(state, links());
    // Assisted intake and replies to applicants go through the office's pull channel to the intake.
    let app = sito_office::staff_intake::with_intake_link(app, intake);
    let app = sito_office::planning::attach(app, planning());
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    sito_office::serve_with_peers(listener, app, shutdown).await;
    Ok(())
}

pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Screens every active case against the imported watchlists in the background, again after each import
/// (`sito watchlist import`); hits open screening flags on the cases.
pub async fn start_screening(url: &str, state: &AppState) -> anyhow::Result<()> {
    let lists = opened(sito_store::screening::open(url).await)?;
    let screener = Arc::new(sito_office::screening::Screener::new(Arc::from(lists)));
    tokio::spawn(sito_office::screening::run_forever(
        screener,
        Arc::clone(&state.store),
        Arc::clone(&state.pipeline),
    ));
    start_planning(url).await?;
    start_linking(url, state).await
}

/// The planning store of this process's office (locations, staff calendar, plans), opened with screening so that
/// `office` and `demo` both have it before the router is built.
static PLANNING: std::sync::OnceLock<sito_office::planning::Planning> = std::sync::OnceLock::new();

async fn start_planning(url: &str) -> anyhow::Result<()> {
    let store = opened(sito_store::planning::open(url).await)?;
    let _ = PLANNING.set(sito_office::planning::Planning::new(Arc::from(store)));
    Ok(())
}

/// The planning store once `start_screening` opened it.
pub fn planning() -> Option<sito_office::planning::Planning> {
    PLANNING.get().cloned()
}

/// The link store of this process's office, for the cluster pages. A process serves one office, and `office` and
/// `demo` both start screening before serving, so this is set before the router is built (and the router works
/// without it: the pages then say that link analysis is not running).
static LINKS: std::sync::OnceLock<Arc<dyn sito_store::links::LinkStore>> =
    std::sync::OnceLock::new();

/// Link analysis beside screening: applications sharing keys are grouped, and groups sharing two or more kinds of
/// key open flags. The keys are HMACs under a secret that lives only in this process; the groups are stored, the
/// keys never are, so a seized database holds nothing to test a guessed phone number against. The price: a
/// restarted office reads every application's content once more (docs/screening.md has the figures).
async fn start_linking(url: &str, state: &AppState) -> anyhow::Result<()> {
    let links: Arc<dyn sito_store::links::LinkStore> =
        Arc::from(opened(sito_store::links::open(url).await)?);
    let linker = Arc::new(sito_office::screening::Linker::new(
        Arc::clone(&links),
        sito_crypto::BlindIndexKey::generate(),
        sito_screen::links::LinkConfig::default(),
    ));
    tokio::spawn(sito_office::screening::link_forever(
        linker,
        Arc::clone(&state.store),
        Arc::clone(&state.pipeline),
    ));
    let _ = LINKS.set(links);
    Ok(())
}

/// The link store once `start_screening` opened it, for the staff site's router.
pub fn links() -> Option<Arc<dyn sito_store::links::LinkStore>> {
    LINKS.get().cloned()
}

/// Office settings every serving command takes: retention and the auditor's alert thresholds.
#[derive(clap::Args, Clone, Debug)]
pub struct OfficeOptions {
    /// Rejected or withdrawn cases are crypto-shredded this many days after closing; their statistics stay.
    #[arg(long, value_name = "DAYS", default_value_t = 180)]
    pub retention_days: u32,
    /// Identity reads by one person in an hour above which the auditor is alerted.
    #[arg(long, value_name = "N", default_value_t = 30)]
    pub alert_reads_per_hour: u64,
    /// Office hours in UTC as START-END; identity reads and bulk actions outside them raise an alert.
    #[arg(long, value_name = "START-END", default_value = "6-21", value_parser = parse_work_hours)]
    pub work_hours: (u8, u8),
    /// Mark the session and sign-in cookies `Secure`, so browsers send them over HTTPS only (behind a TLS reverse
    /// proxy; docs/deploy.md). On whenever --public-url is an https address.
    #[arg(long)]
    pub secure_cookies: bool,
    /// The address staff open the office at, as the reverse proxy in front of it serves it
    /// (e.g. https://office.example.org).
    #[arg(long, value_name = "URL", value_parser = parse_public_url)]
    pub public_url: Option<String>,
    /// The reverse proxy in front of the office (its address as the office sees it, e.g. 127.0.0.1): its
    /// X-Forwarded-For header then names the client for the per-address sign-in limits. Without it, requests from a
    /// loopback address are not limited per address (they could be anyone's), only per account.
    #[arg(long, value_name = "IP")]
    pub trusted_proxy: Option<std::net::IpAddr>,
}

impl OfficeOptions {
    /// Cookies are `Secure` when asked for, or when staff reach the office over HTTPS anyway: a cookie without the
    /// flag would also be sent over a plain-HTTP request an attacker on the network provokes.
    pub fn cookies_secure(&self) -> bool {
        self.secure_cookies
            || self.public_url.as_deref().is_some_and(|url| {
                url.get(..8)
                    .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
            })
    }
}

fn parse_public_url(text: &str) -> Result<String, String> {
    let lower = text.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .ok_or("expected an http:// or https:// address, e.g. https://office.example.org")?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err("the address names no host".into());
    }
    Ok(text.to_owned())
}

fn parse_work_hours(text: &str) -> Result<(u8, u8), String> {
    let (start, end) = text
        .split_once('-')
        .ok_or("expected START-END, e.g. 6-21")?;
    let hour = |part: &str| part.trim().parse::<u8>().ok().filter(|hour| *hour <= 24);
    match (hour(start), hour(end)) {
        (Some(start), Some(end)) if start < end => Ok((start, end)),
        _ => Err("expected two hours 0-24, the first before the second, e.g. 6-21".into()),
    }
}

/// Applies the options to the office's settings and starts the retention job: once an hour, the data keys of
/// cases closed longer ago than the retention period are deleted (crypto-shredding).
pub fn apply_office_options(mut state: AppState, options: &OfficeOptions) -> AppState {
    let mut config = (*state.config).clone();
    config.alert_reads_per_hour = options.alert_reads_per_hour;
    config.work_hours = options.work_hours;
    config.secure_cookies = options.cookies_secure();
    config.trusted_proxy = options.trusted_proxy;
    state.config = Arc::new(config);
    let store = Arc::clone(&state.store);
    let retention = i64::from(options.retention_days) * 86_400;
    tokio::spawn(async move {
        loop {
            let now = sito_office::now();
            match store.shred_closed_cases(now - retention, now).await {
                Ok(0) => {}
                Ok(shredded) => tracing::info!(shredded, "retention: closed cases crypto-shredded"),
                Err(error) => tracing::error!(%error, "retention job failed"),
            }
            tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
        }
    });
    state
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::OfficeOptions;

    #[derive(Parser)]
    struct Options {
        #[command(flatten)]
        office: OfficeOptions,
    }

    fn secure(args: &[&str]) -> Result<bool, clap::Error> {
        Options::try_parse_from(std::iter::once("sito").chain(args.iter().copied()))
            .map(|options| options.office.cookies_secure())
    }

    #[test]
    fn cookies_are_secure_when_asked_or_when_the_office_is_served_over_https() {
        assert!(!secure(&[]).unwrap());
        assert!(secure(&["--secure-cookies"]).unwrap());
        assert!(secure(&["--public-url", "https://office.example.org"]).unwrap());
        assert!(secure(&["--public-url", "HTTPS://office.example.org/"]).unwrap());
        assert!(!secure(&["--public-url", "http://office.local"]).unwrap());
        assert!(secure(&["--public-url", "http://office.local", "--secure-cookies"]).unwrap());
        assert!(secure(&["--public-url", "office.example.org"]).is_err());
        assert!(secure(&["--public-url", "https://"]).is_err());
    }
}
