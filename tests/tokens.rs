//! The Tokens API over real HTTP (TOK-10..17): static tokens listed, created with scopes,
//! read, changed, refreshed and deleted, and the scopes they carry enforced at once.

mod support;

use serde_json::json;
use support::{ADMIN_TOKEN, Colibri, encode};

#[test]
fn tokens_are_created_read_changed_refreshed_and_deleted() {
    let server = Colibri::start();
    server.send_events("events", "{\"a\": 1}", true);

    let listed = server.get("/v0/tokens");
    assert_eq!(listed.status, 200, "{}", listed.text());
    let admin = &listed.json()["tokens"][0];
    assert_eq!(admin["scopes"], json!([{"type": "ADMIN"}]));
    assert_eq!(admin["token"], ADMIN_TOKEN);

    // As the tb CLI sends it: parameters in the query string, an empty body; singular
    // spellings are stored as the plural ones (TOK-4), filters kept (TOK-12).
    let created = server.post(
        &format!(
            "/v0/tokens?name=reader&description=Reads&scope=DATASOURCE:APPEND:events&scope={}",
            encode("DATASOURCES:READ:events:a > 0")
        ),
        b"",
    );
    assert_eq!(created.status, 200, "{}", created.text());
    let reader = created.json();
    assert_eq!(reader["name"], "reader");
    assert_eq!(reader["description"], "Reads");
    assert_eq!(
        reader["scopes"],
        json!([
            {"type": "DATASOURCES:APPEND", "resource": "events"},
            {"type": "DATASOURCES:READ", "resource": "events", "filter": "a > 0"},
        ])
    );
    let value = reader["token"].as_str().unwrap().to_string();
    assert!(value.starts_with("p."), "{value}");
    let appended = server.post_as("/v0/events?name=events&wait=true", &value, b"{\"a\": 2}");
    assert_eq!(appended.status, 200, "{}", appended.text());

    // As curl sends it: a form body.
    let form = server.post_form(
        "/v0/tokens",
        b"name=creator&scope=PIPES:CREATE&scope=DATASOURCES:CREATE",
    );
    assert_eq!(form.status, 200, "{}", form.text());
    assert_eq!(form.json()["scopes"][0], json!({"type": "PIPES:CREATE"}));

    for (body, why) in [
        ("scope=ADMIN", "no name"),
        ("name=reader&scope=ADMIN", "a taken name"),
        ("name=x&scope=DATASOURCES:READ", "no resource"),
        ("name=x&scope=EVERYTHING", "an unknown scope"),
    ] {
        let refused = server.post_form("/v0/tokens", body.as_bytes());
        assert_eq!(refused.status, 400, "{why}: {}", refused.text());
    }

    for key in ["reader", reader["id"].as_str().unwrap(), value.as_str()] {
        let got = server.get(&format!("/v0/tokens/{}", encode(key)));
        assert_eq!(got.status, 200, "{key}: {}", got.text());
        assert_eq!(got.json()["name"], "reader");
    }
    assert_eq!(server.get("/v0/tokens/nobody").status, 404);

    // New scopes replace the old ones (TOK-17).
    let changed = server.put(
        "/v0/tokens/reader?name=appender&scope=DATASOURCES:APPEND:events",
        b"",
    );
    assert_eq!(changed.status, 200, "{}", changed.text());
    assert_eq!(changed.json()["name"], "appender");
    assert_eq!(
        changed.json()["scopes"],
        json!([{"type": "DATASOURCES:APPEND", "resource": "events"}])
    );
    assert_eq!(changed.json()["description"], "Reads");

    // A refresh gives a new value; the old one stops working at once (TOK-14).
    let refreshed = server.post("/v0/tokens/appender/refresh", b"");
    assert_eq!(refreshed.status, 200, "{}", refreshed.text());
    let new_value = refreshed.json()["token"].as_str().unwrap().to_string();
    assert_ne!(new_value, value);
    assert_eq!(
        server
            .post_as("/v0/events?name=events", &value, b"{\"a\": 3}")
            .status,
        403
    );
    assert_eq!(
        server
            .post_as("/v0/events?name=events", &new_value, b"{\"a\": 3}")
            .status,
        202
    );

    let deleted = server.delete("/v0/tokens/appender");
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    assert_eq!(
        server
            .post_as("/v0/events?name=events", &new_value, b"{\"a\": 4}")
            .status,
        403
    );
    assert_eq!(server.get("/v0/tokens/appender").status, 404);
    let names: Vec<String> = server.get("/v0/tokens").json()["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect();
    assert!(!names.contains(&"appender".to_string()), "{names:?}");
}

#[test]
fn managing_tokens_needs_the_admin_or_tokens_scope() {
    let data = support::temp_dir("token-scopes");
    let manager = support::create_token(&data, "manager", &["TOKENS"]);
    let creator = support::create_token(&data, "creator", &["DATASOURCES:CREATE"]);
    let server = Colibri::start_in(&data, &[]);
    assert_eq!(server.get_as("/v0/tokens", &creator).status, 403);
    assert_eq!(
        server
            .post_as("/v0/tokens?name=x&scope=ADMIN", &creator, b"")
            .status,
        403
    );
    assert_eq!(server.get_as("/v0/tokens", &manager).status, 200);
    let made = server.post_as("/v0/tokens?name=made&scope=PIPES:CREATE", &manager, b"");
    assert_eq!(made.status, 200, "{}", made.text());
    // A token cannot delete itself (TOK-16).
    let own = server
        .request("DELETE", "/v0/tokens/manager", Some(&manager), &[], b"")
        .unwrap();
    assert_eq!(own.status, 403, "{}", own.text());
    assert_eq!(
        server
            .request("DELETE", "/v0/tokens/manager", Some(ADMIN_TOKEN), &[], b"")
            .unwrap()
            .status,
        204
    );
    assert_eq!(server.get_as("/v0/tokens", &manager).status, 403);
}
