//! `baton token create|list|revoke`: bearer tokens for the HTTP API.

use anyhow::{anyhow, Result};
use baton_core::access::{NewApiToken, Role};
use baton_store::OpenMode;

use crate::cli::{Format, TokenCommand};
use crate::org::Org;
use crate::render::Table;

pub async fn run(org: &mut Org, command: TokenCommand) -> Result<()> {
    let store = org.open(OpenMode::Existing).await?;
    match command {
        TokenCommand::Create { name, role, actor } => {
            let role: Role = role.parse().map_err(|e| anyhow!("--role: {e}"))?;
            let (secret, token_hash) = baton_server::auth::generate_token();
            let token = store
                .create_token(NewApiToken {
                    name,
                    role,
                    token_hash,
                    created_by: actor.by,
                })
                .await?;
            eprintln!(
                "token #{} {:?} ({}) created; it is shown only now, keep it somewhere safe:",
                token.id, token.name, token.role
            );
            println!("{secret}");
        }
        TokenCommand::List { format } => {
            let tokens = store.list_tokens().await?;
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&tokens)?),
                Format::Table => {
                    let mut table = Table::new(&["ID", "Name", "Role", "Created", "By", "Revoked"]);
                    for t in &tokens {
                        table.row(vec![
                            format!("#{}", t.id),
                            t.name.clone(),
                            t.role.to_string(),
                            t.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                            t.created_by.clone(),
                            t.revoked_at
                                .map(|r| r.format("%Y-%m-%d %H:%M UTC").to_string())
                                .unwrap_or_default(),
                        ]);
                    }
                    print!("{table}");
                }
            }
        }
        TokenCommand::Revoke { id, actor } => {
            let t = store.revoke_token(id, &actor.by).await?;
            println!("token #{} {:?} revoked", t.id, t.name);
        }
    }
    Ok(())
}
