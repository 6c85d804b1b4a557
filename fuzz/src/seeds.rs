//! Seeds: the project's own fixtures, read in place (the repository's, and `../shared/fixtures`
//! beside the repository, which CI lays out the same way), plus a few small documents written
//! here for formats no fixture shows.

use std::path::{Path, PathBuf};

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from(".."), Path::to_path_buf)
}

/// `../shared/fixtures` beside the repository.
pub fn shared() -> PathBuf {
    root().join("../shared/fixtures")
}

/// Every file in `dir` whose name ends with one of `endings` (sorted, so seed indexes are
/// stable). A missing folder is an error: the fixtures are part of the test.
pub fn files(dir: &Path, endings: &[&str]) -> Vec<Vec<u8>> {
    let entries = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("fixture folder {} is missing: {e}", dir.display()));
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| endings.iter().any(|e| n.ends_with(e)))
        })
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| std::fs::read(p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display())))
        .collect()
}

fn file(path: PathBuf) -> Vec<u8> {
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {} is missing: {e}", path.display()))
}

fn channel_fixtures(channel: &str) -> Vec<Vec<u8>> {
    files(
        &root().join(format!("connectors/src/channels/{channel}/fixtures")),
        &[".json"],
    )
}

/// Order payloads of one channel as its normalizer reads them.
pub fn orders(channel: &str) -> Vec<Vec<u8>> {
    let mut out = match channel {
        "woocommerce" => Vec::new(),
        other => channel_fixtures(other),
    };
    match channel {
        "shopify" => {
            out.push(file(
                root().join("tests/fixtures/shopify_order_webhook.json"),
            ));
            out.extend(files(&shared().join("shopify"), &["_order.json"]));
        }
        "woocommerce" => {
            out.push(file(root().join("tests/fixtures/woocommerce_order.json")));
            out.extend(files(&shared().join("woocommerce"), &[".json"]));
        }
        "amazon" => out.extend(files(&shared().join("amazon"), &["_200.json"])),
        "bigcommerce" => out.extend(files(
            &shared().join("bigcommerce"),
            &["getOrder_example.json"],
        )),
        _ => {}
    }
    out
}

/// Webhook and notification bodies of one channel: its order payloads and its published
/// notification examples.
pub fn webhooks(channel: &str) -> Vec<Vec<u8>> {
    let mut out = orders(channel);
    match channel {
        "amazon" => out.extend(files(
            &shared().join("amazon"),
            &["notification_example.json"],
        )),
        "ebay" => {
            out.extend(files(&shared().join("ebay"), &["_message.json"]));
            out.push(EBAY_ORDER_NOTIFICATION.as_bytes().to_vec());
        }
        "bigcommerce" => out.extend(files(&shared().join("bigcommerce"), &[".json"])),
        "etsy" => out.push(ETSY_ORDER_PAID.as_bytes().to_vec()),
        _ => {}
    }
    out
}

/// Etsy's `order.paid` webhook: the event and the receipt it names.
const ETSY_ORDER_PAID: &str = r#"{"event_type":"order.paid","resource_url":"https://openapi.etsy.com/v3/application/shops/1/receipts/3456789012","shop_id":1}"#;

/// An order notification shaped like the account-deletion example eBay publishes.
const EBAY_ORDER_NOTIFICATION: &str = r#"{"metadata":{"topic":"ITEM_MARKED_SHIPPED","schemaVersion":"1.0","deprecated":false},"notification":{"notificationId":"49e8d1c4-0000-4000-8000-000000000001","eventDate":"2026-07-18T09:00:00.000Z","publishDate":"2026-07-18T09:00:01.000Z","publishAttemptCount":1,"data":{"orderId":"12-34567-89012","lineItems":[{"lineItemId":"10001"}]}}}"#;

/// X12 files: the shared fixtures and the documents below.
pub fn edi() -> Vec<Vec<u8>> {
    let mut out = files(&shared().join("edi"), &[".edi", ".x12"]);
    out.extend(EDI_DOCUMENTS.iter().map(|d| d.as_bytes().to_vec()));
    out
}

