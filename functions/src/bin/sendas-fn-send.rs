//! Lambda function serving the `send` area of the sendas HTTP API
//! (`POST /v1/me/messages`): the only function that sends mail.

#[tokio::main]
async fn main() -> Result<(), sendas_functions::Error> {
    sendas_functions::run(sendas_api::Area::Send).await
}
