//! Hostile components cannot take the server down or read what their token cannot.

mod support;

use std::path::{Path, PathBuf};

use support::{ADMIN_TOKEN, Colibri};

/// A manifest serving the real events component and the hostile one, written in `dir`.
fn hostile_manifest(dir: &Path) -> PathBuf {
    let guests = env!("COLIBRI_GUEST_DIR");
    let manifest = format!(
        "spin_manifest_version = 2\n\
         [[trigger.http]]\nroute = \"/v0/events\"\ncomponent = \"events\"\n\
         [[trigger.http]]\nroute = \"/hostile/...\"\ncomponent = \"hostile\"\n\
         [component.events]\nsource = \"{guests}/colibri_events.wasm\"\n\
         [component.hostile]\nsource = \"{guests}/colibri_hostile.wasm\"\n"
    );
    let path = dir.join("spin.toml");
    std::fs::write(&path, manifest).unwrap();
    path
}

fn start(data: &Path) -> Colibri {
    let manifest = hostile_manifest(data);
    Colibri::start_in(
        data,
        &[
            "--manifest",
            manifest.to_str().unwrap(),
            "--guest-timeout-ms",
            "1000",
            "--guest-memory-mib",
            "64",
        ],
    )
}

#[test]
fn loops_traps_and_memory_hogs_fail_alone() {
    let data = support::temp_dir("hostile");
    let server = start(&data);
    let looping = server.get("/hostile/loop");
    assert_eq!(looping.status, 408, "{}", looping.text());
    assert!(looping.error_message().contains("time"));

    let hog = server.get("/hostile/allocate");
    assert_eq!(hog.status, 500, "{}", hog.text());
    hog.error_message();

    let trap = server.get("/hostile/trap");
    assert_eq!(trap.status, 500, "{}", trap.text());
    trap.error_message();

    // The server keeps serving, the real components too.
    assert_eq!(server.get("/hostile/fine").status, 200);
    let reply = server.send_events("survivors", "{\"a\": 1}", true);
    assert_eq!(reply.status, 200, "{}", reply.text());
}

#[test]
fn a_component_cannot_read_past_its_token() {
    let data = support::temp_dir("steal");
    let nosy = support::create_token(&data, "nosy", &["DATASOURCES:READ:public_data"]);
    let server = start(&data);
    server.send_events("secrets", "{\"password\": \"hunter2\"}", true);
    server.send_events("public_data", "{\"a\": 1}", true);
    let stolen = server.get_as("/hostile/steal?table=secrets", &nosy);
    assert_eq!(stolen.status, 403, "{}", stolen.text());
    assert!(!stolen.text().contains("hunter2"));
    let allowed = server.get_as("/hostile/steal?table=public_data", &nosy);
    assert_eq!(allowed.status, 200, "{}", allowed.text());
    let admin = server.get_as("/hostile/steal?table=secrets", ADMIN_TOKEN);
    assert!(admin.text().contains("hunter2"));
}
