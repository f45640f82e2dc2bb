//! Herald: a self-hosted backend for blog and social-media posts.
//!
//! Data flows one way: `http` (handlers) and `jobs` (background loops) →
//! `service` (rules, authorisation, on a `service::Context`) → `store` (SQL on
//! SQLite or PostgreSQL). `domain` holds pure types; `config`, `telemetry`
//! and `app` wire it together; `cli` is what `main` runs.

pub mod app;
pub mod auth;
pub mod blocking;
pub mod cache;
pub mod cli;
pub mod cli_admin;
pub mod cli_content;
pub mod cli_jobs;
pub mod cli_keys;
pub mod cli_seed;
pub mod clock;
pub mod config;
pub mod content;
pub mod domain;
pub mod http;
pub mod jobs;
pub mod memory;
pub mod service;
pub mod store;
pub mod studio;
pub mod telemetry;
pub mod tls;
