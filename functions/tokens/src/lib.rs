//! `/v0/tokens`: the Tokens API for static tokens (TOK-10..17): list, create with scopes,
//! read, change, refresh and delete. The host checks the caller (ADMIN or TOKENS), the
//! scopes, and keeps the tokens; this component reads the requests and writes the answers,
//! each scope as `{"type", "resource", "filter"}` (TOK-3).

use colibri_guest::{ApiError, Params, json, respond, tokens};
use serde_json::{Value, json};
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;

#[http_component]
fn handle(request: Request) -> Response {
    respond(route(&request))
}

fn route(request: &Request) -> Result<Response, ApiError> {
    let path = request.path().trim_end_matches('/');
    let rest = path
        .strip_prefix("/v0/tokens")
        .unwrap_or("")
        .trim_start_matches('/');
    let params = Params::with_form(request);
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    match (request.method(), segments.as_slice()) {
        (Method::Get, []) => {
            let all: Vec<Value> = tokens::list_tokens()?.iter().map(token_json).collect();
            Ok(json(200, &json!({ "tokens": all })))
        }
        (Method::Post, []) => create(&params),
        (Method::Get, [token]) => {
            let found = tokens::get_token(token)?
                .ok_or_else(|| ApiError::new(404, format!("Token '{token}' not found")))?;
            Ok(json(200, &token_json(&found)))
        }
        (Method::Put, [token]) => {
            let scopes = scopes(&params);
            let updated = tokens::update_token(
                token,
                params.get("name").filter(|n| !n.is_empty()),
                params.get("description"),
                (!scopes.is_empty()).then_some(scopes.as_slice()),
            )?;
            Ok(json(200, &token_json(&updated)))
        }
        (Method::Delete, [token]) => {
            tokens::delete_token(token)?;
            Ok(Response::builder().status(204).body(Vec::new()).build())
        }
        (Method::Post, [token, "refresh"]) => {
            Ok(json(200, &token_json(&tokens::refresh_token(token)?)))
        }
        (method, _) => Err(ApiError::new(
            405,
            format!("{method} {path} is not supported"),
        )),
    }
}

/// The `scope` parameters, in order (the parameter repeats).
fn scopes(params: &Params) -> Vec<String> {
    params
        .pairs()
        .filter(|(k, _)| *k == "scope")
        .map(|(_, v)| v.to_string())
        .collect()
}

/// `POST /v0/tokens` (TOK-11).
fn create(params: &Params) -> Result<Response, ApiError> {
    if params.get("expiration_time").is_some() {
        return Err(ApiError::new(
            501,
            "JWTs (expiration_time) are not supported yet: create a static token",
        ));
    }
    let name = params
        .get("name")
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| ApiError::bad_request("Missing the token's `name`"))?;
    let created = tokens::create_token(
        name,
        params.get("description").unwrap_or(""),
        &scopes(params),
    )?;
    Ok(json(200, &token_json(&created)))
}

/// A scope's JSON form (TOK-3): `DATASOURCES:READ:events:x = 1` is
/// `{"type": "DATASOURCES:READ", "resource": "events", "filter": "x = 1"}`.
fn scope_json(scope: &str) -> Value {
    let kind_parts = if scope == "ADMIN" || scope == "TOKENS" {
        1
    } else {
        2
    };
    let parts: Vec<&str> = scope.splitn(kind_parts + 2, ':').collect();
    let mut object = json!({ "type": parts[..kind_parts.min(parts.len())].join(":") });
    if let Some(resource) = parts.get(kind_parts) {
        object["resource"] = json!(resource);
    }
    if let Some(filter) = parts.get(kind_parts + 1) {
        object["filter"] = json!(filter);
    }
    object
}

fn token_json(token: &tokens::Token) -> Value {
    json!({
        "id": token.id,
        "name": token.name,
        "description": token.description,
        "scopes": token.scopes.iter().map(|s| scope_json(s)).collect::<Vec<_>>(),
        "token": token.token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_have_a_type_a_resource_and_a_filter() {
        assert_eq!(scope_json("ADMIN"), json!({"type": "ADMIN"}));
        assert_eq!(scope_json("PIPES:CREATE"), json!({"type": "PIPES:CREATE"}));
        assert_eq!(
            scope_json("DATASOURCES:READ:events:ts > '2024-01-01 00:00:00'"),
            json!({"type": "DATASOURCES:READ", "resource": "events", "filter": "ts > '2024-01-01 00:00:00'"})
        );
    }
}
