//! Approximate geographic centres of countries and of US states, Canadian provinces and
//! Australian states, so `nearest_in_stock` can rank locations by distance to a ship-to
//! address without a geocoder. Accurate to a few tenths of a degree: enough to tell Berlin
//! from Madrid or Ontario from British Columbia, which is all the ranking needs.

use crate::config::Coordinates;

/// (ISO 3166-1 alpha-2, latitude, longitude).
const COUNTRIES: &[(&str, f64, f64)] = &[
    ("AE", 23.42, 53.85),
    ("AR", -38.42, -63.62),
    ("AT", 47.52, 14.55),
    ("AU", -25.27, 133.78),
    ("BD", 23.68, 90.36),
    ("BE", 50.50, 4.47),
    ("BG", 42.73, 25.49),
    ("BR", -14.24, -51.93),
    ("CA", 56.13, -106.35),
    ("CH", 46.82, 8.23),
    ("CL", -35.68, -71.54),
    ("CN", 35.86, 104.20),
    ("CO", 4.57, -74.30),
    ("CR", 9.75, -83.75),
    ("CY", 35.13, 33.43),
    ("CZ", 49.82, 15.47),
    ("DE", 51.17, 10.45),
    ("DK", 56.26, 9.50),
    ("EC", -1.83, -78.18),
    ("EE", 58.60, 25.01),
    ("EG", 26.82, 30.80),
    ("ES", 40.46, -3.75),
    ("FI", 61.92, 25.75),
    ("FR", 46.23, 2.21),
    ("GB", 55.38, -3.44),
    ("GR", 39.07, 21.82),
    ("HK", 22.40, 114.11),
    ("HR", 45.10, 15.20),
    ("HU", 47.16, 19.50),
    ("ID", -0.79, 113.92),
    ("IE", 53.41, -8.24),
    ("IL", 31.05, 34.85),
    ("IN", 20.59, 78.96),
    ("IS", 64.96, -19.02),
    ("IT", 41.87, 12.57),
    ("JP", 36.20, 138.25),
    ("KE", -0.02, 37.91),
    ("KR", 35.91, 127.77),
    ("KW", 29.31, 47.48),
    ("LT", 55.17, 23.88),
    ("LU", 49.82, 6.13),
    ("LV", 56.88, 24.60),
    ("MA", 31.79, -7.09),
    ("MT", 35.94, 14.38),
    ("MX", 23.63, -102.55),
    ("MY", 4.21, 101.98),
    ("NG", 9.08, 8.68),
    ("NL", 52.13, 5.29),
    ("NO", 60.47, 8.47),
    ("NZ", -40.90, 174.89),
    ("PE", -9.19, -75.02),
    ("PH", 12.88, 121.77),
    ("PK", 30.38, 69.35),
    ("PL", 51.92, 19.15),
    ("PR", 18.22, -66.59),
    ("PT", 39.40, -8.22),
    ("QA", 25.35, 51.18),
    ("RO", 45.94, 24.97),
    ("RS", 44.02, 21.01),
    ("RU", 61.52, 105.32),
    ("SA", 23.89, 45.08),
    ("SE", 60.13, 18.64),
    ("SG", 1.35, 103.82),
    ("SI", 46.15, 14.99),
    ("SK", 48.67, 19.70),
    ("TH", 15.87, 100.99),
    ("TR", 38.96, 35.24),
    ("TW", 23.70, 120.96),
    ("UA", 48.38, 31.17),
    ("US", 37.09, -95.71),
    ("UY", -32.52, -55.77),
    ("VN", 14.06, 108.28),
    ("ZA", -30.56, 22.94),
];