/// Small documents of the sets no shared fixture shows (846, 940, 945, 997), written for these
/// targets after the readers' segment rules.
const EDI_DOCUMENTS: [&str; 4] = [
    concat!(
        "ISA*00*          *00*          *ZZ*PARTNER        *ZZ*SWITCHYARD     *260718*0905*U*00401*000000042*0*P*>~\n",
        "GS*IB*PARTNER*SWITCHYARD*20260718*0905*42*X*004010~\n",
        "ST*846*0001~\nBIA*00*SI*INV-1*20260718~\n",
        "LIN*1*SK*MUG-BLUE*UP*012345678905~\nPID*F****Blue mug~\nQTY*33*12*EA~\n",
        "LIN*2*SK*TEA-EARL~\nQTY*33*0*EA~\nCTT*2~\nSE*9*0001~\n",
        "GE*1*42~\nIEA*1*000000042~\n"
    ),
    concat!(
        "ISA*00*          *00*          *ZZ*SWITCHYARD     *ZZ*PARTNER        *260718*0905*U*00401*000000043*0*P*>~\n",
        "GS*OW*SWITCHYARD*PARTNER*20260718*0905*43*X*004010~\n",
        "ST*940*0001~\nW05*N*ORD-1*PO-1~\nN1*ST*Grace Hopper~\nN3*1 Navy Way*Apt 2~\n",
        "N4*Arlington*VA*22202*US~\nN9*PO*PO-1~\nG62*10*20260718~\n",
        "W66*PP*M***UPS Ground*****UPSN~\nLX*1~\nW01*2*EA*012345678905*VN*V-100~\n",
        "G69*Blue mug~\nW76*2~\nSE*14*0001~\nGE*1*43~\nIEA*1*000000043~\n"
    ),
    concat!(
        "ISA*00*          *00*          *ZZ*PARTNER        *ZZ*SWITCHYARD     *260718*0905*U*00401*000000044*0*P*>~\n",
        "GS*SW*PARTNER*SWITCHYARD*20260718*0905*44*X*004010~\n",
        "ST*945*0001~\nW06*N*ORD-1*20260718*SHIP-1**PO-1~\nN1*ST*Grace Hopper~\n",
        "N3*1 Navy Way~\nN4*Arlington*VA*22202*US~\nN9*CN*1Z999AA10123456784~\n",
        "W27*M*UPSN*UPS Ground~\nLX*1~\nW12*CC*2*2**EA*012345678905*VN*V-100~\nW03*2~\n",
        "SE*12*0001~\nGE*1*44~\nIEA*1*000000044~\n"
    ),
    concat!(
        "ISA*00*          *00*          *ZZ*PARTNER        *ZZ*SWITCHYARD     *260718*0905*U*00401*000000045*0*P*>~\n",
        "GS*FA*PARTNER*SWITCHYARD*20260718*0905*45*X*004010~\n",
        "ST*997*0001~\nAK1*PO*7~\nAK2*850*0001~\nAK3*PO1*3**8~\nAK4*2**7*XX~\nAK5*R*5~\n",
        "AK2*850*0002~\nAK5*A~\nAK9*P*2*2*1~\nSE*10*0001~\nGE*1*45~\nIEA*1*000000045~\n"
    ),
];

/// The configuration example and a small configuration with an `intake:` section.
pub fn configs() -> Vec<Vec<u8>> {
    vec![
        file(root().join("config/switchyard.example.yaml")),
        MINIMAL_CONFIG.as_bytes().to_vec(),
    ]
}

const MINIMAL_CONFIG: &str = "\
store: {url: 'sqlite://t.db'}
intake: {max_line_quantity: 500, max_sku_len: 64}
channels:
  - id: shop
    kind: shopify
    base_url: http://127.0.0.1:1
    access_token: t
    location_id: '1'
    webhook_secret: s
    stock: {buffer: 2}
locations:
  - {id: main, kind: self, country: US, region: OH}
routing:
  rules:
    - name: us
      when: {country: [US]}
      action: {first_in_stock: [main]}
      split: never
  fallback: hold
";

/// Partner CSV files (the `csv_sftp` columns of [`crate::targets::csv_target`]).
pub fn partner_csv() -> Vec<Vec<u8>> {
    vec![
        b"PO,Item,Shipped,Carrier,Tracking\nPO-1,C-MUG,2,UPS,1Z999\nPO-1,TEA,1,UPS,1Z999\n"
            .to_vec(),
        b"\xEF\xBB\xBFItem,On hand\r\nC-MUG,12\r\nTEA,\r\n\"Q,1\",-3\r\n".to_vec(),
        b"po,item,shipped,carrier,tracking,extra\n\"PO-2\",\"C-MUG\",\"1\",\"\",\"T\",x\n,,,,\n"
            .to_vec(),
    ]
}

/// Dropship supplier (`http_json`) webhook envelopes, one or an array.
pub fn http_json_events() -> Vec<Vec<u8>> {
    vec![
        br#"{"id":"evt_1","type":"order.shipped","created_at":"2026-07-18T09:05:00Z","data":{"po_number":"PO-1","order_id":"S-1","carrier":"UPS","tracking_number":"1Z999","tracking_url":"https://t/1Z999","shipped_at":"2026-07-18T09:00:00Z","lines":[{"sku":"V-100","quantity":2}]}}"#.to_vec(),
        br#"[{"id":"evt_2","type":"order.rejected","created_at":"2026-07-18T09:05:00Z","data":{"po_number":"PO-1","reason":"out of stock","lines":[{"sku":"V-100","quantity":1}]}},{"id":"evt_3","type":"order.cancelled","created_at":"2026-07-18T09:06:00+02:00","data":{"po_number":"PO-2","reason":"asked"}}]"#.to_vec(),
        br#"{"id":"evt_4","type":"stock.level","created_at":"2026-07-18T09:05:00Z","data":{"as_of":"2026-07-18T09:00:00Z","levels":[{"sku":"V-100","available":7},{"sku":"V-200","available":0}]}}"#.to_vec(),
        br#"{"id":"evt_5","type":"invoice.paid","created_at":"2026-07-18T09:05:00Z","data":{}}"#.to_vec(),
    ]
}

/// ShipBob shipment (and order-shaped) webhook bodies.
pub fn shipbob_events() -> Vec<Vec<u8>> {
    vec![
        br#"{"id":5,"order_id":7,"reference_id":"shop:1","status":"Completed","tracking":{"carrier":"UPS","tracking_number":"1Z","shipping_date":"2026-01-01T00:00:00+00:00"},"products":[{"reference_id":"MUG","inventory_items":[{"id":1,"quantity":1}]}]}"#.to_vec(),
        br#"{"id":7,"reference_id":"shop:1","status":"Cancelled","shipments":[{"id":5,"order_id":7,"status":"Cancelled","products":[{"reference_id":"MUG","quantity":2}]}]}"#.to_vec(),
        br#"{"id":6,"order_id":8,"reference_id":"shop:2","status":"Exception","status_details":[{"name":"OutOfStock","description":"no stock"}],"products":[]}"#.to_vec(),
    ]
}
