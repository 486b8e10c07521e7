//! The dependency rule of `src/lib.rs`, checked on the code as the compiler reads it: every file
//! under `src/` is parsed (`syn`), and every path it names (in `use` trees, types, expressions and
//! macros' leading paths) is resolved to the top-level module of this crate it reaches, or to the
//! external crate it starts with. Test-only code (`#[cfg(test)]` items and the files they
//! declare) is left out: tests may reach anything.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use syn::visit::Visit;

/// One production source file: its module path (`["slack", "payload"]`) and what it reaches.
struct Module {
    file: PathBuf,
    path: Vec<String>,
    /// Top-level modules of this crate (`domain`, `pim`, …) the file names.
    ours: BTreeSet<String>,
    /// External crates the file names (`axum`, `sqlx`, …).
    theirs: BTreeSet<String>,
    /// Lines of the file.
    lines: usize,
    /// Its functions (`name`, lines), test-only ones left out.
    functions: Vec<(String, usize)>,
}

impl Module {
    fn top(&self) -> &str {
        self.path.first().map_or("", String::as_str)
    }
}

/// Collects the paths of one file, skipping `#[cfg(test)]` items and noting the test modules it
/// declares (`#[cfg(test)] mod tests;`), whose files are test code too.
struct Paths<'a> {
    module: &'a [String],
    ours: BTreeSet<String>,
    theirs: BTreeSet<String>,
    test_modules: Vec<String>,
    functions: Vec<(String, usize)>,
}

fn is_test_only(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("cfg")
            && attr
                .parse_args::<syn::Meta>()
                .is_ok_and(|meta| meta.path().is_ident("test"))
    })
}

impl Paths<'_> {
    /// A function's lines, from `fn` to its closing brace.
    fn function(&mut self, sig: &syn::Signature, body: &syn::Block) {
        let (start, end) = (
            sig.fn_token.span.start(),
            body.brace_token.span.close().end(),
        );
        self.functions
            .push((sig.ident.to_string(), end.line + 1 - start.line));
    }

    /// Resolves a path's leading segments (`crate`, `super`, `self`, an external crate).
    fn note(&mut self, segments: &[String]) {
        let Some(first) = segments.first() else {
            return;
        };
        let absolute: Vec<String> = match first.as_str() {
            "crate" | "pimbot" => segments[1..].to_vec(),
            "super" => {
                let ups = segments.iter().take_while(|s| *s == "super").count();
                let base = self.module.len().saturating_sub(ups);
                self.module[..base]
                    .iter()
                    .chain(&segments[ups..])
                    .cloned()
                    .collect()
            }
            "self" => self.module.iter().chain(&segments[1..]).cloned().collect(),
            other if segments.len() > 1 && EXTERNAL.contains(&other) => {
                self.theirs.insert(other.to_owned());
                return;
            }
            _ => return,
        };
        if let Some(top) = absolute.first() {
            self.ours.insert(top.clone());
        }
    }
}

/// The external crates the rules name.
const EXTERNAL: &[&str] = &[
    "axum",
    "sqlx",
    "reqwest",
    "tokio",
    "hyper",
    "tower",
    "tower_http",
];

fn use_paths(tree: &syn::UseTree, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match tree {
        syn::UseTree::Path(path) => {
            prefix.push(path.ident.to_string());
            use_paths(&path.tree, prefix, out);
            prefix.pop();
        }
        syn::UseTree::Name(name) => out.push(with(prefix, &name.ident)),
        syn::UseTree::Rename(rename) => out.push(with(prefix, &rename.ident)),
        syn::UseTree::Glob(_) => out.push(prefix.clone()),
        syn::UseTree::Group(group) => {
            for tree in &group.items {
                use_paths(tree, prefix, out);
            }
        }
    }
}

fn with(prefix: &[String], ident: &syn::Ident) -> Vec<String> {
    let mut path = prefix.to_vec();
    path.push(ident.to_string());
    path
}

