//! Passkeys' relying party (`WEBAUTHN_RP_ID`, `WEBAUTHN_RP_ORIGIN`, `WEBAUTHN_RP_NAME`).

use super::{ConfigError, Reader, invalid};

/// Who browsers create and check passkeys for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebAuthnConfig {
    /// The RP ID: the site's registrable domain or a host name the origin ends with
    /// (`example.com` for `https://id.example.com`). Passkeys are bound to it.
    pub rp_id: String,
    /// The origin of the pages that run the ceremonies (`https://id.example.com`).
    pub origin: String,
    /// The name authenticators show.
    pub name: String,
}

pub(super) fn read(r: &Reader<'_>) -> Result<WebAuthnConfig, ConfigError> {
    let config = WebAuthnConfig {
        rp_id: r.string("WEBAUTHN_RP_ID", "localhost"),
        origin: r.string("WEBAUTHN_RP_ORIGIN", "http://localhost:8080"),
        name: r.string("WEBAUTHN_RP_NAME", "identity"),
    };
    // The relying party checks the pair as a browser would; its refusal names the variable.
    identity_crypto::WebAuthnRp::new(&config.rp_id, &config.origin, &config.name)
        .map_err(|e| invalid("WEBAUTHN_RP_ORIGIN", format!("{e:#} (with WEBAUTHN_RP_ID {:?})", config.rp_id)))?;
    if config.name.trim().is_empty() {
        return Err(invalid("WEBAUTHN_RP_NAME", "may not be blank"));
    }
    Ok(config)
}
