//! Delimiters of an interchange: read from its ISA, or chosen for rendering.

/// The delimiters of one interchange. `segment == b'\n'` means line breaks end segments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Separators {
    pub element: u8,
    pub component: u8,
    pub segment: u8,
    /// When rendering, put a line break after every segment terminator (ignored by the parser,
    /// which accepts any whitespace between segments).
    pub line_break: bool,
}

impl Default for Separators {
    /// `*`, `>`, `~` and a line break after each segment: what most partners expect.
    fn default() -> Self {
        Separators {
            element: b'*',
            component: b'>',
            segment: b'~',
            line_break: true,
        }
    }
}

impl Separators {
    /// Whether `c` may not appear inside an element when rendering with these separators:
    /// the three delimiters and every control character (a line break inside data would read
    /// back as a segment boundary).
    pub fn forbids(&self, c: char) -> bool {
        c.is_control()
            || c == self.element as char
            || c == self.component as char
            || c == self.segment as char
    }

    /// Delimiters must be distinct, printable-or-newline ASCII and not letters or digits,
    /// or the ISA could not announce them unambiguously.
    pub(crate) fn problem(&self) -> Option<String> {
        let bytes = [self.element, self.component, self.segment];
        for (name, b) in ["element", "component", "segment"].iter().zip(bytes) {
            if !b.is_ascii() || b.is_ascii_alphanumeric() || b == b' ' {
                return Some(format!(
                    "{name} separator {:?} must be ASCII punctuation",
                    b as char
                ));
            }
            if name != &"segment" && b.is_ascii_control() {
                return Some(format!(
                    "{name} separator {:?} must not be a control character",
                    b as char
                ));
            }
        }
        if self.element == self.component
            || self.element == self.segment
            || self.component == self.segment
        {
            return Some("element, component and segment separators must differ".into());
        }
        None
    }

    /// Splits a composite element into its components.
    pub fn components<'a>(&self, element: &'a str) -> impl Iterator<Item = &'a str> {
        element.split(self.component as char)
    }
}
