//! The caller's consents (CON-1): where they stand on every purpose, the
//! history of their decisions, and one call to give or withdraw.

use actix_web::{get, put, web};
use chrono::{DateTime, Utc};
use domain::consent::{ConsentEvent, ConsentStatus, Decision, MyConsents};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Auth;
use crate::body::Body;
use crate::problem::{ApiError, BodyErrors, Problem, SignedInErrors};
use crate::routes::legal::ConsentPurpose;
use crate::state::SharedState;

/// Through what a decision came:
///
/// - `registration`: the registration form.
/// - `checkout`: the checkout.
/// - `account_page`: `PUT /v1/me/consents/{purpose}`.
/// - `newsletter_form`: the newsletter form, recorded when the address was confirmed.
/// - `email_link`: the one-click unsubscribe link of a letter.
/// - `staff_request`: staff, at the person's request.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConsentChannel {
    /// Registration.
    Registration,
    /// Checkout.
    Checkout,
    /// The account page.
    AccountPage,
    /// The newsletter form.
    NewsletterForm,
    /// An e-mail link.
    EmailLink,
    /// Staff on request.
    StaffRequest,
}

impl From<domain::consent::Channel> for ConsentChannel {
    fn from(c: domain::consent::Channel) -> Self {
        use domain::consent::Channel as C;
        match c {
            C::Registration => Self::Registration,
            C::Checkout => Self::Checkout,
            C::AccountPage => Self::AccountPage,
            C::NewsletterForm => Self::NewsletterForm,
            C::EmailLink => Self::EmailLink,
            C::StaffRequest => Self::StaffRequest,
        }
    }
}

/// Where the caller stands on one purpose.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"purpose": "newsletter", "given": true, "policy_version": 1, "terms_version": null, "updated_at": "2026-11-20T17:42:31Z"}))]
pub struct ConsentState {
    /// The purpose's key.
    pub purpose: String,
    /// `true` while the consent stands.
    pub given: bool,
    /// The privacy policy version in force at the last decision.
    pub policy_version: Option<i32>,
    /// The terms version in force at the last decision.
    pub terms_version: Option<i32>,
    /// When it was last decided (RFC 3339, UTC).
    pub updated_at: DateTime<Utc>,
}

impl From<ConsentStatus> for ConsentState {
    fn from(s: ConsentStatus) -> Self {
        Self {
            purpose: s.purpose,
            given: s.given,
            policy_version: s.policy_version,
            terms_version: s.terms_version,
            updated_at: s.updated_at,
        }
    }
}

/// A purpose and the caller's decision on it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"purpose": {"key": "newsletter", "legal_basis": "consent", "withdrawable": true, "description_fr": "Recevoir la lettre d'information.", "description_en": "Receive the newsletter.", "builtin": true}, "state": {"purpose": "newsletter", "given": true, "policy_version": 1, "terms_version": null, "updated_at": "2026-11-20T17:42:31Z"}}))]
pub struct PurposeConsent {
    /// What consent is asked for.
    pub purpose: ConsentPurpose,
    /// The caller's decision; `null` when never asked.
    pub state: Option<ConsentState>,
}

/// One recorded decision.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "01a21fb1-0d2c-7f4e-9a1b-2c3d4e5f6a7b", "purpose": "terms_and_privacy", "given": true, "channel": "registration", "policy_version": 1, "policy_hash": "9b2f5c0d3e4a1f6b8c7d9e0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4", "terms_version": null, "terms_hash": null, "at": "2026-11-02T08:15:00Z"}))]
pub struct ConsentRecord {
    /// Id of the ledger entry (a UUID).
    pub id: uuid::Uuid,
    /// The purpose's key.
    pub purpose: String,
    /// Given (`true`) or withdrawn.
    pub given: bool,
    /// Through what.
    pub channel: ConsentChannel,
    /// The privacy policy version shown.
    pub policy_version: Option<i32>,
    /// Its text's SHA-256 (see `GET /v1/legal/privacy-policy`).
    pub policy_hash: Option<String>,
    /// The terms version shown.
    pub terms_version: Option<i32>,
    /// Its text's SHA-256.
    pub terms_hash: Option<String>,
    /// When (RFC 3339, UTC).
    pub at: DateTime<Utc>,
}

impl From<ConsentEvent> for ConsentRecord {
    fn from(e: ConsentEvent) -> Self {
        Self {
            id: e.id,
            purpose: e.purpose,
            given: e.given,
            channel: e.channel.into(),
            policy_version: e.policy.as_ref().map(|d| d.version),
            policy_hash: e.policy.map(|d| d.hash),
            terms_version: e.terms.as_ref().map(|d| d.version),
            terms_hash: e.terms.map(|d| d.hash),
            at: e.at,
        }
    }
}

