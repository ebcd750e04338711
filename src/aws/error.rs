//! AWS errors in one line, in the AWS CLI's words, with what to do: never the SDK's `Debug`
//! dump of a dispatch failure.

use std::error::Error as StdError;

use aws_sdk_account::config::http::HttpResponse;
use aws_sdk_account::error::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// What went wrong with an AWS call, sorted by what the user does about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// No credentials anywhere in the default chain.
    NoCredentials,
    /// `--profile` (or `AWS_PROFILE`) names a profile the config files do not define.
    UnknownProfile(String),
    /// The credentials or their session token have expired.
    ExpiredToken,
    /// The credentials are not valid (unknown key id, bad signature).
    InvalidCredentials,
    /// The endpoint could not be reached: `reason` is the root cause (connection refused...).
    Unreachable { reason: String },
    /// No answer within the timeout.
    Timeout,
    /// The identity may not call the action.
    AccessDenied { message: String },
    /// Anything else the service answered.
    Service { code: String, message: String },
    /// Anything else on the client's side.
    Client { reason: String },
}

impl Problem {
    /// Whether the problem is the credentials' (and a credentials hint helps).
    pub fn is_credentials(&self) -> bool {
        matches!(
            self,
            Problem::NoCredentials
                | Problem::UnknownProfile(_)
                | Problem::ExpiredToken
                | Problem::InvalidCredentials
        )
    }

    /// One line: what happened to `action` (`sts:GetCallerIdentity`) and what to do.
    pub fn describe(&self, action: &str) -> String {
        match self {
            Problem::NoCredentials => format!(
                "Unable to locate credentials for {action}: configure them (environment \
                 variables, `aws configure`, --profile, `aws sso login`, an instance role)"
            ),
            Problem::UnknownProfile(profile) => format!(
                "The config profile ({profile}) could not be found: define it in ~/.aws/config \
                 (or the file AWS_CONFIG_FILE names), or give another --profile"
            ),
            Problem::ExpiredToken => format!(
                "The security token included in the {action} request is expired: refresh the \
                 credentials (`aws sso login`, or new temporary credentials)"
            ),
            Problem::InvalidCredentials => format!(
                "The security token included in the {action} request is invalid: check the \
                 access key id and secret of the credentials in use"
            ),
            Problem::Unreachable { reason } => format!(
                "Could not connect to the endpoint URL of {action} ({reason}): check the \
                 network, the proxy settings and AWS_ENDPOINT_URL"
            ),
            Problem::Timeout => format!(
                "{action}: no answer from AWS within the timeout; check the network, then try \
                 again"
            ),
            Problem::AccessDenied { message } => format!(
                "Access denied to {action} ({message}): grant {action} to the identity in use \
                 (docs/iam-policy.json lists what contactscan needs)"
            ),
            Problem::Service { code, message } => format!("{action} failed: {code}: {message}"),
            Problem::Client { reason } => format!("{action} could not be sent: {reason}"),
        }
    }
}

/// Sorts the error of one call. `profile` is the profile asked for, if any.
pub fn classify<E>(error: &SdkError<E, HttpResponse>, profile: Option<&str>) -> Problem
where
    E: ProvideErrorMetadata + StdError + 'static,
{
    match error {
        SdkError::ServiceError(context) => {
            let service = context.err();
            let code = service.code().unwrap_or("UnknownError").to_string();
            let message = service.message().unwrap_or_default().to_string();
            match code.as_str() {
                "ExpiredToken" | "ExpiredTokenException" | "RequestExpired" => {
                    Problem::ExpiredToken
                }
                "InvalidClientTokenId"
                | "UnrecognizedClientException"
                | "SignatureDoesNotMatch"
                | "InvalidSignatureException"
                | "AuthFailure" => Problem::InvalidCredentials,
                code if code.starts_with("AccessDenied") || code == "UnauthorizedOperation" => {
                    Problem::AccessDenied { message }
                }
                _ => Problem::Service { code, message },
            }
        }
        SdkError::TimeoutError(_) => Problem::Timeout,
        other => {
            let chain = chain(other);
            let missing_profile = profile.filter(|p| {
                chain.contains(&format!("profile `{p}` was not defined"))
                    || chain.contains(&format!("profile {p} was not defined"))
                    || chain.contains("no credentials found in chain")
            });
            if let Some(profile) = missing_profile {
                Problem::UnknownProfile(profile.to_string())
            } else if chain.contains("no credentials found in chain")
                || chain.contains("no credentials")
            {
                Problem::NoCredentials
            } else if chain.contains("expired") {
                Problem::ExpiredToken
            } else if let SdkError::DispatchFailure(failure) = other {
                if failure.is_io() || failure.is_timeout() {
                    Problem::Unreachable {
                        reason: root_cause(other),
                    }
                } else {
                    Problem::Client {
                        reason: root_cause(other),
                    }
                }
            } else {
                Problem::Client {
                    reason: root_cause(other),
                }
            }
        }
    }
}

/// [`classify`] then [`Problem::describe`].
pub fn summarize<E>(
    error: &SdkError<E, HttpResponse>,
    action: &str,
    profile: Option<&str>,
) -> String
where
    E: ProvideErrorMetadata + StdError + 'static,
{
    classify(error, profile).describe(action)
}

/// Every message of the error's chain, joined (to look for what the SDK's types keep private).
fn chain(error: &dyn StdError) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The innermost cause's message (`Connection refused (os error 111)`), without the layers
/// that wrap it.
fn root_cause(error: &dyn StdError) -> String {
    let mut cause = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_are_one_line_and_say_what_to_do() {
        let problems = [
            Problem::NoCredentials,
            Problem::UnknownProfile("prod".to_string()),
            Problem::ExpiredToken,
            Problem::InvalidCredentials,
            Problem::Unreachable {
                reason: "Connection refused (os error 111)".to_string(),
            },
            Problem::Timeout,
            Problem::AccessDenied {
                message: "not authorized".to_string(),
            },
        ];
        for problem in &problems {
            let line = problem.describe("sts:GetCallerIdentity");
            assert!(!line.contains('\n') && !line.contains("{ source"), "{line}");
        }
        assert!(Problem::UnknownProfile("prod".to_string())
            .describe("x")
            .starts_with("The config profile (prod) could not be found"));
        assert!(Problem::NoCredentials
            .describe("x")
            .starts_with("Unable to locate credentials"));
        assert!(Problem::NoCredentials.is_credentials());
        assert!(!Problem::Timeout.is_credentials());
    }

    #[test]
    fn service_answers_are_sorted_by_their_code() {
        use aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityError;
        use aws_smithy_types::body::SdkBody;
        use aws_smithy_types::error::ErrorMetadata;
        let answer = |code: &str| {
            let error = GetCallerIdentityError::generic(
                ErrorMetadata::builder()
                    .code(code)
                    .message("the message")
                    .build(),
            );
            let raw = HttpResponse::new(403.try_into().unwrap(), SdkBody::empty());
            classify(&SdkError::service_error(error, raw), None)
        };
        assert_eq!(answer("ExpiredToken"), Problem::ExpiredToken);
        assert_eq!(answer("InvalidClientTokenId"), Problem::InvalidCredentials);
        assert_eq!(
            answer("AccessDeniedException"),
            Problem::AccessDenied {
                message: "the message".to_string()
            }
        );
        assert!(answer("AccessDenied")
            .describe("organizations:ListAccounts")
            .contains("grant organizations:ListAccounts"));
        assert_eq!(
            answer("Throttling"),
            Problem::Service {
                code: "Throttling".to_string(),
                message: "the message".to_string()
            }
        );
    }
}
