//! Idempotent creation, after the IETF httpapi draft "The Idempotency-Key
//! HTTP Header Field": a client that sends a key with a request that creates
//! something may send the same request again (after a timeout, a lost
//! connection) and get the first answer back instead of a second creation.
//!
//! - A key belongs to its caller: an account, or for anonymous requests the
//!   keyed hash of the source address. Another caller's key is another key.
//! - The same key with the same request (method, path and body) answers what
//!   the first request answered; with another request it is refused
//!   ([`Claim::Reused`]); while the first one is still being processed it is
//!   refused too ([`Claim::InUse`]).
//! - A record is kept [`IdempotencyPolicy::retention`] (24 hours); after
//!   that the key is free again.
//!
//! Concurrency is settled by storage: a request first inserts its claim in
//! one statement of its own, and the unique (caller, key) rule lets exactly
//! one of several concurrent requests insert it. The others read the
//! winner's record.
//!
//! Keys and requests are stored only as keyed hashes ([`BlindIndex`]): a key
//! is client text (it could hold anything), and a plain hash of a request
//! body holding a password would be a fast offline oracle for it.

use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::clock::Clock;
use crate::error::StorageError;
use crate::identity::{BlindIndex, SourceId};
use crate::ids::CustomerId;
use crate::store::Store;
use crate::subject::SubjectId;

/// How long records live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdempotencyPolicy {
    /// How long a key stays bound to its first request and answer (24 hours).
    pub retention: Duration,
    /// After how long a claim whose request never finished (the process
    /// stopped meanwhile) is given up, so the key can be used again. Far
    /// longer than any request takes.
    pub abandoned_after: Duration,
}

impl Default for IdempotencyPolicy {
    fn default() -> Self {
        Self {
            retention: Duration::hours(24),
            abandoned_after: Duration::minutes(5),
        }
    }
}

/// Why an `Idempotency-Key` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "an Idempotency-Key is 1 to 255 printable ASCII characters, bare or as a quoted string (\"...\")"
)]
pub struct InvalidKey;

/// A client's idempotency key: 1 to 255 printable ASCII characters.
#[derive(Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// The longest key, in characters.
    pub const MAX_LEN: usize = 255;

    /// Parses a header value: a Structured Field String (`"..."`, with `\"`
    /// and `\\` escapes) as the draft writes it, or the bare characters, as
    /// many clients send them. The key is what is inside the quotes, so
    /// `"abc"` and `abc` are the same key.
    ///
    /// # Errors
    /// [`InvalidKey`] when empty, too long, or not printable ASCII.
    pub fn parse(value: &[u8]) -> Result<Self, InvalidKey> {
        let printable = |b: u8| (0x20..=0x7e).contains(&b);
        let key = match value {
            [b'"', inner @ .., b'"'] => {
                let mut key = Vec::with_capacity(inner.len());
                let mut bytes = inner.iter().copied();
                while let Some(b) = bytes.next() {
                    match b {
                        b'\\' => match bytes.next() {
                            Some(e @ (b'"' | b'\\')) => key.push(e),
                            _ => return Err(InvalidKey),
                        },
                        b'"' => return Err(InvalidKey),
                        b if printable(b) => key.push(b),
                        _ => return Err(InvalidKey),
                    }
                }
                key
            }
            [b'"', ..] => return Err(InvalidKey),
            bare if bare.iter().all(|b| printable(*b)) => bare.to_vec(),
            _ => return Err(InvalidKey),
        };
        if key.is_empty() || key.len() > Self::MAX_LEN {
            return Err(InvalidKey);
        }
        String::from_utf8(key).map(Self).map_err(|_| InvalidKey)
    }

    /// The key.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Client text: kept out of logs.
        write!(f, "IdempotencyKey({} characters)", self.0.len())
    }
}

/// Whose key it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// A signed-in account. Its records' answers are sealed under its key.
    Account(CustomerId),
    /// An anonymous caller, by the keyed hash of its source address (never
    /// the address). Its answers are stored in clear: only operations whose
    /// answer names no one may be made idempotent for anonymous callers.
    Source(String),
}

