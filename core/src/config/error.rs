//! The loader's error report: every problem in the file, each with where it is.

use std::fmt;

/// One problem in the configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The path as it was given to the loader.
    pub file: String,
    /// 1-based; 0 when the problem concerns the file as a whole (it cannot be read).
    pub line: usize,
    /// 1-based; 0 together with `line`.
    pub column: usize,
    /// Dotted path of the field, such as `channels[1].access_token`; empty for the whole file.
    pub field: String,
    pub message: String,
}

impl fmt::Display for ConfigError {
    /// `file:line:column: field: message`, the shape editors and CI annotate from.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: ", self.file)?;
        } else {
            write!(f, "{}:{}:{}: ", self.file, self.line, self.column)?;
        }
        if !self.field.is_empty() {
            write!(f, "{}: ", self.field)?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}

/// Every problem found, in file order; never empty when returned by the loader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    /// One error per line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(line: usize, field: &str) -> ConfigError {
        ConfigError {
            file: "sy.yaml".into(),
            line,
            column: if line == 0 { 0 } else { 3 },
            field: field.into(),
            message: "bad".into(),
        }
    }

    #[test]
    fn displays_one_error_per_line() {
        let errors = ConfigErrors(vec![err(2, "channels[0].id"), err(5, ""), err(0, "")]);
        assert_eq!(
            errors.to_string(),
            "sy.yaml:2:3: channels[0].id: bad\nsy.yaml:5:3: bad\nsy.yaml: bad"
        );
    }
}
