//! [`PgStore`]: the PostgreSQL backend, for several baton processes sharing one database.

mod accounts;
mod rows;

use async_trait::async_trait;
use baton_core::access::{
    ApiToken, LinkRefused, LoginLink, NewApiToken, NewLoginLink, NewSession, NewUser, Role,
    Session, User,
};
use baton_core::inquiry::{Check, Inquiry, NewCheck, NewInquiry, NewNote, Note, State, TimeEntry};
use baton_core::model::{NewOverride, NewSwap, NewTimeOff, Override, Swap, TimeOff};
use baton_core::sla::Priority;
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnection, PgPool, PgPoolOptions};
use sqlx::{Postgres, QueryBuilder, Transaction};
use tracing::{debug, info};

use self::rows::{
    CheckRow, DeliveryRow, EventRow, InquiryRow, NoteRow, OverrideRow, SwapRow, TimeEntryRow,
    TimeOffRow, TokenRow,
};
use crate::event::NewEvent;
use crate::inquiry::{
    inserted_ids, open_states_sql, page_size, state_counts, CheckedCreate, CheckedSave,
};
use crate::intake::{self, CheckedItem, IntakeGrouping, Step};
use crate::{
    kind, redact_url, validate, Delivery, DeliveryFilter, EffectOutcome, Event, EventFilter,
    InquiryChange, InquiryFilter, IntakeItem, IntakeOutcome, NoteFilter, Redeemed, Store,
    StoreError, TimeEntryFilter,
};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

macro_rules! override_columns {
    () => {
        "id, team, member, starts_at, ends_at, reason, created_by, created_at"
    };
}
macro_rules! swap_columns {
    () => {
        "id, team, first_at, second_at, reason, created_by, created_at"
    };
}
macro_rules! time_off_columns {
    () => {
        "id, member, starts_at, ends_at, reason, created_by, created_at"
    };
}
macro_rules! inquiry_columns {
    () => {
        "id, team, source, external_ref, link, title, body, reporter, labels::text AS labels, \
         severity, received_at, area, priority, suggested_priority, suggestion_reason, state, \
         assignee, first_response_at, first_response_due, resolution_due, resolved_at, \
         pauses::text AS pauses, issue_url, logged_minutes, should_escalate, next_due, \
         updated_at, version"
    };
}
macro_rules! time_entry_columns {
    () => {
        "id, inquiry_id, team, member, minutes, note, at"
    };
}
macro_rules! note_columns {
    () => {
        "id, team, inquiry_id, shift_start, author, text, at"
    };
}
macro_rules! check_columns {
    () => {
        "id, team, source, member, at"
    };
}
macro_rules! token_columns {
    () => {
        "id, name, role, token_hash, created_by, created_at, revoked_at"
    };
}
macro_rules! delivery_columns {
    () => {
        "id, provider, key, team, kind, headers::text AS headers, body, received_at, outcome"
    };
}
macro_rules! event_columns {
    () => {
        "id, team, inquiry_id, actor, kind, occurred_at, data::text AS data"
    };
}

/// The open queue of a team (`$1`), at most `$2` rows. The `state IN` list (literals, so that
/// a generic plan can use the partial index too) and the order repeat the partial index
/// `inquiries_queue` of `0002_inquiries.sql`, so that the query reads that index in order.
pub(crate) const QUEUE_SQL: &str = concat!(
    "SELECT ",
    inquiry_columns!(),
    " FROM inquiries WHERE team = $1 AND state IN ",
    open_states_sql!(),
    " ORDER BY next_due NULLS LAST, received_at, id LIMIT $2"
);

/// A [`Store`] in a PostgreSQL database.
#[derive(Clone, Debug)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to the existing database at `url` (`postgres://…` or `postgresql://…`) and
    /// migrates it. Concurrent migrations from several processes are serialised by sqlx's
    /// advisory lock.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new().connect(url).await?;
        MIGRATOR.run(&pool).await?;
        info!(url = %redact_url(url), "opened PostgreSQL store");
        Ok(PgStore { pool })
    }
}

/// How many intake batches are committed at once (see [`Store::intake_grouping`]).
const INTAKE_WRITERS: usize = 4;

/// How often [`Store::commit_intake`] tries a batch that PostgreSQL aborted as a deadlock or
/// serialisation failure (nothing of it was committed, so it is simply run again).
const INTAKE_ATTEMPTS: usize = 4;

/// Appends `event` to the transaction that made the change it records, and commits both.
async fn commit_with(
    mut tx: Transaction<'_, Postgres>,
    event: NewEvent<'_>,
) -> Result<(), StoreError> {
    append_all(&mut tx, std::slice::from_ref(&event)).await?;
    Ok(tx.commit().await?)
}

/// Appends `events` in order (their ids ascend in that order) inside the caller's transaction,
/// in one statement.
async fn append_all(conn: &mut PgConnection, events: &[NewEvent<'_>]) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    let teams: Vec<Option<&str>> = events.iter().map(|e| e.team).collect();
    let inquiry_ids: Vec<Option<i64>> = events.iter().map(|e| e.inquiry_id).collect();
    let actors: Vec<&str> = events.iter().map(|e| e.actor).collect();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind).collect();
    let ats: Vec<DateTime<Utc>> = events.iter().map(|e| e.at).collect();
    let data: Vec<&str> = events.iter().map(|e| e.data.as_str()).collect();
    sqlx::query(
        "INSERT INTO events (team, inquiry_id, actor, kind, occurred_at, data)
         SELECT team, inquiry_id, actor, kind, occurred_at, data::jsonb
         FROM UNNEST($1::text[], $2::int8[], $3::text[], $4::text[], $5::timestamptz[],
                     $6::text[])
              WITH ORDINALITY AS e (team, inquiry_id, actor, kind, occurred_at, data, ord)
         ORDER BY ord",
    )
    .bind(teams)
    .bind(inquiry_ids)
    .bind(actors)
    .bind(kinds)
    .bind(ats)
    .bind(data)
    .execute(conn)
    .await?;
    Ok(())
}

