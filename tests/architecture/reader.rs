//! Reads the crate as the compiler does: every production file under `src/` parsed with `syn`,
//! with the paths it names resolved to this crate's top-level modules or to external crates, and
//! its size (lines, and each function's lines).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use syn::visit::Visit;

/// One production source file: its module path (`["slack", "payload"]`) and what it reaches.
pub(crate) struct Module {
    pub(crate) file: PathBuf,
    pub(crate) path: Vec<String>,
    /// Top-level modules of this crate (`domain`, `pim`, …) the file names.
    pub(crate) ours: BTreeSet<String>,
    /// External crates the file names (`axum`, `sqlx`, …).
    pub(crate) theirs: BTreeSet<String>,
    /// Lines of the file.
    pub(crate) lines: usize,
    /// Its functions (`name`, lines), test-only ones left out.
    pub(crate) functions: Vec<(String, usize)>,
}

impl Module {
    pub(crate) fn top(&self) -> &str {
        self.path.first().map_or("", String::as_str)
    }
}

/// Collects the paths of one file, skipping `#[cfg(test)]` items and noting the test modules it
/// declares (`#[cfg(test)] mod tests;`), whose files are test code too.
pub(crate) struct Paths<'a> {
    module: &'a [String],
    pub(crate) ours: BTreeSet<String>,
    pub(crate) theirs: BTreeSet<String>,
    pub(crate) test_modules: Vec<String>,
    pub(crate) functions: Vec<(String, usize)>,
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
pub(crate) const EXTERNAL: &[&str] = &[
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
pub(crate) fn modules() -> Vec<Module> {
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
pub(crate) fn read_paths<'a>(text: &str, path: &'a [String]) -> (syn::File, Paths<'a>) {
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
