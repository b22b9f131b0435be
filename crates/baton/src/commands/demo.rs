//! `baton demo`: the handbook's team on a fresh embedded database, with six weeks of history,
//! served on localhost.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use baton_core::access::{NewApiToken, Role};
use baton_core::civil::{local_date, resolve_local, Side};
use baton_core::model::{NewOverride, NewSwap, NewTimeOff};
use baton_server::clock::Clock;
use baton_server::service::Service;
use baton_server::startup::{shutdown_signal, Application};
use baton_store::{InquiryFilter, OpenMode, Store};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;

use crate::cli::{DemoArgs, Format, ScheduleArgs, ScheduleFormat, WhoArgs};
use crate::commands::{demo_history, schedule, who};
use crate::org::Org;

/// The handbook team, compiled in so the demo runs from any folder.
const DEMO_CONFIG: &str = include_str!("../../../../examples/integrations.toml");

pub async fn run(args: &DemoArgs) -> Result<()> {
    let path = args.demo_database.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("baton-demo-{}.db", std::process::id()))
    });
    let config = baton_config::parse(DEMO_CONFIG, Path::new("examples/integrations.toml"))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let url = format!("sqlite://{}", path.display());
    let mut org = Org::from_config(config, Some(url.clone()));
    let store = org.open(OpenMode::Create).await?;
    let now = Utc::now();
    let service = Service::new(
        Arc::new(org.config.clone()),
        store.clone(),
        Clock::manual(now),
    );
    let fresh = store
        .list_inquiries(&InquiryFilter {
            limit: 1,
            ..InquiryFilter::default()
        })
        .await?
        .is_empty();
    if fresh {
        eprintln!("filling the demo database with six weeks of history…");
        seed_schedule(&org, &store, now)
            .await
            .context("cannot record the demo's overrides")?;
        let team = org.one_team(Some("integrations"))?;
        demo_history::seed(&service, team, now)
            .await
            .context("cannot fill the demo database")?;
    }
    println!(
        "baton demo — the Integrations team from the handbook, on {}\n",
        path.display()
    );
    println!("The handbook's schedule (trial, Sept 26 – Nov 21, 2022):");
    schedule::run(
        &mut org,
        &schedule_args(Some("2022-09-26"), Some("2022-11-21")),
    )
    .await?;
    println!("\nWho is on duty now:");
    let who_args = WhoArgs {
        team: None,
        at: None,
        format: Format::Table,
    };
    who::run(&mut org, &who_args).await?;
    println!("\nThe coming weeks (with the demo's override, swap and time off):");
    schedule::run(&mut org, &schedule_args(None, None)).await?;
    println!("\nThe open queue:");
    let live = Service::new(Arc::new(org.config.clone()), store.clone(), Clock::system());
    let team = org.one_team(Some("integrations"))?;
    let queue = live.queue(&team.slug, 20).await?;
    crate::commands::inquiries::print_queue(&org, team.tz, &queue);

    let (secret, token_hash) = baton_server::auth::generate_token();
    store
        .create_token(NewApiToken {
            name: format!("demo-admin-{}", now.format("%Y%m%dT%H%M%S")),
            role: Role::Admin,
            token_hash,
            created_by: "demo".into(),
        })
        .await?;
    if args.no_serve {
        return Ok(());
    }
    let app = Application::build(live, args.listen)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {} (try --listen 127.0.0.1:0)",
                args.listen
            )
        })?;
    let base = format!("http://{}", app.local_addr());
    let link = demo_sign_in_link(store.as_ref(), &base)
        .await
        .context("cannot make the demo's sign-in link")?;
    println!(
        "\nbaton is serving the demo on {base}\n\
         Open this link to sign in: {link}\n  \
         (as {DEMO_EMAIL}, an admin; the link works once, within 24 hours)\n\
         Admin token (shown once): {secret}\n\
         Try:\n  curl -H 'Authorization: Bearer {secret}' {base}/api/v1/teams/integrations/queue\n  \
         curl -H 'Authorization: Bearer {secret}' {base}/api/v1/teams/integrations/oncall\n  \
         {base}/api/v1/teams/integrations/calendar.ics?token={secret}\n\
         The CLI works on the same database:\n  \
         cargo run -- --config examples/integrations.toml --database {url} queue\n\
         Press Ctrl-C to stop."
    );
    app.run_until_stopped(shutdown_signal()).await?;
    Ok(())
}

/// The demo's web account: an admin who signs in by one-time link.
const DEMO_EMAIL: &str = "demo@example.com";

/// A fresh one-time sign-in link to the demo's admin account (made on the first run), on the
/// server at `base`.
async fn demo_sign_in_link(store: &dyn Store, base: &str) -> Result<String> {
    use baton_server::web::accounts;
    let now = Utc::now();
    let user = match store.find_user(DEMO_EMAIL).await? {
        Some(user) => user,
        None => accounts::add_user(store, DEMO_EMAIL, Role::Admin, None, "demo", now).await?,
    };
    let secret = accounts::issue_login_link(store, user.id, "demo", now).await?;
    Ok(accounts::link_url(base, &secret))
}

fn schedule_args(from: Option<&str>, until: Option<&str>) -> ScheduleArgs {
    ScheduleArgs {
        team: None,
        from: from.map(String::from),
        until: until.map(String::from),
        format: ScheduleFormat::Table,
    }
}

/// Records what a real team's weeks bring: someone covers an afternoon, two members trade
/// weeks, and a vacation lands on a shift.
async fn seed_schedule(org: &Org, store: &Arc<dyn Store>, now: DateTime<Utc>) -> Result<()> {
    let team = org.one_team(Some("integrations"))?;
    let rotation = &team.rotation;
    let current = rotation
        .index_at(now)
        .context("now is beyond the calendar")?;
    let at = |i: i64| rotation.handoff(i).context("beyond the calendar");
    // Next week's engineer is at the dentist on Wednesday afternoon; the one after covers.
    let wednesday = local_date(team.tz, at(current + 1)? + Duration::days(2));
    store
        .add_override(NewOverride {
            team: team.slug.clone(),
            member: rotation.member_of(current + 2).to_owned(),
            start: civil(team.tz, wednesday, 13),
            end: civil(team.tz, wednesday, 17),
            reason: Some("dentist appointment".into()),
            created_by: "demo".into(),
        })
        .await?;
    store
        .add_swap(NewSwap {
            team: team.slug.clone(),
            first: at(current + 3)?,
            second: at(current + 4)?,
            reason: Some("conference week".into()),
            created_by: "demo".into(),
        })
        .await?;
    // The engineer two weeks out is on vacation on Wednesday and Thursday of their shift.
    let away = rotation.member_of(current + 2).to_owned();
    let tz = team.member(&away).map_or(team.tz, |m| m.tz);
    let first_day = local_date(tz, at(current + 2)? + Duration::days(2));
    store
        .add_time_off(NewTimeOff {
            member: away,
            start: civil(tz, first_day, 0),
            end: civil(tz, first_day + Duration::days(2), 0),
            reason: Some("vacation".into()),
            created_by: "demo".into(),
        })
        .await?;
    Ok(())
}

/// `hour`:00 on `day` in `tz`.
fn civil(tz: Tz, day: NaiveDate, hour: u32) -> DateTime<Utc> {
    let time = NaiveTime::from_hms_opt(hour, 0, 0).unwrap_or(NaiveTime::MIN);
    resolve_local(tz, day.and_time(time), Side::Earliest)
}
