//! `herald seed`: fills an empty database with realistic benchmark data in
//! bulk through `store::bulk`. Authors, tags and the posts people like and
//! comment on follow Zipf-like distributions; bodies are 0.5–8 KB of
//! Markdown paragraphs over a Zipf vocabulary, so common and rare search
//! terms both exist. Deterministic for a given `--seed`.
//!
//! Everyone's password is `benchpassword`; the first account, `bench`,
//! follows `--follows` authors (the feed probe). Bodies come from a pool of
//! 2,048 texts, each rendered and analysed once; one post in 500 carries a
//! rare marker word (`zqx0` … `zqx996`), added after its analysis.

use std::collections::HashSet;

use anyhow::Context as _;
use chrono::{Duration, Utc};
use rand::rngs::SmallRng;
use rand::{RngExt as _, SeedableRng as _};

use crate::auth::password::PasswordHasher;
use crate::config::Settings;
use crate::content::analysis::Analyzer;
use crate::content::markdown;
use crate::domain::Password;
use crate::domain::Platform;
use crate::store::bulk::{Arg, Loader, Rows};

/// What to generate.
#[derive(Debug, Clone)]
pub struct SeedRequest {
    pub posts: usize,
    pub users: usize,
    pub comments: usize,
    pub likes: usize,
    pub follows: usize,
    pub seed: u64,
}

const TAGS: usize = 200;
/// The post columns loaded; the last (`sort_at`) only where it is not generated.
const POST_COLUMNS: [&str; 21] = [
    "post_id",
    "author_id",
    "slug",
    "title",
    "body",
    "body_html",
    "excerpt",
    "excerpt_given",
    "status",
    "published_at",
    "category_id",
    "tags",
    "platforms",
    "content_type",
    "version",
    "created_at",
    "updated_at",
    "analysis",
    "like_count",
    "comment_count",
    "sort_at",
];
const CATEGORIES: usize = 10;
const BODY_POOL: usize = 2048;
const VOCABULARY: usize = 3000;
const BATCH: usize = 20_000;
/// Words at the head of the vocabulary, so the commonest terms are real words.
const COMMON: [&str; 24] = [
    "the", "and", "of", "to", "in", "is", "that", "for", "it", "with", "as", "on", "data", "rust", "post",
    "team", "build", "fast", "cache", "server", "write", "read", "blog", "social",
];

/// Samples ranks 0..n with probability ∝ 1/(rank+1)^s.
struct Zipf {
    cdf: Vec<f64>,
}

impl Zipf {
    fn new(n: usize, s: f64) -> Zipf {
        let mut total = 0.0;
        let cdf = (0..n.max(1))
            .map(|k| {
                total += 1.0 / ((k + 1) as f64).powf(s);
                total
            })
            .collect::<Vec<_>>();
        Zipf { cdf: cdf.into_iter().map(|c| c / total).collect() }
    }

    fn sample(&self, rng: &mut SmallRng) -> usize {
        let u: f64 = rng.random();
        self.cdf.partition_point(|c| *c < u).min(self.cdf.len() - 1)
    }
}

fn vocabulary(rng: &mut SmallRng) -> Vec<String> {
    const SYLLABLES: [&str; 20] = [
        "ka", "lo", "mi", "ren", "to", "sa", "vel", "qui", "dor", "an", "el", "pra", "nu", "shi", "gar",
        "te", "mo", "lin", "zu", "bri",
    ];
    let mut words: Vec<String> = COMMON.iter().map(|w| (*w).to_owned()).collect();
    let mut seen: HashSet<String> = words.iter().cloned().collect();
    while words.len() < VOCABULARY {
        let parts = rng.random_range(2..4);
        let word: String = (0..parts).map(|_| SYLLABLES[rng.random_range(0..SYLLABLES.len())]).collect();
        if seen.insert(word.clone()) {
            words.push(word);
        }
    }
    words
}

fn sentence(rng: &mut SmallRng, words: &[String], zipf: &Zipf, n: usize) -> String {
    let mut out = String::new();
    for i in 0..n {
        let word = &words[zipf.sample(rng)];
        if i == 0 {
            let mut chars = word.chars();
            if let Some(first) = chars.next() {
                out.extend(first.to_uppercase());
                out.push_str(chars.as_str());
            }
        } else {
            out.push(' ');
            out.push_str(word);
        }
    }
    out.push('.');
    out
}

