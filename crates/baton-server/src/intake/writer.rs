//! How intake's items reach the store, as the store's [`Store::intake_grouping`] asks:
//!
//! - [`IntakeGrouping::ByStore`] (an SQLite file): each handler commits its own item, and the
//!   store writes the calls that wait for it together, in one transaction ("group commit").
//! - [`IntakeGrouping::Batches`] (PostgreSQL, an in-memory SQLite database): writer tasks
//!   share the receiving end of a channel of items. A writer takes one item, drains whatever
//!   else is already waiting (up to [`MAX_BATCH`]) without waiting, commits them all in one
//!   `Store::commit_intake` call and answers each sender; meanwhile the next writer gathers
//!   the next batch.
//!
//! Either way a handler answers its webhook only after its item's outcome arrives, that is,
//! after the commit.

use std::sync::Arc;

use baton_store::{IntakeGrouping, IntakeItem, IntakeOutcome, Store, StoreError};
use tokio::sync::{mpsc, oneshot, watch, Mutex};
use tokio::task::JoinHandle;

/// The most items committed in one transaction.
pub const MAX_BATCH: usize = 256;

/// How many items may wait for the writer before senders wait for room.
const QUEUE: usize = 4 * MAX_BATCH;

/// Why an item was not committed.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The batch failed (the database did not answer, a transaction failed): nothing of it was
    /// written, and the sender should retry.
    #[error("the delivery could not be stored now: {0}")]
    Unavailable(String),
    /// The store refused this item itself: retrying it will not help.
    #[error("the delivery was refused by the store: {0}")]
    Refused(String),
}

type Reply = oneshot::Sender<Result<IntakeOutcome, WriteError>>;

/// The sending side, shared by the handlers.
#[derive(Clone)]
pub struct IntakeHandle {
    route: Route,
}

#[derive(Clone)]
enum Route {
    /// Straight to the store, which groups the calls itself.
    Store(Arc<dyn Store>),
    /// Through the writer tasks' queue.
    Writers(mpsc::Sender<(IntakeItem, Reply)>),
}

