// The room's media keys, on this page: the part of end-to-end encryption the server never sees.
//
// The page makes one ECDH key pair when it loads and announces its public key (e2ee:hello)
// after every session:hello. The server tells it which key group it is in (e2ee:room: the
// members of its media room, their public keys, the epoch, the mode, the distributor). A
// new epoch means a new room key: the distributor's page makes it and sends it wrapped for
// each member alone (e2ee:key); the others unwrap theirs. The key goes to the frame worker
// (transforms.js), which encrypts every frame we send and decrypts every frame we receive;
// a frame under any other key is noise to it. From all the group's public keys each page
// derives the same verification code, for the people in the room to compare aloud.
import { FrameCrypto, frameTransformSupport, peerConnectionConfig } from './transforms.js';
import { b64url, makeKeyPair, newRoomKey, unwrapRoomKey, verificationCode, wrapRoomKey } from './keys.js';

const KEEP_OLD_KEYS_MS = 5000; // frames still in flight under the previous key decrypt meanwhile
const MAX_EXPORTED = 256; // the keys this page held that exportKeys() still lists

// Whether a member of ``before`` (with the key they held) is not in ``after``.
function departed(before, after) {
  const now = new Set(after.members.map((m) => `${m.key} ${m.public_key}`));
  return before.members.some((m) => m.public_key && !now.has(`${m.key} ${m.public_key}`));
}

export class RoomKeys {
  // onChange(status, { codeChanged }): the room's encryption state changed (what to show)
  constructor(socket, { onChange }) {
    this.socket = socket;
    this.onChange = onChange;
    this.api = frameTransformSupport();
    this.frames = this.api ? new FrameCrypto(this.api) : null;
    this.pair = null;
    this.self = null;
    this.sessionId = null;
    this.group = null; // the latest e2ee:room
    this.code = null; // { hex, bytes } of the latest group's public keys
    this.installed = null; // { group, epoch } whose key this page holds
    this.exported = []; // every key this page held: [{ group, epoch, index, key }] (tests export them)
    this.held = []; // the key index in use (older ones are forgotten a few seconds later)
    this.policy = null;
    this.shownCode = null;
    socket.on('e2ee:room', (message) => this.onRoom(message).catch((error) => console.warn('e2ee room', error)));
    socket.on('e2ee:key', (message) => this.onKey(message).catch((error) => console.warn('e2ee key', error)));
  }

  // What a peer connection needs (with createEncodedStreams: every sender and receiver is piped).
  peerConnectionConfig() {
    return this.api ? peerConnectionConfig(this.api) : {};
  }

  attachSender(sender, kind) {
    if (this.frames && sender) this.frames.attachSender(sender, kind);
  }

  attachReceiver(receiver) {
    if (this.frames && receiver) this.frames.attachReceiver(receiver, receiver.track.kind);
  }

  // Announces this page (after every session:hello). The ack's error (e2ee_unsupported: the
  // case requires encryption this browser cannot do) is returned for the page to show.
  async hello(self, sessionId) {
    this.self = self.key;
    this.sessionId = sessionId;
    if (this.api && !this.pair) this.pair = await makeKeyPair();
    const payload = this.api ? { public_key: this.pair.publicKey, supported: true } : { supported: false };
    const ack = await this.socket.timeout(10000).emitWithAck('e2ee:hello', payload).catch(() => null);
    if (ack?.ok) this.policy = ack.policy;
    return ack;
  }

  async onRoom(message) {
    const members = message.members.filter((m) => m.public_key);
    // Someone left this group (or this page left it): nothing more is sent under the key
    // they hold, even before the next key is here (a moment of silence rather than a leak).
    const before = this.group;
    if (before && (before.group !== message.group || departed(before, message))) this.frames?.hold();
    this.group = message;
    this.code = await verificationCode(members);
    if (this.group !== message) return; // a newer one came meanwhile
    if (message.mode === 'transport') {
      this.frames?.setMode(false);
    } else {
      this.frames?.setMode(true);
      if (message.distributor === this.self && this.pair) await this.distribute(message);
    }
    this.changed();
  }

