//! Sessions in a cookie, the signed-in [`Viewer`], and CSRF-checked forms.
//!
//! The `baton_session` cookie holds a 256-bit random secret; the store keeps only its SHA-256
//! and looks the session up by that hash (`Store::find_session`), so the secret itself is never
//! compared. A session expires after [`IDLE_LIFETIME`] without use and at the latest
//! [`MAX_LIFETIME`] after sign-in. Each session has a random CSRF token that every form
//! carries in the [`CSRF_FIELD`] field; [`CsrfForm`] compares it in constant time (`subtle`)
//! and also refuses a form whose `Origin` header names another site.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum_extra::extract::cookie::{Cookie, SameSite};
use axum_extra::extract::CookieJar;
use baton_core::access::{NewSession, Role, Session, SignInMethod, User};
use baton_store::{Store, StoreError};
use chrono::{DateTime, Duration, Utc};
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

use crate::auth::hash_token;
use crate::web::accounts::new_secret;
use crate::web::error::WebError;
use crate::AppState;

/// The name of the form field that carries the CSRF token; every `<form method="post">` has
/// `<input type="hidden" name="csrf" value="{{ viewer.csrf }}">`.
pub const CSRF_FIELD: &str = "csrf";

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "baton_session";

/// A session ends after this long without a request.
pub const IDLE_LIFETIME: Duration = Duration::days(7);
/// A session ends this long after sign-in, however much it is used.
pub const MAX_LIFETIME: Duration = Duration::days(30);
/// A session's last use is written at most this often (not at every request).
const TOUCH_EVERY: Duration = Duration::minutes(1);

/// The person signed in, from the session cookie. As an extractor, a request without a valid
/// session is [`WebError::SignIn`] (a redirect to `/login?next=<this path>`).
#[derive(Clone, Debug)]
pub struct Viewer {
    /// The account's id.
    pub user_id: i64,
    /// The account's email, shown in the header.
    pub email: String,
    /// What the account may do.
    pub role: Role,
    /// The session's CSRF token, to put in every form.
    pub csrf: String,
}

impl Viewer {
    /// [`WebError::Forbidden`] unless the viewer's role includes `role`.
    pub fn require(&self, role: Role) -> Result<(), WebError> {
        if self.role.allows(role) {
            Ok(())
        } else {
            Err(WebError::Forbidden(format!(
                "this needs the {role} role; you are signed in as a {}",
                self.role
            )))
        }
    }

    /// How the viewer appears in the event trail: `user:<email>`.
    pub fn actor(&self) -> String {
        format!("user:{}", self.email)
    }

    /// Whether the viewer may do what `role` may (for showing or hiding forms).
    pub fn can(&self, role: Role) -> bool {
        self.role.allows(role)
    }

    fn of(session: &Session, user: User) -> Self {
        Self {
            user_id: user.id,
            email: user.email,
            role: user.role,
            csrf: session.csrf.clone(),
        }
    }
}

/// The secret of the request's session cookie, if it has one.
pub fn session_secret(headers: &HeaderMap) -> Option<String> {
    CookieJar::from_headers(headers)
        .get(SESSION_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| !v.is_empty())
}

/// The signed-in viewer of a request with these headers, if its session is valid at `now`;
/// extends the session's idle expiry (at most once a minute).
pub async fn current_viewer(
    store: &dyn Store,
    headers: &HeaderMap,
    now: DateTime<Utc>,
) -> Result<Option<Viewer>, StoreError> {
    let Some(secret) = session_secret(headers) else {
        return Ok(None);
    };
    let Some((session, user)) = store.find_session(&hash_token(&secret), now).await? else {
        return Ok(None);
    };
    if now - session.last_seen >= TOUCH_EVERY {
        let expires_at = (now + IDLE_LIFETIME).min(session.created_at + MAX_LIFETIME);
        store.touch_session(session.id, now, expires_at).await?;
    }
    Ok(Some(Viewer::of(&session, user)))
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        if let Some(viewer) = parts.extensions.get::<Viewer>() {
            return Ok(viewer.clone());
        }
        let store = state.service.store();
        match current_viewer(store.as_ref(), &parts.headers, state.service.now()).await {
            Ok(Some(viewer)) => {
                parts.extensions.insert(viewer.clone());
                Ok(viewer)
            }
            Ok(None) => Err(WebError::SignIn {
                next: parts
                    .uri
                    .path_and_query()
                    .map_or_else(|| parts.uri.path().to_owned(), |pq| pq.as_str().to_owned()),
            }),
            Err(e) => Err(WebError::internal(e)),
        }
    }
}

/// A new session's cookie secret and the session to store, started at `now` by `method`.
pub fn new_session(now: DateTime<Utc>, method: SignInMethod) -> (String, NewSession) {
    let (secret, token_hash) = new_secret();
    let (csrf, _) = new_secret();
    let session = NewSession {
        token_hash,
        csrf,
        created_at: now,
        expires_at: now + IDLE_LIFETIME,
        method,
    };
    (secret, session)
}

/// The cookie that carries session `secret`: `HttpOnly` (no script reads it), `SameSite=Lax`
/// (sent on top-level navigations from other sites, so a sign-in link opened from a terminal or
/// an email works, but not on their forms or subrequests), `Path=/`, `Secure`, and kept by the
/// browser for [`MAX_LIFETIME`] (the server ends it earlier when idle).
///
/// `Secure` is always set. Browsers (Chromium, Firefox) and reqwest's cookie store treat
/// `http://127.0.0.1` and `http://localhost` as secure, so `baton demo` and the tests work over
/// plain HTTP on loopback; anywhere else baton belongs behind HTTPS.
pub fn session_cookie(secret: String) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, secret))
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/")
        .secure(true)
        .max_age(cookie_duration(MAX_LIFETIME))
        .build()
}

