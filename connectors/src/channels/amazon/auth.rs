//! Login with Amazon: a refresh token traded for an hour-long access token, cached until
//! shortly before it expires. Secrets never reach a log line or an error message.

use switchyard_core::ports::ChannelError;

use crate::http::{FreshToken, TokenCache, read_token_response, transport};

pub const DEFAULT_TOKEN_URL: &str = "https://api.amazon.com/auth/o2/token";

pub struct Credentials {
    pub token_url: String,
    pub client_id: String,
    pub client_secret: String,
    pub refresh_token: String,
}

pub struct TokenSource {
    http: reqwest::Client,
    credentials: Credentials,
    cache: TokenCache,
}

impl TokenSource {
    pub fn new(http: reqwest::Client, credentials: Credentials) -> Self {
        Self {
            http,
            credentials,
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
        let c = &self.credentials;
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", c.refresh_token.as_str()),
            ("client_id", c.client_id.as_str()),
            ("client_secret", c.client_secret.as_str()),
        ];
        let response = self
            .http
            .post(&c.token_url)
            .form(&form)
            .send()
            .await
            .map_err(transport)?;
        read_token_response(response, "Login with Amazon", "the refresh token").await
    }
}