/// A body of about `size` bytes in paragraphs of sentences.
fn body(rng: &mut SmallRng, words: &[String], zipf: &Zipf, size: usize) -> String {
    let mut text = String::new();
    while text.len() < size {
        if !text.is_empty() {
            text.push_str("\n\n");
        }
        for s in 0..rng.random_range(3..7) {
            if s > 0 {
                text.push(' ');
            }
            let n = rng.random_range(8..20);
            text.push_str(&sentence(rng, words, zipf, n));
        }
    }
    text
}

struct PooledBody {
    body: String,
    html: String,
    excerpt: String,
    analysis: String,
}

fn body_pool(
    rng: &mut SmallRng,
    words: &[String],
    zipf: &Zipf,
    analyzer: &Analyzer,
) -> anyhow::Result<Vec<PooledBody>> {
    (0..BODY_POOL)
        .map(|_| {
            // 0.5–8 KB, most of them short: 512 · 16^(u²).
            let u: f64 = rng.random();
            let size = (512.0 * 16f64.powf(u * u)) as usize;
            let body = body(rng, words, zipf, size);
            let analysis = analyzer.analyze(&markdown::plain_text(&body), &[Platform::Blog]);
            Ok(PooledBody {
                html: markdown::to_safe_html(&body),
                excerpt: markdown::excerpt(&body),
                analysis: serde_json::to_string(&analysis)?,
                body,
            })
        })
        .collect()
}

/// Per-item counts summing to about `total`, Zipf over a scattered
/// popularity order, each at most `cap`.
fn skewed_counts(rng: &mut SmallRng, items: usize, total: usize, cap: u32) -> Vec<u32> {
    let zipf = Zipf::new(items, 0.9);
    let mut counts = vec![0u32; items];
    // A multiplier coprime with `items` scatters popular ranks over ids.
    let stride = (1..items).rev().find(|k| gcd(*k, items) == 1 && *k < items * 2 / 3).unwrap_or(1);
    let mut placed = 0;
    let mut attempts = 0;
    // Draws past an item's cap are drawn again, so the total is reached.
    while placed < total && attempts < total * 4 {
        attempts += 1;
        let rank = zipf.sample(rng);
        let item = rank * stride % items.max(1);
        if counts[item] < cap {
            counts[item] += 1;
            placed += 1;
        }
    }
    counts
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}

