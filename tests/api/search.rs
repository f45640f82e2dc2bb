//! Full-text search: ranked, with safe highlighted snippets, current the
//! moment a write returns.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, both_backends};

fn titles(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|p| p["title"].as_str().unwrap().to_owned()).collect()
}

both_backends!(a_post_is_findable_right_after_creation_and_not_after_deletion, |backend| {
    let app = TestApp::spawn(backend).await;
    let author = app.register("searcher").await;
    let post = app
        .create_post(
            &author,
            json!({"title": "Quokka sightings", "body": "A marsupial from Rottnest.", "publish": true}),
        )
        .await;
    let (_, page) = app.get_as("/api/v1/posts?q=rottnest", None).await;
    assert_eq!(titles(&page), ["Quokka sightings"]);

    let path = format!("/api/v1/posts/{}", post["id"]);
    app.request(Method::PATCH, &path, &author.access)
        .json(&json!({"body": "Now about wombats."}))
        .send()
        .await
        .unwrap();
    let (_, page) = app.get_as("/api/v1/posts?q=rottnest", None).await;
    assert!(titles(&page).is_empty(), "the index follows edits");
    let (_, page) = app.get_as("/api/v1/posts?q=wombats", None).await;
    assert_eq!(titles(&page), ["Quokka sightings"]);

    app.request(Method::DELETE, &path, &author.access).send().await.unwrap();
    let (_, page) = app.get_as("/api/v1/posts?q=wombats", None).await;
    assert!(titles(&page).is_empty(), "deleted posts are gone from search");
});

both_backends!(results_are_ranked_and_snippets_are_escaped_with_marked_matches, |backend| {
    let app = TestApp::spawn(backend).await;
    let author = app.register("ranker").await;
    app.create_post(
        &author,
        json!({"title": "Gardening", "body": "Tomatoes, and once a mention of compost.", "publish": true}),
    )
    .await;
    app.create_post(
        &author,
        json!({"title": "Compost compost", "body": "All about compost: <b>compost</b> heaps and compost bins.",
               "tags": ["compost"], "publish": true}),
    )
    .await;
    app.create_post(&author, json!({"title": "Unrelated", "body": "Nothing here.", "publish": true})).await;
    app.create_post(&author, json!({"title": "Draft compost", "body": "compost compost compost"})).await;

    let (status, page) = app.get_as("/api/v1/posts?q=compost&include_total=true", None).await;
    assert_eq!(status, 200);
    assert_eq!(titles(&page), ["Compost compost", "Gardening"], "best match first; drafts stay private");
    assert_eq!(page["total"], 2);
    let snippet = page["items"][0]["snippet"].as_str().unwrap();
    assert!(snippet.contains("<mark>compost</mark>"), "{snippet}");
    assert!(!snippet.contains("<b>"), "user HTML is escaped in snippets: {snippet}");

    let (_, page) = app.get_as("/api/v1/posts?q=%22%3A%20OR%20*%20(", None).await;
    assert!(titles(&page).is_empty(), "operators in user input are plain text, not errors");
    let (_, page) = app.get_as("/api/v1/posts?q=compost&sort=title&order=asc", None).await;
    assert_eq!(titles(&page), ["Compost compost", "Gardening"], "search can be sorted otherwise");
    for item in page["items"].as_array().unwrap() {
        let snippet = item["snippet"].as_str().unwrap_or_default();
        assert!(
            snippet.contains("<mark>compost</mark>"),
            "every result is highlighted, in any order: {item}"
        );
    }
});

both_backends!(search_results_page_with_a_cursor, |backend| {
    let app = TestApp::spawn(backend).await;
    let author = app.register("pager").await;
    for i in 0..5 {
        app.create_post(
            &author,
            json!({"title": format!("Kelp {i}"), "body": "kelp forest", "publish": true}),
        )
        .await;
    }
    let mut seen = Vec::new();
    let mut path = "/api/v1/posts?q=kelp&limit=2".to_owned();
    loop {
        let (_, page) = app.get_as(&path, None).await;
        seen.extend(titles(&page));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/posts?q=kelp&limit=2&cursor={cursor}"),
            None => break,
        }
    }
    seen.sort();
    assert_eq!(seen, ["Kelp 0", "Kelp 1", "Kelp 2", "Kelp 3", "Kelp 4"]);
});

both_backends!(a_match_in_the_title_outranks_a_newer_match_in_the_body, |backend| {
    let app = TestApp::spawn(backend).await;
    let author = app.register("weigher").await;
    app.create_post(
        &author,
        json!({"title": "Sourdough basics", "body": "Flour, water, salt.", "publish": true}),
    )
    .await;
    app.create_post(
        &author,
        json!({"title": "Weekend", "body": "Baked bread again, a sourdough loaf this time.", "publish": true}),
    )
    .await;
    let (_, page) = app.get_as("/api/v1/posts?q=sourdough", None).await;
    assert_eq!(titles(&page), ["Sourdough basics", "Weekend"]);
});

both_backends!(a_snippet_is_the_words_around_the_match_and_the_same_on_both_databases, |backend| {
    let app = TestApp::spawn(backend).await;
    let author = app.register("snipper").await;
    let body = format!(
        "{} The **axolotl** keeps its gills\n\nall its life. {}",
        "Filler words come first. ".repeat(20),
        "More filler follows. ".repeat(20)
    );
    app.create_post(&author, json!({"title": "Amphibians", "body": body, "publish": true})).await;
    let (_, page) = app.get_as("/api/v1/posts?q=Axolotl", None).await;
    assert_eq!(
        page["items"][0]["snippet"],
        "…words come first. The **<mark>axolotl</mark>** keeps its gills all its life. More filler \
         follows. More filler follows. More filler follows. More filler follows. More…",
        "a few words before the match, 24 words in all, white space as single spaces"
    );
    assert!(page["items"][0].get("body").is_none(), "results carry the snippet, not the body");
});

both_backends!(a_match_past_the_first_32_kb_is_found_and_its_snippet_shows_the_start, |backend| {
    let app = TestApp::spawn(backend).await;
    let author = app.register("longform").await;
    let body = format!("Opening words here. {} The pangolin at last.", "Plain filler text. ".repeat(2_000));
    app.create_post(&author, json!({"title": "Long read", "body": body, "publish": true})).await;
    let (_, page) = app.get_as("/api/v1/posts?q=pangolin", None).await;
    assert_eq!(titles(&page), ["Long read"], "the database searches the whole body");
    let snippet = page["items"][0]["snippet"].as_str().unwrap();
    assert!(snippet.starts_with("Opening words here. Plain filler text."), "{snippet}");
    assert!(
        !snippet.contains("<mark>") && snippet.ends_with('…'),
        "a snippet reads a bounded prefix: {snippet}"
    );
});
