//! Typed identifiers. All ids are UUID v7: time-ordered, so new rows land at
//! the end of indexes and ids sort roughly by creation.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

macro_rules! typed_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh, time-ordered id.
            #[must_use]
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            /// Wraps an id read from storage or a request.
            #[must_use]
            pub const fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }

            /// The raw UUID, for storage.
            #[must_use]
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

typed_id!(
    /// Identifies a house plan in the catalogue.
    ProductId
);
typed_id!(
    /// Identifies one purchasable format of a plan.
    FormatId
);
typed_id!(
    /// A customer or staff account; also the data subject of its personal data.
    CustomerId
);
typed_id!(
    /// A login session.
    SessionId
);
typed_id!(
    /// A stored postal address.
    AddressId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_ids_are_version_7_and_increase() {
        let a = ProductId::new();
        let b = ProductId::new();
        assert_eq!(a.as_uuid().get_version_num(), 7);
        assert!(a < b);
    }

    #[test]
    fn ids_round_trip_through_strings() {
        let a = FormatId::new();
        let parsed: FormatId = a.to_string().parse().unwrap();
        assert_eq!(a, parsed);
        assert!("not-a-uuid".parse::<FormatId>().is_err());
    }
}

typed_id!(
    /// Identifies a newsletter subscription.
    SubscriberId
);

typed_id!(
    /// Identifies a newsletter campaign.
    CampaignId
);

typed_id!(
    /// Identifies a message sent through the contact form.
    ContactMessageId
);

typed_id!(
    /// Identifies an article of the shop's blog.
    ArticleId
);

typed_id!(
    /// Identifies a comment on an article.
    CommentId
);

typed_id!(
    /// Identifies a cart.
    CartId
);

typed_id!(
    /// Identifies a line of a cart.
    CartLineId
);

typed_id!(
    /// Identifies an order.
    OrderId
);

typed_id!(
    /// Identifies a customer's review of a plan.
    ReviewId
);

typed_id!(
    /// Identifies a refund of an order.
    RefundId
);

typed_id!(
    /// Identifies a complaint or refund request on an order.
    ComplaintId
);

typed_id!(
    /// Identifies an API key of a third-party integration.
    ApiKeyId
);

typed_id!(
    /// Identifies an outgoing webhook endpoint.
    WebhookEndpointId
);

typed_id!(
    /// Identifies one delivery of an event to a webhook endpoint.
    WebhookDeliveryId
);
