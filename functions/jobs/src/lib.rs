//! `/v0/jobs` (JOB-*): the jobs the caller may see — listed newest first with the `kind`,
//! `status`, `pipe_id`, `pipe_name`, `created_after` and `created_before` filters, one by id,
//! and cancelled while waiting. The host keeps and runs the jobs; this component shapes them.

use chrono::{DateTime, NaiveDateTime, Utc};
use colibri_guest::{ApiError, Params, job_json, jobs, json, respond};
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;

/// Job statuses a `status` filter may name (JOB-1).
const STATUSES: [&str; 6] = [
    "waiting",
    "working",
    "done",
    "error",
    "cancelling",
    "cancelled",
];

/// Jobs listed at most (JOB-1).
const MAX_LISTED: usize = 100;

#[http_component]
fn handle(request: Request) -> Response {
    respond(route(&request))
}

fn route(request: &Request) -> Result<Response, ApiError> {
    let params = Params::of(request);
    let authority = colibri_guest::authority(request);
    let rest = request
        .path()
        .trim_end_matches('/')
        .strip_prefix("/v0/jobs")
        .unwrap_or("")
        .trim_start_matches('/');
    match (request.method(), rest) {
        (Method::Get, "") => list(&params, authority),
        (Method::Get, id) if !id.contains('/') => {
            let job = jobs::get(id)?
                .ok_or_else(|| ApiError::new(404, format!("Job {id} does not exist")))?;
            Ok(json(200, &job_json(&job, authority)?))
        }
        (Method::Post, path) if path.ends_with("/cancel") => {
            let job = jobs::cancel(path.trim_end_matches("/cancel"))?;
            Ok(json(200, &job_json(&job, authority)?))
        }
        (method, _) => Err(ApiError::new(
            405,
            format!("{method} is not supported on {}", request.path()),
        )),
    }
}

/// `GET /v0/jobs` (JOB-1, JOB-2, JOB-13).
fn list(params: &Params, authority: &str) -> Result<Response, ApiError> {
    if let Some(status) = params.get("status")
        && !STATUSES.contains(&status)
    {
        return Err(ApiError::bad_request(format!(
            "Invalid status '{status}': use one of {}",
            STATUSES.join(", ")
        )));
    }
    let created_after = params.get("created_after").map(instant).transpose()?;
    let created_before = params.get("created_before").map(instant).transpose()?;
    let mut listed = Vec::new();
    for text in jobs::visible()? {
        let job = job_json(&text, authority)?;
        let matches = |name: &str| params.get(name).is_none_or(|wanted| job[name] == wanted);
        let created = job["created_at"].as_str().and_then(|t| instant(t).ok());
        let in_range = created.is_some_and(|at| {
            created_after.is_none_or(|after| at > after)
                && created_before.is_none_or(|before| at < before)
        });
        if ["kind", "status", "pipe_id", "pipe_name"]
            .into_iter()
            .all(matches)
            && in_range
        {
            listed.push(job);
        }
        if listed.len() == MAX_LISTED {
            break;
        }
    }
    Ok(json(200, &serde_json::json!({ "jobs": listed })))
}

/// An ISO 8601 instant (`2023-06-15T18:13:25.855Z`), or a job's `YYYY-MM-DD HH:MM:SS.ffffff`
/// in UTC.
fn instant(text: &str) -> Result<DateTime<Utc>, ApiError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| {
            NaiveDateTime::parse_from_str(text.trim_end_matches('Z'), "%Y-%m-%dT%H:%M:%S%.f")
                .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f"))
                .map(|t| t.and_utc())
        })
        .map_err(|_| {
            ApiError::bad_request(format!(
                "Invalid date '{text}': use ISO 8601, such as 2023-06-15T18:13:25.855Z"
            ))
        })
}
