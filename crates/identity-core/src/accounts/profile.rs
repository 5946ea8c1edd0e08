//! The mutable profile fields and their rules (SPEC §3 "Users and profiles").

use std::str::FromStr;

use serde_json::{Map, Value};

use crate::domain::FieldError;

macro_rules! code_enum {
    ($(#[$meta:meta])* $name:ident, default $default:ident, [$($variant:ident),+ $(,)?]) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn code(&self) -> &'static str {
                match self {
                    $($name::$variant => stringify!($variant)),+
                }
            }
        }

        impl Default for $name {
            fn default() -> Self {
                $name::$default
            }
        }

        impl FromStr for $name {
            type Err = ();

            fn from_str(s: &str) -> Result<Self, ()> {
                Self::ALL.iter().copied().find(|v| v.code() == s).ok_or(())
            }
        }
    };
}

code_enum!(
    /// Where the user is, for defaults and compliance (an ISO 3166-1 alpha-2 subset).
    Region, default US,
    [US, CA, MX, BR, AR, GB, IE, DE, FR, ES, IT, NL, BE, CH, AT, SE, NO, DK, FI, PL, CZ, PT, UA, TR, IL, AE, SA, IN, CN, JP, KR, SG, AU, NZ, ZA, NG, EG]
);

code_enum!(
    /// The user's currency (an ISO 4217 subset).
    Currency, default USD,
    [USD, EUR, GBP, CHF, SEK, NOK, DKK, PLN, CZK, UAH, TRY, ILS, AED, SAR, INR, CNY, JPY, KRW, SGD, AUD, NZD, CAD, MXN, BRL, ARS, ZAR, NGN, EGP]
);

fn err(field: &str, code: &'static str, message: &str) -> FieldError {
    FieldError::new(field, code, message)
}

/// A name (`name`, `display_name`, `company`): trimmed, 1..=`max` characters, no control
/// characters, nothing invisible and no text-direction control ([`crate::domain::no_invisible`]).
pub fn text(field: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(err(field, "required", "may not be empty; send null to clear it"));
    }
    if trimmed.chars().count() > max {
        return Err(FieldError::new(field, "too_long", format!("at most {max} characters")));
    }
    if raw.chars().any(char::is_control) {
        return Err(err(field, "invalid_characters", "may not contain control characters"));
    }
    crate::domain::no_invisible(field, raw)?;
    Ok(trimmed.to_owned())
}

/// E.164: `+`, then 8–15 digits, the first not 0. Spaces, dots, dashes and brackets are removed.
pub fn phone(raw: &str) -> Result<String, FieldError> {
    crate::domain::single_line("phone", raw)?;
    let compact: String = raw.chars().filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')')).collect();
    let digits = compact.strip_prefix('+').unwrap_or("");
    let valid =
        (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0');
    if !valid {
        return Err(err("phone", "invalid_phone", "an international number in E.164 form, like +4915112345678"));
    }
    Ok(compact)
}

/// A Telegram username: 5–32 of `A-Z a-z 0-9 _`, starting with a letter; a leading `@` is
/// dropped.
pub fn telegram(raw: &str) -> Result<String, FieldError> {
    crate::domain::single_line("telegram", raw)?;
    let handle = raw.trim().trim_start_matches('@');
    let valid = (5..=32).contains(&handle.len())
        && handle.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && handle.bytes().next().is_some_and(|b| b.is_ascii_alphabetic());
    if !valid {
        return Err(err("telegram", "invalid_telegram", "5–32 letters, digits or _, starting with a letter"));
    }
    Ok(handle.to_owned())
}

