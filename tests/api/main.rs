//! Black-box tests of Herald over real HTTP: one test binary, one module per
//! capability. Database-backed tests run on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod accounts;
mod api_keys;
mod cli;
mod errors;
mod health;
mod listing;
mod migrations;
mod posts;
mod readme;
mod roles;
mod sessions;
mod shutdown;
mod storage;
mod workflow;
