"""Socket.IO protocol and the WebRTC relay (SFU) built on aiortc."""
