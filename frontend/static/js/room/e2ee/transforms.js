// End-to-end media encryption, wiring (main thread): which frame-transform API this browser
// has, and FrameCrypto, which routes every sender's and receiver's encoded frames of one peer
// connection through one crypto worker (worker.js; frame format in docs/e2ee.md §1:
// clear prefix || AES-GCM ciphertext || tag || iv (12) || keyIndex (1)).
//
// - 'script': RTCRtpScriptTransform (sender.transform / receiver.transform).
// - 'streams': createEncodedStreams; the RTCPeerConnection must be made with
//   peerConnectionConfig('streams'), and then EVERY sender and receiver must be attached
//   (frames of an unattached one stay in its stream and its media stalls). attachSender and
//   attachReceiver are idempotent per object, so calling them on each negotiation is safe.
// Until setKey is called, frames we send are dropped (never sent in clear), unless
// setMode(false) (the room's 'transport' fallback) lets everything through untouched.

import { frameTransformSupport } from '../../common/frames.js';

export { frameTransformSupport };

export function peerConnectionConfig(api) {
  return api === 'streams' ? { encodedInsertableStreams: true } : {};
}

export class FrameCrypto {
  constructor(api) {
    if (api !== 'script' && api !== 'streams') throw new Error('no frame transform API');
    this.api = api;
    this.worker = new Worker(new URL('./worker.js', import.meta.url), {
      type: 'module',
      name: 'palabre-e2ee',
    });
    this.attached = new WeakSet(); // senders and receivers already routed through the worker
    this.nextId = 1;
    this.pending = new Map(); // stats request id -> resolve
    this.worker.addEventListener('message', (event) => {
      const message = event.data || {};
      if (message.type !== 'stats') return;
      const resolve = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (resolve) resolve(message.stats);
    });
  }

  attachSender(sender, kind) {
    this.attach(sender, 'send', kind || (sender.track && sender.track.kind));
  }

  attachReceiver(receiver, kind) {
    this.attach(receiver, 'recv', kind || (receiver.track && receiver.track.kind));
  }

  attach(endpoint, direction, kind) {
    if (!this.worker || this.attached.has(endpoint)) return;
    if (kind !== 'audio' && kind !== 'video') throw new Error('unknown media kind');
    this.attached.add(endpoint);
    const id = `${direction}-${this.nextId++}`;
    if (this.api === 'script') {
      endpoint.transform = new RTCRtpScriptTransform(this.worker, { direction, kind, id });
      return;
    }
    const { readable, writable } = endpoint.createEncodedStreams();
    this.worker.postMessage({ type: 'stream', readable, writable, direction, kind, id }, [
      readable,
      writable,
    ]);
  }

  // Installs the 32-byte room key at ring index `index` (epoch & 0xff) and sends with it.
  setKey(index, raw) {
    if (!this.worker) return;
    if (!(raw instanceof Uint8Array) || raw.length !== 32) throw new Error('bad room key');
    const copy = raw.slice().buffer; // transferred: the caller's array stays intact
    this.worker.postMessage({ type: 'key', index, raw: copy }, [copy]);
  }

  // Stops sending until the next setKey: frames are dropped meanwhile (a member left, and
  // nothing said from now on may be under the key they hold). Received frames still decrypt.
  hold() {
    if (this.worker) this.worker.postMessage({ type: 'hold' });
  }

  forget(index) {
    if (this.worker) this.worker.postMessage({ type: 'forget', index });
  }

  setMode(encrypt) {
    if (this.worker) this.worker.postMessage({ type: 'mode', encrypt: Boolean(encrypt) });
  }

  // Counters per direction and kind, and per-video-frame timings (see worker.js);
  // { samples: true } adds the raw timings of the window (for the bench).
  stats({ samples = false } = {}) {
    if (!this.worker) return Promise.resolve(null);
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.worker.postMessage({ type: 'stats', id, samples });
    });
  }

  close() {
    if (!this.worker) return;
    this.worker.terminate();
    this.worker = null;
    for (const resolve of this.pending.values()) resolve(null);
    this.pending.clear();
  }
}
