use serde::Serialize;

/// One invalid field of an input: `field` is the JSON name the client sent, `code` a stable
/// machine code (`required`, `invalid_email`, `too_short`, …), `message` a human explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub code: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        Self { field: field.into(), code, message: message.into() }
    }
}

/// What [`single_line`] accepts in a value that must also hold more than white space, as the
/// ECMA-262 pattern the OpenAPI document states: no C0 or C1 control character, and at least
/// one character that is neither white space nor a control character.
pub const SINGLE_LINE_PATTERN: &str =
    r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$";

/// What [`single_line`] accepts where a blank value is allowed: no C0 or C1 control character.
pub const NO_CONTROL_PATTERN: &str = r"^[^\u0000-\u001F\u007F-\u009F]*$";

/// What [`free_text`] accepts: no control character but tab and line feed.
pub const FREE_TEXT_PATTERN: &str = r"^[^\u0000-\u0008\u000B-\u001F\u007F-\u009F]*$";

/// What [`no_nul`] accepts: anything but NUL.
pub const NO_NUL_PATTERN: &str = r"^[^\u0000]*$";

/// A value of visible characters only: no white space, no control character.
pub const VISIBLE_PATTERN: &str = r"^[^\s\u0000-\u001F\u007F-\u009F]+$";

/// The characters [`no_invisible`] refuses, as the inside of an ECMA-262 character class: the
/// default-ignorable code points of Unicode in the Basic Multilingual Plane (bidirectional
/// formatting characters, zero-width spaces and joiners, the word joiner, U+FEFF, the soft
/// hyphen, variation selectors, Hangul fillers, …). The server also refuses U+E0000–U+E0FFF
/// (tags, the variation selectors supplement), which no class can state portably: the UTF-16
/// surrogates `\uDB40-\uDB43` that ECMA-262 without the `u` flag would need are no valid
/// pattern to Unicode-mode engines (Rust's regex, which some JSON Schema validators use, refuses
/// the whole pattern and then checks nothing), so the document leaves that block out.
macro_rules! invisible_class {
    () => {
        r"\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0\uFFF0-\uFFF8"
    };
}

/// What a required name takes ([`single_line`] and [`no_invisible`]), as the ECMA-262 pattern the
/// OpenAPI document states: no control character, nothing invisible and no text-direction
/// control, and at least one character that is none of these nor white space.
pub const NAME_PATTERN: &str = concat!(
    r"^[^\u0000-\u001F\u007F-\u009F",
    invisible_class!(),
    r"]*[^\s\u0000-\u001F\u007F-\u009F",
    invisible_class!(),
    r"][^\u0000-\u001F\u007F-\u009F",
    invisible_class!(),
    r"]*$"
);

/// What a name takes where a blank one is allowed (it means "none"): no control character,
/// nothing invisible and no text-direction control.
pub const OPTIONAL_NAME_PATTERN: &str = concat!(r"^[^\u0000-\u001F\u007F-\u009F", invisible_class!(), r"]*$");

/// Whether `c` is invisible or turns the direction of the text around it: the bidirectional
/// formatting characters (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069) and the other
/// default-ignorable code points (zero-width space, non-joiner and joiner U+200B–U+200D, word
/// joiner U+2060, U+FEFF, soft hyphen U+00AD, variation selectors, Hangul fillers, tags, …).
/// Shown, they are nothing, or they reorder what follows: a name holding them can pass for
/// another, or hide text.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{AD}'
            | '\u{34F}'
            | '\u{61C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFF8}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
}

/// Refuses invisible and text-direction characters ([`is_invisible`]) in a name: of a person,
/// a company, a group, a device, and usernames. `invalid_characters` names `field`.
pub fn no_invisible(field: &str, raw: &str) -> Result<(), FieldError> {
    if raw.chars().any(is_invisible) {
        return Err(FieldError::new(
            field,
            "invalid_characters",
            "may not contain invisible or text-direction characters (zero-width spaces or joiners, \
             bidirectional controls such as U+202E)",
        ));
    }
    Ok(())
}

/// Refuses control characters (C0 and C1, tab and line breaks included) in a single-line
/// value: names, addresses, handles, codes, search filters. `invalid_characters` names `field`.
pub fn single_line(field: &str, raw: &str) -> Result<(), FieldError> {
    if raw.chars().any(char::is_control) {
        return Err(FieldError::new(field, "invalid_characters", "may not contain control characters or line breaks"));
    }
    Ok(())
}

/// Refuses control characters other than tab and line feed in free text (descriptions,
/// preference texts): NUL never reaches a store.
pub fn free_text(field: &str, raw: &str) -> Result<(), FieldError> {
    if raw.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(FieldError::new(field, "invalid_characters", "may not contain control characters"));
    }
    Ok(())
}

/// A whole number, however JSON writes it: `25` and `25.0` are both 25 (JSON has one number
/// type, and JSON Schema's `integer` takes both).
pub fn whole_number(value: &serde_json::Value) -> Option<i64> {
    value.as_i64().or_else(|| value.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15).map(|f| f as i64))
}

