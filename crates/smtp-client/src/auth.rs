//! AUTH (RFC 4954) on a [`Client`]: the initial response inline when the
//! AUTH line stays within [`MAX_AUTH_LINE`] octets, else after the
//! server's `334` (Dovecot 2.3 refuses AUTH lines over ~1 KB, and
//! Microsoft's tokens are 1.5–2.5 KB); LOGIN's two prompts; and the OAuth
//! failure dance (RFC 7628 §3.2.3): a refused token is answered `334
//! <base64 JSON error>`, the client acknowledges (an empty line for
//! XOAUTH2, `AQ==` for OAUTHBEARER) and then gets the final 535. Nothing
//! sent during AUTH is logged.

use crate::client::Client;
use crate::error::{ErrorKind, SmtpError, Step};
use crate::reply::Reply;
use crate::sasl::{Auth, Mechanism, decode_challenge};
use secrecy::zeroize::Zeroizing;

/// The longest AUTH line (with CRLF) that carries its initial response inline.
pub const MAX_AUTH_LINE: usize = 1000;

/// How many `334` continuations one AUTH may take (LOGIN: 2; OAuth failure: 1).
const MAX_CONTINUATIONS: usize = 4;

impl Client {
    /// Logs in with the best mechanism the server offers for `auth`
    /// (PLAIN, else LOGIN for a password; XOAUTH2, else OAUTHBEARER for a
    /// token). Returns the server's 235 (or another 2xx).
    pub async fn authenticate(&mut self, auth: &Auth) -> Result<Reply, SmtpError> {
        let Some(mechanism) = auth.choose(&self.caps) else {
            let wanted = match auth {
                Auth::Password { .. } => "AUTH PLAIN or LOGIN",
                Auth::Bearer { .. } => "AUTH XOAUTH2 or OAUTHBEARER",
            };
            return Err(SmtpError::new(Step::Auth, ErrorKind::NotOffered(wanted)));
        };
        self.authenticate_with(auth, mechanism).await
    }

    /// Logs in with `mechanism`, whether or not the server advertised it.
    pub async fn authenticate_with(&mut self, auth: &Auth, mechanism: Mechanism) -> Result<Reply, SmtpError> {
        if !auth.mechanisms().contains(&mechanism) {
            return Err(SmtpError::new(Step::Auth, ErrorKind::Invalid("the mechanism does not fit the login")));
        }
        let name = mechanism.name();
        let mut pending = None;
        let first = match auth.initial_response(mechanism) {
            Some(ir) if "AUTH ".len() + name.len() + 1 + ir.len() + 2 <= MAX_AUTH_LINE => {
                line(&["AUTH ", name, " ", ir.as_str()])
            }
            Some(ir) => {
                pending = Some(ir);
                line(&["AUTH ", name])
            }
            None => line(&["AUTH ", name]),
        };
        tracing::trace!(host = %self.host(), mechanism = name, inline = pending.is_none(), "smtp auth");
        self.write(Step::Auth, self.timeouts.command, first.as_bytes()).await?;
        let mut prompts = 0;
        let mut detail = None;
        for _ in 0..MAX_CONTINUATIONS {
            let reply = self.read(Step::Auth, self.timeouts.command).await?;
            if reply.code() != 334 {
                // 235 by RFC 4954; any 2xx is taken as success, as lettre did (Postfix's smtp-sink says 250).
                return self.expect(Step::Auth, reply, |c| (200..300).contains(&c)).map_err(|e| e.with_detail(detail));
            }
            let answer = if let Some(ir) = pending.take() {
                ir
            } else if mechanism == Mechanism::Login {
                prompts += 1;
                match auth.login_answer(prompts - 1) {
                    Some(a) => a,
                    None => break,
                }
            } else if mechanism.is_oauth() && detail.is_none() {
                detail = Some(reply.lines().first().and_then(|l| decode_challenge(l)).unwrap_or_default());
                Zeroizing::new(mechanism.oauth_error_ack().to_owned())
            } else {
                break;
            };
            self.write(Step::Auth, self.timeouts.command, line(&[answer.as_str()]).as_bytes()).await?;
        }
        self.cancel().await;
        Err(SmtpError::new(
            Step::Auth,
            ErrorKind::Protocol("the server asked for more than the mechanism sends".into()),
        ))
    }

    /// Cancels an AUTH exchange (`*`, RFC 4954 §4) and reads the 501.
    async fn cancel(&mut self) {
        if self.write(Step::Auth, self.timeouts.command, b"*\r\n").await.is_ok() {
            let _ = self.read(Step::Auth, self.timeouts.command).await;
        }
    }
}

/// The parts and CRLF in one zeroized buffer, allocated once.
fn line(parts: &[&str]) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(parts.iter().map(|p| p.len()).sum::<usize>() + 2));
    for p in parts {
        out.push_str(p);
    }
    out.push_str("\r\n");
    out
}
