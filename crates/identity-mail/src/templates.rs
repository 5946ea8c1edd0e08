//! The texts of every mail and their rendering: subject and body per kind, with
//! placeholders, secrets kept out of subjects.

use identity_core::ports::Mail;

/// Subject and body of one kind of mail. Placeholders: `{email}`, `{link}`, `{token}`,
/// `{code}`, `{minutes}`, `{what}`, `{new_email}`; the secret ones ([`Template::SECRET_PLACEHOLDERS`]) in the body only.
#[derive(Debug, Clone)]
pub struct Template {
    pub subject: String,
    pub body: String,
}

impl Template {
    /// The placeholders that stand for a secret (a registration code, a link's token): never
    /// in a subject, which mail previews, notifications and lock screens show to anyone
    /// near the device. A subject holding one is refused by the configuration, and rendered
    /// without it here.
    pub const SECRET_PLACEHOLDERS: [&'static str; 3] = ["{code}", "{token}", "{link}"];

    fn new(subject: &str, body: &str) -> Self {
        Self { subject: subject.to_owned(), body: body.to_owned() }
    }

    /// The first secret placeholder in the subject, if it has one.
    pub fn secret_in_subject(&self) -> Option<&'static str> {
        Self::SECRET_PLACEHOLDERS.into_iter().find(|placeholder| self.subject.contains(placeholder))
    }
}

/// The texts of every mail (configurable: `VERIFICATION_EMAIL_SUBJECT`, …).
#[derive(Debug, Clone)]
pub struct MailTemplates {
    pub verify_email: Template,
    pub registration_code: Template,
    pub already_registered: Template,
    pub password_reset: Template,
    pub password_changed: Template,
    pub account_locked: Template,
    pub invitation: Template,
    pub security_notice: Template,
    pub email_change_confirm: Template,
    pub email_change_notice: Template,
}

impl Default for MailTemplates {
    fn default() -> Self {
        Self {
            verify_email: Template::new(
                "Confirm your email address",
                "Hello,\n\nplease confirm your email address by opening this link:\n\n{link}\n\nIf you did not create an account, ignore this mail.\n",
            ),
            registration_code: Template::new(
                "Your registration code",
                "Hello,\n\nyour code to finish signing up is\n\n    {code}\n\nIt is valid for {minutes} minutes. If you did not try to sign up, ignore this mail.\n",
            ),
            already_registered: Template::new(
                "You already have an account",
                "Hello,\n\nsomeone (hopefully you) tried to sign up with {email}, which already has an account.\nSign in instead, or reset your password if you forgot it.\n",
            ),
            password_reset: Template::new(
                "Reset your password",
                "Hello,\n\nopen this link to choose a new password:\n\n{link}\n\nIt is valid for {minutes} minutes and works once. If you did not ask for it, ignore this mail.\n",
            ),
            account_locked: Template::new(
                "Your account was locked",
                "Hello,\n\nafter too many failed sign-ins, your account {email} is locked for {minutes} minutes.\nIf this was not you, someone may be guessing your password: reset it once the lock ends.\n",
            ),
            invitation: Template::new(
                "You have been invited",
                "Hello,\n\nan account was created for you ({email}). Open this link to choose your password:\n\n{link}\n\nIt is valid for {minutes} minutes and works once.\n",
            ),
            security_notice: Template::new(
                "A security change to your account",
                "Hello,\n\n{what} ({email}). If this was not you, sign in, change your password and check your second factors now.\n",
            ),
            password_changed: Template::new(
                "Your password was changed",
                "Hello,\n\nthe password of your account {email} was just changed. If this was not you, reset your password now.\n",
            ),
            email_change_confirm: Template::new(
                "Confirm your new email address",
                "Hello,\n\nsomeone (hopefully you) asked to make {email} the address of their account. Open this link to confirm it:\n\n{link}\n\nIt is valid for {minutes} minutes and works once. If you did not ask for it, ignore this mail.\n",
            ),
            email_change_notice: Template::new(
                "Your email address is about to change",
                "Hello,\n\nsomeone signed in to your account {email} asked to change its address to {new_email}. The change happens only once the link mailed to the new address is opened.\nIf this was not you, sign in and change your password now.\n",
            ),
        }
    }
}

/// A rendered mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub to: String,
    pub subject: String,
    pub body: String,
}

