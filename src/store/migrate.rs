//! Schema migrations, embedded in the binary: `migrations/sqlite` and
//! `migrations/postgres` carry the same versions and names (a test checks it).

use sqlx::migrate::{Migrate as _, Migrator};

use super::{Db, StoreError};

pub(super) static SQLITE: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("./migrations/postgres");

/// One migration, as reported by `herald migrate` and `/health/ready`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationInfo {
    pub version: i64,
    pub description: String,
}

/// How far the database schema is from what this binary expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaStatus {
    pub applied: usize,
    pub pending: Vec<MigrationInfo>,
}

impl Db {
    fn migrator(&self) -> &'static Migrator {
        match self {
            Db::Sqlite { .. } => &SQLITE,
            Db::Postgres(_) => &POSTGRES,
        }
    }

    /// Lists what is applied and what is still pending, without changing
    /// anything. Fails if the database has never been migrated.
    pub async fn schema_status(&self) -> Result<SchemaStatus, StoreError> {
        let table = &self.migrator().table_name;
        let applied = on_pool!(self, read, |pool| { pool.list_applied_migrations(table).await? });
        let pending = self
            .migrator()
            .iter()
            .filter(|m| m.migration_type.is_up_migration())
            .filter(|m| !applied.iter().any(|a| a.version == m.version))
            .map(|m| MigrationInfo { version: m.version, description: m.description.to_string() })
            .collect();
        Ok(SchemaStatus { applied: applied.len(), pending })
    }

    /// Applies pending migrations and returns the ones it applied, in order.
    pub async fn migrate(&self) -> Result<Vec<MigrationInfo>, StoreError> {
        let table = &self.migrator().table_name;
        on_pool!(self, write, |pool| {
            pool.ensure_migrations_table(table).await?;
        });
        let before = self.schema_status().await?;
        on_pool!(self, write, |pool| self.migrator().run(pool).await)?;
        Ok(before.pending)
    }
}

/// The embedded migrations of each backend (SQLite, PostgreSQL), for the
/// test that keeps the two folders in step.
pub fn embedded() -> [Vec<MigrationInfo>; 2] {
    let list = |m: &Migrator| {
        m.iter()
            .map(|m| MigrationInfo { version: m.version, description: m.description.to_string() })
            .collect()
    };
    [list(&SQLITE), list(&POSTGRES)]
}
