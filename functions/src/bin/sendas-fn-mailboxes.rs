//! Lambda function serving the `mailboxes` area of the sendas HTTP API.

#[tokio::main]
async fn main() -> Result<(), sendas_functions::Error> {
    sendas_functions::run(sendas_api::Area::Mailboxes).await
}
