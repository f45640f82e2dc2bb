//! The change feed: services publish what they changed once it is
//! committed; listeners (the response cache) subscribe at start-up. A
//! publish returns when every listener has reacted, so a read that follows
//! a write's response never sees the state from before it.

use std::sync::Arc;

use futures_util::future::BoxFuture;

use crate::domain::change::Change;

/// Reacts to committed changes.
pub trait ChangeListener: Send + Sync {
    fn changed<'a>(&'a self, changes: &'a [Change]) -> BoxFuture<'a, ()>;
}

#[derive(Clone, Default)]
pub struct ChangeFeed {
    /// Shared, so cloning the service context per request copies a pointer.
    listeners: Arc<Vec<Arc<dyn ChangeListener>>>,
}

impl std::fmt::Debug for ChangeFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChangeFeed").field("listeners", &self.listeners.len()).finish()
    }
}

impl ChangeFeed {
    pub fn subscribe(&mut self, listener: Arc<dyn ChangeListener>) {
        Arc::make_mut(&mut self.listeners).push(listener);
    }

    pub async fn publish(&self, changes: &[Change]) {
        if changes.is_empty() {
            return;
        }
        for listener in self.listeners.iter() {
            listener.changed(changes).await;
        }
    }
}