/// The inquiry `id`, if any.
async fn select_inquiry(conn: &mut PgConnection, id: i64) -> Result<Option<Inquiry>, StoreError> {
    sqlx::query_as::<_, InquiryRow>(concat!(
        "SELECT ",
        inquiry_columns!(),
        " FROM inquiries WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .map(InquiryRow::into_record)
    .transpose()
}

/// Creates inquiries inside the caller's transaction, in order, for `create_inquiry` and
/// intake: stores each, and queues its `inquiry.created` event on `events`, unless the team
/// already has one from the same source with the same reference (stored before, or by an
/// earlier one of `creates`), which is returned instead (`false`). One statement.
///
/// The unique index decides: a concurrent duplicate waits for the first insert to commit and
/// then inserts nothing and returns no row (no error, so the transaction goes on). The existing
/// row is read with a new snapshot (READ COMMITTED), so it is visible. Rows are inserted in the
/// order of their `(team, source, external_ref)`, so that two transactions creating the same
/// inquiries take the index's locks in the same order; those without a reference last, in the
/// order given, which their ids follow (see [`intake::assign_ids`]).
async fn create_all<'a>(
    conn: &mut PgConnection,
    creates: &[&'a CheckedCreate],
    events: &mut Vec<NewEvent<'a>>,
) -> Result<Vec<(Inquiry, bool)>, StoreError> {
    let news = || creates.iter().map(|create| &create.new);
    let text = |f: fn(&NewInquiry) -> &str| news().map(f).collect::<Vec<&str>>();
    let opt_text = |f: fn(&NewInquiry) -> Option<&str>| news().map(f).collect::<Vec<_>>();
    let opt_at = |f: fn(&NewInquiry) -> Option<DateTime<Utc>>| news().map(f).collect::<Vec<_>>();
    let returned = sqlx::query_as::<_, (i64, String, String, Option<String>)>(
        "INSERT INTO inquiries (team, source, external_ref, link, title, body, reporter, labels,
                                severity, received_at, area, priority, suggested_priority,
                                suggestion_reason, state, assignee, first_response_due,
                                resolution_due, next_due, updated_at, version)
         SELECT team, source, external_ref, link, title, body, reporter, labels::jsonb, severity,
                received_at, area, priority, suggested_priority, suggestion_reason, state,
                assignee, first_response_due, resolution_due, next_due, updated_at, 1
         FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                     $7::text[], $8::text[], $9::text[], $10::timestamptz[], $11::text[],
                     $12::text[], $13::text[], $14::text[], $15::text[], $16::text[],
                     $17::timestamptz[], $18::timestamptz[], $19::timestamptz[],
                     $20::timestamptz[])
              WITH ORDINALITY AS n (team, source, external_ref, link, title, body, reporter,
                                    labels, severity, received_at, area, priority,
                                    suggested_priority, suggestion_reason, state, assignee,
                                    first_response_due, resolution_due, next_due, updated_at,
                                    ord)
         ORDER BY external_ref IS NULL, CASE WHEN external_ref IS NULL THEN ord END, team,
                  source, external_ref, ord
         ON CONFLICT (team, source, external_ref) DO NOTHING
         RETURNING id, team, source, external_ref",
    )
    .bind(text(|n| &n.team))
    .bind(text(|n| &n.source))
    .bind(opt_text(|n| n.external_ref.as_deref()))
    .bind(opt_text(|n| n.link.as_deref()))
    .bind(text(|n| &n.title))
    .bind(text(|n| &n.body))
    .bind(opt_text(|n| n.reporter.as_deref()))
    .bind(
        creates
            .iter()
            .map(|c| c.labels.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(opt_text(|n| n.severity.as_deref()))
    .bind(news().map(|n| n.received_at).collect::<Vec<_>>())
    .bind(opt_text(|n| n.area.as_deref()))
    .bind(opt_text(|n| n.priority.map(Priority::as_str)))
    .bind(opt_text(|n| n.suggested_priority.map(Priority::as_str)))
    .bind(opt_text(|n| n.suggestion_reason.as_deref()))
    .bind(text(|n| n.state.as_str()))
    .bind(text(|n| &n.assignee))
    .bind(opt_at(|n| n.first_response_due))
    .bind(opt_at(|n| n.resolution_due))
    .bind(opt_at(|n| n.next_due))
    .bind(creates.iter().map(|c| c.at).collect::<Vec<_>>())
    .fetch_all(&mut *conn)
    .await?;
    let ids = inserted_ids(creates, returned)?;
    let mut made = Vec::with_capacity(creates.len());
    for (create, id) in creates.iter().zip(ids) {
        if let Some(id) = id {
            let record = create.stored(id);
            events.push(create.event(&record)?);
            made.push((record, true));
        } else {
            let new = &create.new;
            let existing = sqlx::query_as::<_, InquiryRow>(concat!(
                "SELECT ",
                inquiry_columns!(),
                " FROM inquiries WHERE team = $1 AND source = $2 AND external_ref = $3"
            ))
            .bind(&new.team)
            .bind(&new.source)
            .bind(&new.external_ref)
            .fetch_one(&mut *conn)
            .await?
            .into_record()?;
            made.push((existing, false));
        }
    }
    Ok(made)
}

/// Saves a changed inquiry inside the caller's transaction, for `save_inquiry` and intake:
/// writes it if the stored row still has the version read and the same fixed fields (team,
/// source, reference, arrival), stores the change's time entry and queues its event on
/// `events`. `None` when no row matched; nothing is written then. A concurrent save of the same
/// row waits for it, then finds the version changed: no error, so the transaction goes on.
async fn save_in<'a>(
    conn: &mut PgConnection,
    save: &'a CheckedSave,
    events: &mut Vec<NewEvent<'a>>,
) -> Result<Option<Inquiry>, StoreError> {
    let inquiry = &save.inquiry;
    let change = &save.change;
    let row = sqlx::query_as::<_, InquiryRow>(concat!(
        "UPDATE inquiries SET link = $1, title = $2, body = $3, reporter = $4,",
        " labels = $5::jsonb, severity = $6, area = $7, priority = $8,",
        " suggested_priority = $9, suggestion_reason = $10, state = $11, assignee = $12,",
        " first_response_at = $13, first_response_due = $14, resolution_due = $15,",
        " resolved_at = $16, pauses = $17::jsonb, issue_url = $18, logged_minutes = $19,",
        " should_escalate = $20, next_due = $21, updated_at = $22, version = version + 1",
        " WHERE id = $23 AND version = $24 AND team = $25 AND source = $26",
        " AND external_ref IS NOT DISTINCT FROM $27 AND received_at = $28 RETURNING ",
        inquiry_columns!()
    ))
    .bind(&inquiry.link)
    .bind(&inquiry.title)
    .bind(&inquiry.body)
    .bind(&inquiry.reporter)
    .bind(save.labels.as_str())
    .bind(&inquiry.severity)
    .bind(&inquiry.area)
    .bind(inquiry.priority.map(Priority::as_str))
    .bind(inquiry.suggested_priority.map(Priority::as_str))
    .bind(&inquiry.suggestion_reason)
    .bind(inquiry.state.as_str())
    .bind(&inquiry.assignee)
    .bind(inquiry.first_response_at)
    .bind(inquiry.first_response_due)
    .bind(inquiry.resolution_due)
    .bind(inquiry.resolved_at)
    .bind(save.pauses.as_str())
    .bind(&inquiry.issue_url)
    .bind(inquiry.logged_minutes)
    .bind(inquiry.should_escalate)
    .bind(inquiry.next_due)
    .bind(change.at)
    .bind(inquiry.id)
    .bind(inquiry.version)
    .bind(&inquiry.team)
    .bind(&inquiry.source)
    .bind(&inquiry.external_ref)
    .bind(inquiry.received_at)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let stored = row.into_record()?;
    if let Some(entry) = &change.time_entry {
        sqlx::query(
            "INSERT INTO time_entries (inquiry_id, team, member, minutes, note, at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(stored.id)
        .bind(&stored.team)
        .bind(&entry.member)
        .bind(entry.minutes)
        .bind(&entry.note)
        .bind(entry.at)
        .execute(&mut *conn)
        .await?;
    }
    events.push(save.event());
    Ok(Some(stored))
}

/// Inserts the deliveries of `items` in one statement, a redelivery (a key already stored, or
/// earlier in `items`) inserting nothing; returns each item's delivery id (`None`: duplicate)
/// and, when `items` need it ([`intake::revision_needed`]), the stored schedule revision, read
/// after the inserts by the same statement and locked as [`read_revision`] locks it (one round
/// trip to the server instead of two).
///
/// Rows are inserted in key order (those without a key last, in item order): two batches
/// sharing keys take the keys' index locks in the same order, so they never deadlock over them
/// (the second waits for the first to commit, then finds its keys taken).
async fn insert_deliveries(
    conn: &mut PgConnection,
    items: &[CheckedItem],
) -> Result<(Vec<Option<i64>>, Option<i64>), StoreError> {
    let providers: Vec<&str> = items.iter().map(|i| i.delivery.provider.as_str()).collect();
    let keys: Vec<Option<&str>> = items.iter().map(|i| i.delivery.key.as_deref()).collect();
    let teams: Vec<Option<&str>> = items.iter().map(|i| i.delivery.team.as_deref()).collect();
    let kinds: Vec<&str> = items.iter().map(|i| i.delivery.kind.as_str()).collect();
    let headers: Vec<&str> = items.iter().map(|i| i.headers.as_str()).collect();
    let bodies: Vec<&[u8]> = items.iter().map(|i| i.delivery.body.as_slice()).collect();
    let received: Vec<DateTime<Utc>> = items.iter().map(|i| i.delivery.received_at).collect();
    let outcomes: Vec<&str> = items.iter().map(|i| i.delivery.outcome.as_str()).collect();
    // The UNION's first branch runs the insert; the second then reads the revision.
    let rows = sqlx::query_as::<_, (Option<i64>, Option<String>, Option<i64>)>(
        "WITH inserted AS (
             INSERT INTO deliveries (provider, key, team, kind, headers, body, received_at,
                                     outcome)
             SELECT provider, key, team, kind, headers::jsonb, body, received_at, outcome
             FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                         $6::bytea[], $7::timestamptz[], $8::text[])
                  WITH ORDINALITY AS d (provider, key, team, kind, headers, body, received_at,
                                        outcome, ord)
             ORDER BY key NULLS LAST, ord
             ON CONFLICT (key) DO NOTHING
             RETURNING id, key
         ), revision AS (
             SELECT n FROM schedule_revision WHERE only_row = 1 AND $9 FOR SHARE
         )
         SELECT id, key, NULL::int8 FROM inserted
         UNION ALL
         SELECT NULL, NULL, n FROM revision",
    )
    .bind(providers)
    .bind(keys)
    .bind(teams)
    .bind(kinds)
    .bind(headers)
    .bind(bodies)
    .bind(received)
    .bind(outcomes)
    .bind(intake::revision_needed(items))
    .fetch_all(&mut *conn)
    .await?;
    let keys = items
        .iter()
        .map(|item| item.delivery.key.as_deref())
        .collect();
    let mut revision = None;
    let mut returned = Vec::with_capacity(rows.len());
    for (id, key, n) in &rows {
        match (id, n) {
            (Some(id), _) => returned.push((*id, key.as_deref())),
            (None, n) => revision = *n,
        }
    }
    if intake::revision_needed(items) && revision.is_none() {
        return Err(StoreError::Damaged(
            "the schedule revision row is missing".into(),
        ));
    }
    Ok((intake::assign_ids(keys, returned)?, revision))
}

