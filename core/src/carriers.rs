//! Carrier names → each channel's own carrier codes, as data: one table per channel from the
//! names merchants and 3PLs write ("UPS", "Fedex", "dhl ecommerce", "Canada Post") to the code
//! the channel takes, a per-channel fallback for names it has no code for, and the merchant's
//! `carriers:` override from the channel's YAML (name → code) consulted first.
//!
//! Names match case- and spacing-insensitively: only letters and digits count, so
//! `"DHL eCommerce"`, `"dhl-ecommerce"` and `"DHLeCommerce"` are one name.
//!
//! Sources of the codes: Amazon's `CarrierCode` list (confirmShipment `carrierCode`, `Other`
//! with `carrierName` for the rest); eBay's `ShippingCarrierCodeType` (Trading API, which the
//! Fulfillment API's `shippingCarrierCode` refers to); Walmart's `carrierName.carrier` enum
//! (specs/walmart orders.json `CarrierNameType`); Etsy's carrier names (lower-case, free text
//! in the spec); BigCommerce's `tracking_carrier` (AfterShip courier slugs, per
//! orders.v2 `orderShipment`), with `shipping_provider` derived from it.

use std::collections::BTreeMap;

use crate::model::ChannelKind;

/// What to send for a carrier the table does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    /// The channel's own "other" code with the carrier's name beside it (Amazon `Other` +
    /// `carrierName`).
    OtherWithName,
    /// The name itself: the field is free text (Etsy `carrier_name`).
    Name,
    /// No carrier code at all; the tracking number still goes (BigCommerce `tracking_carrier`
    /// may be empty).
    Blank,
    /// Nothing the channel takes: the write-back is refused with the carrier named, so the
    /// merchant adds a `carriers:` entry (eBay, which has no name field; Walmart, whose
    /// `otherCarrier` needs a tracking URL we do not have).
    Refuse,
}

/// One channel's table.
#[derive(Debug)]
pub struct CarrierTable {
    pub channel: ChannelKind,
    /// (name or alias, channel code). Names are matched through [`normalize`].
    pub names: &'static [(&'static str, &'static str)],
    /// Every code the channel accepts, when its vocabulary is a closed list in its spec
    /// (`carriers:` overrides are checked against it); `None` when it is open.
    pub closed_codes: Option<&'static [&'static str]>,
    pub fallback: Fallback,
}

/// What a carrier becomes on a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CarrierCode {
    /// The channel's code.
    Code(String),
    /// The channel's "other" marker, with this name (see [`Fallback::OtherWithName`]).
    Other(String),
    /// The name as free text (see [`Fallback::Name`]).
    Name(String),
    /// No carrier code (see [`Fallback::Blank`]).
    Blank,
}

/// A carrier the channel has no code for and no fallback.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{channel} has no carrier code for `{carrier}`: add it under the channel's `carriers:` \
     (name: code) in the configuration"
)]
pub struct UnknownCarrier {
    pub channel: ChannelKind,
    pub carrier: String,
}

