//! Shopify ids: GIDs (`gid://shopify/Order/123`) and the bare numbers REST uses.

/// The numeric id of a GID of any kind, or of a bare number.
pub fn numeric_id(value: &str) -> Option<u64> {
    let value = value.trim();
    let tail = match value.strip_prefix("gid://shopify/") {
        Some(rest) => rest.rsplit_once('/')?.1,
        None => value,
    };
    let tail = tail.split('?').next().unwrap_or(tail);
    tail.parse().ok()
}

/// A GID of `kind` for a GID or a bare number; `None` when the input is neither.
pub fn to_gid(kind: &str, value: &str) -> Option<String> {
    let value = value.trim();
    if let Some(rest) = value.strip_prefix("gid://shopify/") {
        let (k, _) = rest.split_once('/')?;
        return (k == kind && numeric_id(value).is_some()).then(|| value.to_string());
    }
    let n: u64 = value.parse().ok()?;
    Some(format!("gid://shopify/{kind}/{n}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_gids_and_numbers() {
        assert_eq!(numeric_id("gid://shopify/Order/42"), Some(42));
        assert_eq!(numeric_id("7"), Some(7));
        assert_eq!(numeric_id("gid://shopify/Order/x"), None);
        assert_eq!(
            to_gid("Location", "9").as_deref(),
            Some("gid://shopify/Location/9")
        );
        assert_eq!(
            to_gid("Location", "gid://shopify/Location/9").as_deref(),
            Some("gid://shopify/Location/9")
        );
        assert_eq!(to_gid("Location", "gid://shopify/Order/9"), None);
        assert_eq!(to_gid("Location", "main"), None);
    }
}
