// The shared text's traffic with the server, for the Yjs document of the room I am in (no
// y-websocket: the room's socket carries it). text:sync brings the document (whole, or what
// my copy lacks, given its state vector) and the server's state vector, from which I send
// what the server lacks; my edits go out as text:update, one at a time (what I type while
// one is on its way goes out merged into the next); the others' come in as text:update.
// After a refusal that a sync can mend (conflict, not stored, no answer) I sync again; after
// one it cannot (the server refused what I typed) my copy is dropped and taken afresh.
import * as Y from 'yjs';
import { fromBase64, toBase64 } from 'lib0/buffer';

const SERVER = 'palabre-server'; // the origin of what the server sent (never sent back)
const EMPTY_UPDATE = 2; // an update with nothing in it is two bytes long
const RETRY_MS = 1000;
const MENDABLE = new Set(['conflict', 'not_stored', 'timeout', 'server_busy']);

export class TextSync {
  // onDoc(doc): a new copy to bind the editor to; onState(): may_edit or saving changed;
  // onError(code): tell the person.
  constructor(ctx, { onDoc, onState, onError }) {
    this.ctx = ctx;
    this.onDoc = onDoc;
    this.onState = onState;
    this.onError = onError;
    this.roomId = null;
    this.doc = null;
    this.mayEdit = false;
    this.mayLock = false; // a mediator: locks paragraphs, and may change locked ones
    this.pending = [];
    this.sending = false;
    this.stale = false;
    this.handlers = {
      'text:update': (data) => {
        if (this.doc && data?.room_id === this.roomId) Y.applyUpdate(this.doc, fromBase64(data.update), SERVER);
      },
      // a write failed: the server's text went back to what is stored; what I had that it
      // lost goes out again with the sync
      'text:reset': (data) => {
        if (data?.room_id === this.roomId) this.sync();
      },
      disconnect: () => {
        this.stale = true;
      },
      'room:view': (view) => {
        if (this.stale && view.room_id === this.roomId) this.sync();
      },
    };
    for (const [event, fn] of Object.entries(this.handlers)) ctx.socket.on(event, fn);
  }

  get saving() {
    return this.sending || this.pending.length > 0;
  }

  // A fresh copy of the room's text (on entering a room, or after a refusal).
  async enter(roomId) {
    this.doc?.destroy();
    this.roomId = roomId;
    this.pending = [];
    const doc = new Y.Doc();
    this.doc = doc;
    doc.on('update', (update, origin) => {
      if (origin !== SERVER && doc === this.doc) this.queue(update);
    });
    await this.sync();
    if (doc === this.doc) this.onDoc(doc);
  }

  async sync() {
    const doc = this.doc;
    const roomId = this.roomId;
    if (!doc) return;
    this.stale = false;
    const ack = await this.ctx.request('text:sync', { state_vector: toBase64(Y.encodeStateVector(doc)) });
    if (doc !== this.doc) return;
    if (!ack.ok || ack.room_id !== roomId) {
      // not in the room (yet), or no answer: the next room view syncs again, or a retry
      this.stale = true;
      setTimeout(() => {
        if (this.stale && doc === this.doc) this.sync();
      }, RETRY_MS);
      return;
    }
    Y.applyUpdate(doc, fromBase64(ack.update), SERVER);
    this.mayEdit = Boolean(ack.may_edit);
    this.mayLock = Boolean(ack.may_lock);
    const missing = Y.encodeStateAsUpdate(doc, fromBase64(ack.state_vector));
    if (missing.length > EMPTY_UPDATE && this.mayEdit) this.queue(missing);
    this.onState();
  }

  queue(update) {
    this.pending.push(update);
    this.flush();
  }

  async flush() {
    if (this.sending || !this.pending.length) return;
    const doc = this.doc;
    const roomId = this.roomId;
    const update = this.pending.length === 1 ? this.pending[0] : Y.mergeUpdates(this.pending);
    this.pending = [];
    this.sending = true;
    this.onState();
    const ack = await this.ctx.request('text:update', { update: toBase64(update), room_id: roomId });
    this.sending = false;
    if (doc !== this.doc) return;
    if (!ack.ok) {
      const code = ack.error?.code;
      this.pending = [];
      if (MENDABLE.has(code)) await this.sync();
      else {
        this.onError(code);
        await this.enter(roomId); // what the server refused is dropped here too
      }
    }
    this.onState();
    this.flush();
  }

  destroy() {
    for (const [event, fn] of Object.entries(this.handlers)) this.ctx.socket.off(event, fn);
    this.doc?.destroy();
    this.doc = null;
    this.roomId = null;
  }
}
