//! The mail section: how mails leave (SMTP, an HTTP notification service, or the log), from
//! whom, and their texts.

use secrecy::SecretString;

use super::{ConfigError, Reader, invalid};

/// Read by the notifier.
#[derive(Debug, Clone)]
pub struct MailConfig {
    pub smtp_url: Option<SecretString>,
    /// An HTTP notification service taking one JSON POST per mail (`NOTIFICATION_URL`).
    pub notification_url: Option<String>,
    /// The `Authorization` value sent to it (`NOTIFICATION_AUTH_HEADER` or `_FILE`).
    pub notification_auth: Option<SecretString>,
    pub from: String,
    /// Without a transport: write each mail's text (links, codes) to the log, for development.
    pub log_bodies: bool,
    pub templates: identity_mail::MailTemplates,
}

pub(super) fn read(r: &Reader<'_>) -> Result<MailConfig, ConfigError> {
    let defaults = identity_mail::MailTemplates::default();
    // A subject never carries a secret: previews, notifications and lock screens show it.
    let template = |subject: &'static str,
                    body: &'static str,
                    default: &identity_mail::Template|
     -> Result<identity_mail::Template, ConfigError> {
        let template = identity_mail::Template {
            subject: r.string(subject, &default.subject),
            body: r.string(body, &default.body).replace("\\n", "\n"),
        };
        match template.secret_in_subject() {
            Some(secret) => Err(invalid(
                subject,
                format!("may not contain {secret}: subjects show in previews and on lock screens; put it in the body"),
            )),
            None => Ok(template),
        }
    };
    let mail_templates = identity_mail::MailTemplates {
        verify_email: template("VERIFICATION_EMAIL_SUBJECT", "VERIFICATION_EMAIL_BODY", &defaults.verify_email)?,
        registration_code: template(
            "REGISTRATION_CODE_EMAIL_SUBJECT",
            "REGISTRATION_CODE_EMAIL_BODY",
            &defaults.registration_code,
        )?,
        already_registered: template(
            "ALREADY_REGISTERED_EMAIL_SUBJECT",
            "ALREADY_REGISTERED_EMAIL_BODY",
            &defaults.already_registered,
        )?,
        password_reset: template(
            "PASSWORD_RESET_EMAIL_SUBJECT",
            "PASSWORD_RESET_EMAIL_BODY",
            &defaults.password_reset,
        )?,
        password_changed: template(
            "PASSWORD_CHANGED_EMAIL_SUBJECT",
            "PASSWORD_CHANGED_EMAIL_BODY",
            &defaults.password_changed,
        )?,
        account_locked: template(
            "ACCOUNT_LOCKED_EMAIL_SUBJECT",
            "ACCOUNT_LOCKED_EMAIL_BODY",
            &defaults.account_locked,
        )?,
        invitation: template("INVITATION_EMAIL_SUBJECT", "INVITATION_EMAIL_BODY", &defaults.invitation)?,
        security_notice: template(
            "SECURITY_NOTICE_EMAIL_SUBJECT",
            "SECURITY_NOTICE_EMAIL_BODY",
            &defaults.security_notice,
        )?,
        email_change_confirm: template(
            "EMAIL_CHANGE_EMAIL_SUBJECT",
            "EMAIL_CHANGE_EMAIL_BODY",
            &defaults.email_change_confirm,
        )?,
        email_change_notice: template(
            "EMAIL_CHANGE_NOTICE_EMAIL_SUBJECT",
            "EMAIL_CHANGE_NOTICE_EMAIL_BODY",
            &defaults.email_change_notice,
        )?,
    };
    let smtp_url = r.secret_url("SMTP_URL", "SMTP_URL_FILE", &["smtp", "smtps"])?;
    let notification_url = super::jobs::http_url(r, "NOTIFICATION_URL")?;
    if smtp_url.is_some() && notification_url.is_some() {
        return Err(invalid("NOTIFICATION_URL", "set either SMTP_URL or NOTIFICATION_URL, not both"));
    }
    Ok(MailConfig {
        smtp_url,
        notification_url,
        notification_auth: r.checked_secret(
            "NOTIFICATION_AUTH_HEADER",
            "NOTIFICATION_AUTH_HEADER_FILE",
            super::jobs::header_value,
        )?,
        from: r.string("MAIL_FROM", "identity <no-reply@localhost>"),
        log_bodies: r.boolean("MAIL_LOG_BODIES", false)?,
        templates: mail_templates,
    })
}
