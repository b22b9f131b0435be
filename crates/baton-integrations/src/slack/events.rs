//! The Slack Events API: the outer request (`url_verification`, `event_callback`) and the inner
//! events baton acts on (`message`, `app_mention`, `reaction_added`, `reaction_removed`).

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use super::text::{self, Mentions};
use crate::error::{from_json_object, ParseError};

/// One Events API request.
#[derive(Clone, Debug, PartialEq)]
pub enum Envelope {
    /// Sent once when the request URL is configured: answer with the challenge.
    UrlVerification { challenge: String },
    /// An event in the workspace.
    Event(Box<EventCallback>),
    /// Any other request type (`app_rate_limited`, …): accept it and do nothing.
    Ignored { kind: String },
}

/// The `event_callback` wrapper around one event.
#[derive(Clone, Debug, PartialEq)]
pub struct EventCallback {
    /// Unique per event, the same on Slack's retries: the deduplication key.
    pub event_id: String,
    /// When the event happened.
    pub event_time: DateTime<Utc>,
    /// The workspace.
    pub team_id: String,
    pub event: Event,
}

/// An event inside an `event_callback`.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// A message in a channel the app is in (`message.channels`, `message.groups`, …), including
    /// bot messages, edits and joins: see [`Message::kind`].
    Message(Message),
    /// A message that mentions the app.
    AppMention(Message),
    ReactionAdded(Reaction),
    ReactionRemoved(Reaction),
    /// Any other event type: accept it and do nothing.
    Ignored {
        kind: String,
    },
}

/// What kind of message an event carries. Only [`MessageKind::Human`] messages can be inquiries
/// or responses; the others are bookkeeping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageKind {
    /// Written by a person: no subtype, or `thread_broadcast`, `file_share`, `me_message`.
    Human,
    /// Posted by a bot or an app (`bot_message`, or any message carrying a `bot_id`).
    Bot,
    /// `message_changed`: the fields describe the message as it is now.
    Edited,
    /// `message_deleted`: the fields describe the message as it was.
    Deleted,
    /// `channel_join` or `group_join`.
    Join,
    /// Any other subtype (`channel_leave`, `channel_topic`, …); see [`Message::subtype`].
    Other,
}

/// A Slack message, normalized across `message` subtypes and `app_mention`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// Channel id, `C0INTEGRAT`.
    pub channel: String,
    /// `channel`, `group`, `im` or `mpim`, when Slack says.
    pub channel_type: Option<String>,
    /// The author's user id (absent for some bot messages).
    pub user: Option<String>,
    /// Set when a bot or app posted it.
    pub bot_id: Option<String>,
    /// The message subtype as sent (`bot_message`, `message_changed`, …).
    pub subtype: Option<String>,
    pub kind: MessageKind,
    /// The text as Slack sent it, with its control sequences and escapes.
    pub text: String,
    /// [`text::plain_text`] of `text`, for titles.
    pub plain_text: String,
    /// The message's own timestamp, its id within the channel. For an edit, the edited message's.
    pub ts: String,
    /// The thread's root timestamp, when the message belongs to a thread.
    pub thread_ts: Option<String>,
    /// Users and user groups mentioned in `text`.
    pub mentions: Mentions,
}

impl Message {
    /// A reply inside a thread (not the thread's root message).
    pub fn is_thread_reply(&self) -> bool {
        self.thread_ts.as_deref().is_some_and(|t| t != self.ts)
    }

    /// Written by a person (see [`MessageKind::Human`]).
    pub fn is_human(&self) -> bool {
        self.kind == MessageKind::Human
    }

    /// The timestamp of the thread this message starts or belongs to.
    pub fn thread_root(&self) -> &str {
        self.thread_ts.as_deref().unwrap_or(&self.ts)
    }

    /// When it was posted, from its `ts`.
    pub fn sent_at(&self) -> Option<DateTime<Utc>> {
        ts_to_datetime(&self.ts)
    }
}

/// `reaction_added` or `reaction_removed`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reaction {
    /// Who reacted.
    pub user: String,
    /// The emoji name without colons (`eyes`, `white_check_mark`, `+1::skin-tone-2`).
    pub reaction: String,
    pub item: ReactionItem,
    /// The author of the item reacted to (absent for messages without a user author).
    pub item_user: Option<String>,
    pub event_ts: String,
}

/// What a reaction was added to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReactionItem {
    Message {
        channel: String,
        ts: String,
    },
    /// A file or file comment.
    Other {
        kind: String,
    },
}

/// A Slack timestamp (`"1664874847.123459"`, seconds and microseconds) as an instant.
pub fn ts_to_datetime(ts: &str) -> Option<DateTime<Utc>> {
    let (secs, frac) = ts.split_once('.').unwrap_or((ts, ""));
    if secs.is_empty()
        || secs.len() > 12
        || frac.len() > 9
        || !secs.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let secs: i64 = secs.parse().ok()?;
    let nanos: u32 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<9}").parse().ok()?
    };
    DateTime::from_timestamp(secs, nanos)
}

const ENVELOPE: &str = "Slack Events API request";

#[derive(Deserialize)]
struct RawEnvelope {
    #[serde(rename = "type")]
    kind: String,
    challenge: Option<String>,
    event_id: Option<String>,
    event_time: Option<i64>,
    team_id: Option<String>,
    event: Option<Value>,
}

