//! A dropship supplier over EDI X12 004010 on SFTP: an 850 per order (PO number derived from
//! the key, lines with the supplier's part as `VN` and our SKU as `BP`), the 850 cancellation
//! (BEG01 `01`), and from the inbox 855 (line acceptance), 856 (shipments), 846 (stock),
//! 810 (logged: invoices are not part of the port) and 997s. Every received group is answered
//! with a 997 in the outbox. See `exchange` for the at-least-once contract.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::Utc;
use rust_decimal::Decimal;
use switchyard_core::config::{AdapterConfig, AdapterKind};
use switchyard_core::connector_state::ConnectorState;
use switchyard_core::fulfillment::{
    CancelOutcome, EventPage, FulfillmentOrder, FulfillmentTarget, OrderRef, Receipt, TargetError,
    TargetEvent,
};
use switchyard_core::model::Address;
use switchyard_core::ports::PollCursor;
use switchyard_edi::docs::ack855::PoAcknowledgement;
use switchyard_edi::docs::asn856::ShipNotice;
use switchyard_edi::docs::inventory846::InventoryAdvice;
use switchyard_edi::docs::invoice810::Invoice;
use switchyard_edi::docs::po850::{PoLine, PoPurpose, PurchaseOrder};
use switchyard_edi::docs::{ItemIds, Party, Reference};
use switchyard_edi::{ReadError, Transaction};

use super::edi_events::{self, SkuResolver};
use super::edi_link::EdiLink;
use super::exchange::{FileExchange, SentRecord, file_name, po_number};
use super::sftp::SftpConnection;

pub struct EdiSupplierTarget {
    id: String,
    exchange: FileExchange,
    link: EdiLink,
    skus: SkuResolver,
    to_partner: BTreeMap<String, String>,
}

impl EdiSupplierTarget {
    pub fn new(
        location_id: &str,
        config: &AdapterConfig,
        state: Arc<dyn ConnectorState>,
    ) -> Result<Self, String> {
        if config.kind != AdapterKind::EdiSupplier {
            return Err(format!(
                "adapter kind {} is not edi_supplier",
                config.kind.as_str()
            ));
        }
        Ok(EdiSupplierTarget {
            id: location_id.to_string(),
            exchange: FileExchange::new("edi_supplier", location_id, config, state)?,
            link: EdiLink::new("edi_supplier", config)?,
            skus: SkuResolver::new(&config.sku_map),
            to_partner: config.sku_map.clone(),
        })
    }

    /// The 850 for an order.
    pub fn purchase_order(&self, order: &FulfillmentOrder, key: &str) -> PurchaseOrder {
        let method = order.shipping.method.trim();
        PurchaseOrder {
            purpose: PoPurpose::Original,
            order_type: "DS".into(),
            po_number: po_number(key),
            date: order
                .placed_at
                .map(|t| t.date_naive())
                .unwrap_or_else(|| Utc::now().date_naive()),
            currency: Some(order.currency.clone()).filter(|c| !c.trim().is_empty()),
            references: vec![Reference {
                qualifier: "CO".into(),
                value: order.channel_order_number.clone(),
            }],
            dates: Vec::new(),
            carrier_scac: order.shipping.carrier.clone(),
            carrier_routing: (!method.is_empty()).then(|| method.to_string()),
            ship_to: Some(party(&order.ship_to)),
            lines: order
                .lines
                .iter()
                .enumerate()
                .map(|(i, line)| PoLine {
                    line_number: Some((i + 1).to_string()),
                    quantity: Decimal::from(line.quantity),
                    unit: "EA".into(),
                    unit_price: Some(line.unit_price),
                    ids: ItemIds {
                        vendor_part: Some(
                            line.partner_sku
                                .clone()
                                .or_else(|| self.to_partner.get(&line.sku).cloned())
                                .unwrap_or_else(|| line.sku.clone()),
                        ),
                        buyer_part: Some(line.sku.clone()),
                        ..ItemIds::default()
                    },
                    description: Some(line.title.clone()).filter(|t| !t.trim().is_empty()),
                })
                .collect(),
        }
    }

