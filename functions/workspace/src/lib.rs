//! `GET /v0/workspace`: the workspace of the caller's token, with the fields the tb CLI reads
//! (`id`, `name`, `user_email`, `user_id`, `scope`, `is_branch`, `main`).

use colibri_guest::{ApiError, auth, catalog, json, respond};
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;

#[http_component]
fn handle(request: Request) -> Response {
    respond(workspace(&request))
}

fn workspace(request: &Request) -> Result<Response, ApiError> {
    if *request.method() != Method::Get {
        return Err(ApiError::new(405, "Only GET is allowed on /v0/workspace"));
    }
    let workspace = catalog::current_workspace();
    let principal = auth::current_principal();
    let scope = if principal.scopes.iter().any(|s| s == "ADMIN") {
        "admin"
    } else {
        "token"
    };
    Ok(json(
        200,
        &serde_json::json!({
            "id": workspace.id,
            "name": workspace.name,
            "user_id": workspace.id,
            "user_email": "colibri@localhost",
            "scope": scope,
            "role": scope,
            "is_branch": false,
            "main": null,
            "token_name": principal.token_name,
        }),
    ))
}
