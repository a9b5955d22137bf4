//! The HTTP server: hyper on a loopback or public address, the route table from the
//! manifest, token resolution before any guest runs, rate limits, and one fresh component
//! instance per request. Guest failures become JSON errors for that request only. Every
//! response carries CORS headers and an `x-request-id`, and is gzip-compressed when the client
//! accepts it (GEN-10, GEN-17).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;
use wasmtime::Trap;
use wasmtime_wasi_http::WasiHttpView;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;

use crate::auth::Principal;
use crate::capabilities::{Capabilities, QueryTally, Services};
use crate::engine::WasmRuntime;
use crate::jobs::{Replay, Status};
use crate::limits::RateLimiter;
use crate::manifest::App;
use crate::stats::Recording;

/// The route whose requests are limited per data source (EV-13).
const EVENTS_ROUTE: &str = "/v0/events";

/// Longest a job's run may take.
const JOB_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3600);

/// Largest form body read by the host to find a `token` field (GEN-3).
const MAX_FORM_BYTES: usize = 16 * 1024 * 1024;

pub struct Server {
    pub app: App,
    pub runtime: Arc<WasmRuntime>,
    pub services: Arc<Services>,
    /// Events API requests per second and data source.
    pub events_limiter: RateLimiter,
}

type HttpResponse = Response<HyperOutgoingBody>;

/// A request body as the guest receives it: streamed from the client, or already read by the
/// host (a form whose `token` field it needed).
type RequestBody = UnsyncBoxBody<Bytes, wasmtime_wasi_http::Error>;