/// Applies `steps` of intake effects in order; one outcome per effect.
async fn apply_steps<'a>(
    conn: &mut PgConnection,
    steps: Vec<Step<'a>>,
    events: &mut Vec<NewEvent<'a>>,
) -> Result<Vec<EffectOutcome>, StoreError> {
    let mut effects = Vec::new();
    for step in steps {
        match step {
            Step::Creates(creates) => effects.extend(EffectOutcome::of_creates(
                create_all(conn, &creates, events).await?,
            )),
            Step::Save(save) => effects.push(EffectOutcome::of_save(
                save,
                save_in(conn, save, events).await?,
            )),
        }
    }
    Ok(effects)
}

/// The stored schedule revision, read in the transaction that commits intake effects, locked
/// against changes to the schedule until it ends.
async fn read_revision(conn: &mut PgConnection) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar::<_, i64>(concat!(
        "SELECT n FROM schedule_revision WHERE only_row = 1",
        " FOR SHARE"
    ))
    .fetch_one(conn)
    .await?)
}

/// Whether PostgreSQL aborted the transaction only because of other transactions (deadlock
/// detected, serialisation failure), so that running it again may succeed.
fn is_transient(error: &StoreError) -> bool {
    let StoreError::Database(sqlx::Error::Database(db)) = error else {
        return false;
    };
    matches!(db.code().as_deref(), Some("40P01" | "40001"))
}

