//! Lambda function re-checking sending domains, invoked by an EventBridge schedule.

#[tokio::main]
async fn main() -> Result<(), sendas_functions::Error> {
    sendas_functions::recheck::run().await
}
