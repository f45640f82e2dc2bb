use super::*;

#[test]
fn emails_are_trimmed_lowercased_and_checked_for_shape() {
    assert_eq!(Email::parse("email", "  Ada@Example.COM ").unwrap().as_ref(), "ada@example.com");
    let cases = [
        ("", "required", "empty"),
        ("ada", "invalid", "no @"),
        ("@example.com", "invalid", "no local part"),
        ("ada@example", "invalid", "no dot in domain"),
        ("ada@.example.com", "invalid", "domain starts with a dot"),
        ("a da@example.com", "invalid", "whitespace"),
        ("ada@exa..mple.com", "invalid", "double dot"),
    ];
    for (input, code, case) in cases {
        let err = Email::parse("email", input).unwrap_err();
        assert_eq!((err.field.as_str(), err.code), ("email", code), "{case}");
    }
    let long = format!("{}@example.com", "a".repeat(250));
    assert_eq!(Email::parse("email", &long).unwrap_err().code, "too_long");
}

#[test]
fn usernames_keep_their_case_and_allow_a_small_safe_alphabet() {
    assert_eq!(Username::parse("username", "Ada_Lovelace-1.0").unwrap().as_ref(), "Ada_Lovelace-1.0");
    for bad in ["ab", "a".repeat(33).as_str(), "_ada", "ada lovelace", "ada/../x", "ädä"] {
        assert!(Username::parse("username", bad).is_err(), "{bad:?} accepted");
    }
}

#[test]
fn passwords_need_8_to_128_characters_and_must_not_be_common() {
    assert!(Password::parse("password", "correct horse battery").is_ok());
    assert_eq!(Password::parse("password", "short").unwrap_err().code, "too_short");
    assert_eq!(Password::parse("password", &"x".repeat(129)).unwrap_err().code, "too_long");
    assert_eq!(Password::parse("password", "password123").unwrap_err().code, "too_common");
    assert_eq!(Password::parse("password", "QWERTY123").unwrap_err().code, "too_common");
    // Characters, not bytes: eight multi-byte characters are enough.
    assert!(Password::parse("password", "ñandúñandú").is_ok());
    assert_eq!(format!("{:?}", Password::parse("p", "secret-enough-1").unwrap()), "Password(***)");
}

#[test]
fn roles_grant_increasing_powers() {
    let expect = [
        (Role::Viewer, false, false, false),
        (Role::Author, true, false, false),
        (Role::Editor, true, true, false),
        (Role::Admin, true, true, true),
    ];
    for (role, create, others, users) in expect {
        assert_eq!(role.can_create_content(), create, "{role} create");
        assert_eq!(role.can_manage_others_content(), others, "{role} others");
        assert_eq!(role.can_manage_users(), users, "{role} users");
        assert_eq!(Role::parse("role", role.as_str()), Ok(role));
    }
    assert!(Role::parse("role", "superuser").is_err());
}

#[test]
fn avatar_urls_must_be_http_with_a_host() {
    assert!(AvatarUrl::parse("avatar_url", "https://example.com/a.png").is_ok());
    for bad in ["javascript:alert(1)", "https://", "ftp://x/y", "https:///x", "http://a b"] {
        assert!(AvatarUrl::parse("avatar_url", bad).is_err(), "{bad:?}");
    }
}