impl MailTemplates {
    /// Every template with the name of its kind (`registration_code`, …).
    pub fn all(&self) -> [(&'static str, &Template); 10] {
        [
            ("verify_email", &self.verify_email),
            ("registration_code", &self.registration_code),
            ("already_registered", &self.already_registered),
            ("password_reset", &self.password_reset),
            ("password_changed", &self.password_changed),
            ("account_locked", &self.account_locked),
            ("invitation", &self.invitation),
            ("security_notice", &self.security_notice),
            ("email_change_confirm", &self.email_change_confirm),
            ("email_change_notice", &self.email_change_notice),
        ]
    }

    /// Fills the template of `mail`'s kind. The secret placeholders are filled in the body
    /// only: in the subject they are dropped.
    pub fn render(&self, mail: &Mail) -> Rendered {
        let (template, values): (&Template, Vec<(&str, String)>) = match mail {
            Mail::VerifyEmail { link, token, .. } => {
                (&self.verify_email, vec![("{link}", link.clone()), ("{token}", token.clone())])
            }
            Mail::RegistrationCode { code, ttl_minutes, .. } => {
                (&self.registration_code, vec![("{code}", code.clone()), ("{minutes}", ttl_minutes.to_string())])
            }
            Mail::AlreadyRegistered { .. } => (&self.already_registered, vec![]),
            Mail::PasswordReset { link, ttl_minutes, .. } => {
                (&self.password_reset, vec![("{link}", link.clone()), ("{minutes}", ttl_minutes.to_string())])
            }
            Mail::PasswordChanged { .. } => (&self.password_changed, vec![]),
            Mail::AccountLocked { minutes, .. } => (&self.account_locked, vec![("{minutes}", minutes.to_string())]),
            Mail::Invitation { link, ttl_minutes, .. } => {
                (&self.invitation, vec![("{link}", link.clone()), ("{minutes}", ttl_minutes.to_string())])
            }
            Mail::SecurityNotice { what, .. } => (&self.security_notice, vec![("{what}", what.clone())]),
            Mail::EmailChangeConfirm { link, ttl_minutes, .. } => {
                (&self.email_change_confirm, vec![("{link}", link.clone()), ("{minutes}", ttl_minutes.to_string())])
            }
            Mail::EmailChangeNotice { new_email, .. } => {
                (&self.email_change_notice, vec![("{new_email}", new_email.clone())])
            }
        };
        let fill = |text: &str, secrets: bool| {
            let mut out = text.to_owned();
            if !secrets {
                for placeholder in Template::SECRET_PLACEHOLDERS {
                    out = out.replace(placeholder, "");
                }
            }
            out = out.replace("{email}", mail.to().as_str());
            for (placeholder, value) in &values {
                if secrets || !Template::SECRET_PLACEHOLDERS.contains(placeholder) {
                    out = out.replace(placeholder, value);
                }
            }
            out
        };
        // A secret never goes into the subject, whatever the template says.
        let subject = fill(&template.subject, false).split_whitespace().collect::<Vec<_>>().join(" ");
        Rendered { to: mail.to().as_str().to_owned(), subject, body: fill(&template.body, true) }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use identity_core::Email;

    use super::*;

    fn code_mail() -> Mail {
        Mail::RegistrationCode { to: Email::parse("ada@example.com").unwrap(), code: "042517".into(), ttl_minutes: 15 }
    }

    #[test]
    fn templates_fill_their_placeholders() {
        let rendered = MailTemplates::default().render(&code_mail());
        assert_eq!(rendered.to, "ada@example.com");
        assert_eq!(rendered.subject, "Your registration code");
        assert!(rendered.body.contains("042517") && rendered.body.contains("15 minutes"));
        let custom = MailTemplates {
            password_reset: Template::new("Reset for {email}", "Go to {link} within {minutes} min"),
            ..MailTemplates::default()
        };
        let reset = Mail::PasswordReset {
            to: Email::parse("ada@example.com").unwrap(),
            link: "https://app.example/reset?token=abc".into(),
            ttl_minutes: 60,
        };
        let rendered = custom.render(&reset);
        assert_eq!(rendered.subject, "Reset for ada@example.com");
        assert_eq!(rendered.body, "Go to https://app.example/reset?token=abc within 60 min");
    }

    #[test]
    fn email_change_mails_name_the_link_and_the_masked_new_address() {
        let defaults = MailTemplates::default();
        let confirm = Mail::EmailChangeConfirm {
            to: Email::parse("ada@new.example").unwrap(),
            link: "https://app.example/confirm-email-change?token=abc".into(),
            ttl_minutes: 1440,
        };
        let rendered = defaults.render(&confirm);
        assert_eq!(rendered.to, "ada@new.example");
        assert!(!rendered.subject.contains("abc"));
        assert!(rendered.body.contains("https://app.example/confirm-email-change?token=abc"), "{}", rendered.body);
        assert!(rendered.body.contains("1440 minutes") && rendered.body.contains("ada@new.example"));
        let notice = Mail::EmailChangeNotice {
            to: Email::parse("ada@old.example").unwrap(),
            new_email: "a***@new.example".into(),
        };
        let rendered = defaults.render(&notice);
        assert_eq!(rendered.to, "ada@old.example");
        assert!(rendered.body.contains("ada@old.example") && rendered.body.contains("a***@new.example"));
        assert!(!rendered.body.contains("{"), "{}", rendered.body);
    }

    #[test]
    fn no_secret_is_ever_in_a_subject() {
        let defaults = MailTemplates::default();
        for (kind, template) in defaults.all() {
            assert_eq!(template.secret_in_subject(), None, "{kind}");
        }
        // A template that asks for one gets the subject without it (the configuration
        // refuses such a template before it gets here).
        let leaky = MailTemplates {
            registration_code: Template::new("Code {code} for {email}", "Your code: {code}"),
            verify_email: Template::new("Verify: {link} ({token})", "{link}"),
            ..MailTemplates::default()
        };
        assert_eq!(leaky.registration_code.secret_in_subject(), Some("{code}"));
        let rendered = leaky.render(&code_mail());
        assert_eq!(rendered.subject, "Code for ada@example.com");
        assert_eq!(rendered.body, "Your code: 042517");
        let verify = Mail::VerifyEmail {
            to: Email::parse("ada@example.com").unwrap(),
            link: "https://app.example/verify?token=abc".into(),
            token: "abc".into(),
        };
        let rendered = leaky.render(&verify);
        assert_eq!(rendered.subject, "Verify: ()");
        assert_eq!(rendered.body, "https://app.example/verify?token=abc");
    }
}
