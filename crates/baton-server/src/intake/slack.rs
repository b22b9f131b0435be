//! Slack Events API deliveries: which team, and what they make happen.

use baton_config::ReactionShortcut;
use baton_core::inquiry::State;
use baton_core::triage::{Action, Arrival};
use baton_integrations::slack::{
    ts_to_datetime, Event, EventCallback, Message, MessageKind, Reaction, ReactionItem,
};
use chrono::{DateTime, Utc};

use super::route::{slack_member, Routes, Target};
use super::{arrived_at, title_of, Decision};
use crate::service::{Service, ServiceError};

/// The longest inquiry title taken from a message.
const TITLE_CHARS: usize = 120;

/// The event kind stored with the delivery: `message`, `message.bot_message`, `app_mention`, …
pub fn kind(callback: &EventCallback) -> String {
    match &callback.event {
        Event::Message(m) => match &m.subtype {
            Some(subtype) => format!("message.{subtype}"),
            None => "message".to_owned(),
        },
        Event::AppMention(_) => "app_mention".to_owned(),
        Event::ReactionAdded(_) => "reaction_added".to_owned(),
        Event::ReactionRemoved(_) => "reaction_removed".to_owned(),
        Event::Ignored { kind } => kind.clone(),
    }
}

/// The external reference of the Slack message `ts` in `channel`.
pub fn message_ref(channel: &str, ts: &str) -> String {
    format!("slack:{channel}:{ts}")
}

/// The permalink of a message.
pub fn permalink(channel: &str, ts: &str) -> String {
    format!(
        "https://slack.com/archives/{channel}/p{}",
        ts.replace('.', "")
    )
}

/// Decides what `callback` makes happen.
pub async fn decide(
    service: &Service,
    routes: &Routes,
    callback: &EventCallback,
) -> Result<Decision, ServiceError> {
    let mut d = Decision::default();
    match &callback.event {
        Event::Message(m) | Event::AppMention(m) => {
            message(service, routes, m, callback.event_time, &mut d).await?
        }
        Event::ReactionAdded(r) => {
            reaction(service, routes, r, callback.event_time, &mut d).await?
        }
        Event::ReactionRemoved(r) => {
            if let ReactionItem::Message { channel, .. } = &r.item {
                if let Some(t) = routes.slack_channel(channel).first() {
                    d.route(&t.team);
                }
            }
            d.note("ignored: reactions removed change nothing");
        }
        Event::Ignored { kind } => d.note(format!("ignored: event type {kind}")),
    }
    Ok(d)
}

