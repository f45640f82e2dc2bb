//! Upkeep of the database itself, run by a background job.

use super::{Context, Error};

/// Refreshes the query planner's statistics, so plans follow the data as it
/// grows (a database filled through the API starts with none).
pub async fn refresh_planner_statistics(ctx: &Context) -> Result<(), Error> {
    ctx.db.refresh_statistics().await?;
    Ok(())
}
