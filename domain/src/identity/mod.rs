//! Customers and staff: who they are (validated personal data), what they may
//! do (roles), how long their sessions live and when logins are locked, and
//! the use cases over the ports storage, hashing and tokens implement.

mod address;
mod authenticate;
mod config;
mod customer;
mod error;
pub(crate) mod lockdown;
mod lockout;
mod login;
mod logout;
mod password;
mod person;
mod ports;
mod principal;
mod profile;
mod register;
mod session;
mod sessions;
mod staff;
mod support;

#[cfg(test)]
mod tests;

pub use address::{AddressKind, CountryCode, ISO_3166_1, PostalAddress};
pub use authenticate::authenticate;
pub use config::{AccountSetup, IdentityConfig};
pub use customer::{Customer, NewCustomer};
pub use error::{IdentityError, LimitReason};
pub use lockdown::{check_source, record_probe};
pub use lockout::{LockoutPolicy, Verdict};
pub use login::{Credentials, LoginOutcome, login};
pub use logout::{logout, revoke_session};
pub(crate) use password::confirm_password;
pub use password::{
    LinkToken, change_email, change_password, check_link_token, forgot_password, reset_password,
    throttle_password_requests,
};
pub use person::{Email, Language, Password, PasswordError, PersonName, Phone, Role};
pub use ports::{
    AccessClaims, AccountRepo, AccountWriteError, AddressRepo, BlindIndex, Block, CounterKey,
    CounterKind, CounterRepo, DEFAULT_IPV6_PREFIX, HashError, IssueError, LoginRecord, NewSession,
    Origin, PasswordHasher, ProfileChanges, Randomness, SessionRepo, SourceId, StoredAddress,
    StoredSession, TokenIssuer, TokenPurpose, TokenRepo, hex16, source_text,
};
pub use principal::Principal;
pub use profile::{add_address, delete_address, profile, replace_address, update_profile};
pub use register::{Registration, Setup, open_account, register, throttle_new_account};
pub use session::SessionPolicy;
pub use sessions::{logout_others, refresh};
pub use staff::{
    CustomerLookup, CustomerRecord, NewStaff, create_staff, lift_block, read_customer, set_role,
};
pub(crate) use support::notify as notify_account;
pub use support::token_hash;

pub use crate::ids::{AddressId, CustomerId, SessionId};