pub async fn run(settings: &Settings, request: SeedRequest) -> anyhow::Result<()> {
    let db = crate::store::connect(&settings.database).await?;
    db.migrate().await?;
    let loader = Loader::start(&db).await.context("cannot start loading")?;
    let mut rng = SmallRng::seed_from_u64(request.seed);
    let started = std::time::Instant::now();
    let now = Utc::now();
    let users = request.users.max(2);

    let hasher = PasswordHasher::new(settings.auth.hash)?;
    let password = Password::parse("password", "benchpassword").map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let hash = hasher.hash(&password).await?;
    let accounts = (0..users)
        .map(|i| {
            let name = if i == 0 { "bench".to_owned() } else { format!("user{i}") };
            vec![
                Arg::Int(i as i64 + 1),
                Arg::Text(format!("{name}@bench.invalid")),
                Arg::Text(name),
                Arg::Text(hash.clone()),
                Arg::Text("author".into()),
                Arg::Text(format!("Writer number {i}")),
                Arg::Time(now - Duration::days(2000)),
                Arg::Time(now - Duration::days(2000)),
            ]
        })
        .collect();
    loader
        .insert(Rows {
            table: "account",
            columns: &[
                "account_id",
                "email",
                "username",
                "password_hash",
                "role",
                "bio",
                "created_at",
                "updated_at",
            ],
            values: accounts,
        })
        .await?;
    let categories = (0..CATEGORIES)
        .map(|i| {
            vec![
                Arg::Int(i as i64 + 1),
                Arg::Text(format!("category-{i}")),
                Arg::Text(format!("Category {i}")),
                Arg::Time(now),
                Arg::Time(now),
            ]
        })
        .collect();
    loader
        .insert(Rows {
            table: "category",
            columns: &["category_id", "slug", "name", "created_at", "updated_at"],
            values: categories,
        })
        .await?;
    println!("accounts and categories: {:.1} s", started.elapsed().as_secs_f64());

    let words = vocabulary(&mut rng);
    let word_zipf = Zipf::new(words.len(), 1.0);
    let analyzer = Analyzer::new(settings.content.mastodon_max_chars);
    let pool = body_pool(&mut rng, &words, &word_zipf, &analyzer)?;
    println!("body pool: {:.1} s", started.elapsed().as_secs_f64());

    let drafts = request.posts / 100;
    // Every 101st post is a draft (when there are drafts at all).
    let is_draft = |i: usize| i % 101 == 100 && drafts > 0;
    let all_posts = request.posts + drafts;
    let likes =
        skewed_counts(&mut rng, all_posts, request.likes, u32::try_from(users / 2).unwrap_or(u32::MAX));
    let comments = skewed_counts(&mut rng, all_posts, request.comments, u32::MAX);
    let author_zipf = Zipf::new(users, 1.0);
    let tag_zipf = Zipf::new(TAGS, 1.0);
    let span = Duration::days(5 * 365);
    let first = now - span - Duration::days(1);
    let mut published_at = Vec::with_capacity(all_posts);
    let mut sort_keys = Vec::with_capacity(all_posts);
    for chunk_start in (0..all_posts).step_by(BATCH) {
        let mut posts = Vec::with_capacity(BATCH);
        let mut tags = Vec::with_capacity(BATCH * 3);
        for i in chunk_start..(chunk_start + BATCH).min(all_posts) {
            let id = i as i64 + 1;
            let draft = is_draft(i);
            let author = author_zipf.sample(&mut rng) as i64 + 1;
            let at = first
                + span * i32::try_from(i).unwrap_or(0) / i32::try_from(all_posts).unwrap_or(1)
                + Duration::seconds(rng.random_range(0..3600));
            published_at.push(at);
            let created = at - Duration::seconds(rng.random_range(0..259_200));
            let pooled = &pool[rng.random_range(0..pool.len())];
            let (mut body, mut html) = (pooled.body.clone(), pooled.html.clone());
            if i % 500 == 0 {
                let marker = format!("zqx{}", (i / 500) % 997);
                body.push_str(&format!("\n\nRare marker {marker}."));
                html.push_str(&format!("<p>Rare marker {marker}.</p>\n"));
            }
            let title_words = rng.random_range(4..10);
            let title = sentence(&mut rng, &words, &word_zipf, title_words).trim_end_matches('.').to_owned();
            let slug = format!("{}-{id}", title.to_lowercase().replace(' ', "-"));
            let mut post_tags: Vec<String> = Vec::new();
            for _ in 0..rng.random_range(1..6) {
                let tag = format!("tag{}", tag_zipf.sample(&mut rng));
                if !post_tags.contains(&tag) {
                    post_tags.push(tag);
                }
            }
            post_tags.sort();
            let category = (rng.random_range(0..10) < 7).then(|| rng.random_range(1..=CATEGORIES as i64));
            let (status, published) = if draft { ("draft", None) } else { ("published", Some(at)) };
            let sort_at = published.unwrap_or(created);
            sort_keys.push(sort_at);
            for tag in &post_tags {
                tags.push(vec![Arg::Int(id), Arg::Text(tag.clone()), Arg::Time(sort_at), Arg::Bool(!draft)]);
            }
            posts.push(vec![
                Arg::Int(id),
                Arg::Int(author),
                Arg::Text(slug),
                Arg::Text(title),
                Arg::Text(body),
                Arg::Text(html),
                Arg::Text(pooled.excerpt.clone()),
                Arg::Bool(false),
                Arg::Text(status.into()),
                Arg::OptTime(published),
                Arg::OptInt(category),
                Arg::Text(post_tags.join(",")),
                Arg::Text("blog".into()),
                Arg::Text("article".into()),
                Arg::Int(1),
                Arg::Time(created),
                Arg::Time(sort_at),
                Arg::Text(pooled.analysis.clone()),
                Arg::Int(i64::from(likes[i])),
                Arg::Int(i64::from(comments[i])),
            ]);
            if let Some(row) = posts.last_mut().filter(|_| loader.posts_carry_sort_at()) {
                row.push(Arg::Time(sort_at));
            }
        }
        let columns: &'static [&'static str] = if loader.posts_carry_sort_at() {
            &POST_COLUMNS
        } else {
            &POST_COLUMNS[..POST_COLUMNS.len() - 1]
        };
        loader.insert(Rows { table: "post", columns, values: posts }).await?;
        loader
            .insert(Rows {
                table: "post_tag",
                columns: &["post_id", "tag", "sort_at", "published"],
                values: tags,
            })
            .await?;
        if chunk_start % 200_000 == 0 {
            println!(
                "posts: {} of {all_posts}, {:.1} s",
                chunk_start + BATCH.min(all_posts),
                started.elapsed().as_secs_f64()
            );
        }
    }

    // Follows: the probe follows `follows` authors, drawn by popularity;
    // everyone else up to 20.
    let mut follows = Vec::new();
    for follower in 0..users {
        let wanted = if follower == 0 {
            request.follows.min(users - 1)
        } else {
            rng.random_range(0..21).min(users - 1)
        };
        let mut chosen = HashSet::new();
        while chosen.len() < wanted {
            let followee = author_zipf.sample(&mut rng);
            if followee != follower {
                chosen.insert(followee);
            }
        }
        for followee in chosen {
            follows.push(vec![Arg::Int(follower as i64 + 1), Arg::Int(followee as i64 + 1), Arg::Time(now)]);
        }
    }
    for chunk in follows.chunks(BATCH) {
        loader
            .insert(Rows {
                table: "follow",
                columns: &["follower_id", "followee_id", "created_at"],
                values: chunk.to_vec(),
            })
            .await?;
    }
    println!("follows: {} in {:.1} s", follows.len(), started.elapsed().as_secs_f64());

    // Comments: the counted ones are visible; one in a hundred more is hidden
    // (not counted). A fifth answer an earlier comment on the same post.
    let mut comment_id = 0i64;
    let mut batch = Vec::with_capacity(BATCH);
    for (post, count) in comments.iter().enumerate() {
        let first_of_post = comment_id + 1;
        let hidden_extra = u32::from(*count > 0 && post % 100 == 0);
        for k in 0..(*count + hidden_extra) {
            comment_id += 1;
            let parent =
                (k > 0 && rng.random_range(0..5) == 0).then(|| rng.random_range(first_of_post..comment_id));
            let at = published_at[post] + Duration::minutes(i64::from(k) + 1);
            let n = rng.random_range(6..30);
            batch.push(vec![
                Arg::Int(comment_id),
                Arg::Int(post as i64 + 1),
                Arg::Int(rng.random_range(1..=users as i64)),
                Arg::OptInt(parent),
                Arg::Text(sentence(&mut rng, &words, &word_zipf, n)),
                Arg::Bool(k == *count),
                Arg::Time(at),
                Arg::Time(at),
            ]);
            if batch.len() == BATCH {
                insert_comments(&loader, std::mem::take(&mut batch)).await?;
            }
        }
    }
    insert_comments(&loader, batch).await?;
    println!("comments: {comment_id} in {:.1} s", started.elapsed().as_secs_f64());

    let mut batch = Vec::with_capacity(BATCH);
    let mut total_likes = 0usize;
    for (post, count) in likes.iter().enumerate() {
        // `count` distinct accounts: a random start and a stride coprime with the number of accounts.
        let start = rng.random_range(0..users);
        let stride = loop {
            let s = rng.random_range(1..users);
            if gcd(s, users) == 1 {
                break s;
            }
        };
        for k in 0..*count as usize {
            let account = (start + k * stride) % users;
            batch.push(vec![
                Arg::Int(post as i64 + 1),
                Arg::Int(account as i64 + 1),
                Arg::Time(published_at[post]),
                Arg::Time(sort_keys[post]),
                Arg::Bool(!is_draft(post)),
            ]);
            total_likes += 1;
            if batch.len() == BATCH {
                insert_likes(&loader, std::mem::take(&mut batch)).await?;
            }
        }
    }
    insert_likes(&loader, batch).await?;
    println!("likes: {total_likes} in {:.1} s", started.elapsed().as_secs_f64());

    loader.finish().await?;
    db.close().await;
    println!(
        "seeded {} published posts, {drafts} drafts, {users} accounts, {comment_id} comments, {total_likes} likes in {:.1} s",
        request.posts,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn insert_comments(loader: &Loader, values: Vec<Vec<Arg>>) -> anyhow::Result<()> {
    let columns =
        &["comment_id", "post_id", "author_id", "parent_id", "body", "hidden", "created_at", "updated_at"];
    Ok(loader.insert(Rows { table: "comment", columns, values }).await?)
}

async fn insert_likes(loader: &Loader, values: Vec<Vec<Arg>>) -> anyhow::Result<()> {
    Ok(loader
        .insert(Rows {
            table: "post_like",
            columns: &["post_id", "account_id", "created_at", "sort_at", "published"],
            values,
        })
        .await?)
}
