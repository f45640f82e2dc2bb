use super::*;

fn entry(body: &'static str, tags: &[&str]) -> Cached {
    Cached {
        content_type: Some("application/json".into()),
        content_encoding: None,
        etag: Some("\"abc\"".into()),
        body: Bytes::from_static(body.as_bytes()),
        tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        stamp: 0,
        verified: Arc::default(),
    }
}

#[test]
fn cached_responses_survive_the_redis_encoding() {
    let mut value = entry("{\"x\":1}", &["post:1", "list:tag:rust"]);
    value.stamp = 1_700_000_000_000_000;
    let back = Cached::decode(&value.encode()).unwrap();
    assert_eq!(back.content_type, value.content_type);
    assert_eq!(back.etag, value.etag);
    assert_eq!(back.body, value.body);
    assert_eq!(back.tags, value.tags);
    assert_eq!(back.stamp, value.stamp);
    assert!(Cached::decode(&[0]).is_none());
}

async fn load(cache: &Cache, key: &str, body: &'static str, tags: &'static [&'static str]) -> Bytes {
    match cache.get_or_load(key, async move { Some(entry(body, tags)) }).await {
        Lookup::Found(found) => found.body,
        _ => panic!("expected a cached value"),
    }
}

#[tokio::test]
async fn a_change_reloads_the_entries_sharing_its_tags_and_keeps_the_others() {
    let cache = Cache::new(1 << 20, Duration::from_secs(60), None);
    assert_eq!(load(&cache, "a", "a1", &["post:1"]).await, "a1");
    assert_eq!(load(&cache, "b", "b1", &["post:2"]).await, "b1");
    cache.invalidate(&["post:1".to_owned()]).await;
    assert_eq!(load(&cache, "a", "a2", &["post:1"]).await, "a2", "a depends on post:1");
    assert_eq!(load(&cache, "b", "b2", &["post:2"]).await, "b1", "b does not");
    cache.invalidate(&[tags::EVERYTHING.to_owned()]).await;
    assert_eq!(load(&cache, "b", "b3", &["post:2"]).await, "b3", "everything reaches every entry");
}

#[tokio::test]
async fn an_entry_checked_after_unrelated_changes_is_not_checked_again_until_the_next_one() {
    let cache = Cache::new(1 << 20, Duration::from_secs(60), None);
    assert_eq!(load(&cache, "a", "a1", &["post:1"]).await, "a1");
    cache.invalidate(&["post:2".to_owned()]).await;
    let Lookup::Found(checked) = cache.get_or_load("a", async { None }).await else { panic!("a hit") };
    assert_eq!(checked.body, "a1", "post:2 is not what a shows");
    let newest = cache.newest_version.load(Ordering::SeqCst);
    assert!(checked.verified.load(Ordering::SeqCst) > newest, "found fresh as of the last change");
    cache.invalidate(&["post:1".to_owned()]).await;
    assert_eq!(load(&cache, "a", "a2", &["post:1"]).await, "a2", "a change after the check still reaches it");
}

#[tokio::test]
async fn an_entry_is_not_marked_checked_while_an_invalidation_is_under_way() {
    let cache = Cache::new(1 << 20, Duration::from_secs(60), None);
    assert_eq!(load(&cache, "a", "a1", &["post:1"]).await, "a1");
    cache.invalidate(&["post:2".to_owned()]).await;
    let under_way = Invalidating::enter(&cache.invalidating);
    let Lookup::Found(checked) = cache.get_or_load("a", async { None }).await else { panic!("a hit") };
    assert_eq!(checked.verified.load(Ordering::SeqCst), 0, "its tags may not all be set yet");
    drop(under_way);
    let Lookup::Found(checked) = cache.get_or_load("a", async { None }).await else { panic!("a hit") };
    assert!(checked.verified.load(Ordering::SeqCst) > 0);
}

#[tokio::test]
async fn a_change_during_a_load_leaves_that_load_stale() {
    let cache = Cache::new(1 << 20, Duration::from_secs(60), None);
    let racing = cache.clone();
    let loaded = cache
        .get_or_load("a", async move {
            // The write commits and invalidates while this load is reading.
            racing.invalidate(&["post:1".to_owned()]).await;
            Some(entry("old", &["post:1"]))
        })
        .await;
    assert!(matches!(loaded, Lookup::Overtaken), "its readers go to the database themselves");
    assert_eq!(load(&cache, "a", "new", &["post:1"]).await, "new", "and the next read reloads");
}

#[tokio::test]
async fn concurrent_misses_on_one_key_cause_one_load() {
    let cache = Cache::new(1 << 20, Duration::from_secs(60), None);
    let loads = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let (cache, loads) = (cache.clone(), Arc::clone(&loads));
            tokio::spawn(async move {
                let found = cache
                    .get_or_load("k", async move {
                        loads.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        Some(entry("v", &[]))
                    })
                    .await;
                matches!(found, Lookup::Found(_))
            })
        })
        .collect();
    for task in tasks {
        assert!(task.await.unwrap());
    }
    assert_eq!(loads.load(Ordering::SeqCst), 1);
}
