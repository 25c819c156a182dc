//! The crates depend on each other only as `ARCHITECTURE.md` draws it: its table "crate | depends
//! on" must equal the arrows between workspace crates that `cargo metadata` reads from the
//! manifests (normal, dev and build dependencies alike). A new arrow fails here until the
//! architecture says it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

type Arrows = BTreeMap<String, BTreeSet<String>>;

fn workspace_root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// The arrows the manifests declare between the workspace's own crates.
fn declared() -> Arrows {
    let output = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(workspace_root())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let packages = metadata["packages"].as_array().unwrap();
    let ours: BTreeSet<String> = packages
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect();
    packages
        .iter()
        .map(|p| {
            let name = p["name"].as_str().unwrap().to_string();
            let deps = p["dependencies"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["name"].as_str().unwrap().to_string())
                .filter(|d| ours.contains(d) && *d != name)
                .collect();
            (name, deps)
        })
        .collect()
}

/// The arrows `ARCHITECTURE.md` draws, from its table whose header is `| crate | depends on |`.
fn drawn(architecture: &str) -> Arrows {
    let crate_name = |cell: &str| cell.trim().trim_matches('`').to_string();
    architecture
        .lines()
        .skip_while(|line| line.trim() != "| crate | depends on |")
        .skip(2)
        .take_while(|line| line.starts_with('|'))
        .map(|line| {
            let cells: Vec<&str> = line.trim().trim_matches('|').split('|').collect();
            assert_eq!(cells.len(), 2, "{line}");
            let deps = cells[1]
                .split(',')
                .map(crate_name)
                .filter(|d| !d.is_empty() && d != "—")
                .collect();
            (crate_name(cells[0]), deps)
        })
        .collect()
}

#[test]
fn every_dependency_between_crates_is_drawn_in_the_architecture() {
    let architecture = std::fs::read_to_string(workspace_root().join("ARCHITECTURE.md")).unwrap();
    let drawn = drawn(&architecture);
    assert!(
        !drawn.is_empty(),
        "ARCHITECTURE.md has no table `| crate | depends on |`"
    );
    let declared = declared();
    for (name, deps) in &declared {
        let allowed = drawn
            .get(name)
            .unwrap_or_else(|| panic!("ARCHITECTURE.md draws no row for the crate {name}"));
        let undrawn: Vec<_> = deps.difference(allowed).collect();
        assert!(
            undrawn.is_empty(),
            "{name} depends on {undrawn:?}, which ARCHITECTURE.md does not draw"
        );
        let unused: Vec<_> = allowed.difference(deps).collect();
        assert!(
            unused.is_empty(),
            "ARCHITECTURE.md draws {name} → {unused:?}, which its manifest does not have"
        );
    }
    let rows: BTreeSet<_> = drawn.keys().collect();
    let crates: BTreeSet<_> = declared.keys().collect();
    assert_eq!(
        rows, crates,
        "ARCHITECTURE.md draws crates the workspace does not have"
    );
}

#[test]
fn the_table_reader_reads_arrows_and_none() {
    let text = "intro\n| crate | depends on |\n|---|---|\n| `a` | — |\n| `b` | `a`, `c` |\n\nafter";
    let arrows = drawn(text);
    assert_eq!(arrows["a"], BTreeSet::new());
    assert_eq!(
        arrows["b"],
        BTreeSet::from(["a".to_string(), "c".to_string()])
    );
    assert_eq!(arrows.len(), 2);
}
