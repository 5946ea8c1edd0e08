//! The password policy's cases.

use super::*;

fn email() -> Email {
    Email::parse("grace.hopper@example.com").unwrap()
}

fn none() -> PasswordContext<'static> {
    PasswordContext::default()
}

fn code(policy: &PasswordPolicy, password: &str, context: PasswordContext<'_>) -> &'static str {
    policy.check("password", password, context).err().map_or("accepted", |e| e.code)
}

#[test]
fn nist_accepts_long_uncommon_passphrases_without_composition() {
    let policy = PasswordPolicy::default();
    assert!(
        policy.check("password", "correct horse battery staple", PasswordContext::new(Some(&email()), None)).is_ok()
    );
    assert!(policy.check("password", "ünïcödé-ok", none()).is_ok());
    // Anything but NUL: a tab or another control character is the user's business.
    assert!(policy.check("password", "tab\there and \u{1} too", none()).is_ok());
    let nul = policy.check("new_password", "correct horse\0battery", none()).unwrap_err();
    assert_eq!((nul.field.as_str(), nul.code), ("new_password", "invalid_characters"));
}

#[test]
fn length_counts_characters_not_bytes() {
    let policy = PasswordPolicy::default();
    // 7 characters, 14 bytes.
    assert_eq!(policy.check("password", "ééééééé", none()).unwrap_err().code, "too_short");
    assert_eq!(policy.check("password", &"x".repeat(129), none()).unwrap_err().code, "too_long");
    assert!(policy.check("password", &"Tr0ub4dor&3".repeat(12)[..128], none()).is_ok());
}

#[test]
fn refuses_common_and_personal_passwords() {
    let policy = PasswordPolicy::default();
    // `letmein123`, `abcdefgh` and `aaaaaaaa` come from the Django part of the list.
    for common in ["password", "PASSWORD1", "12345678", "iloveyou", "qwertyuiop", "letmein123", "abcdefgh", "aaaaaaaa"]
    {
        assert_eq!(policy.check("password", common, none()).unwrap_err().code, "common_password", "{common}");
    }
    assert_eq!(
        policy.check("password", "Grace.Hopper-2024", PasswordContext::new(Some(&email()), None)).unwrap_err().code,
        "contains_email"
    );
    assert_eq!(policy.check("pw", "", none()).unwrap_err().field, "pw");
}

#[test]
fn refuses_passwords_built_on_the_account_or_the_service() {
    let policy = PasswordPolicy::default();
    let ada = Email::parse("ada@example.com").unwrap();
    let account = PasswordContext::new(Some(&ada), Some("AdaLovelace"));
    for service in ["identity", "IDENTITY", "identity123", "Identity!2024", "1d3nt1ty99", "123identity"] {
        assert_eq!(code(&policy, service, none()), "contains_service_name", "{service}");
    }
    for username in ["adalovelace", "AdaLovelace", "adalovelace1", "ad4l0v3l4c3!"] {
        assert_eq!(code(&policy, username, account), "contains_username", "{username}");
    }
    // A local part shorter than 4 characters counts only with little around it.
    assert_eq!(code(&policy, "ada12345", account), "contains_email");
    assert_eq!(code(&policy, "hopper1234!", PasswordContext::new(Some(&email()), None)), "contains_email");
    // A username with parts: each part counts.
    assert_eq!(code(&policy, "Babbage-1842", PasswordContext::new(None, Some("charles_babbage"))), "contains_username");
    // The word with enough else around it is a password of its own.
    for fine in [
        "my identity is my own",
        "identity theft is no joke",
        "adalovelace and the analytical engine",
        "a good password for ada",
    ] {
        assert_eq!(code(&policy, fine, account), "accepted", "{fine}");
    }
    // No username, no address: nothing to compare with.
    assert_eq!(code(&policy, "adalovelace", none()), "accepted");
    // The service's words are the policy's.
    let renamed = PasswordPolicy { service_words: vec!["acme".into()], ..PasswordPolicy::default() };
    assert_eq!(code(&renamed, "acme2024!", none()), "contains_service_name");
    assert_eq!(code(&renamed, "identity", none()), "accepted");
}

#[test]
fn refuses_repeated_and_sequential_characters() {
    let policy = PasswordPolicy::default();
    for repeated in ["zzzzzzzzzzzz", "zzzzzzzzzz9!", "xoxoxoxoxoxo", "blahblahblah", "abc!abc!abc!", "mmmmnnnnoooo7"] {
        assert_eq!(code(&policy, repeated, none()), "repetitive_password", "{repeated}");
    }
    for sequential in
        ["mnopqrstuvw", "98765432109", "klmnop12345", "poiuytrewq0", "zxcvbnm,./1", "zaq1xsw2cde3vfr4", "24681357xyz"]
    {
        assert_eq!(code(&policy, sequential, none()), "sequential_password", "{sequential}");
    }
    for fine in [
        "correct horse battery staple",
        "Tr0ub4dor&3",
        "k9abc2mx",
        "bookkeeper1",
        "ünïcödé-ok",
        "party at the grace place",
        "2024-12-25 xmas",
    ] {
        assert_eq!(code(&policy, fine, none()), "accepted", "{fine}");
    }
}

#[test]
fn repeats_and_sequences_count_as_one_character() {
    let shape = |s: &str| Shape::of(&s.chars().collect::<Vec<_>>());
    assert_eq!(shape("aaaaaaaa"), Shape { substance: 1, repeated: 8, sequential: 0 });
    assert_eq!(shape("abcdefgh"), Shape { substance: 1, repeated: 0, sequential: 8 });
    assert_eq!(shape("qwerty123"), Shape { substance: 2, repeated: 0, sequential: 9 });
    assert_eq!(shape("passpass"), Shape { substance: 4, repeated: 8, sequential: 0 });
    assert_eq!(shape("abcabcabc"), Shape { substance: 1, repeated: 9, sequential: 0 });
    // Two of a kind are not a run.
    assert_eq!(shape("balloons"), Shape { substance: 8, repeated: 0, sequential: 0 });
    assert_eq!(shape("").substance, 0);
}

#[test]
fn the_common_list_is_lower_case_and_long_enough() {
    assert!(COMMON_PASSWORDS.len() > 16_000);
    for entry in COMMON_PASSWORDS.iter() {
        assert!(entry.chars().count() >= 8 && *entry == entry.to_lowercase() && *entry == entry.trim(), "{entry:?}");
    }
}

#[test]
fn strict_mode_adds_composition_and_forbidden_words() {
    let policy = PasswordPolicy::strict();
    assert_eq!(policy.check("p", "lowercase only here", none()).unwrap_err().code, "missing_uppercase");
    assert_eq!(policy.check("p", "NoDigitsOrSpecials", none()).unwrap_err().code, "missing_special");
    assert_eq!(policy.check("p", "My-Test-Account-9", none()).unwrap_err().code, "forbidden_word");
    assert!(policy.check("p", "Sturdy-Otter-42", none()).is_ok());
}

#[test]
fn passwords_are_normalised_to_nfkc() {
    let policy = PasswordPolicy::default();
    let (nfc, nfd) = (
        "\u{dc}n\u{ef}c\u{f6}d\u{e9} p\u{e4}ssw\u{f6}rd",
        "U\u{308}ni\u{308}co\u{308}de\u{301} pa\u{308}sswo\u{308}rd",
    );
    assert_ne!(nfc, nfd);
    let (a, b) = (policy.check("p", nfc, none()).unwrap(), policy.check("p", nfd, none()).unwrap());
    assert_eq!((a.expose(), b.expose()), (nfc, nfc));
    assert_eq!(PasswordPolicy::candidate(nfd).expose(), nfc);
    assert!(PasswordPolicy::same_password(nfc, nfd));
    // Only a password NFKC changes has a form as typed to try as well.
    assert_eq!(PasswordPolicy::legacy_candidate(nfd).map(|p| p.expose().to_owned()).as_deref(), Some(nfd));
    assert!(PasswordPolicy::legacy_candidate(nfc).is_none());
    let fullwidth = "\u{ff50}\u{ff41}\u{ff53}\u{ff53}\u{ff57}\u{ff4f}\u{ff52}\u{ff44}\u{ff11}\u{ff12}\u{ff13}";
    assert_eq!(PasswordPolicy::candidate(fullwidth).expose(), "password123");
    // Checked in its ASCII form: on the common list.
    assert_eq!(code(&policy, fullwidth, none()), "common_password");
}

#[test]
fn the_policy_measures_the_normalised_length() {
    let policy = PasswordPolicy { max_chars: 10, ..PasswordPolicy::default() };
    // NFKC spells the ligature `\u{fb03}` out as `ffi`: 7 characters typed are 9.
    assert_eq!(code(&policy, "o\u{fb03}ce-7q", none()), "accepted");
    // 8 typed, 12 normalised.
    assert_eq!(code(&policy, "o\u{fb03}ce-7q\u{fb03}", none()), "too_long");
    // 10 typed in NFD, 6 once composed.
    assert_eq!(code(&policy, "a\u{308}o\u{308}u\u{308}e\u{301}k9", none()), "too_short");
}

#[test]
fn never_prints_the_secret() {
    let password = PasswordPolicy::candidate("hunter2-secret");
    assert!(!format!("{password:?}").contains("hunter2"));
}
