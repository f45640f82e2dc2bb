//! Thin entry point: everything lives in the library so tests can use it.

fn main() -> std::process::ExitCode {
    herald::cli::main()
}