/// The cookie that makes the browser forget the session cookie.
pub fn removal_cookie() -> Cookie<'static> {
    let mut cookie = session_cookie(String::new());
    cookie.make_removal();
    cookie
}

/// `d` as the cookie crate's duration.
pub(crate) fn cookie_duration(d: Duration) -> cookie::time::Duration {
    cookie::time::Duration::seconds(d.num_seconds())
}

/// Whether two secrets are equal, compared in constant time.
pub fn secrets_match(given: &str, expected: &str) -> bool {
    !expected.is_empty() && bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
}

/// Refuses a request whose `Origin` header is present and names another site than the one it
/// was sent to (`Host`, or `X-Forwarded-Host` from a proxy; a cross-site form can set neither).
pub fn check_origin(headers: &HeaderMap) -> Result<(), WebError> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let refuse = || {
        WebError::Forbidden(format!(
            "this form was sent from another site ({}); open baton's own page and send it from there",
            origin.to_str().unwrap_or("an unreadable Origin")
        ))
    };
    let origin_host = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, authority)| authority.trim_end_matches('/'))
        .ok_or_else(refuse)?;
    let ours = [header::HOST.as_str(), "x-forwarded-host"]
        .into_iter()
        .filter_map(|name| headers.get(name)?.to_str().ok())
        .any(|host| host.trim().eq_ignore_ascii_case(origin_host));
    if ours {
        Ok(())
    } else {
        Err(refuse())
    }
}

/// A urlencoded form whose `csrf` field matched the session's token, deserialized as `T` (the
/// `csrf` field itself is removed first, so `T` need not name it). Comes with the [`Viewer`].
/// A missing or wrong token is [`WebError::Forbidden`]; an unreadable form is
/// [`WebError::BadRequest`] naming the field.
pub struct CsrfForm<T> {
    /// Who sent the form.
    pub viewer: Viewer,
    /// The form's fields.
    pub form: T,
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, WebError> {
        let (mut parts, body) = req.into_parts();
        check_origin(&parts.headers)?;
        let viewer = Viewer::from_request_parts(&mut parts, state).await?;
        let urlencoded = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !urlencoded {
            return Err(WebError::BadRequest(
                "expected a form (Content-Type: application/x-www-form-urlencoded)".into(),
            ));
        }
        let bytes = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|e| WebError::BadRequest(format!("the form cannot be read: {e}")))?;
        let form = read_form(&bytes, &viewer.csrf)?;
        Ok(CsrfForm { viewer, form })
    }
}

/// The fields of a urlencoded `body` as `T`, once its [`CSRF_FIELD`] matched `csrf`.
pub(crate) fn read_form<T: DeserializeOwned>(body: &[u8], csrf: &str) -> Result<T, WebError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
        .map_err(|e| WebError::BadRequest(format!("the form cannot be read: {e}")))?;
    let (tokens, fields): (Vec<_>, Vec<_>) =
        pairs.into_iter().partition(|(name, _)| name == CSRF_FIELD);
    let valid = matches!(tokens.as_slice(), [(_, token)] if secrets_match(token, csrf));
    if !valid {
        return Err(WebError::Forbidden(
            "the form's security token is missing or out of date; reload the page and send the \
             form again"
                .into(),
        ));
    }
    let rest = serde_urlencoded::to_string(&fields).map_err(WebError::internal)?;
    serde_urlencoded::from_str(&rest)
        .map_err(|e| WebError::BadRequest(format!("the form cannot be read: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Note {
        text: String,
    }

    #[test]
    fn forms_need_their_token() {
        let form: Note = read_form(b"csrf=abc&text=hi+there", "abc").expect("accepted");
        assert_eq!(form.text, "hi there");
        for body in [
            &b"text=hi"[..],
            b"csrf=abd&text=hi",
            b"csrf=&text=hi",
            b"csrf=abc&csrf=abc&text=hi",
        ] {
            assert!(matches!(
                read_form::<Note>(body, "abc"),
                Err(WebError::Forbidden(_))
            ));
        }
        let missing = read_form::<Note>(b"csrf=abc", "abc");
        assert!(matches!(missing, Err(WebError::BadRequest(m)) if m.contains("text")));
        assert!(!secrets_match("", ""));
    }

    #[test]
    fn origins_must_be_our_own() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
        assert!(check_origin(&headers).is_ok());
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://127.0.0.1:8080"),
        );
        assert!(check_origin(&headers).is_ok());
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        assert!(check_origin(&headers).is_err());
        headers.insert(header::ORIGIN, HeaderValue::from_static("null"));
        assert!(check_origin(&headers).is_err());
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://127.0.0.1:8081"),
        );
        assert!(check_origin(&headers).is_err());
    }

    #[test]
    fn session_cookies_are_locked_down() {
        let cookie = session_cookie("s3cret".into()).to_string();
        for part in [
            "baton_session=s3cret",
            "HttpOnly",
            "SameSite=Lax",
            "Path=/",
            "Secure",
        ] {
            assert!(cookie.contains(part), "{cookie} lacks {part}");
        }
    }
}