/// The caller's consents.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"consent_required": false, "privacy_policy_version": 1, "terms_version": null, "purposes": [{"purpose": {"key": "newsletter", "legal_basis": "consent", "withdrawable": true, "description_fr": "Recevoir la lettre d'information.", "description_en": "Receive the newsletter.", "builtin": true}, "state": null}], "history": [{"id": "01a21fb1-0d2c-7f4e-9a1b-2c3d4e5f6a7b", "purpose": "terms_and_privacy", "given": true, "channel": "registration", "policy_version": 1, "policy_hash": "9b2f5c0d3e4a1f6b8c7d9e0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4", "terms_version": null, "terms_hash": null, "at": "2026-11-02T08:15:00Z"}]}))]
pub struct Consents {
    /// `true` when a newer privacy policy or terms were published since
    /// the caller last accepted `terms_and_privacy`.
    pub consent_required: bool,
    /// The privacy policy version in force.
    pub privacy_policy_version: Option<i32>,
    /// The terms version in force; `null` while none is published.
    pub terms_version: Option<i32>,
    /// Every purpose with the caller's decision.
    pub purposes: Vec<PurposeConsent>,
    /// The caller's decisions, newest first (at most 500).
    pub history: Vec<ConsentRecord>,
}

impl From<MyConsents> for Consents {
    fn from(m: MyConsents) -> Self {
        Self {
            consent_required: m.consent_required,
            privacy_policy_version: m.documents.privacy.as_ref().map(|d| d.version),
            terms_version: m.documents.terms.as_ref().map(|d| d.version),
            purposes: m
                .purposes
                .into_iter()
                .map(|(p, s)| PurposeConsent {
                    purpose: ConsentPurpose::from(&p),
                    state: s.map(Into::into),
                })
                .collect(),
            history: m.history.into_iter().map(Into::into).collect(),
        }
    }
}

/// The caller's consents: current state on every purpose, and history.
#[utoipa::path(
    tag = "me",
    operation_id = "get_my_consents",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The consents", body = Consents),
        SignedInErrors,
    )
)]
#[get("/v1/me/consents")]
pub async fn get_my_consents(
    state: SharedState,
    auth: Auth,
) -> Result<web::Json<Consents>, ApiError> {
    let m = domain::consent::my_consents(state.store.as_ref(), &auth.0).await?;
    Ok(web::Json(m.into()))
}

/// A decision (the body of `PUT /v1/me/consents/{purpose}`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"given": true, "policy_version": 1}))]
pub struct ConsentDecision {
    /// `true` gives consent, `false` withdraws it. Only a JSON boolean is
    /// accepted: `"true"`, `1` or a missing field are refused.
    pub given: bool,
    /// Required to give: the privacy policy version shown, which must be
    /// the version in force.
    #[schema(minimum = 1, maximum = 1000000)]
    pub policy_version: Option<i32>,
    /// Required to give `terms_and_privacy` once terms are published: the
    /// terms version shown.
    #[schema(minimum = 1, maximum = 1000000)]
    pub terms_version: Option<i32>,
}

/// Give or withdraw consent to one purpose, in one call.
///
/// Giving needs the version of the privacy policy in force (and of the
/// terms, for `terms_and_privacy`). A decision that changes nothing
/// records nothing. Withdrawing `newsletter` or `marketing_email` takes
/// effect before the next letter: letters already queued are dropped.
/// `terms_and_privacy` cannot be withdrawn alone (409): it ends with the
/// account.
#[utoipa::path(
    tag = "me",
    operation_id = "set_my_consent",
    security(("bearer" = [])),
    params(("purpose" = String, Path, description = "A purpose's key (`GET /v1/consent-purposes`)", example = "newsletter", max_length = 64)),
    request_body = ConsentDecision,
    responses(
        (status = 200, description = "Where the caller now stands", body = ConsentState),
        (status = 404, description = "No purpose has this key", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "This purpose rests on a contract and cannot be withdrawn alone", body = Problem, content_type = "application/problem+json"),
        BodyErrors,
        SignedInErrors,
    )
)]
#[put("/v1/me/consents/{purpose}")]
pub async fn set_my_consent(
    state: SharedState,
    auth: Auth,
    path: web::Path<String>,
    body: Body<ConsentDecision>,
) -> Result<web::Json<ConsentState>, ApiError> {
    let b = body.read().await?;
    let s = domain::consent::set_consent(
        state.store.as_ref(),
        state.index.as_ref(),
        state.clock.as_ref(),
        &auth.0,
        &path,
        Decision {
            given: b.given,
            policy_version: b.policy_version,
            terms_version: b.terms_version,
        },
    )
    .await?;
    Ok(web::Json(s.into()))
}
