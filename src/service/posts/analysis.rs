//! The text analysis stored with each post. It is derived data and takes
//! milliseconds of CPU, so it is not computed in the request that saves a
//! post: the save queues an `analyse_post` job (in its transaction) and the
//! post reads as `analysis_status: pending` until the job has run. Posts
//! stored without an analysis get their job when Herald starts.

use super::super::Error;
use crate::content::markdown;
use crate::domain::Platform;
use crate::domain::PostId;
use crate::domain::change::Change;
use crate::domain::job::NewJob;
use crate::service::Context;
use crate::store::Tx;
use crate::store::{jobs, posts};

/// Queues the analysis of a post's current text (one live job per post).
pub(super) async fn queue(ctx: &Context, tx: &mut Tx, post_id: PostId) -> Result<(), Error> {
    let now = ctx.clock.now();
    jobs::enqueue_later(tx, &NewJob::analyse_post(post_id, now), now);
    Ok(())
}

/// The analysis of a body (as readers see it, without Markdown) against
/// stored platforms, as JSON, computed on the blocking pool.
async fn analysis_json(ctx: &Context, body: &str, platforms: &[Platform]) -> Result<String, Error> {
    let platforms = platforms.to_vec();
    let analyzer = std::sync::Arc::clone(&ctx.analyzer);
    let text = markdown::plain_text(body);
    let analysis = ctx.cpu.run(move || analyzer.analyze(&text, &platforms)).await.map_err(Error::Internal)?;
    serde_json::to_string(&analysis).map_err(|err| Error::Internal(err.into()))
}

/// The `analyse_post` job: analyses the post's current text and stores the
/// result if the post did not change meanwhile (else it reads the new text
/// and tries again). Whether an analysis was stored (`false`: the post is
/// gone). Idempotent: running it twice stores the same analysis.
pub async fn analyse_stored(ctx: &Context, post_id: PostId) -> Result<bool, Error> {
    for _ in 0..5 {
        let Some(text) = posts::text_for_analysis(&ctx.db, post_id).await? else {
            return Ok(false);
        };
        let json = analysis_json(ctx, &text.body, text.platforms.as_slice()).await?;
        if posts::store_analysis(&ctx.db, post_id, text.version, &json).await? {
            ctx.changes.publish(&[Change::Analysed { post: post_id }]).await;
            return Ok(true);
        }
    }
    Err(Error::Conflict { detail: "the post kept changing while it was analysed".to_owned() })
}

/// Queues an analysis job for every post stored without an analysis and
/// without a live job (posts stored before analysis existed, or whose job
/// died); returns how many were queued.
pub async fn queue_missing_analyses(ctx: &Context) -> Result<usize, Error> {
    let mut queued = 0;
    let mut after = PostId::new(0);
    loop {
        let batch = posts::missing_analysis(&ctx.db, after, 500).await?;
        let Some(&last) = batch.last() else {
            return Ok(queued);
        };
        after = last;
        let mut tx = ctx.db.begin().await?;
        for post_id in batch {
            let now = ctx.clock.now();
            if jobs::enqueue(&mut tx, &NewJob::analyse_post(post_id, now), now).await? {
                queued += 1;
            }
        }
        tx.commit().await?;
    }
}
