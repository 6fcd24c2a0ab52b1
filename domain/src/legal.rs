//! Versioned legal documents (LAW-1): the privacy policy and the terms. A
//! published version is never edited; a new one gets the next number. Each
//! version carries the SHA-256 of its texts, which the consent ledger
//! records beside the version a person accepted.

use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::audit::{AuditAction, AuditTarget, NewAuditEntry};
use crate::clock::Clock;
use crate::error::{FieldErrors, StorageError};
use crate::identity::Principal;
use crate::service::ServiceError;
use crate::store::{Repos, Store};
use crate::text::bounded;

/// Which document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentKind {
    /// The privacy policy.
    PrivacyPolicy,
    /// The terms of sale and use.
    Terms,
}

impl DocumentKind {
    /// Every kind.
    pub const ALL: [Self; 2] = [Self::PrivacyPolicy, Self::Terms];

    /// The stored name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::PrivacyPolicy => "privacy_policy",
            Self::Terms => "terms",
        }
    }

    /// The name in paths (`/v1/legal/privacy-policy`).
    #[must_use]
    pub const fn slug(self) -> &'static str {
        match self {
            Self::PrivacyPolicy => "privacy-policy",
            Self::Terms => "terms",
        }
    }
}

impl FromStr for DocumentKind {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s || k.slug() == s)
            .ok_or(())
    }
}

impl fmt::Display for DocumentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The hash shown with a version and recorded in the ledger: SHA-256 of the
/// French text, a NUL byte and the English text, in lowercase hex.
#[must_use]
pub fn document_hash(fr: &str, en: &str) -> String {
    let mut h = Sha256::new();
    h.update(fr.as_bytes());
    h.update([0u8]);
    h.update(en.as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// One published version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegalDocument {
    /// Id.
    pub id: Uuid,
    /// Which document.
    pub kind: DocumentKind,
    /// Version number, from 1.
    pub version: i32,
    /// When it was published.
    pub published_at: DateTime<Utc>,
    /// French text.
    pub text_fr: String,
    /// English text.
    pub text_en: String,
    /// [`document_hash`] of the texts.
    pub hash: String,
    /// What changed, in a sentence.
    pub summary: Option<String>,
}

impl LegalDocument {
    /// The version and hash, as the ledger records them.
    #[must_use]
    pub fn reference(&self) -> DocumentRef {
        DocumentRef {
            version: self.version,
            hash: self.hash.clone(),
        }
    }
}

/// A version and its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRef {
    /// Version number.
    pub version: i32,
    /// Its hash.
    pub hash: String,
}

/// A version in the history, without its texts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionInfo {
    /// Version number.
    pub version: i32,
    /// When it was published.
    pub published_at: DateTime<Utc>,
    /// Its hash.
    pub hash: String,
    /// What changed.
    pub summary: Option<String>,
}

/// Published versions. Rows are only ever inserted.
#[async_trait]
pub trait LegalRepo: Send + Sync {
    /// The latest version of a document.
    async fn current(&self, kind: DocumentKind) -> Result<Option<LegalDocument>, StorageError>;
    /// One version.
    async fn version(
        &self,
        kind: DocumentKind,
        version: i32,
    ) -> Result<Option<LegalDocument>, StorageError>;
    /// Every version, newest first.
    async fn history(&self, kind: DocumentKind) -> Result<Vec<VersionInfo>, StorageError>;
    /// Stores a new version; false when that version number exists already
    /// (another publication won the race).
    async fn insert(
        &self,
        doc: &LegalDocument,
        by: Option<crate::ids::CustomerId>,
    ) -> Result<bool, StorageError>;
}

/// The current privacy policy and terms, as a consent event records them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CurrentDocuments {
    /// The privacy policy in force.
    pub privacy: Option<DocumentRef>,
    /// The terms in force, once published.
    pub terms: Option<DocumentRef>,
}

