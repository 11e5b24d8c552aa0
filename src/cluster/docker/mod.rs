//! Docker backend
