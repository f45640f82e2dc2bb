//! Blocking work on tokio's pool, a bounded number of tasks at a time.
//!
//! Tokio's blocking pool grows to hundreds of threads: 64 concurrent
//! analyses ran on 64 threads, each with its own allocator heap, which is how
//! a run of `POST /api/v1/analyze` peaked at 840 MB (bench/RESULTS.md), and
//! each concurrent password hash holds argon2's work area (7 MiB by
//! default). Past a few tasks per core more threads add no throughput, only
//! memory; work beyond the bound waits its turn.

use std::sync::Arc;

use anyhow::Context as _;
use tokio::sync::Semaphore;

/// A bound on blocking tasks, shared by its clones.
#[derive(Debug, Clone)]
pub struct Bounded(Arc<Semaphore>);

impl Bounded {
    /// At most `slots` tasks at a time.
    pub fn new(slots: usize) -> Bounded {
        Bounded(Arc::new(Semaphore::new(slots.max(1))))
    }

    /// At most `per_core` tasks per core of the machine at a time.
    pub fn per_core(per_core: usize) -> Bounded {
        Bounded::new(per_core * std::thread::available_parallelism().map_or(1, usize::from))
    }

    /// Runs `work` on the blocking pool once a slot is free; the slot stays
    /// taken until `work` returns, even if the caller stops waiting.
    pub async fn run<T, F>(&self, work: F) -> anyhow::Result<T>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let slot = Arc::clone(&self.0).acquire_owned().await.context("blocking work bound closed")?;
        tokio::task::spawn_blocking(move || {
            let _slot = slot;
            work()
        })
        .await
        .context("blocking task failed")
    }

    /// Slots free right now.
    pub fn idle(&self) -> usize {
        self.0.available_permits()
    }

    /// Takes every slot until the permit is dropped: tests see work wait.
    #[cfg(test)]
    pub(crate) async fn occupy(&self) -> tokio::sync::OwnedSemaphorePermit {
        let slots = u32::try_from(self.idle()).expect("few slots");
        Arc::clone(&self.0).acquire_many_owned(slots).await.expect("open")
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_more_tasks_run_at_once_than_there_are_slots() {
        let bound = Bounded::new(2);
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..12)
            .map(|_| {
                let (bound, running, most) = (bound.clone(), Arc::clone(&running), Arc::clone(&most));
                tokio::spawn(async move {
                    bound
                        .run(move || {
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
        assert_eq!(bound.idle(), 2, "every slot came back");
    }

    #[tokio::test]
    async fn work_waits_while_every_slot_is_taken() {
        let bound = Bounded::new(3);
        let busy = bound.occupy().await;
        let waiting = tokio::time::timeout(Duration::from_millis(200), bound.run(|| 7)).await;
        assert!(waiting.is_err(), "work ran although every slot was taken");
        drop(busy);
        assert_eq!(bound.run(|| 7).await.expect("runs"), 7);
        assert_eq!(bound.idle(), 3);
    }
}
