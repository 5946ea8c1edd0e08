use std::collections::HashSet;
use std::fmt;
use std::sync::LazyLock;

use unicode_normalization::UnicodeNormalization;

use crate::domain::{Email, FieldError, User, Username};

/// Common and breached passwords of eight characters or more, lower-cased, one per line,
/// sorted (16,293 entries). The union of the entries of eight characters or more of two
/// lists, both built from public leaks: the `passwords` frequency list of zxcvbn (MIT) and
/// Django's `django/contrib/auth/common-passwords.txt.gz` (20,000 passwords by Royce
/// Williams, shipped with Django 5.2 under Django's BSD-3-Clause licence).
static COMMON_PASSWORDS: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| include_str!("common_passwords.txt").lines().collect());

/// What a password must keep once each run of predictable characters (a repeated character,
/// a repeated block, an alphabet, digit or keyboard sequence) counts as one character.
const MIN_SUBSTANCE: usize = 6;
/// The shortest run of repeated or sequential characters that counts as one.
const MIN_RUN: usize = 3;
/// The shortest account word (username, part of the address) a password may not be built on.
const MIN_WORD: usize = 3;

/// The account a new password is for: the words it may not be built on.
#[derive(Debug, Clone, Copy, Default)]
pub struct PasswordContext<'a> {
    pub email: Option<&'a Email>,
    /// The username as given; it may not have passed its own rules yet.
    pub username: Option<&'a str>,
}

impl<'a> PasswordContext<'a> {
    pub fn new(email: Option<&'a Email>, username: Option<&'a str>) -> Self {
        Self { email, username }
    }

    /// The context of an existing account: its address and username.
    pub fn of(user: &'a User) -> Self {
        Self { email: Some(&user.email), username: user.username.as_ref().map(Username::as_str) }
    }
}

/// A plain-text password, in its NFKC form (NIST SP 800-63B §5.1.1.2: the NFD and NFC
/// spellings of `Ünïcödé`, or a fullwidth `ｐａｓｓ` and `pass`, are one password). It never
/// prints itself: `Debug` shows a placeholder, so it cannot end up in a log line by accident.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    /// Exposes the secret to the hasher. Nothing else should call this.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// Which rule set new passwords must follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyMode {
    /// NIST SP 800-63B: length only, plus the common-password list and the account's own
    /// address. No composition rules.
    Nist,
    /// The stricter rules of the gateway design: additionally an upper-case letter, a digit
    /// or special character, and no forbidden words.
    Strict,
}

/// The password rules. `Default` is the NIST-style policy with a length of 8–128 characters.
#[derive(Debug, Clone)]
pub struct PasswordPolicy {
    pub mode: PolicyMode,
    pub min_chars: usize,
    pub max_chars: usize,
    /// Lower-cased words a password may not contain in strict mode.
    pub forbidden_words: Vec<String>,
    /// Lower-cased names of the service a password may not be built on (in every mode):
    /// `identity`, `identity123` and `1d3nt1ty!` are refused, `my identity is my own` is not.
    pub service_words: Vec<String>,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            mode: PolicyMode::Nist,
            min_chars: 8,
            max_chars: 128,
            forbidden_words: Vec::new(),
            service_words: vec!["identity".into()],
        }
    }
}

impl PasswordPolicy {
    /// The strict rule set: NIST rules plus composition and forbidden words.
    pub fn strict() -> Self {
        Self {
            mode: PolicyMode::Strict,
            forbidden_words: vec!["test".into(), "password".into(), "qwerty".into()],
            ..Self::default()
        }
    }

