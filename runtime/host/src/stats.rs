//! What the host records of each API Endpoint and Query API request in
//! `tinybird.pipe_stats_rt` (SDS-5, PIPE-CALL-18, Q-16): which pipe (or `query_api`), when,
//! for how long, what its queries read and returned, its URL without the token, its query
//! string parameters, its status, and who called.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use colibri_storage::{Catalog, PipeRequest, Storage};
use http::{Request, StatusCode};

use crate::auth::Principal;
use crate::capabilities::QueryTally;

/// The extensions of an endpoint's formats (PIPE-CALL-01).
const ENDPOINT_FORMATS: &[&str] = &["json", "csv", "ndjson", "parquet", "prometheus"];

/// The pipe (id, name) a request path calls: `query_api` for the Query API, the pipe of
/// `/v0/pipes/{name}.{format}`; none for other routes or unknown pipes.
fn subject(path: &str, catalog: &Catalog) -> Option<(String, String)> {
    if path.trim_end_matches('/') == "/v0/sql" {
        return Some(("query_api".into(), "query_api".into()));
    }
    let file = path.strip_prefix("/v0/pipes/")?;
    let (name, extension) = file.rsplit_once('.')?;
    if file.contains('/') || !ENDPOINT_FORMATS.contains(&extension) {
        return None;
    }
    catalog.pipe(name).map(|pipe| (pipe.id, pipe.name))
}

/// A request being served, to be recorded when it is answered.
pub struct Recording {
    row: PipeRequest,
    started: Instant,
    pub tally: Arc<QueryTally>,
}

impl Recording {
    /// Starts recording `request` when it calls an endpoint or the Query API.
    pub fn start<B>(
        request: &Request<B>,
        catalog: &Catalog,
        principal: &Principal,
        request_id: &str,
    ) -> Option<Recording> {
        let (pipe_id, pipe_name) = subject(request.uri().path(), catalog)?;
        let parameters: BTreeMap<String, String> = request
            .uri()
            .query()
            .map(|query| {
                url::form_urlencoded::parse(query.as_bytes())
                    .filter(|(k, _)| k != "token")
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            })
            .unwrap_or_default();
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(parameters.iter())
            .finish();
        // Tinybird records the path and query, which the CLI's regression checks call again.
        let url = match query.is_empty() {
            true => request.uri().path().to_string(),
            false => format!("{}?{query}", request.uri().path()),
        };
        let header = |name: http::HeaderName| {
            request
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        Some(Recording {
            row: PipeRequest {
                start_datetime: chrono::Utc::now().format("%Y-%m-%d %H:%M:%S").to_string(),
                pipe_id,
                pipe_name,
                duration: 0.0,
                read_bytes: 0,
                read_rows: 0,
                result_rows: 0,
                url: Some(url),
                error: 0,
                request_id: request_id.to_string(),
                token: catalog
                    .token_by_name(&principal.token_name)
                    .map(|t| t.id)
                    .unwrap_or_default(),
                token_name: principal.token_name.clone(),
                status_code: 0,
                method: request.method().to_string(),
                parameters,
                release: String::new(),
                user_agent: header(http::header::USER_AGENT),
                resource_tags: Vec::new(),
                cpu_time: 0.0,
            },
            started: Instant::now(),
            tally: Arc::new(QueryTally::default()),
        })
    }

    /// Records the request, answered with `status`.
    pub fn finish(self, status: StatusCode, storage: &Storage) {
        let duration = self.started.elapsed().as_secs_f32();
        storage.pipe_stats().record(PipeRequest {
            duration,
            cpu_time: duration,
            read_bytes: self.tally.bytes_read.load(Ordering::Relaxed),
            read_rows: self.tally.rows_read.load(Ordering::Relaxed),
            result_rows: self.tally.result_rows.load(Ordering::Relaxed),
            error: u8::from(status.as_u16() >= 400),
            status_code: i32::from(status.as_u16()),
            ..self.row
        });
    }
}
