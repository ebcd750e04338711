//! `contactscan fix`: desired contacts, the plan that sets them, its apply (PutAlternateContact,
//! read back and compared), the audit log, and Terraform for teams that keep contacts as code.

pub mod desired;
