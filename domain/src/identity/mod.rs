//! Customers and staff: who they are (validated personal data), what they may
//! do (roles), how long their sessions live and when logins are locked.

mod address;
mod customer;
mod lockout;
mod person;
mod session;

pub use address::{AddressKind, CountryCode, PostalAddress};
pub use customer::{Customer, NewCustomer};
pub use lockout::{LockoutPolicy, Verdict};
pub use person::{Email, Language, Password, PasswordError, PersonName, Phone, Role};
pub use session::SessionPolicy;

pub use crate::ids::{AddressId, CustomerId, SessionId};
