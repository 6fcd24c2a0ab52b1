//! `/v1/legal/*`: the privacy policy and the terms, versioned (LAW-1);
//! `/v1/consent-purposes`: what consent is asked for (CON-1); and their
//! admin side.

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use domain::consent::{LegalBasis, NewPurpose, Purpose};
use domain::legal::{DocumentKind, LegalDocument, NewVersion, VersionInfo};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::auth::Admin;
use crate::body::{Body, Params};
use crate::problem::{ApiError, BodyErrors, Problem, SignedInErrors};
use crate::routes::common::validate;
use crate::state::SharedState;

/// Which legal document:
///
/// - `privacy-policy`: the privacy policy.
/// - `terms`: the terms of sale and use.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum LegalDocumentName {
    /// The privacy policy.
    PrivacyPolicy,
    /// The terms.
    Terms,
}

fn kind(raw: &str) -> Result<DocumentKind, ApiError> {
    match raw {
        "privacy-policy" => Ok(DocumentKind::PrivacyPolicy),
        "terms" => Ok(DocumentKind::Terms),
        _ => Err(ApiError::NotFound(
            "No legal document has this name: use `privacy-policy` or `terms`.".into(),
        )),
    }
}

/// One version of a legal document, with its texts.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "document": "privacy-policy",
    "version": 1,
    "published_at": "2019-03-06T00:00:00Z",
    "text_hash": "9b2f5c0d3e4a1f6b8c7d9e0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4",
    "summary": "Politique de confidentialité du 6 mars 2019.",
    "text_fr": "Politique de Confidentialité\n\n1. Utilisation des données personnelles collectées…",
    "text_en": "Privacy Policy\n\n1. Use of the personal data collected…"
}))]
pub struct LegalDocumentVersion {
    /// Which document.
    pub document: LegalDocumentName,
    /// Version number, from 1; each publication takes the next.
    #[schema(minimum = 1)]
    pub version: i32,
    /// When it was published (RFC 3339, UTC).
    pub published_at: DateTime<Utc>,
    /// SHA-256, in lowercase hex, of the French text, a NUL byte and the
    /// English text: what the consent ledger records beside the version.
    #[schema(min_length = 64, max_length = 64, pattern = "^[0-9a-f]{64}$")]
    pub text_hash: String,
    /// What changed, in a sentence; `null` when not said.
    pub summary: Option<String>,
    /// The text in French (the version of reference).
    pub text_fr: String,
    /// The text in English.
    pub text_en: String,
}

fn name(k: DocumentKind) -> LegalDocumentName {
    match k {
        DocumentKind::PrivacyPolicy => LegalDocumentName::PrivacyPolicy,
        DocumentKind::Terms => LegalDocumentName::Terms,
    }
}

impl From<LegalDocument> for LegalDocumentVersion {
    fn from(d: LegalDocument) -> Self {
        Self {
            document: name(d.kind),
            version: d.version,
            published_at: d.published_at,
            text_hash: d.hash,
            summary: d.summary,
            text_fr: d.text_fr,
            text_en: d.text_en,
        }
    }
}

/// A version in the history.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"version": 1, "published_at": "2019-03-06T00:00:00Z", "text_hash": "9b2f5c0d3e4a1f6b8c7d9e0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4", "summary": "Politique de confidentialité du 6 mars 2019."}))]
pub struct LegalVersionSummary {
    /// Version number.
    #[schema(minimum = 1)]
    pub version: i32,
    /// When it was published (RFC 3339, UTC).
    pub published_at: DateTime<Utc>,
    /// SHA-256 of its texts (see `LegalDocumentVersion.text_hash`).
    pub text_hash: String,
    /// What changed; `null` when not said.
    pub summary: Option<String>,
}

impl From<VersionInfo> for LegalVersionSummary {
    fn from(v: VersionInfo) -> Self {
        Self {
            version: v.version,
            published_at: v.published_at,
            text_hash: v.hash,
            summary: v.summary,
        }
    }
}

/// Every version of a document, newest first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"document": "privacy-policy", "current_version": 1, "items": [{"version": 1, "published_at": "2019-03-06T00:00:00Z", "text_hash": "9b2f5c0d3e4a1f6b8c7d9e0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4", "summary": null}]}))]
pub struct LegalVersionList {
    /// Which document.
    pub document: LegalDocumentName,
    /// The version in force; `null` while none is published.
    pub current_version: Option<i32>,
    /// Every version, newest first.
    pub items: Vec<LegalVersionSummary>,
}

/// `?version=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VersionParams {
    /// An older version to read (default: the version in force).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000000, example = 1)]
    pub version: Option<String>,
}

/// A legal document, as in force (or an older version).
///
/// Public. `GET /v1/legal/privacy-policy` is what a registration or
/// checkout form shows; it sends back the `version` it showed.
#[utoipa::path(
    tag = "legal",
    operation_id = "get_legal_document",
    params(("document" = LegalDocumentName, Path, description = "`privacy-policy` or `terms`"), VersionParams),
    responses(
        (status = 200, description = "The version", body = LegalDocumentVersion),
        (status = 400, description = "`version` is not a whole number from 1", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such document, no such version, or none published yet", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/legal/{document}")]
