//! The public catalogue of house plans.

pub mod cache;
pub mod dto;
pub mod get;
pub mod list;
pub mod render;
