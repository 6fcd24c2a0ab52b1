//! Storage as the use cases see it: repositories, read directly or taken
//! from one unit of work whose writes (the change, its audit entry, its
//! mail) commit together or not at all.

use async_trait::async_trait;

use crate::audit::AuditTrail;
use crate::blog::BlogRepo;
use crate::catalogue::PlanWrites;
use crate::consent::ConsentRepo;
use crate::contact::ContactRepo;
use crate::error::StorageError;
use crate::idempotency::IdempotencyRepo;
use crate::identity::{AccountRepo, AddressRepo, CounterRepo, SessionRepo, TokenRepo};
use crate::legal::LegalRepo;
use crate::mail::Outbox;
use crate::newsletter::NewsletterRepo;
use crate::shop::cart::CartRepo;
use crate::shop::invoice::InvoiceRepo;
use crate::shop::order::OrderRepo;
use crate::subject::{GuestRepo, SubjectKeys};

/// The repositories. Read from [`Store::reader`] they see committed data;
/// taken from a [`UnitOfWork`] they read and write inside its transaction.
/// Each opens a subject's data key at most once.
pub trait Repos: Send + Sync {
    /// Accounts.
    fn accounts(&self) -> &dyn AccountRepo;
    /// Customers' addresses.
    fn addresses(&self) -> &dyn AddressRepo;
    /// Login sessions.
    fn sessions(&self) -> &dyn SessionRepo;
    /// Single-use tokens.
    fn tokens(&self) -> &dyn TokenRepo;
    /// Security counters, locks and bans.
    fn counters(&self) -> &dyn CounterRepo;
    /// The security audit log.
    fn audit(&self) -> &dyn AuditTrail;
    /// Outgoing mail.
    fn outbox(&self) -> &dyn Outbox;
    /// Data subjects' keys.
    fn keys(&self) -> &dyn SubjectKeys;
    /// Catalogue writes.
    fn plans(&self) -> &dyn PlanWrites;
    /// Idempotency records (`Idempotency-Key`).
    fn idempotency(&self) -> &dyn IdempotencyRepo;
    /// Versioned legal documents.
    fn legal(&self) -> &dyn LegalRepo;
    /// The consent ledger and purposes.
    fn consents(&self) -> &dyn ConsentRepo;
    /// Guest subjects.
    fn guests(&self) -> &dyn GuestRepo;
    /// Newsletter subscriptions and campaigns.
    fn newsletter(&self) -> &dyn NewsletterRepo;
    /// Contact messages.
    fn contact(&self) -> &dyn ContactRepo;
    /// Articles and comments.
    fn blog(&self) -> &dyn BlogRepo;
    /// Carts.
    fn carts(&self) -> &dyn CartRepo;
    /// Orders.
    fn orders(&self) -> &dyn OrderRepo;
    /// Invoices and credit notes (sealed under the legal archive's key).
    fn invoices(&self) -> &dyn InvoiceRepo;
    /// Coupons and their uses.
    fn coupons(&self) -> &dyn crate::shop::coupon::CouponRepo;
    /// Card payments at the provider and its events.
    fn payments(&self) -> &dyn crate::shop::payment::PaymentRepo;
    /// Formats' files, download counts and the download log.
    fn downloads(&self) -> &dyn crate::shop::download::DownloadRepo;
    /// Reviews of plans and the ratings they make.
    fn reviews(&self) -> &dyn crate::review::ReviewRepo;
    /// Recently viewed plans.
    fn recently_viewed(&self) -> &dyn crate::recently_viewed::RecentlyViewedRepo;
    /// Refunds of orders.
    fn refunds(&self) -> &dyn crate::shop::refund::RefundRepo;
    /// Complaints and refund requests on orders, with their threads.
    fn complaints(&self) -> &dyn crate::shop::complaint::ComplaintRepo;
    /// Purges of what is past its retention period.
    fn retention(&self) -> &dyn crate::retention::RetentionRepo;
    /// Exports and erasures of a person's data.
    fn rights(&self) -> &dyn crate::rights::RightsRepo;
    /// The breach register.
    fn breaches(&self) -> &dyn crate::breach::BreachRepo;
    /// Requests of people without an account (DSR-4).
    fn privacy_requests(&self) -> &dyn crate::rights::requests::PrivacyRequestRepo;
    /// Requests received by the DPO, and restrictions (DSR-3).
    fn dpo(&self) -> &dyn crate::rights::dpo::DpoRepo;
    /// API keys of integrations.
    fn api_keys(&self) -> &dyn crate::integration::ApiKeyRepo;
    /// Webhook endpoints and their deliveries.
    fn webhooks(&self) -> &dyn crate::integration::WebhookRepo;
}

/// One transaction: everything written through its repositories lands on
/// [`UnitOfWork::commit`], or nothing does when it is dropped.
#[async_trait]
pub trait UnitOfWork: Repos {
    /// Commits every write.
    async fn commit(self: Box<Self>) -> Result<(), StorageError>;
}

/// Where units of work come from.
#[async_trait]
pub trait Store: Send + Sync {
    /// Begins a unit of work. On an embedded database it takes the write
    /// lock at once, so reads inside it see what it will write over.
    async fn begin(&self) -> Result<Box<dyn UnitOfWork>, StorageError>;
    /// Repositories outside any transaction, for reads and single writes.
    fn reader(&self) -> Box<dyn Repos>;
}