    /// Checks a new password for the account of `context` and returns it as a [`Password`].
    /// The password is normalised to NFKC first: the rules below (its length in characters
    /// too) apply to that form, and that form is what gets hashed.
    ///
    /// Each refusal has its own `code`, checked in this order: `required`,
    /// `invalid_characters`, `too_short`, `too_long`, `common_password` (on the bundled list),
    /// `contains_email`, `contains_username`, `contains_service_name` (built on the account's
    /// address, its username or the service's name: the word, also in leetspeak, with little
    /// else around it, such as digits or symbols), `repetitive_password`, `sequential_password`
    /// (little left once repeats and sequences count as one character each); then, in strict
    /// mode, `missing_uppercase`, `missing_special` and `forbidden_word`.
    pub fn check(&self, field: &str, raw: &str, context: PasswordContext<'_>) -> Result<Password, FieldError> {
        let normalised = nfkc(raw);
        let raw = normalised.as_str();
        let chars = raw.chars().count();
        if raw.is_empty() {
            return Err(FieldError::new(field, "required", "a password is required"));
        }
        crate::domain::no_nul(field, raw)?;
        if chars < self.min_chars {
            return Err(FieldError::new(
                field,
                "too_short",
                format!("a password has at least {} characters", self.min_chars),
            ));
        }
        if chars > self.max_chars {
            return Err(FieldError::new(
                field,
                "too_long",
                format!("a password has at most {} characters", self.max_chars),
            ));
        }
        let lower = raw.to_lowercase();
        if COMMON_PASSWORDS.contains(lower.as_str()) {
            return Err(FieldError::new(
                field,
                "common_password",
                "this password is too common; choose one that is harder to guess",
            ));
        }
        let folded: Vec<char> = lower.chars().collect();
        if let Some(email) = context.email {
            let local = email.local_part();
            if lower == email.as_str()
                || (local.chars().count() >= 4 && lower.contains(local))
                || words_of(local).any(|word| built_on(&folded, word))
            {
                return Err(FieldError::new(field, "contains_email", "a password may not contain your email address"));
            }
        }
        if let Some(username) = context.username {
            let username = username.trim().to_lowercase();
            if words_of(&username).any(|word| built_on(&folded, word)) {
                return Err(FieldError::new(
                    field,
                    "contains_username",
                    "a password may not be built on your username",
                ));
            }
        }
        if self.service_words.iter().any(|word| built_on(&folded, word)) {
            return Err(FieldError::new(
                field,
                "contains_service_name",
                "a password may not be built on the name of this service",
            ));
        }
        let shape = Shape::of(&folded);
        if shape.substance < MIN_SUBSTANCE {
            return Err(if shape.repeated >= shape.sequential {
                FieldError::new(
                    field,
                    "repetitive_password",
                    "this password is mostly repeated characters; choose one that is harder to guess",
                )
            } else {
                FieldError::new(
                    field,
                    "sequential_password",
                    "this password is mostly a sequence (abcd, 1234, qwerty); choose one that is harder to guess",
                )
            });
        }
        if self.mode == PolicyMode::Strict {
            if !raw.chars().any(char::is_uppercase) {
                return Err(FieldError::new(
                    field,
                    "missing_uppercase",
                    "a password needs at least one upper-case letter",
                ));
            }
            if !raw.chars().any(|c| !c.is_alphabetic()) {
                return Err(FieldError::new(
                    field,
                    "missing_special",
                    "a password needs at least one digit or special character",
                ));
            }
            if let Some(word) = self.forbidden_words.iter().find(|w| lower.contains(w.as_str())) {
                return Err(FieldError::new(field, "forbidden_word", format!("a password may not contain \"{word}\"")));
            }
        }
        Ok(Password(normalised))
    }

    /// A password offered at login: not checked against the policy (it may predate it), only
    /// normalised to NFKC, like every password hashed since, and wrapped so it cannot be logged.
    pub fn candidate(raw: &str) -> Password {
        Password(nfkc(raw))
    }

    /// The password offered at login as typed, when NFKC changes it (else `None`): what a
    /// hash stored before passwords were normalised was made of. Only verification tries it;
    /// nothing is hashed from it again.
    pub fn legacy_candidate(raw: &str) -> Option<Password> {
        let normalised = nfkc(raw);
        (normalised != raw).then(|| Password(raw.to_owned()))
    }

    /// Whether two passwords as typed are the same password: equal once normalised.
    pub fn same_password(a: &str, b: &str) -> bool {
        nfkc(a) == nfkc(b)
    }
}

/// The NFKC form of a password.
fn nfkc(raw: &str) -> String {
    raw.nfkc().collect()
}

/// `word` and, when it has several, each of its parts (split at anything but a letter or a
/// digit), that are long enough to count: `grace.hopper` → `grace.hopper`, `grace`, `hopper`.
fn words_of(word: &str) -> impl Iterator<Item = &str> {
    let parts: Vec<&str> = word.split(|c: char| !c.is_alphanumeric()).filter(|p| !p.is_empty()).collect();
    let whole = (parts.len() > 1).then_some(word);
    whole.into_iter().chain(parts).filter(|w| w.chars().count() >= MIN_WORD)
}

/// Whether `password` (lower-cased) is built on `word` (lower-cased): it holds the word
/// (letters written as digits or symbols count, `1d3nt1ty`), and what is left around it has
/// too little substance to count as a password of its own (`123`, `!2024`, nothing).
fn built_on(password: &[char], word: &str) -> bool {
    let word: Vec<char> = word.chars().collect();
    if word.len() < MIN_WORD || word.len() > password.len() {
        return false;
    }
    let mut covered = vec![false; password.len()];
    let mut found = false;
    for start in 0..=password.len() - word.len() {
        if password[start..start + word.len()].iter().zip(&word).all(|(&p, &w)| looks_like(p, w)) {
            covered[start..start + word.len()].fill(true);
            found = true;
        }
    }
    if !found {
        return false;
    }
    let rest: Vec<char> = password.iter().zip(&covered).filter(|(_, covered)| !**covered).map(|(c, _)| *c).collect();
    Shape::of(&rest).substance < MIN_SUBSTANCE
}

