//! Access tokens: HS256 JWTs with `iss`, `aud`, `sub`, `sid`, `role`, `iat`,
//! `exp`, each bound to a server-side session that every request checks.

use chrono::DateTime;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};

use domain::identity::{AccessClaims, IssueError, TokenIssuer};

/// Issuer of our tokens.
pub const ISSUER: &str = "boutique";
/// Audience of our tokens.
pub const AUDIENCE: &str = "boutique-api";

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// The account id.
    pub sub: String,
    /// The session id.
    pub sid: String,
    /// The role when issued (the database's current role is what counts).
    pub role: String,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Expires at (Unix seconds): the session's end.
    pub exp: i64,
}

/// Issues and verifies tokens.
#[derive(Clone)]
pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl Tokens {
    /// Tokens signed with `secret`.
    #[must_use]
    pub fn new(secret: &[u8]) -> Self {
        // The algorithm is pinned: a token claiming `none` or another
        // algorithm is refused before its signature is even looked at.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // Expiry is checked against the application's clock, with the session.
        validation.validate_exp = false;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
        }
    }

    /// Verifies signature, algorithm, issuer and audience.
    fn decode_claims(&self, token: &str) -> Option<Claims> {
        decode::<Claims>(token, &self.decoding, &self.validation)
            .ok()
            .map(|d| d.claims)
    }
}

impl TokenIssuer for Tokens {
    fn issue(&self, c: &AccessClaims) -> Result<String, IssueError> {
        let claims = Claims {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sub: c.subject.to_string(),
            sid: c.session.to_string(),
            role: c.role.as_str().into(),
            iat: c.issued_at.timestamp(),
            exp: c.expires_at.timestamp(),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| IssueError(e.to_string()))
    }

    fn decode(&self, token: &str) -> Option<AccessClaims> {
        let c = self.decode_claims(token)?;
        Some(AccessClaims {
            subject: c.sub.parse().ok()?,
            session: c.sid.parse().ok()?,
            role: c.role.parse().ok()?,
            issued_at: DateTime::from_timestamp(c.iat, 0)?,
            expires_at: DateTime::from_timestamp(c.exp, 0)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    #[test]
    fn tokens_round_trip_and_forgeries_fail() {
        let t = Tokens::new(&[1u8; 32]);
        let now = chrono::Utc::now();
        let claims = AccessClaims {
            subject: domain::identity::CustomerId::new(),
            session: domain::identity::SessionId::new(),
            role: domain::identity::Role::Customer,
            issued_at: DateTime::from_timestamp(now.timestamp(), 0).unwrap(),
            expires_at: DateTime::from_timestamp(now.timestamp(), 0).unwrap()
                + chrono::Duration::days(2),
        };
        let token = t.issue(&claims).unwrap();
        assert_eq!(t.verify(&token, now).unwrap(), claims);
        assert!(t.verify(&token, claims.expires_at).is_none(), "expired");
        assert!(
            Tokens::new(&[2u8; 32]).verify(&token, now).is_none(),
            "other key"
        );
        let parts: Vec<&str> = token.split('.').collect();
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
            parts[1]
        );
        assert!(t.verify(&none, now).is_none(), "alg none");
        assert!(t.verify("garbage", now).is_none());
    }
}
