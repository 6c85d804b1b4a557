//! `ORDER_CHANGE` notifications as an EventBridge API destination delivers them: the SP-API
//! notification inside the EventBridge event envelope (`detail`), posted with the connection's
//! API-key header. A duplicate is the same event (same `NotificationId`) sent twice.

use std::time::Duration;

use serde_json::json;

use super::Shared;
use super::store::{NotificationRecord, now, rfc3339};
use crate::WebhookFate;

const TIMEOUT: Duration = Duration::from_secs(5);

pub async fn order_change(shared: &Shared, order_id: &str, change_type: &str, fate: WebhookFate) {
    let times = match fate {
        WebhookFate::Lose => 0,
        WebhookFate::Deliver => 1,
        WebhookFate::Duplicate => 2,
    };
    let Some(event) = shared.with_store(|s| {
        let order = s.order(order_id)?.clone();
        let n = s.next();
        let config = &shared.config;
        let at = rfc3339(now());
        let notification = json!({
            "NotificationVersion": "1.0",
            "NotificationType": "ORDER_CHANGE",
            "PayloadVersion": "1.0",
            "EventTime": at,
            "Payload": {"OrderChangeNotification": {
                "NotificationLevel": "OrderLevel",
                "SellerId": config.seller_id,
                "AmazonOrderId": order.id,
                "OrderChangeType": change_type,
                "OrderChangeTrigger": {"TimeOfOrderChange": rfc3339(order.updated), "ChangeReason": "Simulated change"},
                "Summary": {
                    "MarketplaceId": config.marketplace_id,
                    "OrderStatus": order.v0_status(),
                    "PurchaseDate": rfc3339(order.created),
                    "DestinationPostalCode": "98109",
                    "FulfillmentType": if order.fulfilled_by_amazon { "AFN" } else { "MFN" },
                    "OrderType": "StandardOrder",
                    "OrderItems": order.items.iter().map(|i| {
                        let mut item = json!({
                            "OrderItemId": i.item_id,
                            "SellerSKU": i.sku,
                            "SupplySourceId": null,
                            "Quantity": i.quantity,
                            "QuantityShipped": if order.status == "SHIPPED" { i.quantity } else { 0 },
                        });
                        // The schema knows only these two item statuses.
                        if let status @ ("Unshipped" | "Shipped") = order.v0_status() {
                            item["OrderItemStatus"] = json!(status);
                        }
                        item
                    }).collect::<Vec<_>>(),
                }
            }},
            "NotificationMetadata": {
                "ApplicationId": "amzn1.sellerapps.app.sim",
                "SubscriptionId": "sim-subscription-order-change",
                "PublishTime": at,
                "NotificationId": format!("sim-notification-{n:08}"),
            }
        });
        Some(json!({
            "version": "0",
            "id": format!("sim-event-{n:08}"),
            "detail-type": "ORDER_CHANGE",
            "source": "aws.partner/sellingpartnerapi.amazon.com/amzn1.sellerapps.app.sim",
            "account": "000000000000",
            "time": at,
            "region": "us-east-1",
            "resources": [],
            "detail": notification,
        }))
    }) else {
        return;
    };
    let Some(target) = shared.webhook_target() else {
        return;
    };
    let Ok(body) = serde_json::to_vec(&event) else {
        return;
    };
    let headers = vec![
        ("content-type".to_string(), "application/json".to_string()),
        (
            shared
                .config
                .notification_api_key_header
                .to_ascii_lowercase(),
            shared.config.notification_api_key.clone(),
        ),
    ];
    for _ in 0..times {
        let mut request = shared
            .http
            .post(&target)
            .timeout(TIMEOUT)
            .body(body.clone());
        for (name, value) in &headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let outcome = crate::record::send(&shared.recorder, &shared.http, request).await;
        if matches!(outcome, Ok(status) if (200..300).contains(&status)) {
            shared.journal.webhook_acked(order_id);
        }
        shared.with_store(|s| {
            s.stats.webhooks_sent += 1;
            s.notifications.push(NotificationRecord {
                headers: headers.clone(),
                body: body.clone(),
                outcome,
            });
        });
    }
}
