//! Outgoing mail, typed: one variant per template with exactly the fields it
//! needs, so a missing template or field is a compile error. Messages are
//! queued in the outbox inside the unit of work of the change that causes
//! them, and rendered and delivered later by the outbox job.

use serde::{Deserialize, Serialize};

use crate::identity::{Email, Language, PersonName};

/// What a message says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "template", rename_all = "snake_case")]
pub enum Mail {
    /// A new account without a password: a single-use set-password link (48 h).
    AccountSetupLink {
        /// The link.
        link: String,
    },
    /// A new account with a generated password, to change at first login.
    AccountGeneratedPassword {
        /// The password, shown only in this message.
        password: String,
    },
    /// A new account with the password its owner chose.
    Welcome,
    /// Someone tried to register with an address that has an account.
    RegistrationAttempt,
    /// A single-use password reset link (1 h).
    PasswordReset {
        /// The link.
        link: String,
    },
    /// The password was changed or reset.
    PasswordChanged,
    /// The account has been inactive long enough to be erased soon
    /// (RET-2): a login keeps it.
    InactiveAccountWarning {
        /// The day of the erasure (`YYYY-MM-DD`).
        erased_on: String,
    },
    /// Someone asked, with this address, for a copy or the erasure of data:
    /// the link confirms it (DSR-4).
    PrivacyRequestLink {
        /// `export` or `erasure`.
        kind: String,
        /// The confirmation page's link.
        link: String,
    },
    /// A request made with an account's address: the account does it.
    PrivacyUseYourAccount,
    /// The export is ready: a single-use link, valid a day.
    PrivacyExportReady {
        /// The download link.
        link: String,
    },
    /// The data were erased: the receipt.
    ErasureReceipt {
        /// What went and what stays.
        summary: String,
    },
    /// A personal data breach concerns the recipient (BR-1).
    BreachNotice {
        /// What the shop says, in French.
        fr: String,
        /// The same, in English.
        en: String,
    },
    /// The e-mail address was changed (sent to the old one).
    EmailChanged,
    /// Confirm a newsletter subscription (double opt-in, 7 days).
    NewsletterConfirmation {
        /// The confirmation page's link.
        link: String,
    },
    /// A campaign's letter; its text is the campaign's, read at delivery.
    CampaignLetter {
        /// The campaign.
        campaign: crate::ids::CampaignId,
        /// The subscription (newsletter) or account (commercial e-mails).
        recipient: uuid::Uuid,
        /// `newsletter` or `marketing_email`.
        audience: String,
        /// One-click unsubscribe URL (`List-Unsubscribe`, RFC 8058).
        unsubscribe_url: String,
        /// The unsubscribe page a person opens.
        unsubscribe_page: String,
    },
    /// A contact message was received.
    ContactAcknowledgement {
        /// The message's reference.
        reference: String,
        /// Its topic.
        topic: String,
    },
    /// Staff answered a contact message.
    ContactReply {
        /// The message's reference.
        reference: String,
        /// The answer.
        body: String,
    },
    /// An order was placed.
    OrderConfirmation {
        /// The order.
        order: crate::ids::OrderId,
        /// Its number.
        number: String,
        /// What is to be paid, as displayed (`1290.05 EUR`).
        total: String,
        /// `bank_transfer` or `stripe`.
        payment_method: String,
        /// The access secret, for a guest's order.
        secret: Option<String>,
    },
    /// An order's status changed.
    OrderStatusChanged {
        /// The order.
        order: crate::ids::OrderId,
        /// Its number.
        number: String,
        /// The new status.
        status: String,
    },
    /// An order was refunded, fully or in part.
    OrderRefunded {
        /// The order.
        order: crate::ids::OrderId,
        /// Its number.
        number: String,
        /// What is refunded, as displayed (`50.00 EUR`).
        amount: String,
    },
    /// Staff answered a complaint or refund request on an order.
    ComplaintAnswered {
        /// The order.
        order: crate::ids::OrderId,
        /// Its number.
        number: String,
        /// The answer.
        body: String,
    },
    /// To admins: a webhook endpoint failed every attempt of a delivery
    /// and was disabled.
    WebhookEndpointDisabled {
        /// The endpoint's id.
        endpoint: String,
        /// Its URL.
        url: String,
        /// Why.
        reason: String,
    },
}

impl Mail {
    /// The template's stable name (stored beside the sealed payload).
    #[must_use]
    pub const fn template(&self) -> &'static str {
        match self {
            Self::AccountSetupLink { .. } => "account_setup_link",
            Self::AccountGeneratedPassword { .. } => "account_generated_password",
            Self::Welcome => "welcome",
            Self::RegistrationAttempt => "registration_attempt",
            Self::PasswordReset { .. } => "password_reset",
            Self::PasswordChanged => "password_changed",
            Self::EmailChanged => "email_changed",
            Self::InactiveAccountWarning { .. } => "inactive_account_warning",
            Self::BreachNotice { .. } => "breach_notice",
            Self::PrivacyRequestLink { .. } => "privacy_request_link",
            Self::PrivacyUseYourAccount => "privacy_use_your_account",
            Self::PrivacyExportReady { .. } => "privacy_export_ready",
            Self::ErasureReceipt { .. } => "erasure_receipt",
            Self::NewsletterConfirmation { .. } => "newsletter_confirmation",
            Self::CampaignLetter { .. } => Self::CAMPAIGN_LETTER,
            Self::ContactAcknowledgement { .. } => "contact_acknowledgement",
            Self::ContactReply { .. } => "contact_reply",
            Self::OrderConfirmation { .. } => "order_confirmation",
            Self::OrderStatusChanged { .. } => "order_status_changed",
            Self::OrderRefunded { .. } => "order_refunded",
            Self::ComplaintAnswered { .. } => "complaint_answered",
            Self::WebhookEndpointDisabled { .. } => "webhook_endpoint_disabled",
        }
    }

    /// The template of campaign letters.
    pub const CAMPAIGN_LETTER: &'static str = "campaign_letter";
}

/// A message and its recipient. Storage seals it under the recipient's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// Recipient address.
    pub to: Email,
    /// Recipient name, for the greeting, when known.
    pub name: Option<PersonName>,
    /// Language of the message.
    pub language: Language,
    /// What it says.
    pub mail: Mail,
}

/// The outbox port: messages queue with the unit of work that causes them.
#[async_trait::async_trait]
pub trait Outbox: Send + Sync {
    /// Queues a message, sealed under `subject`'s key (nothing is queued
    /// when that key was destroyed).
    async fn enqueue(
        &self,
        subject: crate::subject::SubjectId,
        envelope: &Envelope,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), crate::error::StorageError>;

    /// Drops the messages of `template` still waiting for `subject`
    /// (letters to someone who just unsubscribed); how many.
    async fn cancel_pending(
        &self,
        subject: crate::subject::SubjectId,
        template: &str,
    ) -> Result<u64, crate::error::StorageError>;
}
