//! Starting the real `colibri` binary on a free loopback port and talking HTTP to it.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub const ADMIN_TOKEN: &str = "test-admin-token";

/// A fresh, empty folder for one test, removed when dropped.
pub fn temp_dir(label: &str) -> TempDir {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!(
        "colibri-test-{label}-{}-{}-{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
}

/// A folder of `temp_dir`'s; dereferences to its path.
pub struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for TempDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Compiled components are shared between the servers of a test run.
fn compile_cache() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("colibri-compiled")
}

/// A port no other server of this test process was given: the system may hand a port it
/// just released to the next caller, and two servers of parallel tests on one port would
/// answer each other's requests.
fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}

pub struct Colibri {
    child: Option<Child>,
    pub base: String,
    pub data: PathBuf,
    /// The data folder `start` made for this server, removed after the server stops.
    owned_data: Option<TempDir>,
    extra_args: Vec<String>,
    port: u16,
}

pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    /// Asserts a JSON error body with the JSON content type and returns its message.
    pub fn error_message(&self) -> String {
        assert_eq!(
            self.header("content-type"),
            Some("application/json"),
            "{}",
            self.text()
        );
        self.json()["error"]
            .as_str()
            .expect("an error message")
            .to_string()
    }
}

impl Colibri {
    /// A server on a fresh data folder of its own, removed when the server is dropped.
    pub fn start() -> Colibri {
        Colibri::start_with(&[])
    }

    /// `start` with extra arguments for `colibri serve`.
    pub fn start_with(extra_args: &[&str]) -> Colibri {
        let data = temp_dir("data");
        let mut server = Colibri::start_in(&data, extra_args);
        server.owned_data = Some(data);
        server
    }

    pub fn start_in(data: &Path, extra_args: &[&str]) -> Colibri {
        let mut server = Colibri {
            child: None,
            base: String::new(),
            data: data.to_path_buf(),
            owned_data: None,
            extra_args: extra_args.iter().map(|s| s.to_string()).collect(),
            port: free_port(),
        };
        server.spawn();
        server
    }

