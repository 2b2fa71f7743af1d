//! Many strings in one buffer.

/// Strings stored end to end in one buffer, addressed by index: one allocation for millions
/// of post ids or texts instead of one each (which cost ~32 bytes of header and allocator
/// overhead per string, more than a typical id).
#[derive(Debug, Default, Clone)]
pub struct StrArena {
    bytes: String,
    /// End offset of each string; string `i` starts where `i - 1` ended.
    ends: Vec<u64>,
}

impl StrArena {
    /// Appends `s` and returns its index.
    pub fn push(&mut self, s: &str) -> u32 {
        self.bytes.push_str(s);
        self.ends.push(self.bytes.len() as u64);
        (self.ends.len() - 1) as u32
    }

    pub fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.bytes[start..self.ends[i] as usize]
    }

    /// Makes room for `strings` more strings of `bytes` in all, where memory allows.
    pub fn try_reserve(&mut self, strings: usize, bytes: usize) {
        let _ = self.ends.try_reserve(strings);
        let _ = self.bytes.try_reserve(bytes);
    }

    /// String `i` as bytes: no UTF-8 boundary checks, for comparisons.
    pub fn bytes(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.bytes.as_bytes()[start..self.ends[i] as usize]
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// Bytes held, for memory accounting.
    pub fn heap_bytes(&self) -> usize {
        self.bytes.capacity() + self.ends.capacity() * 8
    }
}

impl std::ops::Index<usize> for StrArena {
    type Output = str;
    fn index(&self, i: usize) -> &str {
        self.get(i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_round_trip_including_empty_and_unicode() {
        let mut a = StrArena::default();
        let input = ["7438329370319894421", "", "Știință ❤️", "x"];
        for (i, s) in input.iter().enumerate() {
            assert_eq!(a.push(s) as usize, i);
        }
        assert_eq!(a.len(), 4);
        assert_eq!(a.iter().collect::<Vec<_>>(), input);
        assert_eq!(&a[2], "Știință ❤️");
        assert_eq!(&a[1], "");
        assert_eq!(a.bytes(2), "Știință ❤️".as_bytes());
    }
}
