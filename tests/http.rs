//! Behaviour every route shares (GEN-*): request ids, compressed answers, the token as a form
//! field, and the Events API's rate limit with its headers.

mod support;

use std::io::Read;

use support::{ADMIN_TOKEN, Colibri};

#[test]
fn every_response_carries_a_ulid_request_id() {
    let server = Colibri::start();
    let ok = server.get("/v0/workspace");
    let not_found = server.get("/v0/nothing-here");
    let forbidden = server.get_as("/v0/datasources", "not-a-token");
    let mut ids = Vec::new();
    for reply in [&ok, &not_found, &forbidden] {
        let id = reply
            .header("x-request-id")
            .expect("x-request-id")
            .to_string();
        assert_eq!(id.len(), 26, "{id}");
        assert!(id.chars().all(|c| c.is_ascii_alphanumeric()), "{id}");
        ids.push(id);
    }
    ids.dedup();
    assert_eq!(ids.len(), 3, "ids must differ: {ids:?}");
}

#[test]
fn answers_are_gzipped_when_the_client_accepts_it() {
    let server = Colibri::start();
    server.send_events("zipped", "{\"n\": 1}\n{\"n\": 2}", true);
    let gzip = [("accept-encoding", "gzip")];
    let path = "/v0/sql?q=SELECT%20sum(n)%20AS%20s%20FROM%20zipped%20FORMAT%20JSON";
    let compressed = server
        .request("GET", path, Some(ADMIN_TOKEN), &gzip, b"")
        .unwrap();
    assert_eq!(compressed.status, 200, "{}", compressed.text());
    assert_eq!(compressed.header("content-encoding"), Some("gzip"));
    let mut text = String::new();
    flate2::read::GzDecoder::new(compressed.body.as_slice())
        .read_to_string(&mut text)
        .expect("a gzip body");
    let answer: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(answer["data"][0]["s"], 3);

    // Small bodies and errors too; and nothing is compressed unless asked for.
    let error = server
        .request("GET", "/v0/nothing-here", Some(ADMIN_TOKEN), &gzip, b"")
        .unwrap();
    assert_eq!(error.status, 404);
    assert_eq!(error.header("content-encoding"), Some("gzip"));
    let plain = server.get(path);
    assert_eq!(plain.header("content-encoding"), None);
    assert_eq!(plain.json()["data"][0]["s"], 3);
}

#[test]
fn the_token_may_be_a_form_field() {
    let server = Colibri::start();
    let form = [("content-type", "application/x-www-form-urlencoded")];
    let body = format!("q=SELECT+1+AS+one+FORMAT+JSON&token={ADMIN_TOKEN}");
    let reply = server
        .request("POST", "/v0/sql", None, &form, body.as_bytes())
        .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json()["data"][0]["one"], 1);

    let wrong = server
        .request(
            "POST",
            "/v0/sql",
            None,
            &form,
            b"q=SELECT+1+FORMAT+JSON&token=wrong",
        )
        .unwrap();
    assert_eq!(wrong.status, 403);
    assert!(wrong.error_message().contains("token"));
}

#[test]
fn events_past_the_rate_limit_get_429_and_are_not_ingested() {
    let server = Colibri::start_with(&["--events-rate-limit", "3"]);
    let mut accepted: u64 = 0;
    let mut refused = None;
    for _ in 0..20 {
        let reply = server.send_events("limited", "{\"n\": 1}", false);
        assert_eq!(reply.header("x-ratelimit-limit"), Some("3"));
        let remaining: u32 = reply
            .header("x-ratelimit-remaining")
            .unwrap()
            .parse()
            .unwrap();
        let reset: u32 = reply.header("x-ratelimit-reset").unwrap().parse().unwrap();
        assert!(remaining <= 2 && reset == 1, "{remaining} {reset}");
        if reply.status == 429 {
            refused = Some(reply);
            break;
        }
        assert_eq!(reply.status, 202, "{}", reply.text());
        accepted += 1;
    }
    let refused = refused.expect("a 429 within 20 requests at 3 per second");
    assert_eq!(refused.header("retry-after"), Some("1"));
    assert_eq!(refused.header("x-ratelimit-remaining"), Some("0"));
    assert!(refused.error_message().contains("Too many requests"));
    // Refused events are not stored; other data sources have their own budget.
    assert_eq!(server.count("limited"), accepted);
    assert_eq!(server.send_events("other", "{\"n\": 1}", false).status, 202);
}

#[test]
fn events_past_the_byte_rate_get_429() {
    let server = Colibri::start_with(&["--events-bytes-limit", "2000"]);
    let body = format!("{{\"text\": \"{}\"}}\n", "x".repeat(900));
    let mut accepted: u64 = 0;
    let mut refused = None;
    for _ in 0..20 {
        let reply = server.send_events("heavy", &body, false);
        if reply.status == 429 {
            refused = Some(reply);
            break;
        }
        assert_eq!(reply.status, 202, "{}", reply.text());
        accepted += 1;
    }
    let refused = refused.expect("a 429 within 20 requests of ~1 KB at 2,000 bytes per second");
    assert!(accepted >= 2, "{accepted} requests fit before the refusal");
    assert_eq!(refused.header("retry-after"), Some("1"));
    assert!(
        refused
            .error_message()
            .contains("Too many requests or bytes")
    );
    assert_eq!(server.count("heavy"), accepted);
    assert_eq!(server.send_events("light", "{\"n\": 1}", false).status, 202);
}
