//! PD HTTP client for the real TiKV backend: PD's API types ([`api`]), pure
//! mapping into the project's model ([`mapping`]), the string parsers PD needs
//! ([`units`]) and the client itself ([`client`]).

pub mod api;
pub mod client;
pub mod mapping;
pub mod units;

pub use client::{PdClient, PdError, PdView, normalize_endpoint};
pub use mapping::MappingError;
pub use units::{DurationError, SizeError, address_host, parse_go_duration, parse_size};
