//! The request-response codec: one length-prefixed, length-limited byte string each way.
//!
//! A message is `[len: u32 LE][len bytes]`. The length is checked against the limit before any
//! byte of the body is read, and a stream closed before a whole message is an error, never an
//! empty message.

use std::io;

use async_trait::async_trait;
use libp2p::futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::{request_response, StreamProtocol};

/// Reads and writes whole messages, refusing any larger than `max_bytes`.
#[derive(Clone, Debug)]
pub struct LimitedCodec {
    pub max_bytes: u64,
}

impl Default for LimitedCodec {
    fn default() -> Self {
        LimitedCodec {
            max_bytes: crate::DEFAULT_MAX_MESSAGE_BYTES as u64,
        }
    }
}

impl LimitedCodec {
    async fn read_limited<T: AsyncRead + Unpin + Send>(&self, io: &mut T) -> io::Result<Vec<u8>> {
        let mut prefix = [0u8; 4];
        io.read_exact(&mut prefix).await?;
        let len = u64::from(u32::from_le_bytes(prefix));
        if len > self.max_bytes {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "message of {len} bytes is over the limit of {} bytes",
                    self.max_bytes
                ),
            ));
        }
        let mut bytes = vec![0u8; len as usize];
        io.read_exact(&mut bytes).await?;
        Ok(bytes)
    }

    async fn write_framed<T: AsyncWrite + Unpin + Send>(
        &self,
        io: &mut T,
        message: &[u8],
    ) -> io::Result<()> {
        let len = u32::try_from(message.len())
            .ok()
            .filter(|len| u64::from(*len) <= self.max_bytes)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "message over the limit"))?;
        io.write_all(&len.to_le_bytes()).await?;
        io.write_all(message).await?;
        io.close().await
    }
}

#[async_trait]
impl request_response::Codec for LimitedCodec {
    type Protocol = StreamProtocol;
    type Request = Vec<u8>;
    type Response = Vec<u8>;

    async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Vec<u8>>
    where
        T: AsyncRead + Unpin + Send,
    {
        self.read_limited(io).await
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Vec<u8>>
    where
        T: AsyncRead + Unpin + Send,
    {
        self.read_limited(io).await
    }

    async fn write_request<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        request: Vec<u8>,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        self.write_framed(io, &request).await
    }

    async fn write_response<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        response: Vec<u8>,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        self.write_framed(io, &response).await
    }
}