pub async fn get_legal_document(
    state: SharedState,
    path: web::Path<String>,
    params: Params<VersionParams>,
) -> Result<web::Json<LegalDocumentVersion>, ApiError> {
    let kind = kind(&path)?;
    let params = params.read()?;
    let r = state.store.reader();
    let doc = match params.version.as_deref().filter(|v| !v.is_empty()) {
        Some(v) => {
            let v: i32 = v.parse().ok().filter(|v| *v >= 1).ok_or_else(|| {
                let mut f = domain::FieldErrors::default();
                f.push("version", "must be a whole number from 1");
                ApiError::Validation(f)
            })?;
            r.legal().version(kind, v).await?
        }
        None => r.legal().current(kind).await?,
    };
    doc.map(|d| web::Json(d.into()))
        .ok_or_else(|| ApiError::NotFound("No such version of this document is published.".into()))
}

/// The versions of a legal document, newest first.
#[utoipa::path(
    tag = "legal",
    operation_id = "list_legal_document_versions",
    params(("document" = LegalDocumentName, Path, description = "`privacy-policy` or `terms`")),
    responses(
        (status = 200, description = "The history", body = LegalVersionList),
        (status = 404, description = "No such document", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/legal/{document}/versions")]
pub async fn list_legal_document_versions(
    state: SharedState,
    path: web::Path<String>,
) -> Result<web::Json<LegalVersionList>, ApiError> {
    let kind = kind(&path)?;
    let items: Vec<LegalVersionSummary> = state
        .store
        .reader()
        .legal()
        .history(kind)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(web::Json(LegalVersionList {
        document: name(kind),
        current_version: items.first().map(|v| v.version),
        items,
    }))
}

/// A new version of a legal document (the body of
/// `POST /v1/admin/legal/{document}/versions`).
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"text_fr": "Politique de Confidentialité\n\n…", "text_en": "Privacy Policy\n\n…", "summary": "Ajout du formulaire de contact."}))]
pub struct NewLegalVersion {
    /// The French text: 1 to 20,000 characters (line breaks kept).
    #[validate(length(max = 20000))]
    #[schema(min_length = 1, max_length = 20000)]
    pub text_fr: String,
    /// The English text: 1 to 20,000 characters.
    #[validate(length(max = 20000))]
    #[schema(min_length = 1, max_length = 20000)]
    pub text_en: String,
    /// What changed, in a sentence (at most 500 characters).
    #[validate(length(max = 500))]
    #[schema(max_length = 500)]
    pub summary: Option<String>,
}

/// Publish a new version of a legal document (admins).
///
/// The version takes the next number and is never edited afterwards.
/// Customers whose last acceptance is of an older version see
/// `consent_required: true` in `GET /v1/me` until they accept again.
/// Audited.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_publish_legal_version",
    security(("bearer" = [])),
    params(("document" = LegalDocumentName, Path, description = "`privacy-policy` or `terms`")),
    request_body = NewLegalVersion,
    responses(
        (status = 201, description = "Published", body = LegalDocumentVersion, headers(("Location" = String, description = "The new version"))),
        (status = 404, description = "No such document", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another version was published at the same moment", body = Problem, content_type = "application/problem+json"),
        BodyErrors,
        SignedInErrors,
    )
)]
#[post("/v1/admin/legal/{document}/versions")]
pub async fn admin_publish_legal_version(
    state: SharedState,
    admin: Admin,
    path: web::Path<String>,
    body: Body<NewLegalVersion>,
) -> Result<HttpResponse, ApiError> {
    let kind = kind(&path)?;
    let b = body.read().await?;
    validate(&b)?;
    let new = NewVersion::parse(&b.text_fr, &b.text_en, b.summary.as_deref())?;
    let doc = domain::legal::publish(
        state.store.as_ref(),
        state.clock.as_ref(),
        &admin.0,
        kind,
        new,
    )
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            "Location",
            format!("/v1/legal/{}?version={}", kind.slug(), doc.version),
        ))
        .json(LegalDocumentVersion::from(doc)))
}

/// The legal basis of a processing (GDPR art. 6(1)):
///
/// - `consent` (a): given and withdrawn freely, at any time.
/// - `contract` (b): needed for the account or an order; ends with them.
/// - `legal_obligation` (c): required by law.
/// - `legitimate_interest` (f): the shop's interest; the person may object.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = LegalBasis)]
pub enum LegalBasisDto {
    /// Consent.
    Consent,
    /// Contract.
    Contract,
    /// Legal obligation.
    LegalObligation,
    /// Legitimate interest.
    LegitimateInterest,
}

impl From<LegalBasis> for LegalBasisDto {
    fn from(b: LegalBasis) -> Self {
        match b {
            LegalBasis::Consent => Self::Consent,
            LegalBasis::Contract => Self::Contract,
            LegalBasis::LegalObligation => Self::LegalObligation,
            LegalBasis::LegitimateInterest => Self::LegitimateInterest,
        }
    }
}

