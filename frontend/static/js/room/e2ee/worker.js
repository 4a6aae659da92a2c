// End-to-end media encryption, frame side: a module worker that encrypts every encoded frame
// we send and decrypts every frame we receive (docs/e2ee.md §1). It serves both browser APIs:
// RTCRtpScriptTransform (the 'rtctransform' event) and createEncodedStreams (a 'stream'
// message carrying the transferred readable and writable).
//
// Frame layout on the wire:
//   clear prefix || AES-GCM-256 ciphertext || 16-byte tag || iv (12 bytes) || keyIndex (1 byte)
// - The clear prefix is never encrypted (the relay and the depacketizer read it): 10 bytes for
//   a VP8 key frame, 3 for a VP8 delta frame, 1 for an Opus audio frame; a frame shorter than
//   that is all prefix. The prefix is the additional data of the AES-GCM operation.
// - iv: 12 random bytes per frame. keyIndex: the low byte of the key's epoch (the ring index).
// - The receiver reads keyIndex from the last byte and the iv from the 12 before it; the
//   prefix length is found the same way (the sender's frame was 29 bytes shorter). A frame with
//   no key for its index, or that fails to decrypt, is dropped (never handed to the decoder).
// - A VP8 frame of 3 bytes or more goes out with its frame tag's first partition size set to
//   the largest value (bytes 0-2 become b0 | 0xE0, 0xFF, 0xFF: the key frame, version and
//   show-frame bits stay), and its three original tag bytes lead what is encrypted. A decoder
//   without the key (the relay's operator, say) refuses every such frame as truncated rather
//   than decoding noise; the receiver restores the tag once the frame is decrypted.
// - Send side with no key yet: the frame is dropped, never sent in clear. Only mode
//   { encrypt: false } (the room's 'transport' fallback) lets frames through untouched.
// Frames are handled one at a time per stream, in order. Key bytes are never logged or posted.

const TAG = 16;
const IV = 12;
const TRAILER = IV + 1;
const VP8_TAG = 3; // the VP8 frame tag: key frame bit, version, show frame, first partition size
const SAMPLES = 600;

const ring = new Map(); // key index (0..255) -> CryptoKey (AES-GCM, non-extractable)
let sendIndex = null;
let encrypt = true;
// Control messages run in order, even though importing a key is asynchronous.
let control = Promise.resolve();

const COUNTERS = ['encrypted', 'decrypted', 'passthrough', 'dropped_no_key', 'dropped_failed'];
const counts = {};
for (const direction of ['send', 'recv']) {
  counts[direction] = {};
  for (const kind of ['audio', 'video']) {
    counts[direction][kind] = Object.fromEntries(COUNTERS.map((name) => [name, 0]));
  }
}
const timing = { encrypt: [], decrypt: [], bytes: [] }; // video frames only, last SAMPLES each

function remember(list, value) {
  list.push(value);
  if (list.length > SAMPLES) list.splice(0, list.length - SAMPLES);
}

function prefixLength(frame, kind, data) {
  if (kind === 'audio') return 1;
  if (frame.type === 'key') return 10;
  if (frame.type === 'delta') return 3;
  // No type (older encoded streams): VP8 frame tag, bit 0 of the first byte is 0 on key frames.
  return data.length > 0 && (data[0] & 1) === 0 ? 10 : 3;
}

async function encryptFrame(frame, kind, tally) {
  const key = sendIndex === null ? undefined : ring.get(sendIndex);
  if (!key) {
    tally.dropped_no_key += 1;
    return false;
  }
  const started = performance.now();
  const data = new Uint8Array(frame.data);
  const prefix = Math.min(prefixLength(frame, kind, data), data.length);
  const head = data.slice(0, prefix);
  let body = data.subarray(prefix);
  if (kind === 'video' && data.length >= VP8_TAG) {
    body = new Uint8Array(VP8_TAG + data.length - prefix);
    body.set(data.subarray(0, VP8_TAG), 0);
    body.set(data.subarray(prefix), VP8_TAG);
    head[0] |= 0xe0;
    head[1] = 0xff;
    head[2] = 0xff;
  }
  const iv = crypto.getRandomValues(new Uint8Array(IV));
  const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: head }, key, body);
  const out = new Uint8Array(prefix + sealed.byteLength + TRAILER);
  out.set(head, 0);
  out.set(new Uint8Array(sealed), prefix);
  out.set(iv, prefix + sealed.byteLength);
  out[out.length - 1] = sendIndex;
  frame.data = out.buffer;
  tally.encrypted += 1;
  if (kind === 'video') {
    remember(timing.encrypt, performance.now() - started);
    remember(timing.bytes, data.length);
  }
  return true;
}

