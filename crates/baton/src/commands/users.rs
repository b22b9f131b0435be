//! `baton user add|list|role|disable|enable|password|link`: people's accounts for the web pages.

use std::io::BufRead;

use anyhow::{anyhow, bail, Context, Result};
use baton_core::access::{Role, User};
use baton_server::web::accounts::{self, AccountError, LINK_LIFETIME};
use baton_store::{OpenMode, Store, StoreError};
use chrono::Utc;

use crate::cli::{Format, UserCommand};
use crate::org::Org;
use crate::render::Table;

pub async fn run(org: &mut Org, command: UserCommand) -> Result<()> {
    let public_url = org.config.server.public_url.clone();
    let store = org.open(OpenMode::Existing).await?;
    let store = store.as_ref();
    let now = Utc::now();
    match command {
        UserCommand::Add {
            email,
            role,
            password_stdin,
            base_url,
            actor,
        } => {
            let role = parse_role(&role)?;
            let password = if password_stdin {
                Some(read_password()?)
            } else {
                None
            };
            let user = accounts::add_user(store, &email, role, password.as_deref(), &actor.by, now)
                .await
                .map_err(|e| account_error("--email", &email, e))?;
            eprintln!("account #{} {} ({}) added", user.id, user.email, user.role);
            if password.is_none() {
                print_link(
                    store,
                    &user,
                    &actor.by,
                    base_url.as_deref().unwrap_or(&public_url),
                )
                .await?;
            }
        }
        UserCommand::List { format } => {
            let users = store.list_users().await?;
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&users)?),
                Format::Table => {
                    let mut table = Table::new(&[
                        "ID", "Email", "Role", "Sign-in", "Created", "By", "Disabled",
                    ]);
                    for u in &users {
                        table.row(vec![
                            format!("#{}", u.id),
                            u.email.clone(),
                            u.role.to_string(),
                            if u.password_hash.is_some() {
                                "password"
                            } else {
                                "link only"
                            }
                            .to_owned(),
                            u.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                            u.created_by.clone(),
                            u.disabled_at
                                .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
                                .unwrap_or_default(),
                        ]);
                    }
                    print!("{table}");
                }
            }
        }
        UserCommand::Role { email, role, actor } => {
            let role = parse_role(&role)?;
            let user = find(store, &email).await?;
            let before = user.role;
            let user = store
                .set_user_role(user.id, role, &actor.by, now)
                .await
                .map_err(|e| account_error("--email", &email, e.into()))?;
            if before == user.role {
                println!("{} is already {}", user.email, with_article(user.role));
            } else {
                println!(
                    "{} is now {} (was {})",
                    user.email,
                    with_article(user.role),
                    with_article(before)
                );
            }
        }
        UserCommand::Disable { email, actor } => {
            let user = find(store, &email).await?;
            if !user.is_active() {
                println!("{} was already disabled", user.email);
                return Ok(());
            }
            let user = store.disable_user(user.id, &actor.by, now).await?;
            println!(
                "{} is disabled: it cannot sign in, and its sessions have ended",
                user.email
            );
        }
        UserCommand::Enable { email, actor } => {
            let user = find(store, &email).await?;
            if user.is_active() {
                println!("{} is already enabled", user.email);
                return Ok(());
            }
            let user = store.enable_user(user.id, &actor.by, now).await?;
            println!(
                "{} is enabled again ({}); it needs a new sign-in link or its password",
                user.email,
                with_article(user.role)
            );
        }
        UserCommand::Password {
            email,
            password_stdin: _,
            actor,
        } => {
            let user = find(store, &email).await?;
            let password = read_password()?;
            let hash = accounts::hash_password(&password)
                .map_err(|e| account_error("--email", &email, e))?;
            let user = store
                .set_user_password(user.id, &hash, None, &actor.by, now)
                .await
                .map_err(|e| account_error("--email", &email, AccountError::Store(e)))?;
            println!("{} has a new password; its sessions have ended", user.email);
        }
        UserCommand::Link {
            email,
            base_url,
            actor,
        } => {
            let user = find(store, &email).await?;
            print_link(
                store,
                &user,
                &actor.by,
                base_url.as_deref().unwrap_or(&public_url),
            )
            .await?;
        }
    }
    Ok(())
}

/// "a viewer", "a member", "an admin".
fn with_article(role: Role) -> String {
    match role {
        Role::Admin => format!("an {role}"),
        _ => format!("a {role}"),
    }
}

fn parse_role(role: &str) -> Result<Role> {
    role.parse().map_err(|e| anyhow!("role: {e}"))
}

/// The account with `email`, or an error naming it.
async fn find(store: &dyn Store, email: &str) -> Result<User> {
    store.find_user(email).await?.ok_or_else(|| {
        anyhow!("--email: no account has the email {email:?} (see `baton user list`)")
    })
}

/// Reads the password from the first line of standard input.
fn read_password() -> Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("--password-stdin: cannot read standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        bail!("--password-stdin: standard input is empty; pipe the password in, e.g. `printf %s \"$PW\" | baton user add …`");
    }
    accounts::check_password(&password).map_err(|e| anyhow!("--password-stdin: {e}"))?;
    Ok(password)
}

/// A failed account change, naming what to fix.
fn account_error(option: &str, value: &str, e: AccountError) -> anyhow::Error {
    match e {
        AccountError::Invalid(m) => anyhow!("{m}"),
        AccountError::Store(StoreError::Conflict(m)) => anyhow!("{option} {value}: {m}"),
        AccountError::Store(StoreError::Invalid(m)) => anyhow!("{option} {value}: {m}"),
        AccountError::Store(other) => anyhow::Error::new(other),
    }
}

/// Makes a one-time sign-in link for `user` and prints it (stdout: only the link).
async fn print_link(store: &dyn Store, user: &User, actor: &str, base_url: &str) -> Result<()> {
    if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
        bail!("--base-url: {base_url:?} is not an http:// or https:// address");
    }
    let secret = accounts::issue_login_link(store, user.id, actor, Utc::now())
        .await
        .map_err(|e| account_error("--email", &user.email, e))?;
    eprintln!(
        "one-time sign-in link for {} (valid {} hours, shown only now):",
        user.email,
        LINK_LIFETIME.num_hours()
    );
    println!("{}", accounts::link_url(base_url, secret.as_str()));
    Ok(())
}
