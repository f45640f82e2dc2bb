//! Black-box tests of Herald over real HTTP: one test binary, one module per
//! capability. Database-backed tests run on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod accounts;
mod analysis;
mod analytics;
mod analytics_durability;
mod api_keys;
mod cache;
mod cli;
mod comments;
mod connections;
mod counts;
mod errors;
mod event_stream;
mod events;
mod fake_llm;
mod generation;
mod health;
mod hostile_input;
mod invalidation;
mod jobs;
mod listing;
mod migrations;
mod nats;
mod observability;
mod posts;
mod protection;
mod readme;
mod realworld;
mod realworld_sessions;
mod receiver;
mod redis_tls;
mod roles;
mod search;
mod sessions;
mod shutdown;
mod signing_keys;
mod social;
mod storage;
mod studio;
mod traces;
mod webhook_recovery;
mod webhooks;
mod workflow;
