//! What every Colibri component shares: the `colibri:platform` bindings, request parameters,
//! and the one mapping from platform errors to HTTP statuses and Tinybird's error body. It
//! holds no route logic.

use spin_sdk::http::{OutgoingResponse, Request, Response, ResponseOutparam};

#[allow(missing_docs, clippy::all)]
pub mod bindings {
    spin_sdk::wit_bindgen::generate!({
        world: "guest",
        path: "../../wit",
        runtime_path: "::spin_sdk::wit_bindgen::rt",
        generate_all,
    });

    /// The bindings macro does not tell cargo it read the WIT file; including it does, so a
    /// change to the platform interface rebuilds the bindings.
    const _PLATFORM_WIT: &str = include_str!("../../../wit/platform.wit");
}

pub use bindings::colibri::platform::{
    auth, catalog, jobs, limits, query, remote, storage, tokens, types,
};

/// Sends a response from a handler that took the raw request (to stream its body).
pub async fn send(mut response: Response, response_out: ResponseOutparam) {
    let body = std::mem::take(response.body_mut());
    match OutgoingResponse::try_from(response) {
        Ok(outgoing) => {
            if let Err(error) = response_out.set_with_body(outgoing, body).await {
                eprintln!("sending the response failed: {error}");
            }
        }
        Err(error) => eprintln!("building the response failed: {error}"),
    }
}

/// A job object (JOB-6) from the host's JSON text, with its `job_url` on the host the client
/// called (JOB-2) and, for an import, its `import_id`.
pub fn job_json(text: &str, authority: &str) -> Result<serde_json::Value, ApiError> {
    let mut job: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| ApiError::new(500, format!("The job is not JSON: {e}")))?;
    let id = job["id"].as_str().unwrap_or_default().to_string();
    job["job_url"] = serde_json::json!(format!("http://{authority}/v0/jobs/{id}"));
    if job["kind"] == "import" {
        // An import job's id is its import's (JOB-7).
        job["import_id"] = serde_json::json!(id);
    }
    Ok(job)
}

/// The answer to a request that queued a job (DS-R4, DS-D3): the job, and its id, status and
/// URL at the top level, with `id_names` (`import_id`, `delete_id`) equal to the id.
pub fn job_envelope(job: serde_json::Value, id_names: &[&str]) -> Response {
    let mut envelope = serde_json::json!({
        "id": job["id"],
        "job_id": job["id"],
        "job_url": job["job_url"],
        "status": job["status"],
        "datasource": job["datasource"],
    });
    for name in id_names {
        envelope[*name] = job["id"].clone();
    }
    envelope["job"] = job;
    json(200, &envelope)
}

/// An error on its way to the client: an HTTP status, a message, and for query errors the
/// ClickHouse error code (sent as `X-DB-Exception-Code`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub message: String,
    pub code: Option<u32>,
    /// The whole JSON body, when it is more than `{"error": message}` (a template's
    /// `custom_error`).
    pub body: Option<serde_json::Value>,
}

impl ApiError {
    pub fn new(status: u16, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            code: None,
            body: None,
        }
    }

    /// An error answered with `body` as it is.
    pub fn with_body(status: u16, body: serde_json::Value) -> ApiError {
        let message = body["error"].as_str().unwrap_or_default().to_string();
        ApiError {
            status,
            message,
            code: None,
            body: Some(body),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(400, message)
    }

    /// The response carrying this error: JSON `{"error": ...}`.
    pub fn into_response(self) -> Response {
        let mut builder = Response::builder();
        builder
            .status(self.status)
            .header("content-type", "application/json");
        if let Some(code) = self.code {
            builder.header("x-db-exception-code", code.to_string());
        }
        let body = self
            .body
            .unwrap_or_else(|| serde_json::json!({ "error": self.message }));
        builder.body(body.to_string()).build()
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.message)
    }
}

/// So an error can travel through `std::io` (a streaming import's `Write`) and come back.
impl std::error::Error for ApiError {}

