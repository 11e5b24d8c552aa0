//! PD HTTP client
