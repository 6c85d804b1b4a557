//! EDI X12 (004010) for Switchyard's 3PL and dropship partners. Pure: bytes in, values out.
//!
//! - **Parse**: [`parse`] (strict) and [`parse_lenient`] read any number of interchanges from a
//!   file. Separators come from each ISA (element = the byte after `ISA`, component = ISA16,
//!   terminator = the byte after ISA16, or a line break when that byte is whitespace). The ISA
//!   is split by counting 16 element separators, so short ISA fields and non-ASCII bytes in them
//!   are fine. A UTF-8 BOM, whitespace and line breaks between segments, empty segments and `|`
//!   or `$` delimiters are tolerated. Structural faults are [`ParseError`]s; count and
//!   control-number mismatches (SE01/SE02, GE01/GE02, IEA01/IEA02) are [`EnvelopeProblem`]s,
//!   fatal in strict mode and collected in lenient mode, where the tree is still returned so a
//!   997 can reject exactly the faulty sets. Errors name the segment's position in the file
//!   (the first ISA is segment 1) and the element.
//! - **JSON**: [`Document`] serializes to
//!   `{"interchanges":[{"sender_id","receiver_id","control_number","groups":[{"functional_id",
//!   "control_number","transactions":[{"set_id","control_number","segments":[["ST",…],…]}]}]}]}`.
//! - **Render**: [`render_interchange`] writes ISA (fixed width) / GS / ST … SE / GE / IEA with
//!   counts and control numbers computed, using [`Separators`] (default `*`, `>`, `~` + line
//!   break). Data containing a separator or control character is refused, never rewritten.
//! - **997**: [`FunctionalAck`] built from a received group, rendered, and read back.
//! - **Typed documents** in [`docs`]: 850 (build/read, cancellation), 855, 856, 846, 940, 945
//!   (build/read), 810 (read).

pub mod ack997;
pub mod docs;
mod error;
mod lexer;
mod model;
mod parser;
mod render;
mod separators;
pub mod validate;

pub use ack997::{AckCode, ElementNote, FunctionalAck, GroupError, SegmentNote, SetAck, SetError};
pub use docs::ReadError;
pub use error::{EnvelopeProblem, ParseError};
pub use model::{Document, Envelope, Group, Interchange, Segment, Transaction};
pub use parser::{Parsed, parse, parse_lenient};
pub use render::{
    InterchangeHeader, OutboundGroup, OutboundTransaction, RenderError, Usage, functional_id,
    render_interchange, render_single,
};
pub use separators::Separators;
