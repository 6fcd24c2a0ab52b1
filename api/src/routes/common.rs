//! Pieces shared by handlers: request validation, small DTOs, pagination of
//! short in-memory lists.

use domain::pagination::{Limit, decode_cursor, encode_cursor};
use domain::{FieldCode, FieldError, FieldErrors};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

use crate::problem::ApiError;

/// Runs the DTO's declarative checks (lengths, ...). Messages are built from
/// the rule's bounds only: the rejected value is never echoed.
///
/// # Errors
/// [`ApiError::Validation`] listing every refused field.
pub fn validate(v: &impl Validate) -> Result<(), ApiError> {
    let Err(errs) = v.validate() else {
        return Ok(());
    };
    let mut fields: Vec<FieldError> = errs
        .field_errors()
        .into_iter()
        .flat_map(|(field, list)| list.iter().map(move |e| field_error(&field, e)))
        .collect();
    fields.sort_by(|a, b| a.field.cmp(&b.field));
    let mut fe = FieldErrors::default();
    for f in fields {
        fe.push_error(f);
    }
    Err(ApiError::Validation(fe))
}

/// The refusal of one rule, with its code and bounds (never the value).
fn field_error(field: &str, e: &ValidationError) -> FieldError {
    let bound = |k: &str| e.params.get(k).map(ToString::to_string);
    let (code, message, params) = match (&e.message, e.code.as_ref(), bound("min"), bound("max")) {
        (Some(m), ..) => (FieldCode::Invalid, m.to_string(), vec![]),
        (None, "length", Some(min), Some(max)) => (
            FieldCode::Invalid,
            format!("must be {min} to {max} characters"),
            vec![],
        ),
        (None, "length", None, Some(max)) => (
            FieldCode::TooLong,
            format!("must be at most {max} characters"),
            vec![("max", max)],
        ),
        (None, "length", Some(min), None) => (
            FieldCode::TooShort,
            format!("must be at least {min} characters"),
            vec![("min", min)],
        ),
        (None, code, _, _) => (FieldCode::Invalid, format!("is invalid ({code})"), vec![]),
    };
    FieldError {
        field: field.to_owned(),
        code,
        message,
        params,
    }
}

/// A request header's value, trimmed; `None` when absent, blank or not
/// visible ASCII.
#[must_use]
pub fn header<'a>(req: &'a actix_web::HttpRequest, name: &str) -> Option<&'a str> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The request was accepted; what happens next is told by e-mail.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"status": "accepted", "detail": "If this address has an account, a reset link is on its way."}))]
pub struct Accepted {
    /// Always `accepted`: the answer never says whether the address has an
    /// account.
    #[schema(example = "accepted")]
    pub status: String,
    /// What happens next, for a person (English); the same text whatever
    /// happened to the address.
    #[schema(example = "If this address has an account, a reset link is on its way.")]
    pub detail: String,
}

impl Accepted {
    /// An acceptance with a message.
    #[must_use]
    pub fn new(detail: &str) -> Self {
        Self {
            status: "accepted".into(),
            detail: detail.into(),
        }
    }
}

/// `limit` and `cursor` of a list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page size, 1 to 100 (default 20).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100, example = 20)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page; empty means the first page.
    #[param(max_length = 512, pattern = "^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
}

impl PageParams {
    /// The page size and the id to continue after.
    ///
    /// # Errors
    /// [`ApiError::Validation`] for a bad limit or cursor.
    pub fn parse(&self, listing: &str) -> Result<(Limit, Option<uuid::Uuid>), ApiError> {
        let mut f = FieldErrors::default();
        let limit = f.take("limit", Limit::parse(self.limit.as_deref()));
        // `cursor=` (what a form sends for "no cursor") is the first page.
        let after = self
            .cursor
            .as_deref()
            .filter(|c| !c.is_empty())
            .and_then(|c| {
                let parsed = decode_cursor(c, 2)
                    .ok()
                    .filter(|p| p[0] == listing)
                    .and_then(|p| p[1].parse::<uuid::Uuid>().ok());
                if parsed.is_none() {
                    f.push("cursor", "is not valid for this listing");
                }
                parsed
            });
        f.check()?;
        Ok((limit.unwrap_or(Limit::DEFAULT), after))
    }
}

/// The cursor continuing after `id` in `listing`.
#[must_use]
pub fn cursor_after(listing: &str, id: uuid::Uuid) -> String {
    encode_cursor(&[listing, &id.to_string()])
}

