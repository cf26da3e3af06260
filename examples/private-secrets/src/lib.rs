//! A team's own solution, `private-secrets`: a function in private subnets reads its
//! secret (Secrets Manager), its configuration (SSM parameters) and its bucket (S3), each
//! through a VPC endpoint that admits only that function, with no route to the internet.

mod private_secrets;

pub use private_secrets::{PrivateSecrets, Props, construct, settings};