/// A body of bytes already in hand, for answers (`HyperOutgoingBody`) and for requests the
/// host read before the guest (`RequestBody`).
fn body<E>(bytes: impl Into<Bytes>) -> UnsyncBoxBody<Bytes, E> {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// The one place errors the host produces take Tinybird's shape: `{"error": ...}`.
pub fn json_error(status: StatusCode, message: &str) -> HttpResponse {
    json_response(status, &serde_json::json!({ "error": message }))
}

fn json_response(status: StatusCode, value: &serde_json::Value) -> HttpResponse {
    let mut response = Response::new(body(value.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// Browsers may call every route (events from a web page, queries from a dashboard).
fn add_cors(response: &mut HttpResponse) {
    let headers = response.headers_mut();
    headers.insert("access-control-allow-origin", HeaderValue::from_static("*"));
    headers.insert(
        "access-control-expose-headers",
        HeaderValue::from_static("*"),
    );
}

fn preflight() -> HttpResponse {
    let mut response = Response::new(body(Bytes::new()));
    *response.status_mut() = StatusCode::NO_CONTENT;
    let headers = response.headers_mut();
    headers.insert(
        "access-control-allow-methods",
        HeaderValue::from_static("GET, POST, PUT, DELETE, OPTIONS"),
    );
    headers.insert(
        "access-control-allow-headers",
        HeaderValue::from_static("Authorization, Content-Type, Content-Encoding"),
    );
    headers.insert("access-control-max-age", HeaderValue::from_static("86400"));
    response
}

/// The token of a request: the Bearer header wins over the `token` query parameter (GEN-3).
fn request_token<B>(request: &Request<B>) -> Option<String> {
    if let Some(bearer) = request
        .headers()
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
    {
        return Some(bearer.trim().to_string());
    }
    query_parameter(request, "token")
}

fn query_parameter<B>(request: &Request<B>, name: &str) -> Option<String> {
    form_field(request.uri().query()?.as_bytes(), name)
}

/// A field of `application/x-www-form-urlencoded` text (a query string or a form body).
fn form_field(form: &[u8], name: &str) -> Option<String> {
    url::form_urlencoded::parse(form)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn is_form(request: &Request<Incoming>) -> bool {
    request
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}

/// The token of a request and the request to hand on. A POST/PUT form may carry the token as
/// a field (GEN-3); then the host reads the body and hands the guest the bytes it read.
async fn token_and_body(
    request: Request<Incoming>,
) -> Result<(Option<String>, Request<RequestBody>), HttpResponse> {
    let token = request_token(&request);
    if token.is_some() || !is_form(&request) {
        let request =
            request.map(|body| body.map_err(wasmtime_wasi_http::Error::from).boxed_unsync());
        return Ok((token, request));
    }
    let (parts, incoming) = request.into_parts();
    let bytes = match Limited::new(incoming, MAX_FORM_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return Err(json_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("The form body is larger than {MAX_FORM_BYTES} bytes or was cut short"),
            ));
        }
    };
    let token = form_field(&bytes, "token");
    Ok((token, Request::from_parts(parts, body(bytes))))
}

impl Server {
    pub async fn serve(self: Arc<Self>, listener: TcpListener) -> anyhow::Result<()> {
        loop {
            let (stream, _) = listener.accept().await?;
            let _ = stream.set_nodelay(true);
            let server = self.clone();
            tokio::spawn(async move {
                let service =
                    tower::ServiceBuilder::new()
                        .layer(CompressionLayer::new().compress_when(
                            // Every body the client accepts gzip for, small ones included (GEN-10).
                            |status: StatusCode,
                             _: http::Version,
                             _: &http::HeaderMap,
                             _: &http::Extensions| {
                                status != StatusCode::NO_CONTENT
                                    && status != StatusCode::NOT_MODIFIED
                            },
                        ))
                        .service_fn(move |request| {
                            let server = server.clone();
                            async move {
                                Ok::<_, std::convert::Infallible>(server.handle(request).await)
                            }
                        });
                let _ = hyper::server::conn::http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
                    .await;
            });
        }
    }

    async fn handle(&self, request: Request<Incoming>) -> HttpResponse {
        let request_id = ulid::Ulid::new().to_string();
        let mut response = self.route(request, &request_id).await;
        add_cors(&mut response);
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            response.headers_mut().insert("x-request-id", value);
        }
        response
    }

    async fn route(&self, request: Request<Incoming>, request_id: &str) -> HttpResponse {
        let path = request.uri().path().to_string();
        if request.method() == Method::OPTIONS {
            return preflight();
        }
        // A native route, kept as the baseline the WebAssembly hop is measured against.
        if path == "/health" {
            return json_response(StatusCode::OK, &serde_json::json!({ "status": "ok" }));
        }
        let Some(component) = self.app.route(&path) else {
            return json_error(StatusCode::NOT_FOUND, &format!("Not found: {path}"));
        };
        let events = path == EVENTS_ROUTE;
        let limited = events.then(|| query_parameter(&request, "name")).flatten();
        let (token, request) = match token_and_body(request).await {
            Ok(found) => found,
            Err(response) => return response,
        };
        let catalog = self.services.storage.catalog();
        let Some(principal) = token.and_then(|t| Principal::from_token(catalog, &t)) else {
            return json_error(
                StatusCode::FORBIDDEN,
                "Invalid token: pass a valid token as `Authorization: Bearer <token>`, `?token=<token>` or a `token` form field",
            );
        };
        // The rate-limited data source: its name, the limiter's decision, and the body bytes
        // the guest reads (charged to the window afterwards).
        let limit = limited.map(|name| {
            let decision = self.events_limiter.check(&name);
            (name, decision, Arc::new(AtomicU64::new(0)))
        });
        let request = match &limit {
            Some((_, _, counter)) => counting_body(request, counter.clone()),
            None => request,
        };
        let recording = Recording::start(&request, catalog, &principal, request_id);
        let tally = recording
            .as_ref()
            .map_or_else(Default::default, |r| r.tally.clone());
        let mut response = match &limit {
            Some((_, decision, _)) if !decision.allowed => json_error(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many requests or bytes per second to this Data Source: retry after the time \
                 in `Retry-After`",
            ),
            _ => match self
                .run_component(
                    component,
                    principal,
                    request,
                    request_id,
                    if events { "append-hfi" } else { "append" },
                    tally,
                )
                .await
            {
                Ok(response) => response,
                Err((status, message)) => json_error(status, &message),
            },
        };
        if let Some((name, decision, counter)) = &limit {
            self.events_limiter
                .charge_bytes(name, counter.load(Ordering::Relaxed));
            decision.add_headers(response.headers_mut());
        }
        if let Some(recording) = recording {
            recording.finish(response.status(), &self.services.storage);
        }
        response
    }

    async fn run_component(
        &self,
        component: &str,
        principal: Principal,
        request: Request<RequestBody>,
        request_id: &str,
        append_event: &'static str,
        tally: Arc<QueryTally>,
    ) -> Result<HttpResponse, (StatusCode, String)> {
        let pre = self
            .runtime
            .component(component)
            .ok_or_else(|| {
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("component {component} is not loaded"),
                )
            })?
            .clone();
        let capabilities = Capabilities {
            services: self.services.clone(),
            principal: Arc::new(principal),
            component: component.to_string(),
            request_id: request_id.to_string(),
            append_event,
            staged: Vec::new(),
            created: Vec::new(),
            tally,
        };
        // A job's run may take as long as a job may.
        let timeout = capabilities.principal.job.is_some().then_some(JOB_TIMEOUT);
        let mut store = self.runtime.new_store(capabilities, timeout);
        let request = with_absolute_uri(request);
        let internal = |e: wasmtime::Error| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string());
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let incoming = store
            .data_mut()
            .http()
            .new_incoming_request(Scheme::Http, request)
            .map_err(internal)?;
        let outparam = store
            .data_mut()
            .http()
            .new_response_outparam(sender)
            .map_err(internal)?;
        let task = tokio::spawn(async move {
            let proxy = pre.instantiate_async(&mut store).await?;
            proxy
                .wasi_http_incoming_handler()
                .call_handle(&mut store, incoming, outparam)
                .await
        });
        match receiver.await {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(code)) => Err((
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("component {component} failed: {code:?}"),
            )),
            Err(_) => {
                let error = match task.await {
                    Ok(Ok(())) => {
                        return Err((
                            StatusCode::INTERNAL_SERVER_ERROR,
                            format!("component {component} sent no response"),
                        ));
                    }
                    Ok(Err(error)) => error,
                    Err(join) => return Err((StatusCode::INTERNAL_SERVER_ERROR, join.to_string())),
                };
                Err(guest_failure(component, &error))
            }
        }
    }

    /// Runs queued jobs as they come (`jobs`), each when no other job of its data source runs.
    pub async fn run_jobs(
        self: Arc<Self>,
        mut queue: tokio::sync::mpsc::UnboundedReceiver<String>,
    ) {
        while let Some(id) = queue.recv().await {
            let server = self.clone();
            tokio::spawn(async move { server.run_job(&id).await });
        }
    }

    async fn run_job(&self, id: &str) {
        let jobs = &self.services.jobs;
        let Some(job) = jobs.get(id) else { return };
        let lock = jobs.lock_for(&job.datasource);
        let _one_job_per_datasource = lock.lock().await;
        let mut started = false;
        jobs.update(id, |job| {
            if job.status == Status::Waiting {
                job.status = Status::Working;
                job.started_at = Some(chrono::Utc::now());
                started = true;
            }
        });
        if !started {
            return;
        }
        let outcome = self.replay(&job.replay, id).await;
        jobs.update(id, |job| match outcome {
            Ok(fields) => {
                job.status = Status::Done;
                job.fields.extend(fields);
            }
            Err(message) => {
                job.status = Status::Error;
                job.error = Some(message);
            }
        });
    }

    /// Replays a job's request to its component; the answer's fields, or the error.
    async fn replay(
        &self,
        replay: &Replay,
        id: &str,
    ) -> Result<serde_json::Map<String, serde_json::Value>, String> {
        let mut builder = Request::builder()
            .method(Method::POST)
            .uri(&replay.path_and_query)
            .header(http::header::HOST, "localhost");
        let body: RequestBody = match &replay.url {
            Some(url) => {
                let (name, download) = download(url).await?;
                builder = builder.header(
                    http::header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}\""),
                );
                download
            }
            None => body(Bytes::new()),
        };
        let request = builder.body(body).map_err(|e| e.to_string())?;
        let token = self
            .services
            .storage
            .catalog()
            .token_by_name(&replay.token_name)
            .ok_or_else(|| {
                format!(
                    "the token '{}' that queued this job is gone",
                    replay.token_name
                )
            })?;
        let principal = Principal::new(token.name, token.scopes).running(Some(id.to_string()));
        let response = self
            .run_component(
                &replay.component,
                principal,
                request,
                id,
                "append",
                Default::default(),
            )
            .await
            .map_err(|(_, message)| message)?;
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("reading the job's answer failed: {e}"))?
            .to_bytes();
        let answer: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| format!("the job's answer is not JSON: {e}"))?;
        match answer {
            serde_json::Value::Object(mut fields) if status.is_success() => {
                fields.remove("error");
                Ok(fields)
            }
            answer => Err(answer["error"].as_str().map_or_else(
                || format!("the job failed with status {status}"),
                str::to_string,
            )),
        }
    }
}

