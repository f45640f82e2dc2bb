//! CPU-bound work (text analysis) on the blocking pool, a few tasks per core
//! at a time.
//!
//! Tokio's blocking pool grows to hundreds of threads: 64 concurrent
//! analyses ran on 64 threads, each with its own allocator heap, which is how
//! a run of `POST /api/v1/analyze` peaked at 840 MB (bench/RESULTS.md). On a
//! 2-core machine the extra threads add no throughput, only memory; queued
//! here, work waits its turn instead. Four slots per core, not one: with one,
//! the hand-offs between a finished task and the next left the cores idle
//! (half the throughput in the benchmark).

use std::sync::Arc;

use tokio::sync::Semaphore;

use super::Error;

/// Four permits per core, shared by every CPU-bound task of the process.
#[derive(Debug, Clone)]
pub struct CpuWork(Arc<Semaphore>);

impl Default for CpuWork {
    fn default() -> Self {
        CpuWork::new(4 * std::thread::available_parallelism().map_or(1, usize::from))
    }
}

impl CpuWork {
    /// At most `slots` tasks at a time.
    pub fn new(slots: usize) -> CpuWork {
        CpuWork(Arc::new(Semaphore::new(slots.max(1))))
    }

    /// Runs `work` on the blocking pool once a slot is free; the slot stays
    /// taken until `work` returns, even if the caller stops waiting.
    pub async fn run<T, F>(&self, work: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let slot = Arc::clone(&self.0).acquire_owned().await.map_err(|err| Error::Internal(err.into()))?;
        tokio::task::spawn_blocking(move || {
            let _slot = slot;
            work()
        })
        .await
        .map_err(|err| Error::Internal(err.into()))
    }

    /// Slots free right now.
    pub fn idle(&self) -> usize {
        self.0.available_permits()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_more_tasks_run_at_once_than_there_are_slots() {
        let cpu = CpuWork::new(2);
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..12)
            .map(|_| {
                let (cpu, running, most) = (cpu.clone(), Arc::clone(&running), Arc::clone(&most));
                tokio::spawn(async move {
                    cpu.run(move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(20));
                        running.fetch_sub(1, Ordering::SeqCst);
                    })
                    .await
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("joins").expect("runs");
        }
        assert_eq!(most.load(Ordering::SeqCst), 2, "two slots, twelve tasks: two at a time");
        assert_eq!(cpu.idle(), 2, "every slot came back");
    }
}
