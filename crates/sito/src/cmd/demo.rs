//! `sito demo`: a complete office on an embedded database with synthetic applications, one account per role.
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use sito_core::{Pipeline, Role, StaffId, UnitId};
use sito_store::{NewStaff, Store, UnitRecord};
use uuid::Uuid;

use sito_intake::Limits;
use sito_office::pull::{OfficePuller, PullClient};

use super::intake;
use super::serve::{self, StoreArgs};
use crate::exit::bad_input;
use crate::synthetic::{DemoStaff, Generator};

#[derive(Args)]
pub struct DemoArgs {
    /// Where the demo keeps its database (created if missing, reused if present).
    #[arg(long, value_name = "DIR", default_value = "sito-demo")]
    data: PathBuf,
    /// Address of the applicants' intake site.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8080")]
    intake_listen: String,
    /// Address of the staff site.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8081")]
    office_listen: String,
    /// Start without synthetic applications.
    #[arg(long)]
    empty: bool,
    /// How many synthetic applications a new demo gets.
    #[arg(long, value_name = "N", default_value_t = 2000, hide = true)]
    cases: usize,
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    office: serve::OfficeOptions,
}

/// The demo's staff: one account per role, two where the pipeline needs two different people (the second
/// polygraph examiner, the second board member).
const ACCOUNTS: &[(Role, &str)] = &[
    (Role::IntakeCoordinator, "lynx"),
    (Role::SecurityOfficer, "owl"),
    (Role::LogisticsOfficer, "badger"),
    (Role::Psychologist, "heron"),
    (Role::PolygraphExaminer, "wolf"),
    (Role::PolygraphExaminer, "raven"),
    (Role::BoardMember, "oak"),
    (Role::BoardMember, "elm"),
    (Role::TrainingOfficer, "hawk"),
    (Role::UnitCommander, "bear"),
    (Role::Auditor, "fox"),
    (Role::Administrator, "beaver"),
];

const UNITS: &[(&str, u32)] = &[
    ("Siberian Battalion", 300),
    ("1st Assault Battalion", 250),
    ("2nd Rifle Battalion", 200),
    ("Reserve Battalion", 120),
];

pub fn run(args: DemoArgs) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let pipeline = serve::load_pipeline(&args.store)?;
    create_private_dir(&args.data)?;
    serve::runtime()?.block_on(async {
        let keyring = Arc::new(ensure_keyring(&args.data)?);
        let store = serve::open_encrypted_store(
            &serve::database_url(&args.data, &args.store),
            Arc::clone(&keyring),
        )
        .await?;
        let state = serve::apply_office_options(
            serve::app_state(Arc::clone(&store), pipeline),
            &args.office,
        );
        serve::start_screening(&serve::database_url(&args.data, &args.store), &state).await?;
        let staff = ensure_staff(&state).await?;
        let units = ensure_units(store.as_ref()).await?;
        if let Some(planning) = serve::planning() {
            crate::planning_seed::seed_planning(planning.store().as_ref()).await?;
        }
        let existing = store.list_cases(&Default::default(), 1, 1).await?.total;
        if !args.empty && existing == 0 && args.cases > 0 {
            seed_cases(store.as_ref(), &state.pipeline, &staff, units, args.cases).await?;
        }
        super::audit::spawn_checkpoints(Arc::clone(&store), Arc::clone(&keyring), &args.data, None);
        let url = serve::database_url(&args.data, &args.store);
        let intake =
            intake::open_intake(&url, intake::intake_config(&args.data, Limits::default())?)
                .await?;
        eprintln!(
            "demo data in {} (ready in {:.1} s)",
            args.data.display(),
            started.elapsed().as_secs_f64()
        );
        let office_listener = intake::bind(&args.office_listen).await?;
        eprintln!(
            "listening on http://{} (office)",
            office_listener.local_addr().context("listener address")?
        );
        let mut staff_link = None;
        match tokio::net::TcpListener::bind(&args.intake_listen).await {
            Ok(intake_listener) => {
                let intake_address = intake_listener.local_addr().context("listener address")?;
                // Both sides share one database file; the intake's tables still hold only ciphertext (invariant 2).
                let puller = OfficePuller {
                    store: Arc::clone(&store),
                    received: serve::open_received(&url).await?,
                    keyring,
                    pipeline: Arc::clone(&state.pipeline),
                    client: PullClient::new(
                        &intake_address.to_string(),
                        intake.config().pull_secret.clone(),
                    ),
                };
                eprintln!("listening on http://{intake_address} (intake)");
                tokio::spawn(intake::serve_intake(intake_listener, intake));
                staff_link = Some(puller.clone());
                tokio::spawn(puller.run(sito_intake::PULL_INTERVAL));
            }
            // Several demos side by side (tests that set only --office-listen) must not fail on the intake's port:
            // the staff site still serves, and the message says why the intake does not.
            Err(error) => eprintln!(
                "the intake is not served: cannot listen on {}: {error}",
                args.intake_listen
            ),
        }
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        sito_office::serve_with_peers(
            office_listener,
            sito_office::planning::attach(
                sito_office::staff_intake::with_intake_link(
                    sito_office::routes::office_router_with_links(state, serve::links()),
                    staff_link,
                ),
                serve::planning(),
            ),
            shutdown,
        )
        .await;
        Ok(())
    })
}

pub const DEMO_PASSPHRASE_FILE: &str = "keys/DEMO-PASSPHRASE-NOT-FOR-REAL-USE.txt";

