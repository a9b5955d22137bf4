//! `GET /v0/health`: the trivial handler, also the measure of the WebAssembly hop against
//! the host's native `/health` route.

use spin_sdk::http::{Request, Response};
use spin_sdk::http_component;

#[http_component]
fn handle(_request: Request) -> Response {
    colibri_guest::json(200, &serde_json::json!({ "status": "ok" }))
}
