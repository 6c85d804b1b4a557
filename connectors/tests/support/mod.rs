//! Shared test infrastructure: real servers the partner tests talk to.
#![allow(dead_code)]
pub mod smtpd;
pub mod sshd;
