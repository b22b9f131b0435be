//! Live updates of the board: `GET /teams/{team}/board/queue` answers the open queue's HTML
//! alone, and the board's script polls it and swaps it in place.
//!
//! Polling a fragment was chosen over server-sent events: it works through any proxy, needs no
//! connection held per open board, carries the session cookie like any request (an expired
//! session answers the sign-in redirect, which the script notices by the missing
//! `X-Baton-Fragment` header), and refreshes the working time left on every row as it goes.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::HeaderName;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use axum_extra::extract::CookieJar;

use super::board::{QueueView, ZoneQuery, BOARD_QUEUE_LIMIT};
use super::display::{self, viewer_zone};
use super::{render, WebPath};
use crate::web::error::WebError;
use crate::web::session::Viewer;
use crate::AppState;

/// The header that marks a fragment answer (its value names the fragment).
pub const FRAGMENT_HEADER: &str = "x-baton-fragment";

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/teams/{team}/board/queue", get(queue))
}

#[derive(Template)]
#[template(path = "queue_fragment.html")]
struct QueueFragment {
    queue: QueueView,
}

async fn queue(
    State(state): State<AppState>,
    WebPath(slug): WebPath<String>,
    _viewer: Viewer,
    jar: CookieJar,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let q: ZoneQuery = display::query(raw.as_deref())?;
    let service = &state.service;
    let team = service.team(&slug)?;
    let tz = viewer_zone(&jar, q.tz.as_deref(), team.tz);
    let items = service.queue(&slug, BOARD_QUEUE_LIMIT).await?;
    let fragment = QueueFragment {
        queue: QueueView::new(service, team, &items, tz),
    };
    let html = render(&fragment)?;
    Ok(([(HeaderName::from_static(FRAGMENT_HEADER), "queue")], html).into_response())
}