impl Caller {
    /// An anonymous caller from `source`.
    #[must_use]
    pub fn source(source: &SourceId) -> Self {
        Self::Source(source.key.clone())
    }

    /// The data subject whose key seals the caller's answers, if any.
    #[must_use]
    pub const fn subject(&self) -> Option<SubjectId> {
        match self {
            Self::Account(id) => Some(SubjectId::customer(*id)),
            Self::Source(_) => None,
        }
    }

    /// The stored form: `account:<id>` or `source:<keyed hash>`.
    #[must_use]
    pub fn stored(&self) -> String {
        match self {
            Self::Account(id) => format!("account:{id}"),
            Self::Source(key) => format!("source:{key}"),
        }
    }
}

/// A request as records compare it: the keyed hash of its key, and the
/// keyed hash of the SHA-256 of its method, path and raw body.
#[derive(Clone, PartialEq, Eq)]
pub struct IdempotentRequest {
    key: Vec<u8>,
    fingerprint: Vec<u8>,
}

impl IdempotentRequest {
    /// The request `method path` with `body` (the bytes as received), sent
    /// with `key`.
    #[must_use]
    pub fn new(
        index: &dyn BlindIndex,
        key: &IdempotencyKey,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> Self {
        let mut sha = Sha256::new();
        sha.update(method.as_bytes());
        sha.update([0]);
        sha.update(path.as_bytes());
        sha.update([0]);
        sha.update(body);
        let digest: String = sha.finalize().iter().map(|b| format!("{b:02x}")).collect();
        Self {
            key: index.index("idempotency-key", key.as_str()),
            fingerprint: index.index("idempotency-request", &digest),
        }
    }

    /// The keyed hash of the key (what storage looks records up by).
    #[must_use]
    pub fn key_hash(&self) -> &[u8] {
        &self.key
    }

    /// The keyed hash of the request.
    #[must_use]
    pub fn fingerprint(&self) -> &[u8] {
        &self.fingerprint
    }
}

impl fmt::Debug for IdempotentRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IdempotentRequest")
    }
}

/// An answer as it is replayed: status, the headers that matter (such as
/// `Location` and `Content-Type`) and the body.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RecordedAnswer {
    /// HTTP status.
    pub status: u16,
    /// Header names (lower case) and values.
    pub headers: Vec<(String, String)>,
    /// The body, as sent.
    pub body: Vec<u8>,
}

/// Identifies one claim on a key: the record's id. A claim that is given up
/// and taken again is another claim, so a late request cannot complete the
/// record of the one that took it over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClaimId(Uuid);

impl ClaimId {
    /// A fresh id.
    #[must_use]
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }

    /// Wraps an id read from storage.
    #[must_use]
    pub const fn from_uuid(id: Uuid) -> Self {
        Self(id)
    }

    /// The raw id, for storage.
    #[must_use]
    pub const fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl Default for ClaimId {
    fn default() -> Self {
        Self::new()
    }
}

/// A stored record.
#[derive(Debug, Clone)]
pub struct IdempotencyRecord {
    /// The claim that made it.
    pub id: ClaimId,
    /// The keyed hash of its request.
    pub fingerprint: Vec<u8>,
    /// When it was claimed.
    pub created_at: DateTime<Utc>,
    /// The answer, once the request finished; `None` while it runs.
    pub answer: Option<RecordedAnswer>,
}

