//! Jobs over real HTTP (JOB-*): URL imports fetched from an HTTP server the test runs
//! (DS-U*), row deletions (DS-D*), and the Jobs API that reports them.

mod support;

use std::time::{Duration, Instant};

use support::{Colibri, create_token, encode, file_server, gzip, temp_dir};

/// Polls a job until it is done, in error or cancelled; returns it.
fn wait_for_job(server: &Colibri, id: &str) -> serde_json::Value {
    let started = Instant::now();
    loop {
        let reply = server.get(&format!("/v0/jobs/{id}"));
        assert_eq!(reply.status, 200, "{}", reply.text());
        let job = reply.json();
        if ["done", "error", "cancelled"].contains(&job["status"].as_str().unwrap()) {
            return job;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "job {id} never ended: {job}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn url_imports_run_as_jobs_the_jobs_api_reports() {
    let server = Colibri::start();
    let mut csv = String::from("day,city,visits\n");
    for i in 0..1000 {
        csv.push_str(&format!("2024-01-{:02},city{},{i}\n", i % 28 + 1, i % 7));
    }
    let ndjson = "{\"city\": \"Oslo\", \"visits\": 5}\n{\"city\": \"Rome\", \"visits\": 6}\n";
    let base = file_server(vec![
        ("/exports/daily_visits.csv", csv.clone().into_bytes()),
        ("/exports/more.ndjson.gz", gzip(ndjson.as_bytes())),
    ]);

    // Create from a URL without a name: the job imports the CSV, named after the file.
    let url = format!("{base}/exports/daily_visits.csv");
    let reply = server.post(&format!("/v0/datasources?url={}", encode(&url)), b"");
    assert_eq!(reply.status, 200, "{}", reply.text());
    let envelope = reply.json();
    let id = envelope["id"].as_str().unwrap().to_string();
    assert_eq!(envelope["job_id"], id.as_str(), "{envelope}");
    assert_eq!(envelope["import_id"], id.as_str(), "{envelope}");
    assert!(envelope.get("error").is_none(), "{envelope}");
    assert_eq!(envelope["status"], "waiting", "{envelope}");
    assert_eq!(envelope["job"]["kind"], "import", "{envelope}");
    assert_eq!(envelope["job"]["url"], url.as_str(), "{envelope}");
    assert_eq!(envelope["job"]["mode"], "create", "{envelope}");
    assert_eq!(
        envelope["job_url"],
        format!("{}/v0/jobs/{id}", server.base),
        "{envelope}"
    );
    let job = wait_for_job(&server, &id);
    assert_eq!(job["status"], "done", "{job}");
    assert_eq!(job["import_id"], id.as_str(), "{job}");
    assert_eq!(job["statistics"]["row_count"], 1000, "{job}");
    assert_eq!(job["statistics"]["bytes"], csv.len(), "{job}");
    assert_eq!(job["quarantine_rows"], 0, "{job}");
    assert_eq!(job["invalid_lines"], 0, "{job}");
    assert_eq!(job["datasource"]["name"], "daily_visits", "{job}");
    assert!(job["started_at"].is_string(), "{job}");
    assert_eq!(server.count("daily_visits"), 1000);

    // Append a gzipped NDJSON file by URL to a data source with a schema.
    let schema = "city String `json:$.city`, visits Int32 `json:$.visits`";
    let reply = server.post(
        &format!(
            "/v0/datasources?name=cities&format=ndjson&schema={}",
            encode(schema)
        ),
        b"",
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    let url = format!("{base}/exports/more.ndjson.gz");
    let reply = server.post(
        &format!(
            "/v0/datasources?name=cities&mode=append&url={}",
            encode(&url)
        ),
        b"",
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json()["datasource"]["name"], "cities");
    let job = wait_for_job(&server, reply.json()["id"].as_str().unwrap());
    assert_eq!(job["status"], "done", "{job}");
    let total = server.sql("SELECT sum(visits) AS total FROM cities FORMAT JSON");
    assert_eq!(total["data"][0]["total"], 11, "{total}");

    // A URL the server cannot fetch fails its job with the reason; a scheme other than http
    // or https is refused at once.
    let missing = format!("{base}/exports/nothing.csv");
    let reply = server.post(
        &format!(
            "/v0/datasources?name=cities&mode=append&url={}",
            encode(&missing)
        ),
        b"",
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    let job = wait_for_job(&server, reply.json()["id"].as_str().unwrap());
    assert_eq!(job["status"], "error", "{job}");
    assert!(job["error"].as_str().unwrap().contains("404"), "{job}");
    let reply = server.post(
        &format!(
            "/v0/datasources?name=cities&mode=append&url={}",
            encode("ftp://x/y.csv")
        ),
        b"",
    );
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert_eq!(server.count("cities"), 2);

    // The Jobs API lists them newest first, filtered.
    let jobs = server.get("/v0/jobs").json()["jobs"].clone();
    assert_eq!(jobs.as_array().unwrap().len(), 3, "{jobs}");
    assert_eq!(jobs[0]["status"], "error", "{jobs}");
    let done = server.get("/v0/jobs?kind=import&status=done").json()["jobs"].clone();
    assert_eq!(done.as_array().unwrap().len(), 2, "{done}");
    let none = server.get("/v0/jobs?kind=copy").json()["jobs"].clone();
    assert_eq!(none, serde_json::json!([]));
    let later = server
        .get("/v0/jobs?created_after=2999-01-01T00:00:00Z")
        .json()["jobs"]
        .clone();
    assert_eq!(later, serde_json::json!([]));
    assert_eq!(server.get("/v0/jobs?status=sleeping").status, 400);
    assert_eq!(server.get("/v0/jobs?created_before=yesterday").status, 400);
    assert_eq!(server.get("/v0/jobs/no-such-job").status, 404);
    // A finished job cannot be cancelled.
    let reply = server.post(&format!("/v0/jobs/{id}/cancel"), b"");
    assert_eq!(reply.status, 400, "{}", reply.text());
}

#[test]
fn deleting_rows_is_a_job_that_removes_exactly_the_matching_rows() {
    let data = temp_dir("jobs-delete");
    let reader = create_token(&data, "reader", &["DATASOURCES:READ:visits"]);
    let server = Colibri::start_in(&data, &[]);
    let mut events = String::new();
    for i in 0..300 {
        let city = ["Lyon", "Oslo", "Rome"][i % 3];
        events.push_str(&format!("{{\"city\": \"{city}\", \"n\": {i}}}\n"));
    }
    assert_eq!(server.send_events("visits", &events, true).status, 200);
    // Rows still in the write buffer are deleted too.
    let buffered = "{\"city\": \"Oslo\", \"n\": 1000}\n{\"city\": \"Paris\", \"n\": 1001}\n";
    assert_eq!(server.send_events("visits", buffered, false).status, 202);

    let path = "/v0/datasources/visits/delete";
    let reply = server.post_form(
        path,
        b"delete_condition=city%20%3D%20%27Oslo%27&dry_run=true",
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json(), serde_json::json!({"rows_to_be_deleted": 101}));
    assert_eq!(server.count("visits"), 302, "a dry run deletes nothing");

    assert_eq!(server.post_form(path, b"").status, 400);
    let reply = server.post_form(path, b"delete_condition=no_such_column%20%3D%201");
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert!(
        reply.error_message().contains("no_such_column"),
        "{}",
        reply.text()
    );
    assert_eq!(
        server
            .post_form("/v0/datasources/nothing/delete", b"delete_condition=1")
            .status,
        404
    );
    let reply = server.post_as(
        &format!("{path}?delete_condition=n%20%3E%3D%200"),
        &reader,
        b"",
    );
    assert_eq!(
        reply.status,
        200,
        "a reader may queue; its job fails: {}",
        reply.text()
    );
    let refused = wait_for_job(&server, reply.json()["id"].as_str().unwrap());
    assert_eq!(refused["status"], "error", "{refused}");
    assert_eq!(server.count("visits"), 302);

    let reply = server.post_form(path, b"delete_condition=city%20%3D%20%27Oslo%27");
    assert_eq!(reply.status, 200, "{}", reply.text());
    let envelope = reply.json();
    let id = envelope["id"].as_str().unwrap();
    assert_eq!(envelope["delete_id"], id, "{envelope}");
    assert_eq!(envelope["job"]["kind"], "delete_data", "{envelope}");
    assert_eq!(
        envelope["job"]["delete_condition"], "city = 'Oslo'",
        "{envelope}"
    );
    assert_eq!(envelope["datasource"]["name"], "visits", "{envelope}");
    let job = wait_for_job(&server, id);
    assert_eq!(job["status"], "done", "{job}");
    assert_eq!(job["rows_affected"], 101, "{job}");
    let left =
        server.sql("SELECT city, n FROM visits WHERE city = 'Oslo' OR city = 'Paris' FORMAT JSON");
    assert_eq!(
        left["data"],
        serde_json::json!([{"city": "Paris", "n": 1001}]),
        "only Paris is left: {left}"
    );
    assert_eq!(server.count("visits"), 201);

    // The reader's job is not the admin's to hide, but the admin's jobs are not the reader's.
    let reply = server.get_as(&format!("/v0/jobs/{id}"), &reader);
    assert_eq!(reply.status, 403, "{}", reply.text());
    let theirs = server.get_as("/v0/jobs", &reader).json()["jobs"].clone();
    assert_eq!(theirs.as_array().unwrap().len(), 1, "{theirs}");

    // The deletion survives a restart.
    let mut server = server;
    server.restart();
    assert_eq!(server.count("visits"), 201);
}

/// An HTTP server that holds every request unanswered until `release` is set, then answers
/// `GET /rows.csv` with `csv`.
fn gated_file_server(csv: &'static str) -> (String, std::sync::Arc<std::sync::atomic::AtomicBool>) {
    use std::io::{BufRead, Write};
    use std::sync::atomic::Ordering;
    let release = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let released = release.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let released = released.clone();
            std::thread::spawn(move || {
                let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                while reader.read_line(&mut line).unwrap_or(0) > 0 && line != "\r\n" {
                    line.clear();
                }
                while !released.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(20));
                }
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    csv.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(csv.as_bytes());
            });
        }
    });
    (format!("http://{address}/rows.csv"), release)
}

