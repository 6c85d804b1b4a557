//! A dropship supplier exchanging CSV files over SFTP, with the column layout configured per
//! supplier: one order file per order (a row per line) in the outbox; shipment files (rows of
//! PO, SKU, quantity, carrier, tracking) and stock feeds (SKU, quantity) in the inbox, told
//! apart by name prefix. Headers are matched trimmed and case-insensitively. CSV has no
//! cancellation message, so `cancel` is refused. See `exchange` for the at-least-once contract.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::Utc;
use switchyard_core::config::{AdapterConfig, AdapterKind, CsvColumn, CsvConfig, CsvField};
use switchyard_core::connector_state::ConnectorState;
use switchyard_core::fulfillment::{
    CancelOutcome, EventKind, EventPage, FulfillmentLine, FulfillmentOrder, FulfillmentTarget,
    LineQuantity, OrderRef, Receipt, TargetError, TargetEvent,
};
use switchyard_core::ports::PollCursor;

use super::exchange::{FileExchange, Incoming, SentRecord, file_name, po_number};
use super::sftp::SftpConnection;

pub struct CsvSftpTarget {
    id: String,
    exchange: FileExchange,
    layout: CsvConfig,
    to_partner: BTreeMap<String, String>,
    from_partner: BTreeMap<String, String>,
}

/// Why a received CSV could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CsvReadError {
    #[error("{file}: no column `{header}` (for {field:?})")]
    MissingColumn {
        file: String,
        header: String,
        field: CsvField,
    },
    #[error("{file} row {row}: {field:?} `{value}` is not a whole number")]
    BadNumber {
        file: String,
        row: usize,
        field: CsvField,
        value: String,
    },
    #[error("{file}: {reason}")]
    Syntax { file: String, reason: String },
}

impl CsvSftpTarget {
    pub fn new(
        location_id: &str,
        config: &AdapterConfig,
        state: Arc<dyn ConnectorState>,
    ) -> Result<Self, String> {
        if config.kind != AdapterKind::CsvSftp {
            return Err(format!(
                "adapter kind {} is not csv_sftp",
                config.kind.as_str()
            ));
        }
        let layout = config
            .csv
            .clone()
            .ok_or("a csv block is required for a csv_sftp adapter")?;
        for (name, columns, needed) in [
            (
                "order_columns",
                &layout.order_columns,
                &[CsvField::PoNumber][..],
            ),
            (
                "shipment_columns",
                &layout.shipment_columns,
                &[CsvField::PoNumber, CsvField::Tracking][..],
            ),
        ] {
            for field in needed {
                if !columns.iter().any(|c| c.field == *field) {
                    return Err(format!("csv.{name} needs a column for {field:?}"));
                }
            }
        }
        Ok(CsvSftpTarget {
            id: location_id.to_string(),
            exchange: FileExchange::new("csv_sftp", location_id, config, state)?,
            layout,
            to_partner: config.sku_map.clone(),
            from_partner: config
                .sku_map
                .iter()
                .map(|(s, p)| (p.clone(), s.clone()))
                .collect(),
        })
    }

    /// The order file: the configured headers, then one row per line.
    pub fn order_file(&self, order: &FulfillmentOrder, key: &str) -> Result<Vec<u8>, TargetError> {
        let po = po_number(key);
        let mut out = csv::Writer::from_writer(Vec::new());
        let fail = |e: csv::Error| TargetError::Rejected(format!("order CSV: {e}"));
        out.write_record(self.layout.order_columns.iter().map(|c| c.header.as_str()))
            .map_err(fail)?;
        for line in &order.lines {
            let row: Vec<String> = self
                .layout
                .order_columns
                .iter()
                .map(|c| self.order_value(c.field, order, line, &po))
                .collect();
            out.write_record(&row).map_err(fail)?;
        }
        out.into_inner()
            .map_err(|e| TargetError::Rejected(format!("order CSV: {e}")))
    }

    fn order_value(
        &self,
        field: CsvField,
        order: &FulfillmentOrder,
        line: &FulfillmentLine,
        po: &str,
    ) -> String {
        let a = &order.ship_to;
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        match field {
            CsvField::PoNumber => po.to_string(),
            CsvField::OrderNumber => order.channel_order_number.clone(),
            CsvField::Sku => line.sku.clone(),
            CsvField::PartnerSku => line
                .partner_sku
                .clone()
                .or_else(|| self.to_partner.get(&line.sku).cloned())
                .unwrap_or_else(|| line.sku.clone()),
            CsvField::Quantity => line.quantity.to_string(),
            CsvField::UnitPrice => line.unit_price.to_string(),
            CsvField::Title => line.title.clone(),
            CsvField::ShipToName => a
                .name
                .clone()
                .or_else(|| a.company.clone())
                .unwrap_or_default(),
            CsvField::Address1 => text(&a.address1),
            CsvField::Address2 => text(&a.address2),
            CsvField::City => text(&a.city),
            CsvField::Region => text(&a.region),
            CsvField::PostalCode => text(&a.postal_code),
            CsvField::Country => text(&a.country_code),
            CsvField::Phone => text(&a.phone),
            CsvField::Email => text(&order.email),
            CsvField::Carrier => order.shipping.carrier.clone().unwrap_or_default(),
            CsvField::Tracking => String::new(),
        }
    }

    fn sku(&self, sku: Option<&str>, partner: Option<&str>) -> Option<String> {
        sku.filter(|s| !s.is_empty())
            .map(str::to_string)
            .or_else(|| {
                partner
                    .filter(|p| !p.is_empty())
                    .map(|p| self.from_partner.get(p).cloned().unwrap_or(p.to_string()))
            })
    }