/// (country, subdivision code, name, latitude, longitude).
const REGIONS: &[(&str, &str, &str, f64, f64)] = &[
    ("US", "AL", "Alabama", 32.81, -86.79),
    ("US", "AK", "Alaska", 64.20, -152.00),
    ("US", "AZ", "Arizona", 34.05, -111.09),
    ("US", "AR", "Arkansas", 34.80, -92.20),
    ("US", "CA", "California", 36.78, -119.42),
    ("US", "CO", "Colorado", 39.55, -105.78),
    ("US", "CT", "Connecticut", 41.60, -72.70),
    ("US", "DE", "Delaware", 39.00, -75.50),
    ("US", "DC", "District of Columbia", 38.90, -77.03),
    ("US", "FL", "Florida", 27.99, -81.76),
    ("US", "GA", "Georgia", 32.17, -82.90),
    ("US", "HI", "Hawaii", 20.80, -156.33),
    ("US", "ID", "Idaho", 44.07, -114.74),
    ("US", "IL", "Illinois", 40.00, -89.00),
    ("US", "IN", "Indiana", 40.27, -86.13),
    ("US", "IA", "Iowa", 42.03, -93.58),
    ("US", "KS", "Kansas", 38.50, -98.00),
    ("US", "KY", "Kentucky", 37.84, -84.27),
    ("US", "LA", "Louisiana", 30.98, -91.96),
    ("US", "ME", "Maine", 45.25, -69.45),
    ("US", "MD", "Maryland", 39.05, -76.64),
    ("US", "MA", "Massachusetts", 42.41, -71.38),
    ("US", "MI", "Michigan", 44.31, -85.60),
    ("US", "MN", "Minnesota", 46.73, -94.69),
    ("US", "MS", "Mississippi", 32.74, -89.68),
    ("US", "MO", "Missouri", 38.46, -92.29),
    ("US", "MT", "Montana", 46.88, -110.36),
    ("US", "NE", "Nebraska", 41.49, -99.90),
    ("US", "NV", "Nevada", 38.80, -116.42),
    ("US", "NH", "New Hampshire", 43.19, -71.57),
    ("US", "NJ", "New Jersey", 40.06, -74.41),
    ("US", "NM", "New Mexico", 34.52, -105.87),
    ("US", "NY", "New York", 43.00, -75.00),
    ("US", "NC", "North Carolina", 35.76, -79.02),
    ("US", "ND", "North Dakota", 47.55, -101.00),
    ("US", "OH", "Ohio", 40.42, -82.91),
    ("US", "OK", "Oklahoma", 35.58, -97.49),
    ("US", "OR", "Oregon", 43.80, -120.55),
    ("US", "PA", "Pennsylvania", 41.20, -77.19),
    ("US", "RI", "Rhode Island", 41.58, -71.48),
    ("US", "SC", "South Carolina", 33.84, -81.16),
    ("US", "SD", "South Dakota", 43.97, -99.90),
    ("US", "TN", "Tennessee", 35.52, -86.58),
    ("US", "TX", "Texas", 31.97, -99.90),
    ("US", "UT", "Utah", 39.32, -111.09),
    ("US", "VT", "Vermont", 44.56, -72.58),
    ("US", "VA", "Virginia", 37.43, -78.66),
    ("US", "WA", "Washington", 47.75, -120.74),
    ("US", "WV", "West Virginia", 38.60, -80.45),
    ("US", "WI", "Wisconsin", 44.50, -89.50),
    ("US", "WY", "Wyoming", 43.08, -107.29),
    ("CA", "AB", "Alberta", 53.93, -116.58),
    ("CA", "BC", "British Columbia", 53.73, -127.65),
    ("CA", "MB", "Manitoba", 53.76, -98.81),
    ("CA", "NB", "New Brunswick", 46.57, -66.46),
    ("CA", "NL", "Newfoundland and Labrador", 53.14, -57.66),
    ("CA", "NS", "Nova Scotia", 44.68, -63.74),
    ("CA", "NT", "Northwest Territories", 64.83, -124.85),
    ("CA", "NU", "Nunavut", 70.30, -83.11),
    ("CA", "ON", "Ontario", 51.25, -85.32),
    ("CA", "PE", "Prince Edward Island", 46.51, -63.42),
    ("CA", "QC", "Quebec", 52.94, -73.55),
    ("CA", "SK", "Saskatchewan", 52.94, -106.45),
    ("CA", "YT", "Yukon", 64.28, -135.00),
    ("AU", "ACT", "Australian Capital Territory", -35.47, 149.01),
    ("AU", "NSW", "New South Wales", -32.16, 147.02),
    ("AU", "NT", "Northern Territory", -19.49, 132.55),
    ("AU", "QLD", "Queensland", -22.58, 144.08),
    ("AU", "SA", "South Australia", -30.00, 136.21),
    ("AU", "TAS", "Tasmania", -42.02, 146.59),
    ("AU", "VIC", "Victoria", -36.85, 144.28),
    ("AU", "WA", "Western Australia", -25.33, 122.30),
];

