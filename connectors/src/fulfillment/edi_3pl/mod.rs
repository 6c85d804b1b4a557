//! A 3PL over EDI X12 004010 on SFTP: a 940 warehouse shipping order per order (W05 depositor
//! order number derived from the key), and from the inbox 945 (shipped), 846 (stock) and 997s
//! for our 940 groups (accepted or rejected). Every received group is answered with a 997.
//! A 940 cannot be withdrawn by EDI in 004010 (there is no 940 cancel every 3PL honours), so
//! `cancel` is refused and the merchant cancels in the 3PL's portal.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use rust_decimal::Decimal;
use switchyard_core::config::{AdapterConfig, AdapterKind};
use switchyard_core::connector_state::ConnectorState;
use switchyard_core::fulfillment::{
    CancelOutcome, EventPage, FulfillmentOrder, FulfillmentTarget, OrderRef, Receipt, TargetError,
    TargetEvent,
};
use switchyard_core::ports::PollCursor;
use switchyard_edi::docs::advice945::ShippingAdvice;
use switchyard_edi::docs::inventory846::InventoryAdvice;
use switchyard_edi::docs::order940::{ShippingOrder, ShippingOrderLine, WarehouseCarrier};
use switchyard_edi::docs::{ItemIds, Reference};
use switchyard_edi::{ReadError, Transaction};

use super::edi_events::{self, SkuResolver};
use super::edi_link::EdiLink;
use super::edi_supplier::party;
use super::exchange::{FileExchange, SentRecord, file_name, po_number};
use super::sftp::SftpConnection;

pub struct Edi3plTarget {
    id: String,
    exchange: FileExchange,
    link: EdiLink,
    skus: SkuResolver,
    to_partner: BTreeMap<String, String>,
}

impl Edi3plTarget {
    pub fn new(
        location_id: &str,
        config: &AdapterConfig,
        state: Arc<dyn ConnectorState>,
    ) -> Result<Self, String> {
        if config.kind != AdapterKind::Edi3pl {
            return Err(format!(
                "adapter kind {} is not edi_3pl",
                config.kind.as_str()
            ));
        }
        Ok(Edi3plTarget {
            id: location_id.to_string(),
            exchange: FileExchange::new("edi_3pl", location_id, config, state)?,
            link: EdiLink::new("edi_3pl", config)?,
            skus: SkuResolver::new(&config.sku_map),
            to_partner: config.sku_map.clone(),
        })
    }

    /// The 940 for an order: lines carry our SKU (`SK`) and, when the 3PL knows it by another
    /// name, its item number (`VN`).
    pub fn shipping_order(&self, order: &FulfillmentOrder, key: &str) -> ShippingOrder {
        let method = order.shipping.method.trim();
        ShippingOrder {
            status: "N".into(),
            depositor_order_number: po_number(key),
            po_number: Some(order.channel_order_number.clone()).filter(|n| !n.trim().is_empty()),
            ship_to: Some(party(&order.ship_to)),
            references: vec![Reference {
                qualifier: "CO".into(),
                value: order.reference.clone(),
            }],
            requested_ship_date: None,
            carrier: Some(WarehouseCarrier {
                payment: "PP".into(),
                transport: "U".into(),
                routing: (!method.is_empty()).then(|| method.to_string()),
                scac: order.shipping.carrier.clone(),
            }),
            lines: order
                .lines
                .iter()
                .enumerate()
                .map(|(i, line)| {
                    let partner = line
                        .partner_sku
                        .clone()
                        .or_else(|| self.to_partner.get(&line.sku).cloned())
                        .filter(|p| p != &line.sku);
                    ShippingOrderLine {
                        line_number: (i + 1).to_string(),
                        quantity: Decimal::from(line.quantity),
                        unit: "EA".into(),
                        ids: ItemIds {
                            vendor_part: partner,
                            sku: Some(line.sku.clone()),
                            ..ItemIds::default()
                        },
                        description: Some(line.title.clone()).filter(|t| !t.trim().is_empty()),
                    }
                })
                .collect(),
        }
    }