/// Pages a short list by ascending id (ids are UUID v7, so creation order).
#[must_use]
pub fn page_by_id<T>(
    items: Vec<T>,
    id: impl Fn(&T) -> uuid::Uuid,
    limit: Limit,
    after: Option<uuid::Uuid>,
    listing: &str,
) -> (Vec<T>, Option<String>) {
    let mut items = items;
    items.sort_by_key(&id);
    let mut rest: Vec<T> = items
        .into_iter()
        .filter(|i| after.is_none_or(|a| id(i) > a))
        .collect();
    let next = if rest.len() > limit.get() {
        rest.truncate(limit.get());
        rest.last().map(|l| cursor_after(listing, id(l)))
    } else {
        None
    };
    (rest, next)
}

/// Deserialises a JSON number that is a whole number, also when written
/// `14.0` (JSON Schema's `integer` admits it), into an unsigned integer type.
///
/// # Errors
/// A fractional, negative or out-of-range number.
pub fn whole_number<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<u64>,
{
    use serde::de::Error as _;
    let n = serde_json::Number::deserialize(d)?;
    let v = n
        .as_u64()
        .or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < u64::MAX as f64)
                .map(|f| f as u64)
        })
        .ok_or_else(|| D::Error::custom("expected a non-negative whole number"))?;
    T::try_from(v).map_err(|_| D::Error::custom("number out of range"))
}

/// [`whole_number`] for an optional field (`null` or absent is `None`).
///
/// # Errors
/// A fractional, negative or out-of-range number.
pub fn optional_whole_number<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<u64>,
{
    use serde::de::Error as _;
    Option::<serde_json::Number>::deserialize(d)?
        .map(|n| whole_number(n).map_err(D::Error::custom))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_cursor_is_the_first_page() {
        let page = |cursor: &str| PageParams {
            limit: None,
            cursor: Some(cursor.to_owned()),
        };
        assert_eq!(page("").parse("addresses").ok().map(|p| p.1), Some(None));
        let id = uuid::Uuid::now_v7();
        let next = cursor_after("addresses", id);
        assert_eq!(
            page(&next).parse("addresses").ok().map(|p| p.1),
            Some(Some(id))
        );
        assert!(page(&next).parse("sessions").is_err());
        assert!(page("garbage").parse("addresses").is_err());
    }

    /// The document repeats each text rule per field (utoipa takes a
    /// literal pattern): the copies must not drift apart.
    #[test]
    fn every_copy_of_a_documented_text_rule_is_the_same() {
        let doc = serde_json::to_value(crate::openapi::openapi()).unwrap();
        let pattern = |schema: &str, field: &str| {
            doc["components"]["schemas"][schema]["properties"][field]["pattern"]
                .as_str()
                .map(str::to_owned)
        };
        let text = pattern("AddressInput", "full_name");
        assert!(text.is_some());
        for (schema, field) in [
            ("AddressInput", "line1"),
            ("AddressInput", "postal_code"),
            ("AddressInput", "city"),
            ("Registration", "name"),
            ("ProfileChanges", "name"),
            ("NewStaffMember", "name"),
            ("PostalAddress", "full_name"),
            ("PostalAddress", "line1"),
            ("PostalAddress", "postal_code"),
            ("PostalAddress", "city"),
            ("CheckoutInput", "name"),
        ] {
            assert_eq!(pattern(schema, field), text, "{schema}.{field}");
        }
        let phone = pattern("Registration", "phone");
        assert!(phone.is_some());
        assert_eq!(pattern("ProfileChanges", "phone"), phone);
        assert_eq!(pattern("CheckoutInput", "phone"), phone);
        assert_eq!(
            pattern("PostalAddress", "line2"),
            pattern("AddressInput", "line2")
        );
        assert!(pattern("AddressInput", "line2").is_some());
    }
}

/// `limit` and `offset` of a list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OffsetParams {
    /// Page size, 1 to 100 (default 20).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100, example = 20)]
    pub limit: Option<String>,
    /// Items to skip (default 0).
    #[param(value_type = Option<u32>, minimum = 0, maximum = 100000, example = 0)]
    pub offset: Option<String>,
}

impl OffsetParams {
    /// The page size and offset.
    ///
    /// # Errors
    /// [`ApiError::Validation`] for a bad limit or offset.
    pub fn parse(&self) -> Result<(u64, u64), ApiError> {
        let mut f = domain::FieldErrors::default();
        let mut number = |name: &str, raw: Option<&str>, default: u64, min: u64, max: u64| match raw
        {
            None => default,
            Some(r) => match r.parse::<u64>() {
                Ok(n) if (min..=max).contains(&n) => n,
                _ => {
                    f.push(name, format!("must be a whole number from {min} to {max}"));
                    default
                }
            },
        };
        let limit = number("limit", self.limit.as_deref(), 20, 1, 100);
        let offset = number("offset", self.offset.as_deref(), 0, 0, 100_000);
        f.check()?;
        Ok((limit, offset))
    }
}
