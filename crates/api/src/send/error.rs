//! How HTTP send answers when it does not send: problem+json with a stable
//! `type`, and `Retry-After` when trying again later can help.

use crate::problem::{ApiError, problem_response};
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sendas_core::limiter::LimitReached;
use sendas_core::{ServiceError, StoreError};
use sendas_message::reply::Reply;
use sendas_relay::RelayError;

/// Why a message was not sent.
#[derive(Debug)]
pub enum SendError {
    /// Validation, not found, a store failure: the API's usual problems.
    Service(ServiceError),
    /// From or Reply-To (or a template's preset) is not in the user's dropdowns: `403 sender_not_allowed`.
    SenderNotAllowed(String),
    /// The message verdict refused the built message (the same as on SMTP).
    Refused(Reply),
    /// The upstream did not take it.
    Relay(RelayError),
    /// Another request with this `Idempotency-Key` is still being handled: `409`.
    InFlight,
    /// The `Idempotency-Key` was used with another request: `422`.
    KeyReused,
    /// A sending limit is reached: `429` with `Retry-After`.
    Limited(LimitReached),
    /// The sending limits could not be checked: `503`, nothing was sent.
    LimitsUnavailable,
}

impl From<ServiceError> for SendError {
    fn from(e: ServiceError) -> Self {
        SendError::Service(e)
    }
}

impl From<StoreError> for SendError {
    fn from(e: StoreError) -> Self {
        SendError::Service(e.into())
    }
}

impl From<ApiError> for SendError {
    fn from(e: ApiError) -> Self {
        SendError::Service(e.0)
    }
}

fn retry_after(mut response: Response, seconds: u32) -> Response {
    response.headers_mut().insert(RETRY_AFTER, HeaderValue::from(seconds));
    response
}

impl IntoResponse for SendError {
    fn into_response(self) -> Response {
        match self {
            SendError::Service(e) => ApiError(e).into_response(),
            SendError::SenderNotAllowed(why) => {
                problem_response(StatusCode::FORBIDDEN, "sender_not_allowed", "Sender not allowed", why)
            }
            SendError::Refused(reply) => {
                let detail = format!("{} {} {}", reply.code, reply.enhanced, reply.lines.join(" "));
                match reply.code {
                    550 if reply.enhanced == "5.7.1" => {
                        problem_response(StatusCode::FORBIDDEN, "sender_not_allowed", "Sender not allowed", detail)
                    }
                    552 => {
                        problem_response(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "Message too big", detail)
                    }
                    _ => problem_response(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "message_refused",
                        "The message was refused",
                        detail,
                    ),
                }
            }
            SendError::Relay(RelayError::Temporary(cause)) => {
                tracing::warn!(%cause, "HTTP send: upstream unavailable");
                retry_after(
                    problem_response(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "upstream_unavailable",
                        "Upstream unavailable",
                        "the sending mailbox's server could not be reached or deferred the message; nothing was sent, retry later".into(),
                    ),
                    60,
                )
            }
            SendError::Relay(RelayError::LoginRefused(cause)) => {
                tracing::warn!(%cause, "HTTP send: the mailbox's login was refused");
                retry_after(
                    problem_response(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "mailbox_login_refused",
                        "The sending mailbox's login was refused",
                        "the sending mailbox's server refused its login (an admin must renew it); nothing was sent, retry later".into(),
                    ),
                    300,
                )
            }
            SendError::Relay(RelayError::Uncertain(cause)) => {
                tracing::warn!(%cause, "HTTP send: the upstream's reply to the message never came");
                problem_response(
                    StatusCode::BAD_GATEWAY,
                    "delivery_uncertain",
                    "Delivery uncertain",
                    "the connection to the upstream failed after the message was sent: it may have been delivered; \
                     it is not sent again (a retry with the same Idempotency-Key answers this again)"
                        .into(),
                )
            }
            SendError::Relay(RelayError::Permanent { code, text }) => problem_response(
                StatusCode::BAD_GATEWAY,
                "upstream_refused",
                "The upstream refused the message",
                format!("{code} {text}"),
            ),
            SendError::InFlight => problem_response(
                StatusCode::CONFLICT,
                "conflict",
                "Conflict",
                "a request with this Idempotency-Key is still being handled; retry it later".into(),
            ),
            SendError::Limited(reached) => {
                let seconds = u32::try_from(reached.retry_after.as_secs()).unwrap_or(u32::MAX);
                retry_after(
                    problem_response(
                        StatusCode::TOO_MANY_REQUESTS,
                        "sending_limit_reached",
                        "Sending limit reached",
                        format!("{} is reached; nothing was sent, retry in {seconds} s", reached.describe()),
                    ),
                    seconds,
                )
            }
            SendError::LimitsUnavailable => retry_after(
                problem_response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "limits_unavailable",
                    "Sending limits unavailable",
                    "the sending limits could not be checked; nothing was sent, retry later".into(),
                ),
                30,
            ),
            SendError::KeyReused => {
                ApiError::invalid("Idempotency-Key", "already used with another request").into_response()
            }
        }
    }
}
