//! `verify`: the mailbox's login run on demand (connect, TLS, token, AUTH,
//! QUIT) with the relay's own login path, token cache and health book,
//! reporting the stage it failed at. No mail is sent; the outcome is
//! written as the mailbox's health.

use crate::login::Owner;
use crate::smtp_route::{Described, SmtpRoute, Target, describe};
use sendas_core::model::{HealthStage, Mailbox};
use std::sync::Arc;

/// The outcome of a verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Whether the login succeeded.
    pub ok: bool,
    /// The stage that failed (`None` when ok).
    pub failed_stage: Option<HealthStage>,
    /// The server's answer or the failure, sanitised; never a secret.
    pub detail: String,
}

/// Runs logins on demand.
#[derive(Clone)]
pub struct Verifier {
    route: Arc<SmtpRoute>,
}

impl Verifier {
    pub(crate) fn new(route: Arc<SmtpRoute>) -> Verifier {
        Verifier { route }
    }

    /// Logs in to `mailbox`'s server and says QUIT.
    pub async fn verify(&self, mailbox: &Mailbox) -> Verified {
        let Some(settings) = &mailbox.smtp else {
            return Verified { ok: false, failed_stage: None, detail: "the mailbox is not authenticated".into() };
        };
        let owner = Owner::Mailbox { tenant: mailbox.tenant_id, mailbox: mailbox.id };
        let target = Target { owner, settings: settings.clone(), authenticate: true, max_recipients: 1 };
        let verified = match tokio::time::timeout(self.route.deadline(), self.route.login(&target)).await {
            Ok(Ok((client, reply))) => {
                client.quit().await;
                // An admin's verify that logs in releases a held login at once.
                self.route.release_hold(&target);
                Verified { ok: true, failed_stage: None, detail: reply.unwrap_or_default() }
            }
            Ok(Err(failure)) => match describe(failure) {
                Described::Internal(why) => return Verified { ok: false, failed_stage: None, detail: why },
                Described::Login { stage, detail, .. } => Verified { ok: false, failed_stage: Some(stage), detail },
                Described::Held(detail) => Verified { ok: false, failed_stage: Some(HealthStage::Auth), detail },
                Described::Transaction(_) => {
                    Verified { ok: false, failed_stage: None, detail: "unexpected failure after login".into() }
                }
            },
            Err(_) => Verified {
                ok: false,
                failed_stage: Some(HealthStage::Connect),
                detail: format!("no login within {:?}", self.route.deadline()),
            },
        };
        let outcome = match verified.failed_stage {
            None => Ok(verified.detail.as_str()),
            Some(stage) => Err((stage, verified.detail.as_str())),
        };
        if let Some(write) = self.route.note(&owner, outcome, true) {
            // verify's caller reads the health right after: let the write land first.
            let _ = write.await;
        }
        verified
    }
}
