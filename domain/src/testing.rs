//! In-memory implementations of the ports, for the use cases' unit tests.
//!
//! [`MemStore`] keeps every table in one `State` behind a mutex. A unit of
//! work copies the state when it begins, works on its copy and puts it back
//! on commit; dropped without a commit it leaves nothing behind. A commit
//! after anything else wrote meanwhile (a write through the reader while a
//! unit of work is open, or another unit of work) fails, so a use case that
//! would lose an update is caught instead of silently passing.
//!
//! Subject keys live apart from the state, as the key store is another
//! database: a key is stored at once and survives a unit of work that fails.
//!
//! [`MemStore::interleaved`] makes a store for concurrency tests: its calls
//! let other tasks run (as I/O would) and its units of work take turns, as
//! transactions queue on the rows they write. [`join_all`] runs futures
//! concurrently within one task.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

use crate::audit::{
    AuditAction, AuditFilter, AuditRecord, AuditTrail, NewAuditEntry, Verification, chain_hash,
    verify_chain,
};
use crate::catalogue::{Plan, PlanError, PlanWriteError, PlanWrites};
use crate::error::StorageError;
use crate::idempotency::{
    Caller, ClaimId, IdempotencyRecord, IdempotencyRepo, IdempotentRequest, RecordedAnswer,
};
use crate::identity::{
    AccessClaims, AccountRepo, AccountWriteError, AddressId, AddressKind, AddressRepo, BlindIndex,
    Block, CounterKey, CounterKind, CounterRepo, Customer, CustomerId, Email, HashError,
    IssueError, LoginRecord, NewCustomer, NewSession, PasswordHasher, PostalAddress,
    ProfileChanges, Randomness, Role, SessionId, SessionRepo, StoredAddress, StoredSession,
    TokenIssuer, TokenPurpose, TokenRepo,
};
use crate::ids::ProductId;
use crate::mail::{Envelope, Outbox};
use crate::store::{Repos, Store, UnitOfWork};
use crate::subject::{SubjectId, SubjectKeys};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// An account and its password hash.
#[derive(Debug, Clone)]
pub(crate) struct AccountRow {
    pub(crate) customer: Customer,
    pub(crate) password_hash: Option<String>,
}

/// A stored address with its owner.
#[derive(Debug, Clone)]
pub(crate) struct AddressRow {
    pub(crate) owner: CustomerId,
    pub(crate) address: StoredAddress,
}

/// A stored single-use token.
#[derive(Debug, Clone)]
pub(crate) struct TokenRow {
    pub(crate) owner: CustomerId,
    pub(crate) purpose: TokenPurpose,
    pub(crate) hash: Vec<u8>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) expires_at: DateTime<Utc>,
    pub(crate) used_at: Option<DateTime<Utc>>,
}

impl TokenRow {
    /// Unused and unexpired at `now`.
    fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.used_at.is_none() && now < self.expires_at
    }
}

/// A security counter, lock or ban.
#[derive(Debug, Clone)]
pub(crate) struct CounterRow {
    pub(crate) kind: CounterKind,
    pub(crate) count: i32,
    pub(crate) window_start: DateTime<Utc>,
    pub(crate) blocked_until: Option<DateTime<Utc>>,
    pub(crate) updated_at: DateTime<Utc>,
    pub(crate) source: Option<String>,
    pub(crate) customer: Option<CustomerId>,
}

/// Everything a unit of work can change.
#[derive(Debug, Clone, Default)]
pub(crate) struct State {
    pub(crate) accounts: BTreeMap<CustomerId, AccountRow>,
    pub(crate) addresses: Vec<AddressRow>,
    pub(crate) sessions: BTreeMap<SessionId, StoredSession>,
    pub(crate) tokens: Vec<TokenRow>,
    pub(crate) counters: BTreeMap<String, CounterRow>,
    pub(crate) audit: Vec<AuditRecord>,
    pub(crate) outbox: Vec<(SubjectId, Envelope)>,
    pub(crate) plans: Vec<Plan>,
    /// Idempotency records by stored caller and key hash.
    pub(crate) idempotency: BTreeMap<(String, Vec<u8>), IdempotencyRecord>,
    /// Published legal documents.
    pub(crate) legal: Vec<crate::legal::LegalDocument>,
    /// Consent purposes.
    pub(crate) purposes: Vec<crate::consent::Purpose>,
    /// The consent ledger.
    pub(crate) consent_events: Vec<(SubjectId, crate::consent::ConsentEvent)>,
    /// Consent state by subject and purpose.
    pub(crate) consent_state: BTreeMap<(SubjectId, String), crate::consent::ConsentStatus>,
    /// Bumped by every committed write.
    version: u64,
}

impl State {
    /// The actions of the audit log, oldest first.
    pub(crate) fn audit_actions(&self) -> Vec<AuditAction> {
        self.audit
            .iter()
            .filter_map(|r| AuditAction::parse(&r.action))
            .collect()
    }

    /// The account with this e-mail address, if any.
    pub(crate) fn account_by_email(&self, email: &str) -> Option<&AccountRow> {
        let wanted = email.to_lowercase();
        self.accounts
            .values()
            .find(|a| a.customer.email.normalised() == wanted)
    }

    fn email_taken(&self, email: &Email, except: Option<CustomerId>) -> bool {
        self.accounts.values().any(|a| {
            Some(a.customer.id) != except && a.customer.email.normalised() == email.normalised()
        })
    }
}

#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
    keys: Mutex<BTreeSet<SubjectId>>,
    fail_audit: AtomicBool,
    /// Calls yield and units of work take turns ([`MemStore::interleaved`]).
    interleaved: bool,
    turns: Mutex<Turns>,
}

/// Who holds the one unit-of-work turn, and who waits for it.
#[derive(Debug, Default)]
struct Turns {
    taken: bool,
    waiting: Vec<Waker>,
}

/// The turn of an open unit of work; given back when it ends.
#[derive(Debug)]
struct Turn(Arc<Shared>);

impl Turn {
    async fn take(shared: &Arc<Shared>) -> Self {
        std::future::poll_fn(|cx| {
            let mut turns = lock(&shared.turns);
            if turns.taken {
                turns.waiting.push(cx.waker().clone());
                Poll::Pending
            } else {
                turns.taken = true;
                Poll::Ready(())
            }
        })
        .await;
        Self(Arc::clone(shared))
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        let waiting = {
            let mut turns = lock(&self.0.turns);
            turns.taken = false;
            std::mem::take(&mut turns.waiting)
        };
        waiting.into_iter().for_each(Waker::wake);
    }
}

/// Pending once, so that other futures of the task run: what awaiting I/O
/// does.
pub(crate) async fn yield_now() {
    let mut yielded = false;
    std::future::poll_fn(|cx: &mut Context<'_>| {
        if yielded {
            Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .await;
}

/// Runs `futures` concurrently in the calling task; their outputs, in order.
pub(crate) async fn join_all<F: Future>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    let mut running: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = running.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut all_done = true;
        for (future, output) in running.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(v) => *output = Some(v),
                    Poll::Pending => all_done = false,
                }
            }
        }
        if all_done {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

/// An in-memory [`Store`].
#[derive(Debug, Clone, Default)]
pub(crate) struct MemStore {
    shared: Arc<Shared>,
}

impl MemStore {
    /// An empty store.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// An empty store for concurrency tests: every unit of work, token,
    /// counter and login look-up first lets other tasks run, and a unit of
    /// work waits for the one before it to end (as transactions queue on the
    /// rows they write). A task must not open two units of work at once.
    pub(crate) fn interleaved() -> Self {
        Self {
            shared: Arc::new(Shared {
                interleaved: true,
                ..Shared::default()
            }),
        }
    }

    /// A copy of the committed state.
    pub(crate) fn state(&self) -> State {
        lock(&self.shared.state).clone()
    }

    /// Changes the committed state directly (to tamper with it in a test).
    pub(crate) fn edit(&self, f: impl FnOnce(&mut State)) {
        let mut s = lock(&self.shared.state);
        f(&mut s);
        s.version += 1;
    }

    /// The subjects whose data key exists.
    pub(crate) fn keys(&self) -> BTreeSet<SubjectId> {
        lock(&self.shared.keys).clone()
    }

    /// Makes every audit append fail (or succeed again).
    pub(crate) fn fail_audit(&self, fail: bool) {
        self.shared.fail_audit.store(fail, Ordering::SeqCst);
    }
}

#[async_trait]
impl Store for MemStore {
    async fn begin(&self) -> Result<Box<dyn UnitOfWork>, StorageError> {
        let turn = if self.shared.interleaved {
            yield_now().await;
            Some(Turn::take(&self.shared).await)
        } else {
            None
        };
        let copy = self.state();
        Ok(Box::new(MemRepos {
            shared: Arc::clone(&self.shared),
            tx: Some(Tx {
                base: copy.version,
                state: Mutex::new(copy),
                _turn: turn,
            }),
        }))
    }

    fn reader(&self) -> Box<dyn Repos> {
        Box::new(MemRepos {
            shared: Arc::clone(&self.shared),
            tx: None,
        })
    }
}

#[derive(Debug)]
struct Tx {
    base: u64,
    state: Mutex<State>,
    /// Held until the unit of work ends, in an interleaved store.
    _turn: Option<Turn>,
}

/// The repositories, reading and writing either the committed state (the
/// reader) or a unit of work's copy.
#[derive(Debug)]
struct MemRepos {
    shared: Arc<Shared>,
    tx: Option<Tx>,
}

impl MemRepos {
    fn read<R>(&self, f: impl FnOnce(&State) -> R) -> R {
        match &self.tx {
            Some(tx) => f(&lock(&tx.state)),
            None => f(&lock(&self.shared.state)),
        }
    }

    fn write<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        match &self.tx {
            Some(tx) => f(&mut lock(&tx.state)),
            None => {
                let mut s = lock(&self.shared.state);
                s.version += 1;
                f(&mut s)
            }
        }
    }

    fn has_key(&self, subject: SubjectId) -> bool {
        lock(&self.shared.keys).contains(&subject)
    }

    /// Lets other tasks run first, in an interleaved store.
    async fn pause(&self) {
        if self.shared.interleaved {
            yield_now().await;
        }
    }
}

