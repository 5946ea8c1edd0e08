//! The pages' languages and texts, and which language a request gets.

use actix_web::HttpRequest;
use actix_web::http::header::{AcceptLanguage, Header, Preference};

/// A language the pages are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    De,
}

impl Lang {
    /// Every language, in the order of [`TEXTS`]' columns.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::De];

    /// The BCP 47 tag (`<html lang>`, `Content-Language`, `?lang=`).
    pub const fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
        }
    }

    /// The language's name in itself, for the language links.
    pub const fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::De => "Deutsch",
        }
    }

    pub const fn index(self) -> usize {
        self as usize
    }

    /// The language of a tag (`de`, `de-AT`, `EN-gb`), when the pages have it.
    pub fn of(tag: &str) -> Option<Lang> {
        let primary = tag.split(['-', '_']).next().unwrap_or_default();
        Lang::ALL.into_iter().find(|lang| lang.tag().eq_ignore_ascii_case(primary))
    }

    /// The language a request asks for: `?lang=` (a link may carry the user's locale), then
    /// the browser's `Accept-Language` in its order of preference, then English.
    pub fn of_request(req: &HttpRequest) -> Lang {
        let query: Vec<(String, String)> = serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
        if let Some(lang) = query.iter().filter(|(name, _)| name == "lang").find_map(|(_, value)| Lang::of(value)) {
            return lang;
        }
        let Ok(accepted) = AcceptLanguage::parse(req) else { return Lang::En };
        accepted
            .ranked()
            .into_iter()
            .find_map(|preference| match preference {
                Preference::Specific(tag) => Lang::of(tag.primary_language()),
                Preference::Any => Some(Lang::En),
            })
            .unwrap_or(Lang::En)
    }
}