/// Refuses NUL, the one character no text column can hold (passwords may hold anything else).
pub fn no_nul(field: &str, raw: &str) -> Result<(), FieldError> {
    if raw.contains('\0') {
        return Err(FieldError::new(field, "invalid_characters", "may not contain NUL characters"));
    }
    Ok(())
}

/// Every problem found in one input, so a client can show them all at once.
#[derive(Debug, Clone, Default, PartialEq, Eq, thiserror::Error)]
#[error("validation failed: {}", .0.iter().map(|e| e.field.as_str()).collect::<Vec<_>>().join(", "))]
pub struct ValidationErrors(pub Vec<FieldError>);

impl ValidationErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn single(error: FieldError) -> Self {
        Self(vec![error])
    }

    pub fn push(&mut self, error: FieldError) {
        self.0.push(error);
    }

    /// Records the error of `result` (if any) and hands back the value (if any).
    pub fn collect<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.push(error);
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn errors(&self) -> &[FieldError] {
        &self.0
    }

    /// `Ok(())` when nothing was recorded.
    pub fn into_result(self) -> Result<(), ValidationErrors> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn character_rules() {
        for bad in ["a\0b", "a\tb", "a\nb", "a\rb", "\u{7f}", "\u{85}", "\u{9f}x"] {
            assert_eq!(single_line("f", bad).unwrap_err().code, "invalid_characters", "{bad:?}");
        }
        assert!(single_line("f", "Zoë Ünïcødé ✓").is_ok());
        assert!(free_text("f", "two\nlines\tand a tab").is_ok());
        for bad in ["a\0b", "a\rb", "\u{1b}[31m", "\u{85}"] {
            assert_eq!(free_text("f", bad).unwrap_err().field, "f", "{bad:?}");
        }
        assert!(no_nul("password", "tab\there \u{1} ok").is_ok());
        assert_eq!(no_nul("password", "a\0").unwrap_err().code, "invalid_characters");
    }

    #[test]
    fn names_hold_nothing_invisible_and_no_direction_controls() {
        let bidi = ['\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2069}', '\u{200E}'];
        let more = ['\u{200F}', '\u{61C}', '\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{FEFF}', '\u{AD}'];
        let rest = ['\u{34F}', '\u{180E}', '\u{3164}', '\u{FE0F}', '\u{FFA0}', '\u{E0001}', '\u{E0041}', '\u{E01EF}'];
        for c in bidi.into_iter().chain(more).chain(rest) {
            let error = no_invisible("name", &format!("Ada{c}Lovelace")).unwrap_err();
            assert_eq!((error.field.as_str(), error.code), ("name", "invalid_characters"), "U+{:04X}", c as u32);
        }
        for fine in ["Zoë Ünïcødé ✓", "Ada 😀", "محمد", "李小龙", "Jean-Luc O'Neil", "\u{1F3F4}", "a\u{2028}b"]
        {
            assert!(no_invisible("name", fine).is_ok(), "{fine:?}");
        }
    }

    /// The name patterns refuse what [`no_invisible`] refuses in the Basic Multilingual Plane;
    /// checked here on the pattern's text (core has no ECMA-262 engine): every BMP code point
    /// `is_invisible` takes is in a range of the class, and every range of the class holds only
    /// such code points. No surrogate stands in the class (a Unicode-mode engine would refuse
    /// the whole pattern); the U+E0000 block is the server's alone.
    #[test]
    fn the_name_patterns_state_the_rule() {
        let class = invisible_class!().replace("\\u", "");
        let mut ranges = Vec::new();
        let mut rest = class.as_str();
        while !rest.is_empty() {
            let (from, after) = rest.split_at(4);
            let from = u32::from_str_radix(from, 16).unwrap();
            let (to, after) = match after.strip_prefix('-') {
                Some(after) => {
                    let (to, after) = after.split_at(4);
                    (u32::from_str_radix(to, 16).unwrap(), after)
                }
                None => (from, after),
            };
            ranges.push(from..=to);
            rest = after;
        }
        assert!(ranges.iter().all(|r| !(0xD800..=0xDFFF).contains(r.start())), "{ranges:?}");
        for code in 0..=0xFFFF_u32 {
            let Some(c) = char::from_u32(code) else { continue };
            assert_eq!(is_invisible(c), ranges.iter().any(|r| r.contains(&code)), "U+{code:04X}");
        }
        assert!(is_invisible('\u{E0000}') && is_invisible('\u{E0FFF}') && !is_invisible('\u{E1000}'));
        for pattern in [NAME_PATTERN, OPTIONAL_NAME_PATTERN] {
            assert!(pattern.contains(invisible_class!()), "{pattern}");
        }
        assert_eq!(NAME_PATTERN.matches(invisible_class!()).count(), 3);
    }
}