/// Reads an Events API request body. Unknown request and event types are [`Envelope::Ignored`]
/// and [`Event::Ignored`], never errors; a body that is not the Events API's JSON is.
pub fn parse_event(body: &[u8]) -> Result<Envelope, ParseError> {
    let raw: RawEnvelope = from_json_object(ENVELOPE, body)?;
    match raw.kind.as_str() {
        "url_verification" => Ok(Envelope::UrlVerification {
            challenge: raw
                .challenge
                .ok_or_else(|| missing(ENVELOPE, "challenge"))?,
        }),
        "event_callback" => {
            let event_id = raw.event_id.ok_or_else(|| missing(ENVELOPE, "event_id"))?;
            let team_id = raw.team_id.ok_or_else(|| missing(ENVELOPE, "team_id"))?;
            let seconds = raw
                .event_time
                .ok_or_else(|| missing(ENVELOPE, "event_time"))?;
            let event_time = DateTime::from_timestamp(seconds, 0)
                .ok_or_else(|| ParseError::new(ENVELOPE, "`event_time` is out of range"))?;
            let event = parse_inner(raw.event.ok_or_else(|| missing(ENVELOPE, "event"))?)?;
            Ok(Envelope::Event(Box::new(EventCallback {
                event_id,
                event_time,
                team_id,
                event,
            })))
        }
        other => Ok(Envelope::Ignored {
            kind: other.to_owned(),
        }),
    }
}

fn missing(what: &'static str, field: &str) -> ParseError {
    ParseError::new(what, format!("missing field `{field}`"))
}

const EVENT: &str = "Slack event";
const MESSAGE: &str = "Slack message event";
const REACTION: &str = "Slack reaction event";

fn parse_inner(event: Value) -> Result<Event, ParseError> {
    let kind = match event.get("type") {
        Some(Value::String(kind)) => kind.clone(),
        Some(_) => return Err(ParseError::new(EVENT, "`type` is not a string")),
        None => return Err(missing(EVENT, "type")),
    };
    match kind.as_str() {
        "message" => Ok(Event::Message(message(event)?)),
        "app_mention" => Ok(Event::AppMention(message(event)?)),
        "reaction_added" => Ok(Event::ReactionAdded(reaction(event)?)),
        "reaction_removed" => Ok(Event::ReactionRemoved(reaction(event)?)),
        _ => Ok(Event::Ignored { kind }),
    }
}

#[derive(Default, Deserialize)]
struct RawMessage {
    channel: Option<String>,
    channel_type: Option<String>,
    user: Option<String>,
    bot_id: Option<String>,
    subtype: Option<String>,
    text: Option<String>,
    ts: Option<String>,
    thread_ts: Option<String>,
    deleted_ts: Option<String>,
    message: Option<Box<RawMessage>>,
    previous_message: Option<Box<RawMessage>>,
}

fn message(event: Value) -> Result<Message, ParseError> {
    let mut raw: RawMessage =
        serde_json::from_value(event).map_err(|e| ParseError::json(MESSAGE, &e))?;
    let channel = raw
        .channel
        .take()
        .ok_or_else(|| missing(MESSAGE, "channel"))?;
    let channel_type = raw.channel_type.take();
    let subtype = raw.subtype.take();
    let (kind, content) = match subtype.as_deref() {
        // The edited message, as it is now, is inside.
        Some("message_changed") => (
            MessageKind::Edited,
            *raw.message
                .take()
                .ok_or_else(|| missing(MESSAGE, "message"))?,
        ),
        // The deleted message, as it was, is inside when Slack sends it.
        Some("message_deleted") => {
            let ts = raw.deleted_ts.take().or(raw.ts.take());
            let mut content = raw.previous_message.take().map(|m| *m).unwrap_or_default();
            if ts.is_some() {
                content.ts = ts;
            }
            (MessageKind::Deleted, content)
        }
        other => (classify(other, raw.bot_id.is_some()), raw),
    };
    let text = content.text.unwrap_or_default();
    Ok(Message {
        channel,
        channel_type,
        user: content.user,
        bot_id: content.bot_id,
        subtype,
        kind,
        mentions: text::mentions(&text),
        plain_text: text::plain_text(&text),
        text,
        ts: content.ts.ok_or_else(|| missing(MESSAGE, "ts"))?,
        thread_ts: content.thread_ts,
    })
}

fn classify(subtype: Option<&str>, has_bot_id: bool) -> MessageKind {
    match subtype {
        _ if has_bot_id => MessageKind::Bot,
        None | Some("thread_broadcast" | "file_share" | "me_message") => MessageKind::Human,
        Some("bot_message") => MessageKind::Bot,
        Some("channel_join" | "group_join") => MessageKind::Join,
        Some(_) => MessageKind::Other,
    }
}

#[derive(Deserialize)]
struct RawReaction {
    user: String,
    reaction: String,
    item: RawItem,
    item_user: Option<String>,
    event_ts: String,
}

#[derive(Deserialize)]
struct RawItem {
    #[serde(rename = "type")]
    kind: String,
    channel: Option<String>,
    ts: Option<String>,
}

fn reaction(event: Value) -> Result<Reaction, ParseError> {
    let raw: RawReaction =
        serde_json::from_value(event).map_err(|e| ParseError::json(REACTION, &e))?;
    let item = match (raw.item.kind.as_str(), raw.item.channel, raw.item.ts) {
        ("message", Some(channel), Some(ts)) => ReactionItem::Message { channel, ts },
        ("message", _, _) => {
            return Err(ParseError::new(
                REACTION,
                "a message item needs `channel` and `ts`",
            ))
        }
        (kind, _, _) => ReactionItem::Other {
            kind: kind.to_owned(),
        },
    };
    Ok(Reaction {
        user: raw.user,
        reaction: raw.reaction,
        item,
        item_user: raw.item_user,
        event_ts: raw.event_ts,
    })
}
