//! `sito users`: staff accounts from the command line (the administrator's tool on the office host).
//! New passwords are generated and printed once; a new or reset account enrols its authenticator at first
//! sign-in, through the QR code on the enrolment page.
use std::path::PathBuf;

use clap::{Args, Subcommand};
use sito_core::{Role, StaffId};
use sito_store::{NewStaff, Store, StoreError};
use uuid::Uuid;

use super::serve::{self, StoreArgs};
use crate::exit::bad_input;

#[derive(Args)]
pub struct UsersArgs {
    /// The data directory holding the office database.
    #[arg(long, value_name = "DIR", global = true, default_value = "sito-demo")]
    data: PathBuf,
    #[command(flatten)]
    store: StoreArgs,
    #[command(subcommand)]
    action: UsersAction,
}

#[derive(Subcommand)]
enum UsersAction {
    /// Create an account; prints its password once.
    Add {
        /// The staff member's call sign (their user name).
        #[arg(long)]
        user: String,
        /// intake_coordinator, security_officer, logistics_officer, psychologist, polygraph_examiner,
        /// board_member, training_officer, unit_commander, auditor or administrator.
        #[arg(long)]
        role: String,
    },
    /// Disable an account and end its sessions.
    Disable {
        #[arg(long)]
        user: String,
    },
    /// Set a new random password (printed once), clear its failed sign-ins and end its sessions.
    ResetPassword {
        #[arg(long)]
        user: String,
    },
    /// Remove the account's authenticator and recovery codes; the next sign-in enrols a new one.
    #[command(name = "reset-2fa")]
    Reset2fa {
        #[arg(long)]
        user: String,
    },
    /// List accounts with their role and state.
    List,
}

pub fn run(args: UsersArgs) -> anyhow::Result<()> {
    if args.store.database.is_none() && !args.data.join("office.db").is_file() {
        return Err(bad_input(format!(
            "{}: no office database here (office.db)",
            args.data.display()
        )));
    }
    let url = serve::database_url(&args.data, &args.store);
    serve::runtime()?.block_on(async {
        let store = serve::open_store(&url).await?;
        match args.action {
            UsersAction::Add { user, role } => add(store.as_ref(), &user, &role).await,
            UsersAction::Disable { user } => {
                let staff = find(store.as_ref(), &user).await?;
                store.set_disabled(staff, true).await?;
                eprintln!("disabled {user}; its sessions are ended");
                Ok(())
            }
            UsersAction::ResetPassword { user } => {
                let staff = find(store.as_ref(), &user).await?;
                let password = super::demo::random_password()?;
                store.set_password(staff, &hash(&password).await?).await?;
                eprintln!("staff account: user={user} password={}", password.as_str());
                Ok(())
            }
            UsersAction::Reset2fa { user } => {
                let staff = find(store.as_ref(), &user).await?;
                store.reset_totp(staff).await?;
                eprintln!(
                    "second factor of {user} removed; the next sign-in enrols a new authenticator"
                );
                Ok(())
            }
            UsersAction::List => {
                for member in store.list_staff().await? {
                    let state = match (member.disabled, member.totp_secret.is_some()) {
                        (true, _) => "disabled",
                        (false, true) => "enrolled",
                        (false, false) => "not-enrolled",
                    };
                    println!("{}\t{}\t{state}", member.call_sign, member.role.as_str());
                }
                Ok(())
            }
        }
    })
}

async fn hash(password: &str) -> anyhow::Result<String> {
    std::sync::Arc::new(sito_office::auth::PasswordHashing::recommended())
        .hash(password.to_owned())
        .await
        .map_err(|error| anyhow::anyhow!("{error}"))
}

async fn find(store: &dyn Store, user: &str) -> anyhow::Result<StaffId> {
    match store.staff_by_call_sign(user).await {
        Ok(staff) => Ok(staff.id),
        Err(StoreError::NotFound) => Err(bad_input(format!("no staff account `{user}`"))),
        Err(other) => Err(other.into()),
    }
}

async fn add(store: &dyn Store, user: &str, role: &str) -> anyhow::Result<()> {
    let user = user.trim();
    if user.is_empty() || user.chars().count() > 64 || user.chars().any(char::is_whitespace) {
        return Err(bad_input(
            "--user: a call sign of 1 to 64 characters without spaces",
        ));
    }
    let Some(role) = Role::parse(role) else {
        let known: Vec<&str> = Role::ALL.iter().map(|role| role.as_str()).collect();
        return Err(bad_input(format!(
            "--role `{role}`: not a role; one of {}",
            known.join(", ")
        )));
    };
    let password = super::demo::random_password()?;
    let new = NewStaff {
        id: StaffId::from_uuid(Uuid::now_v7()),
        call_sign: user.to_owned(),
        role,
        password_hash: hash(&password).await?,
        created_at: sito_office::now(),
    };
    match store.create_staff(&new).await {
        Ok(()) => {}
        Err(StoreError::Duplicate) => {
            return Err(bad_input(format!(
                "a staff account `{user}` exists already"
            )));
        }
        Err(other) => return Err(other.into()),
    }
    eprintln!(
        "staff account: role={} user={user} password={}",
        role.as_str(),
        password.as_str()
    );
    Ok(())
}
