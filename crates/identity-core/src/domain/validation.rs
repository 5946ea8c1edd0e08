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
}
