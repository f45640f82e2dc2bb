//! How the process holds its memory: two settings made before `main`
//! (`src/main.rs` runs [`hold_only_what_is_used`] as a constructor, because
//! Rust's runtime allocates before `main`, and that first allocation reserves
//! mimalloc's arena with the options it finds then).
//!
//! Both exist for one measurement (bench/RESULTS.md, "Memory the allocator
//! kept"): over the load suite, peak RSS was 200-218 MB with neither, 127 MB
//! with huge pages off, 109 MB with the arena committed as used and
//! 110-136 MB with both. Huge pages are turned off as well because SQLite's
//! page caches live in the C library's heaps, which the arena option does
//! not reach.
//!
//! The one module allowed `unsafe` (Cargo.toml denies it elsewhere): two
//! foreign calls no safe API offers.
#![allow(unsafe_code)]

/// `mi_option_arena_eager_commit` in mimalloc v3's `mimalloc.h`: the crate
/// names only the stable options, and takes the others by number. The
/// number belongs to the pinned `libmimalloc-sys` version (Cargo.toml);
/// `the_option_number_is_the_arena_commit_option` checks it.
const ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;

/// Applies both settings; an operator's `MIMALLOC_ARENA_EAGER_COMMIT`
/// still wins over ours. `extern "C"` to run as a constructor.
pub extern "C" fn hold_only_what_is_used() {
    // A failure leaves the kernel's default in place: worth a line, not a
    // refusal to start (nor a panic, which cannot unwind out of here).
    if let Err(err) = without_huge_pages() {
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), "herald: transparent huge pages stay on: {err}");
    }
    if std::env::var_os("MIMALLOC_ARENA_EAGER_COMMIT").is_none() {
        commit_arena_as_used();
    }
}

/// Turns transparent huge pages off for this process.
///
/// Where the kernel backs anonymous memory with 2 MiB pages whenever it can
/// (`/sys/kernel/mm/transparent_hugepage/enabled` = `always`, as on this
/// project's machines and several distributions' defaults), every 2 MiB
/// stretch of the allocator's arena or of SQLite's heaps that holds a few
/// live objects costs 2 MiB of RSS, and a freed slice inside it is not given
/// back. Herald's heap is small, so huge pages save it few TLB misses.
#[cfg(target_os = "linux")]
pub fn without_huge_pages() -> std::io::Result<()> {
    // SAFETY: PR_SET_THP_DISABLE takes one integer argument and the
    // unused ones as zero (prctl(2)); it changes no memory of ours.
    let done = unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) };
    if done == 0 { Ok(()) } else { Err(std::io::Error::last_os_error()) }
}

#[cfg(not(target_os = "linux"))]
pub fn without_huge_pages() -> std::io::Result<()> {
    Ok(())
}

/// Has mimalloc commit its arena's pages as it hands them out rather than
/// the whole 1 GiB arena at once (its default where the OS overcommits).
/// Committed at once, the arena is one mapping the kernel fills with huge
/// pages, and the slices mimalloc frees stay resident.
fn commit_arena_as_used() {
    // SAFETY: mi_option_set only stores the value; the arena option is read
    // when the next arena is reserved. Called before any thread but the
    // first exists, so nothing reads it concurrently (the function is not
    // thread-safe).
    unsafe { libmimalloc_sys::mi_option_set(ARENA_EAGER_COMMIT, 0) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_option_number_is_the_arena_commit_option() {
        // Its documented default, 2 ("only where the OS overcommits"), is a
        // value no neighbouring option has (they are on/off flags), so a
        // renumbering in a new mimalloc shows here. Nothing in this process
        // has set it (nextest runs each test alone).
        if std::env::var_os("MIMALLOC_ARENA_EAGER_COMMIT").is_none() {
            // SAFETY: reads a stored value.
            assert_eq!(unsafe { libmimalloc_sys::mi_option_get(ARENA_EAGER_COMMIT) }, 2);
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn huge_pages_are_off_for_the_process_afterwards() {
        without_huge_pages().expect("prctl");
        let status = std::fs::read_to_string("/proc/self/status").expect("status");
        let line = status.lines().find(|l| l.starts_with("THP_enabled:")).expect("THP_enabled line");
        assert_eq!(line.split_whitespace().nth(1), Some("0"), "{line}");
    }
}