/// Idempotency records. Answers of [`Caller::Account`] are sealed under the
/// account's key; answers of [`Caller::Source`] are stored in clear.
#[async_trait]
pub trait IdempotencyRepo: Send + Sync {
    /// Inserts a claim, in one statement: false, writing nothing, when the
    /// caller already has a record for this key (the unique rule on caller
    /// and key is what settles concurrent requests).
    async fn insert(
        &self,
        id: ClaimId,
        caller: &Caller,
        request: &IdempotentRequest,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError>;
    /// The caller's record for the key of `request`, its answer opened.
    async fn get(
        &self,
        caller: &Caller,
        request: &IdempotentRequest,
    ) -> Result<Option<IdempotencyRecord>, StorageError>;
    /// Stores the answer of claim `id` of `caller`; false when the claim is
    /// gone or already has an answer.
    async fn complete(
        &self,
        caller: &Caller,
        id: ClaimId,
        answer: &RecordedAnswer,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError>;
    /// Deletes record `id` (a released, expired or abandoned claim); whether
    /// it existed.
    async fn delete(&self, id: ClaimId) -> Result<bool, StorageError>;
    /// Deletes every record claimed at or before `before`; how many.
    async fn purge(&self, before: DateTime<Utc>) -> Result<u64, StorageError>;
}

/// A claim the request holds: finish it with its answer, or release it.
#[derive(Debug, Clone)]
pub struct Ticket {
    id: ClaimId,
    caller: Caller,
}

impl Ticket {
    /// The claim.
    #[must_use]
    pub const fn id(&self) -> ClaimId {
        self.id
    }
}

/// What to do with a request that carries a key.
#[derive(Debug, Clone)]
pub enum Claim {
    /// The key is this request's: do the work, then [`finish`] or [`release`].
    Proceed(Ticket),
    /// The same request was answered before: answer this again.
    Replay(RecordedAnswer),
    /// The key was used with another request.
    Reused,
    /// A request with this key is still being processed.
    InUse,
}

/// How many times a claim is retried when the record it met was given up
/// (expired or abandoned) and deleted meanwhile.
const ATTEMPTS: usize = 3;

/// Claims `request`'s key for `caller`, or says why not.
///
/// # Errors
/// Storage failures.
pub async fn claim(
    store: &dyn Store,
    clock: &dyn Clock,
    policy: &IdempotencyPolicy,
    caller: &Caller,
    request: &IdempotentRequest,
) -> Result<Claim, StorageError> {
    let repos = store.reader();
    let records = repos.idempotency();
    for _ in 0..ATTEMPTS {
        let now = clock.now();
        let id = ClaimId::new();
        if records.insert(id, caller, request, now).await? {
            return Ok(Claim::Proceed(Ticket {
                id,
                caller: caller.clone(),
            }));
        }
        // Deleted between the insert and this read: try again.
        let Some(record) = records.get(caller, request).await? else {
            continue;
        };
        if record.created_at + policy.retention <= now {
            records.delete(record.id).await?;
            continue;
        }
        if record.fingerprint != request.fingerprint() {
            return Ok(Claim::Reused);
        }
        if let Some(answer) = record.answer {
            return Ok(Claim::Replay(answer));
        }
        if record.created_at + policy.abandoned_after <= now {
            records.delete(record.id).await?;
            continue;
        }
        return Ok(Claim::InUse);
    }
    // Records keep appearing and vanishing under this key: another request
    // holds it, as far as this one can tell.
    Ok(Claim::InUse)
}

/// Records the answer of a request that did its work. False when the claim
/// was given up meanwhile (the request took longer than
/// [`IdempotencyPolicy::abandoned_after`]).
///
/// # Errors
/// Storage failures.
pub async fn finish(
    store: &dyn Store,
    clock: &dyn Clock,
    ticket: &Ticket,
    answer: &RecordedAnswer,
) -> Result<bool, StorageError> {
    store
        .reader()
        .idempotency()
        .complete(&ticket.caller, ticket.id, answer, clock.now())
        .await
}

/// Gives up a claim whose request failed and did nothing, so that the key
/// can be retried at once.
///
/// # Errors
/// Storage failures.
pub async fn release(store: &dyn Store, ticket: &Ticket) -> Result<(), StorageError> {
    store.reader().idempotency().delete(ticket.id).await?;
    Ok(())
}

/// Deletes the records past their retention; how many (a job's run).
///
/// # Errors
/// Storage failures.
pub async fn purge_expired(
    store: &dyn Store,
    clock: &dyn Clock,
    policy: &IdempotencyPolicy,
) -> Result<u64, StorageError> {
    store
        .reader()
        .idempotency()
        .purge(clock.now() - policy.retention)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::testing::{FakeIndex, MemStore, join_all};

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_740_000_000, 0).unwrap()
    }

    fn key(s: &str) -> IdempotencyKey {
        IdempotencyKey::parse(s.as_bytes()).unwrap()
    }

