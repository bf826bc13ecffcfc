//! The AWS principals of a local moto with IAM enforced (feature `aws`).
//!
//! `scripts/moto_serialized.py --iam FILE` creates one IAM user per
//! principal of the deployed code — `admin` (test setup), the four API
//! functions and the proxy's task role, with the policies read from
//! `infra/template.yaml` and `infra/proxy.yaml` — and writes their keys to
//! FILE. Every AWS-backed test signs its requests with one of them, so a
//! call the deployed role does not allow fails the test.
//!
//! The shared moto of `scripts/test.sh` is [`AwsEndpoint::shared`]
//! (`AWS_ENDPOINT_URL` and `SENDAS_AWS_PRINCIPALS`); a private one is
//! [`crate::Moto::aws`]. The policies cover tables and secret prefixes named
//! by [`fresh_names`] (`sendas-test-<32 hex>`, `sendas-test-<32 hex>/`), a
//! new pair per call.

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// A principal the deployed code (or the test setup) runs as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Principal {
    /// Test setup: creating tables, seeding, bootstrap (allowed everything).
    Admin,
    /// The `platform` Lambda function.
    FnPlatform,
    /// The `directory` Lambda function.
    FnDirectory,
    /// The `mailboxes` Lambda function.
    FnMailboxes,
    /// The `me` Lambda function.
    FnMe,
    /// The `send` Lambda function.
    FnSend,
    /// The scheduled re-check of sending domains (`sendas-fn-recheck`).
    FnRecheck,
    /// The SMTP proxy's ECS task role.
    ProxyTask,
}

impl Principal {
    /// Every principal.
    pub const ALL: [Principal; 8] = [
        Principal::Admin,
        Principal::FnPlatform,
        Principal::FnDirectory,
        Principal::FnMailboxes,
        Principal::FnMe,
        Principal::FnSend,
        Principal::FnRecheck,
        Principal::ProxyTask,
    ];

    /// Its name in the principals file.
    pub fn name(self) -> &'static str {
        match self {
            Principal::Admin => "admin",
            Principal::FnPlatform => "fn-platform",
            Principal::FnDirectory => "fn-directory",
            Principal::FnMailboxes => "fn-mailboxes",
            Principal::FnMe => "fn-me",
            Principal::FnSend => "fn-send",
            Principal::FnRecheck => "fn-recheck",
            Principal::ProxyTask => "proxy-task",
        }
    }

    /// The principal of the Lambda function serving API area `area` (`platform`, `directory`, ...).
    pub fn of_area(area: &str) -> Principal {
        match area {
            "platform" => Principal::FnPlatform,
            "directory" => Principal::FnDirectory,
            "mailboxes" => Principal::FnMailboxes,
            "me" => Principal::FnMe,
            "send" => Principal::FnSend,
            other => panic!("no function for API area {other}"),
        }
    }
}

/// Access keys of one principal.
#[derive(Debug, Clone)]
pub struct Keys {
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: String,
}

/// A local AWS endpoint and the keys of its principals.
#[derive(Debug, Clone)]
pub struct AwsEndpoint {
    /// The endpoint URL.
    pub url: String,
    /// The region the policies were resolved for.
    pub region: String,
    keys: HashMap<String, Keys>,
    table_pattern: String,
    prefix_pattern: String,
}

impl AwsEndpoint {
    /// The moto of `scripts/test.sh`: `AWS_ENDPOINT_URL` and the principals file
    /// `SENDAS_AWS_PRINCIPALS`. Panics with instructions when either is missing:
    /// AWS tests never skip.
    pub fn shared() -> &'static AwsEndpoint {
        static SHARED: OnceLock<AwsEndpoint> = OnceLock::new();
        SHARED.get_or_init(|| {
            let url = std::env::var("AWS_ENDPOINT_URL").unwrap_or_default();
            assert!(
                url.contains("127.0.0.1") || url.contains("localhost"),
                "AWS_ENDPOINT_URL must point at a local moto; run scripts/test.sh, which starts it \
                 (scripts/moto_serialized.py HOST PORT --iam FILE)"
            );
            let file = std::env::var("SENDAS_AWS_PRINCIPALS").unwrap_or_else(|_| {
                panic!(
                    "SENDAS_AWS_PRINCIPALS must name the principals file of the moto at {url} \
                     (scripts/moto_serialized.py --iam FILE); run scripts/test.sh"
                )
            });
            AwsEndpoint::from_file(&url, Path::new(&file))
        })
    }

    /// Reads a principals file written by `scripts/moto_serialized.py --iam`.
    pub fn from_file(url: &str, file: &Path) -> AwsEndpoint {
        let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let doc: serde_json::Value = serde_json::from_str(&text).expect("principals file is JSON");
        let text_of = |v: &serde_json::Value| v.as_str().expect("a string in the principals file").to_owned();
        let keys = doc["principals"]
            .as_object()
            .expect("principals")
            .iter()
            .map(|(name, p)| {
                let keys = Keys {
                    access_key_id: text_of(&p["access_key_id"]),
                    secret_access_key: text_of(&p["secret_access_key"]),
                };
                (name.clone(), keys)
            })
            .collect();
        AwsEndpoint {
            url: url.to_owned(),
            region: text_of(&doc["region"]),
            keys,
            table_pattern: text_of(&doc["naming"]["table"]),
            prefix_pattern: text_of(&doc["naming"]["secret_prefix"]),
        }
    }

    /// The same principals behind another URL (e.g. a [`crate::Forwarder`] in front of moto).
    pub fn at(&self, url: &str) -> AwsEndpoint {
        AwsEndpoint { url: url.to_owned(), ..self.clone() }
    }

    /// The keys of `principal`.
    pub fn keys(&self, principal: Principal) -> &Keys {
        self.keys.get(principal.name()).unwrap_or_else(|| panic!("no keys for {}", principal.name()))
    }

    /// The SDK configuration of `principal`: this endpoint, the region, its keys; nothing
    /// falls back to the environment or instance metadata.
    pub async fn sdk_config(&self, principal: Principal) -> aws_config::SdkConfig {
        let keys = self.keys(principal);
        let credentials = aws_credential_types::Credentials::new(
            keys.access_key_id.clone(),
            keys.secret_access_key.clone(),
            None,
            None,
            "sendas-testkit",
        );
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(&self.url)
            .region(aws_config::Region::new(self.region.clone()))
            .credentials_provider(credentials)
            .load()
            .await
    }

    /// The environment of a child process running as `principal` (the proxy binary, a function).
    pub fn env(&self, principal: Principal) -> Vec<(&'static str, String)> {
        let keys = self.keys(principal);
        vec![
            ("AWS_ENDPOINT_URL", self.url.clone()),
            ("AWS_ACCESS_KEY_ID", keys.access_key_id.clone()),
            ("AWS_SECRET_ACCESS_KEY", keys.secret_access_key.clone()),
            ("AWS_REGION", self.region.clone()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ]
    }

    /// A table name and secret prefix no other test uses, both covered by the principals' policies.
    pub fn fresh_names(&self) -> (String, String) {
        let id = fresh_id();
        (self.table_pattern.replace("{id}", &id), self.prefix_pattern.replace("{id}", &id))
    }
}

/// A table name and secret prefix on the shared endpoint (see [`AwsEndpoint::fresh_names`]).
pub fn fresh_names() -> (String, String) {
    AwsEndpoint::shared().fresh_names()
}

/// 32 lowercase hex digits, unique within this machine's test run.
fn fresh_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{:08x}{:016x}{:08x}", std::process::id(), nanos as u64, n as u32)
}