impl PgStore {
    /// One attempt at [`Store::commit_intake`]: everything in one transaction.
    async fn try_commit_intake(
        &self,
        items: &[CheckedItem],
    ) -> Result<Vec<IntakeOutcome>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let (delivery_ids, current) = insert_deliveries(&mut tx, items).await?;
        let mut events = Vec::new();
        let effects = apply_steps(
            &mut tx,
            intake::steps(items, &delivery_ids, current),
            &mut events,
        )
        .await?;
        append_all(&mut tx, &events).await?;
        tx.commit().await?;
        debug!(
            items = items.len(),
            events = events.len(),
            "intake batch committed"
        );
        Ok(intake::outcomes(items, delivery_ids, current, effects))
    }
}

#[async_trait]
impl Store for PgStore {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn add_override(&self, new: NewOverride) -> Result<Override, StoreError> {
        let new = validate::new_override(new)?;
        let now = validate::now();
        let mut tx = self.pool.begin().await?;
        let record: Override = sqlx::query_as::<_, OverrideRow>(concat!(
            "INSERT INTO overrides",
            " (team, member, starts_at, ends_at, reason, created_by, created_at)",
            " VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ",
            override_columns!()
        ))
        .bind(&new.team)
        .bind(&new.member)
        .bind(new.start)
        .bind(new.end)
        .bind(&new.reason)
        .bind(&new.created_by)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?
        .into();
        let event = NewEvent::about(
            kind::OVERRIDE_ADDED,
            Some(&record.team),
            &record.created_by,
            now,
            &record,
        )?;
        commit_with(tx, event).await?;
        debug!(id = record.id, team = %record.team, "override added");
        Ok(record)
    }

