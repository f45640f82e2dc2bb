//! The tags cached responses depend on, and the tags a change invalidates.
//! One vocabulary for both sides: handlers say what a response shows (this
//! post, the authors' profiles, the listing of this tag), writes say what
//! they changed, and only the responses that share a tag are reloaded.
//!
//! A listing depends on its scope (everything, an author, a tag, a
//! category) for membership and order, and on each post it shows for their
//! content. A new post therefore reloads the first pages that can contain
//! it, while a like reloads the post and only the pages showing it.

use crate::domain::PostId;
use crate::domain::change::{Change, Listed};

/// Every entry depends on it: bumped when a change is too wide to list.
pub const EVERYTHING: &str = "*";
/// What a response depends on when its handler declared nothing: any write.
pub const WRITES: &str = "writes";
/// Unfiltered listings (and searches, whose matches any post can join).
pub const LIST: &str = "list";
/// Listings ordered by something edits change (update time, title) and searches.
pub const EDITS: &str = "edits";
/// Every embedded author profile (name, bio, image).
pub const USERS: &str = "users";
/// Category names and counts.
pub const CATEGORIES: &str = "categories";
/// The tag list and its counts.
pub const TAGS: &str = "tags";
/// "Favourited by" listings.
pub const LIKES: &str = "likes";

pub fn post(id: PostId) -> String {
    format!("post:{id}")
}

/// A post's text analysis, which only the v1 single-post view shows.
pub fn analysis(post: PostId) -> String {
    format!("analysis:{post}")
}

pub fn comments(post: PostId) -> String {
    format!("comments:{post}")
}

pub fn profile(username: &str) -> String {
    format!("profile:{}", username.to_lowercase())
}

pub fn author_list(username: &str) -> String {
    format!("list:author:{}", username.to_lowercase())
}

pub fn tag_list(tag: &str) -> String {
    format!("list:tag:{tag}")
}

pub fn category_list(slug: &str) -> String {
    format!("list:category:{slug}")
}

/// The dependencies of a response, declared by its handler and kept with it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CacheTags(pub Vec<String>);

/// The scope tags a public post belongs to.
fn scopes(listed: &Listed, out: &mut Vec<String>) {
    out.push(author_list(&listed.author));
    out.extend(listed.tags.iter().map(|t| tag_list(t)));
    if let Some(category) = &listed.category {
        out.push(category_list(category));
    }
}

/// Every tag invalidated by `changes`, without repeats.
pub fn invalidated_by(changes: &[Change]) -> Vec<String> {
    let mut out = vec![WRITES.to_owned()];
    for change in changes {
        match change {
            Change::Post { id, before, after } => {
                out.push(post(*id));
                let before = before.as_ref().filter(|l| l.public);
                let after = after.as_ref().filter(|l| l.public);
                if before.is_some() || after.is_some() {
                    out.push(EDITS.to_owned());
                }
                if before != after {
                    out.extend([LIST, TAGS, CATEGORIES].map(str::to_owned));
                    for listed in [before, after].into_iter().flatten() {
                        scopes(listed, &mut out);
                    }
                }
            }
            Change::Liked { post: id } => out.extend([post(*id), LIKES.to_owned()]),
            Change::Analysed { post: id } => out.push(analysis(*id)),
            Change::Comments { post: id } => out.extend([post(*id), comments(*id)]),
            Change::Profile { old_username, new_username } => {
                out.push(USERS.to_owned());
                for name in [old_username, new_username] {
                    out.extend([profile(name), author_list(name)]);
                }
            }
            Change::Follow { follower, followee } => out.extend([profile(follower), profile(followee)]),
            Change::Category { old_slug, new_slug } => {
                out.push(CATEGORIES.to_owned());
                out.extend([old_slug, new_slug].into_iter().flatten().map(|s| category_list(s)));
            }
            Change::Everything => out.push(EVERYTHING.to_owned()),
        }
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    fn listed(public: bool, tags: &[&str]) -> Listed {
        Listed {
            public,
            author: "ada".into(),
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            category: None,
            sort_at: Utc::now(),
        }
    }

    #[test]
    fn editing_a_draft_touches_only_that_post() {
        let change = Change::Post {
            id: PostId::new(7),
            before: Some(listed(false, &["a"])),
            after: Some(listed(false, &["b"])),
        };
        assert_eq!(invalidated_by(&[change]), vec!["post:7", "writes"]);
    }

    #[test]
    fn publishing_reaches_the_listings_that_can_show_the_post() {
        let change = Change::Post {
            id: PostId::new(7),
            before: Some(listed(false, &["a"])),
            after: Some(listed(true, &["b"])),
        };
        let tags = invalidated_by(&[change]);
        for tag in ["list", "list:tag:b", "list:author:ada", "tags", "post:7", "edits"] {
            assert!(tags.contains(&tag.to_owned()), "{tag} in {tags:?}");
        }
        assert!(!tags.contains(&"list:tag:a".to_owned()), "the draft was in no listing");
    }

    #[test]
    fn retitling_a_public_post_keeps_its_listings() {
        let before = listed(true, &["a"]);
        let change = Change::Post { id: PostId::new(7), before: Some(before.clone()), after: Some(before) };
        let tags = invalidated_by(&[change]);
        assert!(tags.contains(&"post:7".to_owned()) && tags.contains(&"edits".to_owned()));
        assert!(!tags.contains(&"list".to_owned()) && !tags.contains(&"list:tag:a".to_owned()));
    }

    #[test]
    fn a_stored_analysis_reloads_only_the_views_that_show_it() {
        assert_eq!(
            invalidated_by(&[Change::Analysed { post: PostId::new(4) }]),
            vec!["analysis:4", "writes"]
        );
    }

    #[test]
    fn a_like_reloads_the_post_not_the_listings() {
        assert_eq!(
            invalidated_by(&[Change::Liked { post: PostId::new(3) }]),
            vec!["likes", "post:3", "writes"]
        );
    }
}