#[async_trait]
impl UnitOfWork for MemRepos {
    async fn commit(self: Box<Self>) -> Result<(), StorageError> {
        self.pause().await;
        let Some(tx) = self.tx else {
            return Err(StorageError::msg("commit outside a unit of work"));
        };
        let mut shared = lock(&self.shared.state);
        if shared.version != tx.base {
            return Err(StorageError::msg(
                "another write committed while this unit of work was open",
            ));
        }
        let mut next = tx
            .state
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        next.version = tx.base + 1;
        *shared = next;
        Ok(())
    }
}

impl Repos for MemRepos {
    fn accounts(&self) -> &dyn AccountRepo {
        self
    }
    fn addresses(&self) -> &dyn AddressRepo {
        self
    }
    fn sessions(&self) -> &dyn SessionRepo {
        self
    }
    fn tokens(&self) -> &dyn TokenRepo {
        self
    }
    fn counters(&self) -> &dyn CounterRepo {
        self
    }
    fn audit(&self) -> &dyn AuditTrail {
        self
    }
    fn outbox(&self) -> &dyn Outbox {
        self
    }
    fn keys(&self) -> &dyn SubjectKeys {
        self
    }
    fn plans(&self) -> &dyn PlanWrites {
        self
    }
    fn idempotency(&self) -> &dyn IdempotencyRepo {
        self
    }
    fn legal(&self) -> &dyn crate::legal::LegalRepo {
        self
    }
    fn consents(&self) -> &dyn crate::consent::ConsentRepo {
        self
    }
    fn guests(&self) -> &dyn crate::subject::GuestRepo {
        &Elsewhere
    }
    fn newsletter(&self) -> &dyn crate::newsletter::NewsletterRepo {
        &Elsewhere
    }
    fn contact(&self) -> &dyn crate::contact::ContactRepo {
        &Elsewhere
    }
    fn blog(&self) -> &dyn crate::blog::BlogRepo {
        &Elsewhere
    }
    fn carts(&self) -> &dyn crate::shop::cart::CartRepo {
        &Elsewhere
    }
    fn orders(&self) -> &dyn crate::shop::order::OrderRepo {
        &Elsewhere
    }
    fn invoices(&self) -> &dyn crate::shop::invoice::InvoiceRepo {
        &Elsewhere
    }
    fn coupons(&self) -> &dyn crate::shop::coupon::CouponRepo {
        &Elsewhere
    }
    fn payments(&self) -> &dyn crate::shop::payment::PaymentRepo {
        &Elsewhere
    }
    fn downloads(&self) -> &dyn crate::shop::download::DownloadRepo {
        &Elsewhere
    }
    fn reviews(&self) -> &dyn crate::review::ReviewRepo {
        &Elsewhere
    }
    fn recently_viewed(&self) -> &dyn crate::recently_viewed::RecentlyViewedRepo {
        &Elsewhere
    }
    fn refunds(&self) -> &dyn crate::shop::refund::RefundRepo {
        &Elsewhere
    }
    fn complaints(&self) -> &dyn crate::shop::complaint::ComplaintRepo {
        &Elsewhere
    }
    fn retention(&self) -> &dyn crate::retention::RetentionRepo {
        &Elsewhere
    }
    fn rights(&self) -> &dyn crate::rights::RightsRepo {
        &Elsewhere
    }
    fn breaches(&self) -> &dyn crate::breach::BreachRepo {
        &Elsewhere
    }
    fn privacy_requests(&self) -> &dyn crate::rights::requests::PrivacyRequestRepo {
        &Elsewhere
    }
    fn dpo(&self) -> &dyn crate::rights::dpo::DpoRepo {
        &Elsewhere
    }
    fn api_keys(&self) -> &dyn crate::integration::ApiKeyRepo {
        &Elsewhere
    }
    fn webhooks(&self) -> &dyn crate::integration::WebhookRepo {
        &Elsewhere
    }
}

fn missing(what: &str) -> StorageError {
    StorageError::msg(format!("{what} does not exist"))
}

fn login_record(a: &AccountRow) -> LoginRecord {
    LoginRecord {
        id: a.customer.id,
        password_hash: a.password_hash.clone(),
        must_change_password: a.customer.must_change_password,
        role: a.customer.role,
    }
}

#[async_trait]
impl AccountRepo for MemRepos {
    async fn create(
        &self,
        id: CustomerId,
        new: &NewCustomer,
        password_hash: Option<String>,
        must_change_password: bool,
        now: DateTime<Utc>,
    ) -> Result<(), AccountWriteError> {
        // Personal fields are sealed under the account's key: no key, no account.
        if !self.has_key(SubjectId::customer(id)) {
            return Err(StorageError::msg("no data key for this account").into());
        }
        self.write(|s| {
            if s.accounts.contains_key(&id) {
                return Err(StorageError::msg("duplicate account id").into());
            }
            if s.email_taken(&new.email, None) {
                return Err(AccountWriteError::EmailTaken);
            }
            s.accounts.insert(
                id,
                AccountRow {
                    customer: Customer {
                        id,
                        email: new.email.clone(),
                        name: new.name.clone(),
                        phone: new.phone.clone(),
                        role: new.role,
                        language: new.language,
                        display_preferences: "{}".to_owned(),
                        must_change_password,
                        has_password: password_hash.is_some(),
                        created_at: now,
                        updated_at: now,
                        last_active_at: now,
                    },
                    password_hash,
                },
            );
            Ok(())
        })
    }

    async fn login_record(&self, email: &Email) -> Result<Option<LoginRecord>, StorageError> {
        self.pause().await;
        Ok(self.read(|s| s.account_by_email(email.as_str()).map(login_record)))
    }

    async fn login_record_by_id(
        &self,
        id: CustomerId,
    ) -> Result<Option<LoginRecord>, StorageError> {
        Ok(self.read(|s| s.accounts.get(&id).map(login_record)))
    }

    async fn get(&self, id: CustomerId) -> Result<Option<Customer>, StorageError> {
        Ok(self.read(|s| s.accounts.get(&id).map(|a| a.customer.clone())))
    }

    async fn list_staff(&self) -> Result<Vec<Customer>, StorageError> {
        Ok(self.read(|s| {
            let mut staff: Vec<Customer> = s
                .accounts
                .values()
                .filter(|a| a.customer.role.is_staff())
                .map(|a| a.customer.clone())
                .collect();
            staff.sort_by_key(|c| (c.created_at, c.id));
            staff
        }))
    }

    async fn update_profile(
        &self,
        id: CustomerId,
        changes: &ProfileChanges,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        self.write(|s| {
            if let Some(a) = s.accounts.get_mut(&id) {
                let c = &mut a.customer;
                if let Some(name) = &changes.name {
                    c.name = name.clone();
                }
                if let Some(phone) = &changes.phone {
                    c.phone.clone_from(phone);
                }
                if let Some(language) = changes.language {
                    c.language = language;
                }
                if let Some(prefs) = &changes.display_preferences {
                    c.display_preferences.clone_from(prefs);
                }
                c.updated_at = now;
            }
        });
        Ok(())
    }

    async fn change_email(
        &self,
        id: CustomerId,
        email: &Email,
        now: DateTime<Utc>,
    ) -> Result<(), AccountWriteError> {
        self.write(|s| {
            if s.email_taken(email, Some(id)) {
                return Err(AccountWriteError::EmailTaken);
            }
            let a = s.accounts.get_mut(&id).ok_or_else(|| missing("account"))?;
            a.customer.email = email.clone();
            a.customer.updated_at = now;
            Ok(())
        })
    }

    async fn set_password(
        &self,
        id: CustomerId,
        hash: String,
        must_change: bool,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        self.write(|s| {
            let a = s.accounts.get_mut(&id).ok_or_else(|| missing("account"))?;
            a.password_hash = Some(hash);
            a.customer.has_password = true;
            a.customer.must_change_password = must_change;
            a.customer.updated_at = now;
            Ok(())
        })
    }

    async fn set_role(
        &self,
        id: CustomerId,
        role: Role,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        self.write(|s| {
            let a = s.accounts.get_mut(&id).ok_or_else(|| missing("account"))?;
            a.customer.role = role;
            a.customer.updated_at = now;
            Ok(())
        })
    }

    async fn touch(&self, id: CustomerId, now: DateTime<Utc>) -> Result<(), StorageError> {
        self.write(|s| {
            if let Some(a) = s.accounts.get_mut(&id) {
                a.customer.last_active_at = now;
            }
        });
        Ok(())
    }
}

#[async_trait]
impl AddressRepo for MemRepos {
    async fn list(&self, owner: CustomerId) -> Result<Vec<StoredAddress>, StorageError> {
        Ok(self.read(|s| {
            s.addresses
                .iter()
                .filter(|a| a.owner == owner)
                .map(|a| a.address.clone())
                .collect()
        }))
    }

    async fn get(
        &self,
        owner: CustomerId,
        id: AddressId,
    ) -> Result<Option<StoredAddress>, StorageError> {
        Ok(self.read(|s| {
            s.addresses
                .iter()
                .find(|a| a.owner == owner && a.address.id == id)
                .map(|a| a.address.clone())
        }))
    }

    async fn insert(
        &self,
        owner: CustomerId,
        id: AddressId,
        kind: AddressKind,
        address: &PostalAddress,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        if !self.has_key(SubjectId::customer(owner)) {
            return Err(StorageError::msg("no data key for the address's owner"));
        }
        self.write(|s| {
            if s.addresses.iter().any(|a| a.address.id == id) {
                return Err(StorageError::msg("duplicate address id"));
            }
            s.addresses.push(AddressRow {
                owner,
                address: StoredAddress {
                    id,
                    kind,
                    address: address.clone(),
                    created_at: now,
                    updated_at: now,
                },
            });
            Ok(())
        })
    }

