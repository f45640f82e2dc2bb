//! Blocking work on threads of its own, a bounded number of tasks at a time.
//!
//! Tokio's blocking pool grows to hundreds of threads: 64 concurrent
//! analyses ran on 64 threads, each with its own allocator heap, which is how
//! a run of `POST /api/v1/analyze` peaked at 840 MB (bench/RESULTS.md), and
//! each concurrent password hash holds argon2's work area (7 MiB by
//! default). Past a few tasks per core more threads add no throughput, only
//! memory; work beyond the bound waits its turn. Even bounded, the blocking
//! pool kept three times the bound in threads (a thread hands its slot back
//! just before it is idle again, so the next task often got a new one), each
//! holding on to its heap's pages; so each bound has its threads, started as
//! they are first needed and never more than its slots.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Context as _;
use tokio::sync::Semaphore;

type Job = Box<dyn FnOnce() + Send>;

/// A bound on blocking tasks and the threads that run them, shared by its
/// clones; the threads end when the last clone is dropped.
#[derive(Debug, Clone)]
pub struct Bounded(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    slots: Arc<Semaphore>,
    limit: usize,
    jobs: crossbeam_channel::Sender<Job>,
    queue: crossbeam_channel::Receiver<Job>,
    threads: AtomicUsize,
}

impl Bounded {
    /// At most `slots` tasks at a time.
    pub fn new(slots: usize) -> Bounded {
        let limit = slots.max(1);
        let (jobs, queue) = crossbeam_channel::unbounded();
        Bounded(Arc::new(Inner {
            slots: Arc::new(Semaphore::new(limit)),
            limit,
            jobs,
            queue,
            threads: AtomicUsize::new(0),
        }))
    }

    /// At most `per_core` tasks per core of the machine at a time.
    pub fn per_core(per_core: usize) -> Bounded {
        Bounded::new(per_core * std::thread::available_parallelism().map_or(1, usize::from))
    }

    /// Runs `work` on one of the bound's threads once a slot is free; the
    /// slot stays taken until `work` returns, even if the caller stops
    /// waiting. A panic in `work` is an error here, and the thread lives on.
    pub async fn run<T, F>(&self, work: F) -> anyhow::Result<T>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let slot = Arc::clone(&self.0.slots).acquire_owned().await.context("blocking work bound closed")?;
        self.0.start_thread_if_needed()?;
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let outcome = std::panic::catch_unwind(AssertUnwindSafe(work));
            drop(slot);
            let _ = done.send(outcome);
        });
        self.0.jobs.send(job).ok().context("blocking threads gone")?;
        match result.await.context("blocking task dropped")? {
            Ok(value) => Ok(value),
            Err(_) => anyhow::bail!("blocking task panicked"),
        }
    }

    /// Threads started so far.
    pub fn threads(&self) -> usize {
        self.0.threads.load(Ordering::Acquire)
    }

    /// Slots free right now.
    pub fn idle(&self) -> usize {
        self.0.slots.available_permits()
    }

    /// Takes every slot until the permit is dropped: tests see work wait.
    #[cfg(test)]
    pub(crate) async fn occupy(&self) -> tokio::sync::OwnedSemaphorePermit {
        let slots = u32::try_from(self.idle()).expect("few slots");
        Arc::clone(&self.0.slots).acquire_many_owned(slots).await.expect("open")
    }
}

impl Inner {
    /// One more thread while there are fewer than slots and every thread
    /// may be busy: the caller holds a slot, so at most `limit` run.
    fn start_thread_if_needed(&self) -> anyhow::Result<()> {
        loop {
            let busy = self.limit - self.slots.available_permits();
            let started = self.threads.load(Ordering::Acquire);
            if started >= busy {
                return Ok(());
            }
            if self
                .threads
                .compare_exchange(started, started + 1, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                break;
            }
        }
        let queue = self.queue.clone();
        let spawned = std::thread::Builder::new().name("herald-blocking".to_owned()).spawn(move || {
            while let Ok(job) = queue.recv() {
                job();
            }
        });
        if let Err(err) = spawned {
            self.threads.fetch_sub(1, Ordering::AcqRel);
            return Err(err).context("starting a blocking thread");
        }
        Ok(())
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
        assert_eq!(bound.threads(), 2, "on two threads, kept for the next tasks");
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

    #[tokio::test]
    async fn a_panic_in_the_work_is_an_error_and_the_thread_serves_on() {
        let bound = Bounded::new(1);
        assert!(bound.run(|| panic!("bad input")).await.is_err());
        assert_eq!(bound.run(|| 7).await.expect("runs"), 7);
        assert_eq!((bound.threads(), bound.idle()), (1, 1));
    }
}
