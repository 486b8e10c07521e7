//! The dependency rule of `src/lib.rs`, checked on the code as the compiler reads it: every file
//! under `src/` is parsed (`syn`), and every path it names (in `use` trees, types, expressions and
//! macros' leading paths) is resolved to the top-level module of this crate it reaches, or to the
//! external crate it starts with. Test-only code (`#[cfg(test)]` items and the files they
//! declare) is left out: tests may reach anything.

#[path = "architecture/reader.rs"]
mod reader;

use reader::{EXTERNAL, Module, modules, read_paths};

/// Fails naming every file of `module` (or of every module but the allowed ones) that reaches
/// one of `forbidden`.
fn assert_none_reach(modules: &[Module], of: &[&str], forbidden: &[&str]) {
    let mut broken = Vec::new();
    for module in modules.iter().filter(|m| of.contains(&m.top())) {
        for name in module.ours.iter().chain(&module.theirs) {
            if forbidden.contains(&name.as_str()) && name != module.top() {
                broken.push(format!("{} uses `{name}`", module.file.display()));
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

const OURS: &[&str] = &[
    "admin",
    "app",
    "audit",
    "check",
    "config",
    "demo",
    "domain",
    "emulator",
    "gate",
    "http",
    "metrics",
    "pim",
    "secret",
    "service",
    "slack",
    "store",
    "teams",
    "telemetry",
    "vault",
    "worker",
];
/// The operator commands: CLI use cases beside `app`, run by the binary alone.
const OPERATOR: &[&str] = &["admin", "check"];
const ADAPTERS: &[&str] = &["slack", "teams", "pim", "store", "vault"];

#[test]
fn every_way_of_naming_a_module_is_seen_and_tests_are_left_out() {
    let text = r#"
        use crate::pim::{self, PimProviders};
        use super::super::store::Store as S;
        fn f() -> Option<crate::teams::TeamsChat> { tracing::debug!(x = ?crate::demo::X); None }
        fn g() { let _ = axum::Router::new(); let _ = self::inner::h(); }
        #[cfg(test)]
        mod tests { use crate::emulator::Emulator; }
        #[cfg(test)]
        mod properties;
        // crate::app in a comment is not a use
    "#;
    let module = ["slack".to_owned(), "render".to_owned()];
    let (_, paths) = read_paths(text, &module);
    let ours: Vec<&str> = paths.ours.iter().map(String::as_str).collect();
    assert_eq!(ours, ["demo", "pim", "slack", "store", "teams"]);
    let theirs: Vec<&str> = paths.theirs.iter().map(String::as_str).collect();
    assert_eq!(theirs, ["axum"]);
    assert_eq!(paths.test_modules, ["properties"]);
}

#[test]
fn every_file_of_the_crate_is_read() {
    let modules = modules();
    for top in OURS {
        assert!(
            modules.iter().any(|m| m.top() == *top),
            "no file of `{top}` was read"
        );
    }
    assert!(modules.len() > 100, "only {} files read", modules.len());
}

#[test]
fn the_domain_uses_nothing_of_ours_and_no_io_crate() {
    let forbidden: Vec<&str> = OURS
        .iter()
        .chain(EXTERNAL)
        .copied()
        .filter(|m| *m != "domain")
        .collect();
    assert_none_reach(&modules(), &["domain"], &forbidden);
}

#[test]
fn the_service_layer_uses_only_the_domain_and_no_wire_crate() {
    let forbidden: Vec<&str> = OURS
        .iter()
        .copied()
        .filter(|m| !["domain", "service", "secret"].contains(m))
        .chain(["axum", "sqlx", "reqwest", "hyper", "tower", "tower_http"])
        .collect();
    assert_none_reach(&modules(), &["service"], &forbidden);
}

#[test]
fn no_adapter_uses_another_adapter() {
    let modules = modules();
    for adapter in ADAPTERS {
        let others: Vec<&str> = ADAPTERS.iter().copied().filter(|a| a != adapter).collect();
        assert_none_reach(&modules, &[adapter], &others);
    }
}

#[test]
fn only_the_app_the_binary_and_the_demo_use_the_demo_and_the_emulator() {
    let users: Vec<&str> = OURS
        .iter()
        .copied()
        .filter(|m| !["app", "demo", "emulator"].contains(m))
        .collect();
    assert_none_reach(&modules(), &users, &["demo", "emulator"]);
}

#[test]
fn metrics_and_telemetry_use_no_adapter() {
    let mut forbidden = ADAPTERS.to_vec();
    forbidden.extend(["app", "demo", "emulator", "worker"]);
    assert_none_reach(&modules(), &["metrics", "telemetry"], &forbidden);
}

/// The adapters' shared limits answer in the ports' words and know no adapter, so every
/// adapter may use them without reaching another.
#[test]
fn the_gate_uses_only_the_service_ports() {
    let forbidden: Vec<&str> = OURS
        .iter()
        .copied()
        .filter(|m| !["gate", "service", "domain", "secret"].contains(m))
        .chain(["axum", "sqlx", "reqwest", "hyper", "tower", "tower_http"])
        .collect();
    assert_none_reach(&modules(), &["gate"], &forbidden);
}

#[test]
fn only_the_binary_runs_the_operator_commands() {
    let users: Vec<&str> = OURS
        .iter()
        .copied()
        .filter(|m| !OPERATOR.contains(m))
        .collect();
    assert_none_reach(&modules(), &users, OPERATOR);
    assert_none_reach(&modules(), &["check"], &["admin"]);
    assert_none_reach(&modules(), &["admin"], &["check"]);
}

/// `admin` writes the tenant through the raw Graph/ARM client of `pim`; it has no business with
/// the chat platforms, the database or the running service.
#[test]
fn admin_reaches_the_tenant_through_pim_alone() {
    assert_none_reach(
        &modules(),
        &["admin"],
        &["slack", "teams", "store", "worker", "http", "sqlx", "axum"],
    );
}

/// Rooms a newcomer can take in at once: no production file over 400 lines, and no function over
/// 80 outside the emulator (whose handlers mirror Graph's long documents).
#[test]
fn no_file_over_400_lines_and_no_function_over_80_outside_the_emulator() {
    const MAX_FILE: usize = 400;
    const MAX_FUNCTION: usize = 80;
    let mut too_big = Vec::new();
    for module in modules() {
        if module.lines > MAX_FILE {
            too_big.push(format!("{}: {} lines", module.file.display(), module.lines));
        }
        if module.top() == "emulator" {
            continue;
        }
        for (name, lines) in &module.functions {
            if *lines > MAX_FUNCTION {
                too_big.push(format!(
                    "{}: fn {name}, {lines} lines",
                    module.file.display()
                ));
            }
        }
    }
    assert!(too_big.is_empty(), "too big:\n{}", too_big.join("\n"));
}

#[test]
fn functions_are_measured_from_signature_to_closing_brace() {
    let text = "fn short() {}\n\nimpl X {\n    fn three(&self) {\n        self.0\n    }\n}\n#[cfg(test)]\nmod tests { fn hidden() {} }\n";
    let (_, paths) = read_paths(text, &[]);
    assert_eq!(
        paths.functions,
        [("short".to_owned(), 1), ("three".to_owned(), 3)]
    );
}
