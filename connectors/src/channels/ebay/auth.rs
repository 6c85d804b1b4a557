//! eBay OAuth: the seller's refresh token traded for a two-hour user access token (Sell APIs),
//! and a client-credentials application token (Notification API `getPublicKey`). Both are
//! cached until shortly before they expire. Secrets never reach a log line or an error.

use switchyard_core::ports::ChannelError;

use crate::http::{FreshToken, TokenCache, read_token_response, transport};

pub const DEFAULT_TOKEN_URL: &str = "https://api.ebay.com/identity/v1/oauth2/token";

/// What the Sell calls need: inventory (stock, listings) and fulfillment (orders, tracking).
pub const SELL_SCOPES: &str = "https://api.ebay.com/oauth/api_scope/sell.inventory \
https://api.ebay.com/oauth/api_scope/sell.fulfillment";

/// The public scope an application token carries.
pub const APPLICATION_SCOPE: &str = "https://api.ebay.com/oauth/api_scope";

/// Which OAuth grant a [`TokenSource`] uses.
pub enum Grant {
    /// User token for the seller's own data (`grant_type=refresh_token`).
    RefreshToken { refresh_token: String },
    /// Application token (`grant_type=client_credentials`).
    ClientCredentials,
}

pub struct TokenSource {
    http: reqwest::Client,
    token_url: String,
    client_id: String,
    client_secret: String,
    grant: Grant,
    cache: TokenCache,
}

impl TokenSource {
    pub fn new(
        http: reqwest::Client,
        token_url: String,
        client_id: String,
        client_secret: String,
        grant: Grant,
    ) -> Self {
        Self {
            http,
            token_url,
            client_id,
            client_secret,
            grant,
            cache: TokenCache::new(),
        }
    }

    /// A valid access token, from the cache or freshly exchanged.
    pub async fn token(&self) -> Result<String, ChannelError> {
        self.cache.get(|| self.exchange()).await
    }

    /// Drops `rejected` so the next [`TokenSource::token`] exchanges again (unless another
    /// task already replaced it).
    pub async fn invalidate(&self, rejected: &str) {
        self.cache.invalidate(rejected).await;
    }

    async fn exchange(&self) -> Result<FreshToken, ChannelError> {
        let form: Vec<(&str, &str)> = match &self.grant {
            Grant::RefreshToken { refresh_token } => vec![
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token.as_str()),
                ("scope", SELL_SCOPES),
            ],
            Grant::ClientCredentials => vec![
                ("grant_type", "client_credentials"),
                ("scope", APPLICATION_SCOPE),
            ],
        };
        let response = self
            .http
            .post(&self.token_url)
            .basic_auth(&self.client_id, Some(&self.client_secret))
            .form(&form)
            .send()
            .await
            .map_err(transport)?;
        read_token_response(response, "eBay", "the token request").await
    }
}
