//! `impact account`: the accounts that sign in to the pages (`web::accounts`). Works while the
//! server runs: the server re-reads the accounts file when it grows, and records each change in
//! the journal (as `impact-account`, the console's admin) at its start or within seconds.

use std::path::PathBuf;

use anyhow::Result;
use clap::Subcommand;

#[derive(Subcommand, Debug)]
pub enum AccountCmd {
    /// Create an account and print its password on stdout (once: only its Argon2id hash is
    /// kept).
    Create {
        #[arg(long, env = "IMPACT_DATA", default_value = "./impact-data")]
        data: PathBuf,
        /// The user name: 2 to 64 characters of a-z, 0-9, '.', '_' and '-'. Events record it as
        /// the actor.
        #[arg(long)]
        user: String,
        /// mediator, supervisor, evaluator or admin.
        #[arg(long)]
        role: String,
        /// The site a mediator works at (mediators only).
        #[arg(long)]
        site: Option<String>,
    },
    /// Disable an account: it can no longer sign in (a running server ends its sign-ins at
    /// their next request).
    Disable {
        #[arg(long, env = "IMPACT_DATA", default_value = "./impact-data")]
        data: PathBuf,
        #[arg(long)]
        user: String,
    },
    /// Draw a new password for an account and print it on stdout (the old one stops working).
    Reset {
        #[arg(long, env = "IMPACT_DATA", default_value = "./impact-data")]
        data: PathBuf,
        #[arg(long)]
        user: String,
    },
    /// List the accounts: user name, role, site, created, disabled (never a password or hash).
    List {
        #[arg(long, env = "IMPACT_DATA", default_value = "./impact-data")]
        data: PathBuf,
    },
}

pub fn run(cmd: AccountCmd) -> Result<()> {
    let now = chrono::Utc::now();
    match cmd {
        AccountCmd::Create {
            data,
            user,
            role,
            site,
        } => {
            let accounts = web::Accounts::open(&data)?;
            let (account, password) = accounts.create(
                &user,
                crate::cli::parse_role(&role)?,
                site.map(domain::SiteId::new),
                now,
                None,
            )?;
            println!("{}", password.0);
            eprintln!(
                "account {} ({}) created; the password above is shown once",
                account.user,
                account.role.as_str()
            );
        }
        AccountCmd::Disable { data, user } => {
            let account = web::Accounts::open(&data)?.disable(&user, now, None)?;
            println!("disabled {}", account.user);
        }
        AccountCmd::Reset { data, user } => {
            let password = web::Accounts::open(&data)?.reset(&user, now, None)?;
            println!("{}", password.0);
            eprintln!("a new password for {user}; the old one no longer works");
        }
        AccountCmd::List { data } => {
            for account in web::Accounts::open(&data)?.list()? {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    account.user,
                    account.role.as_str(),
                    account.site.as_ref().map_or("-", |s| s.as_str()),
                    account.created_at.to_rfc3339(),
                    account.disabled_at.map_or_else(
                        || "active".to_owned(),
                        |at| format!("disabled {}", at.to_rfc3339())
                    )
                );
            }
        }
    }
    Ok(())
}
