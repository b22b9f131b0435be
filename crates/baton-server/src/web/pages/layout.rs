//! What `templates/layout.html` shows around every page: the header with the team links, the
//! navigation, who is signed in and the sign-out form.
//!
//! A page template extends the layout with `{% extends "layout.html" %}`, fills the blocks
//! `title` and `content`, and its struct has a field `layout: Layout`:
//!
//! ```ignore
//! #[derive(askama::Template)]
//! #[template(path = "users.html")]
//! struct UsersPage {
//!     layout: Layout,
//!     // …
//! }
//! let layout = Layout::new(&viewer, state.service.config(), None, Nav::Users);
//! ```

use baton_config::Config;
use baton_core::access::Role;

use super::assets;
use crate::web::session::Viewer;

/// The navigation entry a page belongs to (marked as the current one in the header).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nav {
    Board,
    Schedule,
    Settings,
    Tokens,
    Users,
    /// A page outside the navigation (the team chooser).
    Other,
}

impl Nav {
    /// The entry's name, as compared in `layout.html`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Board => "board",
            Self::Schedule => "schedule",
            Self::Settings => "settings",
            Self::Tokens => "tokens",
            Self::Users => "users",
            Self::Other => "",
        }
    }
}

/// A team in the header's team links.
#[derive(Clone, Debug)]
pub struct TeamLink {
    pub slug: String,
    pub name: String,
}

/// The header and page frame of every signed-in page.
#[derive(Clone, Debug)]
pub struct Layout {
    /// The signed-in account's email.
    pub email: String,
    /// The account's role, lowercase.
    pub role: String,
    /// The session's CSRF token (for the sign-out form and `<meta name="csrf-token">`).
    pub csrf: String,
    /// Whether the Tokens and Users links are shown.
    pub is_admin: bool,
    /// Every team, for the team links.
    pub teams: Vec<TeamLink>,
    /// The team the Board, Schedule and Settings links lead to (the page's team, else the
    /// first one).
    pub team: Option<TeamLink>,
    /// The current navigation entry ([`Nav::as_str`]).
    pub active: &'static str,
    /// The stylesheet's URL (versioned by content).
    pub css_url: &'static str,
    /// The script's URL (versioned by content).
    pub js_url: &'static str,
    /// The time zone the page's times are shown in (empty on pages without times); the
    /// script compares it with the browser's.
    pub tz: String,
}

impl Layout {
    /// The frame for `viewer` on a page of `team` (a slug; `None` for pages of no team).
    pub fn new(viewer: &Viewer, config: &Config, team: Option<&str>, active: Nav) -> Self {
        let teams: Vec<TeamLink> = config
            .teams
            .iter()
            .map(|t| TeamLink {
                slug: t.slug.clone(),
                name: t.name.clone(),
            })
            .collect();
        let current = team
            .and_then(|slug| teams.iter().find(|t| t.slug == slug))
            .or(teams.first())
            .cloned();
        Self {
            email: viewer.email.clone(),
            role: viewer.role.to_string(),
            csrf: viewer.csrf.clone(),
            is_admin: viewer.can(Role::Admin),
            teams,
            team: current,
            active: active.as_str(),
            css_url: assets::css_url(),
            js_url: assets::js_url(),
            tz: String::new(),
        }
    }

    /// The same frame, noting that the page shows its times in `tz`.
    pub fn in_zone(mut self, tz: chrono_tz::Tz) -> Self {
        self.tz = tz.name().to_owned();
        self
    }

    /// Whether the team `slug` is the page's team (for the team links).
    pub fn is_team(&self, slug: &str) -> bool {
        self.team.as_ref().is_some_and(|t| t.slug == slug)
    }
}