    async fn update(
        &self,
        owner: CustomerId,
        id: AddressId,
        kind: AddressKind,
        address: &PostalAddress,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        Ok(self.write(|s| {
            match s
                .addresses
                .iter_mut()
                .find(|a| a.owner == owner && a.address.id == id)
            {
                Some(row) => {
                    row.address.kind = kind;
                    row.address.address = address.clone();
                    row.address.updated_at = now;
                    true
                }
                None => false,
            }
        }))
    }

    async fn delete(&self, owner: CustomerId, id: AddressId) -> Result<bool, StorageError> {
        Ok(self.write(|s| {
            let before = s.addresses.len();
            s.addresses
                .retain(|a| !(a.owner == owner && a.address.id == id));
            s.addresses.len() != before
        }))
    }
}

#[async_trait]
impl SessionRepo for MemRepos {
    async fn create(&self, session: &NewSession) -> Result<(), StorageError> {
        self.write(|s| {
            if s.sessions.contains_key(&session.id) {
                return Err(StorageError::msg("duplicate session id"));
            }
            s.sessions.insert(
                session.id,
                StoredSession {
                    id: session.id,
                    customer_id: session.owner,
                    remember_me: session.remember_me,
                    created_at: session.created_at,
                    expires_at: session.expires_at,
                    last_seen_at: session.created_at,
                    revoked_at: None,
                    user_agent: session.user_agent.clone(),
                },
            );
            Ok(())
        })
    }

    async fn get(&self, id: SessionId) -> Result<Option<StoredSession>, StorageError> {
        // The hot path decrypts nothing: no browser.
        Ok(self.read(|s| {
            s.sessions.get(&id).map(|x| StoredSession {
                user_agent: None,
                ..x.clone()
            })
        }))
    }

    async fn live(
        &self,
        owner: CustomerId,
        now: DateTime<Utc>,
    ) -> Result<Vec<StoredSession>, StorageError> {
        Ok(self.read(|s| {
            let mut live: Vec<StoredSession> = s
                .sessions
                .values()
                .filter(|x| x.customer_id == owner && x.is_live(now))
                .cloned()
                .collect();
            live.sort_by_key(|x| std::cmp::Reverse((x.created_at, x.id)));
            live
        }))
    }

    async fn revoke(
        &self,
        owner: CustomerId,
        id: SessionId,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        Ok(self.write(|s| match s.sessions.get_mut(&id) {
            Some(x) if x.customer_id == owner && x.revoked_at.is_none() => {
                x.revoked_at = Some(now);
                true
            }
            _ => false,
        }))
    }

    async fn revoke_others(
        &self,
        owner: CustomerId,
        keep: Option<SessionId>,
        now: DateTime<Utc>,
    ) -> Result<u64, StorageError> {
        Ok(self.write(|s| {
            let mut n = 0;
            for x in s.sessions.values_mut() {
                if x.customer_id == owner && Some(x.id) != keep && x.revoked_at.is_none() {
                    x.revoked_at = Some(now);
                    n += 1;
                }
            }
            n
        }))
    }

    async fn touch(&self, id: SessionId, now: DateTime<Utc>) -> Result<(), StorageError> {
        self.write(|s| {
            if let Some(x) = s.sessions.get_mut(&id) {
                x.last_seen_at = now;
            }
        });
        Ok(())
    }

    async fn renew(
        &self,
        id: SessionId,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        Ok(self.write(|s| match s.sessions.get_mut(&id) {
            Some(x) if x.revoked_at.is_none() && now < x.expires_at => {
                x.expires_at = expires_at;
                x.last_seen_at = now;
                true
            }
            _ => false,
        }))
    }
}

#[async_trait]
impl TokenRepo for MemRepos {
    async fn create(
        &self,
        owner: CustomerId,
        purpose: TokenPurpose,
        hash: Vec<u8>,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        self.pause().await;
        self.write(|s| {
            if s.tokens.iter().any(|t| t.hash == hash) {
                return Err(StorageError::msg("duplicate token hash"));
            }
            s.tokens.push(TokenRow {
                owner,
                purpose,
                hash,
                created_at: now,
                expires_at,
                used_at: None,
            });
            Ok(())
        })
    }

