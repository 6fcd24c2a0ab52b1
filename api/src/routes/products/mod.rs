//! The public catalogue of house plans.

pub mod dto;
pub mod get;
pub mod list;
pub mod render;
