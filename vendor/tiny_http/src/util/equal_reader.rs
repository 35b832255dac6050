use std::io::Read;
use std::io::Result as IoResult;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Most bytes of an unread body drained to keep the connection; past it
/// the connection is closed instead.
const MAX_DRAIN: usize = 64 * 1024;

/// A `Reader` that reads exactly the number of bytes from a sub-reader.
///
/// If the limit is reached, it returns EOF. If the limit is not reached
/// when the destructor is called, up to `MAX_DRAIN` remaining bytes are read
/// and thrown away; if more remain, or draining fails (a timeout), `abandoned`
/// is set and the connection closes instead of reading the next request.
pub struct EqualReader<R>
where
    R: Read,
{
    reader: R,
    size: usize,
    abandoned: Arc<AtomicBool>,
}

impl<R> EqualReader<R>
where
    R: Read,
{
    pub fn new(reader: R, size: usize, abandoned: Arc<AtomicBool>) -> EqualReader<R> {
        EqualReader {
            reader,
            size,
            abandoned,
        }
    }
}

impl<R> Read for EqualReader<R>
where
    R: Read,
{
    fn read(&mut self, buf: &mut [u8]) -> IoResult<usize> {
        if self.size == 0 {
            return Ok(0);
        }

        let buf = if buf.len() < self.size {
            buf
        } else {
            &mut buf[..self.size]
        };

        match self.reader.read(buf) {
            Ok(len) => {
                self.size -= len;
                Ok(len)
            }
            err @ Err(_) => err,
        }
    }
}

impl<R> Drop for EqualReader<R>
where
    R: Read,
{
    fn drop(&mut self) {
        // The size comes from the client's Content-Length: never allocate by it.
        let mut buf = [0u8; 4096];
        let drained = self.size <= MAX_DRAIN
            && loop {
                if self.size == 0 {
                    break true;
                }
                let want = self.size.min(buf.len());
                match self.reader.read(&mut buf[..want]) {
                    Ok(0) | Err(_) => break false,
                    Ok(n) => self.size -= n,
                }
            };
        if !drained {
            self.abandoned.store(true, Ordering::Release);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::EqualReader;
    use std::io::Read;
    use std::sync::Arc;

    #[test]
    fn test_limit() {
        use std::io::Cursor;

        let mut org_reader = Cursor::new("hello world".to_string().into_bytes());

        {
            let mut equal_reader = EqualReader::new(org_reader.by_ref(), 5, Default::default());

            let mut string = String::new();
            equal_reader.read_to_string(&mut string).unwrap();
            assert_eq!(string, "hello");
        }

        let mut string = String::new();
        org_reader.read_to_string(&mut string).unwrap();
        assert_eq!(string, " world");
    }

    #[test]
    fn test_not_enough() {
        use std::io::Cursor;

        let mut org_reader = Cursor::new("hello world".to_string().into_bytes());

        {
            let mut equal_reader = EqualReader::new(org_reader.by_ref(), 5, Default::default());

            let mut vec = [0];
            equal_reader.read_exact(&mut vec).unwrap();
            assert_eq!(vec[0], b'h');
        }

        let mut string = String::new();
        org_reader.read_to_string(&mut string).unwrap();
        assert_eq!(string, " world");
    }

    #[test]
    fn test_large_remainder_is_abandoned_not_drained() {
        use std::io::Cursor;
        use std::sync::atomic::Ordering;

        let abandoned = std::sync::Arc::default();
        let mut org_reader = Cursor::new(vec![0u8; 100]);
        {
            let _ = EqualReader::new(org_reader.by_ref(), 999_999_999_999, Arc::clone(&abandoned));
        }
        assert!(abandoned.load(Ordering::Acquire));
        assert_eq!(org_reader.position(), 0);
    }

    #[test]
    fn test_short_body_is_abandoned() {
        use std::io::Cursor;
        use std::sync::atomic::Ordering;

        let abandoned = std::sync::Arc::default();
        let mut org_reader = Cursor::new(vec![0u8; 100]);
        {
            let _ = EqualReader::new(org_reader.by_ref(), 1000, Arc::clone(&abandoned));
        }
        assert!(abandoned.load(Ordering::Acquire));
    }
}