impl From<LegalBasisDto> for LegalBasis {
    fn from(b: LegalBasisDto) -> Self {
        match b {
            LegalBasisDto::Consent => Self::Consent,
            LegalBasisDto::Contract => Self::Contract,
            LegalBasisDto::LegalObligation => Self::LegalObligation,
            LegalBasisDto::LegitimateInterest => Self::LegitimateInterest,
        }
    }
}

/// What consent can be asked for.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"key": "newsletter", "legal_basis": "consent", "withdrawable": true, "description_fr": "Recevoir la lettre d'information de la boutique (nouveaux plans, articles), par e-mail.", "description_en": "Receive the shop's newsletter (new plans, articles) by e-mail.", "builtin": true}))]
pub struct ConsentPurpose {
    /// The purpose's key, for `PUT /v1/me/consents/{purpose}`.
    #[schema(pattern = "^[a-z][a-z0-9_]{1,63}$")]
    pub key: String,
    /// What the processing rests on (see `LegalBasis`).
    pub legal_basis: LegalBasisDto,
    /// Whether a person can withdraw it alone (`consent`,
    /// `legitimate_interest`); `terms_and_privacy` ends with the account.
    pub withdrawable: bool,
    /// What it is for, in French.
    pub description_fr: String,
    /// What it is for, in English.
    pub description_en: String,
    /// One of the shop's own three (`terms_and_privacy`, `newsletter`,
    /// `marketing_email`).
    pub builtin: bool,
}

impl From<&Purpose> for ConsentPurpose {
    fn from(p: &Purpose) -> Self {
        Self {
            key: p.key.to_string(),
            legal_basis: p.legal_basis.into(),
            withdrawable: p.legal_basis.withdrawable(),
            description_fr: p.description_fr.clone(),
            description_en: p.description_en.clone(),
            builtin: p.builtin,
        }
    }
}

/// Every purpose.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"key": "terms_and_privacy", "legal_basis": "contract", "withdrawable": false, "description_fr": "Acceptation des conditions et de la politique de confidentialité.", "description_en": "Acceptance of the terms and the privacy policy.", "builtin": true}, {"key": "newsletter", "legal_basis": "consent", "withdrawable": true, "description_fr": "Recevoir la lettre d'information.", "description_en": "Receive the newsletter.", "builtin": true}]}))]
pub struct ConsentPurposeList {
    /// Built-in purposes first, then by key.
    pub items: Vec<ConsentPurpose>,
}

/// What consent can be asked for: the shop's purposes with their legal
/// basis, for the checkboxes of a form. Public.
#[utoipa::path(
    tag = "legal",
    operation_id = "list_consent_purposes",
    responses((status = 200, description = "The purposes", body = ConsentPurposeList))
)]
#[get("/v1/consent-purposes")]
pub async fn list_consent_purposes(
    state: SharedState,
) -> Result<web::Json<ConsentPurposeList>, ApiError> {
    let items = state.store.reader().consents().purposes().await?;
    Ok(web::Json(ConsentPurposeList {
        items: items.iter().map(ConsentPurpose::from).collect(),
    }))
}

/// A purpose to define (the body of `POST /v1/admin/consent-purposes`).
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"key": "sms_offers", "legal_basis": "consent", "description_fr": "Recevoir nos offres par SMS.", "description_en": "Receive our offers by text message."}))]
pub struct NewConsentPurpose {
    /// 2 to 64 lower-case letters, digits and underscores, starting with a letter.
    #[validate(length(max = 64))]
    #[schema(min_length = 2, max_length = 64, pattern = "^[a-z][a-z0-9_]{1,63}$")]
    pub key: String,
    /// What the processing rests on (see `LegalBasis`).
    pub legal_basis: LegalBasisDto,
    /// What it is for, in French: 10 to 1,000 characters.
    #[validate(length(max = 1000))]
    #[schema(min_length = 10, max_length = 1000)]
    pub description_fr: String,
    /// What it is for, in English: 10 to 1,000 characters.
    #[validate(length(max = 1000))]
    #[schema(min_length = 10, max_length = 1000)]
    pub description_en: String,
}

/// Define a consent purpose (admins), audited. Purposes are never
/// deleted: the ledger keeps referring to them.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_define_consent_purpose",
    security(("bearer" = [])),
    request_body = NewConsentPurpose,
    responses(
        (status = 201, description = "Defined", body = ConsentPurpose),
        (status = 409, description = "A purpose has this key already", body = Problem, content_type = "application/problem+json"),
        BodyErrors,
        SignedInErrors,
    )
)]
#[post("/v1/admin/consent-purposes")]
pub async fn admin_define_consent_purpose(
    state: SharedState,
    admin: Admin,
    body: Body<NewConsentPurpose>,
) -> Result<HttpResponse, ApiError> {
    let b = body.read().await?;
    validate(&b)?;
    let new = NewPurpose::parse(
        &b.key,
        b.legal_basis.into(),
        &b.description_fr,
        &b.description_en,
    )?;
    let p =
        domain::consent::define_purpose(state.store.as_ref(), state.clock.as_ref(), &admin.0, new)
            .await?;
    Ok(HttpResponse::Created().json(ConsentPurpose::from(&p)))
}
