//! Use cases that span several repositories (accounts, sessions, outbox,
//! audit), so that handlers stay thin and every path writes its mail and its
//! audit entry in the same transaction as its change.

pub mod accounts;