    fn request(k: &str, body: &str) -> IdempotentRequest {
        IdempotentRequest::new(
            &FakeIndex,
            &key(k),
            "POST",
            "/v1/me/addresses",
            body.as_bytes(),
        )
    }

    /// An account caller, with the data key its answers are sealed under.
    async fn account(store: &MemStore) -> Caller {
        let id = CustomerId::new();
        store
            .reader()
            .keys()
            .create(SubjectId::customer(id), t0())
            .await
            .unwrap();
        Caller::Account(id)
    }

    fn answer(body: &str) -> RecordedAnswer {
        RecordedAnswer {
            status: 201,
            headers: vec![("location".into(), "/v1/me/addresses/1".into())],
            body: body.as_bytes().to_vec(),
        }
    }

    async fn proceed(
        store: &MemStore,
        clock: &ManualClock,
        caller: &Caller,
        r: &IdempotentRequest,
    ) -> Ticket {
        match claim(store, clock, &IdempotencyPolicy::default(), caller, r)
            .await
            .unwrap()
        {
            Claim::Proceed(t) => t,
            other => panic!("expected to proceed, got {other:?}"),
        }
    }

    async fn outcome(
        store: &MemStore,
        clock: &ManualClock,
        caller: &Caller,
        r: &IdempotentRequest,
    ) -> Claim {
        claim(store, clock, &IdempotencyPolicy::default(), caller, r)
            .await
            .unwrap()
    }