/// The demo's office keyring: made on first run, its passphrase kept beside it in plain text. That defeats the
/// keyring's protection, which is acceptable only because a demo holds synthetic data; a real office runs
/// `sito keys generate` and keeps the passphrase elsewhere.
fn ensure_keyring(data: &std::path::Path) -> anyhow::Result<sito_keyring::OfficeKeyring> {
    let keys = data.join("keys");
    let keyring_path = keys.join("office.keyring");
    let passphrase_path = data.join(DEMO_PASSPHRASE_FILE);
    if keyring_path.is_file() {
        let passphrase = intake::office_passphrase(Some(&passphrase_path))?;
        return intake::unlock_keyring(&keyring_path, &passphrase);
    }
    create_private_dir(&keys)?;
    let passphrase_text = random_password()?;
    let passphrase = sito_crypto::Passphrase::new(passphrase_text.as_str())
        .map_err(|error| anyhow::anyhow!("{error}"))?;
    let keyring = sito_keyring::OfficeKeyring::generate(sito_office::now());
    let warning = format!(
        "{}\n# DEMO ONLY: this passphrase unlocks office.keyring beside it. A real office never stores it here.\n",
        passphrase_text.as_str()
    );
    sito_crypto::write_private_file(&passphrase_path, warning.as_bytes(), false)
        .map_err(|error| anyhow::anyhow!("{}: {error}", passphrase_path.display()))?;
    keyring
        .save_new(&keyring_path, &passphrase, sito_crypto::KdfParams::KEYRING)
        .map_err(|error| anyhow::anyhow!("{}: {error}", keyring_path.display()))?;
    std::fs::write(
        data.join(intake::RECIPIENTS_FILE),
        keyring.current_recipients().to_text(),
    )
    .context("cannot write the recipients file")?;
    std::fs::write(
        keys.join("signing-key.pub"),
        keyring.signing_key().public_key().to_string(),
    )
    .context("cannot write the signing public key")?;
    eprintln!(
        "demo office keyring created in {}; its passphrase is in {} (DEMO ONLY: never keep a real one there)",
        keys.display(),
        passphrase_path.display()
    );
    Ok(keyring)
}

fn create_private_dir(path: &std::path::Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(path).map_err(|error| {
        bad_input(format!(
            "{}: cannot create the data directory: {error}",
            path.display()
        ))
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("{}: cannot restrict permissions", path.display()))?;
    }
    Ok(())
}

/// Creates the demo accounts on first run and prints each once; on later runs the accounts are reused.
async fn ensure_staff(state: &sito_office::AppState) -> anyhow::Result<DemoStaff> {
    let existing = state.store.list_staff().await?;
    if !existing.is_empty() {
        eprintln!(
            "staff accounts exist already; their passwords were printed when this directory was created"
        );
        return Ok(DemoStaff {
            members: existing
                .into_iter()
                .map(|member| (member.id, member.role))
                .collect(),
        });
    }
    let mut members = Vec::new();
    for (role, call_sign) in ACCOUNTS {
        let password = random_password()?;
        let hash = state
            .passwords
            .hash(password.to_string())
            .await
            .map_err(|error| anyhow::anyhow!("{error}"))?;
        let id = StaffId::from_uuid(Uuid::now_v7());
        let new = NewStaff {
            id,
            call_sign: (*call_sign).to_owned(),
            role: *role,
            password_hash: hash,
            created_at: sito_office::now(),
        };
        state.store.create_staff(&new).await?;
        // Demo accounts come enrolled in TOTP; the secret is printed once, like the password.
        let secret = sito_office::totp::new_secret().map_err(|error| anyhow::anyhow!("{error}"))?;
        state.store.enrol_totp(id, &secret, 0, &[]).await?;
        eprintln!(
            "staff account: role={} user={call_sign} password={} totp_secret={secret}",
            role.as_str(),
            password.as_str()
        );
        members.push((id, *role));
    }
    Ok(DemoStaff { members })
}

pub(super) fn random_password() -> anyhow::Result<zeroize::Zeroizing<String>> {
    // 16 characters from a 32-letter alphabet without look-alikes: 80 bits.
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|_| anyhow::anyhow!("the system has no randomness"))?;
    Ok(zeroize::Zeroizing::new(
        bytes
            .iter()
            .map(|byte| ALPHABET[usize::from(*byte) % ALPHABET.len()] as char)
            .collect(),
    ))
}

async fn ensure_units(store: &dyn Store) -> anyhow::Result<Vec<(UnitId, u32)>> {
    if store.list_units().await?.is_empty() {
        for (name, target) in UNITS {
            let unit = UnitRecord {
                id: UnitId::from_uuid(Uuid::now_v7()),
                name: (*name).to_owned(),
                target_strength: *target,
            };
            store.create_unit(&unit).await?;
        }
    }
    Ok(store
        .list_units()
        .await?
        .into_iter()
        .map(|(unit, _)| (unit.id, unit.target_strength))
        .collect())
}

async fn seed_cases(
    store: &dyn Store,
    pipeline: &Pipeline,
    staff: &DemoStaff,
    units: Vec<(UnitId, u32)>,
    count: usize,
) -> anyhow::Result<()> {
    let progress = ProgressBar::new(count as u64);
    if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        progress.set_style(
            ProgressStyle::with_template("synthetic applications {bar:40} {pos}/{len} {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
    } else {
        progress.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let mut generator = Generator::new(2026, pipeline, staff, units, sito_office::now());
    let mut made = 0;
    while made < count {
        let batch: Vec<_> = (made..(made + 250).min(count))
            .map(|n| generator.case(n))
            .collect();
        store.create_cases(&batch).await?;
        made += batch.len();
        progress.set_position(made as u64);
    }
    progress.finish_and_clear();
    eprintln!("created {count} synthetic applications");
    Ok(())
}