/// Lower-case letters and digits only.
pub fn normalize(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

const AMAZON: &[(&str, &str)] = &[
    ("UPS", "UPS"),
    ("United Parcel Service", "UPS"),
    ("UPS Mail Innovations", "UPSMI"),
    ("UPSMI", "UPSMI"),
    ("USPS", "USPS"),
    ("United States Postal Service", "USPS"),
    ("US Postal Service", "USPS"),
    ("FedEx", "FedEx"),
    ("Federal Express", "FedEx"),
    ("FedEx SmartPost", "FedEx SmartPost"),
    ("DHL", "DHL"),
    ("DHL Express", "DHL"),
    ("DHL eCommerce", "DHL eCommerce"),
    ("DHL Global Mail", "DHL eCommerce"),
    ("OnTrac", "OnTrac"),
    ("LaserShip", "Lasership"),
    ("Canada Post", "Canada Post"),
    ("Purolator", "Purolator"),
    ("Royal Mail", "Royal Mail"),
    ("Parcelforce", "Parcelforce"),
    ("Australia Post", "Australia Post"),
    ("AusPost", "Australia Post"),
    ("DPD", "DPD"),
    ("GLS", "GLS"),
    ("TNT", "TNT"),
    ("Yodel", "Yodel"),
    ("Evri", "Hermes"),
    ("Hermes", "Hermes"),
    ("Deutsche Post", "Deutsche Post"),
    ("Japan Post", "Japan Post"),
    ("China Post", "China Post"),
    ("Sendle", "Sendle"),
];

const EBAY: &[(&str, &str)] = &[
    ("UPS", "UPS"),
    ("United Parcel Service", "UPS"),
    ("UPS Mail Innovations", "UPSMailInnovations"),
    ("UPSMI", "UPSMailInnovations"),
    ("USPS", "USPS"),
    ("United States Postal Service", "USPS"),
    ("US Postal Service", "USPS"),
    ("FedEx", "FedEx"),
    ("Federal Express", "FedEx"),
    ("FedEx SmartPost", "FedExSmartPost"),
    ("DHL", "DHL"),
    ("DHL Express", "DHL"),
    ("DHL eCommerce", "DHLGlobalMail"),
    ("DHL Global Mail", "DHLGlobalMail"),
    ("OnTrac", "OnTrac"),
    ("LaserShip", "LaserShip"),
    ("Canada Post", "CanadaPost"),
    ("Purolator", "Purolator"),
    ("Royal Mail", "RoyalMail"),
    ("Parcelforce", "Parcelforce"),
    ("Australia Post", "AustraliaPost"),
    ("AusPost", "AustraliaPost"),
    ("DPD", "DPD"),
    ("GLS", "GLS"),
    ("TNT", "TNT"),
    ("Yodel", "Yodel"),
    ("Evri", "Hermes"),
    ("Hermes", "Hermes"),
    ("Deutsche Post", "DeutschePost"),
    ("Japan Post", "JapanPost"),
    ("China Post", "ChinaPost"),
];

const WALMART: &[(&str, &str)] = &[
    ("UPS", "UPS"),
    ("United Parcel Service", "UPS"),
    ("UPS Mail Innovations", "UPSMI"),
    ("UPSMI", "UPSMI"),
    ("USPS", "USPS"),
    ("United States Postal Service", "USPS"),
    ("US Postal Service", "USPS"),
    ("FedEx", "FedEx"),
    ("Federal Express", "FedEx"),
    ("FedEx SmartPost", "FEDEXSP"),
    ("DHL eCommerce", "DHL Ecommerce - US"),
    ("DHL Global Mail", "DHL Ecommerce - US"),
    ("OnTrac", "OnTrac"),
    ("LaserShip", "LS"),
    ("Airborne", "Airborne"),
    ("Pilot", "PILOT"),
    ("Estes", "ESTES"),
    ("Canada Post", "Canada Post"),
    ("Royal Mail", "Royal Mail"),
    ("GLS", "GLS"),
    ("Deutsche Post", "Deutsche Post"),
    ("Japan Post", "Japan Post"),
    ("China Post", "China Post"),
    ("Sendle", "Sendle"),
];

/// Walmart's `CarrierNameType.carrier` enum (specs/walmart orders.json).
const WALMART_CODES: &[&str] = &[
    "UPS",
    "USPS",
    "FedEx",
    "Airborne",
    "OnTrac",
    "DHL Ecommerce - US",
    "LS",
    "UDS",
    "UPSMI",
    "FDX",
    "PILOT",
    "ESTES",
    "SAIA",
    "FDS Express",
    "Seko Worldwide",
    "HIT Delivery",
    "FEDEXSP",
    "RL Carriers",
    "Metropolitan Warehouse & Delivery",
    "China Post",
    "YunExpress",
    "Yellow Freight Sys",
    "AIT Worldwide Logistics",
    "Chukou1",
    "Sendle",
    "Landmark Global",
    "Sunyou",
    "Yanwen",
    "4PX",
    "GLS",
    "OSM Worldwide",
    "FIRST MILE",
    "AM Trucking",
    "CEVA",
    "India Post",
    "SF Express",
    "CNE",
    "TForce Freight",
    "AxleHire",
    "LSO",
    "Royal Mail",
    "ABF Freight System",
    "WanB",
    "Roadrunner Freight",
    "Meyer Distribution",
    "AAA Cooper",
    "Canada Post",
    "Southeastern Freight Lines",
    "Japan Post",
    "Correos de Mexico",
    "XPO Logistics",
    "JD Logistics",
    "YDH",
    "JCEX",
    "Flyt",
    "Deutsche Post",
];

const ETSY: &[(&str, &str)] = &[
    ("UPS", "ups"),
    ("United Parcel Service", "ups"),
    ("USPS", "usps"),
    ("United States Postal Service", "usps"),
    ("US Postal Service", "usps"),
    ("FedEx", "fedex"),
    ("Federal Express", "fedex"),
    ("DHL", "dhl"),
    ("DHL Express", "dhl-express"),
    ("DHL eCommerce", "dhl-ecommerce"),
    ("DHL Global Mail", "dhl-ecommerce"),
    ("OnTrac", "ontrac"),
    ("LaserShip", "lasership"),
    ("Canada Post", "canada-post"),
    ("Purolator", "purolator"),
    ("Royal Mail", "royal-mail"),
    ("Parcelforce", "parcelforce"),
    ("Australia Post", "australia-post"),
    ("AusPost", "australia-post"),
    ("DPD", "dpd"),
    ("GLS", "gls"),
    ("Evri", "evri"),
    ("Hermes", "evri"),
    ("Deutsche Post", "deutsche-post"),
    ("Japan Post", "japan-post"),
];

/// BigCommerce `tracking_carrier` values (AfterShip courier slugs).
const BIGCOMMERCE: &[(&str, &str)] = &[
    ("UPS", "ups"),
    ("United Parcel Service", "ups"),
    ("USPS", "usps"),
    ("United States Postal Service", "usps"),
    ("US Postal Service", "usps"),
    ("FedEx", "fedex"),
    ("Federal Express", "fedex"),
    ("DHL", "dhl"),
    ("DHL Express", "dhl"),
    ("DHL eCommerce", "dhl-global-mail"),
    ("DHL Global Mail", "dhl-global-mail"),
    ("OnTrac", "ontrac"),
    ("LaserShip", "lasership"),
    ("Canada Post", "canada-post"),
    ("Purolator", "purolator"),
    ("Royal Mail", "royal-mail"),
    ("Parcelforce", "parcel-force"),
    ("Australia Post", "australia-post"),
    ("AusPost", "australia-post"),
    ("DPD", "dpd"),
    ("GLS", "gls"),
    ("TNT", "tnt"),
    ("Yodel", "yodel"),
    ("Deutsche Post", "deutsch-post"),
    ("Japan Post", "japan-post"),
    ("China Post", "china-post"),
];

const AMAZON_TABLE: CarrierTable = CarrierTable {
    channel: ChannelKind::Amazon,
    names: AMAZON,
    closed_codes: None,
    fallback: Fallback::OtherWithName,
};
const EBAY_TABLE: CarrierTable = CarrierTable {
    channel: ChannelKind::Ebay,
    names: EBAY,
    closed_codes: None,
    fallback: Fallback::Refuse,
};
const WALMART_TABLE: CarrierTable = CarrierTable {
    channel: ChannelKind::Walmart,
    names: WALMART,
    closed_codes: Some(WALMART_CODES),
    fallback: Fallback::Refuse,
};
const ETSY_TABLE: CarrierTable = CarrierTable {
    channel: ChannelKind::Etsy,
    names: ETSY,
    closed_codes: None,
    fallback: Fallback::Name,
};
const BIGCOMMERCE_TABLE: CarrierTable = CarrierTable {
    channel: ChannelKind::Bigcommerce,
    names: BIGCOMMERCE,
    closed_codes: None,
    fallback: Fallback::Blank,
};

/// The table of a channel that takes carrier codes; `None` for channels whose carrier field is
/// free text (Shopify's `company`, WooCommerce's tracking provider).
pub fn table(channel: ChannelKind) -> Option<&'static CarrierTable> {
    match channel {
        ChannelKind::Amazon => Some(&AMAZON_TABLE),
        ChannelKind::Ebay => Some(&EBAY_TABLE),
        ChannelKind::Walmart => Some(&WALMART_TABLE),
        ChannelKind::Etsy => Some(&ETSY_TABLE),
        ChannelKind::Bigcommerce => Some(&BIGCOMMERCE_TABLE),
        ChannelKind::Shopify | ChannelKind::Woocommerce => None,
    }
}

