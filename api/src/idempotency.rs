//! `Idempotency-Key` (IETF httpapi draft) on the operations that create
//! something: the handler reads its body with [`IdempotentBody`], builds its
//! input, and hands its work to [`Idempotency::run`], which claims the key
//! (the domain's `idempotency` use cases), runs the work once, records its
//! [`Answer`] and replays it to the same request later.
//!
//! Trade-off: the answer is recorded right after the work's own unit of
//! work commits, not inside it (that would mean threading the record through
//! every creating use case, the catalogue's included). So a crash between
//! the two leaves the claim unanswered: the key answers 409 until the claim
//! is given up (`IdempotencyPolicy::abandoned_after`, 5 minutes), and a retry
//! after that does the work again. Work and record run in a task of their
//! own, so a client that disconnects (the usual reason to retry) does not
//! cut the request between its commit and its record.

use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use async_trait::async_trait;
use domain::clock::Clock;
use domain::idempotency::{
    Caller, Claim, IdempotencyKey, IdempotencyPolicy, IdempotentRequest, RecordedAnswer,
};
use domain::jobs::{Job, JobError};
use domain::store::Store;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::body::Body;
use crate::problem::{ApiError, Problem};
use crate::state::{AppState, SharedState};

/// The request header.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// The response header that marks a replayed answer.
pub const IDEMPOTENT_REPLAYED: &str = "idempotent-replayed";

/// The `Idempotency-Key` header, for the OpenAPI document.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // documentation only: the header is read by `IdempotentBody`
pub struct IdempotencyKeyHeader {
    /// Makes the request safe to retry. Send a new unique value (a UUID)
    /// with each new request, and the same value when retrying it. Within 24
    /// hours, the same key with the same request (method, path and body
    /// bytes) answers what the first request answered (status, `Location`,
    /// body), with `Idempotent-Replayed: true`, without doing anything
    /// again; with another body it answers 422
    /// `/problems/idempotency-key-reused`; while the first request is still
    /// being processed, 409 `/problems/idempotency-key-in-use` (retry after
    /// `Retry-After`). Keys are per caller: per account, or per source
    /// address where no one is signed in. Only successful answers are
    /// recorded: after an error the same key can be sent again. After 24
    /// hours the key is free again. 1 to 255 printable ASCII characters, as
    /// a quoted string (`"..."`, the draft's form) or bare; anything else is
    /// a 400 `/problems/bad-request`.
    #[param(
        rename = "Idempotency-Key",
        value_type = String,
        required = false,
        pattern = r#"^(?:"(?:[ !#-\[\]-~]|\\["\\]){1,255}"|[!#-~](?:[ -~]{0,253}[!-~])?)$"#,
        example = "\"8e03978e-40d5-43e8-bc93-6894a57f9324\""
    )]
    pub idempotency_key: Option<String>,
}

/// The errors of an operation that takes an `Idempotency-Key`.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // documentation only
pub enum IdempotencyErrors {
    /// A request with this `Idempotency-Key` is still being processed
    /// (`/problems/idempotency-key-in-use`); retry after `Retry-After`.
    #[response(
        status = 409,
        content_type = "application/problem+json",
        headers(("Retry-After" = u32, description = "Seconds to wait before retrying")),
        example = json!({
            "type": "/problems/idempotency-key-in-use",
            "title": "A request with this Idempotency-Key is still being processed",
            "status": 409,
            "detail": "A request with this Idempotency-Key is still being processed; retry in a moment to get its answer.",
            "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85"
        })
    )]
    InUse(Problem),
    /// This `Idempotency-Key` was sent with another request body within 24
    /// hours (`/problems/idempotency-key-reused`).
    #[response(
        status = 422,
        content_type = "application/problem+json",
        example = json!({
            "type": "/problems/idempotency-key-reused",
            "title": "The Idempotency-Key was used with another request",
            "status": 422,
            "detail": "This Idempotency-Key was sent with another request body in the last 24 hours; use a new key for a new request.",
            "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85"
        })
    )]
    Reused(Problem),
}

/// The body of a creating request and its `Idempotency-Key`, both judged
/// only after the caller, like [`Body`].
pub struct IdempotentBody<T> {
    req: HttpRequest,
    body: Body<T>,
}

impl<T> FromRequest for IdempotentBody<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        std::future::ready(
            Body::from_request(req, payload)
                .into_inner()
                .map(|body| Self {
                    req: req.clone(),
                    body,
                }),
        )
    }
}