impl IntakeHandle {
    /// Commits `item`, with others, and answers once its transaction has committed.
    pub async fn submit(&self, item: IntakeItem) -> Result<IntakeOutcome, WriteError> {
        let tx = match &self.route {
            Route::Store(store) => return commit_one(store.as_ref(), item).await,
            Route::Writers(tx) => tx,
        };
        let (reply, answer) = oneshot::channel();
        tx.send((item, reply))
            .await
            .map_err(|_| WriteError::Unavailable("the intake writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| WriteError::Unavailable("the intake writer has stopped".into()))?
    }
}

/// Commits `item` alone (the store may write it in a transaction with others).
async fn commit_one(store: &dyn Store, item: IntakeItem) -> Result<IntakeOutcome, WriteError> {
    match store.commit_intake(vec![item]).await {
        Ok(mut outcomes) if outcomes.len() == 1 => Ok(outcomes.remove(0)),
        Ok(_) => Err(mismatch()),
        Err(e) => Err(classify(e)),
    }
}

fn mismatch() -> WriteError {
    WriteError::Unavailable("the store's answer did not match the batch".into())
}

/// The running writer tasks, to be stopped on shutdown.
pub struct IntakeWriter {
    stop: watch::Sender<bool>,
    joins: Vec<JoinHandle<()>>,
}

/// The queue the writers share; the one holding its lock gathers the next batch.
type Queue = Arc<Mutex<mpsc::Receiver<(IntakeItem, Reply)>>>;

impl IntakeWriter {
    /// Starts the writers over `store` that its [`Store::intake_grouping`] asks for (none when
    /// the store groups calls itself).
    pub fn spawn(store: Arc<dyn Store>) -> (IntakeHandle, IntakeWriter) {
        let (stop, stopped) = watch::channel(false);
        let writers = match store.intake_grouping() {
            IntakeGrouping::ByStore => {
                let route = Route::Store(store);
                let joins = Vec::new();
                return (IntakeHandle { route }, IntakeWriter { stop, joins });
            }
            IntakeGrouping::Batches(writers) => writers.max(1),
        };
        let (tx, rx) = mpsc::channel(QUEUE);
        let queue: Queue = Arc::new(Mutex::new(rx));
        let joins = (0..writers)
            .map(|_| tokio::spawn(run(Arc::clone(&store), Arc::clone(&queue), stopped.clone())))
            .collect();
        let route = Route::Writers(tx);
        (IntakeHandle { route }, IntakeWriter { stop, joins })
    }

    /// Stops taking new items, commits those already queued, and waits for the tasks to end.
    /// (Without writer tasks, each handler's own call commits its item before it answers.)
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for join in self.joins {
            if let Err(e) = join.await {
                tracing::error!(error = %e, "an intake writer failed");
            }
        }
    }
}

async fn run(store: Arc<dyn Store>, queue: Queue, mut stopped: watch::Receiver<bool>) {
    while let Some(batch) = next_batch(&queue, &mut stopped).await {
        commit(store.as_ref(), batch).await;
    }
    tracing::debug!("an intake writer has stopped");
}

/// The next batch: the first item to arrive and whatever else is waiting, up to
/// [`MAX_BATCH`]. Once stopped (or once the [`IntakeWriter`] is dropped), new items are refused
/// and those already queued still come; `None` when none is left.
async fn next_batch(
    queue: &Queue,
    stopped: &mut watch::Receiver<bool>,
) -> Option<Vec<(IntakeItem, Reply)>> {
    let mut rx = queue.lock().await;
    let first = loop {
        if *stopped.borrow() {
            rx.close();
            break rx.recv().await;
        }
        tokio::select! {
            next = rx.recv() => break next,
            changed = stopped.changed() => {
                if changed.is_err() {
                    // The writer handle is gone: stop as if told to.
                    rx.close();
                    break rx.recv().await;
                }
            }
        }
    }?;
    let mut batch = vec![first];
    while batch.len() < MAX_BATCH {
        match rx.try_recv() {
            Ok(next) => batch.push(next),
            Err(_) => break,
        }
    }
    Some(batch)
}

/// Commits `batch` and answers every sender.
async fn commit(store: &dyn Store, batch: Vec<(IntakeItem, Reply)>) {
    let (items, replies): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
    let size = items.len();
    let started = std::time::Instant::now();
    let committed = store.commit_intake(items.clone()).await;
    // Batch sizes and times, to see how well the writer groups commits under load.
    tracing::debug!(
        items = size,
        ok = committed.is_ok(),
        micros = started.elapsed().as_micros() as u64,
        "intake batch"
    );
    match committed {
        Ok(outcomes) if outcomes.len() == size => {
            for (reply, outcome) in replies.into_iter().zip(outcomes) {
                let _ = reply.send(Ok(outcome));
            }
        }
        Ok(outcomes) => {
            tracing::error!(
                items = size,
                outcomes = outcomes.len(),
                "the store answered a batch with the wrong number of outcomes"
            );
            for reply in replies {
                let _ = reply.send(Err(mismatch()));
            }
        }
        // One item is invalid: commit each item alone, so that only that one is refused.
        Err(StoreError::Invalid(why)) if size > 1 => {
            tracing::warn!(items = size, reason = %why, "a batch was refused; committing its items one by one");
            for (item, reply) in items.into_iter().zip(replies) {
                let _ = reply.send(commit_one(store, item).await);
            }
        }
        Err(e) => {
            let e = classify(e);
            tracing::error!(items = size, error = %e, "an intake batch failed");
            for reply in replies {
                let _ = reply.send(Err(match &e {
                    WriteError::Unavailable(m) => WriteError::Unavailable(m.clone()),
                    WriteError::Refused(m) => WriteError::Refused(m.clone()),
                }));
            }
        }
    }
}

fn classify(e: StoreError) -> WriteError {
    match e {
        StoreError::Invalid(why) => WriteError::Refused(why),
        other => WriteError::Unavailable(other.to_string()),
    }
}