/// A channel's carrier mapping with the merchant's overrides (name → code) on top.
#[derive(Debug, Clone)]
pub struct CarrierMap {
    channel: ChannelKind,
    overrides: BTreeMap<String, String>,
}

impl CarrierMap {
    pub fn new(channel: ChannelKind, overrides: &BTreeMap<String, String>) -> Self {
        Self {
            channel,
            overrides: overrides
                .iter()
                .map(|(name, code)| (normalize(name), code.trim().to_string()))
                .collect(),
        }
    }

    /// The channel's code for `carrier`: the override, else the table, else the fallback.
    pub fn resolve(&self, carrier: &str) -> Result<CarrierCode, UnknownCarrier> {
        let key = normalize(carrier);
        if let Some(code) = self.overrides.get(&key) {
            return Ok(CarrierCode::Code(code.clone()));
        }
        let unknown = || UnknownCarrier {
            channel: self.channel,
            carrier: carrier.trim().to_string(),
        };
        let Some(table) = table(self.channel) else {
            return Ok(CarrierCode::Name(carrier.trim().to_string()));
        };
        if key.is_empty() {
            return match table.fallback {
                Fallback::Blank => Ok(CarrierCode::Blank),
                _ => Err(unknown()),
            };
        }
        if let Some((_, code)) = table.names.iter().find(|(name, _)| normalize(name) == key) {
            return Ok(CarrierCode::Code((*code).to_string()));
        }
        match table.fallback {
            Fallback::OtherWithName => Ok(CarrierCode::Other(carrier.trim().to_string())),
            Fallback::Name => Ok(CarrierCode::Name(carrier.trim().to_string())),
            Fallback::Blank => Ok(CarrierCode::Blank),
            Fallback::Refuse => Err(unknown()),
        }
    }
}

