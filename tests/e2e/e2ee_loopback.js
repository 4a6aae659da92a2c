// Test and bench harness (served by tests/e2e/e2ee_loopback.py, never by the app): two
// RTCPeerConnections in one page, the first sending a fake camera (640x480, VP8) and a fake
// microphone to the second, each with its own FrameCrypto, so the frame encryption of
// frontend/static/js/room/e2ee runs end to end without a server.

import { FrameCrypto, peerConnectionConfig } from '/static/js/room/e2ee/transforms.js';

const loops = new Map();
let nextLoop = 1;

function preferVp8(transceiver) {
  const codecs = RTCRtpReceiver.getCapabilities('video').codecs.filter(
    (c) => c.mimeType.toLowerCase() === 'video/vp8',
  );
  transceiver.setCodecPreferences(codecs);
}

export async function start(api) {
  const config = peerConnectionConfig(api);
  const a = new RTCPeerConnection(config);
  const b = new RTCPeerConnection(config);
  const sending = new FrameCrypto(api);
  const receiving = new FrameCrypto(api);
  a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate);
  b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate);
  const sound = new Audio(); // received audio is only measured (totalAudioEnergy) when played
  sound.muted = false;
  b.ontrack = (e) => {
    receiving.attachReceiver(e.receiver, e.track.kind);
    if (e.track.kind === 'audio') {
      sound.srcObject = new MediaStream([e.track]);
      sound.play().catch(() => {});
    }
  };
  const media = await navigator.mediaDevices.getUserMedia({
    audio: true,
    video: { width: { exact: 640 }, height: { exact: 480 }, frameRate: 30 },
  });
  for (const track of media.getTracks()) {
    const transceiver = a.addTransceiver(track, { direction: 'sendonly', streams: [media] });
    if (track.kind === 'video') preferVp8(transceiver);
    sending.attachSender(transceiver.sender, track.kind);
    sending.attachSender(transceiver.sender, track.kind); // idempotent
  }
  await a.setLocalDescription();
  await b.setRemoteDescription(a.localDescription);
  await b.setLocalDescription();
  await a.setRemoteDescription(b.localDescription);
  const id = nextLoop++;
  loops.set(id, { a, b, sending, receiving, media, sound });
  return id;
}

export function crypto(id, side) {
  const loop = loops.get(id);
  return side === 'send' ? loop.sending : loop.receiving;
}

export function setKey(id, side, index, bytes) {
  crypto(id, side).setKey(index, new Uint8Array(bytes));
}

export async function inbound(id) {
  const out = { framesDecoded: 0, videoPackets: 0, audioPackets: 0, audioEnergy: 0, codec: null };
  const report = await loops.get(id).b.getStats();
  const codecs = new Map();
  report.forEach((s) => {
    if (s.type === 'codec') codecs.set(s.id, s.mimeType);
  });
  report.forEach((s) => {
    if (s.type !== 'inbound-rtp') return;
    if (s.kind === 'video') {
      out.framesDecoded += s.framesDecoded || 0;
      out.videoPackets += s.packetsReceived || 0;
      out.codec = codecs.get(s.codecId) || out.codec;
    } else {
      out.audioPackets += s.packetsReceived || 0;
      out.audioEnergy += s.totalAudioEnergy || 0;
    }
  });
  return out;
}

export async function stop(id) {
  const loop = loops.get(id);
  loops.delete(id);
  for (const track of loop.media.getTracks()) track.stop();
  loop.sound.srcObject = null;
  loop.a.close();
  loop.b.close();
  loop.sending.close();
  loop.receiving.close();
}

// Synthetic frames through a crypto worker, as plain objects { type, data } on a transferred
// stream (what createEncodedStreams hands the worker, minus the RTP): returns the frames that
// came out, in order, as byte arrays. `keys`: [[index, bytes], ...], the last one sends.
export async function through(direction, kind, frames, keys, encrypt = true) {
  const fc = new FrameCrypto('streams');
  try {
    for (const [index, bytes] of keys) fc.setKey(index, new Uint8Array(bytes));
    if (!encrypt) fc.setMode(false);
    const readable = new ReadableStream({
      start(controller) {
        for (const f of frames) {
          const frame = { data: new Uint8Array(f.data).buffer };
          if (f.type) frame.type = f.type;
          controller.enqueue(frame);
        }
        controller.close();
      },
    });
    const out = [];
    let done;
    const finished = new Promise((resolve) => { done = resolve; });
    const writable = new WritableStream({
      write(frame) { out.push(Array.from(new Uint8Array(frame.data))); },
      close() { done(); },
    });
    fc.worker.postMessage({ type: 'stream', readable, writable, direction, kind, id: 't' }, [
      readable,
      writable,
    ]);
    await finished;
    return { frames: out, stats: await fc.stats() };
  } finally {
    fc.close();
  }
}

// `count` random VP8 delta frames of `size` bytes through a sending worker then a receiving
// one (same key), outside WebRTC: per-frame timings at a given frame size, for the bench.
export async function chain(size, count) {
  const sending = new FrameCrypto('streams');
  const receiving = new FrameCrypto('streams');
  try {
    const key = globalThis.crypto.getRandomValues(new Uint8Array(32));
    sending.setKey(1, key);
    receiving.setKey(1, key);
    let made = 0;
    const readable = new ReadableStream({
      pull(controller) {
        if (made === count) {
          controller.close();
          return;
        }
        made += 1;
        const data = new Uint8Array(size);
        for (let i = 0; i < size; i += 65536) {
          globalThis.crypto.getRandomValues(data.subarray(i, Math.min(size, i + 65536)));
        }
        data[0] |= 1; // a delta frame
        controller.enqueue({ type: 'delta', data: data.buffer });
      },
    });
    const middle = new TransformStream();
    let received = 0;
    let done;
    const finished = new Promise((resolve) => { done = resolve; });
    const writable = new WritableStream({
      write() { received += 1; },
      close() { done(); },
    });
    const stream = (fc, direction, from, to) => {
      const message = { type: 'stream', readable: from, writable: to, direction, kind: 'video' };
      fc.worker.postMessage({ ...message, id: direction }, [from, to]);
    };
    stream(sending, 'send', readable, middle.writable);
    stream(receiving, 'recv', middle.readable, writable);
    await finished;
    return {
      received,
      encrypt: (await sending.stats({ samples: true })).samples.encrypt,
      decrypt: (await receiving.stats({ samples: true })).samples.decrypt,
    };
  } finally {
    sending.close();
    receiving.close();
  }
}
