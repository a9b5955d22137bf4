//! Acknowledged rows survive `kill -9`.

mod support;

use support::Colibri;

#[test]
fn acknowledged_rows_survive_kill_9() {
    let data = support::temp_dir("crash");
    // A long flush interval: rows acknowledged with 202 sit in the buffer and the WAL.
    let mut server = Colibri::start_in(&data, &["--flush-interval-ms", "60000"]);
    let mut acknowledged = 0;
    for batch in 0..20 {
        let body: String = (0..500)
            .map(|i| format!("{{\"batch\": {batch}, \"i\": {i}}}\n"))
            .collect();
        let reply = server.send_events("durable", &body, batch % 2 == 0);
        assert!(
            reply.status == 200 || reply.status == 202,
            "{}",
            reply.text()
        );
        acknowledged += reply.json()["successful_rows"].as_u64().unwrap();
    }
    assert_eq!(acknowledged, 10_000);
    server.kill();
    server.restart();
    assert_eq!(server.count("durable"), acknowledged);
    let batches =
        server.sql("SELECT count() AS n FROM (SELECT DISTINCT batch FROM durable) FORMAT JSON");
    assert_eq!(batches["data"][0]["n"], 20);
    // A second crash after the replay does not double anything.
    server.kill();
    server.restart();
    assert_eq!(server.count("durable"), acknowledged);
}
