//! Studio's writing tools over HTTP on both databases: generation from a
//! brief, revisions with diffs and restore, the calendar.

use herald::domain::Role;
use reqwest::StatusCode;

use crate::helpers::TestApp;
use crate::helpers::both_backends;
use crate::studio_client::{Browser, between};

both_backends!(a_brief_generates_variants_to_insert_and_a_bad_brief_says_why, |backend| {
    let app = TestApp::spawn(backend).await;
    let mut writer = Browser::signed_in(&app, "writer", Role::Author).await;
    let csrf = writer.csrf.clone();
    let brief = [
        ("topic", "Solar panels on school roofs".to_owned()),
        ("tone", "friendly".to_owned()),
        ("length", "short".to_owned()),
        ("keywords", "solar, schools".to_owned()),
        ("platforms", "x".to_owned()),
    ];
    let (status, answer, _) =
        writer.post_raw("/studio/live/generate", &brief, &[("x-csrf-token", &csrf)]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(answer.contains("Written by template"), "{answer}");
    assert!(answer.contains("data-variant=\"x\""));
    let text = between(&answer, "data-insert-text=\"", "\"").unwrap();
    assert!(text.to_lowercase().contains("solar"), "{text}");

    let (status, answer, _) = writer
        .post_raw("/studio/live/generate", &[("topic", String::new())], &[("x-csrf-token", &csrf)])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(answer.contains("Brief topic"), "{answer}");
    assert_eq!(app.count("post").await, 0, "generating saves nothing");
});

both_backends!(revisions_show_what_each_change_did_and_restore_an_earlier_text, |backend| {
    let app = TestApp::spawn(backend).await;
    let mut writer = Browser::signed_in(&app, "writer", Role::Author).await;
    let fields = |body: &'static str| {
        vec![
            ("title", "Draft title"),
            ("body", body),
            ("platforms", "blog"),
            ("content_type", "article"),
            ("action", "save"),
        ]
    };
    let (_, _, location) = writer.post("/studio/posts", &fields("first line\nsecond line")).await;
    let location = location.unwrap();
    let path = location.split('?').next().unwrap().to_owned();
    for body in ["first line\nsecond line, edited", "first line\nthird version"] {
        let (_, page, _) = writer.get(&path).await;
        let version = between(&page, "name=\"version\" value=\"", "\"").unwrap().to_owned();
        let mut with_version = fields(body);
        with_version.push(("version", &version));
        assert_eq!(writer.post(&path, &with_version).await.0, StatusCode::SEE_OTHER);
    }

    let (status, list, _) = writer.get(&format!("{path}/revisions")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains("Revision 3") && list.contains("Revision 1"), "{list}");
    let (_, second, _) = writer.get(&format!("{path}/revisions/2")).await;
    assert!(
        second.contains("<del>− second line</del>") && second.contains("<ins>+ second line, edited</ins>"),
        "{second}"
    );
    assert!(second.contains("<span>  first line</span>"));

    let version = between(&second, "name=\"version\" value=\"", "\"").unwrap().to_owned();
    let (status, _, location) =
        writer.post(&format!("{path}/revisions/1/restore"), &[("version", &version)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, restored, _) = writer.get(&location.unwrap()).await;
    assert!(
        restored.contains("The earlier version is back")
            && restored.contains("first line\nsecond line</textarea>"),
        "{restored}"
    );

    let mut other = Browser::signed_in(&app, "other", Role::Author).await;
    assert_eq!(
        other.get(&format!("{path}/revisions")).await.0,
        StatusCode::NOT_FOUND,
        "a draft is its author's"
    );
    assert_eq!(writer.get(&format!("{path}/revisions/99")).await.0, StatusCode::NOT_FOUND);
});

both_backends!(the_calendar_places_scheduled_and_published_posts_on_their_days, |backend| {
    let app = TestApp::spawn(backend).await;
    let mut writer = Browser::signed_in(&app, "writer", Role::Editor).await;
    let post = |title: &'static str, action: &'static str| {
        vec![
            ("title", title),
            ("body", "Text."),
            ("platforms", "blog"),
            ("content_type", "article"),
            ("action", action),
            ("publish_at", "2031-03-18T09:30:00Z"),
        ]
    };
    assert_eq!(
        writer.post("/studio/posts", &post("Spring launch", "schedule")).await.0,
        StatusCode::SEE_OTHER
    );
    assert_eq!(writer.post("/studio/posts", &post("Out today", "publish")).await.0, StatusCode::SEE_OTHER);
    assert_eq!(writer.post("/studio/posts", &post("Just a draft", "save")).await.0, StatusCode::SEE_OTHER);

    let (status, month, _) = writer.get("/studio/calendar?view=month&date=2031-03-02").await;
    assert_eq!(status, StatusCode::OK);
    assert!(month.contains("March 2031"));
    let day = between(&month, "data-day=\"2031-03-18\"", "</td>").unwrap();
    assert!(day.contains("Spring launch") && day.contains("badge-scheduled"), "{day}");
    assert!(!month.contains("Just a draft") && !month.contains("Out today"));
    let (_, week, _) = writer.get("/studio/calendar?view=week&date=2031-03-20").await;
    assert!(week.contains("Week of 17 March 2031") && week.contains("Spring launch"));
    let (_, now, _) = writer.get("/studio/calendar").await;
    assert!(now.contains("Out today") && now.contains("badge-published"));
    assert_eq!(writer.get("/studio/calendar?date=someday").await.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(writer.get("/studio/calendar?date=%2B262142-12-31").await.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        writer.get("/studio/calendar?view=month&date=9999-12-31").await.0,
        StatusCode::OK,
        "the last month there is"
    );
});
