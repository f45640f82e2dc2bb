//! Choosing a post's slug: the title's, or the first free `-N` after it,
//! safe against concurrent writers choosing from the same title.

use super::super::Error;
use crate::domain::{PostId, Slug};
use crate::store::Tx;
use crate::store::posts;

/// The slug to use: `wanted` if free; otherwise, for a derived slug, the
/// first free `wanted-N`. A slug the client chose must be free as given.
pub(super) async fn free_slug(
    tx: &mut Tx,
    wanted: &Slug,
    post_id: Option<PostId>,
    explicit: bool,
) -> Result<String, Error> {
    posts::lock_slug_base(tx, wanted.as_ref()).await?;
    if !posts::slug_taken(tx, wanted.as_ref(), post_id).await? {
        return Ok(wanted.to_string());
    }
    if explicit {
        return Err(Error::Conflict { detail: "slug: another post uses this slug".to_owned() });
    }
    for n in 2..1000 {
        let candidate = wanted.with_suffix(n);
        if !posts::slug_taken(tx, candidate.as_ref(), post_id).await? {
            return Ok(candidate.to_string());
        }
    }
    Ok(wanted.with_suffix(rand::random_range(1000..u32::MAX)).to_string())
}

/// How often a write is tried when concurrent ones keep taking the slug it
/// chose (possible only between different bases: `foo-2` as a title and as
/// the second `foo`; writers from one base wait for each other).
const SLUG_ATTEMPTS: usize = 5;

pub(super) async fn retry_slug_race<T, Fut>(mut attempt: impl FnMut() -> Fut) -> Result<T, Error>
where
    Fut: Future<Output = Result<T, Error>>,
{
    for _ in 1..SLUG_ATTEMPTS {
        match attempt().await {
            Err(err) if err.is_conflict_on(posts::SLUG_CONFLICT) => {
                metrics::counter!("herald_slug_retries_total").increment(1);
            }
            other => return other,
        }
    }
    attempt().await
}
