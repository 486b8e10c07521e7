//! The manifests are documentation too: each must name only what pimbot has (its routes, its
//! port, its config keys) and hold what it promises (the image's user, the probes, the overlays).

#![expect(
    clippy::print_stderr,
    reason = "without kubectl, outside CI, the overlay tests say that they skipped"
)]

// The crate root is tests/manifests.rs, so its modules are named by path.
#[path = "manifests/background.rs"]
mod background;
#[path = "manifests/chat.rs"]
mod chat;
#[path = "manifests/container.rs"]
mod container;
#[path = "manifests/kubernetes.rs"]
mod kubernetes;
#[path = "manifests/routes.rs"]
mod routes;

use std::path::{Path, PathBuf};

pub(crate) fn manifest(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("manifests")
        .join(path)
}

pub(crate) fn read(path: &str) -> String {
    std::fs::read_to_string(manifest(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The port of `server.listen` when nothing sets it.
pub(crate) fn default_port() -> u16 {
    pimbot::config::Config::parse("", &[])
        .expect("an empty configuration loads")
        .server
        .listen
        .port()
}