    fn spawn(&mut self) {
        let child = Command::new(env!("CARGO_BIN_EXE_colibri"))
            .arg("serve")
            .arg("--listen")
            .arg(format!("127.0.0.1:{}", self.port))
            .arg("--data")
            .arg(&self.data)
            .arg("--compile-cache")
            .arg(compile_cache())
            .args(&self.extra_args)
            .env("COLIBRI_ADMIN_TOKEN", ADMIN_TOKEN)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("colibri starts");
        self.child = Some(child);
        self.base = format!("http://127.0.0.1:{}", self.port);
        let started = Instant::now();
        loop {
            // A server that could not start must not be mistaken for another one answering.
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("colibri exited at start: {status}");
            }
            if let Ok(reply) = self.request("GET", "/health", None, &[], b"")
                && reply.status == 200
            {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "colibri did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Kills the server with SIGKILL: no shutdown code runs.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    /// Starts the server again on the same data and port.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// One HTTP request. `token` is sent as a Bearer header.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Reply, ureq::Error> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let url = format!("{}{}", self.base, path);
        let mut builder = http::Request::builder().method(method).uri(&url);
        if let Some(token) = token {
            builder = builder.header("authorization", format!("Bearer {token}"));
        }
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let mut response = if body.is_empty() && method != "POST" {
            agent.run(builder.body(()).unwrap())?
        } else {
            agent.run(builder.body(body.to_vec()).unwrap())?
        };
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        let body = response.body_mut().read_to_vec()?;
        Ok(Reply {
            status,
            headers,
            body,
        })
    }

    /// GET as the holder of `token`.
    pub fn get_as(&self, path: &str, token: &str) -> Reply {
        self.request("GET", path, Some(token), &[], b"").unwrap()
    }

    /// POST as the holder of `token`.
    pub fn post_as(&self, path: &str, token: &str, body: &[u8]) -> Reply {
        self.request("POST", path, Some(token), &[], body).unwrap()
    }

    /// DELETE as the admin.
    pub fn delete(&self, path: &str) -> Reply {
        self.request("DELETE", path, Some(ADMIN_TOKEN), &[], b"")
            .unwrap()
    }

    /// PUT of `body` as the admin.
    pub fn put(&self, path: &str, body: &[u8]) -> Reply {
        self.request("PUT", path, Some(ADMIN_TOKEN), &[], body)
            .unwrap()
    }

    pub fn get(&self, path: &str) -> Reply {
        self.get_as(path, ADMIN_TOKEN)
    }

    pub fn post(&self, path: &str, body: &[u8]) -> Reply {
        self.post_as(path, ADMIN_TOKEN, body)
    }

    /// POST as the admin with `Content-Type: application/x-www-form-urlencoded`.
    pub fn post_form(&self, path: &str, body: &[u8]) -> Reply {
        let form = [("content-type", "application/x-www-form-urlencoded")];
        self.request("POST", path, Some(ADMIN_TOKEN), &form, body)
            .unwrap()
    }

    /// POST as the admin of a `multipart/form-data` body with one file part, as `curl -F
    /// part=@filename` sends it.
    pub fn post_file(&self, path: &str, part: &str, filename: &str, file: &[u8]) -> Reply {
        let boundary = "------------------------colibri0123456789";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{part}\"; \
             filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(file);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let content_type = format!("multipart/form-data; boundary={boundary}");
        self.request(
            "POST",
            path,
            Some(ADMIN_TOKEN),
            &[("content-type", &content_type)],
            &body,
        )
        .unwrap()
    }

    /// The most memory the server process has held (its peak resident set), in bytes.
    pub fn peak_memory_bytes(&self) -> u64 {
        let pid = self.child.as_ref().expect("the server runs").id();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        let kib: u64 = status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM in /proc/<pid>/status");
        kib * 1024
    }

    /// Runs SQL as the admin and returns the JSON answer.
    pub fn sql(&self, sql: &str) -> serde_json::Value {
        let reply = self.post("/v0/sql", sql.as_bytes());
        assert_eq!(reply.status, 200, "{sql}: {}", reply.text());
        reply.json()
    }

    /// `SELECT count() FROM table` as a number.
    pub fn count(&self, table: &str) -> u64 {
        let answer = self.sql(&format!("SELECT count() AS n FROM {table} FORMAT JSON"));
        answer["data"][0]["n"].as_u64().expect("a count")
    }

    /// Sends NDJSON events and returns the reply.
    pub fn send_events(&self, name: &str, ndjson: &str, wait: bool) -> Reply {
        self.post(
            &format!("/v0/events?name={name}&wait={wait}"),
            ndjson.as_bytes(),
        )
    }
}

impl Drop for Colibri {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Creates a token with `colibri create-token` on a data folder no server is using.
pub fn create_token(data: &Path, name: &str, scopes: &[&str]) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_colibri"));
    command
        .arg("create-token")
        .arg("--data")
        .arg(data)
        .arg("--name")
        .arg(name);
    for scope in scopes {
        command.arg("--scope").arg(scope);
    }
    let output = command.output().expect("colibri create-token runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}

/// The given attributes of each column of a Data Source object, as text.
pub fn column_attributes(datasource: &serde_json::Value, attributes: &[&str]) -> Vec<Vec<String>> {
    datasource["columns"]
        .as_array()
        .expect("a columns list")
        .iter()
        .map(|c| {
            attributes
                .iter()
                .map(|a| c[*a].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .collect()
}

/// Percent-encodes text for a query string or a form body.
pub fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// Gzip-compresses bytes.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// The `bin` folder of a Python virtual environment holding `packages` (pinned `name==version`
/// specs), made once per target directory: tests drive the real clients with it.
pub fn python_tools(packages: &[&str]) -> PathBuf {
    static MAKING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = MAKING.lock().unwrap_or_else(|e| e.into_inner());
    let venv = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("python-clients");
    let bin = venv.join("bin");
    let marker = venv.join(format!(
        "installed-{}",
        packages.join("+").replace(['=', '<', '>'], "_")
    ));
    if marker.exists() {
        return bin;
    }
    let run = |program: &Path, args: &[&str]| {
        let status = Command::new(program)
            .args(args)
            .status()
            .unwrap_or_else(|e| panic!("running {}: {e}", program.display()));
        assert!(status.success(), "{} {args:?} failed", program.display());
    };
    run(
        Path::new("python3"),
        &["-m", "venv", venv.to_str().unwrap()],
    );
    let mut install = vec!["-m", "pip", "install", "--quiet"];
    install.extend(packages);
    run(&bin.join("python"), &install);
    std::fs::write(&marker, b"").unwrap();
    bin
}

/// The Python of the virtual environment holding chDB (ClickHouse in-process), the reference
/// the engines and SQL answers are checked against.
pub fn chdb_python() -> PathBuf {
    python_tools(&["chdb==4.4.0"]).join("python")
}

/// Runs a Python program with chDB (`args`: the script, or `-c` and its text, then its own
/// arguments), gives it `input` as JSON on stdin and reads its stdout as JSON.
pub fn chdb_json<T: serde::de::DeserializeOwned>(
    args: &[&str],
    input: &impl serde::Serialize,
) -> T {
    let mut child = Command::new(chdb_python())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(input).unwrap().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "the chDB program {args:?} failed");
    serde_json::from_slice(&output.stdout).unwrap()
}

/// A tiny HTTP server on a loopback port answering `GET <path>` with the file at that path
/// (404 otherwise), one connection at a time, for as long as the test runs.
pub fn file_server(files: Vec<(&'static str, Vec<u8>)>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request_line = String::new();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
            }
            let path = request_line.split(' ').nth(1).unwrap_or("/");
            let found = files.iter().find(|(p, _)| *p == path);
            let (status, body) = match found {
                Some((_, body)) => ("200 OK", body.clone()),
                None => ("404 Not Found", b"no such file".to_vec()),
            };
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    format!("http://{address}")
}
