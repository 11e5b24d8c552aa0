//! PD HTTP client for the real TiKV backend: PD's API types ([`api`]), pure
//! mapping into the project's model ([`mapping`]), store addresses
//! ([`address`]) and the client itself ([`client`]). Sizes, durations and
//! timestamps are read by [`crate::units`].

pub mod address;
pub mod api;
pub mod client;
pub mod decode;
pub mod mapping;

pub use address::address_host;
pub use client::{PdClient, PdError, PdView, normalize_endpoint};
pub use mapping::MappingError;