/// Every text of the pages: `(key, [English, German])`. Templates name them `{{key}}`; the
/// script shows the `msg_*` ones (the `<template id="messages">` of each page) and fills in
/// `{email}`, `{seconds}`, `{detail}`, `{code}`. `{min}` and `{max}` are the password policy's
/// lengths, filled in by the server.
pub const TEXTS: &[(&str, [&str; 2])] = &[
    ("noscript", ["This page needs JavaScript.", "Diese Seite benötigt JavaScript."]),
    ("email_label", ["Email address", "E-Mail-Adresse"]),
    // Verify the address.
    ("verify_title", ["Verify your email address", "E-Mail-Adresse bestätigen"]),
    (
        "verify_lead",
        [
            "Confirm that this address is yours to finish setting up your account.",
            "Bestätigen Sie, dass diese Adresse Ihnen gehört, um die Einrichtung Ihres Kontos abzuschließen.",
        ],
    ),
    ("verify_button", ["Verify my email address", "Meine E-Mail-Adresse bestätigen"]),
    ("verify_working", ["Verifying …", "Wird bestätigt …"]),
    (
        "verify_done",
        [
            "Your email address {email} is verified. You can close this page and sign in.",
            "Ihre E-Mail-Adresse {email} ist bestätigt. Sie können diese Seite schließen und sich anmelden.",
        ],
    ),
    (
        "verify_invalid_token",
        [
            "This link has expired or was already used. If you verified your address already, just sign in. \
             Otherwise enter your address below and we will send you a new link.",
            "Dieser Link ist abgelaufen oder wurde bereits verwendet. Wenn Sie Ihre Adresse schon bestätigt haben, \
             melden Sie sich einfach an. Andernfalls geben Sie unten Ihre Adresse ein, und wir senden Ihnen einen \
             neuen Link.",
        ],
    ),
    (
        "verify_resent",
        [
            "If {email} belongs to an account that is not verified yet, a new link is on its way. Check your inbox.",
            "Falls {email} zu einem noch nicht bestätigten Konto gehört, ist ein neuer Link unterwegs. Sehen Sie in \
             Ihrem Posteingang nach.",
        ],
    ),
    // Choose a new password.
    ("reset_title", ["Choose a new password", "Neues Passwort festlegen"]),
    (
        "reset_lead",
        ["Enter the new password for your account twice.", "Geben Sie das neue Passwort für Ihr Konto zweimal ein."],
    ),
    ("new_password_label", ["New password", "Neues Passwort"]),
    (
        "password_hint",
        [
            "At least {min} characters. A few unrelated words make a strong password.",
            "Mindestens {min} Zeichen. Ein paar Wörter, die nichts miteinander zu tun haben, ergeben ein starkes \
             Passwort.",
        ],
    ),
    ("confirm_label", ["Repeat the new password", "Neues Passwort wiederholen"]),
    ("reset_button", ["Set the new password", "Neues Passwort speichern"]),
    ("reset_working", ["Saving …", "Wird gespeichert …"]),
    (
        "reset_done",
        [
            "Your password is changed. Every session of your account was signed out: sign in again with the new \
             password.",
            "Ihr Passwort ist geändert. Alle Sitzungen Ihres Kontos wurden abgemeldet: Melden Sie sich mit dem neuen \
             Passwort wieder an.",
        ],
    ),
    (
        "reset_invalid_token",
        [
            "This link has expired or was already used: a password link works once, for a limited time. Enter your \
             address below to get a new one.",
            "Dieser Link ist abgelaufen oder wurde bereits verwendet: Ein Passwort-Link funktioniert nur einmal und \
             nur für begrenzte Zeit. Geben Sie unten Ihre Adresse ein, um einen neuen zu erhalten.",
        ],
    ),
    (
        "reset_resent",
        [
            "If {email} has an account, a new link is on its way. Check your inbox.",
            "Falls zu {email} ein Konto besteht, ist ein neuer Link unterwegs. Sehen Sie in Ihrem Posteingang nach.",
        ],
    ),
    // Confirm a new address (an email change).
    ("change_title", ["Confirm your new email address", "Neue E-Mail-Adresse bestätigen"]),
    (
        "change_lead",
        [
            "Confirm that this address is yours to make it the address of your account.",
            "Bestätigen Sie, dass diese Adresse Ihnen gehört, um sie zur Adresse Ihres Kontos zu machen.",
        ],
    ),
    ("change_button", ["Use this email address", "Diese E-Mail-Adresse verwenden"]),
    ("change_working", ["Changing …", "Wird geändert …"]),
    (
        "change_done",
        [
            "Your account's address is now {email}. Your other sessions were signed out: sign in there with the new \
             address.",
            "Die Adresse Ihres Kontos ist jetzt {email}. Ihre anderen Sitzungen wurden abgemeldet: Melden Sie sich \
             dort mit der neuen Adresse an.",
        ],
    ),
    (
        "change_invalid_token",
        [
            "This link has expired, was already used, or a newer one was sent: only the latest link works, once. \
             To change the address, ask again in your account's settings.",
            "Dieser Link ist abgelaufen, wurde bereits verwendet, oder ein neuerer wurde gesendet: Nur der neueste \
             Link funktioniert, und nur einmal. Um die Adresse zu ändern, fordern Sie in den Einstellungen Ihres \
             Kontos einen neuen an.",
        ],
    ),
    (
        "change_email_taken",
        [
            "Another account already uses this address, so it cannot become the address of yours.",
            "Ein anderes Konto verwendet diese Adresse bereits, daher kann sie nicht die Adresse Ihres Kontos werden.",
        ],
    ),
    ("resend_button", ["Send me a new link", "Neuen Link senden"]),
    ("mismatch", ["The two passwords differ.", "Die beiden Passwörter stimmen nicht überein."]),
    // Answers every page may get.
    (
        "missing_token",
        [
            "This link is incomplete: open the whole link from the mail (it ends in a long code). If your mail \
             program split it, copy all of it into the address bar.",
            "Dieser Link ist unvollständig: Öffnen Sie den ganzen Link aus der E-Mail (er endet mit einem langen \
             Code). Falls Ihr E-Mail-Programm ihn umbrochen hat, kopieren Sie ihn vollständig in die Adresszeile.",
        ],
    ),
    (
        "rate_limited",
        [
            "Too many attempts. Try again in {seconds} seconds.",
            "Zu viele Versuche. Versuchen Sie es in {seconds} Sekunden erneut.",
        ],
    ),
    (
        "unavailable",
        [
            "The service is unavailable at the moment. Try again in a few minutes.",
            "Der Dienst ist gerade nicht verfügbar. Versuchen Sie es in ein paar Minuten erneut.",
        ],
    ),
    (
        "network",
        [
            "The service could not be reached. Check your connection and try again.",
            "Der Dienst war nicht erreichbar. Prüfen Sie Ihre Verbindung und versuchen Sie es erneut.",
        ],
    ),
    ("unexpected", ["Something went wrong: {detail} ({code})", "Etwas ist schiefgegangen: {detail} ({code})"]),
    ("check_input", ["Please check your input:", "Bitte prüfen Sie Ihre Eingabe:"]),
    // Field errors, by the `code` of the problem's `errors` entry.
    ("field_required", ["This field is required.", "Dieses Feld ist erforderlich."]),
    ("field_too_short", ["Use at least {min} characters.", "Verwenden Sie mindestens {min} Zeichen."]),
    ("field_too_long", ["Use at most {max} characters.", "Verwenden Sie höchstens {max} Zeichen."]),
    (
        "field_common_password",
        [
            "This password is too common: choose one that is harder to guess.",
            "Dieses Passwort ist zu verbreitet: Wählen Sie eines, das schwerer zu erraten ist.",
        ],
    ),
    (
        "field_contains_email",
        ["The password may not contain your email address.", "Das Passwort darf Ihre E-Mail-Adresse nicht enthalten."],
    ),
    (
        "field_contains_username",
        [
            "The password may not be built on your username.",
            "Das Passwort darf nicht auf Ihrem Benutzernamen aufbauen.",
        ],
    ),
    (
        "field_contains_service_name",
        [
            "The password may not be built on the name of this service.",
            "Das Passwort darf nicht auf dem Namen dieses Dienstes aufbauen.",
        ],
    ),
    (
        "field_repetitive_password",
        [
            "This password is mostly repeated characters: choose one that is harder to guess.",
            "Dieses Passwort besteht größtenteils aus wiederholten Zeichen: Wählen Sie eines, das schwerer zu erraten \
             ist.",
        ],
    ),
    (
        "field_sequential_password",
        [
            "This password is mostly a sequence (abcd, 1234, qwerty): choose one that is harder to guess.",
            "Dieses Passwort ist größtenteils eine Zeichenfolge (abcd, 1234, qwertz): Wählen Sie eines, das schwerer \
             zu erraten ist.",
        ],
    ),
    (
        "field_missing_uppercase",
        ["Use at least one upper-case letter.", "Verwenden Sie mindestens einen Großbuchstaben."],
    ),
    (
        "field_missing_special",
        [
            "Use at least one digit or special character.",
            "Verwenden Sie mindestens eine Ziffer oder ein Sonderzeichen.",
        ],
    ),
    (
        "field_forbidden_word",
        ["The password contains a word that is not allowed.", "Das Passwort enthält ein nicht erlaubtes Wort."],
    ),
    (
        "field_invalid_characters",
        ["This contains characters that are not allowed.", "Dies enthält Zeichen, die nicht erlaubt sind."],
    ),
    ("field_email", ["Enter a valid email address.", "Geben Sie eine gültige E-Mail-Adresse ein."]),
];

