//! Mapping AWS SDK errors to `StoreError` without leaking request content.

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use sendas_core::StoreError;

/// Any SDK failure that is not a condition: the backend is unavailable.
pub(crate) fn unavailable<E: ProvideErrorMetadata + std::error::Error + 'static, R: std::fmt::Debug>(
    e: SdkError<E, R>,
) -> StoreError {
    if e.code() == Some("ConditionalCheckFailedException") {
        return StoreError::Conflict("condition failed".into());
    }
    let code = e.code().unwrap_or("no code").to_owned();
    StoreError::Unavailable(format!("{code}: {}", DisplayErrorContext(&e)))
}

/// A decoding failure of a stored item.
pub(crate) fn corrupt(e: serde_dynamo::Error) -> StoreError {
    StoreError::Corrupt(format!("item: {e}"))
}