    fn read_set(&self, tx: &Transaction) -> Result<Vec<TargetEvent>, ReadError> {
        match tx.set_id.as_str() {
            "945" => {
                let advice = ShippingAdvice::from_transaction(tx)?;
                let record = self
                    .exchange
                    .known(Some(&advice.depositor_order_number), None);
                Ok(vec![edi_events::from_945(
                    &advice,
                    record.as_ref(),
                    &self.skus,
                )])
            }
            "846" => {
                let advice = InventoryAdvice::from_transaction(tx)?;
                Ok(edi_events::from_846(&advice, &self.skus))
            }
            other => Err(ReadError::WrongSet {
                expected: "945 or 846",
                found: other.to_string(),
            }),
        }
    }

    async fn poll(
        &self,
        conn: &SftpConnection,
        cursor: &PollCursor,
    ) -> Result<EventPage, TargetError> {
        self.exchange.load_sent(conn).await?;
        let files = self.exchange.next_files(conn, cursor).await?;
        let mut events = Vec::new();
        for file in &files {
            let inbound = self
                .link
                .read_file(
                    file,
                    &self.exchange.control,
                    |tx| self.read_set(tx),
                    |ack| {
                        let control = ack.group_control_number.trim().parse().ok();
                        let record = control.and_then(|n| self.exchange.known(None, Some(n)));
                        (ack.functional_id == "OW")
                            .then(|| edi_events::from_997(ack, record.as_ref()))
                            .flatten()
                            .into_iter()
                            .collect()
                    },
                )
                .await?;
            for (name, contents) in &inbound.acks {
                self.exchange
                    .send(conn, name, contents.as_bytes(), None)
                    .await?;
            }
            events.extend(inbound.events);
        }
        FileExchange::page(&files, events)
    }
}

#[async_trait]
impl FulfillmentTarget for Edi3plTarget {
    fn id(&self) -> &str {
        &self.id
    }

    /// Uploads `940_<key>_<hash>.edi` unless the sent log shows this key already went out.
    async fn submit(
        &self,
        order: &FulfillmentOrder,
        idempotency_key: &str,
    ) -> Result<Receipt, TargetError> {
        let conn = self.exchange.connect().await?;
        let result = async {
            if let Some(sent) = self.exchange.find_sent(&conn, idempotency_key).await? {
                return Ok(Receipt {
                    partner_order_id: sent.po_number,
                    accepted: false,
                    already_existed: true,
                });
            }
            let w05 = self.shipping_order(order, idempotency_key);
            let control = self.exchange.control.next().await?;
            let body = w05
                .to_transaction(control)
                .map_err(|e| TargetError::Rejected(format!("940: {e}")))?;
            let text = self.link.render(control, body)?;
            let file = file_name("940", idempotency_key, "edi");
            let record = SentRecord::new(order, idempotency_key, "940", control, &file);
            self.exchange
                .send(&conn, &file, text.as_bytes(), Some(&record))
                .await?;
            Ok(Receipt {
                partner_order_id: w05.depositor_order_number,
                accepted: false,
                already_existed: false,
            })
        }
        .await;
        conn.close().await;
        result
    }

    async fn cancel(
        &self,
        order: &OrderRef,
        _idempotency_key: &str,
    ) -> Result<CancelOutcome, TargetError> {
        Err(TargetError::Unsupported(format!(
            "3PL `{}` takes 940s only; cancel order `{}` in the 3PL's portal",
            self.id, order.reference
        )))
    }

    async fn poll_events(&self, cursor: &PollCursor) -> Result<EventPage, TargetError> {
        let conn = self.exchange.connect().await?;
        let result = self.poll(&conn, cursor).await;
        conn.close().await;
        result
    }
}
