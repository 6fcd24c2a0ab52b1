//! Work done after the answer: a request that must not reveal, by how long
//! it takes, what it found (forgotten passwords) answers first and does the
//! rest here. Tasks run on the worker's runtime; failures go to the log.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Tracks background tasks so tests and shutdown can wait for them.
#[derive(Debug, Clone, Default)]
pub struct Background {
    in_flight: Arc<AtomicUsize>,
}

struct Running(Arc<AtomicUsize>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Background {
    /// Runs `task` after the current request, on this worker.
    pub fn spawn(&self, task: impl Future<Output = ()> + 'static) {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        let running = Running(Arc::clone(&self.in_flight));
        actix_web::rt::spawn(async move {
            task.await;
            drop(running);
        });
    }

    /// Counts work handed elsewhere (a queue drained by a task) as
    /// running until the returned guard is dropped, so [`Self::idle`]
    /// waits for it too.
    pub fn track(&self) -> Tracked {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        Tracked(Arc::clone(&self.in_flight))
    }

    /// Waits until no task is running.
    pub async fn idle(&self) {
        while self.in_flight.load(Ordering::SeqCst) > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
    }
}

/// Work done after the answer elsewhere than in [`Background::spawn`],
/// counted until dropped.
#[must_use]
#[derive(Debug)]
pub struct Tracked(Arc<AtomicUsize>);

impl Drop for Tracked {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}
