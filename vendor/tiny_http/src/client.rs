use ascii::AsciiString;

use std::io::Error as IoError;
use std::io::Result as IoResult;
use std::io::{BufRead, BufReader, BufWriter, ErrorKind, Read, Write};

use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::common::{HTTPVersion, Header, Method, StatusCode};
use crate::limits::Limits;
use crate::util::RefinedTcpStream;
use crate::util::{SequentialReader, SequentialReaderBuilder, SequentialWriterBuilder};
use crate::Request;

/// A ClientConnection is an object that will store a socket to a client
/// and return Request objects.
pub struct ClientConnection {
    // address of the client
    remote_addr: IoResult<Option<SocketAddr>>,

    // sequence of Readers to the stream, so that the data is not read in
    //  the wrong order
    source: SequentialReaderBuilder<BufReader<RefinedTcpStream>>,

    // sequence of Writers to the stream, to avoid writing response #2 before
    //  response #1
    sink: SequentialWriterBuilder<BufWriter<RefinedTcpStream>>,

    // Reader to read the next header from
    next_header_source: SequentialReader<BufReader<RefinedTcpStream>>,

    // set to true if we know that the previous request is the last one
    no_more_requests: bool,

    // true if the connection goes through SSL
    secure: bool,

    limits: Arc<Limits>,

    // set when a request body was left unread: the connection then closes
    abandoned: Arc<AtomicBool>,

    // set when the connection closes with input possibly unread: see `linger`
    linger: bool,
}

/// How long, and how many bytes, a lingering close reads and discards.
const LINGER_TIME: Duration = Duration::from_secs(2);
const LINGER_BYTES: usize = 16 << 20;

/// Error that can happen when reading a request.
#[derive(Debug)]
enum ReadError {
    WrongRequestLine,
    WrongHeader(HTTPVersion),
    /// the client sent an unrecognized `Expect` header
    ExpectationFailed(HTTPVersion),
    ReadIoError(IoError),
    /// the request line (414) or the head (431) is larger than the limits
    TooLarge(StatusCode),
    /// nothing more will be read: close without answering
    Closed,
}

impl ClientConnection {
    /// Creates a new `ClientConnection` that takes ownership of the `TcpStream`.
    pub fn new(
        mut write_socket: RefinedTcpStream,
        mut read_socket: RefinedTcpStream,
        limits: Arc<Limits>,
    ) -> ClientConnection {
        let remote_addr = read_socket.peer_addr();
        let secure = read_socket.secure();
        write_socket.set_write_timeout(limits.write_timeout).ok();

        let mut source = SequentialReaderBuilder::new(BufReader::with_capacity(1024, read_socket));
        let first_header = source.next().unwrap();

        ClientConnection {
            source,
            sink: SequentialWriterBuilder::new(BufWriter::with_capacity(1024, write_socket)),
            remote_addr,
            next_header_source: first_header,
            no_more_requests: false,
            secure,
            limits,
            abandoned: Arc::default(),
            linger: false,
        }
    }

    /// true if the connection is HTTPS
    pub fn secure(&self) -> bool {
        self.secure
    }

    /// Reads the next line from self.next_header_source.
    ///
    /// Reads until `CRLF` is reached, taking at most `budget` bytes (the
    /// rest of the head's allowance; `too_large` beyond). The next read will
    /// start at the first byte of the new line.
    fn read_next_line(
        &mut self,
        budget: &mut usize,
        too_large: StatusCode,
    ) -> Result<Vec<u8>, ReadError> {
        let mut buf = Vec::new();
        let mut prev_byte_was_cr = false;

        loop {
            if *budget == 0 {
                return Err(ReadError::TooLarge(too_large));
            }
            let byte = self.next_header_source.by_ref().bytes().next();

            let byte = match byte {
                Some(b) => b.map_err(ReadError::ReadIoError)?,
                None => {
                    let eof = IoError::new(ErrorKind::ConnectionAborted, "Unexpected EOF");
                    return Err(ReadError::ReadIoError(eof));
                }
            };
            *budget -= 1;

            if byte == b'\n' && prev_byte_was_cr {
                buf.pop(); // removing the '\r'
                return Ok(buf);
            }

            prev_byte_was_cr = byte == b'\r';

            buf.push(byte);
        }
    }

