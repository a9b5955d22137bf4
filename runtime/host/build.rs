//! Builds the guest components (`functions/`, target wasm32-wasip2) with the normal build,
//! and embeds the ones `spin.toml` names into the `colibri` binary.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let host_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = host_dir.join("../..").canonicalize().unwrap();
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    // OUT_DIR is <target>/<profile>/build/<package>-<hash>/out.
    let target_dir = out_dir.ancestors().nth(4).unwrap().to_path_buf();
    let guest_target = target_dir.join("guests");

    // Every source file, named one by one: a directory given to rerun-if-changed was seen not
    // to trigger a rebuild when a file inside it changed.
    for watched in ["functions", "wit", "runtime/types", "spin.toml"] {
        watch(&root.join(watched));
    }

    // rust-toolchain.toml lists the target; make sure this toolchain has it (a no-op once
    // installed, and skipped where rustup is absent).
    let _ = Command::new("rustup")
        .current_dir(&root)
        .args(["target", "add", "wasm32-wasip2"])
        .status();

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(root.join("functions"))
        .args([
            "build",
            "--release",
            "--target",
            "wasm32-wasip2",
            "--target-dir",
        ])
        .arg(&guest_target)
        .env("CFLAGS_wasm32_wasip2", "-ffreestanding")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET")
        .env_remove("CARGO_MANIFEST_DIR")
        .status()
        .expect("cargo runs");
    assert!(status.success(), "building the guest components failed");

    let wasm_dir = guest_target.join("wasm32-wasip2/release");
    let manifest = std::fs::read_to_string(root.join("spin.toml")).unwrap();
    let mut embedded = String::from(
        "/// The components spin.toml names, by file name.\npub static EMBEDDED_COMPONENTS: &[(&str, &[u8])] = &[\n",
    );
    for line in manifest.lines() {
        let Some(source) = line.trim().strip_prefix("source = \"") else {
            continue;
        };
        let source = source.trim_end_matches('"');
        let file_name = Path::new(source).file_name().unwrap().to_str().unwrap();
        let path = wasm_dir.join(file_name);
        assert!(
            path.exists(),
            "spin.toml names {source}, which the guest build did not produce"
        );
        embedded.push_str(&format!(
            "    ({file_name:?}, include_bytes!({:?})),\n",
            path.display().to_string()
        ));
    }
    embedded.push_str("];\n");
    embedded.push_str(&format!(
        "/// The embedded Spin manifest.\npub const EMBEDDED_MANIFEST: &str = include_str!({:?});\n",
        root.join("spin.toml").display().to_string()
    ));
    std::fs::write(out_dir.join("components.rs"), embedded).unwrap();
    println!("cargo:rustc-env=COLIBRI_GUEST_DIR={}", wasm_dir.display());
}

/// Asks cargo to rerun this script when `path` or any file below it (outside build output
/// folders) changes.
fn watch(path: &Path) {
    if path.is_dir() {
        if path.file_name().is_some_and(|name| name == "target") {
            return;
        }
        for entry in std::fs::read_dir(path).unwrap() {
            watch(&entry.unwrap().path());
        }
    } else {
        println!("cargo:rerun-if-changed={}", path.display());
    }
}
