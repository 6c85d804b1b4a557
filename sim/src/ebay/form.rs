//! `a=1&b=x%20y` (a form body or a query string) → pairs, percent- and plus-decoded.

pub fn pairs(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                Some(b) => {
                    out.push(b);
                    i += 2;
                }
                None => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_are_decoded() {
        let p = pairs("scope=a+b&filter=lastmodifieddate%3A%5B2026..%5D&x=%zz&end=%4");
        assert_eq!(p[0], ("scope".into(), "a b".into()));
        assert_eq!(p[1].1, "lastmodifieddate:[2026..]");
        assert_eq!(p[2].1, "%zz");
        assert_eq!(p[3].1, "%4");
    }
}