impl<'ast> Visit<'ast> for Paths<'_> {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        let attrs = match item {
            syn::Item::Mod(m) => &m.attrs,
            syn::Item::Fn(f) => &f.attrs,
            syn::Item::Impl(i) => &i.attrs,
            syn::Item::Use(u) => &u.attrs,
            syn::Item::Struct(s) => &s.attrs,
            syn::Item::Enum(e) => &e.attrs,
            syn::Item::Const(c) => &c.attrs,
            syn::Item::Static(s) => &s.attrs,
            syn::Item::Trait(t) => &t.attrs,
            syn::Item::Macro(m) => &m.attrs,
            _ => return syn::visit::visit_item(self, item),
        };
        if is_test_only(attrs) {
            if let syn::Item::Mod(m) = item
                && m.content.is_none()
            {
                self.test_modules.push(m.ident.to_string());
            }
            return;
        }
        syn::visit::visit_item(self, item);
    }

    fn visit_item_fn(&mut self, item: &'ast syn::ItemFn) {
        self.function(&item.sig, &item.block);
        syn::visit::visit_item_fn(self, item);
    }

    fn visit_impl_item_fn(&mut self, item: &'ast syn::ImplItemFn) {
        if !is_test_only(&item.attrs) {
            self.function(&item.sig, &item.block);
            syn::visit::visit_impl_item_fn(self, item);
        }
    }

    fn visit_trait_item_fn(&mut self, item: &'ast syn::TraitItemFn) {
        if let Some(body) = &item.default {
            self.function(&item.sig, body);
        }
        syn::visit::visit_trait_item_fn(self, item);
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        let mut found = Vec::new();
        use_paths(&item.tree, &mut Vec::new(), &mut found);
        for path in found {
            self.note(&path);
        }
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        self.note(&segments);
        syn::visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.visit_path(&mac.path);
        // Paths inside macro arguments (`tracing::warn!(…)`, `json!(…)`) are tokens, not syntax:
        // read the `crate :: x` and external `x ::` sequences out of their text.
        let text = mac.tokens.to_string();
        let words: Vec<&str> = text.split_whitespace().collect();
        for (at, word) in words.iter().enumerate() {
            let starts_path = at == 0 || words[at - 1] != "::";
            if starts_path && words.get(at + 1) == Some(&"::") {
                let next = words.get(at + 2).copied().unwrap_or_default();
                self.note(&[(*word).to_owned(), next.to_owned()]);
            }
        }
    }
}

/// Every production file under `src/`, with what it reaches.
fn modules() -> Vec<Module> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    for (file, path) in [
        (root.join("lib.rs"), Vec::new()),
        (root.join("main.rs"), vec!["main".to_owned()]),
    ] {
        read_module(&root, &file, path, &mut out);
    }
    out
}

/// The parsed file and the paths it names, as module `path`.
fn read_paths<'a>(text: &str, path: &'a [String]) -> (syn::File, Paths<'a>) {
    let syntax = syn::parse_file(text).expect("a source file parses");
    let mut paths = Paths {
        module: path,
        ours: BTreeSet::new(),
        theirs: BTreeSet::new(),
        test_modules: Vec::new(),
        functions: Vec::new(),
    };
    paths.visit_file(&syntax);
    (syntax, paths)
}

fn read_module(root: &Path, file: &Path, path: Vec<String>, out: &mut Vec<Module>) {
    let text = std::fs::read_to_string(file).expect("read a source file");
    let (syntax, paths) = read_paths(&text, &path);
    let (ours, theirs, test_modules, functions) = (
        paths.ours,
        paths.theirs,
        paths.test_modules,
        paths.functions,
    );
    let children: Vec<String> = syntax
        .items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Mod(m)
                if m.content.is_none() && !test_modules.contains(&m.ident.to_string()) =>
            {
                Some(m.ident.to_string())
            }
            _ => None,
        })
        .collect();
    // `src/a.rs` and `src/lib.rs` keep their children in `src/a/` and `src/`.
    let dir = if path.is_empty() || path == ["main"] {
        root.to_path_buf()
    } else {
        root.join(path.join("/"))
    };
    for child in children {
        let mut child_path = if path == ["main"] {
            Vec::new()
        } else {
            path.clone()
        };
        child_path.push(child.clone());
        let file = dir.join(format!("{child}.rs"));
        read_module(root, &file, child_path, out);
    }
    out.push(Module {
        file: file.to_path_buf(),
        path,
        ours,
        theirs,
        lines: text.lines().count(),
        functions,
    });
}

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
    "http",
    "metrics",
    "pim",
    "secret",
    "service",
    "slack",
    "store",
    "teams",
    "telemetry",
    "worker",
];
/// The operator commands: CLI use cases beside `app`, run by the binary alone.
const OPERATOR: &[&str] = &["admin", "check"];
const ADAPTERS: &[&str] = &["slack", "teams", "pim", "store"];

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
    let text = "fn short() {}\n\nimpl X {\n    fn three(&self) {\n        todo!()\n    }\n}\n#[cfg(test)]\nmod tests { fn hidden() {} }\n";
    let (_, paths) = read_paths(text, &[]);
    assert_eq!(
        paths.functions,
        [("short".to_owned(), 1), ("three".to_owned(), 3)]
    );
}
