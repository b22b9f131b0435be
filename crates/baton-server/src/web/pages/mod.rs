//! The pages behind sign-in: the board (with its live queue), an inquiry with its triage forms,
//! the schedule, the team's settings and the API tokens; and the static assets.
//!
//! URL scheme (every page needs a session; forms post with the CSRF field and answer
//! 303 See Other back to their page):
//!
//! | page | GET | POST |
//! |---|---|---|
//! | team chooser | `/` (redirects to the only team's board) | |
//! | board | `/teams/{team}` | `/teams/{team}/checks` (member) |
//! | live queue (fragment) | `/teams/{team}/board/queue` | |
//! | inquiry | `/teams/{team}/inquiries/{id}` | `/teams/{team}/inquiries/{id}/{action}` (member) |
//! | schedule | `/teams/{team}/schedule` | `…/schedule/overrides`, `…/swaps`, `…/time-off`, their `…/{id}/remove`, `…/calendar-link` (member) |
//! | settings | `/teams/{team}/settings` | |
//! | API tokens | `/tokens` (admin) | `/tokens`, `/tokens/{id}/revoke` (admin) |
//!
//! Every page answers with a `Content-Security-Policy` that allows only this origin's script
//! and stylesheet, so templates carry no inline scripts or styles.

mod assets;
mod board;
mod display;
mod inquiry;
mod layout;
mod live;
mod schedule;
mod settings;
mod tokens;

use askama::Template;
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::middleware::from_fn;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;

pub use layout::{Layout, Nav, TeamLink};

use crate::service::ServiceError;
use crate::web::error::WebError;
use crate::AppState;

/// What pages may load: only this origin's script and stylesheet; no frames, no plugins.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// The board, inquiry, schedule, settings and token pages, and the static assets.
pub(crate) fn routes() -> Router<AppState> {
    let pages = Router::new()
        .route("/", get(board::home))
        .merge(board::routes())
        .merge(live::routes())
        .merge(inquiry::routes())
        .merge(schedule::routes())
        .merge(settings::routes())
        .merge(tokens::routes())
        .layer(from_fn(crate::web::security_headers));
    Router::new().merge(pages).merge(assets::routes())
}

/// Renders a page template as HTML (a template that fails to render is a logged 500).
fn render(page: &impl Template) -> Result<Response, WebError> {
    let html = page.render().map_err(WebError::internal)?;
    Ok(Html(html).into_response())
}

/// A 303 See Other to `path` (the answer to every accepted form).
fn see_other(path: &str) -> Response {
    Redirect::to(path).into_response()
}