/// An `https://` URL with a host, at most 2048 characters.
pub fn avatar_url(raw: &str) -> Result<String, FieldError> {
    let url = raw.trim();
    crate::domain::single_line("avatar_url", raw)?;
    let rest =
        url.strip_prefix("https://").ok_or_else(|| err("avatar_url", "https_required", "must be an https:// URL"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let valid = url.chars().count() <= AVATAR_URL_MAX
        && !host.is_empty()
        && !host.contains('@')
        && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    if !valid {
        return Err(err("avatar_url", "invalid_url", "not a valid https URL"));
    }
    Ok(url.to_owned())
}

/// A BCP 47 language tag (`en`, `en-US`, `zh-Hant-TW`, `es-419`), in canonical case.
pub fn locale(raw: &str) -> Result<String, FieldError> {
    crate::domain::single_line("locale", raw)?;
    let invalid = || err("locale", "invalid_locale", "a BCP 47 language tag like en or pt-BR");
    let mut parts = raw.trim().split(['-', '_']);
    let language = parts.next().filter(|l| (2..=3).contains(&l.len()) && l.bytes().all(|b| b.is_ascii_alphabetic()));
    let mut out = language.ok_or_else(invalid)?.to_ascii_lowercase();
    let mut stage = 0; // 0: script allowed, 1: region allowed, 2: variants only
    for part in parts {
        let alpha = part.bytes().all(|b| b.is_ascii_alphabetic());
        let digits = part.bytes().all(|b| b.is_ascii_digit());
        out.push('-');
        if stage == 0 && part.len() == 4 && alpha {
            let mut chars = part.chars();
            out.extend(chars.next().map(|c| c.to_ascii_uppercase()));
            out.push_str(&chars.as_str().to_ascii_lowercase());
            stage = 1;
        } else if stage <= 1 && ((part.len() == 2 && alpha) || (part.len() == 3 && digits)) {
            out.push_str(&part.to_ascii_uppercase());
            stage = 2;
        } else if (5..=8).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_alphanumeric()) {
            out.push_str(&part.to_ascii_lowercase());
            stage = 2;
        } else {
            return Err(invalid());
        }
    }
    Ok(out)
}

/// Every IANA time zone name [`time_zone`] takes, links (`US/Eastern`) included.
pub fn time_zone_names() -> impl Iterator<Item = &'static str> {
    chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())
}

/// A BCP 47 tag as [`locale`] takes it (the OpenAPI document's pattern): a language, then an
/// optional script, region and variants, joined by `-` or `_`.
pub const LOCALE_PATTERN: &str =
    "^[A-Za-z]{2,3}([-_][A-Za-z]{4})?([-_]([A-Za-z]{2}|[0-9]{3}))?([-_][A-Za-z0-9]{5,8})*$";

/// An international number as [`phone`] takes it: `+`, then 8–15 digits, the first not 0,
/// with spaces, dots, dashes and parentheses allowed between them.
pub const PHONE_PATTERN: &str = r"^[ .()-]*\+[ .()-]*[1-9]([ .()-]*[0-9]){7,14}[ .()-]*$";

/// An avatar URL as [`avatar_url`] takes it: `https://`, a host without credentials, then a
/// path, query or fragment; no white space or control character.
pub const AVATAR_URL_PATTERN: &str =
    r"^https://[^\s/?#@\u0000-\u001F\u007F-\u009F]+([/?#][^\s\u0000-\u001F\u007F-\u009F]*)?$";

/// The longest avatar URL, in characters.
pub const AVATAR_URL_MAX: usize = 2048;

/// An IANA time zone name (`Europe/Berlin`, `UTC`).
pub fn time_zone(raw: &str) -> Result<String, FieldError> {
    let name = raw.trim();
    crate::domain::single_line("time_zone", raw)?;
    chrono_tz::Tz::from_str(name)
        .map(|tz| tz.name().to_owned())
        .map_err(|_| err("time_zone", "invalid_time_zone", "an IANA time zone like Europe/Berlin"))
}

pub fn region(raw: &str) -> Result<Region, FieldError> {
    crate::domain::single_line("region", raw)?;
    raw.trim().to_ascii_uppercase().parse().map_err(|()| {
        err("region", "invalid_region", "one of the supported ISO 3166 country codes (see the API schema)")
    })
}

pub fn currency(raw: &str) -> Result<Currency, FieldError> {
    crate::domain::single_line("currency", raw)?;
    raw.trim().to_ascii_uppercase().parse().map_err(|()| {
        err("currency", "invalid_currency", "one of the supported ISO 4217 currency codes (see the API schema)")
    })
}

/// What a preference key holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PreferenceRule {
    Bool,
    Text(usize),
    OneOf(&'static [&'static str]),
    Number(f64, f64),
    Integer(i64, i64),
}

/// The preferences document: sections of known keys, nothing else. (The OpenAPI document's
/// `Preferences` schema is generated from this.)
pub const PREFERENCE_SECTIONS: &[(&str, &[(&str, PreferenceRule)])] = &[
    (
        "notifications",
        &[
            ("email", PreferenceRule::Bool),
            ("push", PreferenceRule::Bool),
            ("product_updates", PreferenceRule::Bool),
            ("digest", PreferenceRule::OneOf(&["daily", "weekly", "never"])),
        ],
    ),
    (
        "ai",
        &[
            ("enabled", PreferenceRule::Bool),
            ("model", PreferenceRule::Text(100)),
            ("temperature", PreferenceRule::Number(0.0, 2.0)),
            ("language", PreferenceRule::Text(35)),
        ],
    ),
    (
        "focus",
        &[
            ("session_minutes", PreferenceRule::Integer(5, 180)),
            ("break_minutes", PreferenceRule::Integer(1, 60)),
            ("sound", PreferenceRule::Bool),
        ],
    ),
];

