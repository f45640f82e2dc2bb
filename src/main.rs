//! Thin entry point: everything lives in the library so tests can use it.

/// mimalloc instead of glibc's allocator: over the benchmark suite it served
/// cached reads and engagement ingestion 15–30 % faster and peaked at three
/// quarters of the memory (glibc keeps a fragmented arena per busy thread);
/// bench/RESULTS.md has the A/B.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Memory settings (herald::memory) made before Rust's runtime allocates
/// for the first time, which it does before `main`: a constructor, run by
/// the loader after mimalloc's own (a prioritised one) and before `main`.
#[cfg(target_os = "linux")]
#[used]
#[allow(unsafe_code)]
#[unsafe(link_section = ".init_array")]
static HOLD_ONLY_WHAT_IS_USED: extern "C" fn() = herald::memory::hold_only_what_is_used;

fn main() -> std::process::ExitCode {
    herald::cli::main()
}