    async fn list_overrides(
        &self,
        team: &str,
        from: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
    ) -> Result<Vec<Override>, StoreError> {
        let Some(window) = validate::window(from, until)? else {
            return Ok(Vec::new());
        };
        let mut query = QueryBuilder::<Postgres>::new(concat!(
            "SELECT ",
            override_columns!(),
            " FROM overrides WHERE team = "
        ));
        query.push_bind(team);
        if let Some(from) = window.from {
            query.push(" AND ends_at > ").push_bind(from);
        }
        if let Some(until) = window.until {
            query.push(" AND starts_at < ").push_bind(until);
        }
        query.push(" ORDER BY starts_at, id");
        let rows = query
            .build_query_as::<OverrideRow>()
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(Override::from).collect())
    }

    async fn remove_override(
        &self,
        team: &str,
        id: i64,
        actor: &str,
    ) -> Result<Override, StoreError> {
        validate::actor(actor)?;
        let now = validate::now();
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query_as::<_, OverrideRow>(concat!(
            "DELETE FROM overrides WHERE id = $1 AND team = $2 RETURNING ",
            override_columns!()
        ))
        .bind(id)
        .bind(team)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Err(StoreError::NotFound(format!(
                "override {id} of team `{team}`"
            )));
        };
        let record = Override::from(row);
        let event = NewEvent::about(kind::OVERRIDE_REMOVED, Some(team), actor, now, &record)?;
        commit_with(tx, event).await?;
        debug!(id, team, "override removed");
        Ok(record)
    }

    async fn add_swap(&self, new: NewSwap) -> Result<Swap, StoreError> {
        let new = validate::new_swap(new)?;
        let now = validate::now();
        let mut tx = self.pool.begin().await?;
        let record: Swap = sqlx::query_as::<_, SwapRow>(concat!(
            "INSERT INTO swaps",
            " (team, first_at, second_at, reason, created_by, created_at)",
            " VALUES ($1, $2, $3, $4, $5, $6) RETURNING ",
            swap_columns!()
        ))
        .bind(&new.team)
        .bind(new.first)
        .bind(new.second)
        .bind(&new.reason)
        .bind(&new.created_by)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?
        .into();
        let event = NewEvent::about(
            kind::SWAP_ADDED,
            Some(&record.team),
            &record.created_by,
            now,
            &record,
        )?;
        commit_with(tx, event).await?;
        debug!(id = record.id, team = %record.team, "swap added");
        Ok(record)
    }

    async fn list_swaps(&self, team: &str) -> Result<Vec<Swap>, StoreError> {
        let rows = sqlx::query_as::<_, SwapRow>(concat!(
            "SELECT ",
            swap_columns!(),
            " FROM swaps WHERE team = $1 ORDER BY first_at, id"
        ))
        .bind(team)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Swap::from).collect())
    }

    async fn remove_swap(&self, team: &str, id: i64, actor: &str) -> Result<Swap, StoreError> {
        validate::actor(actor)?;
        let now = validate::now();
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query_as::<_, SwapRow>(concat!(
            "DELETE FROM swaps WHERE id = $1 AND team = $2 RETURNING ",
            swap_columns!()
        ))
        .bind(id)
        .bind(team)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Err(StoreError::NotFound(format!("swap {id} of team `{team}`")));
        };
        let record = Swap::from(row);
        let event = NewEvent::about(kind::SWAP_REMOVED, Some(team), actor, now, &record)?;
        commit_with(tx, event).await?;
        debug!(id, team, "swap removed");
        Ok(record)
    }

    async fn add_time_off(&self, new: NewTimeOff) -> Result<TimeOff, StoreError> {
        let new = validate::new_time_off(new)?;
        let now = validate::now();
        let mut tx = self.pool.begin().await?;
        let record: TimeOff = sqlx::query_as::<_, TimeOffRow>(concat!(
            "INSERT INTO time_off",
            " (member, starts_at, ends_at, reason, created_by, created_at)",
            " VALUES ($1, $2, $3, $4, $5, $6) RETURNING ",
            time_off_columns!()
        ))
        .bind(&new.member)
        .bind(new.start)
        .bind(new.end)
        .bind(&new.reason)
        .bind(&new.created_by)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?
        .into();
        let event = NewEvent::about(kind::TIME_OFF_ADDED, None, &record.created_by, now, &record)?;
        commit_with(tx, event).await?;
        debug!(id = record.id, member = %record.member, "time off added");
        Ok(record)
    }

    async fn list_time_off(
        &self,
        members: Option<&[String]>,
        from: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
    ) -> Result<Vec<TimeOff>, StoreError> {
        let Some(window) = validate::window(from, until)? else {
            return Ok(Vec::new());
        };
        if members.is_some_and(|members| members.is_empty()) {
            return Ok(Vec::new());
        }
        let mut query = QueryBuilder::<Postgres>::new(concat!(
            "SELECT ",
            time_off_columns!(),
            " FROM time_off WHERE TRUE"
        ));
        if let Some(members) = members {
            query
                .push(" AND member = ANY(")
                .push_bind(members)
                .push(")");
        }
        if let Some(from) = window.from {
            query.push(" AND ends_at > ").push_bind(from);
        }
        if let Some(until) = window.until {
            query.push(" AND starts_at < ").push_bind(until);
        }
        query.push(" ORDER BY starts_at, id");
        let rows = query
            .build_query_as::<TimeOffRow>()
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(TimeOff::from).collect())
    }

    async fn remove_time_off(&self, id: i64, actor: &str) -> Result<TimeOff, StoreError> {
        validate::actor(actor)?;
        let now = validate::now();
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query_as::<_, TimeOffRow>(concat!(
            "DELETE FROM time_off WHERE id = $1 RETURNING ",
            time_off_columns!()
        ))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Err(StoreError::NotFound(format!("time off {id}")));
        };
        let record = TimeOff::from(row);
        let event = NewEvent::about(kind::TIME_OFF_REMOVED, None, actor, now, &record)?;
        commit_with(tx, event).await?;
        debug!(id, "time off removed");
        Ok(record)
    }

    async fn list_events(&self, filter: EventFilter) -> Result<Vec<Event>, StoreError> {
        let mut query =
            QueryBuilder::<Postgres>::new(concat!("SELECT ", event_columns!(), " FROM events"));
        if let Some(team) = &filter.team {
            query.push(" WHERE team = ").push_bind(team.as_str());
        }
        query
            .push(" ORDER BY id DESC LIMIT ")
            .push_bind(i64::from(filter.limit));
        query
            .build_query_as::<EventRow>()
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(EventRow::into_event)
            .collect()
    }

    async fn create_inquiry(
        &self,
        new: NewInquiry,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<(Inquiry, bool), StoreError> {
        let create = CheckedCreate::new(new, actor.to_owned(), at)?;
        let mut tx = self.pool.begin().await?;
        let mut events = Vec::new();
        let (record, created) = create_all(&mut tx, &[&create], &mut events)
            .await?
            .pop()
            .expect("one inquiry for one create");
        append_all(&mut tx, &events).await?;
        tx.commit().await?;
        if created {
            debug!(id = record.id, team = %record.team, "inquiry created");
        } else {
            debug!(id = record.id, team = %record.team, "duplicate inquiry not stored");
        }
        Ok((record, created))
    }

    async fn get_inquiry(&self, id: i64) -> Result<Inquiry, StoreError> {
        select_inquiry(&mut *self.pool.acquire().await?, id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("inquiry {id}")))
    }

    async fn save_inquiry(
        &self,
        inquiry: &Inquiry,
        change: InquiryChange,
    ) -> Result<Inquiry, StoreError> {
        let save = CheckedSave::new(inquiry, change)?;
        let mut tx = self.pool.begin().await?;
        let mut events = Vec::new();
        let Some(stored) = save_in(&mut tx, &save, &mut events).await? else {
            let stored = select_inquiry(&mut tx, save.inquiry.id).await?;
            return Err(save.refusal(stored));
        };
        append_all(&mut tx, &events).await?;
        tx.commit().await?;
        debug!(id = stored.id, version = stored.version, kind = %save.change.kind, "inquiry saved");
        Ok(stored)
    }

    async fn list_queue(&self, team: &str, limit: u32) -> Result<Vec<Inquiry>, StoreError> {
        sqlx::query_as::<_, InquiryRow>(QUEUE_SQL)
            .bind(team)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(InquiryRow::into_record)
            .collect()
    }

    async fn list_inquiries(&self, filter: &InquiryFilter) -> Result<Vec<Inquiry>, StoreError> {
        let Some(window) = validate::instants(filter.received_from, filter.received_until)? else {
            return Ok(Vec::new());
        };
        let mut query = QueryBuilder::<Postgres>::new(concat!(
            "SELECT ",
            inquiry_columns!(),
            " FROM inquiries WHERE TRUE"
        ));
        if let Some(team) = &filter.team {
            query.push(" AND team = ").push_bind(team.as_str());
        }
        if !filter.states.is_empty() {
            let states: Vec<&str> = filter.states.iter().map(|s| s.as_str()).collect();
            query.push(" AND state = ANY(").push_bind(states).push(")");
        }
        if let Some(assignee) = &filter.assignee {
            query.push(" AND assignee = ").push_bind(assignee.as_str());
        }
        if let Some(source) = &filter.source {
            query.push(" AND source = ").push_bind(source.as_str());
        }
        if let Some(from) = window.from {
            query.push(" AND received_at >= ").push_bind(from);
        }
        if let Some(until) = window.until {
            query.push(" AND received_at < ").push_bind(until);
        }
        query
            .push(" ORDER BY received_at DESC, id DESC LIMIT ")
            .push_bind(page_size(filter.limit))
            .push(" OFFSET ")
            .push_bind(i64::from(filter.offset));
        query
            .build_query_as::<InquiryRow>()
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(InquiryRow::into_record)
            .collect()
    }

    async fn list_inquiry_events(&self, id: i64) -> Result<Vec<Event>, StoreError> {
        sqlx::query_as::<_, EventRow>(concat!(
            "SELECT ",
            event_columns!(),
            " FROM events WHERE inquiry_id = $1 ORDER BY id"
        ))
        .bind(id)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(EventRow::into_event)
        .collect()
    }

    async fn list_events_of_inquiries(
        &self,
        ids: &[i64],
        kinds: &[&str],
    ) -> Result<Vec<Event>, StoreError> {
        if ids.is_empty() || kinds.is_empty() {
            return Ok(Vec::new());
        }
        let mut query = QueryBuilder::<Postgres>::new(concat!(
            "SELECT ",
            event_columns!(),
            " FROM events WHERE inquiry_id IN ("
        ));
        let mut list = query.separated(", ");
        for id in ids {
            list.push_bind(*id);
        }
        query.push(") AND kind IN (");
        let mut list = query.separated(", ");
        for kind in kinds {
            list.push_bind(*kind);
        }
        query.push(") ORDER BY id");
        query
            .build_query_as::<EventRow>()
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(EventRow::into_event)
            .collect()
    }

    async fn count_inquiries(&self) -> Result<Vec<(String, State, i64)>, StoreError> {
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT team, state, count(*) FROM inquiries GROUP BY team, state ORDER BY team",
        )
        .fetch_all(&self.pool)
        .await?;
        state_counts(rows)
    }

    async fn list_time_entries(
        &self,
        filter: &TimeEntryFilter,
    ) -> Result<Vec<TimeEntry>, StoreError> {
        let Some(window) = validate::instants(filter.from, filter.until)? else {
            return Ok(Vec::new());
        };
        let mut query = QueryBuilder::<Postgres>::new(concat!(
            "SELECT ",
            time_entry_columns!(),
            " FROM time_entries WHERE TRUE"
        ));
        if let Some(team) = &filter.team {
            query.push(" AND team = ").push_bind(team.as_str());
        }
        if let Some(inquiry_id) = filter.inquiry_id {
            query.push(" AND inquiry_id = ").push_bind(inquiry_id);
        }
        if let Some(member) = &filter.member {
            query.push(" AND member = ").push_bind(member.as_str());
        }
        if let Some(from) = window.from {
            query.push(" AND at >= ").push_bind(from);
        }
        if let Some(until) = window.until {
            query.push(" AND at < ").push_bind(until);
        }
        query.push(" ORDER BY at, id");
        let rows = query
            .build_query_as::<TimeEntryRow>()
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(TimeEntry::from).collect())
    }

    async fn add_note(&self, new: NewNote) -> Result<Note, StoreError> {
        let new = validate::new_note(new)?;
        let mut tx = self.pool.begin().await?;
        if let Some(inquiry_id) = new.inquiry_id {
            let found = sqlx::query_scalar::<_, i64>(
                "SELECT id FROM inquiries WHERE id = $1 AND team = $2",
            )
            .bind(inquiry_id)
            .bind(&new.team)
            .fetch_optional(&mut *tx)
            .await?;
            if found.is_none() {
                return Err(StoreError::NotFound(format!(
                    "inquiry {inquiry_id} of team `{}`",
                    new.team
                )));
            }
        }
        let record: Note = sqlx::query_as::<_, NoteRow>(concat!(
            "INSERT INTO notes (team, inquiry_id, shift_start, author, text, at)",
            " VALUES ($1, $2, $3, $4, $5, $6) RETURNING ",
            note_columns!()
        ))
        .bind(&new.team)
        .bind(new.inquiry_id)
        .bind(new.shift_start)
        .bind(&new.author)
        .bind(&new.text)
        .bind(new.at)
        .fetch_one(&mut *tx)
        .await?
        .into();
        let event = NewEvent::about(
            kind::NOTE_ADDED,
            Some(&record.team),
            &record.author,
            // Dated when the note says it was written (the service's clock), like its row.
            record.at,
            &record,
        )?
        .on_inquiry(record.inquiry_id);
        commit_with(tx, event).await?;
        debug!(id = record.id, team = %record.team, "note added");
        Ok(record)
    }

    async fn list_notes(&self, filter: &NoteFilter) -> Result<Vec<Note>, StoreError> {
        let mut query = QueryBuilder::<Postgres>::new(concat!(
            "SELECT ",
            note_columns!(),
            " FROM notes WHERE TRUE"
        ));
        if let Some(team) = &filter.team {
            query.push(" AND team = ").push_bind(team.as_str());
        }
        if let Some(inquiry_id) = filter.inquiry_id {
            query.push(" AND inquiry_id = ").push_bind(inquiry_id);
        }
        if let Some(shift_start) = filter.shift_start {
            // Stored instants are whole milliseconds; a finer one matches no shift.
            if validate::stored_instant(shift_start) != shift_start {
                return Ok(Vec::new());
            }
            query.push(" AND shift_start = ").push_bind(shift_start);
        }
        query.push(" ORDER BY at, id");
        let rows = query
            .build_query_as::<NoteRow>()
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(Note::from).collect())
    }

    async fn record_check(&self, new: NewCheck) -> Result<Check, StoreError> {
        let new = validate::new_check(new)?;
        let now = validate::now();
        let mut tx = self.pool.begin().await?;
        let record: Check = sqlx::query_as::<_, CheckRow>(concat!(
            "INSERT INTO checks (team, source, member, at) VALUES ($1, $2, $3, $4) RETURNING ",
            check_columns!()
        ))
        .bind(&new.team)
        .bind(&new.source)
        .bind(&new.member)
        .bind(new.at)
        .fetch_one(&mut *tx)
        .await?
        .into();
        let event = NewEvent::about(
            kind::CHECK_RECORDED,
            Some(&record.team),
            &record.member,
            now,
            &record,
        )?;
        commit_with(tx, event).await?;
        debug!(id = record.id, team = %record.team, source = %record.source, "check recorded");
        Ok(record)
    }

    async fn list_checks(
        &self,
        team: &str,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<Check>, StoreError> {
        let Some(window) = validate::instants(Some(from), Some(until))? else {
            return Ok(Vec::new());
        };
        let mut query = QueryBuilder::<Postgres>::new(concat!(
            "SELECT ",
            check_columns!(),
            " FROM checks WHERE team = "
        ));
        query.push_bind(team);
        if let Some(from) = window.from {
            query.push(" AND at >= ").push_bind(from);
        }
        if let Some(until) = window.until {
            query.push(" AND at < ").push_bind(until);
        }
        query.push(" ORDER BY at, id");
        let rows = query
            .build_query_as::<CheckRow>()
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(Check::from).collect())
    }

    async fn create_token(&self, new: NewApiToken) -> Result<ApiToken, StoreError> {
        validate::new_token(&new)?;
        let now = validate::now();
        let mut tx = self.pool.begin().await?;
        let record = sqlx::query_as::<_, TokenRow>(concat!(
            "INSERT INTO api_tokens (name, role, token_hash, created_by, created_at)",
            " VALUES ($1, $2, $3, $4, $5) RETURNING ",
            token_columns!()
        ))
        .bind(&new.name)
        .bind(new.role.as_str())
        .bind(&new.token_hash)
        .bind(&new.created_by)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(validate::duplicate_token)?
        .into_record()?;
        let event = NewEvent::about(kind::TOKEN_CREATED, None, &record.created_by, now, &record)?;
        commit_with(tx, event).await?;
        debug!(id = record.id, name = %record.name, "API token created");
        Ok(record)
    }

    async fn find_token(&self, token_hash: &str) -> Result<Option<ApiToken>, StoreError> {
        sqlx::query_as::<_, TokenRow>(concat!(
            "SELECT ",
            token_columns!(),
            " FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL"
        ))
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?
        .map(TokenRow::into_record)
        .transpose()
    }

    async fn list_tokens(&self) -> Result<Vec<ApiToken>, StoreError> {
        sqlx::query_as::<_, TokenRow>(concat!(
            "SELECT ",
            token_columns!(),
            " FROM api_tokens ORDER BY id"
        ))
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(TokenRow::into_record)
        .collect()
    }

    async fn revoke_token(&self, id: i64, actor: &str) -> Result<ApiToken, StoreError> {
        validate::actor(actor)?;
        let now = validate::now();
        let mut tx = self.pool.begin().await?;
        let revoked = sqlx::query_as::<_, TokenRow>(concat!(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
            " RETURNING ",
            token_columns!()
        ))
        .bind(now)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = revoked else {
            // Already revoked (kept as it is, no second event) or not there at all.
            return sqlx::query_as::<_, TokenRow>(concat!(
                "SELECT ",
                token_columns!(),
                " FROM api_tokens WHERE id = $1"
            ))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("API token {id}")))?
            .into_record();
        };
        let record = row.into_record()?;
        let event = NewEvent::about(kind::TOKEN_REVOKED, None, actor, now, &record)?;
        commit_with(tx, event).await?;
        debug!(id, "API token revoked");
        Ok(record)
    }

    // --- Accounts (in `accounts.rs`) ---------------------------------------------------------

    async fn create_user(&self, new: NewUser) -> Result<User, StoreError> {
        accounts::create_user(self, new).await
    }

    async fn get_user(&self, id: i64) -> Result<User, StoreError> {
        accounts::get_user(self, id).await
    }

    async fn find_user(&self, email: &str) -> Result<Option<User>, StoreError> {
        accounts::find_user(self, email).await
    }

    async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        accounts::list_users(self).await
    }

    async fn set_user_role(
        &self,
        id: i64,
        role: Role,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<User, StoreError> {
        accounts::set_user_role(self, id, role, actor, at).await
    }

    async fn disable_user(
        &self,
        id: i64,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<User, StoreError> {
        accounts::disable_user(self, id, actor, at).await
    }

    async fn enable_user(
        &self,
        id: i64,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<User, StoreError> {
        accounts::enable_user(self, id, actor, at).await
    }

    async fn set_user_password(
        &self,
        id: i64,
        password_hash: &str,
        keep_session: Option<&str>,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<User, StoreError> {
        accounts::set_user_password(self, id, password_hash, keep_session, actor, at).await
    }

    async fn create_session(&self, user_id: i64, new: NewSession) -> Result<Session, StoreError> {
        accounts::create_session(self, user_id, new).await
    }

    async fn find_session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(Session, User)>, StoreError> {
        accounts::find_session(self, token_hash, now).await
    }

    async fn touch_session(
        &self,
        id: i64,
        last_seen: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        accounts::touch_session(self, id, last_seen, expires_at).await
    }

    async fn end_session(&self, token_hash: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
        accounts::end_session(self, token_hash, at).await
    }

    async fn create_login_link(&self, new: NewLoginLink) -> Result<LoginLink, StoreError> {
        accounts::create_login_link(self, new).await
    }

    async fn redeem_login_link(
        &self,
        token_hash: &str,
        session: NewSession,
    ) -> Result<Result<Redeemed, LinkRefused>, StoreError> {
        accounts::redeem_login_link(self, token_hash, session).await
    }

    async fn commit_intake(
        &self,
        items: Vec<IntakeItem>,
    ) -> Result<Vec<IntakeOutcome>, StoreError> {
        let items = intake::check_items(items)?;
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let mut attempt = 1;
        loop {
            match self.try_commit_intake(&items).await {
                Err(error) if attempt < INTAKE_ATTEMPTS && is_transient(&error) => {
                    debug!(attempt, error = %error, "intake batch aborted by the server; retrying");
                    attempt += 1;
                }
                outcome => return outcome,
            }
        }
    }

    async fn retry_intake(
        &self,
        retry: crate::IntakeRetry,
    ) -> Result<Vec<EffectOutcome>, StoreError> {
        let retry = intake::CheckedRetry::new(retry)?;
        let mut tx = self.pool.begin().await?;
        let found = sqlx::query("UPDATE deliveries SET outcome = $1 WHERE id = $2")
            .bind(&retry.outcome)
            .bind(retry.delivery_id)
            .execute(&mut *tx)
            .await?;
        if found.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!(
                "delivery {}",
                retry.delivery_id
            )));
        }
        let current = if retry.revision_needed() {
            Some(read_revision(&mut tx).await?)
        } else {
            None
        };
        let mut events = Vec::new();
        let effects = apply_steps(&mut tx, retry.steps(current), &mut events).await?;
        let effects = retry.outcomes(current, effects);
        append_all(&mut tx, &events).await?;
        tx.commit().await?;
        debug!(
            delivery_id = retry.delivery_id,
            effects = effects.len(),
            "intake retry committed"
        );
        Ok(effects)
    }

    /// Several: a commit waits on the network and on PostgreSQL's WAL flush, which other
    /// transactions' writes overlap (`docs/BENCHMARKS.md`).
    fn intake_grouping(&self) -> IntakeGrouping {
        IntakeGrouping::Batches(INTAKE_WRITERS)
    }

    async fn schedule_revision(&self) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar::<_, i64>("SELECT n FROM schedule_revision WHERE only_row = 1")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    async fn known_deliveries(&self, keys: &[String]) -> Result<Vec<String>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let stored =
            sqlx::query_scalar::<_, String>("SELECT key FROM deliveries WHERE key = ANY($1)")
                .bind(keys)
                .fetch_all(&self.pool)
                .await?;
        Ok(intake::in_order(keys, stored))
    }

    async fn find_inquiries_by_ref(&self, external_ref: &str) -> Result<Vec<Inquiry>, StoreError> {
        sqlx::query_as::<_, InquiryRow>(concat!(
            "SELECT ",
            inquiry_columns!(),
            " FROM inquiries WHERE external_ref = $1 ORDER BY id"
        ))
        .bind(external_ref)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(InquiryRow::into_record)
        .collect()
    }

    async fn list_deliveries(&self, filter: &DeliveryFilter) -> Result<Vec<Delivery>, StoreError> {
        let mut query = QueryBuilder::<Postgres>::new(concat!(
            "SELECT ",
            delivery_columns!(),
            " FROM deliveries WHERE TRUE"
        ));
        if filter.unrouted_only {
            // Repeats the predicate of the partial index `deliveries_unrouted`.
            query.push(" AND team IS NULL");
        }
        if let Some(provider) = &filter.provider {
            query.push(" AND provider = ").push_bind(provider.as_str());
        }
        query
            .push(" ORDER BY received_at DESC, id DESC LIMIT ")
            .push_bind(intake::delivery_page(filter.limit));
        query
            .build_query_as::<DeliveryRow>()
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(DeliveryRow::into_record)
            .collect()
    }
}
