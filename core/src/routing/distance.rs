//! Great-circle distance, for ranking locations by how far a parcel travels.

use crate::config::Coordinates;

/// Mean Earth radius (IUGG), in kilometres.
const EARTH_RADIUS_KM: f64 = 6371.0088;

/// Haversine distance in kilometres; stable for short and antipodal distances alike.
pub fn haversine_km(a: Coordinates, b: Coordinates) -> f64 {
    let (lat1, lat2) = (a.lat.to_radians(), b.lat.to_radians());
    let dlat = (b.lat - a.lat).to_radians();
    let dlon = (b.lon - a.lon).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(lat: f64, lon: f64) -> Coordinates {
        Coordinates { lat, lon }
    }

    #[test]
    fn known_distances() {
        // Berlin to Paris is about 878 km; London to New York about 5570 km.
        let berlin_paris = haversine_km(at(52.52, 13.405), at(48.8566, 2.3522));
        assert!((870.0..890.0).contains(&berlin_paris), "{berlin_paris}");
        let london_ny = haversine_km(at(51.5074, -0.1278), at(40.7128, -74.006));
        assert!((5550.0..5590.0).contains(&london_ny), "{london_ny}");
        assert_eq!(haversine_km(at(10.0, 20.0), at(10.0, 20.0)), 0.0);
        // Half the circumference, not NaN, for antipodes.
        let antipodes = haversine_km(at(0.0, 0.0), at(0.0, 180.0));
        assert!((antipodes - std::f64::consts::PI * EARTH_RADIUS_KM).abs() < 1e-6);
    }

    proptest! {
        #[test]
        fn symmetric_and_bounded(a in -90.0f64..90.0, b in -180.0f64..180.0,
                                 c in -90.0f64..90.0, d in -180.0f64..180.0) {
            let x = haversine_km(at(a, b), at(c, d));
            let y = haversine_km(at(c, d), at(a, b));
            prop_assert!((x - y).abs() < 1e-6);
            prop_assert!((0.0..=std::f64::consts::PI * EARTH_RADIUS_KM + 1e-6).contains(&x));
        }
    }
}