    #[test]
    fn keys_are_1_to_255_printable_ascii_characters_bare_or_quoted() {
        assert_eq!(key("abc").as_str(), "abc");
        assert_eq!(key("\"abc\"").as_str(), "abc");
        assert_eq!(key(r#""a\"b\\c""#).as_str(), r#"a"b\c"#);
        assert_eq!(key("a b").as_str(), "a b");
        assert_eq!(key(&"k".repeat(255)).as_str().len(), 255);
        for bad in [
            "".as_bytes(),
            b"\"\"",
            "k".repeat(256).as_bytes(),
            format!("\"{}\"", "k".repeat(256)).as_bytes(),
            b"caf\xc3\xa9",
            b"tab\there",
            b"\"unterminated",
            b"\"a\"b\"",
            b"\"bad\\escape\"",
            b"\x7f",
        ] {
            assert_eq!(IdempotencyKey::parse(bad), Err(InvalidKey), "{bad:?}");
        }
    }

    #[test]
    fn requests_differ_by_key_method_path_and_body_and_hide_both() {
        let a = request("k", "{}");
        assert_eq!(a, request("\"k\"", "{}"));
        assert_ne!(a.key_hash(), request("l", "{}").key_hash());
        assert_eq!(a.key_hash(), request("k", "{\"x\":1}").key_hash());
        assert_ne!(a.fingerprint(), request("k", "{\"x\":1}").fingerprint());
        let other_path =
            IdempotentRequest::new(&FakeIndex, &key("k"), "POST", "/v1/admin/staff", b"{}");
        assert_ne!(a.fingerprint(), other_path.fingerprint());
        assert!(!format!("{a:?}{:?}", key("secret")).contains("secret"));
    }

    #[tokio::test]
    async fn the_same_request_is_replayed_and_another_body_is_refused() {
        let (store, clock) = (MemStore::new(), ManualClock::new(t0()));
        let me = account(&store).await;
        let r = request("k1", "{\"city\":\"Lyon\"}");
        let ticket = proceed(&store, &clock, &me, &r).await;
        assert!(matches!(
            outcome(&store, &clock, &me, &r).await,
            Claim::InUse
        ));
        assert!(
            finish(&store, &clock, &ticket, &answer("first"))
                .await
                .unwrap()
        );
        match outcome(&store, &clock, &me, &r).await {
            Claim::Replay(a) => assert_eq!(a, answer("first")),
            other => panic!("{other:?}"),
        }
        let other_body = request("k1", "{\"city\":\"Paris\"}");
        assert!(matches!(
            outcome(&store, &clock, &me, &other_body).await,
            Claim::Reused
        ));
    }

    #[tokio::test]
    async fn keys_belong_to_their_caller() {
        let (store, clock) = (MemStore::new(), ManualClock::new(t0()));
        let r = request("k1", "{}");
        let a = account(&store).await;
        let b = account(&store).await;
        let anonymous = Caller::Source("abcd".into());
        proceed(&store, &clock, &a, &r).await;
        proceed(&store, &clock, &b, &r).await;
        proceed(&store, &clock, &anonymous, &r).await;
        assert!(matches!(
            outcome(&store, &clock, &Caller::Source("other".into()), &r).await,
            Claim::Proceed(_)
        ));
    }

    #[tokio::test]
    async fn a_key_is_free_again_after_24_hours() {
        let (store, clock) = (MemStore::new(), ManualClock::new(t0()));
        let me = account(&store).await;
        let r = request("k1", "{}");
        let ticket = proceed(&store, &clock, &me, &r).await;
        finish(&store, &clock, &ticket, &answer("first"))
            .await
            .unwrap();
        clock.advance(Duration::hours(24) - Duration::seconds(1));
        assert!(matches!(
            outcome(&store, &clock, &me, &request("k1", "{\"x\":2}")).await,
            Claim::Reused
        ));
        clock.advance(Duration::seconds(1));
        let again = proceed(&store, &clock, &me, &request("k1", "{\"x\":2}")).await;
        assert_ne!(again.id(), ticket.id());
        assert_eq!(store.state().idempotency.len(), 1, "the old record is gone");
    }

    #[tokio::test]
    async fn a_released_claim_frees_the_key_and_an_abandoned_one_frees_it_later() {
        let (store, clock) = (MemStore::new(), ManualClock::new(t0()));
        let me = account(&store).await;
        let r = request("k1", "{}");
        let ticket = proceed(&store, &clock, &me, &r).await;
        release(&store, &ticket).await.unwrap();
        let abandoned = proceed(&store, &clock, &me, &r).await;
        clock.advance(Duration::minutes(5) - Duration::seconds(1));
        assert!(matches!(
            outcome(&store, &clock, &me, &r).await,
            Claim::InUse
        ));
        clock.advance(Duration::seconds(1));
        let taken_over = proceed(&store, &clock, &me, &r).await;
        // The request that was given up cannot overwrite the new claim.
        assert!(
            !finish(&store, &clock, &abandoned, &answer("late"))
                .await
                .unwrap()
        );
        assert!(
            finish(&store, &clock, &taken_over, &answer("new"))
                .await
                .unwrap()
        );
        assert!(
            !finish(&store, &clock, &taken_over, &answer("twice"))
                .await
                .unwrap()
        );
        match outcome(&store, &clock, &me, &r).await {
            Claim::Replay(a) => assert_eq!(a, answer("new")),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn of_concurrent_requests_with_one_key_exactly_one_proceeds() {
        let (store, clock) = (MemStore::interleaved(), ManualClock::new(t0()));
        let me = account(&store).await;
        let r = request("k1", "{}");
        let policy = IdempotencyPolicy::default();
        let claims = join_all((0..10).map(|_| claim(&store, &clock, &policy, &me, &r))).await;
        let proceeding = claims
            .iter()
            .filter(|c| matches!(c, Ok(Claim::Proceed(_))))
            .count();
        let in_use = claims
            .iter()
            .filter(|c| matches!(c, Ok(Claim::InUse)))
            .count();
        assert_eq!((proceeding, in_use), (1, 9));
    }

    #[tokio::test]
    async fn records_past_their_retention_are_purged() {
        let (store, clock) = (MemStore::new(), ManualClock::new(t0()));
        let me = account(&store).await;
        let policy = IdempotencyPolicy::default();
        proceed(&store, &clock, &me, &request("old", "{}")).await;
        clock.advance(Duration::hours(1));
        proceed(&store, &clock, &me, &request("new", "{}")).await;
        clock.advance(Duration::hours(23));
        assert_eq!(purge_expired(&store, &clock, &policy).await.unwrap(), 1);
        assert_eq!(store.state().idempotency.len(), 1);
    }
}