    fn read_set(
        &self,
        tx: &Transaction,
        conn_records: &dyn Fn(&str) -> Option<SentRecord>,
    ) -> Result<Vec<TargetEvent>, ReadError> {
        match tx.set_id.as_str() {
            "855" => {
                let ack = PoAcknowledgement::from_transaction(tx)?;
                let record = conn_records(&ack.po_number);
                Ok(edi_events::from_855(&ack, record.as_ref(), &self.skus))
            }
            "856" => {
                let notice = ShipNotice::from_transaction(tx)?;
                Ok(edi_events::from_856(&notice, conn_records, &self.skus))
            }
            "846" => {
                let advice = InventoryAdvice::from_transaction(tx)?;
                Ok(edi_events::from_846(&advice, &self.skus))
            }
            "810" => {
                let invoice = Invoice::from_transaction(tx)?;
                tracing::info!(
                    supplier = %self.id,
                    invoice = %invoice.invoice_number,
                    po = ?invoice.po_number,
                    total = %invoice.total,
                    "supplier invoice received (not acted on)"
                );
                Ok(Vec::new())
            }
            other => Err(ReadError::WrongSet {
                expected: "855, 856, 846 or 810",
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
        let records = |po: &str| self.exchange.known(Some(po), None);
        let mut events = Vec::new();
        for file in &files {
            let inbound = self
                .link
                .read_file(
                    file,
                    &self.exchange.control,
                    |tx| self.read_set(tx, &records),
                    |ack| {
                        let control = ack.group_control_number.trim().parse().ok();
                        let record = control.and_then(|n| self.exchange.known(None, Some(n)));
                        (ack.functional_id == "PO")
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

/// An order address as an N1*ST loop.
pub(crate) fn party(address: &Address) -> Party {
    Party {
        name: address.name.clone().or_else(|| address.company.clone()),
        id: None,
        additional_name: address.name.as_ref().and(address.company.clone()),
        address: [&address.address1, &address.address2]
            .into_iter()
            .flatten()
            .cloned()
            .collect(),
        city: address.city.clone(),
        state: address.region.clone(),
        postal_code: address.postal_code.clone(),
        country: address.country_code.clone(),
    }
}

#[async_trait]
impl FulfillmentTarget for EdiSupplierTarget {
    fn id(&self) -> &str {
        &self.id
    }

    /// Uploads `850_<key>_<hash>.edi` unless the sent log shows this key already went out.
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
            let po = self.purchase_order(order, idempotency_key);
            let control = self.exchange.control.next().await?;
            let body = po
                .to_transaction(control)
                .map_err(|e| TargetError::Rejected(format!("850: {e}")))?;
            let text = self.link.render(control, body)?;
            let file = file_name("850", idempotency_key, "edi");
            let record = SentRecord::new(order, idempotency_key, "850", control, &file);
            self.exchange
                .send(&conn, &file, text.as_bytes(), Some(&record))
                .await?;
            Ok(Receipt {
                partner_order_id: po.po_number,
                accepted: false,
                already_existed: false,
            })
        }
        .await;
        conn.close().await;
        result
    }

    /// Sends the 850 again with BEG01 `01` (same PO number and lines); the supplier's answer
    /// comes back as an 855 or 997.
    async fn cancel(
        &self,
        order: &OrderRef,
        _idempotency_key: &str,
    ) -> Result<CancelOutcome, TargetError> {
        let conn = self.exchange.connect().await?;
        let result = async {
            let Some(sent) = self.exchange.find_sent(&conn, &order.reference).await? else {
                return Err(TargetError::NotFound(format!(
                    "no purchase order was sent for `{}`",
                    order.reference
                )));
            };
            let po = PurchaseOrder {
                purpose: PoPurpose::Cancellation,
                order_type: "DS".into(),
                po_number: sent.po_number.clone(),
                date: Utc::now().date_naive(),
                currency: None,
                references: Vec::new(),
                dates: Vec::new(),
                carrier_scac: None,
                carrier_routing: None,
                ship_to: None,
                lines: sent
                    .lines
                    .iter()
                    .enumerate()
                    .map(|(i, l)| PoLine {
                        line_number: Some((i + 1).to_string()),
                        quantity: Decimal::from(l.quantity),
                        unit: "EA".into(),
                        unit_price: None,
                        ids: ItemIds {
                            vendor_part: Some(l.partner_item.clone()),
                            buyer_part: Some(l.sku.clone()),
                            ..ItemIds::default()
                        },
                        description: None,
                    })
                    .collect(),
            };
            let control = self.exchange.control.next().await?;
            let body = po
                .to_transaction(control)
                .map_err(|e| TargetError::Rejected(format!("850 cancellation: {e}")))?;
            let text = self.link.render(control, body)?;
            // Sorts after the PO's own file, for partners that process by name.
            let original = file_name("850", &order.reference, "edi");
            let file = format!("{}_cancel.edi", original.trim_end_matches(".edi"));
            self.exchange
                .send(&conn, &file, text.as_bytes(), None)
                .await?;
            Ok(CancelOutcome::Requested)
        }
        .await;
        conn.close().await;
        result
    }

    async fn poll_events(&self, cursor: &PollCursor) -> Result<EventPage, TargetError> {
        let conn = self.exchange.connect().await?;
        let result = self.poll(&conn, cursor).await;
        conn.close().await;
        result
    }
}
