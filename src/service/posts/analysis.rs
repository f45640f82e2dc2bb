//! The text analysis stored with each post: computed on save, and filled in
//! the background for posts stored before analysis existed.

use super::super::Error;
use crate::content::markdown;
use crate::domain::{Platform, PostFields, PostId};
use crate::service::Context;
use crate::store::posts;

/// Stores the analysis of the post's text checked against its platforms.
pub(super) async fn analyse(ctx: &Context, fields: &mut PostFields) -> Result<(), Error> {
    fields.analysis = Some(analysis_json(ctx, &fields.body, fields.platforms.as_slice()).await?);
    Ok(())
}

/// The analysis of a body (as readers see it, without Markdown) against
/// stored platforms, as JSON. Long bodies take milliseconds of CPU, so it
/// runs on the blocking pool.
async fn analysis_json(ctx: &Context, body: &str, platforms: &[Platform]) -> Result<String, Error> {
    let platforms = platforms.to_vec();
    let analyzer = std::sync::Arc::clone(&ctx.analyzer);
    let text = markdown::plain_text(body);
    let analysis = tokio::task::spawn_blocking(move || analyzer.analyze(&text, &platforms))
        .await
        .map_err(|err| Error::Internal(err.into()))?;
    serde_json::to_string(&analysis).map_err(|err| Error::Internal(err.into()))
}

/// One round of the backfill: how many posts got their analysis, and the
/// id to continue after (`None`: nothing was left).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backfilled {
    pub filled: usize,
    pub next_after: Option<PostId>,
}

/// Analyses up to `batch` posts stored without an analysis (before the
/// feature existed) with ids after `after_id`. A post that cannot be
/// analysed is logged and skipped, so one bad row never stalls the rest.
pub async fn backfill_analysis(ctx: &Context, after_id: PostId, batch: i64) -> Result<Backfilled, Error> {
    let rows = posts::missing_analysis(&ctx.db, after_id, batch).await?;
    let mut filled = 0;
    for post in &rows {
        let outcome = match analysis_json(ctx, &post.body, post.platforms.as_slice()).await {
            Ok(json) => posts::fill_analysis(&ctx.db, post.post_id, &json).await.map_err(Error::from),
            Err(err) => Err(err),
        };
        match outcome {
            Ok(true) => filled += 1,
            Ok(false) => {}
            Err(err) => {
                tracing::warn!(post_id = %post.post_id, error = %err, "could not analyse a stored post");
            }
        }
    }
    Ok(Backfilled { filled, next_after: rows.last().map(|post| post.post_id) })
}
