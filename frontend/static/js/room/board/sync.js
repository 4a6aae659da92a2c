// The board's traffic with the server: wb:op (sending with an ack; receiving the room's
// entries, one per wb:op, or several stored together as one wb:ops {room_id, entries}),
// wb:sync (on entering a room, after a gap in the sequence, after a reconnect, after a
// wb:reset: the board went back to what is stored) and wb:copy.
// Entries for another room than the one shown are ignored. Our own operations come back
// like everyone else's, before their ack: the ack only says whether they were taken.
import { BoardModel } from './model.js';

export class BoardSync {
  // ctx: the workspace tool context; onChange(): redraw; onError(code): tell the person.
  constructor(ctx, { onChange, onError }) {
    this.ctx = ctx;
    this.onChange = onChange;
    this.onError = onError;
    this.model = new BoardModel(ctx.self.key);
    this.syncing = null;
    this.early = []; // entries that arrived while the first sync of a room was on its way
    this.stale = false; // the connection dropped: resync on the next room view
    this.handlers = {
      'wb:op': (entry) => this.received([entry]),
      'wb:ops': (batch) => this.received(batch?.entries ?? []),
      // a write failed: the room's board went back to what is stored; take it again
      'wb:reset': (data) => {
        if (data?.room_id === this.model.roomId) this.enter(this.model.roomId);
      },
      disconnect: () => {
        this.stale = true;
      },
      'room:view': (view) => {
        if (this.stale && view.room_id === this.model.roomId) this.sync();
      },
    };
    for (const [event, fn] of Object.entries(this.handlers)) ctx.socket.on(event, fn);
  }

  enter(roomId) {
    this.model.reset(roomId);
    this.early = [];
    this.onChange();
    return this.sync();
  }

  // Snapshot on first entry, else the entries after the last one we have.
  async sync() {
    const roomId = this.model.roomId;
    if (!roomId) return;
    if (this.syncing) {
      this.again = true;
      return;
    }
    this.stale = false;
    this.syncing = (async () => {
      let since = this.model.synced ? this.model.seq : undefined;
      for (let attempt = 0; attempt < 3; attempt++) {
        const ack = await this.ctx.request('wb:sync', since === undefined ? {} : { since });
        if (roomId !== this.model.roomId) return;
        if (!ack.ok) {
          this.stale = true; // not in the room yet: the next room view retries
          return;
        }
        if (ack.room_id !== roomId) return;
        if (this.model.loadSync(ack) && this.catchUp()) break;
        since = undefined; // the entries did not follow on: take a snapshot
      }
      this.onChange();
    })();
    try {
      await this.syncing;
    } finally {
      this.syncing = null;
    }
    if (this.again) {
      this.again = false;
      await this.sync();
    }
  }

  received(entries) {
    const mine = entries.filter((entry) => entry && entry.room_id === this.model.roomId);
    if (!mine.length) return;
    if (!this.model.synced) {
      this.early.push(...mine);
      return;
    }
    if (mine.some((entry) => this.model.receive(entry) === 'gap')) this.sync();
    this.onChange();
  }

  // The entries that came while the first sync was on its way; false on a gap.
  catchUp() {
    const early = this.early.sort((a, b) => a.seq - b.seq);
    this.early = [];
    return early.every((entry) => this.model.receive(entry) !== 'gap');
  }

  // Optimistic: shown at once, settled by the server's entry, withdrawn on an error ack.
  async send(op) {
    const roomId = this.model.roomId;
    const optimistic = !['undo', 'redo', 'clear'].includes(op.type);
    const token = optimistic ? this.model.addPending(op) : null;
    this.onChange();
    // room_id: if I was moved meanwhile, the server refuses it rather than draw it elsewhere
    const ack = await this.ctx.request('wb:op', { op, room_id: roomId });
    if (roomId !== this.model.roomId) return ack;
    if (token !== null) this.model.dropPending(token);
    if (!ack.ok) this.onError(ack.error?.code);
    this.onChange();
    return ack;
  }

  async copyToPlenary() {
    const ack = await this.ctx.request('wb:copy', { from_room: this.model.roomId });
    if (!ack.ok) this.onError(ack.error?.code);
    return ack;
  }

  destroy() {
    for (const [event, fn] of Object.entries(this.handlers)) this.ctx.socket.off(event, fn);
    this.model.reset(null);
  }
}
