//! Logs, health and (later) metrics and traces: how operators see inside Herald.

pub mod access_log;
pub mod health;
pub mod logging;
pub mod metrics;
pub mod traces;