/// Whether the password's character `p` stands for the word's `w`, as written or in the
/// usual substitutions (`0` for `o`, `1` for `i` or `l`, `3` for `e`, `4` and `@` for `a`, …).
fn looks_like(p: char, w: char) -> bool {
    p == w
        || match p {
            '0' => w == 'o',
            '1' | '!' | '|' => matches!(w, 'i' | 'l'),
            '3' => w == 'e',
            '4' | '@' => w == 'a',
            '5' | '$' => w == 's',
            '7' | '+' => w == 't',
            '8' => w == 'b',
            '9' => w == 'g',
            _ => false,
        }
}

/// Rows and columns of common keyboards (QWERTY, QWERTZ, AZERTY): neighbours on one of these
/// typed in a row are a sequence.
const KEYBOARD_LINES: &[&str] = &[
    "`1234567890-=",
    "qwertyuiop[]\\",
    "asdfghjkl;'",
    "zxcvbnm,./",
    "qwertzuiop",
    "yxcvbnm",
    "azertyuiop",
    "qsdfghjklm",
    "wxcvbn",
    "1qaz",
    "2wsx",
    "3edc",
    "4rfv",
    "5tgb",
    "6yhn",
    "7ujm",
    "8ik,",
    "9ol.",
    "0p;/",
];

/// How one character follows another in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// The same character again.
    Repeat,
    /// The next or previous letter or digit (for digits, also every other one): `abc`,
    /// `321`, `2468`.
    Shift(i64),
    /// The key next to it on a keyboard line, one way: `qwe`, `lkj`, `1qaz`.
    Key(usize, bool),
}

/// Every way `b` follows `a`.
fn steps(a: char, b: char) -> Vec<Step> {
    if a == b {
        return vec![Step::Repeat];
    }
    let mut steps = Vec::new();
    let shift = i64::from(u32::from(b)) - i64::from(u32::from(a));
    let digits = a.is_ascii_digit() && b.is_ascii_digit();
    if (a.is_alphanumeric() && b.is_alphanumeric() && shift.abs() == 1) || (digits && shift.abs() == 2) {
        steps.push(Step::Shift(shift));
    }
    for (line, keys) in KEYBOARD_LINES.iter().enumerate() {
        if let (Some(i), Some(j)) = (keys.find(a), keys.find(b)) {
            if j == i + 1 {
                steps.push(Step::Key(line, true));
            } else if i == j + 1 {
                steps.push(Step::Key(line, false));
            }
        }
    }
    steps
}

/// What is left of a password once its predictable parts count for little: each run of
/// [`MIN_RUN`] or more repeated or sequential characters counts as one character, a block
/// typed twice or more (`abab`, `passpass`) as the block once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Shape {
    /// The characters that count.
    substance: usize,
    /// Characters in runs of one character or in repeated blocks.
    repeated: usize,
    /// Characters in sequences.
    sequential: usize,
}

impl Shape {
    fn of(chars: &[char]) -> Self {
        let mut shape = Self::default();
        let mut at = 0;
        while at < chars.len() {
            let run = run_at(chars, at);
            let block = block_at(chars, at);
            match (run, block) {
                (Some((len, repeat)), block) if block.is_none_or(|(unit, reps)| len + 1 >= unit * reps) => {
                    shape.substance += 1;
                    if repeat {
                        shape.repeated += len;
                    } else {
                        shape.sequential += len;
                    }
                    at += len;
                }
                (_, Some((unit, reps))) => {
                    let inner = Self::of(&chars[at..at + unit]);
                    shape.substance += inner.substance;
                    shape.repeated += unit * reps;
                    at += unit * reps;
                }
                _ => {
                    shape.substance += 1;
                    at += 1;
                }
            }
        }
        shape
    }
}

/// The longest run of repeated or sequential characters from `at`, if it has at least
/// [`MIN_RUN`] characters: its length and whether it repeats one character.
fn run_at(chars: &[char], at: usize) -> Option<(usize, bool)> {
    let mut kinds = steps(*chars.get(at)?, *chars.get(at + 1)?);
    let mut end = at + 1;
    while let Some(&next) = chars.get(end + 1) {
        let following = steps(chars[end], next);
        let shared: Vec<Step> = kinds.iter().copied().filter(|k| following.contains(k)).collect();
        if shared.is_empty() {
            break;
        }
        kinds = shared;
        end += 1;
    }
    let len = end - at + 1;
    (!kinds.is_empty() && len >= MIN_RUN).then_some((len, kinds.contains(&Step::Repeat)))
}

/// The block of two or more characters from `at` that is typed again right after it, the
/// one covering the most characters: its length and how many times it is typed in a row.
fn block_at(chars: &[char], at: usize) -> Option<(usize, usize)> {
    let rest = &chars[at..];
    let mut best: Option<(usize, usize)> = None;
    for unit in 2..=rest.len() / 2 {
        let reps = 1 + rest[unit..].chunks_exact(unit).take_while(|chunk| *chunk == &rest[..unit]).count();
        if reps >= 2 && best.is_none_or(|(u, r)| unit * reps > u * r) {
            best = Some((unit, reps));
        }
    }
    best
}

#[cfg(test)]
#[path = "password_tests.rs"]
mod tests;
