//! `contactscan fix`: desired contacts, the plan that sets them, its apply (PutAlternateContact,
//! read back and compared), the audit log, and Terraform for teams that keep contacts as code.
//!
//! The plan is made offline from any inventory (`plan.rs`) and judged by the engine on the
//! organization as it would be after it; only a plan without refusals is applied (`apply.rs`).

pub mod apply;
pub mod audit;
pub mod desired;
pub mod plan;
pub mod render;
pub mod terraform;
