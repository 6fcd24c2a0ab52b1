//! A JSON request body that is read only when the handler asks for it, after
//! the caller has been identified and authorised: a request with no token,
//! or a customer's token on an admin operation, is answered 401 or 403
//! whatever its body, so nobody learns a body's rules without the right to
//! send it, and a frontend whose token expired sends the person to log in
//! instead of showing form errors.

use std::marker::PhantomData;

use actix_web::dev::Payload;
use actix_web::web::JsonBody;
use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use crate::problem::{ApiError, json_error};
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

impl<T: DeserializeOwned> Body<T> {
    /// Reads and decodes the body: 415 unless it is JSON, 413 past the body
    /// limit, 400 when it is not valid JSON of the expected shape.
    ///
    /// # Errors
    /// The problem for the body.
    pub async fn read(mut self) -> Result<T, ApiError> {
        let limit = self
            .req
            .app_data::<SharedState>()
            .map_or(65_536, |s| s.config.body_limit);
        JsonBody::<T>::new(&self.req, &mut self.payload, None, true)
            .limit(limit)
            .await
            .map_err(|e| json_error(e, limit))
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
