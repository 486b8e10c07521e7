//! `manifests/container/Dockerfile`, checked without a Docker engine: the stages, the user, the
//! binary's path, the port and the health check it names, the libraries the binary needs
//! against what the runtime image provides, and the two things of the binary the image relies
//! on (`pimbot healthcheck`, JSON logs chosen by `PIMBOT_LOG_FORMAT`).

use std::process::Command;

use crate::{default_port, read};

/// The Dockerfile's instructions, continuation lines joined, comments dropped.
fn instructions() -> Vec<(String, String)> {
    let text = read("container/Dockerfile");
    let mut joined = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(start) => current.push_str(start),
            None => {
                current.push_str(line);
                joined.push(std::mem::take(&mut current));
            }
        }
    }
    joined
        .into_iter()
        .map(|line| {
            let (word, rest) = line.split_once(char::is_whitespace).unwrap_or((&line, ""));
            (word.to_ascii_uppercase(), rest.trim().to_owned())
        })
        .collect()
}

fn all(word: &str) -> Vec<String> {
    instructions()
        .into_iter()
        .filter(|(w, _)| w == word)
        .map(|(_, rest)| rest)
        .collect()
}

fn one(word: &str) -> String {
    let found = all(word);
    assert_eq!(found.len(), 1, "one {word}: {found:?}");
    found[0].clone()
}

/// A JSON-array instruction (`["a", "b"]`) as its words.
fn exec_form(rest: &str) -> Vec<String> {
    serde_json::from_str(rest).unwrap_or_else(|e| panic!("`{rest}` is not exec form: {e}"))
}

const BINARY: &str = "/usr/local/bin/pimbot";

#[test]
fn the_image_is_built_locked_and_runs_as_nonroot_on_distroless_cc_with_one_port() {
    let stages = all("FROM");
    assert_eq!(
        stages.len(),
        2,
        "a build stage and a runtime stage: {stages:?}"
    );
    let rust_version = env!("CARGO_PKG_RUST_VERSION");
    assert!(
        stages[0].starts_with(&format!("rust:{rust_version}-bookworm AS build")),
        "the builder is Rust {rust_version} on the runtime's Debian: {}",
        stages[0]
    );
    assert!(
        stages[1].starts_with("gcr.io/distroless/cc-debian12"),
        "the runtime is distroless cc: {}",
        stages[1]
    );
    let build = all("RUN").join(" ");
    assert!(build.contains("cargo build --release --locked"), "{build}");
    assert!(
        build.contains("--no-default-features"),
        "the image leaves out the demo, the emulator and the demo's signing key: {build}"
    );

    let copy = all("COPY");
    assert!(
        copy.iter()
            .any(|c| c.starts_with("--from=build ") && c.ends_with(&format!(" {BINARY}"))),
        "the binary is copied to {BINARY}: {copy:?}"
    );
    assert_eq!(exec_form(&one("ENTRYPOINT")), [BINARY]);
    let command = exec_form(&one("CMD"));
    assert_eq!(command[..2], ["serve", "--config"]);
    // The same file the Kubernetes Deployment mounts and names.
    assert_eq!(command[2], crate::kubernetes::config_file_path());

    let user = one("USER");
    let uid = user.split(':').next().unwrap_or_default();
    assert_eq!(uid, "65532", "distroless's nonroot user: {user}");
    assert_eq!(
        one("EXPOSE"),
        default_port().to_string(),
        "the one port is server.listen's default"
    );
    assert_eq!(one("ENV"), "PIMBOT_LOG_FORMAT=json");

    let check = one("HEALTHCHECK");
    let (_, probe) = check.split_once("CMD ").expect("HEALTHCHECK … CMD [...]");
    let probe = exec_form(probe);
    assert_eq!(
        probe,
        [
            BINARY.to_owned(),
            "healthcheck".to_owned(),
            "--url".to_owned(),
            format!("http://127.0.0.1:{}/healthz", default_port()),
        ]
    );
}

/// What distroless `cc-debian12` holds besides the kernel's vDSO: glibc 2.36 (libc6) and
/// libgcc (libgcc-s1).
const PROVIDED: &[&str] = &[
    "linux-vdso.so.1",
    "libc.so.6",
    "libm.so.6",
    "libpthread.so.0",
    "libdl.so.2",
    "librt.so.1",
    "libgcc_s.so.1",
    "ld-linux-x86-64.so.2",
    "ld-linux-aarch64.so.1",
];

