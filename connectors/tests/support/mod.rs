//! Shared test infrastructure.
pub mod sshd;
