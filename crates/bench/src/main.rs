//! `bench journal [--events N] ...` or `bench api [--events N] ...`: one JSON object per scenario.

use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of the system allocator: a GraphQL answer is many small allocations, and
/// glibc's malloc and free took about 30% of the server's time on a page of the audit trail
/// (docs/BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    match bench::run(bench::Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: {e}");
            ExitCode::FAILURE
        }
    }
}