fn key(req: &HttpRequest) -> Result<Option<IdempotencyKey>, ApiError> {
    let mut values = req.headers().get_all(IDEMPOTENCY_KEY);
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(ApiError::BadRequest(
            "Send one Idempotency-Key header at most.".into(),
        ));
    }
    IdempotencyKey::parse(value.as_bytes())
        .map(Some)
        .map_err(|_| {
            ApiError::BadRequest(
                "The Idempotency-Key must be 1 to 255 printable ASCII characters, bare or as a quoted string (\"...\")."
                    .into(),
            )
        })
}

impl<T: DeserializeOwned + utoipa::ToSchema> IdempotentBody<T> {
    /// Reads the key (400 when malformed), then the body, as [`Body::read`].
    ///
    /// # Errors
    /// The problem for the key or the body.
    pub async fn read(self) -> Result<(T, Idempotency), ApiError> {
        let Some(key) = key(&self.req)? else {
            return Ok((self.body.read().await?, Idempotency(None)));
        };
        let state = self
            .req
            .app_data::<SharedState>()
            .cloned()
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("application state missing")))?;
        let (value, raw) = self.body.read_with_raw().await?;
        let request = IdempotentRequest::new(
            state.index.as_ref(),
            &key,
            self.req.method().as_str(),
            self.req.path(),
            &raw,
        );
        Ok((value, Idempotency(Some(request))))
    }
}

impl<T: DeserializeOwned + utoipa::ToSchema> IdempotentBody<T> {
    /// For an operation that cannot be done without a key (a checkout,
    /// whose use case keeps the key with what it creates): 400 when the
    /// key is missing or malformed, before the body is read; then the body,
    /// as [`Body::read`], and the request as the use case compares it.
    ///
    /// # Errors
    /// The problem for the key or the body.
    pub async fn read_required(self) -> Result<(T, IdempotentRequest), ApiError> {
        let Some(key) = key(&self.req)? else {
            return Err(ApiError::BadRequest(
                "This operation needs an Idempotency-Key header: a new unique value (a UUID) per request, the same one when retrying it."
                    .into(),
            ));
        };
        let state = self
            .req
            .app_data::<SharedState>()
            .cloned()
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("application state missing")))?;
        let (value, raw) = self.body.read_with_raw().await?;
        let request = IdempotentRequest::new(
            state.index.as_ref(),
            &key,
            self.req.method().as_str(),
            self.req.path(),
            &raw,
        );
        Ok((value, request))
    }
}

/// What a creating handler answers, in a form that can be recorded: a
/// status, an optional `Location` and a JSON body.
#[derive(Debug)]
pub struct Answer {
    status: StatusCode,
    location: Option<String>,
    body: Vec<u8>,
}

impl Answer {
    fn json(
        status: StatusCode,
        location: Option<String>,
        body: &impl Serialize,
    ) -> Result<Self, ApiError> {
        Ok(Self {
            status,
            location,
            body: serde_json::to_vec(body).map_err(|e| ApiError::Internal(e.into()))?,
        })
    }

    /// 201 with the new resource's `Location`.
    ///
    /// # Errors
    /// When the body does not serialise (a bug).
    pub fn created(location: String, body: &impl Serialize) -> Result<Self, ApiError> {
        Self::json(StatusCode::CREATED, Some(location), body)
    }

    /// 202.
    ///
    /// # Errors
    /// When the body does not serialise (a bug).
    pub fn accepted(body: &impl Serialize) -> Result<Self, ApiError> {
        Self::json(StatusCode::ACCEPTED, None, body)
    }

    fn headers(&self) -> Vec<(String, String)> {
        let mut headers = vec![(
            header::CONTENT_TYPE.as_str().to_owned(),
            "application/json".to_owned(),
        )];
        if let Some(location) = &self.location {
            headers.push((header::LOCATION.as_str().to_owned(), location.clone()));
        }
        headers
    }

    fn record(&self) -> RecordedAnswer {
        RecordedAnswer {
            status: self.status.as_u16(),
            headers: self.headers(),
            body: self.body.clone(),
        }
    }

    fn into_response(self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status);
        for (name, value) in self.headers() {
            res.insert_header((name, value));
        }
        res.body(self.body)
    }
}

