//! `/v0/sql`: the Query API. Reads the SQL from `?q=` (GET), or from a POST body — JSON
//! `{"q": ...}`, a form with `q`, or the raw SQL — renders it when it is a template
//! (a leading `%`, with the other parameters as variables, PIPE-QAPI-03), and hands it to
//! the host's query capability, which runs it as the caller and encodes the result in the
//! requested format. With `pipeline`, the SQL reads that pipe's result as `_`
//! (PIPE-QAPI-01), through the pipe's own access to its data sources.

use colibri_guest::{ApiError, Params, header, query, respond};
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;

#[http_component]
fn handle(request: Request) -> Response {
    respond(run(&request))
}

/// The SQL and the parameters of a request.
fn read_request(request: &Request) -> Result<(String, Params), ApiError> {
    let mut params = Params::of(request);
    match request.method() {
        Method::Get => {}
        Method::Post => {
            let body = request.body();
            let content_type = header(request, "content-type").unwrap_or("");
            if content_type.starts_with("application/json") {
                let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
                    ApiError::bad_request(format!("The body is not valid JSON: {e}"))
                })?;
                let object = value.as_object().ok_or_else(|| {
                    ApiError::bad_request("The JSON body must be an object with a `q` key")
                })?;
                for (key, value) in object {
                    let text = value
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| value.to_string());
                    params.insert(key, text);
                }
            } else if body.starts_with(b"q=")
                || content_type.starts_with("application/x-www-form-urlencoded") && form_has_q(body)
            {
                params.merge_form(body);
            } else if !body.is_empty() {
                let sql = String::from_utf8(body.to_vec())
                    .map_err(|_| ApiError::bad_request("The SQL in the body is not UTF-8"))?;
                return Ok((sql, params));
            }
        }
        other => {
            return Err(ApiError::new(
                405,
                format!("{other} is not allowed on /v0/sql: use GET or POST"),
            ));
        }
    }
    let sql = params
        .get("q")
        .filter(|q| !q.trim().is_empty())
        .ok_or_else(|| ApiError::bad_request("Missing the `q` parameter with the SQL query"))?
        .to_string();
    Ok((sql, params))
}

fn form_has_q(body: &[u8]) -> bool {
    Params::from_query(std::str::from_utf8(body).unwrap_or(""))
        .get("q")
        .is_some()
}

fn run(request: &Request) -> Result<Response, ApiError> {
    let (sql, params) = read_request(request)?;
    let settings = params.output_settings();
    let variables = colibri_pipeline::variables(&params);
    let output = match params.get("pipeline").filter(|p| !p.is_empty()) {
        Some(pipeline) => {
            let (pipe, definition) = colibri_pipeline::existing(pipeline)?;
            let nodes = colibri_pipeline::rendered_nodes(
                &definition,
                definition.result_index(),
                variables,
            )?;
            query::execute_for_pipe(&pipe.id, &nodes, Some(&sql), &settings)?
        }
        None => {
            let context = colibri_templates::Context {
                variables,
                ..Default::default()
            };
            let sql = colibri_pipeline::render(&sql, &context)?.sql;
            query::execute(&sql, &settings)?
        }
    };
    Ok(Response::builder()
        .status(200)
        .header("content-type", output.content_type)
        .body(output.body)
        .build())
}