    /// Shipment rows grouped by (PO, tracking) into one `Shipped` event each.
    pub fn read_shipments(&self, file: &Incoming) -> Result<Vec<TargetEvent>, CsvReadError> {
        let rows = read_rows(file, &self.layout.shipment_columns)?;
        let now = Utc::now().fixed_offset();
        let mut events: Vec<TargetEvent> = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            let get = |f: CsvField| row.get(&f).map(String::as_str);
            let (Some(po), Some(tracking)) = (get(CsvField::PoNumber), get(CsvField::Tracking))
            else {
                continue;
            };
            if po.is_empty() || tracking.is_empty() {
                continue;
            }
            let quantity = quantity(file, i + 2, CsvField::Quantity, get(CsvField::Quantity))?;
            let sku = self.sku(get(CsvField::Sku), get(CsvField::PartnerSku));
            let record = self.exchange.known(Some(po), None);
            let dedup_id = format!("csv-ship:{po}:{tracking}");
            let line = sku.map(|sku| LineQuantity {
                sku,
                quantity: u32::try_from(quantity.max(0)).unwrap_or(0),
            });
            if let Some(existing) = events.iter_mut().find(|e| e.dedup_id == dedup_id) {
                if let (EventKind::Shipped { lines, .. }, Some(line)) = (&mut existing.kind, line) {
                    lines.push(line);
                }
                continue;
            }
            events.push(TargetEvent {
                dedup_id,
                order_reference: Some(record.map(|r| r.key).unwrap_or_else(|| po.to_string())),
                partner_order_id: Some(po.to_string()),
                occurred_at: None,
                kind: EventKind::Shipped {
                    lines: line.into_iter().collect(),
                    carrier: get(CsvField::Carrier).unwrap_or_default().to_string(),
                    tracking_number: tracking.to_string(),
                    tracking_url: None,
                    shipped_at: now,
                },
            });
        }
        Ok(events)
    }

    /// Stock feed rows → `StockLevel`, keyed by the file name (each feed is a new report).
    pub fn read_stock(&self, file: &Incoming) -> Result<Vec<TargetEvent>, CsvReadError> {
        let rows = read_rows(file, &self.layout.stock_columns)?;
        let mut out = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            let get = |f: CsvField| row.get(&f).map(String::as_str);
            let Some(sku) = self.sku(get(CsvField::Sku), get(CsvField::PartnerSku)) else {
                continue;
            };
            let available = quantity(file, i + 2, CsvField::Quantity, get(CsvField::Quantity))?;
            out.push(TargetEvent {
                dedup_id: format!("csv-stock:{}:{sku}", file.name),
                order_reference: None,
                partner_order_id: None,
                occurred_at: None,
                kind: EventKind::StockLevel { sku, available },
            });
        }
        Ok(out)
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
            let lower = file.name.to_ascii_lowercase();
            let read = if lower.starts_with(&self.layout.shipment_prefix.to_ascii_lowercase()) {
                self.read_shipments(file)
            } else if !self.layout.stock_columns.is_empty()
                && lower.starts_with(&self.layout.stock_prefix.to_ascii_lowercase())
            {
                self.read_stock(file)
            } else {
                tracing::warn!(supplier = %self.id, file = %file.name, "inbox file of no known kind");
                Ok(Vec::new())
            };
            match read {
                Ok(found) => events.extend(found),
                // Archived with the rest so the sweep goes on; the log names the problem.
                Err(e) => tracing::error!(supplier = %self.id, error = %e, "unreadable CSV"),
            }
        }
        FileExchange::page(&files, events)
    }
}

fn quantity(
    file: &Incoming,
    row: usize,
    field: CsvField,
    value: Option<&str>,
) -> Result<i64, CsvReadError> {
    let value = value.unwrap_or("0");
    let text = if value.is_empty() { "0" } else { value };
    text.parse::<i64>().map_err(|_| CsvReadError::BadNumber {
        file: file.name.clone(),
        row,
        field,
        value: value.to_string(),
    })
}

/// Rows as field → trimmed value, using the configured headers.
fn read_rows(
    file: &Incoming,
    columns: &[CsvColumn],
) -> Result<Vec<BTreeMap<CsvField, String>>, CsvReadError> {
    let syntax = |e: csv::Error| CsvReadError::Syntax {
        file: file.name.clone(),
        reason: e.to_string(),
    };
    let bytes = file
        .bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(&file.bytes);
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let headers: Vec<String> = reader
        .headers()
        .map_err(syntax)?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let mut positions = Vec::new();
    for column in columns {
        let wanted = column.header.trim().to_ascii_lowercase();
        let Some(at) = headers.iter().position(|h| *h == wanted) else {
            return Err(CsvReadError::MissingColumn {
                file: file.name.clone(),
                header: column.header.clone(),
                field: column.field,
            });
        };
        positions.push((column.field, at));
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(syntax)?;
        if record.iter().all(|v| v.trim().is_empty()) {
            continue;
        }
        rows.push(
            positions
                .iter()
                .map(|(field, at)| (*field, record.get(*at).unwrap_or("").trim().to_string()))
                .collect(),
        );
    }
    Ok(rows)
}

#[async_trait]
impl FulfillmentTarget for CsvSftpTarget {
    fn id(&self) -> &str {
        &self.id
    }

    /// Uploads `po_<key>_<hash>.csv` unless the sent log shows this key already went out.
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
            let contents = self.order_file(order, idempotency_key)?;
            let file = file_name("po", idempotency_key, "csv");
            let record = SentRecord::new(order, idempotency_key, "csv", 0, &file);
            self.exchange
                .send(&conn, &file, &contents, Some(&record))
                .await?;
            Ok(Receipt {
                partner_order_id: record.po_number,
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
            "supplier `{}` takes CSV orders only; cancel `{}` with the supplier directly",
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
