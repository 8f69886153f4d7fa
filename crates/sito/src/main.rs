//! `sito`: the command-line face of Sito. Every subcommand is a thin adapter that parses its arguments,
//! calls the library crates and maps their errors to exit codes: 0 success, 2 bad input, 1 anything else.
#![forbid(unsafe_code)]

mod cmd;
mod exit;
mod planning_seed;
mod synthetic;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "sito",
    version,
    about = "Secure intake and vetting of volunteers",
    propagate_version = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a complete office with synthetic applications on an embedded database.
    Demo(cmd::demo::DemoArgs),
    /// Serve the applicants' intake site (see contracts/intake-api.md).
    Intake(cmd::intake::IntakeArgs),
    /// Serve the staff site over an existing data directory.
    Office(cmd::office::OfficeArgs),
    /// Batch watchlist screening of applicants (see contracts/screening.md).
    Screen(cmd::screen::ScreenArgs),
    /// Build a vetting schedule for an instance (see contracts/plan.md).
    Plan(cmd::plan::PlanArgs),
    /// Capacity planning by discrete-event simulation (see contracts/simulate.md).
    Simulate(cmd::simulate::SimulateArgs),
    /// Import watchlists into an office for automatic screening of every case.
    Watchlist(cmd::watchlist::WatchlistArgs),
    /// Office keys: generate, rotate, export the public recipients, sign the intake's addresses.
    Keys(cmd::keys::KeysArgs),
    /// Staff accounts: add, disable, reset-password, reset-2fa, list.
    Users(cmd::users::UsersArgs),
    /// The audit log: verify the hash chain and checkpoints, sign a checkpoint.
    Audit(cmd::audit::AuditArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let result = match cli.command {
        Command::Demo(args) => cmd::demo::run(args),
        Command::Intake(args) => cmd::intake::run(args),
        Command::Office(args) => cmd::office::run(args),
        Command::Screen(args) => cmd::screen::run(args),
        Command::Plan(args) => cmd::plan::run(args),
        Command::Simulate(args) => cmd::simulate::run(args),
        Command::Keys(args) => cmd::keys::run(args),
        Command::Watchlist(args) => cmd::watchlist::run(args),
        Command::Users(args) => cmd::users::run(args),
        Command::Audit(args) => cmd::audit::run(args),
    };
    exit::report(result)
}

/// Logs go to standard error; `SITO_LOG` takes a tracing filter (default: our crates at info, the rest at warn).
/// Nothing logs request bodies, peers, codenames or identities: see ARCHITECTURE.md's invariants.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SITO_LOG").unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(
            "warn,sito=info,sito_office=info,sito_store=info,sito_screen=info,sito_plan=info",
        )
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
