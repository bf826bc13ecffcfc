//! The scheduled re-check of sending domains as its own Lambda function
//! (`sendas-fn-recheck`): an EventBridge schedule (infra/template.yaml,
//! hourly) invokes it with a scheduled event; it runs
//! [`sendas_core::service::domains::recheck_due`] over DynamoDB, as its own
//! IAM principal, which may read and write claims (`CLAIMS#*`, `DOMAIN#*`)
//! and the platform-wide claim list, and nothing else. `sendas serve` runs
//! the same service call from a timer.

use crate::{Error, FunctionConfig};
use lambda_http::lambda_runtime::{self, LambdaEvent, service_fn};
use sendas_core::Timestamp;
use sendas_core::ports::{DnsLookup, Store};
use sendas_core::service::domains::{self, RecheckReport};
use sendas_store_aws::DynamoStore;
use serde::Deserialize;
use std::sync::Arc;

/// The fields of an EventBridge scheduled event this function checks.
#[derive(Debug, Deserialize)]
struct ScheduledEvent {
    source: String,
    #[serde(rename = "detail-type")]
    detail_type: String,
}

/// The re-check with what it reads and writes.
#[derive(Clone)]
pub struct DomainRecheck {
    store: Arc<dyn Store>,
    dns: Arc<dyn DnsLookup>,
}

impl DomainRecheck {
    /// Over `store` and `dns`.
    pub fn new(store: Arc<dyn Store>, dns: Arc<dyn DnsLookup>) -> DomainRecheck {
        DomainRecheck { store, dns }
    }

    /// Over DynamoDB through the clients of `aws`, looking records up at
    /// `config.dns_servers`. Without a resolver the function does not start:
    /// every check would be a resolver failure, and after 7 days every
    /// domain would lapse.
    pub fn aws(config: &FunctionConfig, aws: &aws_config::SdkConfig) -> Result<DomainRecheck, Error> {
        let Some(dns) = config.resolver()? else {
            return Err("no resolver: set SENDAS_DNS_SERVERS or /etc/resolv.conf".into());
        };
        let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(aws), config.table.clone());
        Ok(DomainRecheck::new(Arc::new(store), dns))
    }

    /// One invocation: `event` must be a scheduled event (`aws.events`,
    /// `Scheduled Event`); anything else is refused and changes nothing.
    /// `now` is the clock (the tests pass a test clock).
    pub async fn handle(&self, event: LambdaEvent<serde_json::Value>, now: Timestamp) -> Result<RecheckReport, Error> {
        let scheduled: ScheduledEvent =
            serde_json::from_value(event.payload).map_err(|e| format!("not a scheduled event: {e}"))?;
        if scheduled.source != "aws.events" || scheduled.detail_type != "Scheduled Event" {
            return Err(format!(
                "not a scheduled event: source {:?}, detail-type {:?}",
                scheduled.source, scheduled.detail_type
            )
            .into());
        }
        let rules = domains::Recheck::default();
        let report = domains::recheck_due(self.store.as_ref(), self.dns.as_ref(), now, &rules)
            .await
            .map_err(|e| e.to_string())?;
        tracing::info!(
            checked = report.checked,
            verified = report.verified,
            lapsed = report.lapsed,
            failed = report.failed,
            "sending domains re-checked"
        );
        Ok(report)
    }
}

/// The whole life of the re-check function: logging, clients, then the Lambda runtime loop.
pub async fn run() -> Result<(), Error> {
    crate::init_logging();
    let config = FunctionConfig::from_env()?;
    let recheck = DomainRecheck::aws(&config, &sendas_store_aws::load_aws_config().await)?;
    tracing::info!("re-check function ready");
    lambda_runtime::run(service_fn(|event| {
        let recheck = recheck.clone();
        async move { recheck.handle(event, Timestamp::now()).await }
    }))
    .await
}