/// The versions in force.
///
/// # Errors
/// Storage failure.
pub async fn current_documents(repos: &dyn Repos) -> Result<CurrentDocuments, StorageError> {
    Ok(CurrentDocuments {
        privacy: repos
            .legal()
            .current(DocumentKind::PrivacyPolicy)
            .await?
            .map(|d| d.reference()),
        terms: repos
            .legal()
            .current(DocumentKind::Terms)
            .await?
            .map(|d| d.reference()),
    })
}

/// A new version's texts, parsed.
#[derive(Debug, Clone)]
pub struct NewVersion {
    /// French text.
    pub text_fr: String,
    /// English text.
    pub text_en: String,
    /// What changed.
    pub summary: Option<String>,
}

/// Longest text of a legal document, in characters.
pub const MAX_TEXT: usize = 20_000;

impl NewVersion {
    /// Parses texts of 1 to 20,000 characters and a summary of at most 500.
    ///
    /// # Errors
    /// Every refused field.
    pub fn parse(fr: &str, en: &str, summary: Option<&str>) -> Result<Self, FieldErrors> {
        let mut f = FieldErrors::default();
        let text_fr = f.take_coded("text_fr", bounded(fr, 1, MAX_TEXT, true));
        let text_en = f.take_coded("text_en", bounded(en, 1, MAX_TEXT, true));
        let summary = summary
            .filter(|s| !s.trim().is_empty())
            .and_then(|s| f.take_coded("summary", bounded(s, 1, 500, false)));
        f.finish(|| {
            Some(Self {
                text_fr: text_fr?,
                text_en: text_en?,
                summary,
            })
        })
    }
}

/// Publishes the next version of a document (admins). Customers whose
/// last acceptance is of an older privacy policy or terms are asked again
/// (`consent_required`).
///
/// # Errors
/// [`ServiceError::Conflict`] when another publication took this number at
/// the same moment; storage failure.
pub async fn publish(
    store: &dyn Store,
    clock: &dyn Clock,
    admin: &Principal,
    kind: DocumentKind,
    new: NewVersion,
) -> Result<LegalDocument, ServiceError> {
    let now = clock.now();
    let uow = store.begin().await?;
    let version = uow
        .legal()
        .current(kind)
        .await?
        .map_or(1, |d| d.version + 1);
    let doc = LegalDocument {
        id: Uuid::now_v7(),
        kind,
        version,
        published_at: now,
        hash: document_hash(&new.text_fr, &new.text_en),
        text_fr: new.text_fr,
        text_en: new.text_en,
        summary: new.summary,
    };
    if !uow.legal().insert(&doc, Some(admin.customer_id)).await? {
        return Err(ServiceError::Conflict(
            "another version was published at the same moment; reload and retry".into(),
        ));
    }
    uow.audit()
        .append(
            NewAuditEntry::new(
                admin.actor(),
                AuditAction::LegalDocumentPublished,
                Some(AuditTarget::Legal(format!("{kind}:{version}"))),
                admin.source(),
            ),
            now,
        )
        .await?;
    uow.commit().await?;
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn law_1_the_hash_covers_both_languages() {
        let a = document_hash("Politique", "Policy");
        assert_eq!(a.len(), 64);
        assert_ne!(a, document_hash("Politique", "Policy."));
        assert_ne!(a, document_hash("Politique.", "Policy"));
        // The separator keeps "ab"+"c" apart from "a"+"bc".
        assert_ne!(document_hash("ab", "c"), document_hash("a", "bc"));
    }

    #[test]
    fn law_1_kinds_parse_from_their_stored_and_path_names() {
        assert_eq!(
            "privacy-policy".parse::<DocumentKind>(),
            Ok(DocumentKind::PrivacyPolicy)
        );
        assert_eq!(
            "privacy_policy".parse::<DocumentKind>(),
            Ok(DocumentKind::PrivacyPolicy)
        );
        assert!("cookies".parse::<DocumentKind>().is_err());
    }
}