async function decryptFrame(frame, kind, tally) {
  const data = new Uint8Array(frame.data);
  // Chrome hands the receiver an occasional empty audio frame of its own: nothing was sent,
  // so it is dropped without being counted as a failure.
  if (data.length === 0) return false;
  if (data.length < TAG + TRAILER) {
    tally.dropped_failed += 1;
    return false;
  }
  const key = ring.get(data[data.length - 1]);
  if (!key) {
    tally.dropped_no_key += 1;
    return false;
  }
  const started = performance.now();
  const clear = data.length - TAG - TRAILER; // the clear prefix and what was encrypted
  const masked = kind === 'video' && clear >= 2 * VP8_TAG; // a frame tag to restore
  const clearLength = masked ? clear - VP8_TAG : clear; // length of the frame as it was sent
  const prefix = Math.min(prefixLength(frame, kind, data), clearLength);
  const iv = data.subarray(data.length - TRAILER, data.length - 1);
  let plain;
  try {
    plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv, additionalData: data.subarray(0, prefix) },
      key,
      data.subarray(prefix, data.length - TRAILER),
    );
  } catch {
    tally.dropped_failed += 1;
    return false;
  }
  const opened = new Uint8Array(plain);
  const out = new Uint8Array(clearLength);
  if (masked) {
    out.set(opened.subarray(0, VP8_TAG), 0); // the frame tag as it was sent
    out.set(data.subarray(VP8_TAG, prefix), VP8_TAG);
    out.set(opened.subarray(VP8_TAG), prefix);
  } else {
    out.set(data.subarray(0, prefix), 0);
    out.set(opened, prefix);
  }
  frame.data = out.buffer;
  tally.decrypted += 1;
  if (kind === 'video') remember(timing.decrypt, performance.now() - started);
  return true;
}

function pipe(readable, writable, direction, kind) {
  const tally = counts[direction === 'send' ? 'send' : 'recv'][kind === 'audio' ? 'audio' : 'video'];
  const step = direction === 'send' ? encryptFrame : decryptFrame;
  const transform = new TransformStream({
    async transform(frame, controller) {
      if (!encrypt) {
        tally.passthrough += 1;
        controller.enqueue(frame);
        return;
      }
      try {
        if (await step(frame, kind, tally)) controller.enqueue(frame);
      } catch {
        tally.dropped_failed += 1; // a broken frame must not stop the stream
      }
    },
  });
  readable.pipeThrough(transform).pipeTo(writable).catch(() => {});
}

function quantile(sorted, q) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function summary(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  return { count: sorted.length, median: quantile(sorted, 0.5), p95: quantile(sorted, 0.95) };
}

// `samples`: also the raw timings (ms) of the window, oldest first (the bench pairs them).
function stats(samples) {
  const raw = samples
    ? { encrypt: [...timing.encrypt], decrypt: [...timing.decrypt], bytes: [...timing.bytes] }
    : undefined;
  return {
    samples: raw,
    mode: encrypt ? 'e2ee' : 'transport',
    send_index: sendIndex,
    keys: [...ring.keys()],
    send: structuredClone(counts.send),
    recv: structuredClone(counts.recv),
    video_ms: {
      encrypt: summary(timing.encrypt),
      decrypt: summary(timing.decrypt),
      frame_bytes_median: summary(timing.bytes).median,
    },
  };
}

async function installKey(index, raw) {
  if (!Number.isInteger(index) || index < 0 || index > 255) return;
  if (!(raw instanceof ArrayBuffer) || raw.byteLength !== 32) return;
  const key = await crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
  ring.set(index, key);
  sendIndex = index;
}

function onControl(message) {
  switch (message.type) {
    case 'key':
      return installKey(message.index, message.raw);
    case 'mode':
      encrypt = message.encrypt !== false;
      return undefined;
    case 'hold': // someone left the room: nothing more goes out under the key they held
      sendIndex = null;
      return undefined;
    case 'forget':
      ring.delete(message.index);
      if (sendIndex === message.index) sendIndex = null;
      return undefined;
    case 'stats':
      self.postMessage({ type: 'stats', id: message.id, stats: stats(message.samples === true) });
      return undefined;
    case 'stream':
      pipe(message.readable, message.writable, message.direction, message.kind);
      return undefined;
    default:
      return undefined;
  }
}

// Listeners rather than on* properties: the served modules set no global property.
self.addEventListener('message', (event) => {
  const message = event.data || {};
  control = control.then(() => onControl(message)).catch(() => {});
});

// RTCRtpScriptTransform: options = { direction: 'send' | 'recv', kind: 'audio' | 'video', id }.
self.addEventListener('rtctransform', (event) => {
  const { readable, writable, options } = event.transformer;
  pipe(readable, writable, options.direction, options.kind);
});
