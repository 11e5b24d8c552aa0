//! Built-in simulated cluster
