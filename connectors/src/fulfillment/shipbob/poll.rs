//! The safety net under webhooks: orders changed since the cursor (`LastUpdateStartDate`, oldest
//! first, numbered pages of 250), each read into the events its state stands for. Dedup ids make
//! a fact seen here and by webhook one fact.

use switchyard_core::fulfillment::EventPage;
use switchyard_core::ports::{ChannelError, PollCursor};

use super::client::SbClient;
use super::events::{SkuNames, order_changed_at, order_events};
use super::orders::changed_since;

pub async fn poll(
    client: &SbClient,
    names: &SkuNames,
    cursor: &PollCursor,
) -> Result<EventPage, ChannelError> {
    let page = match cursor.page.as_deref() {
        None => 1,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|&n| n >= 1)
            .ok_or_else(|| {
                ChannelError::Decode(format!("cursor.page `{text}` is not a ShipBob page number"))
            })?,
    };
    let (orders, more) = changed_since(client, cursor.since, page).await?;
    let mut out = EventPage {
        next_page: more.then(|| (page + 1).to_string()),
        ..EventPage::default()
    };
    for order in &orders {
        out.max_seen = out.max_seen.max(order_changed_at(order));
        match order_events(order, names) {
            Ok(events) => out.events.extend(events),
            // One unreadable order must not stall every other order's events; it is reported
            // with the field, and its webhook (read by the same code) would be refused the same.
            Err(e) => tracing::error!(
                order_id = ?order.get("id"),
                field = %e.field,
                problem = %e.problem,
                "shipbob order unreadable; its events are skipped"
            ),
        }
    }
    Ok(out)
}
