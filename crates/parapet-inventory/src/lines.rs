//! The lines of a long text: where every line feed is, found once, so that a lockfile of many
//! thousand entries is not counted through again for each entry's line.

pub(crate) struct Lines(Vec<usize>);

impl Lines {
    pub(crate) fn new(text: &str) -> Self {
        Lines(text.bytes().enumerate().filter(|&(_, b)| b == b'\n').map(|(offset, _)| offset).collect())
    }

    /// The line, counted from 1, on which byte `offset` lies; an offset past the end counts as
    /// the end.
    pub(crate) fn at(&self, offset: usize) -> usize {
        self.0.partition_point(|&newline| newline < offset) + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::line_at;

    #[test]
    fn as_counting_from_the_start() {
        for text in ["", "\n", "a\nbb\n\nccc\r\nd", "no line feed", "ends\n"] {
            let lines = Lines::new(text);
            for offset in 0..=text.len() + 2 {
                assert_eq!(lines.at(offset), line_at(text, offset), "{text:?} at {offset}");
            }
        }
    }
}