/// Starts downloading a URL import: the file's name and its body, streamed.
async fn download(url: &str) -> Result<(String, RequestBody), String> {
    let (name, response) = crate::remote::open(url).await?;
    let chunks = futures::stream::unfold(Some(response), |response| async move {
        let mut response = response?;
        match response.chunk().await {
            Ok(Some(chunk)) => Some((Ok(hyper::body::Frame::data(chunk)), Some(response))),
            Ok(None) => None,
            Err(e) => Some((
                Err(
                    wasmtime_wasi_http::p2::bindings::http::types::ErrorCode::InternalError(Some(
                        format!("downloading the file failed: {e}"),
                    ))
                    .into(),
                ),
                None,
            )),
        }
    });
    Ok((name, http_body_util::StreamBody::new(chunks).boxed_unsync()))
}

/// Classifies a guest that died: out of time → 408, anything else → 500.
fn guest_failure(component: &str, error: &wasmtime::Error) -> (StatusCode, String) {
    match error.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => (
            StatusCode::REQUEST_TIMEOUT,
            format!("component {component} ran out of time"),
        ),
        Some(trap) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("component {component} failed: {trap}"),
        ),
        None => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("component {component} failed: {error:#}"),
        ),
    }
}

/// The request, with the bytes of its body added to `counter` as the guest reads them.
fn counting_body(request: Request<RequestBody>, counter: Arc<AtomicU64>) -> Request<RequestBody> {
    request.map(|body| {
        body.map_frame(move |frame| {
            if let Some(data) = frame.data_ref() {
                counter.fetch_add(data.len() as u64, Ordering::Relaxed);
            }
            frame
        })
        .boxed_unsync()
    })
}

/// hyper hands over an origin-form URI; wasi:http wants scheme and authority.
fn with_absolute_uri<B>(request: Request<B>) -> Request<B> {
    let (mut parts, body) = request.into_parts();
    let authority = parts
        .headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost")
        .to_string();
    let path_and_query = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/")
        .to_string();
    if let Ok(uri) = http::Uri::builder()
        .scheme("http")
        .authority(authority)
        .path_and_query(path_and_query)
        .build()
    {
        parts.uri = uri;
    }
    Request::from_parts(parts, body)
}

pub async fn bind(address: SocketAddr) -> anyhow::Result<TcpListener> {
    Ok(TcpListener::bind(address).await?)
}
