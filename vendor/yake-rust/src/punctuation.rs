//! Herald's addition to the vendored crate.

/// The configured punctuation as a lookup table (Herald: the `HashSet<char>`
/// was hashed with SipHash for every character of every word).
#[derive(Debug, Clone)]
pub(crate) struct Punctuation {
    ascii: [bool; 128],
    other: Vec<char>,
}

impl Punctuation {
    pub(crate) fn new(set: &std::collections::HashSet<char>) -> Punctuation {
        let mut ascii = [false; 128];
        let mut other = Vec::new();
        for &c in set {
            match usize::try_from(u32::from(c)) {
                Ok(code) if code < 128 => ascii[code] = true,
                _ => other.push(c),
            }
        }
        Punctuation { ascii, other }
    }

    pub(crate) fn contains(&self, c: char) -> bool {
        match usize::try_from(u32::from(c)) {
            Ok(code) if code < 128 => self.ascii[code],
            _ => self.other.contains(&c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_exactly_the_configured_symbols() {
        let table = Punctuation::new(&['!', '-', '«'].into_iter().collect());
        assert!(table.contains('!') && table.contains('-') && table.contains('«'));
        assert!(
            !table.contains('a') && !table.contains('?') && !table.contains('»') && !table.contains('\u{7f}')
        );
    }
}
