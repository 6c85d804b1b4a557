//! Events out, for operators and integrators: the event log read in pages, the webhook
//! subscriptions with their place in it, their dead letters, and replaying one.

use serde::Serialize;
use switchyard_core::events::{Event, EventType};
use switchyard_core::store::{WebhookCursor, WebhookDeadLetter, now_ms};

use super::{Actor, AppError, AppResult, Operations, check_limit};

/// A page of the event log, oldest first.
#[derive(Debug, Clone, Serialize)]
pub struct EventPage {
    pub events: Vec<Event>,
    /// Pass as `after` for the next page: the last event's id, or the `after` asked for when
    /// the page is empty (nothing newer yet).
    pub next_after: i64,
}

/// A configured webhook subscription and how far it got.
#[derive(Debug, Clone, Serialize)]
pub struct WebhookStatus {
    pub id: String,
    pub url: String,
    /// Subscribed types; empty: all.
    pub events: Vec<String>,
    /// `None` until the daemon has started the subscription.
    pub cursor: Option<WebhookCursor>,
    /// Events in the log after the cursor (of any type): how far behind it could be.
    pub behind: i64,
    /// Dead letters waiting for an operator.
    pub dead_letters: i64,
}

/// Reads `type` filters (`order.shipped,stock.changed`; repeated or comma-separated).
pub fn parse_types(field: &str, given: &[String]) -> AppResult<Vec<EventType>> {
    let mut out = Vec::new();
    for part in given.iter().flat_map(|g| g.split(',')) {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let t: EventType = part
            .parse()
            .map_err(|e| AppError::bad(field, format!("{e}")))?;
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out)
}

impl Operations {
    /// Events after `after`, oldest first; only `types` when given.
    pub async fn events(&self, after: i64, limit: i64, types: &[String]) -> AppResult<EventPage> {
        check_limit("limit", limit)?;
        if after < 0 {
            return Err(AppError::bad("after", "must be 0 or more"));
        }
        let types = parse_types("type", types)?;
        let events = self.store.events(after, limit, &types).await?;
        let next_after = events.last().map_or(after, |e| e.id);
        Ok(EventPage { events, next_after })
    }

    /// Every configured subscription with its cursor (and those the store knows that the
    /// configuration no longer names, with an empty url).
    pub async fn webhooks(&self) -> AppResult<Vec<WebhookStatus>> {
        let cursors = self.store.webhook_cursors().await?;
        let last = self.store.last_event_id().await?;
        let dead = self
            .store
            .webhook_dead_letters(None, true, i64::MAX)
            .await?;
        let dead_of = |id: &str| {
            i64::try_from(
                dead.iter()
                    .filter(|d| d.subscription == id && d.state == "dead")
                    .count(),
            )
            .unwrap_or(i64::MAX)
        };
        let mut out: Vec<WebhookStatus> = Vec::new();
        for hook in self.config().map(|c| c.webhooks.as_slice()).unwrap_or(&[]) {
            let cursor = cursors.iter().find(|c| c.subscription == hook.id).cloned();
            out.push(WebhookStatus {
                id: hook.id.clone(),
                url: hook.url.clone(),
                events: hook.events.clone(),
                behind: last - cursor.as_ref().map_or(last, |c| c.position),
                cursor,
                dead_letters: dead_of(&hook.id),
            });
        }
        for c in cursors {
            if !out.iter().any(|w| w.id == c.subscription) {
                out.push(WebhookStatus {
                    id: c.subscription.clone(),
                    url: String::new(),
                    events: Vec::new(),
                    behind: last - c.position,
                    dead_letters: dead_of(&c.subscription),
                    cursor: Some(c),
                });
            }
        }
        Ok(out)
    }

    /// Dead letters, newest first; `all` includes replays already delivered.
    pub async fn webhook_dead_letters(
        &self,
        subscription: Option<&str>,
        all: bool,
        limit: i64,
    ) -> AppResult<Vec<WebhookDeadLetter>> {
        check_limit("limit", limit)?;
        Ok(self
            .store
            .webhook_dead_letters(subscription, !all, limit)
            .await?)
    }

    /// Sends a webhook dead letter again (same event id) with fresh attempts; the daemon's
    /// worker for its subscription picks it up.
    pub async fn replay_webhook_dead_letter(
        &self,
        actor: &Actor,
        id: i64,
    ) -> AppResult<WebhookDeadLetter> {
        let result = self
            .store
            .replay_webhook_dead_letter(id, now_ms())
            .await
            .map_err(AppError::from);
        self.recorded(
            actor,
            "replay_webhook",
            format!("webhook_dead_letter:{id}"),
            serde_json::json!({"id": id}),
            result,
            |d| {
                format!(
                    "event {} queued again for subscription {}",
                    d.event_id, d.subscription
                )
            },
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_filters_are_read_from_lists_and_unknown_ones_name_the_field() {
        let given = vec![
            "order.shipped, stock.changed".to_string(),
            "order.shipped".into(),
        ];
        assert_eq!(
            parse_types("type", &given).unwrap(),
            [EventType::OrderShipped, EventType::StockChanged]
        );
        assert!(parse_types("type", &[]).unwrap().is_empty());
        match parse_types("type", &["order.updated".into()]) {
            Err(AppError::BadInput { field, .. }) => assert_eq!(field, "type"),
            other => panic!("{other:?}"),
        }
    }
}
