//! `schema.graphql` at the workspace root must equal the schema the code builds
//! (async-graphql's `tests/export_sdl.rs`). After changing the schema, regenerate it with
//! `UPDATE_SCHEMA=1 cargo test -p api --test schema_golden` and commit the file.

use std::path::PathBuf;

fn golden_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schema.graphql")
}

#[test]
fn schema_graphql_is_up_to_date() {
    let path = golden_path();
    let built = api::sdl();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &built).unwrap();
        return;
    }
    let stored = std::fs::read_to_string(&path).unwrap_or_default();
    if stored != built {
        let first_difference = stored
            .lines()
            .zip(built.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| stored.lines().count().min(built.lines().count()))
            + 1;
        panic!(
            "schema.graphql is out of date; rerun with UPDATE_SCHEMA=1 cargo test -p api \
             --test schema_golden (first difference at line {first_difference})"
        );
    }
}
