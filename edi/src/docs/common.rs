//! Pieces shared by several documents: parties (N1 loop), item identifiers (qualifier/id
//! pairs), references and dated references.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::fields::{Seg, opt, seg};
use crate::RenderError;
use crate::model::Segment;

/// A party from an N1 loop: N1 name and id, N2, N3 address lines, N4.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    /// N102.
    pub name: Option<String>,
    /// N103/N104, e.g. `92` (assigned by buyer) and the code.
    pub id: Option<PartyId>,
    /// N201.
    pub additional_name: Option<String>,
    /// N301/N302 of every N3, in order.
    pub address: Vec<String>,
    /// N401–N404.
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartyId {
    pub qualifier: String,
    pub code: String,
}

/// A party with its N101 role (`ST` ship-to, `SF` ship-from, `RI` remit-to, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedParty {
    pub role: String,
    pub party: Party,
}

/// Reads the N1 loop starting at `segs[start]` (an N1); returns the role, the party and the
/// index after the loop. N2/N3/N4 are read, PER/REF/NX2 inside the loop skipped.
pub(crate) fn read_party(
    segs: &[Seg<'_>],
    start: usize,
) -> Result<(String, Party, usize), crate::ReadError> {
    let n1 = segs[start];
    let role = n1.req_string(1)?;
    let mut party = Party {
        name: n1.opt_string(2),
        id: match (n1.opt(3), n1.opt(4)) {
            (Some(q), Some(code)) => Some(PartyId {
                qualifier: q.to_string(),
                code: code.to_string(),
            }),
            _ => None,
        },
        ..Party::default()
    };
    let mut i = start + 1;
    while let Some(s) = segs.get(i) {
        match s.id() {
            "N2" => {
                if party.additional_name.is_none() {
                    party.additional_name = s.opt_string(1);
                }
            }
            "N3" => party
                .address
                .extend([s.opt_string(1), s.opt_string(2)].into_iter().flatten()),
            "N4" => {
                party.city = s.opt_string(1);
                party.state = s.opt_string(2);
                party.postal_code = s.opt_string(3);
                party.country = s.opt_string(4);
            }
            "PER" | "NX2" => {}
            _ => break,
        }
        i += 1;
    }
    Ok((role, party, i))
}

/// N1, N2, N3 (two lines each), N4 for `party` in `role`.
pub(crate) fn write_party(role: &str, party: &Party) -> Result<Vec<Segment>, RenderError> {
    let name = opt(&party.name);
    let (q, code) = party
        .id
        .as_ref()
        .map(|id| (id.qualifier.trim().to_string(), id.code.trim().to_string()))
        .unwrap_or_default();
    if name.is_empty() && (q.is_empty() || code.is_empty()) {
        return Err(RenderError::missing(format!("N1*{role}: name or id")));
    }
    let mut out = vec![seg("N1", [role.to_string(), name, q, code])];
    if let Some(n2) = party
        .additional_name
        .as_ref()
        .filter(|v| !v.trim().is_empty())
    {
        out.push(seg("N2", [n2.trim().to_string()]));
    }
    let lines: Vec<&str> = party
        .address
        .iter()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty())
        .collect();
    for pair in lines.chunks(2) {
        out.push(seg(
            "N3",
            [
                pair[0].to_string(),
                pair.get(1).map(|s| s.to_string()).unwrap_or_default(),
            ],
        ));
    }
    let n4 = [
        opt(&party.city),
        opt(&party.state),
        opt(&party.postal_code),
        opt(&party.country),
    ];
    if n4.iter().any(|v| !v.is_empty()) {
        out.push(seg("N4", n4));
    }
    Ok(out)
}

/// PID*F****description.
pub(crate) fn pid(description: &str) -> Segment {
    seg(
        "PID",
        [
            "F".to_string(),
            String::new(),
            String::new(),
            String::new(),
            description.trim().to_string(),
        ],
    )
}

/// Product identifiers of a line. The common ones have fields; the rest stay as pairs.
/// Written in the order VN, UP, BP, SK, then `other`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemIds {
    /// `VN` vendor's item number (read from `VP` vendor's part number when no `VN` is sent).
    pub vendor_part: Option<String>,
    /// `UP` U.P.C.
    pub upc: Option<String>,
    /// `BP` buyer's part number.
    pub buyer_part: Option<String>,
    /// `SK` stock keeping unit.
    pub sku: Option<String>,
    pub other: Vec<ProductId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductId {
    pub qualifier: String,
    pub id: String,
}

impl ItemIds {
    pub(crate) fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> ItemIds {
        let mut ids = ItemIds::default();
        let mut vp = None;
        for (q, id) in pairs {
            let slot = match q {
                "VN" => &mut ids.vendor_part,
                "UP" => &mut ids.upc,
                "BP" => &mut ids.buyer_part,
                "SK" => &mut ids.sku,
                "VP" if vp.is_none() => &mut vp,
                _ => {
                    ids.other.push(ProductId {
                        qualifier: q.to_string(),
                        id: id.to_string(),
                    });
                    continue;
                }
            };
            if slot.is_none() {
                *slot = Some(id.to_string());
            } else {
                ids.other.push(ProductId {
                    qualifier: q.to_string(),
                    id: id.to_string(),
                });
            }
        }
        match (ids.vendor_part.is_none(), vp) {
            (true, Some(v)) => ids.vendor_part = Some(v),
            (false, Some(v)) => ids.other.insert(
                0,
                ProductId {
                    qualifier: "VP".into(),
                    id: v,
                },
            ),
            _ => {}
        }
        ids
    }

    /// Qualifier/id pairs in writing order.
    pub(crate) fn pairs(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (q, v) in [
            ("VN", &self.vendor_part),
            ("UP", &self.upc),
            ("BP", &self.buyer_part),
            ("SK", &self.sku),
        ] {
            if let Some(v) = v.as_ref().map(|v| v.trim()).filter(|v| !v.is_empty()) {
                out.push((q.to_string(), v.to_string()));
            }
        }
        for p in &self.other {
            if !p.qualifier.trim().is_empty() && !p.id.trim().is_empty() {
                out.push((p.qualifier.trim().to_string(), p.id.trim().to_string()));
            }
        }
        out
    }

    pub(crate) fn flat(&self) -> Vec<String> {
        self.pairs().into_iter().flat_map(|(q, v)| [q, v]).collect()
    }
}

/// REF01/REF02 or N901/N902.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    pub qualifier: String,
    pub value: String,
}

/// DTM01/DTM02 (e.g. `002` delivery requested, `010` requested ship).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateReference {
    pub qualifier: String,
    pub date: NaiveDate,
}

/// A code element with well-known values and a fallback for the rest, so unknown codes from a
/// partner are kept rather than refused.
macro_rules! code_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $code:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A code without a name here, kept as sent.
            Other(String),
        }

        impl $name {
            pub fn code(&self) -> &str {
                match self {
                    $($name::$variant => $code,)+
                    $name::Other(code) => code.as_str(),
                }
            }

            pub fn from_code(code: &str) -> Self {
                match code {
                    $($code => $name::$variant,)+
                    other => $name::Other(other.to_string()),
                }
            }
        }
    };
}
pub(crate) use code_enum;