    async fn find_live(
        &self,
        purposes: &[TokenPurpose],
        hash: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Option<CustomerId>, StorageError> {
        self.pause().await;
        Ok(self.read(|s| {
            s.tokens
                .iter()
                .find(|t| t.hash == hash && purposes.contains(&t.purpose) && t.is_live(now))
                .map(|t| t.owner)
        }))
    }

    async fn describe_live(
        &self,
        hash: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Option<(TokenPurpose, DateTime<Utc>)>, StorageError> {
        self.pause().await;
        Ok(self.read(|s| {
            s.tokens
                .iter()
                .find(|t| t.hash == hash && t.is_live(now))
                .map(|t| (t.purpose, t.expires_at))
        }))
    }

    async fn consume(
        &self,
        purposes: &[TokenPurpose],
        hash: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Option<CustomerId>, StorageError> {
        self.pause().await;
        Ok(self.write(|s| {
            let t = s
                .tokens
                .iter_mut()
                .find(|t| t.hash == hash && purposes.contains(&t.purpose) && t.is_live(now))?;
            t.used_at = Some(now);
            Some(t.owner)
        }))
    }
}

#[async_trait]
impl CounterRepo for MemRepos {
    async fn bump(
        &self,
        key: &CounterKey,
        window: Duration,
        now: DateTime<Utc>,
        source: &crate::identity::SourceId,
        customer: Option<CustomerId>,
    ) -> Result<(i32, DateTime<Utc>), StorageError> {
        self.pause().await;
        // Read, count and write back under one lock: atomic per key, as the
        // SQL upsert is (and no await in between).
        Ok(self.write(|s| {
            let row = s
                .counters
                .entry(key.as_str().to_owned())
                .or_insert_with(|| CounterRow {
                    kind: key.kind(),
                    count: 0,
                    window_start: now,
                    blocked_until: None,
                    updated_at: now,
                    source: source.display.clone(),
                    customer,
                });
            if row.window_start > now - window {
                row.count += 1;
            } else {
                // The window is over: the count restarts.
                row.count = 1;
                row.window_start = now;
            }
            row.updated_at = now;
            // As the SQL upsert: a known account is kept, or filled in.
            row.customer = row.customer.or(customer);
            (row.count, row.window_start)
        }))
    }

    async fn block(
        &self,
        key: &CounterKey,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
        source: &crate::identity::SourceId,
        customer: Option<CustomerId>,
        count: i32,
    ) -> Result<(), StorageError> {
        self.pause().await;
        self.write(|s| {
            let row = s
                .counters
                .entry(key.as_str().to_owned())
                .or_insert_with(|| CounterRow {
                    kind: key.kind(),
                    count,
                    window_start: now,
                    blocked_until: None,
                    updated_at: now,
                    source: source.display.clone(),
                    customer,
                });
            row.blocked_until = Some(until);
            row.updated_at = now;
            row.count = count;
        });
        Ok(())
    }

    async fn blocked_until(
        &self,
        keys: &[CounterKey],
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, StorageError> {
        self.pause().await;
        Ok(self.read(|s| {
            keys.iter()
                .filter_map(|k| s.counters.get(k.as_str()))
                .filter_map(|r| r.blocked_until)
                .filter(|until| *until > now)
                .max()
        }))
    }

    async fn clear(&self, key: &CounterKey) -> Result<(), StorageError> {
        self.pause().await;
        self.write(|s| s.counters.remove(key.as_str()));
        Ok(())
    }

    async fn clear_account(&self, customer: CustomerId) -> Result<(), StorageError> {
        self.pause().await;
        self.write(|s| s.counters.retain(|_, r| r.customer != Some(customer)));
        Ok(())
    }

    async fn blocks(&self, now: DateTime<Utc>) -> Result<Vec<Block>, StorageError> {
        self.pause().await;
        Ok(self.read(|s| {
            let mut blocks: Vec<Block> = s
                .counters
                .iter()
                .filter_map(|(key, r)| {
                    let until = r.blocked_until.filter(|u| *u > now)?;
                    Some(Block {
                        key: key.clone(),
                        kind: r.kind.as_str().to_owned(),
                        source: r.source.clone(),
                        customer_id: r.customer,
                        count: r.count,
                        blocked_until: until,
                    })
                })
                .collect();
            blocks.sort_by_key(|b| std::cmp::Reverse(b.blocked_until));
            blocks
        }))
    }

    async fn lift(&self, key: &str, now: DateTime<Utc>) -> Result<bool, StorageError> {
        self.pause().await;
        Ok(self.write(|s| {
            let in_force = s
                .counters
                .get(key)
                .and_then(|r| r.blocked_until)
                .is_some_and(|u| u > now);
            if in_force {
                s.counters.remove(key);
            }
            in_force
        }))
    }
}

#[async_trait]
impl AuditTrail for MemRepos {
    async fn append(&self, entry: NewAuditEntry, at: DateTime<Utc>) -> Result<i64, StorageError> {
        if self.shared.fail_audit.load(Ordering::SeqCst) {
            return Err(StorageError::msg("audit append failed (test)"));
        }
        self.write(|s| {
            let seq = i64::try_from(s.audit.len())
                .map_err(|_| StorageError::msg("audit log too long"))?
                + 1;
            let prev_hash = s.audit.last().map(|r| r.hash.clone()).unwrap_or_default();
            let actor = entry.actor.to_string();
            let action = entry.action.as_str().to_owned();
            let target = entry.target.as_ref().map(ToString::to_string);
            let reason = entry
                .reason
                .map(|r| r.chars().take(500).collect::<String>());
            let hash = chain_hash(
                &prev_hash,
                seq,
                at,
                &actor,
                &action,
                target.as_deref(),
                entry.source.as_deref(),
                reason.as_deref(),
            );
            s.audit.push(AuditRecord {
                seq,
                at,
                actor,
                action,
                target,
                source: entry.source,
                reason,
                prev_hash,
                hash,
            });
            Ok(seq)
        })
    }

    async fn list(
        &self,
        filter: &AuditFilter,
        limit: u64,
    ) -> Result<Vec<AuditRecord>, StorageError> {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        Ok(self.read(|s| {
            s.audit
                .iter()
                .rev()
                .filter(|r| filter.action.is_none_or(|a| r.action == a.as_str()))
                .filter(|r| filter.actor.as_ref().is_none_or(|a| r.actor == *a))
                .filter(|r| {
                    filter
                        .target
                        .as_ref()
                        .is_none_or(|t| r.target.as_ref() == Some(t))
                })
                .filter(|r| filter.since.is_none_or(|t| r.at >= t))
                .filter(|r| filter.until.is_none_or(|t| r.at < t))
                .filter(|r| filter.before_seq.is_none_or(|b| r.seq < b))
                .take(limit)
                .cloned()
                .collect()
        }))
    }

    async fn verify(&self) -> Result<Verification, StorageError> {
        Ok(self.read(|s| match verify_chain(0, "", &s.audit) {
            Ok((checked, _)) => Verification {
                checked,
                broken: None,
            },
            Err(broken) => Verification {
                checked: broken.seq - 1,
                broken: Some(broken),
            },
        }))
    }
}

#[async_trait]
impl Outbox for MemRepos {
    async fn enqueue(
        &self,
        subject: SubjectId,
        envelope: &Envelope,
        _now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        // Nothing is queued for a subject whose key does not exist.
        if self.has_key(subject) {
            self.write(|s| s.outbox.push((subject, envelope.clone())));
        }
        Ok(())
    }

    async fn cancel_pending(
        &self,
        subject: SubjectId,
        template: &str,
    ) -> Result<u64, StorageError> {
        Ok(self.write(|s| {
            let before = s.outbox.len();
            s.outbox
                .retain(|(who, e)| !(*who == subject && e.mail.template() == template));
            (before - s.outbox.len()) as u64
        }))
    }
}

#[async_trait]
impl SubjectKeys for MemRepos {
    async fn create(&self, subject: SubjectId, _now: DateTime<Utc>) -> Result<(), StorageError> {
        if lock(&self.shared.keys).insert(subject) {
            Ok(())
        } else {
            Err(StorageError::msg("the subject already has a key"))
        }
    }

    async fn ensure(&self, subject: SubjectId, _now: DateTime<Utc>) -> Result<(), StorageError> {
        lock(&self.shared.keys).insert(subject);
        Ok(())
    }
}

#[async_trait]
impl PlanWrites for MemRepos {
    async fn insert(&self, plan: &Plan) -> Result<(), PlanWriteError> {
        self.write(|s| {
            if s.plans.iter().any(|p| p.id == plan.id) {
                return Err(StorageError::msg("duplicate plan id").into());
            }
            check_unique(&s.plans, plan)?;
            s.plans.push(plan.clone());
            Ok(())
        })
    }

    async fn update(&self, plan: &Plan) -> Result<(), PlanWriteError> {
        self.write(|s| {
            let others: Vec<Plan> = s
                .plans
                .iter()
                .filter(|p| p.id != plan.id)
                .cloned()
                .collect();
            check_unique(&others, plan)?;
            let slot = s
                .plans
                .iter_mut()
                .find(|p| p.id == plan.id)
                .ok_or_else(|| missing("plan"))?;
            *slot = plan.clone();
            Ok(())
        })
    }

    async fn delete(&self, id: ProductId) -> Result<bool, StorageError> {
        Ok(self.write(|s| {
            let before = s.plans.len();
            s.plans.retain(|p| p.id != id);
            s.plans.len() != before
        }))
    }
}

fn check_unique(others: &[Plan], plan: &Plan) -> Result<(), PlanError> {
    if others.iter().any(|p| p.slug == plan.slug) {
        return Err(PlanError::SlugTaken);
    }
    let skus: BTreeSet<&str> = others
        .iter()
        .flat_map(|p| p.formats.iter().map(|f| f.sku.as_str()))
        .collect();
    if plan.formats.iter().any(|f| skus.contains(f.sku.as_str())) {
        return Err(PlanError::SkuTaken);
    }
    Ok(())
}

#[async_trait]
impl IdempotencyRepo for MemRepos {
    async fn insert(
        &self,
        id: ClaimId,
        caller: &Caller,
        request: &IdempotentRequest,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        self.pause().await;
        Ok(self.write(|s| {
            let slot = (caller.stored(), request.key_hash().to_vec());
            if s.idempotency.contains_key(&slot) {
                return false;
            }
            s.idempotency.insert(
                slot,
                IdempotencyRecord {
                    id,
                    fingerprint: request.fingerprint().to_vec(),
                    created_at: now,
                    answer: None,
                },
            );
            true
        }))
    }

    async fn get(
        &self,
        caller: &Caller,
        request: &IdempotentRequest,
    ) -> Result<Option<IdempotencyRecord>, StorageError> {
        self.pause().await;
        let slot = (caller.stored(), request.key_hash().to_vec());
        Ok(self.read(|s| s.idempotency.get(&slot).cloned()))
    }

    async fn complete(
        &self,
        caller: &Caller,
        id: ClaimId,
        answer: &RecordedAnswer,
        _now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        if let Some(subject) = caller.subject()
            && !self.has_key(subject)
        {
            // Sealed under the account's key, as storage does.
            return Err(StorageError::msg("no data key for this caller"));
        }
        let stored = caller.stored();
        Ok(self.write(|s| {
            match s
                .idempotency
                .iter_mut()
                .find(|((c, _), r)| *c == stored && r.id == id)
            {
                Some((_, r)) if r.answer.is_none() => {
                    r.answer = Some(answer.clone());
                    true
                }
                _ => false,
            }
        }))
    }

    async fn delete(&self, id: ClaimId) -> Result<bool, StorageError> {
        Ok(self.write(|s| {
            let before = s.idempotency.len();
            s.idempotency.retain(|_, r| r.id != id);
            s.idempotency.len() != before
        }))
    }

    async fn purge(&self, before: DateTime<Utc>) -> Result<u64, StorageError> {
        Ok(self.write(|s| {
            let count = s.idempotency.len();
            s.idempotency.retain(|_, r| r.created_at > before);
            (count - s.idempotency.len()) as u64
        }))
    }
}

/// A password "hasher" that stores `hash:<password>` and counts its calls.
#[derive(Debug, Default)]
pub(crate) struct FakeHasher {
    hashes: AtomicUsize,
    verifies: AtomicUsize,
    fail: AtomicBool,
}

impl FakeHasher {
    /// How many hashes were computed.
    pub(crate) fn hashes(&self) -> usize {
        self.hashes.load(Ordering::SeqCst)
    }

    /// How many verifications were made.
    pub(crate) fn verifies(&self) -> usize {
        self.verifies.load(Ordering::SeqCst)
    }

    /// Makes every call fail (or succeed again).
    pub(crate) fn fail(&self, fail: bool) {
        self.fail.store(fail, Ordering::SeqCst);
    }

    fn check(&self) -> Result<(), HashError> {
        if self.fail.load(Ordering::SeqCst) {
            Err(HashError("hasher stopped (test)".to_owned()))
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl PasswordHasher for FakeHasher {
    async fn hash(&self, password: String) -> Result<String, HashError> {
        // Hashing runs off the request's thread: others go on meanwhile.
        yield_now().await;
        self.check()?;
        self.hashes.fetch_add(1, Ordering::SeqCst);
        Ok(format!("hash:{password}"))
    }

    async fn verify(&self, password: String, phc: Option<String>) -> Result<bool, HashError> {
        yield_now().await;
        self.check()?;
        self.verifies.fetch_add(1, Ordering::SeqCst);
        Ok(phc.is_some_and(|h| h == format!("hash:{password}")))
    }
}

/// Access tokens as readable text: `fake|subject|session|role|iat|exp`
/// (instants in microseconds). Anything else is refused.
#[derive(Debug, Default)]
pub(crate) struct FakeIssuer {
    fail: AtomicBool,
}

impl FakeIssuer {
    /// Makes issuing fail (or succeed again).
    pub(crate) fn fail(&self, fail: bool) {
        self.fail.store(fail, Ordering::SeqCst);
    }
}

impl TokenIssuer for FakeIssuer {
    fn issue(&self, claims: &AccessClaims) -> Result<String, IssueError> {
        if self.fail.load(Ordering::SeqCst) {
            return Err(IssueError("signing key unavailable (test)".to_owned()));
        }
        Ok(format!(
            "fake|{}|{}|{}|{}|{}",
            claims.subject,
            claims.session,
            claims.role,
            claims.issued_at.timestamp_micros(),
            claims.expires_at.timestamp_micros()
        ))
    }

    fn decode(&self, token: &str) -> Option<AccessClaims> {
        let parts: Vec<&str> = token.split('|').collect();
        let [tag, subject, session, role, iat, exp] = parts.as_slice() else {
            return None;
        };
        if *tag != "fake" {
            return None;
        }
        let claims = AccessClaims {
            subject: subject.parse().ok()?,
            session: session.parse().ok()?,
            role: role.parse().ok()?,
            issued_at: DateTime::from_timestamp_micros(iat.parse().ok()?)?,
            expires_at: DateTime::from_timestamp_micros(exp.parse().ok()?)?,
        };
        Some(claims)
    }
}

/// Counter-based "randomness".
#[derive(Debug, Default)]
pub(crate) struct FakeRandom {
    next: AtomicU64,
}

impl FakeRandom {
    fn next(&self) -> u64 {
        self.next.fetch_add(1, Ordering::SeqCst) + 1
    }
}

impl Randomness for FakeRandom {
    fn token(&self) -> String {
        format!("link-token-{:04}", self.next())
    }

    fn password(&self) -> String {
        format!("generated passphrase number {}", self.next())
    }
}

/// A deterministic "keyed" hash: SHA-256 of namespace, a zero byte and the
/// value (so the 16-byte prefixes used as counter keys never collide).
#[derive(Debug, Default)]
pub(crate) struct FakeIndex;

impl BlindIndex for FakeIndex {
    fn index(&self, namespace: &str, value: &str) -> Vec<u8> {
        let mut h = Sha256::new();
        h.update(namespace.as_bytes());
        h.update([0]);
        h.update(value.as_bytes());
        h.finalize().to_vec()
    }
}

#[async_trait]
impl crate::legal::LegalRepo for MemRepos {
    async fn current(
        &self,
        kind: crate::legal::DocumentKind,
    ) -> Result<Option<crate::legal::LegalDocument>, StorageError> {
        Ok(self.read(|s| {
            s.legal
                .iter()
                .filter(|d| d.kind == kind)
                .max_by_key(|d| d.version)
                .cloned()
        }))
    }
    async fn version(
        &self,
        kind: crate::legal::DocumentKind,
        version: i32,
    ) -> Result<Option<crate::legal::LegalDocument>, StorageError> {
        Ok(self.read(|s| {
            s.legal
                .iter()
                .find(|d| d.kind == kind && d.version == version)
                .cloned()
        }))
    }
    async fn history(
        &self,
        kind: crate::legal::DocumentKind,
    ) -> Result<Vec<crate::legal::VersionInfo>, StorageError> {
        let mut v: Vec<_> = self.read(|s| {
            s.legal
                .iter()
                .filter(|d| d.kind == kind)
                .map(|d| crate::legal::VersionInfo {
                    version: d.version,
                    published_at: d.published_at,
                    hash: d.hash.clone(),
                    summary: d.summary.clone(),
                })
                .collect()
        });
        v.sort_by_key(|d| std::cmp::Reverse(d.version));
        Ok(v)
    }
    async fn insert(
        &self,
        doc: &crate::legal::LegalDocument,
        _by: Option<CustomerId>,
    ) -> Result<bool, StorageError> {
        Ok(self.write(|s| {
            if s.legal
                .iter()
                .any(|d| d.kind == doc.kind && d.version == doc.version)
            {
                false
            } else {
                s.legal.push(doc.clone());
                true
            }
        }))
    }
}

#[async_trait]
impl crate::consent::ConsentRepo for MemRepos {
    async fn purposes(&self) -> Result<Vec<crate::consent::Purpose>, StorageError> {
        Ok(self.read(|s| s.purposes.clone()))
    }
    async fn purpose(&self, key: &str) -> Result<Option<crate::consent::Purpose>, StorageError> {
        Ok(self.read(|s| s.purposes.iter().find(|p| p.key.as_str() == key).cloned()))
    }
    async fn define_purpose(
        &self,
        purpose: &crate::consent::Purpose,
    ) -> Result<bool, StorageError> {
        Ok(self.write(|s| {
            if s.purposes.iter().any(|p| p.key == purpose.key) {
                false
            } else {
                s.purposes.push(purpose.clone());
                true
            }
        }))
    }
    async fn record(
        &self,
        e: &crate::consent::NewConsentEvent,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        self.write(|s| {
            s.consent_events.push((
                e.subject,
                crate::consent::ConsentEvent {
                    id: uuid::Uuid::now_v7(),
                    purpose: e.purpose.to_string(),
                    given: e.given,
                    channel: e.channel,
                    policy: e.documents.privacy.clone(),
                    terms: e.documents.terms.clone(),
                    at: now,
                },
            ));
            s.consent_state.insert(
                (e.subject, e.purpose.to_string()),
                crate::consent::ConsentStatus {
                    purpose: e.purpose.to_string(),
                    given: e.given,
                    policy_version: e.documents.privacy.as_ref().map(|d| d.version),
                    terms_version: e.documents.terms.as_ref().map(|d| d.version),
                    updated_at: now,
                },
            );
        });
        Ok(())
    }
    async fn state(
        &self,
        subject: SubjectId,
    ) -> Result<Vec<crate::consent::ConsentStatus>, StorageError> {
        Ok(self.read(|s| {
            s.consent_state
                .iter()
                .filter(|((who, _), _)| *who == subject)
                .map(|(_, v)| v.clone())
                .collect()
        }))
    }
    async fn state_of(
        &self,
        subject: SubjectId,
        purpose: &str,
    ) -> Result<Option<crate::consent::ConsentStatus>, StorageError> {
        Ok(self.read(|s| s.consent_state.get(&(subject, purpose.to_owned())).cloned()))
    }
    async fn history(
        &self,
        subject: SubjectId,
        limit: u64,
    ) -> Result<Vec<crate::consent::ConsentEvent>, StorageError> {
        Ok(self.read(|s| {
            s.consent_events
                .iter()
                .rev()
                .filter(|(who, _)| *who == subject)
                .take(usize::try_from(limit).unwrap_or(usize::MAX))
                .map(|(_, e)| e.clone())
                .collect()
        }))
    }
    async fn audience(
        &self,
        purpose: &str,
        after: Option<SubjectId>,
        limit: u64,
    ) -> Result<Vec<SubjectId>, StorageError> {
        Ok(self.read(|s| {
            s.consent_state
                .iter()
                .filter(|((who, p), v)| p == purpose && v.given && after.is_none_or(|a| *who > a))
                .map(|((who, _), _)| *who)
                .take(usize::try_from(limit).unwrap_or(usize::MAX))
                .collect()
        }))
    }
    async fn count_given(&self, purpose: &str) -> Result<u64, StorageError> {
        Ok(self.read(|s| {
            s.consent_state
                .iter()
                .filter(|((_, p), v)| p == purpose && v.given)
                .count() as u64
        }))
    }
}

/// The newsletter, contact, blog and guest repositories live in SQL only:
/// their use cases are proven by the black-box tests on both databases.
struct Elsewhere;

fn elsewhere<T>() -> Result<T, StorageError> {
    Err(StorageError::msg("not kept by the in-memory store"))
}

#[async_trait]
impl crate::subject::GuestRepo for Elsewhere {
    // Keeps none, so finds none: a reset still attaches nothing here.
    async fn find(&self, _: &[u8]) -> Result<Option<SubjectId>, StorageError> {
        Ok(None)
    }
    async fn insert(
        &self,
        _: SubjectId,
        _: &[u8],
        _: DateTime<Utc>,
    ) -> Result<SubjectId, StorageError> {
        elsewhere()
    }
    async fn touch(&self, _: SubjectId, _: DateTime<Utc>) -> Result<(), StorageError> {
        elsewhere()
    }
    async fn attach(
        &self,
        _: SubjectId,
        _: CustomerId,
        _: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        elsewhere()
    }
}

use crate::blog::{
    Article, ArticleDraft, CommentStatus, ModeratedComment, NewComment, PublicComment,
};
use crate::contact::{ContactStatus, Message, MessageSummary, NewMessage, Topic};
use crate::identity::{Language, Origin};
use crate::ids::{ArticleId, CampaignId, CommentId, ContactMessageId, SubscriberId};
use crate::newsletter::{
    Campaign, CampaignContent, CampaignStatus, Recipient, Subscriber, SubscriberStatus,
};
use uuid::Uuid;
#[async_trait]
#[allow(unused_variables)]
impl crate::newsletter::NewsletterRepo for Elsewhere {
    async fn by_email(&self, email_bidx: &[u8]) -> Result<Option<Subscriber>, StorageError> {
        elsewhere()
    }
    async fn status(&self, id: SubscriberId) -> Result<Option<SubscriberStatus>, StorageError> {
        elsewhere()
    }
    async fn get(&self, id: SubscriberId) -> Result<Option<Subscriber>, StorageError> {
        elsewhere()
    }
    async fn upsert_pending(
        &self,
        id: SubscriberId,
        subject: SubjectId,
        email: &Email,
        email_bidx: &[u8],
        language: Language,
        token_hash: &[u8],
        expires_at: DateTime<Utc>,
        policy_version: Option<i32>,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        elsewhere()
    }
    async fn upsert_confirmed(
        &self,
        id: SubscriberId,
        subject: SubjectId,
        email: &Email,
        email_bidx: &[u8],
        language: Language,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        elsewhere()
    }
    async fn by_token(
        &self,
        hash: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Option<(SubscriberId, SubjectId, SubscriberStatus)>, StorageError> {
        elsewhere()
    }
    async fn confirm(&self, id: SubscriberId, now: DateTime<Utc>) -> Result<bool, StorageError> {
        elsewhere()
    }
    async fn unsubscribe(
        &self,
        id: SubscriberId,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        elsewhere()
    }
    async fn unsubscribe_subject(
        &self,
        subject: SubjectId,
        now: DateTime<Utc>,
    ) -> Result<u64, StorageError> {
        elsewhere()
    }
    async fn expire_pending(&self, now: DateTime<Utc>, limit: u64) -> Result<u64, StorageError> {
        elsewhere()
    }
    async fn confirmed_after(
        &self,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<Recipient>, StorageError> {
        elsewhere()
    }
    async fn count_confirmed(&self) -> Result<u64, StorageError> {
        elsewhere()
    }
    async fn insert_campaign(&self, c: &Campaign) -> Result<(), StorageError> {
        elsewhere()
    }
    async fn campaign(&self, id: CampaignId) -> Result<Option<Campaign>, StorageError> {
        elsewhere()
    }
    async fn campaigns(&self, limit: u64, offset: u64) -> Result<Vec<Campaign>, StorageError> {
        elsewhere()
    }
    async fn update_content(
        &self,
        id: CampaignId,
        content: &CampaignContent,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        elsewhere()
    }
    async fn set_status(
        &self,
        id: CampaignId,
        from: &[CampaignStatus],
        to: CampaignStatus,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        elsewhere()
    }
    async fn start(
        &self,
        id: CampaignId,
        audience_size: i64,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        elsewhere()
    }
    async fn progress(
        &self,
        id: CampaignId,
        cursor: Uuid,
        added: i64,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        elsewhere()
    }
    async fn delete_draft(&self, id: CampaignId) -> Result<bool, StorageError> {
        elsewhere()
    }
    async fn due(&self, now: DateTime<Utc>) -> Result<Vec<CampaignId>, StorageError> {
        elsewhere()
    }
}

#[async_trait]
#[allow(unused_variables)]
impl crate::contact::ContactRepo for Elsewhere {
    async fn insert(
        &self,
        id: ContactMessageId,
        subject: SubjectId,
        customer: Option<CustomerId>,
        message: &NewMessage,
        origin: &Origin,
        policy_version: i32,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        elsewhere()
    }
    async fn list(
        &self,
        status: Option<ContactStatus>,
        topic: Option<Topic>,
        limit: u64,
        offset: u64,
    ) -> Result<Vec<MessageSummary>, StorageError> {
        elsewhere()
    }
    async fn list_one(&self, id: ContactMessageId) -> Result<Option<MessageSummary>, StorageError> {
        elsewhere()
    }
    async fn get(&self, id: ContactMessageId) -> Result<Option<Message>, StorageError> {
        elsewhere()
    }
    async fn add_reply(
        &self,
        id: ContactMessageId,
        subject: SubjectId,
        staff: CustomerId,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        elsewhere()
    }
    async fn set_status(
        &self,
        id: ContactMessageId,
        status: ContactStatus,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        elsewhere()
    }
    async fn mark_request(
        &self,
        id: ContactMessageId,
        by: CustomerId,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        elsewhere()
    }
}

#[async_trait]
#[allow(unused_variables)]
impl crate::blog::BlogRepo for Elsewhere {
    async fn insert_article(&self, a: &Article) -> Result<bool, StorageError> {
        elsewhere()
    }
    async fn update_article(
        &self,
        id: ArticleId,
        draft: &ArticleDraft,
        now: DateTime<Utc>,
    ) -> Result<Option<bool>, StorageError> {
        elsewhere()
    }
    async fn delete_article(&self, id: ArticleId) -> Result<bool, StorageError> {
        elsewhere()
    }
    async fn article(&self, id: ArticleId) -> Result<Option<Article>, StorageError> {
        elsewhere()
    }
    async fn article_by_slug(&self, slug: &str) -> Result<Option<Article>, StorageError> {
        elsewhere()
    }
    async fn articles(
        &self,
        visible_at: Option<DateTime<Utc>>,
        limit: u64,
        offset: u64,
    ) -> Result<(Vec<Article>, u64), StorageError> {
        elsewhere()
    }
    async fn insert_comment(
        &self,
        id: CommentId,
        article: ArticleId,
        subject: SubjectId,
        customer: Option<CustomerId>,
        comment: &NewComment,
        origin: &Origin,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        elsewhere()
    }
    async fn approved_comments(
        &self,
        article: ArticleId,
    ) -> Result<Vec<PublicComment>, StorageError> {
        elsewhere()
    }
    async fn comments(
        &self,
        status: Option<CommentStatus>,
        limit: u64,
        offset: u64,
    ) -> Result<Vec<ModeratedComment>, StorageError> {
        elsewhere()
    }
    async fn set_comment_status(
        &self,
        id: CommentId,
        status: CommentStatus,
        by: CustomerId,
        now: DateTime<Utc>,
    ) -> Result<Option<ArticleId>, StorageError> {
        elsewhere()
    }
    async fn delete_comment(&self, id: CommentId) -> Result<bool, StorageError> {
        elsewhere()
    }
    async fn revision(&self) -> Result<i64, StorageError> {
        elsewhere()
    }
    async fn bump_revision(&self) -> Result<(), StorageError> {
        elsewhere()
    }
}

#[async_trait]
impl crate::shop::cart::CartRepo for Elsewhere {
    async fn insert(
        &self,
        _: crate::ids::CartId,
        _: Option<CustomerId>,
        _: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        elsewhere()
    }
    async fn get(
        &self,
        _: crate::ids::CartId,
    ) -> Result<Option<crate::shop::cart::Cart>, StorageError> {
        elsewhere()
    }
    async fn lock(&self, _: crate::ids::CartId) -> Result<(), StorageError> {
        elsewhere()
    }
    async fn open_of(&self, _: CustomerId) -> Result<Option<crate::ids::CartId>, StorageError> {
        elsewhere()
    }
    async fn put_line(
        &self,
        _: crate::ids::CartId,
        _: &crate::shop::cart::CartLine,
    ) -> Result<(), StorageError> {
        elsewhere()
    }
    async fn set_quantity(
        &self,
        _: crate::ids::CartId,
        _: crate::ids::CartLineId,
        _: u32,
    ) -> Result<bool, StorageError> {
        elsewhere()
    }
    async fn remove_line(
        &self,
        _: crate::ids::CartId,
        _: crate::ids::CartLineId,
    ) -> Result<bool, StorageError> {
        elsewhere()
    }
    async fn set_email(
        &self,
        _: crate::ids::CartId,
        _: SubjectId,
        _: &crate::identity::Email,
        _: &[u8],
    ) -> Result<(), StorageError> {
        elsewhere()
    }
    async fn set_customer(&self, _: crate::ids::CartId, _: CustomerId) -> Result<(), StorageError> {
        elsewhere()
    }
    async fn touch(&self, _: crate::ids::CartId, _: DateTime<Utc>) -> Result<(), StorageError> {
        elsewhere()
    }
    async fn close(
        &self,
        _: crate::ids::CartId,
        _: crate::shop::cart::CartStatus,
        _: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        elsewhere()
    }
}

#[async_trait]
impl crate::shop::order::OrderRepo for Elsewhere {
    async fn insert(&self, _: &crate::shop::order::NewOrder) -> Result<(), StorageError> {
        elsewhere()
    }
    async fn attach_guest(
        &self,
        _: SubjectId,
        _: &[u8],
        _: CustomerId,
    ) -> Result<u64, StorageError> {
        elsewhere()
    }
    async fn get(
        &self,
        _: crate::ids::OrderId,
    ) -> Result<Option<crate::shop::order::Order>, StorageError> {
        elsewhere()
    }
    async fn of_cart(
        &self,
        _: crate::ids::CartId,
    ) -> Result<Option<(crate::ids::OrderId, Vec<u8>, Vec<u8>)>, StorageError> {
        elsewhere()
    }
    async fn list(
        &self,
        _: &crate::shop::order::OrderFilter,
        _: u64,
    ) -> Result<Vec<crate::shop::order::OrderSummary>, StorageError> {
        elsewhere()
    }
    async fn source_activity(
        &self,
        _: &str,
        _: DateTime<Utc>,
        _: DateTime<Utc>,
        _: u64,
    ) -> Result<(u64, u64), StorageError> {
        elsewhere()
    }
    async fn usual_total(&self, _: u64) -> Result<Option<i64>, StorageError> {
        elsewhere()
    }
    async fn transition(
        &self,
        _: crate::ids::OrderId,
        _: crate::shop::order::OrderStatus,
        _: &crate::shop::order::OrderEvent,
    ) -> Result<bool, StorageError> {
        elsewhere()
    }
}

#[async_trait]
impl crate::shop::invoice::InvoiceRepo for Elsewhere {
    async fn by_number(
        &self,
        _: &str,
    ) -> Result<Option<crate::shop::invoice::Invoice>, StorageError> {
        elsewhere()
    }
    async fn next_number(
        &self,
        _: crate::shop::invoice::InvoiceKind,
        _: i32,
    ) -> Result<u32, StorageError> {
        elsewhere()
    }
    async fn insert(&self, _: &crate::shop::invoice::Invoice) -> Result<(), StorageError> {
        elsewhere()
    }
    async fn of_order(
        &self,
        _: crate::ids::OrderId,
    ) -> Result<Vec<crate::shop::invoice::Invoice>, StorageError> {
        elsewhere()
    }
    async fn get(
        &self,
        _: crate::shop::invoice::InvoiceId,
    ) -> Result<Option<crate::shop::invoice::Invoice>, StorageError> {
        elsewhere()
    }
}

#[async_trait]
impl crate::shop::payment::PaymentRepo for Elsewhere {
    async fn insert(&self, _: &crate::shop::payment::PaymentRecord) -> Result<bool, StorageError> {
        elsewhere()
    }
    async fn of_order(
        &self,
        _: crate::ids::OrderId,
    ) -> Result<Option<crate::shop::payment::PaymentRecord>, StorageError> {
        elsewhere()
    }
    async fn by_intent(
        &self,
        _: &str,
    ) -> Result<Option<crate::shop::payment::PaymentRecord>, StorageError> {
        elsewhere()
    }
    async fn set_status(&self, _: &str, _: &str, _: DateTime<Utc>) -> Result<(), StorageError> {
        elsewhere()
    }
    async fn record_event(
        &self,
        _: &str,
        _: &str,
        _: Option<crate::ids::OrderId>,
        _: &str,
        _: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        elsewhere()
    }
}

#[async_trait]
impl crate::shop::download::DownloadRepo for Elsewhere {
    async fn file_of(
        &self,
        _: crate::ids::FormatId,
    ) -> Result<Option<crate::shop::download::FormatFile>, StorageError> {
        elsewhere()
    }
    async fn files_of(
        &self,
        _: &[crate::ids::FormatId],
    ) -> Result<Vec<crate::shop::download::FormatFile>, StorageError> {
        elsewhere()
    }
    async fn put_file(
        &self,
        _: &crate::shop::download::FormatFile,
    ) -> Result<Option<String>, StorageError> {
        elsewhere()
    }
    async fn remove_file(
        &self,
        _: crate::ids::FormatId,
    ) -> Result<Option<crate::shop::download::FormatFile>, StorageError> {
        elsewhere()
    }
    async fn counts(
        &self,
        _: crate::ids::OrderId,
    ) -> Result<Vec<(crate::ids::FormatId, u32)>, StorageError> {
        elsewhere()
    }
    async fn take(
        &self,
        _: crate::ids::OrderId,
        _: crate::ids::FormatId,
        _: u32,
        _: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        elsewhere()
    }
    async fn log(&self, _: &crate::shop::download::DownloadRecord) -> Result<(), StorageError> {
        elsewhere()
    }
}

#[async_trait]
impl crate::review::ReviewRepo for Elsewhere {
    async fn insert(&self, _: &crate::review::ReviewDraft) -> Result<bool, StorageError> {
        elsewhere()
    }
    async fn head(
        &self,
        _: crate::ids::ReviewId,
    ) -> Result<Option<crate::review::ReviewHead>, StorageError> {
        elsewhere()
    }
    async fn of_customer(&self, _: CustomerId) -> Result<Vec<crate::review::Review>, StorageError> {
        elsewhere()
    }
    async fn approved(
        &self,
        _: crate::ids::ProductId,
        _: Option<crate::ids::ReviewId>,
        _: u64,
    ) -> Result<crate::review::ReviewPage, StorageError> {
        elsewhere()
    }
    async fn for_moderation(
        &self,
        _: Option<crate::review::ReviewStatus>,
        _: u64,
        _: u64,
    ) -> Result<Vec<crate::review::Review>, StorageError> {
        elsewhere()
    }
    async fn set_status(
        &self,
        _: crate::ids::ReviewId,
        _: crate::review::ReviewStatus,
        _: crate::review::ReviewStatus,
        _: CustomerId,
        _: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        elsewhere()
    }
    async fn delete(
        &self,
        _: crate::ids::ReviewId,
        _: crate::review::ReviewStatus,
    ) -> Result<bool, StorageError> {
        elsewhere()
    }
    async fn adjust_rating(
        &self,
        _: crate::ids::ProductId,
        _: i64,
        _: i64,
    ) -> Result<(), StorageError> {
        elsewhere()
    }
    async fn rating(
        &self,
        _: crate::ids::ProductId,
    ) -> Result<Option<crate::catalogue::Rating>, StorageError> {
        elsewhere()
    }
}

#[async_trait]
impl crate::recently_viewed::RecentlyViewedRepo for Elsewhere {
    async fn record(
        &self,
        _: crate::recently_viewed::Viewer,
        _: crate::ids::ProductId,
        _: DateTime<Utc>,
        _: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        elsewhere()
    }
    async fn list(
        &self,
        _: crate::recently_viewed::Viewer,
        _: DateTime<Utc>,
    ) -> Result<Vec<(crate::ids::ProductId, DateTime<Utc>)>, StorageError> {
        elsewhere()
    }
}

#[async_trait]
impl crate::shop::coupon::CouponRepo for Elsewhere {
    async fn insert(&self, _: &crate::shop::coupon::Coupon) -> Result<bool, StorageError> {
        elsewhere()
    }
    async fn update(
        &self,
        _: uuid::Uuid,
        _: &crate::shop::coupon::CouponRules,
        _: DateTime<Utc>,
    ) -> Result<Option<bool>, StorageError> {
        elsewhere()
    }
    async fn delete(&self, _: uuid::Uuid) -> Result<bool, StorageError> {
        elsewhere()
    }
    async fn get(
        &self,
        _: uuid::Uuid,
    ) -> Result<Option<crate::shop::coupon::Coupon>, StorageError> {
        elsewhere()
    }
    async fn by_code(
        &self,
        _: &crate::shop::coupon::CouponCode,
    ) -> Result<Option<crate::shop::coupon::Coupon>, StorageError> {
        elsewhere()
    }
    async fn list(&self, _: u64, _: u64) -> Result<Vec<crate::shop::coupon::Coupon>, StorageError> {
        elsewhere()
    }
    async fn uses_by(&self, _: uuid::Uuid, _: &[u8]) -> Result<u32, StorageError> {
        elsewhere()
    }
    async fn record_use(
        &self,
        _: uuid::Uuid,
        _: crate::ids::OrderId,
        _: &[u8],
        _: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        elsewhere()
    }
}

#[async_trait]
impl crate::shop::refund::RefundRepo for Elsewhere {
    async fn lock_order(&self, _: crate::ids::OrderId) -> Result<(), StorageError> {
        elsewhere()
    }
    async fn insert(&self, _: &crate::shop::refund::RefundRecord) -> Result<(), StorageError> {
        elsewhere()
    }
    async fn of_order(
        &self,
        _: crate::ids::OrderId,
    ) -> Result<Vec<crate::shop::refund::RefundRecord>, StorageError> {
        elsewhere()
    }
    async fn settle(
        &self,
        _: crate::ids::RefundId,
        _: crate::shop::refund::RefundStatus,
        _: Option<&str>,
        _: Option<&str>,
        _: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        elsewhere()
    }
}

#[async_trait]
impl crate::shop::complaint::ComplaintRepo for Elsewhere {
    async fn insert(
        &self,
        _: &crate::shop::complaint::NewComplaint,
        _: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        elsewhere()
    }
    async fn add_message(
        &self,
        _: crate::ids::ComplaintId,
        _: SubjectId,
        _: Option<CustomerId>,
        _: &str,
        _: crate::shop::complaint::ComplaintStatus,
        _: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        elsewhere()
    }
    async fn set_status(
        &self,
        _: crate::ids::ComplaintId,
        _: crate::shop::complaint::ComplaintStatus,
        _: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        elsewhere()
    }
    async fn summary(
        &self,
        _: crate::ids::ComplaintId,
    ) -> Result<Option<crate::shop::complaint::ComplaintSummary>, StorageError> {
        elsewhere()
    }
    async fn get(
        &self,
        _: crate::ids::ComplaintId,
    ) -> Result<Option<crate::shop::complaint::Complaint>, StorageError> {
        elsewhere()
    }
    async fn of_order(
        &self,
        _: crate::ids::OrderId,
    ) -> Result<Vec<crate::shop::complaint::Complaint>, StorageError> {
        elsewhere()
    }
    async fn list(
        &self,
        _: &crate::shop::complaint::ComplaintFilter,
        _: u64,
    ) -> Result<Vec<crate::shop::complaint::ComplaintSummary>, StorageError> {
        elsewhere()
    }
}

#[async_trait]
#[allow(unused_variables)]
impl crate::rights::dpo::DpoRepo for Elsewhere {
    async fn insert(&self, r: &crate::rights::dpo::DpoRequest) -> Result<(), StorageError> {
        elsewhere()
    }
    async fn get(&self, id: Uuid) -> Result<Option<crate::rights::dpo::DpoRequest>, StorageError> {
        elsewhere()
    }
    async fn list(&self) -> Result<Vec<crate::rights::dpo::DpoRequest>, StorageError> {
        elsewhere()
    }
    async fn update(
        &self,
        r: &crate::rights::dpo::DpoRequest,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        elsewhere()
    }
    async fn restrict(
        &self,
        customer: CustomerId,
        at: Option<DateTime<Utc>>,
    ) -> Result<bool, StorageError> {
        elsewhere()
    }
    // The in-memory store restricts no one.
    async fn restricted(&self, customer: CustomerId) -> Result<bool, StorageError> {
        Ok(false)
    }
    async fn restricted_among(&self, subjects: &[Uuid]) -> Result<Vec<Uuid>, StorageError> {
        Ok(Vec::new())
    }
}

#[async_trait]
#[allow(unused_variables)]
impl crate::rights::requests::PrivacyRequestRepo for Elsewhere {
    async fn insert(
        &self,
        r: &crate::rights::requests::StoredRequest,
        token_hash: &[u8],
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        elsewhere()
    }
    async fn confirm(
        &self,
        token_hash: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Option<crate::rights::requests::StoredRequest>, StorageError> {
        elsewhere()
    }
    async fn set_download(
        &self,
        id: Uuid,
        token_hash: &[u8],
        expires_at: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        elsewhere()
    }
    async fn take_download(
        &self,
        token_hash: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Option<crate::rights::requests::StoredRequest>, StorageError> {
        elsewhere()
    }
    async fn done(&self, id: Uuid, now: DateTime<Utc>) -> Result<(), StorageError> {
        elsewhere()
    }
}

#[async_trait]
#[allow(unused_variables)]
impl crate::breach::BreachRepo for Elsewhere {
    async fn insert(&self, b: &crate::breach::Breach) -> Result<(), StorageError> {
        elsewhere()
    }
    async fn get(&self, id: Uuid) -> Result<Option<crate::breach::Breach>, StorageError> {
        elsewhere()
    }
    async fn list(&self) -> Result<Vec<crate::breach::Breach>, StorageError> {
        elsewhere()
    }
    async fn authority_notified(
        &self,
        id: Uuid,
        at: DateTime<Utc>,
        reference: Option<&str>,
    ) -> Result<(), StorageError> {
        elsewhere()
    }
    async fn people_notified(
        &self,
        id: Uuid,
        n: u64,
        at: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        elsewhere()
    }
    async fn claim_all(&self, id: Uuid, at: DateTime<Utc>) -> Result<bool, StorageError> {
        elsewhere()
    }
    async fn customers_after(
        &self,
        after: Option<CustomerId>,
        limit: u64,
    ) -> Result<Vec<CustomerId>, StorageError> {
        elsewhere()
    }
}

#[async_trait]
impl crate::rights::RightsRepo for Elsewhere {
    async fn export(
        &self,
        _: CustomerId,
    ) -> Result<serde_json::Map<String, serde_json::Value>, StorageError> {
        elsewhere()
    }
    async fn held(&self, _: CustomerId) -> Result<crate::rights::Held, StorageError> {
        elsewhere()
    }
    async fn erase(
        &self,
        _: CustomerId,
        _: DateTime<Utc>,
    ) -> Result<Vec<(String, u64)>, StorageError> {
        elsewhere()
    }
}

#[async_trait]
impl crate::retention::RetentionRepo for Elsewhere {
    async fn count(
        &self,
        _: crate::retention::Category,
        _: &crate::retention::Limits,
    ) -> Result<u64, StorageError> {
        elsewhere()
    }
    async fn purge(
        &self,
        _: crate::retention::Category,
        _: &crate::retention::Limits,
        _: u64,
    ) -> Result<u64, StorageError> {
        elsewhere()
    }
    async fn to_warn(&self, _: DateTime<Utc>, _: u64) -> Result<Vec<CustomerId>, StorageError> {
        elsewhere()
    }
    async fn warned(&self, _: CustomerId, _: DateTime<Utc>) -> Result<(), StorageError> {
        elsewhere()
    }
}

#[async_trait]
#[allow(unused_variables)]
impl crate::integration::ApiKeyRepo for Elsewhere {
    async fn insert(
        &self,
        key: &crate::integration::ApiKey,
        hash: &[u8],
    ) -> Result<(), StorageError> {
        elsewhere()
    }
    async fn list(&self) -> Result<Vec<crate::integration::ApiKey>, StorageError> {
        elsewhere()
    }
    async fn get(
        &self,
        id: crate::ids::ApiKeyId,
    ) -> Result<Option<crate::integration::ApiKey>, StorageError> {
        elsewhere()
    }
    async fn find(
        &self,
        hash: &[u8],
    ) -> Result<Option<(crate::integration::ApiKey, bool)>, StorageError> {
        elsewhere()
    }
    async fn rotate(
        &self,
        key: &crate::integration::ApiKey,
        hash: &[u8],
        previous_until: Option<DateTime<Utc>>,
    ) -> Result<(), StorageError> {
        elsewhere()
    }
    async fn revoke(
        &self,
        id: crate::ids::ApiKeyId,
        at: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        elsewhere()
    }
    async fn touch(&self, id: crate::ids::ApiKeyId, at: DateTime<Utc>) -> Result<(), StorageError> {
        elsewhere()
    }
}

#[async_trait]
#[allow(unused_variables)]
impl crate::integration::WebhookRepo for Elsewhere {
    async fn insert_endpoint(&self, e: &crate::integration::Endpoint) -> Result<(), StorageError> {
        elsewhere()
    }
    async fn update_endpoint(&self, e: &crate::integration::Endpoint) -> Result<(), StorageError> {
        elsewhere()
    }
    async fn delete_endpoint(
        &self,
        id: crate::ids::WebhookEndpointId,
    ) -> Result<bool, StorageError> {
        elsewhere()
    }
    async fn endpoint(
        &self,
        id: crate::ids::WebhookEndpointId,
    ) -> Result<Option<crate::integration::Endpoint>, StorageError> {
        elsewhere()
    }
    async fn endpoints(&self) -> Result<Vec<crate::integration::Endpoint>, StorageError> {
        elsewhere()
    }
    // The in-memory store has no endpoints: events go nowhere.
    async fn subscribed(
        &self,
        event: crate::integration::EventType,
    ) -> Result<Vec<crate::integration::Endpoint>, StorageError> {
        Ok(Vec::new())
    }
    async fn insert_deliveries(
        &self,
        d: &[crate::integration::Delivery],
    ) -> Result<(), StorageError> {
        elsewhere()
    }
    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: u64,
    ) -> Result<Vec<crate::integration::Delivery>, StorageError> {
        elsewhere()
    }
    async fn save_delivery(&self, d: &crate::integration::Delivery) -> Result<(), StorageError> {
        elsewhere()
    }
    async fn delivery(
        &self,
        id: crate::ids::WebhookDeliveryId,
    ) -> Result<Option<crate::integration::Delivery>, StorageError> {
        elsewhere()
    }
    async fn deliveries(
        &self,
        endpoint: crate::ids::WebhookEndpointId,
        status: Option<crate::integration::DeliveryStatus>,
        before: Option<crate::ids::WebhookDeliveryId>,
        limit: u64,
    ) -> Result<Vec<crate::integration::Delivery>, StorageError> {
        elsewhere()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::SourceId;

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_740_000_000, 0).unwrap()
    }

    #[tokio::test]
    async fn a_dropped_unit_of_work_leaves_nothing_and_a_committed_one_everything() {
        let store = MemStore::new();
        let owner = CustomerId::new();
        let uow = store.begin().await.unwrap();
        uow.tokens()
            .create(owner, TokenPurpose::ResetPassword, vec![1], t0(), t0())
            .await
            .unwrap();
        drop(uow);
        assert!(store.state().tokens.is_empty());

        let uow = store.begin().await.unwrap();
        uow.tokens()
            .create(owner, TokenPurpose::ResetPassword, vec![1], t0(), t0())
            .await
            .unwrap();
        assert!(store.state().tokens.is_empty(), "not before the commit");
        uow.commit().await.unwrap();
        assert_eq!(store.state().tokens.len(), 1);
    }

    #[tokio::test]
    async fn a_commit_over_a_concurrent_write_fails() {
        let store = MemStore::new();
        let uow = store.begin().await.unwrap();
        store
            .reader()
            .counters()
            .clear(&CounterKey::source(
                CounterKind::SourceBan,
                &SourceId {
                    key: "k".into(),
                    display: None,
                },
            ))
            .await
            .unwrap();
        assert!(uow.commit().await.is_err());
    }

    #[tokio::test]
    async fn an_account_needs_its_subject_key() {
        let store = MemStore::new();
        let id = CustomerId::new();
        let new = NewCustomer {
            email: Email::parse("a@example.fr").unwrap(),
            name: crate::identity::PersonName::parse("A").unwrap(),
            phone: None,
            role: Role::Customer,
            language: crate::identity::Language::Fr,
        };
        let reader = store.reader();
        assert!(matches!(
            reader.accounts().create(id, &new, None, false, t0()).await,
            Err(AccountWriteError::Storage(_))
        ));
        reader
            .keys()
            .create(SubjectId::customer(id), t0())
            .await
            .unwrap();
        reader
            .accounts()
            .create(id, &new, None, false, t0())
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn tokens_are_single_use_for_their_purpose_until_they_expire() {
        let store = MemStore::new();
        let r = store.reader();
        let owner = CustomerId::new();
        let end = t0() + Duration::hours(1);
        let (reset, set) = (TokenPurpose::ResetPassword, TokenPurpose::SetPassword);
        r.tokens()
            .create(owner, reset, vec![1], t0(), end)
            .await
            .unwrap();
        r.tokens()
            .create(owner, reset, vec![2], t0(), end)
            .await
            .unwrap();
        let consume = |h: u8, p: TokenPurpose, at: DateTime<Utc>| {
            let r = store.reader();
            async move { r.tokens().consume(&[p], &[h], at).await.unwrap() }
        };
        assert_eq!(consume(1, set, t0()).await, None, "other purpose");
        assert_eq!(consume(1, reset, t0()).await, Some(owner));
        assert_eq!(consume(1, reset, t0()).await, None, "used");
        assert_eq!(consume(2, reset, end).await, None, "expired");
    }

    #[tokio::test]
    async fn counters_restart_after_their_window() {
        let store = MemStore::new();
        let r = store.reader();
        let source = SourceId {
            key: "k".into(),
            display: None,
        };
        let key = CounterKey::source(CounterKind::SourceFailures, &source);
        let w = Duration::hours(1);
        let bump = |at| r.counters().bump(&key, w, at, &source, None);
        assert_eq!(bump(t0()).await.unwrap(), (1, t0()));
        assert_eq!(
            bump(t0() + w - Duration::seconds(1)).await.unwrap(),
            (2, t0())
        );
        let later = t0() + w;
        assert_eq!(bump(later).await.unwrap(), (1, later));
    }

    #[tokio::test]
    async fn find_live_sees_unused_unexpired_tokens_only() {
        let store = MemStore::new();
        let r = store.reader();
        let owner = CustomerId::new();
        let (reset, set) = (TokenPurpose::ResetPassword, TokenPurpose::SetPassword);
        let later = t0() + Duration::minutes(5);
        for (hash, at) in [(1, t0()), (2, later)] {
            r.tokens()
                .create(owner, reset, vec![hash], at, at + Duration::hours(1))
                .await
                .unwrap();
        }
        let tokens = r.tokens();
        assert_eq!(
            tokens.find_live(&[reset], &[1], t0()).await.unwrap(),
            Some(owner)
        );
        assert_eq!(tokens.find_live(&[set], &[1], t0()).await.unwrap(), None);
        assert_eq!(tokens.find_live(&[reset], &[9], t0()).await.unwrap(), None);

        // Looking does not use; using does.
        assert_eq!(
            tokens.consume(&[reset], &[2], later).await.unwrap(),
            Some(owner)
        );
        assert_eq!(tokens.find_live(&[reset], &[2], later).await.unwrap(), None);
        let end = t0() + Duration::hours(1);
        assert_eq!(tokens.find_live(&[reset], &[1], end).await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_bump_keeps_or_fills_in_the_account() {
        let store = MemStore::new();
        let r = store.reader();
        let source = SourceId {
            key: "k".into(),
            display: None,
        };
        let key = CounterKey::account_source("acct", &source);
        let w = Duration::hours(1);
        let id = CustomerId::new();
        r.counters()
            .bump(&key, w, t0(), &source, None)
            .await
            .unwrap();
        r.counters()
            .bump(&key, w, t0(), &source, Some(id))
            .await
            .unwrap();
        r.counters()
            .bump(&key, w, t0(), &source, None)
            .await
            .unwrap();
        assert_eq!(store.state().counters[key.as_str()].customer, Some(id));
    }

    #[tokio::test]
    async fn interleaved_units_of_work_take_turns_and_lose_no_count() {
        let store = MemStore::interleaved();
        let source = SourceId {
            key: "k".into(),
            display: None,
        };
        let key = CounterKey::source(CounterKind::SourceFailures, &source);
        let counts = join_all((0..10).map(|_| async {
            let uow = store.begin().await?;
            let (count, _) = uow
                .counters()
                .bump(&key, Duration::hours(1), t0(), &source, None)
                .await?;
            uow.commit().await?;
            Ok::<_, StorageError>(count)
        }))
        .await;
        let mut counts: Vec<i32> = counts.into_iter().map(Result::unwrap).collect();
        counts.sort_unstable();
        assert_eq!(counts, (1..=10).collect::<Vec<_>>());
        assert_eq!(store.state().counters[key.as_str()].count, 10);
    }
}
