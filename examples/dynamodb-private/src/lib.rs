//! A team's own solution, `dynamodb-private`: a function in private subnets reads and
//! writes its table through a DynamoDB gateway endpoint that admits only it.

mod dynamodb_private;

pub use dynamodb_private::{DynamoDbPrivate, Props, construct};
