//! Finding and reading the channels' published specifications in `../shared/specs` (beside the
//! repository, as CI lays it out). A missing directory fails loudly: the conformance test never
//! passes by checking nothing.

use std::path::{Path, PathBuf};

use serde_json::Value;

/// `../shared/specs` from the workspace root, or `SWITCHYARD_SPECS` when set.
pub fn dir() -> PathBuf {
    if let Ok(dir) = std::env::var("SWITCHYARD_SPECS") {
        return PathBuf::from(dir);
    }
    // connectors/ → workspace root → its parent holds shared/.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the connectors crate lives in the workspace");
    root.join("../shared/specs")
}

/// The specs directory, checked to hold what the test reads (panics naming what is missing).
pub fn require() -> PathBuf {
    let dir = dir();
    assert!(
        dir.join("SOURCES.md").is_file(),
        "conformance: the channels' published specifications are missing: expected {} \
         (shared/ beside the repository, or SWITCHYARD_SPECS=<dir>); refusing to pass without them",
        dir.display()
    );
    dir
}

/// A JSON or YAML document, read into JSON values.
pub fn load(dir: &Path, relative: &str) -> Value {
    let path = dir.join(relative);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("conformance: cannot read spec {}: {e}", path.display()));
    if relative.ends_with(".json") {
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("conformance: {} is not JSON: {e}", path.display()))
    } else {
        serde_saphyr::from_str(&text)
            .unwrap_or_else(|e| panic!("conformance: {} is not YAML: {e}", path.display()))
    }
}

/// Text of a spec file (GraphQL SDL, WooCommerce's Markdown).
pub fn text(dir: &Path, relative: &str) -> String {
    let path = dir.join(relative);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("conformance: cannot read spec {}: {e}", path.display()))
}