/// The text `key` in `lang`.
pub fn text(key: &str, lang: Lang) -> Option<&'static str> {
    TEXTS.iter().find(|(k, _)| *k == key).map(|(_, texts)| texts[lang.index()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_name_languages() {
        assert_eq!(Lang::of("de-AT"), Some(Lang::De));
        assert_eq!(Lang::of("EN_gb"), Some(Lang::En));
        assert_eq!(Lang::of("fr"), None);
        assert_eq!(Lang::of(""), None);
    }

    #[test]
    fn the_query_then_accept_language_then_english() {
        use actix_web::test::TestRequest;
        let lang = |uri: &str, accept: Option<&str>| {
            let mut req = TestRequest::get().uri(uri);
            if let Some(accept) = accept {
                req = req.insert_header(("accept-language", accept));
            }
            Lang::of_request(&req.to_http_request())
        };
        assert_eq!(lang("/verify-email?token=t", None), Lang::En);
        assert_eq!(lang("/verify-email?token=t", Some("de-DE,de;q=0.9,en;q=0.8")), Lang::De);
        assert_eq!(lang("/verify-email?token=t", Some("fr-CH, fr;q=0.9, de;q=0.7, *;q=0.5")), Lang::De);
        assert_eq!(lang("/verify-email?token=t", Some("fr, *;q=0.5")), Lang::En);
        assert_eq!(lang("/verify-email?token=t", Some("de;q=0, en")), Lang::En);
        assert_eq!(lang("/verify-email?token=t&lang=de", Some("en")), Lang::De);
        assert_eq!(lang("/verify-email?lang=en&token=t", Some("de")), Lang::En);
        assert_eq!(lang("/verify-email?lang=xx", Some("de")), Lang::De);
        assert_eq!(lang("/verify-email?lang=%00", Some("garbage;;;q")), Lang::En);
    }

    #[test]
    fn every_text_has_every_language() {
        let mut keys = std::collections::BTreeSet::new();
        for (key, texts) in TEXTS {
            assert!(keys.insert(*key), "{key} twice");
            assert!(texts.iter().all(|t| !t.trim().is_empty()), "{key}");
        }
    }
}
