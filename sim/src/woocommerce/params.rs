//! Query parameters the way WordPress validates them: unknown ones are ignored, a known one
//! with a bad value is a 400 `rest_invalid_param` naming it.

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};

use super::errors::{Refused, refuse_param};
use super::guard::serde_urlencoded_pairs;

pub struct Params(Vec<(String, String)>);

impl Params {
    pub fn parse(raw: Option<&str>) -> Self {
        Self(raw.map(serde_urlencoded_pairs).unwrap_or_default())
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn page(&self) -> Result<usize, Refused> {
        match self.get("page") {
            None => Ok(1),
            Some(v) => v
                .parse::<usize>()
                .ok()
                .filter(|&p| p >= 1)
                .ok_or_else(|| refuse_param("page", "page must be greater than or equal to 1")),
        }
    }

    pub fn per_page(&self) -> Result<usize, Refused> {
        match self.get("per_page") {
            None => Ok(10),
            Some(v) => v
                .parse::<usize>()
                .ok()
                .filter(|p| (1..=100).contains(p))
                .ok_or_else(|| {
                    refuse_param(
                        "per_page",
                        "per_page must be between 1 (inclusive) and 100 (inclusive)",
                    )
                }),
        }
    }

    pub fn one_of(
        &self,
        name: &str,
        allowed: &[&str],
        default: &'static str,
    ) -> Result<String, Refused> {
        match self.get(name) {
            None => Ok(default.to_string()),
            Some(v) if allowed.contains(&v) => Ok(v.to_string()),
            Some(_) => Err(refuse_param(
                name,
                &format!("{name} is not one of {}.", allowed.join(", ")),
            )),
        }
    }

    pub fn flag(&self, name: &str) -> Result<bool, Refused> {
        match self.get(name) {
            None => Ok(false),
            Some("true" | "1") => Ok(true),
            Some("false" | "0" | "") => Ok(false),
            Some(_) => Err(refuse_param(
                name,
                &format!("{name} is not of type boolean."),
            )),
        }
    }

    /// An ISO 8601 bound. Without an offset it is GMT when `gmt`, else the site's local time.
    pub fn date(
        &self,
        name: &str,
        gmt: bool,
        site: FixedOffset,
    ) -> Result<Option<DateTime<Utc>>, Refused> {
        let Some(v) = self.get(name) else {
            return Ok(None);
        };
        let bad = || refuse_param(name, "Invalid date.");
        if let Ok(dt) = DateTime::parse_from_rfc3339(v) {
            return Ok(Some(dt.with_timezone(&Utc)));
        }
        let naive = NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S%.f").map_err(|_| bad())?;
        let utc = if gmt {
            Utc.from_utc_datetime(&naive)
        } else {
            site.from_local_datetime(&naive)
                .single()
                .ok_or_else(bad)?
                .with_timezone(&Utc)
        };
        Ok(Some(utc))
    }
}

/// The `X-WP-Total` / `X-WP-TotalPages` pair and the slice of `items` for this page.
pub fn paginate<T: Clone>(items: &[T], page: usize, per_page: usize) -> (Vec<T>, usize, usize) {
    let total = items.len();
    let pages = total.div_ceil(per_page);
    let start = (page - 1).saturating_mul(per_page).min(total);
    let end = start.saturating_add(per_page).min(total);
    (items[start..end].to_vec(), total, pages)
}