/// The first answer again, marked `Idempotent-Replayed: true`.
fn replay(answer: RecordedAnswer) -> Result<HttpResponse, ApiError> {
    let status = StatusCode::from_u16(answer.status)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("recorded status: {e}")))?;
    let mut res = HttpResponse::build(status);
    for (name, value) in answer.headers {
        let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value))
        else {
            return Err(ApiError::Internal(anyhow::anyhow!("recorded header")));
        };
        res.insert_header((name, value));
    }
    res.insert_header((IDEMPOTENT_REPLAYED, HeaderValue::from_static("true")));
    Ok(res.body(answer.body))
}

/// A request's `Idempotency-Key`, if it sent one, ready to run its work.
#[derive(Debug)]
pub struct Idempotency(Option<IdempotentRequest>);

impl Idempotency {
    /// Runs `work` once per key: without a key, simply; with one, only when
    /// this request claims the key (else the first answer is replayed, or
    /// the request refused), recording its answer. A failed work records
    /// nothing and frees the key.
    ///
    /// # Errors
    /// The work's problem, [`ApiError::IdempotencyKeyReused`],
    /// [`ApiError::IdempotencyKeyInUse`], or a storage failure.
    pub async fn run<F, Fut>(
        self,
        state: &SharedState,
        caller: Caller,
        work: F,
    ) -> Result<HttpResponse, ApiError>
    where
        F: FnOnce(SharedState) -> Fut + 'static,
        Fut: Future<Output = Result<Answer, ApiError>> + 'static,
    {
        let state = state.clone();
        let Some(request) = self.0 else {
            return work(state).await.map(Answer::into_response);
        };
        // In a task of its own: it goes on if the client goes away.
        actix_web::rt::spawn(async move {
            let policy = IdempotencyPolicy::default();
            let store = state.store.as_ref();
            let clock = state.clock.as_ref();
            let ticket =
                match domain::idempotency::claim(store, clock, &policy, &caller, &request).await? {
                    Claim::Proceed(ticket) => ticket,
                    Claim::Replay(answer) => return replay(answer),
                    Claim::Reused => return Err(ApiError::IdempotencyKeyReused),
                    Claim::InUse => return Err(ApiError::IdempotencyKeyInUse),
                };
            match work(state.clone()).await {
                Ok(answer) => {
                    match domain::idempotency::finish(store, clock, &ticket, &answer.record()).await
                    {
                        Ok(true) => {}
                        Ok(false) => tracing::warn!(
                            claim = %ticket.id().as_uuid(),
                            "idempotency claim given up before its answer was recorded"
                        ),
                        // The work is done: answer it; a retry gets 409
                        // until the claim is given up.
                        Err(e) => tracing::error!(
                            claim = %ticket.id().as_uuid(),
                            error = %e,
                            "failed to record an idempotent answer"
                        ),
                    }
                    Ok(answer.into_response())
                }
                Err(e) => {
                    if let Err(release) = domain::idempotency::release(store, &ticket).await {
                        tracing::warn!(
                            claim = %ticket.id().as_uuid(),
                            error = %release,
                            "failed to release an idempotency claim"
                        );
                    }
                    Err(e)
                }
            }
        })
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("idempotent request task: {e}")))?
    }
}

/// Deletes the idempotency records past their 24 hours (answers can hold
/// personal data: they go as soon as they are of no use).
pub struct PurgeJob {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
}

impl PurgeJob {
    /// The job on the application's store and clock.
    #[must_use]
    pub fn new(state: &AppState) -> Self {
        Self {
            store: Arc::clone(&state.store),
            clock: Arc::clone(&state.clock),
        }
    }
}

#[async_trait]
impl Job for PurgeJob {
    fn name(&self) -> &'static str {
        "idempotency-purge"
    }

    fn interval(&self) -> Duration {
        Duration::from_secs(600)
    }

    async fn run_once(&self) -> Result<usize, JobError> {
        let purged = domain::idempotency::purge_expired(
            self.store.as_ref(),
            self.clock.as_ref(),
            &IdempotencyPolicy::default(),
        )
        .await?;
        Ok(usize::try_from(purged).unwrap_or(usize::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replay_is_the_recorded_answer_marked_replayed() {
        let answer =
            Answer::created("/v1/me/addresses/1".into(), &serde_json::json!({"id": 1})).unwrap();
        let res = replay(answer.record()).unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        assert_eq!(res.headers().get("location").unwrap(), "/v1/me/addresses/1");
        assert_eq!(
            res.headers().get("content-type").unwrap(),
            "application/json"
        );
        assert_eq!(res.headers().get(IDEMPOTENT_REPLAYED).unwrap(), "true");
        let first = answer.into_response();
        assert!(first.headers().get(IDEMPOTENT_REPLAYED).is_none());
    }
}