#[test]
fn the_binary_needs_only_libraries_the_runtime_image_provides() {
    let output = Command::new("ldd")
        .arg(env!("CARGO_BIN_EXE_pimbot"))
        .output()
        .expect("ldd runs");
    assert!(output.status.success(), "ldd: {output:?}");
    let listing = String::from_utf8_lossy(&output.stdout);
    let needed: Vec<&str> = listing
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(|library| library.rsplit('/').next().unwrap_or(library))
        .collect();
    assert!(needed.contains(&"libc.so.6"), "{listing}");
    let foreign: Vec<&&str> = needed.iter().filter(|l| !PROVIDED.contains(l)).collect();
    assert!(
        foreign.is_empty(),
        "not in distroless cc: {foreign:?}\n{listing}"
    );
    assert!(!listing.contains("not found"), "{listing}");

    // And no glibc symbol newer than Debian 12's glibc (2.36), which the image has.
    let symbols = Command::new("objdump")
        .arg("-T")
        .arg(env!("CARGO_BIN_EXE_pimbot"))
        .output()
        .expect("objdump runs");
    let symbols = String::from_utf8_lossy(&symbols.stdout);
    let newest = symbols
        .split("GLIBC_")
        .skip(1)
        .filter_map(|rest| {
            let version: String = rest
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            let mut parts = version.split('.').map(|p| p.parse::<u32>().ok());
            Some((parts.next()??, parts.next().flatten().unwrap_or(0)))
        })
        .max()
        .expect("the binary links glibc symbols");
    assert!(
        newest <= (2, 36),
        "needs glibc {newest:?}, the image has 2.36"
    );
}

/// A one-route server answering `status` at `/healthz`, on a free port.
fn health_server(status: u16) -> u16 {
    let code = axum::http::StatusCode::from_u16(status).expect("status");
    crate::background::serve_in_thread(
        axum::Router::new().route("/healthz", axum::routing::get(move || async move { code })),
    )
}

fn healthcheck(url: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pimbot"))
        .args(["healthcheck", "--url", url])
        .output()
        .expect("pimbot runs")
}

#[test]
fn the_healthcheck_passes_only_on_200() {
    let up = health_server(200);
    let output = healthcheck(&format!("http://127.0.0.1:{up}/healthz"));
    assert!(output.status.success(), "{output:?}");

    let down = health_server(503);
    let output = healthcheck(&format!("http://127.0.0.1:{down}/healthz"));
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("503"), "{stderr}");

    let nothing = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let output = healthcheck(&format!("http://127.0.0.1:{nothing}/healthz"));
    assert!(!output.status.success(), "nothing listens on {nothing}");
}

fn migrate_logs(log_format_env: Option<&str>, args: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut command = Command::new(env!("CARGO_BIN_EXE_pimbot"));
    command
        .args(args)
        .arg("migrate")
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .env_remove("PIMBOT_LOG_FORMAT")
        .env("RUST_LOG", "debug")
        .env("PIMBOT_DATABASE__URL", "sqlite://fresh.db");
    if let Some(format) = log_format_env {
        command.env("PIMBOT_LOG_FORMAT", format);
    }
    command.output().expect("pimbot runs")
}

#[test]
fn pimbot_log_format_json_selects_json_logs_as_the_flag_does() {
    for output in [
        migrate_logs(Some("json"), &[]),
        migrate_logs(None, &["--log-format", "json"]),
    ] {
        assert!(output.status.success(), "{output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let lines: Vec<&str> = stderr.lines().collect();
        assert!(!lines.is_empty(), "migrate logged nothing at debug");
        for line in lines {
            let parsed: serde_json::Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
            assert!(parsed["level"].is_string(), "{line}");
        }
    }
    // The flag wins over the environment; a wrong value is refused naming the choices.
    let text = migrate_logs(Some("json"), &["--log-format", "text"]);
    let stderr = String::from_utf8_lossy(&text.stderr);
    assert!(
        text.status.success() && !stderr.trim_start().starts_with('{'),
        "{stderr}"
    );
    let refused = migrate_logs(Some("yaml"), &[]);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("yaml") && stderr.contains("json"),
        "{stderr}"
    );
}

/// An OTLP endpoint is a request for traces: a build without the `otel` feature says it cannot
/// export rather than dropping them silently.
#[cfg(not(feature = "otel"))]
#[test]
fn an_otlp_endpoint_without_the_otel_feature_stops_startup_saying_why() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = Command::new(env!("CARGO_BIN_EXE_pimbot"))
        .arg("migrate")
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .env("PIMBOT_DATABASE__URL", "sqlite://fresh.db")
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
        .output()
        .expect("pimbot runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("http://127.0.0.1:4318/v1/traces") && stderr.contains("--features otel"),
        "{stderr}"
    );
    assert!(!dir.path().join("fresh.db").exists(), "nothing ran");
}