    /// Waits for the first byte of the next request: at most the header
    /// timeout, or for as long as an earlier response on this connection is
    /// still being produced (a parked long-poll, an event stream).
    fn wait_for_request(&mut self) -> Result<(), ReadError> {
        let idle = self.limits.header_timeout;
        loop {
            let source = self.next_header_source.wait_turn();
            if self.abandoned.load(Ordering::Acquire) {
                self.linger = true;
                return Err(ReadError::Closed);
            }
            source.get_mut().limit_reads(idle, None);
            match source.fill_buf() {
                Ok([]) => return Err(ReadError::Closed),
                Ok(_) => return Ok(()),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if e.kind() == ErrorKind::TimedOut => {
                    if !self.sink.pending() {
                        return Err(ReadError::Closed);
                    }
                }
                Err(e) => return Err(ReadError::ReadIoError(e)),
            }
        }
    }

    /// Reads a request from the stream.
    /// Blocks until the header has been read.
    fn read(&mut self) -> Result<Request, ReadError> {
        self.wait_for_request()?;
        let limits = self.limits.clone();
        let source = self.next_header_source.wait_turn().get_mut();
        source.limit_reads(limits.header_timeout, Some(limits.header_timeout));
        let mut budget = limits.max_head_bytes;

        let (method, path, version, headers) = {
            // reading the request line
            let (method, path, version) = {
                let line = self.read_next_line(&mut budget, StatusCode(414))?;
                let line =
                    AsciiString::from_ascii(line).map_err(|_| ReadError::WrongRequestLine)?;

                parse_request_line(
                    line.as_str().trim(), // TODO: remove this conversion
                )?
            };

            // getting all headers
            let headers = {
                let mut headers = Vec::new();
                loop {
                    let line = self.read_next_line(&mut budget, StatusCode(431))?;

                    if line.is_empty() {
                        break;
                    };
                    if headers.len() == limits.max_headers {
                        return Err(ReadError::TooLarge(StatusCode(431)));
                    }
                    let line = AsciiString::from_ascii(line)
                        .map_err(|_| ReadError::WrongHeader(version.clone()))?;
                    headers.push(match FromStr::from_str(line.as_str().trim()) {
                        // TODO: remove this conversion
                        Ok(h) => h,
                        _ => return Err(ReadError::WrongHeader(version)),
                    });
                }

                headers
            };

            (method, path, version, headers)
        };

        // the body gets its own timeouts
        let source = self.next_header_source.wait_turn().get_mut();
        source.limit_reads(limits.body_idle_timeout, Some(limits.body_timeout));

        // building the writer for the request
        let writer = self.sink.next().unwrap();

        // follow-up for next potential request
        let mut data_source = self.source.next().unwrap();
        std::mem::swap(&mut self.next_header_source, &mut data_source);

        // building the next reader
        let request = crate::request::new_request(
            self.secure,
            method,
            path,
            version.clone(),
            headers,
            *self.remote_addr.as_ref().unwrap(),
            data_source,
            writer,
            self.abandoned.clone(),
            limits.max_buffered_body,
        )
        .map_err(|e| {
            use crate::request;
            match e {
                // a malformed chunked body
                request::RequestCreationError::CreationIoError(e)
                    if matches!(e.kind(), ErrorKind::InvalidInput | ErrorKind::InvalidData) =>
                {
                    ReadError::WrongHeader(version.clone())
                }
                request::RequestCreationError::CreationIoError(e) => ReadError::ReadIoError(e),
                request::RequestCreationError::ExpectationFailed => {
                    ReadError::ExpectationFailed(version)
                }
            }
        })?;

        // return the request
        Ok(request)
    }
}

impl Iterator for ClientConnection {
    type Item = Request;