/// A message: `event_time` is the envelope's, for a message without a readable `ts`.
async fn message(
    service: &Service,
    routes: &Routes,
    m: &Message,
    event_time: DateTime<Utc>,
    d: &mut Decision,
) -> Result<(), ServiceError> {
    let watching = routes.slack_channel(&m.channel);
    match watching.first() {
        Some(t) => d.route(&t.team),
        None => routes.unknown_slack_channel(&m.channel),
    }
    // When it was posted: what a reply or a resume records, however late it is delivered.
    let posted = m.sent_at().or(Some(event_time));
    let why = match m.kind {
        MessageKind::Human => None,
        MessageKind::Bot => Some("a bot message".to_owned()),
        MessageKind::Edited => Some("an edit".to_owned()),
        MessageKind::Deleted => Some("a deletion".to_owned()),
        MessageKind::Join => Some("a join".to_owned()),
        MessageKind::Other => Some(format!(
            "a {} message",
            m.subtype.as_deref().unwrap_or("system")
        )),
    };
    if let Some(why) = why {
        d.note(format!("ignored: {why}"));
        return Ok(());
    }
    let Some(user) = m.user.as_deref() else {
        d.note("ignored: a message without an author");
        return Ok(());
    };
    let actor = format!("slack:{user}");
    let config = service.config();

    // A reply in a thread: a response to the inquiries the thread started.
    if m.is_thread_reply() {
        let root = message_ref(&m.channel, m.thread_root());
        let inquiries = service.store().find_inquiries_by_ref(&root).await?;
        for inquiry in &inquiries {
            let Some(team) = config.team(&inquiry.team) else {
                continue;
            };
            if slack_member(team, user).is_some() {
                if inquiry.first_response_at.is_none() {
                    d.act_at(service, inquiry, Action::Respond, &actor, posted)
                        .await?;
                } else {
                    d.route(&inquiry.team);
                    d.note(format!(
                        "reply by a member on inquiry #{}: first response already recorded",
                        inquiry.id
                    ));
                }
            } else if inquiry.reporter.as_deref() == Some(user) && inquiry.state == State::Waiting {
                d.act_at(service, inquiry, Action::Start, &actor, posted)
                    .await?;
            } else {
                d.route(&inquiry.team);
                d.note(format!("reply on inquiry #{}", inquiry.id));
            }
        }
        if inquiries.is_empty() && !watching.is_empty() {
            d.note("ignored: a reply in a thread that is not an inquiry");
        }
    }

    // A new inquiry: a top-level message in a watched channel, or a mention of a team's handle.
    let mut targets: Vec<&Target> = Vec::new();
    if !m.is_thread_reply() {
        for t in &watching {
            let Some(team) = config.team(&t.team) else {
                continue;
            };
            if let Some(member) = slack_member(team, user) {
                d.note(format!(
                    "not an inquiry: {member} is a member of team {}",
                    t.team
                ));
            } else if !targets.iter().any(|x| x.team == t.team) {
                targets.push(t);
            }
        }
    }
    for t in routes.slack_mentions(&m.mentions) {
        let own_channel = !m.is_thread_reply() && watching.iter().any(|w| w.team == t.team);
        if !own_channel && !targets.iter().any(|x| x.team == t.team) {
            targets.push(t);
        }
    }
    if !targets.is_empty() {
        let external_ref = message_ref(&m.channel, &m.ts);
        let existing = service.store().find_inquiries_by_ref(&external_ref).await?;
        for t in targets {
            if let Some(inquiry) = existing.iter().find(|i| i.team == t.team) {
                d.route(&t.team);
                d.note(format!("inquiry #{} exists already", inquiry.id));
                continue;
            }
            let title = match title_of(&m.plain_text, TITLE_CHARS) {
                t if t.is_empty() => format!("Slack message from {user}"),
                t => t,
            };
            let arrival = Arrival {
                source: t.source.clone(),
                external_ref: Some(external_ref.clone()),
                link: Some(permalink(&m.channel, &m.ts)),
                title,
                body: m.plain_text.clone(),
                reporter: Some(user.to_owned()),
                labels: Vec::new(),
                severity: None,
                received_at: arrived_at(posted, service.now()),
                area: None,
                priority: None,
            };
            d.create(service, t, arrival, &actor).await?;
        }
    }
    if d.team.is_none() && d.notes.is_empty() {
        d.note(format!(
            "unrouted: no team watches channel {} and no team handle is mentioned",
            m.channel
        ));
    } else if d.notes.is_empty() {
        d.note("ignored: a reply that changes nothing");
    }
    Ok(())
}

/// A reaction: `event_time` is the envelope's, for a reaction without a readable `event_ts`.
async fn reaction(
    service: &Service,
    routes: &Routes,
    r: &Reaction,
    event_time: DateTime<Utc>,
    d: &mut Decision,
) -> Result<(), ServiceError> {
    let ReactionItem::Message { channel, ts } = &r.item else {
        d.note("ignored: a reaction on something other than a message");
        return Ok(());
    };
    if let Some(t) = routes.slack_channel(channel).first() {
        d.route(&t.team);
    }
    let config = service.config();
    let inquiries = service
        .store()
        .find_inquiries_by_ref(&message_ref(channel, ts))
        .await?;
    if inquiries.is_empty() {
        d.note("ignored: a reaction on a message that is not an inquiry");
        return Ok(());
    }
    let shortcut = config.slack.reaction(&r.reaction);
    for inquiry in &inquiries {
        d.route(&inquiry.team);
        let Some(team) = config.team(&inquiry.team) else {
            continue;
        };
        if slack_member(team, &r.user).is_none() {
            d.note(format!(
                "ignored: :{}: on inquiry #{} by someone outside team {}",
                r.reaction, inquiry.id, inquiry.team
            ));
            continue;
        }
        let action = match shortcut {
            Some(ReactionShortcut::Acknowledge) => Action::Acknowledge,
            Some(ReactionShortcut::Start) => Action::Start,
            Some(ReactionShortcut::Resolve) => Action::Resolve,
            Some(ReactionShortcut::Flag) => Action::FlagForIssue,
            None => {
                d.note(format!("ignored: :{}: is not a shortcut", r.reaction));
                continue;
            }
        };
        let reacted = ts_to_datetime(&r.event_ts).or(Some(event_time));
        d.act_at(
            service,
            inquiry,
            action,
            &format!("slack:{}", r.user),
            reacted,
        )
        .await?;
    }
    Ok(())
}