/// The centre of a country, by ISO 3166-1 alpha-2 code (any case).
pub fn country(code: &str) -> Option<Coordinates> {
    let code = code.trim();
    COUNTRIES
        .iter()
        .find(|(c, ..)| c.eq_ignore_ascii_case(code))
        .map(|&(_, lat, lon)| Coordinates { lat, lon })
}

/// The centre of a subdivision given by code (`CA`, `US-CA`) or name (`California`).
pub fn region(country: &str, region: &str) -> Option<Coordinates> {
    let code = region_code(country, region)?;
    REGIONS
        .iter()
        .find(|(c, r, ..)| c.eq_ignore_ascii_case(country.trim()) && *r == code)
        .map(|&(.., lat, lon)| Coordinates { lat, lon })
}

/// The subdivision code for what an address holds in its region field: a code (with or
/// without the `US-` prefix) or a name the table knows. Unknown names of countries outside the
/// table are kept as written, upper-cased, so codes still compare.
pub fn region_code(country: &str, region: &str) -> Option<String> {
    let country = country.trim().to_ascii_uppercase();
    let mut r = region.trim().to_ascii_uppercase();
    if r.is_empty() {
        return None;
    }
    if let Some(rest) = r.strip_prefix(&format!("{country}-")) {
        r = rest.to_string();
    }
    let by_name = REGIONS
        .iter()
        .find(|(c, _, name, ..)| *c == country && name.eq_ignore_ascii_case(region.trim()));
    Some(match by_name {
        Some((_, code, ..)) => (*code).to_string(),
        None => r,
    })
}

/// How many countries and subdivisions the table covers (for tests and `check`).
pub fn coverage() -> (usize, usize) {
    (COUNTRIES.len(), REGIONS.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countries_and_regions_are_found_by_code_or_name() {
        assert!(country("de").is_some());
        assert!(country("XX").is_none());
        let by_code = region("US", "CA").unwrap();
        assert_eq!(region("us", "California"), Some(by_code));
        assert_eq!(region("US", "US-CA"), Some(by_code));
        assert!(region("CA", "ON").is_some());
        assert!(region("AU", "nsw").is_some());
        assert!(region("US", "ZZ").is_none());
    }

    #[test]
    fn codes_are_unique_and_in_range() {
        let (countries, regions) = coverage();
        assert!(countries >= 60 && regions >= 51 + 13 + 8);
        let mut seen = std::collections::BTreeSet::new();
        for (c, lat, lon) in COUNTRIES {
            assert!(seen.insert(*c), "{c} twice");
            assert!((-90.0..=90.0).contains(lat) && (-180.0..=180.0).contains(lon));
        }
        let mut seen = std::collections::BTreeSet::new();
        for (c, r, _, lat, lon) in REGIONS {
            assert!(seen.insert((*c, *r)), "{c}-{r} twice");
            assert!(country(c).is_some(), "{c} has regions but no centre");
            assert!((-90.0..=90.0).contains(lat) && (-180.0..=180.0).contains(lon));
        }
    }

    #[test]
    fn region_code_normalizes_what_addresses_hold() {
        assert_eq!(region_code("US", " ca "), Some("CA".into()));
        assert_eq!(region_code("CA", "Ontario"), Some("ON".into()));
        assert_eq!(region_code("DE", "BE"), Some("BE".into()));
        assert_eq!(region_code("US", ""), None);
    }
}
