//! Thin entry point: everything lives in the library so tests can use it.

/// mimalloc instead of glibc's allocator: over the benchmark suite it served
/// cached reads and engagement ingestion 15–30 % faster and peaked at three
/// quarters of the memory (glibc keeps a fragmented arena per busy thread);
/// bench/RESULTS.md has the A/B.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    herald::cli::main()
}
