//! ARNs this tool builds: IAM roles in member accounts and Security Hub's default product.

/// `arn:<partition>:iam::<account>:role/<role>`; `role` may carry a path (`audit/Role` or
/// `/audit/Role`: the leading slash is the path's own, not a second separator).
pub fn role_arn(partition: &str, account_id: &str, role: &str) -> String {
    format!(
        "arn:{partition}:iam::{account_id}:role/{}",
        role.trim_start_matches('/')
    )
}

/// The ARN of Security Hub's default product for `account_id`: findings imported under it
/// must belong to that account.
pub fn product_arn(partition: &str, region: &str, account_id: &str) -> String {
    format!("arn:{partition}:securityhub:{region}:{account_id}:product/{account_id}/default")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns_carry_the_partition_and_the_path() {
        assert_eq!(
            role_arn("aws", "123456789012", "OrganizationAccountAccessRole"),
            "arn:aws:iam::123456789012:role/OrganizationAccountAccessRole"
        );
        assert_eq!(
            role_arn("aws-cn", "123456789012", "/audit/ContactReader"),
            "arn:aws-cn:iam::123456789012:role/audit/ContactReader"
        );
        assert_eq!(
            role_arn("aws", "123456789012", "audit/ContactReader"),
            "arn:aws:iam::123456789012:role/audit/ContactReader"
        );
    }

    #[test]
    fn product_arns_name_the_account_twice() {
        assert_eq!(
            product_arn("aws-us-gov", "us-gov-west-1", "111111111111"),
            "arn:aws-us-gov:securityhub:us-gov-west-1:111111111111:product/111111111111/default"
        );
    }
}
