//! `sito`: the command-line face of Sito. Every subcommand is a thin adapter that parses its arguments,
//! calls the library crates and maps their errors to exit codes: 0 success, 2 bad input, 1 anything else.
#![forbid(unsafe_code)]

mod cmd;
mod exit;
mod synthetic;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "sito", version, about = "Secure intake and vetting of volunteers", propagate_version = true)]
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
    /// Office keys: generate, rotate, export the public recipients, sign the intake's addresses.
    Keys(cmd::keys::KeysArgs),
    /// Staff accounts: add, disable, reset-password, reset-2fa, list.
    Users(cmd::users::UsersArgs),
    /// The audit log: verify the hash chain and checkpoints, sign a checkpoint.
    Audit(cmd::audit::AuditArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(args) => cmd::demo::run(args),
        Command::Intake(args) => cmd::intake::run(args),
        Command::Office(args) => cmd::office::run(args),
        Command::Screen(args) => cmd::screen::run(args),
        Command::Plan(args) => cmd::plan::run(args),
        Command::Simulate(args) => cmd::simulate::run(args),
        Command::Keys(args) => cmd::keys::run(args),
        Command::Users(args) => cmd::users::run(args),
        Command::Audit(args) => cmd::audit::run(args),
    };
    exit::report(result)
}
