//! Logs, health and (later) metrics and traces: how operators see inside Herald.

pub mod health;
pub mod logging;
pub mod metrics;