impl ApiError {
    /// The `ApiError` an I/O error carries, or a 400 naming the I/O error.
    pub fn from_io(error: std::io::Error) -> ApiError {
        match error.downcast::<ApiError>() {
            Ok(api_error) => api_error,
            Err(other) => ApiError::bad_request(format!("Reading the request failed: {other}")),
        }
    }
}

impl From<types::Error> for ApiError {
    fn from(error: types::Error) -> ApiError {
        use types::ErrorKind;
        let status = match error.kind {
            ErrorKind::BadRequest => 400,
            ErrorKind::Forbidden => 403,
            ErrorKind::NotFound => 404,
            ErrorKind::Conflict => 409,
            ErrorKind::PayloadTooLarge => 413,
            ErrorKind::Timeout => 408,
            ErrorKind::Internal => 500,
        };
        ApiError {
            status,
            message: error.message,
            code: error.code,
            body: None,
        }
    }
}

/// A JSON response.
pub fn json(status: u16, value: &serde_json::Value) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(value.to_string())
        .build()
}

/// Turns a handler's result into the response.
pub fn respond(result: Result<Response, ApiError>) -> Response {
    result.unwrap_or_else(ApiError::into_response)
}

/// Request parameters: the query string, merged with a form body when there is one (the
/// body wins, GEN-20).
#[derive(Debug, Default, Clone)]
pub struct Params(Vec<(String, String)>);

impl Params {
    pub fn from_query(query: &str) -> Params {
        Params(
            form_urlencoded::parse(query.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    pub fn of(request: &Request) -> Params {
        Params::from_query(request.query())
    }

    /// The query string's parameters, with those of a form body when the request has one.
    pub fn with_form(request: &Request) -> Params {
        let mut params = Params::of(request);
        if header(request, "content-type")
            .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"))
        {
            params.merge_form(request.body());
        }
        params
    }

    /// The output settings among the parameters (`output_format_*`), for the query capability.
    pub fn output_settings(&self) -> Vec<(String, String)> {
        self.pairs()
            .filter(|(k, _)| k.starts_with("output_format_"))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// Adds form-encoded pairs that take precedence over those already present.
    pub fn merge_form(&mut self, body: &[u8]) {
        let form: Vec<(String, String)> = form_urlencoded::parse(body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        self.0.retain(|(k, _)| !form.iter().any(|(f, _)| f == k));
        self.0.extend(form);
    }

    /// The parameters as a query string, leaving out `without` (a job replays its request
    /// with this).
    pub fn query_string(&self, without: &[&str]) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (key, value) in self
            .0
            .iter()
            .filter(|(k, _)| !without.contains(&k.as_str()))
        {
            query.append_pair(key, value);
        }
        query.finish()
    }

    /// Sets a parameter, replacing earlier values.
    pub fn insert(&mut self, name: &str, value: String) {
        self.0.retain(|(k, _)| k != name);
        self.0.push((name.to_string(), value));
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// A boolean parameter (GEN-21): true/false in any case, or 1/0.
    pub fn flag(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) if v.eq_ignore_ascii_case("true") || v == "1" => Ok(Some(true)),
            Some(v) if v.eq_ignore_ascii_case("false") || v == "0" => Ok(Some(false)),
            Some(v) => Err(ApiError::bad_request(format!(
                "Invalid value '{v}' for parameter '{name}': use true or false"
            ))),
        }
    }
}

/// The value of a request header, as text.
pub fn header<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request.header(name).and_then(|v| v.as_str())
}

/// The host the client called (`host:port`), for URLs in answers (`job_url`, a pipe's `url`):
/// the authority of the request's URI, which the host fills from the `Host` header.
pub fn authority(request: &Request) -> &str {
    let uri = request.uri();
    let after_scheme = uri.split_once("://").map_or(uri, |(_, rest)| rest);
    match after_scheme.split(['/', '?']).next() {
        Some(authority) if !authority.is_empty() => authority,
        _ => "localhost",
    }
}