/// RFC 7386 JSON merge patch of `patch` onto `target`.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(entries) => {
            if !target.is_object() {
                *target = Value::Object(Map::new());
            }
            if let Value::Object(map) = target {
                for (key, value) in entries {
                    if value.is_null() {
                        map.remove(key);
                    } else {
                        merge_patch(map.entry(key.clone()).or_insert(Value::Null), value);
                    }
                }
            }
        }
        // A whole number is stored as one (`25.0` as `25`): what a reader gets back is an
        // integer where the schema says integer.
        Value::Number(n) if n.is_f64() => {
            *target = crate::domain::whole_number(patch).map_or_else(|| patch.clone(), Value::from);
        }
        other => *target = other.clone(),
    }
}

/// Checks a whole preferences document against the schema; every problem is reported.
pub fn validate_preferences(document: &Value) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let Some(sections) = document.as_object() else {
        return vec![err("preferences", "invalid_type", "must be an object")];
    };
    for (name, section) in sections {
        let path = format!("preferences.{name}");
        let Some((_, keys)) = PREFERENCE_SECTIONS.iter().find(|(s, _)| s == name) else {
            errors.push(FieldError::new(path, "unknown_field", "not a preferences section (notifications, ai, focus)"));
            continue;
        };
        let Some(values) = section.as_object() else {
            errors.push(FieldError::new(path, "invalid_type", "must be an object"));
            continue;
        };
        for (key, value) in values {
            let path = format!("preferences.{name}.{key}");
            let Some((_, rule)) = keys.iter().find(|(k, _)| k == key) else {
                errors.push(FieldError::new(path, "unknown_field", "not a known preference"));
                continue;
            };
            if let Some(Err(error)) = value.as_str().map(|text| crate::domain::free_text(&path, text)) {
                errors.push(error);
                continue;
            }
            let ok = match rule {
                PreferenceRule::Bool => value.is_boolean(),
                PreferenceRule::Text(max) => {
                    value.as_str().is_some_and(|s| !s.trim().is_empty() && s.chars().count() <= *max)
                }
                PreferenceRule::OneOf(allowed) => value.as_str().is_some_and(|s| allowed.contains(&s)),
                PreferenceRule::Number(min, max) => value.as_f64().is_some_and(|n| n >= *min && n <= *max),
                PreferenceRule::Integer(min, max) => {
                    crate::domain::whole_number(value).is_some_and(|n| n >= *min && n <= *max)
                }
            };
            if !ok {
                let expected = match rule {
                    PreferenceRule::Bool => "true or false".to_owned(),
                    PreferenceRule::Text(max) => format!("text of 1 to {max} characters"),
                    PreferenceRule::OneOf(allowed) => format!("one of {}", allowed.join(", ")),
                    PreferenceRule::Number(min, max) => format!("a number from {min} to {max}"),
                    PreferenceRule::Integer(min, max) => format!("a whole number from {min} to {max}"),
                };
                errors.push(FieldError::new(path, "invalid_value", format!("must be {expected}")));
            }
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn phones_are_e164() {
        assert_eq!(phone("+49 151 1234-5678").unwrap(), "+4915112345678");
        for bad in ["015112345678", "+0123456789", "+12", "+1234567890123456", "+49abc12345"] {
            assert_eq!(phone(bad).unwrap_err().code, "invalid_phone", "{bad}");
        }
    }

    #[test]
    fn telegram_handles() {
        assert_eq!(telegram("@ada_lovelace").unwrap(), "ada_lovelace");
        for bad in ["abc", "1abcde", "ada-lovelace", &"a".repeat(33)] {
            assert!(telegram(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn avatars_are_https() {
        assert!(avatar_url("https://cdn.example.com/a.png").is_ok());
        assert_eq!(avatar_url("http://cdn.example.com/a.png").unwrap_err().code, "https_required");
        for bad in ["https://", "https:// evil.com", "https://user@evil.com/x", "javascript:alert(1)"] {
            assert!(avatar_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn locales_are_bcp47_in_canonical_case() {
        assert_eq!(locale("en").unwrap(), "en");
        assert_eq!(locale("pt_br").unwrap(), "pt-BR");
        assert_eq!(locale("ZH-hant-tw").unwrap(), "zh-Hant-TW");
        assert_eq!(locale("es-419").unwrap(), "es-419");
        for bad in ["", "e", "english", "en-US-US-x", "en--US", "12"] {
            assert!(locale(bad).is_err(), "{bad}");
        }
    }

    /// Spaces around a value are trimmed; control characters are refused wherever they are,
    /// a line break or tab at either end too (the document's patterns say the same).
    #[test]
    fn control_characters_are_refused_even_where_trimming_would_drop_them() {
        assert_eq!(text("name", "  Ada  ", 100).unwrap(), "Ada");
        for raw in ["Ada\n", "\tAda", "Ada\u{85}", "\u{b}Ada"] {
            assert_eq!(text("name", raw, 100).unwrap_err().code, "invalid_characters", "{raw:?}");
        }
        assert_eq!(crate::domain::GroupName::parse("Editors\r\n").unwrap_err().code, "invalid_characters");
        assert_eq!(crate::domain::Group::parse_description("\u{b}notes").unwrap_err().code, "invalid_characters");
        assert_eq!(time_zone("UTC\n").unwrap_err().code, "invalid_characters");
    }

    /// `13.0` is the whole number 13: accepted where a whole number is expected, stored as 13.
    #[test]
    fn whole_numbers_may_be_written_with_a_fraction() {
        let patch = serde_json::json!({ "focus": { "break_minutes": 13.0, "session_minutes": 25 } });
        assert!(validate_preferences(&patch).is_empty());
        let mut stored = serde_json::json!({});
        merge_patch(&mut stored, &patch);
        assert_eq!(stored["focus"]["break_minutes"], serde_json::json!(13));
        assert!(stored["focus"]["break_minutes"].is_i64());
        let half = serde_json::json!({ "focus": { "break_minutes": 13.5 } });
        assert_eq!(validate_preferences(&half).len(), 1);
    }

    #[test]
    fn time_zones_are_iana() {
        assert_eq!(time_zone("Europe/Berlin").unwrap(), "Europe/Berlin");
        assert_eq!(time_zone("UTC").unwrap(), "UTC");
        assert!(time_zone("Mars/Olympus").is_err());
    }

    #[test]
    fn regions_and_currencies_are_enumerations() {
        assert_eq!(region("de").unwrap(), Region::DE);
        assert_eq!(currency("eur").unwrap(), Currency::EUR);
        assert!(region("XX").is_err() && currency("BTC").is_err());
        assert_eq!(Region::default().code(), "US");
    }

    #[test]
    fn preferences_follow_the_schema_and_merge() {
        let mut doc = json!({ "notifications": { "email": true }, "ai": { "model": "gpt" } });
        merge_patch(
            &mut doc,
            &json!({ "notifications": { "push": false, "email": null }, "focus": { "session_minutes": 25 } }),
        );
        assert_eq!(
            doc,
            json!({ "notifications": { "push": false }, "ai": { "model": "gpt" }, "focus": { "session_minutes": 25 } })
        );
        assert!(validate_preferences(&doc).is_empty());
        let errors = validate_preferences(
            &json!({ "theme": {}, "ai": { "temperature": 3, "secret": 1 }, "focus": { "session_minutes": "long" } }),
        );
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert!(fields.contains(&"preferences.theme"));
        assert!(fields.contains(&"preferences.ai.temperature"));
        assert!(fields.contains(&"preferences.ai.secret"));
        assert!(fields.contains(&"preferences.focus.session_minutes"));
    }

    #[test]
    fn control_characters_are_refused_by_name() {
        for (field, result) in [
            ("phone", phone("+4915112345678\0").map(|_| ())),
            ("telegram", telegram("ada_\0lovelace").map(|_| ())),
            ("avatar_url", avatar_url("https://cdn.example.com/a\0.png").map(|_| ())),
            ("locale", locale("en\0").map(|_| ())),
            ("time_zone", time_zone("UTC\0").map(|_| ())),
            ("region", region("D\0E").map(|_| ())),
            ("currency", currency("EU\tR").map(|_| ())),
            ("name", text("name", "Ada\u{1b}", 100).map(|_| ())),
        ] {
            let error = result.unwrap_err();
            assert_eq!((error.field.as_str(), error.code), (field, "invalid_characters"));
        }
        let errors = validate_preferences(&json!({ "ai": { "model": "gpt\u{0}", "language": "two\nlines" } }));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!((errors[0].field.as_str(), errors[0].code), ("preferences.ai.model", "invalid_characters"));
    }
}
