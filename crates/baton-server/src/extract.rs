//! axum's extractors with [`ApiError`] as their rejection, so that a malformed body, query or
//! path gets the same JSON error as everything else; plus the small parsers of query values.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

use crate::error::ApiError;

/// A JSON body (`Content-Type: application/json`).
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let Json(value) = Json::<T>::from_request(request, state).await?;
        Ok(Self(value))
    }
}

/// A JSON body that may also be left out: an empty body reads as `{}`.
#[derive(Debug)]
pub struct OptionalJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let headers = request.headers().clone();
        let bytes = Bytes::from_request(request, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            let Json(value) = Json::<T>::from_bytes(b"{}")?;
            return Ok(Self(value));
        }
        if !is_json(&headers) {
            return Err(ApiError::UnsupportedMediaType(
                "send the body as JSON, with `Content-Type: application/json`".into(),
            ));
        }
        let Json(value) = Json::<T>::from_bytes(&bytes)?;
        Ok(Self(value))
    }
}

/// Whether the content type is JSON (`application/json` or `application/…+json`).
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// A query string.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Query(value) = Query::<T>::from_request_parts(parts, state).await?;
        Ok(Self(value))
    }
}

/// Path parameters.
#[derive(Debug)]
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(value) = Path::<T>::from_request_parts(parts, state).await?;
        Ok(Self(value))
    }
}

/// Reads an optional field so that "absent" (`None`) differs from "null" (`Some(None)`); use
/// with `#[serde(default, deserialize_with = "present")]`.
pub fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// The RFC 3339 instant in query parameter `name`, if given.
///
/// A `+` of an offset that the client did not percent-encode arrives as a space; it is read as
/// the `+` it was.
pub fn instant(name: &str, value: Option<&str>) -> Result<Option<DateTime<Utc>>, ApiError> {
    let Some(text) = value.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    DateTime::parse_from_rfc3339(text)
        .or_else(|e| DateTime::parse_from_rfc3339(&text.replace(' ', "+")).map_err(|_| e))
        .map(|t| Some(t.with_timezone(&Utc)))
        .map_err(|e| {
            ApiError::BadRequest(format!(
                "`{name}` must be an RFC 3339 instant such as 2022-10-05T10:00:00+02:00, not \
                 {text:?} ({e})"
            ))
        })
}

/// A page size from query parameter `limit`: `default` when absent, at most `max`.
pub fn limit(value: Option<u32>, default: u32, max: u32) -> Result<u32, ApiError> {
    match value {
        None => Ok(default),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(n) => Err(ApiError::BadRequest(format!(
            "`limit` must be between 1 and {max}, not {n}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_parse_with_or_without_an_encoded_plus() {
        let want = "2022-10-05T08:00:00Z".parse::<DateTime<Utc>>().ok();
        assert_eq!(
            instant("at", Some("2022-10-05T10:00:00+02:00")).unwrap(),
            want
        );
        assert_eq!(
            instant("at", Some("2022-10-05T10:00:00 02:00")).unwrap(),
            want
        );
        assert_eq!(instant("at", Some("")).unwrap(), None);
        assert_eq!(instant("at", None).unwrap(), None);
        let e = instant("at", Some("tomorrow")).unwrap_err();
        assert!(matches!(e, ApiError::BadRequest(m) if m.contains("`at`")));
    }

    #[test]
    fn limits_are_bounded() {
        assert_eq!(limit(None, 50, 100).unwrap(), 50);
        assert_eq!(limit(Some(7), 50, 100).unwrap(), 7);
        assert!(limit(Some(0), 50, 100).is_err());
        assert!(limit(Some(101), 50, 100).is_err());
    }

    #[test]
    fn json_content_types() {
        let with = |v: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(header::CONTENT_TYPE, v.parse().unwrap());
            is_json(&h)
        };
        assert!(with("application/json"));
        assert!(with("Application/JSON; charset=utf-8"));
        assert!(with("application/merge-patch+json"));
        assert!(!with("text/plain"));
        assert!(!is_json(&HeaderMap::new()));
    }

    #[test]
    fn absent_differs_from_null() {
        #[derive(Deserialize)]
        struct Patch {
            #[serde(default, deserialize_with = "present")]
            area: Option<Option<String>>,
        }
        let read = |s: &str| serde_json::from_str::<Patch>(s).unwrap().area;
        assert_eq!(read("{}"), None);
        assert_eq!(read(r#"{"area": null}"#), Some(None));
        assert_eq!(read(r#"{"area": "JB"}"#), Some(Some("JB".into())));
    }
}