/// Problems with a channel's `carriers:` overrides, as (name, message).
pub fn override_issues(
    channel: ChannelKind,
    overrides: &BTreeMap<String, String>,
) -> Vec<(String, String)> {
    let mut issues = Vec::new();
    let Some(table) = table(channel) else {
        if !overrides.is_empty() {
            issues.push((
                String::new(),
                format!("{channel} takes the carrier as free text; `carriers:` does not apply"),
            ));
        }
        return issues;
    };
    for (name, code) in overrides {
        if normalize(name).is_empty() {
            issues.push((
                name.clone(),
                "the carrier name has no letters or digits".into(),
            ));
        }
        let code = code.trim();
        if code.is_empty() {
            issues.push((name.clone(), "the code must not be empty".into()));
        } else if let Some(codes) = table.closed_codes
            && !codes.contains(&code)
        {
            issues.push((
                name.clone(),
                format!("`{code}` is not one of {channel}'s carrier codes"),
            ));
        }
    }
    issues
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(channel: ChannelKind) -> CarrierMap {
        CarrierMap::new(channel, &BTreeMap::new())
    }

    #[test]
    fn names_match_whatever_their_case_and_spacing() {
        let amazon = map(ChannelKind::Amazon);
        for name in [
            "DHL eCommerce",
            "dhl-ecommerce",
            " DHLECOMMERCE ",
            "Dhl E Commerce",
        ] {
            assert_eq!(
                amazon.resolve(name),
                Ok(CarrierCode::Code("DHL eCommerce".into())),
                "{name}"
            );
        }
        assert_eq!(
            map(ChannelKind::Ebay).resolve("canada post"),
            Ok(CarrierCode::Code("CanadaPost".into()))
        );
        assert_eq!(
            map(ChannelKind::Walmart).resolve("fedex"),
            Ok(CarrierCode::Code("FedEx".into()))
        );
    }

    #[test]
    fn each_channel_falls_back_its_own_way() {
        let odd = "Bob's Couriers";
        assert_eq!(
            map(ChannelKind::Amazon).resolve(odd),
            Ok(CarrierCode::Other(odd.into()))
        );
        assert_eq!(
            map(ChannelKind::Etsy).resolve(odd),
            Ok(CarrierCode::Name(odd.into()))
        );
        assert_eq!(
            map(ChannelKind::Bigcommerce).resolve(odd),
            Ok(CarrierCode::Blank)
        );
        for channel in [ChannelKind::Ebay, ChannelKind::Walmart] {
            let err = map(channel).resolve(odd).unwrap_err();
            assert_eq!(err.carrier, odd);
            assert!(err.to_string().contains("Bob's Couriers"), "{err}");
        }
    }

    #[test]
    fn overrides_come_first() {
        let overrides = BTreeMap::from([
            ("Bob's Couriers".to_string(), "BobsCo".to_string()),
            ("UPS".to_string(), "UPS-Freight".to_string()),
        ]);
        let ebay = CarrierMap::new(ChannelKind::Ebay, &overrides);
        assert_eq!(
            ebay.resolve("bobs couriers"),
            Ok(CarrierCode::Code("BobsCo".into()))
        );
        assert_eq!(
            ebay.resolve("ups"),
            Ok(CarrierCode::Code("UPS-Freight".into()))
        );
    }

    #[test]
    fn every_walmart_code_is_in_walmarts_enum() {
        for (name, code) in WALMART {
            assert!(WALMART_CODES.contains(code), "{name} → {code}");
        }
    }

    #[test]
    fn overrides_are_checked_against_closed_lists() {
        let bad = BTreeMap::from([
            ("Bob".to_string(), "Bobs".to_string()),
            ("--".to_string(), "UPS".to_string()),
            ("Ann".to_string(), " ".to_string()),
        ]);
        let issues = override_issues(ChannelKind::Walmart, &bad);
        assert_eq!(issues.len(), 3, "{issues:?}");
        assert!(
            issues
                .iter()
                .any(|(n, m)| n == "Bob" && m.contains("`Bobs`"))
        );
        let good = BTreeMap::from([("Bob".to_string(), "SAIA".to_string())]);
        assert!(override_issues(ChannelKind::Walmart, &good).is_empty());
        assert!(override_issues(ChannelKind::Amazon, &bad).len() == 2);
        assert_eq!(override_issues(ChannelKind::Shopify, &good).len(), 1);
    }
}