    /// Blocks until the next Request is available.
    /// Returns None when no new Requests will come from the client.
    fn next(&mut self) -> Option<Request> {
        use crate::{Response, StatusCode};

        // the client sent a "connection: close" header in this previous request
        //  or is using HTTP 1.0, meaning that no new request will come
        if self.no_more_requests {
            return None;
        }

        loop {
            let rq = match self.read() {
                Err(ReadError::WrongRequestLine) => {
                    self.refuse(StatusCode(400), HTTPVersion(1, 1));
                    return None; // we don't know where the next request would start,
                                 // se we have to close
                }

                Err(ReadError::WrongHeader(ver)) => {
                    self.refuse(StatusCode(400), ver);
                    return None; // we don't know where the next request would start,
                                 // se we have to close
                }

                Err(ReadError::TooLarge(status)) => {
                    self.refuse(status, HTTPVersion(1, 1));
                    return None;
                }

                Err(ReadError::Closed) => return None,

                Err(ReadError::ReadIoError(ref err)) if err.kind() == ErrorKind::TimedOut => {
                    // request timeout
                    self.refuse(StatusCode(408), HTTPVersion(1, 1));
                    return None; // closing the connection
                }

                Err(ReadError::ExpectationFailed(ver)) => {
                    let writer = self.sink.next().unwrap();
                    let response = Response::new_empty(StatusCode(417));
                    response.raw_print(writer, ver, &[], true, None).ok();
                    self.linger = true;
                    return None; // TODO: should be recoverable, but needs handling in case of body
                }

                Err(ReadError::ReadIoError(_)) => return None,

                Ok(rq) => rq,
            };

            // checking HTTP version
            if *rq.http_version() > (1, 1) {
                let writer = self.sink.next().unwrap();
                let response = Response::from_string(
                    "This server only supports HTTP versions 1.0 and 1.1".to_owned(),
                )
                .with_status_code(StatusCode(505));
                response
                    .raw_print(writer, HTTPVersion(1, 1), &[], false, None)
                    .ok();
                continue;
            }

            // updating the status of the connection
            let connection_header = rq
                .headers()
                .iter()
                .find(|h| h.field.equiv("Connection"))
                .map(|h| h.value.as_str());

            let lowercase = connection_header.map(|h| h.to_ascii_lowercase());

            match lowercase {
                Some(ref val) if val.contains("close") => self.no_more_requests = true,
                Some(ref val) if val.contains("upgrade") => self.no_more_requests = true,
                Some(ref val)
                    if !val.contains("keep-alive") && *rq.http_version() == HTTPVersion(1, 0) =>
                {
                    self.no_more_requests = true
                }
                None if *rq.http_version() == HTTPVersion(1, 0) => self.no_more_requests = true,
                _ => (),
            };

            // returning the request
            return Some(rq);
        }
    }
}

impl ClientConnection {
    /// Answers an error the server found itself, before closing.
    fn refuse(&mut self, status: StatusCode, version: HTTPVersion) {
        let writer = self.sink.next().unwrap();
        let close = Header::from_bytes(&b"Connection"[..], &b"close"[..]).unwrap();
        let response = (self.limits.error_response)(status).with_header(close);
        response.raw_print(writer, version, &[], false, None).ok();
        self.linger = true;
    }

    /// A lingering close (as nginx's `lingering_close`). Closing a socket
    /// with unread input makes the kernel send RST, and a client still
    /// writing its request then sees a reset instead of the answer already
    /// sent (a 413, a 431). So: wait until every response on the connection
    /// is flushed, send FIN (shut down the write half), and read and discard
    /// what the client still sends, at most `LINGER_BYTES` for `LINGER_TIME`,
    /// before the socket is closed.
    fn linger(&mut self) {
        let mut last = self.sink.next().unwrap();
        if last.flush().is_err() {
            return;
        }
        drop(last);
        let source = self.next_header_source.wait_turn();
        let socket = source.get_mut();
        if socket.shutdown_write().is_err() {
            return;
        }
        socket.limit_reads(LINGER_TIME, Some(LINGER_TIME));
        let mut buf = [0u8; 4096];
        let mut left = LINGER_BYTES;
        while left > 0 {
            match source.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => left = left.saturating_sub(n),
            }
        }
    }
}

impl Drop for ClientConnection {
    fn drop(&mut self) {
        if self.linger {
            self.linger();
        }
    }
}

/// Parses a "HTTP/1.1" string.
fn parse_http_version(version: &str) -> Result<HTTPVersion, ReadError> {
    let (major, minor) = match version {
        "HTTP/0.9" => (0, 9),
        "HTTP/1.0" => (1, 0),
        "HTTP/1.1" => (1, 1),
        "HTTP/2.0" => (2, 0),
        "HTTP/3.0" => (3, 0),
        _ => return Err(ReadError::WrongRequestLine),
    };

    Ok(HTTPVersion(major, minor))
}

/// Parses the request line of the request.
/// eg. GET / HTTP/1.1
fn parse_request_line(line: &str) -> Result<(Method, String, HTTPVersion), ReadError> {
    let mut parts = line.split(' ');

    let method = parts.next().and_then(|w| w.parse().ok());
    let path = parts.next().map(ToOwned::to_owned);
    let version = parts.next().and_then(|w| parse_http_version(w).ok());

    method
        .and_then(|method| Some((method, path?, version?)))
        .ok_or(ReadError::WrongRequestLine)
}

#[cfg(test)]
mod test {
    #[test]
    fn test_parse_request_line() {
        let (method, path, ver) = super::parse_request_line("GET /hello HTTP/1.1").unwrap();

        assert!(method == crate::Method::Get);
        assert!(path == "/hello");
        assert!(ver == crate::common::HTTPVersion(1, 1));

        assert!(super::parse_request_line("GET /hello").is_err());
        assert!(super::parse_request_line("qsd qsd qsd").is_err());
    }
}
