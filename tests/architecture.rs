//! The dependency rule of `src/lib.rs`, checked: the core names no adapter and no I/O crate.

use std::path::Path;

fn sources(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push((
                path.display().to_string(),
                std::fs::read_to_string(&path).expect("read"),
            ));
        }
    }
    out
}

fn assert_free_of(module: &str, forbidden: &[&str]) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = sources(&root.join(module));
    let top = root.join(format!("{module}.rs"));
    files.push((
        top.display().to_string(),
        std::fs::read_to_string(&top).expect("read"),
    ));
    for (path, text) in files {
        for word in forbidden {
            assert!(
                !text.contains(word),
                "{path} uses `{word}`, which `{module}` must not depend on"
            );
        }
    }
}

#[test]
fn the_domain_uses_nothing_of_ours_and_no_io_crate() {
    assert_free_of(
        "domain",
        &[
            "crate::service",
            "crate::store",
            "crate::slack",
            "crate::pim",
            "crate::app",
            "crate::demo",
            "axum::",
            "sqlx::",
            "reqwest::",
            "tokio::",
        ],
    );
}

#[test]
fn the_service_layer_knows_no_adapter_and_no_wire_crate() {
    assert_free_of(
        "service",
        &[
            "crate::store",
            "crate::slack",
            "crate::pim",
            "crate::teams",
            "crate::app",
            "crate::demo",
            "crate::emulator",
            "axum::",
            "sqlx::",
            "reqwest::",
        ],
    );
}
