//! `/v1/me*`: the signed-in customer's own account, addresses and sessions.
//! Everything here is personal data: answers are `no-store`, and any id
//! that is not the caller's is a 404.

pub mod addresses;
pub mod consents;
pub mod data;
pub mod profile;
pub mod sessions;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use addresses::Address;
pub use profile::Profile;
/// What an account may do:
///
/// - `customer`: a customer: its own account, addresses and sessions
///   (`/v1/me*`) and the public catalogue.
/// - `shop_manager`: staff: manages the catalogue (`/v1/admin/products`)
///   and reads customers' records (`/v1/admin/customers`, audited).
/// - `admin`: staff: everything a shop manager does, plus staff accounts
///   and roles, locks and bans, and the audit log.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
#[schema(as = Role)]
pub enum RoleDto {
    /// A customer.
    Customer,
    /// Staff: catalogue, orders, customers.
    ShopManager,
    /// Staff: everything.
    Admin,
}

impl From<domain::identity::Role> for RoleDto {
    fn from(r: domain::identity::Role) -> Self {
        use domain::identity::Role as R;
        match r {
            R::Customer => Self::Customer,
            R::ShopManager => Self::ShopManager,
            R::Admin => Self::Admin,
        }
    }
}

impl From<RoleDto> for domain::identity::Role {
    fn from(r: RoleDto) -> Self {
        match r {
            RoleDto::Customer => Self::Customer,
            RoleDto::ShopManager => Self::ShopManager,
            RoleDto::Admin => Self::Admin,
        }
    }
}