#[test]
fn jobs_survive_a_restart_and_unfinished_ones_run_again() {
    let data = temp_dir("jobs-restart");
    let mut server = Colibri::start_in(&data, &[]);
    let schema = "city String, visits Int32";
    let reply = server.post(
        &format!("/v0/datasources?name=visits&schema={}", encode(schema)),
        b"",
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    let (url, release) = gated_file_server("Oslo,1\nRome,2\nLima,3\n");
    let queue = |server: &Colibri| {
        let reply = server.post(
            &format!(
                "/v0/datasources?name=visits&mode=append&format=csv&url={}",
                encode(&url)
            ),
            b"",
        );
        assert_eq!(reply.status, 200, "{}", reply.text());
        reply.json()["id"].as_str().unwrap().to_string()
    };
    // The first job hangs on its download; the second waits behind it (one job per data
    // source at a time).
    let first = queue(&server);
    let second = queue(&server);
    let started = Instant::now();
    while server.get(&format!("/v0/jobs/{first}")).json()["status"] != "working" {
        assert!(started.elapsed() < Duration::from_secs(20), "never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        server.get(&format!("/v0/jobs/{second}")).json()["status"],
        "waiting"
    );
    server.kill();
    release.store(true, std::sync::atomic::Ordering::SeqCst);
    server.restart();
    for id in [&first, &second] {
        let job = wait_for_job(&server, id);
        assert_eq!(job["status"], "done", "{job}");
        assert_eq!(job["statistics"]["row_count"], 3, "{job}");
    }
    assert_eq!(server.count("visits"), 6);
    // Finished jobs are still listed after another restart.
    server.restart();
    let listed = server.get("/v0/jobs").json();
    let ids: Vec<&str> = listed["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|job| job["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&first.as_str()) && ids.contains(&second.as_str()),
        "{listed}"
    );
    assert_eq!(
        server.get(&format!("/v0/jobs/{second}")).json()["status"],
        "done"
    );
}
