//! `/v0/pipes`: the Pipes API. Pipes cannot be created yet (issue 5), so the list is empty
//! and every pipe is unknown; the calls that would create or change one answer 501. The tb
//! CLI lists pipes before it pushes a data source, which this is enough for.

use colibri_guest::{ApiError, json, respond};
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;

#[http_component]
fn handle(request: Request) -> Response {
    respond(route(&request))
}

fn route(request: &Request) -> Result<Response, ApiError> {
    let rest = request
        .path()
        .trim_end_matches('/')
        .strip_prefix("/v0/pipes")
        .unwrap_or("")
        .trim_start_matches('/');
    match (request.method(), rest) {
        (Method::Get, "") => Ok(json(200, &serde_json::json!({ "pipes": [] }))),
        (Method::Get | Method::Delete, name) => {
            let name = name.split(['/', '.']).next().unwrap_or(name);
            Err(ApiError::new(404, format!("Pipe '{name}' does not exist")))
        }
        (method, _) => Err(ApiError::new(
            501,
            format!(
                "{method} {} is not built yet: Colibri has no pipes so far",
                request.path()
            ),
        )),
    }
}
