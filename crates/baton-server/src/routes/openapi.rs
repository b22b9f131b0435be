//! The OpenAPI 3 description of the routes, written by hand in `openapi.json`.

use axum::http::{header, Method};
use axum::response::IntoResponse;

use super::Endpoint;
use crate::auth::Access;

/// The document served at `/api/v1/openapi.json`.
pub(crate) const DOCUMENT: &str = include_str!("openapi.json");

pub(super) fn endpoints() -> Vec<Endpoint> {
    vec![Endpoint::new(
        Method::GET,
        "/api/v1/openapi.json",
        Access::Public,
        document,
    )]
}

async fn document() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], DOCUMENT)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::Value;

    use super::DOCUMENT;
    use crate::auth::Access;
    use crate::routes::table;

    fn document() -> Value {
        serde_json::from_str(DOCUMENT).expect("openapi.json is JSON")
    }

    #[test]
    fn describes_exactly_the_routes_served() {
        let doc = document();
        let mut described = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for method in item.as_object().expect("path item").keys() {
                if method != "parameters" {
                    described.insert((method.to_uppercase(), path.clone()));
                }
            }
        }
        let served: BTreeSet<_> = table()
            .into_iter()
            .map(|(m, p, _)| (m.to_string(), p.to_owned()))
            .collect();
        assert_eq!(described, served);
    }

    #[test]
    fn states_the_role_and_security_of_every_route() {
        let doc = document();
        for (method, path, access) in table() {
            let op = &doc["paths"][path][method.as_str().to_lowercase()];
            let role = access.role().map(|r| r.as_str());
            assert_eq!(
                op["x-baton-role"].as_str(),
                role,
                "x-baton-role of {method} {path}"
            );
            let security = op["security"].as_array();
            match access {
                Access::Public => assert_eq!(security, Some(&vec![]), "{method} {path}"),
                Access::Bearer(_) => assert!(security.is_none(), "{method} {path}"),
                Access::QueryToken(_) => assert_eq!(
                    op["security"][0]["tokenQuery"],
                    serde_json::json!([]),
                    "{method} {path}"
                ),
            }
        }
    }

    #[test]
    fn every_reference_resolves() {
        let doc = document();
        let mut refs = Vec::new();
        collect_refs(&doc, &mut refs);
        assert!(!refs.is_empty());
        for r in refs {
            let pointer = r.trim_start_matches('#');
            assert!(doc.pointer(pointer).is_some(), "dangling $ref {r}");
        }
    }

    fn collect_refs(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    match (k.as_str(), v) {
                        ("$ref", Value::String(r)) => out.push(r.clone()),
                        _ => collect_refs(v, out),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
            _ => {}
        }
    }
}