  // This page makes the epoch's key, keeps it, and sends it wrapped for each other ready member.
  async distribute(group) {
    const roomKey = newRoomKey();
    const keys = {};
    for (const member of group.members) {
      if (member.state !== 'ready' || member.key === this.self) continue;
      keys[member.key] = await wrapRoomKey({
        privateKey: this.pair.privateKey, peerPublic: member.public_key, roomKey,
        sessionId: this.sessionId, group: group.group, epoch: group.epoch, sender: this.self, recipient: member.key,
      });
    }
    if (this.group !== group) return; // moved on meanwhile: that key is never used
    this.install(group, roomKey);
    if (Object.keys(keys).length === 0) return;
    await this.socket.emitWithAck('e2ee:key', { group: group.group, epoch: group.epoch, keys }).catch(() => null);
  }

  async onKey(message) {
    const group = this.group;
    if (!group || message.group !== group.group || message.epoch !== group.epoch) return; // stale
    if (message.from !== group.distributor || !this.pair) return;
    const senderPublic = group.members.find((m) => m.key === message.from)?.public_key;
    if (!senderPublic) return;
    const roomKey = await unwrapRoomKey({
      privateKey: this.pair.privateKey, senderPublic, wrapped: { iv: message.iv, data: message.data },
      sessionId: this.sessionId, group: group.group, epoch: group.epoch, sender: message.from, recipient: this.self,
    });
    if (this.group !== group) return;
    this.install(group, roomKey);
    this.changed();
  }

  install(group, roomKey) {
    const index = group.epoch & 0xff;
    this.frames?.setKey(index, roomKey);
    this.exported.push({ group: group.group, epoch: group.epoch, index, key: b64url(roomKey) });
    if (this.exported.length > MAX_EXPORTED) this.exported.splice(0, this.exported.length - MAX_EXPORTED);
    this.installed = { group: group.group, epoch: group.epoch };
    // the mediators see whose page holds the room's key (lost with the connection: the next
    // connection is a new epoch anyway)
    this.socket.emitWithAck('e2ee:opened', { group: group.group, epoch: group.epoch }).catch(() => null);
    // the previous keys go once frames sent under them can no longer be on their way
    const older = this.held.filter((i) => i !== index);
    this.held = [index];
    setTimeout(() => {
      for (const i of older) if (!this.held.includes(i)) this.frames?.forget(i);
    }, KEEP_OLD_KEYS_MS);
  }

  // 'e2ee' (keyed, code shown) | 'keying' (waiting for this epoch's key) | 'transport' | 'off'
  status() {
    const group = this.group;
    if (!group) return { state: 'off' };
    const members = group.members;
    if (group.mode === 'transport') return { state: 'transport', members };
    const keyed = this.installed && this.installed.group === group.group && this.installed.epoch === group.epoch;
    return { state: keyed ? 'e2ee' : 'keying', members, code: this.code, epoch: group.epoch };
  }

  // codeChanged: the room is keyed under a code other than the one it last showed
  changed() {
    const status = this.status();
    let codeChanged = false;
    if (status.state === 'e2ee') {
      codeChanged = Boolean(this.shownCode && this.shownCode !== status.code.hex);
      this.shownCode = status.code.hex;
    }
    this.onChange(status, { codeChanged });
  }

  // A page that comes back (a new connection) is a new member until it announces itself again.
  reset() {
    this.group = null;
    this.installed = null;
  }

  // For diagnostics and the browser tests: every key this page held, and the worker's counters.
  exportKeys() {
    return this.exported.map((entry) => ({ ...entry }));
  }

  stats() {
    return this.frames ? this.frames.stats() : Promise.resolve(null);
  }

  close() {
    this.frames?.close();
  }
}