/// The value of a result that the service refused as not applicable now (e.g. nobody on duty
/// beyond the calendar), as `None`; other failures stay failures.
fn unless_invalid<T>(result: Result<T, ServiceError>) -> Result<Option<T>, WebError> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(ServiceError::Invalid(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Path parameters; ones that cannot be read are a 404 page.
struct WebPath<T>(T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned + Send> FromRequestParts<S> for WebPath<T> {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, WebError> {
        let Path(value) = Path::<T>::from_request_parts(parts, state)
            .await
            .map_err(|e| WebError::NotFound(format!("no page {}: {e}", parts.uri.path())))?;
        Ok(Self(value))
    }
}

/// A path parameter that must be a record id.
fn parse_id(text: &str, what: &str) -> Result<i64, WebError> {
    text.parse()
        .map_err(|_| WebError::NotFound(format!("no {what} {text:?}: ids are whole numbers")))
}

/// An optional text field: blank is `None`, otherwise trimmed.
fn non_blank(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use askama::Template;
    use axum::body::to_bytes;
    use baton_core::access::Role;

    use super::board::{QueueRow, QueueView};
    use super::*;
    use crate::web::session::Viewer;

    pub(super) fn layout(role: Role) -> Layout {
        let path =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/integrations.toml");
        let config = baton_config::load(&path).expect("the example config");
        let viewer = Viewer {
            user_id: 1,
            email: "ada@example.com".into(),
            role,
            csrf: "csrf-token-value".into(),
        };
        Layout::new(&viewer, &config, Some("integrations"), Nav::Board)
    }

    #[derive(Template)]
    #[template(path = "queue_fragment.html")]
    struct Fragment {
        queue: QueueView,
    }

    fn row(title: &str) -> QueueRow {
        QueueRow {
            id: 7,
            href: "/teams/integrations/inquiries/7".into(),
            title: title.into(),
            source: "#integrations".into(),
            age: "5m".into(),
            priority: "high".into(),
            suggested: true,
            suggestion_reason: "rubric rule 4: words \"broken\"".into(),
            area: String::new(),
            state: "new",
            state_label: "new".into(),
            assignee: "David".into(),
            time_left: "3h left".into(),
            due: "Wed 5 Oct 14:00 CEST".into(),
            due_iso: "2022-10-05T12:00:00+00:00".into(),
            urgency: "due-near",
            should_escalate: false,
        }
    }

    #[test]
    fn the_queue_escapes_what_people_wrote() {
        let html = Fragment {
            queue: QueueView {
                rows: vec![row("<script>alert(1)</script> & \"quotes\"")],
                updated: "now".into(),
                updated_iso: String::new(),
                truncated: false,
                limit: 200,
            },
        }
        .render()
        .unwrap();
        assert!(!html.contains("<script>"), "{html}");
        assert!(
            html.contains("&#60;script&#62;alert(1)&#60;/script&#62; &#38; &#34;quotes&#34;")
                || html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;"),
            "{html}"
        );
        assert!(html.contains(r#"data-test="queue-row""#));
        assert!(html.contains(r#"class="queue-row due-near""#));
        assert!(html.contains(r#"data-suggested="true""#));
    }

    #[derive(Template)]
    #[template(
        source = "{% extends \"layout.html\" %}{% block content %}x{% endblock %}",
        ext = "html"
    )]
    struct Bare {
        layout: Layout,
    }

    #[test]
    fn the_header_shows_admin_links_to_admins_only() {
        let admin = Bare {
            layout: layout(Role::Admin),
        }
        .render()
        .unwrap();
        assert!(admin.contains(r#"href="/tokens""#));
        assert!(admin.contains(r#"href="/admin/users""#));
        assert!(admin.contains(r#"<meta name="csrf-token" content="csrf-token-value">"#));
        assert!(admin.contains(r#"<input type="hidden" name="csrf" value="csrf-token-value">"#));
        assert!(admin.contains("ada@example.com"));
        assert!(admin.contains(r#"href="/teams/integrations/schedule""#));
        let member = Bare {
            layout: layout(Role::Member),
        }
        .render()
        .unwrap();
        assert!(!member.contains("/tokens"));
        assert!(!member.contains("/admin/users"));
        assert!(member.contains(r#"data-test="viewer-role">member<"#));
    }

    #[test]
    fn no_template_has_inline_scripts_or_styles() {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("templates");
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            let name = path.display();
            assert!(!text.contains("<style"), "{name}: inline <style>");
            assert!(!text.contains("style=\""), "{name}: inline style attribute");
            assert!(
                !text.contains(" on") || !text.contains("=\"javascript"),
                "{name}"
            );
            for script in text.match_indices("<script").map(|(i, _)| &text[i..]) {
                assert!(script.starts_with("<script src="), "{name}: inline script");
            }
            assert!(!text.contains("|safe"), "{name}: unescaped output");
        }
    }

    #[tokio::test]
    async fn errors_are_pages_with_the_message_escaped() {
        let response = WebError::Conflict("cannot acknowledge <b>this</b>".into()).into_response();
        assert_eq!(response.status(), axum::http::StatusCode::CONFLICT);
        let body = to_bytes(response.into_body(), 1 << 20).await.unwrap();
        let html = String::from_utf8(body.to_vec()).unwrap();
        assert!(html.contains("409 Conflict"), "{html}");
        assert!(!html.contains("<b>this"), "{html}");
        assert!(html.contains(r#"href="/static/baton.css""#), "{html}");
    }
}
