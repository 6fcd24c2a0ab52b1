//! A JSON request body that is read only when the handler asks for it, after
//! the caller has been identified and authorised: a request with no token,
//! or a customer's token on an admin operation, is answered 401 or 403
//! whatever its body, so nobody learns a body's rules without the right to
//! send it, and a frontend whose token expired sends the person to log in
//! instead of showing form errors.

use std::cell::RefCell;
use std::marker::PhantomData;
use std::pin::Pin;
use std::rc::Rc;

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::web::{Bytes, BytesMut, JsonBody};
use actix_web::{FromRequest, HttpRequest};
use futures_util::{Stream, StreamExt as _};
use serde::de::DeserializeOwned;
use utoipa::ToSchema;

use crate::problem::{ApiError, json_error};
use crate::schema_check::{Schemas, child_path};
use crate::state::SharedState;

/// The body of a request, not read yet.
pub struct Body<T> {
    req: HttpRequest,
    payload: Payload,
    body: PhantomData<T>,
}

impl<T> FromRequest for Body<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        std::future::ready(Ok(Self {
            req: req.clone(),
            payload: payload.take(),
            body: PhantomData,
        }))
    }
}

impl<T: DeserializeOwned + ToSchema> Body<T> {
    /// Reads and decodes the body: 415 unless it is JSON, 413 past the body
    /// limit, `malformed-json` when it is not JSON at all, and
    /// `validation-failed` listing every field that breaks the operation's
    /// documented schema (`T`'s component schema; see
    /// [`crate::schema_check`]): missing, of the wrong type, an unknown
    /// value or field, `null` where not allowed, out of bounds. A key given
    /// twice is refused too (decoders disagree on which one wins).
    ///
    /// # Errors
    /// The problem for the body.
    pub async fn read(mut self) -> Result<T, ApiError> {
        self.read_payload().await
    }

    async fn read_payload(&mut self) -> Result<T, ApiError> {
        let limit = body_limit::<T>(
            self.req
                .app_data::<SharedState>()
                .map_or(65_536, |s| s.config.body_limit),
        );
        let Strict { value, duplicates } =
            JsonBody::<Strict>::new(&self.req, &mut self.payload, None, true)
                .limit(limit)
                .await
                .map_err(|e| json_error(e, limit))?;
        let mut errors = Schemas::api().check(&T::name(), &value);
        for field in duplicates {
            errors.push(&field, "appears more than once");
        }
        errors.check()?;
        // The schema admits only what `T` decodes; should they ever
        // disagree, the body is refused as before, without its values.
        serde_json::from_value(value).map_err(|_| {
            tracing::warn!(schema = %T::name(), "a body the schema accepts does not decode");
            ApiError::MalformedJson("The body does not have the expected shape.".to_owned())
        })
    }

    /// [`Body::read`], also returning the bytes as received (what an
    /// `Idempotency-Key` compares): they are copied while the decoder reads
    /// them, so every rule of [`Body::read`] holds.
    ///
    /// # Errors
    /// The problem for the body.
    pub async fn read_with_raw(mut self) -> Result<(T, Bytes), ApiError> {
        let seen = Rc::new(RefCell::new(BytesMut::new()));
        let copy = Rc::clone(&seen);
        let tee = Payload::take(&mut self.payload).map(move |chunk| {
            if let Ok(bytes) = &chunk {
                copy.borrow_mut().extend_from_slice(bytes);
            }
            chunk
        });
        let stream: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> = Box::pin(tee);
        self.payload = Payload::from(stream);
        let value = self.read_payload().await?;
        let raw = seen.take().freeze();
        Ok((value, raw))
    }
}

/// Bodies are never refused for their size alone above this.
pub const MAX_BODY_LIMIT: usize = 1 << 20;

/// How many bytes a body of schema `T` may take: the configured limit, or
/// more where the document allows bigger bodies (an article of 20,000
/// characters in each language, written in Greek, is over 64 KiB), with
/// room for whitespace, up to [`MAX_BODY_LIMIT`]. The caller was
/// authorised before anything is read, so only those who may send such a
/// body get the larger limit.
#[must_use]
pub fn body_limit<T: ToSchema>(configured: usize) -> usize {
    Schemas::api()
        .max_bytes(&T::name())
        .and_then(|max| usize::try_from(max + max / 4 + 4096).ok())
        .map_or(configured, |allowed| {
            configured.max(allowed.min(MAX_BODY_LIMIT))
        })
}

/// A JSON document and the paths of the keys it gives more than once
/// (which `serde_json::Value` would silently collapse to the last one).
struct Strict {
    value: serde_json::Value,
    duplicates: Vec<String>,
}

impl<'de> serde::Deserialize<'de> for Strict {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let duplicates = RefCell::new(Vec::new());
        let value = serde::de::DeserializeSeed::deserialize(
            Tree {
                path: String::new(),
                duplicates: &duplicates,
            },
            d,
        )?;
        Ok(Self {
            value,
            duplicates: duplicates.into_inner(),
        })
    }
}

/// Builds a `Value` at `path`, noting duplicate keys.
struct Tree<'a> {
    path: String,
    duplicates: &'a RefCell<Vec<String>>,
}

impl<'de> serde::de::DeserializeSeed<'de> for Tree<'_> {
    type Value = serde_json::Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Tree<'_> {
    type Value = serde_json::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(Tree {
            path: format!("{}[{}]", self.path, items.len()),
            duplicates: self.duplicates,
        })? {
            items.push(item);
        }
        Ok(serde_json::Value::Array(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut object = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let path = child_path(&self.path, &key);
            let value = map.next_value_seed(Tree {
                path: path.clone(),
                duplicates: self.duplicates,
            })?;
            if object.insert(key, value).is_some() {
                self.duplicates.borrow_mut().push(path);
            }
        }
        Ok(serde_json::Value::Object(object))
    }
}

/// The query string of a request, not parsed yet: like [`Body`], judged
/// only after the caller.
pub struct Params<T> {
    query: String,
    params: PhantomData<T>,
}

impl<T> FromRequest for Params<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(Self {
            query: req.query_string().to_owned(),
            params: PhantomData,
        }))
    }
}

impl<T: DeserializeOwned> Params<T> {
    /// Parses the query string.
    ///
    /// # Errors
    /// 400 when a parameter is repeated, missing or malformed.
    pub fn read(self) -> Result<T, ApiError> {
        actix_web::web::Query::<T>::from_query(&self.query)
            .map(actix_web::web::Query::into_inner)
            .map_err(|_| crate::app::query_error())
    }
}
