// The client's mirror of a room's whiteboard log (sessions/wb_log.py): a snapshot, then the
// server's entries applied in sequence order exactly like wb_log.apply. A gap in the
// sequence numbers means an entry was missed: the caller resyncs with wb:sync. Pending local
// operations are an overlay shown at once and dropped when the server's entry arrives.
// history counts the steps I may undo and redo, as the server does (sessions/whiteboard.py):
// given by wb:sync, then followed entry by entry.

export const Z_STRIDE = 10000;
const EDITS = new Set(['erase', 'move', 'edit_text', 'recolor', 'undo', 'redo', 'clear', 'paste']);
const WORDS = new Set(['text', 'sticky']); // the shapes whose text can be edited

export function isShape(op) {
  return !EDITS.has(op.type);
}

// Whether an object is a text or a sticky note (their words can be edited).
export function hasWords(obj) {
  return WORDS.has(obj.shape.type);
}

// One entry applied to a Map id -> wire BoardObject, in place (wb_log.apply).
export function applyEntry(objects, entry) {
  const op = entry.op;
  if (op.type === 'paste') {
    for (const pasted of op.objects) if (!objects.has(pasted.id)) objects.set(pasted.id, pasted);
  } else if (op.type === 'erase') {
    for (const target of op.targets) objects.delete(target);
  } else if (op.type === 'move') {
    const moved = objects.get(op.target);
    if (moved) objects.set(op.target, { ...moved, dx: moved.dx + op.dx, dy: moved.dy + op.dy });
  } else if (op.type === 'edit_text') {
    const edited = objects.get(op.target);
    if (edited && WORDS.has(edited.shape.type)) objects.set(op.target, { ...edited, shape: { ...edited.shape, text: op.text } });
  } else if (op.type === 'recolor') {
    const recolored = objects.get(op.target);
    if (recolored) objects.set(op.target, { ...recolored, shape: { ...recolored.shape, color: op.color } });
  } else if (op.type === 'clear') {
    objects.clear();
  } else if (op.type === 'undo' || op.type === 'redo') {
    if (entry.changes) {
      for (const removed of entry.changes.removed) objects.delete(removed);
      for (const obj of entry.changes.upserts) objects.set(obj.id, obj);
    }
  } else if (!objects.has(op.id)) {
    objects.set(op.id, { id: op.id, author: entry.author, shape: op, z: entry.seq * Z_STRIDE, dx: 0, dy: 0 });
  }
}

export function byDrawingOrder(a, b) {
  if (a.z !== b.z) return a.z - b.z;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function sameOp(a, b) {
  if (a.type !== b.type) return false;
  if (isShape(a)) return a.id === b.id;
  if (a.type === 'move') return a.target === b.target && a.dx === b.dx && a.dy === b.dy;
  if (a.type === 'erase') return a.targets.join() === b.targets.join();
  if (a.type === 'edit_text') return a.target === b.target; // the server may have cleaned the text
  if (a.type === 'recolor') return a.target === b.target && a.color.toLowerCase() === b.color.toLowerCase();
  return true;
}

export class BoardModel {
  constructor(self = '') {
    this.self = self; // my participant key: my entries settle my pending operations
    this.reset(null);
  }

  reset(roomId) {
    this.roomId = roomId;
    this.seq = 0;
    this.synced = false;
    this.objects = new Map();
    this.pending = []; // [{ token, op }]
    this.nextToken = 1;
    this.history = { undo: 0, redo: 0 };
  }

  // A wb:sync answer: a snapshot (replaces everything) and/or the entries after our seq.
  // Returns false if the entries do not follow on (the caller asks for a snapshot).
  loadSync({ snapshot, ops, history }) {
    if (snapshot) {
      this.objects = new Map(snapshot.objects.map((o) => [o.id, o]));
      this.seq = snapshot.seq;
    }
    for (const entry of ops || []) {
      if (this.receive(entry, false) === 'gap') return false;
    }
    // the server's counts already include the entries above
    this.history = { undo: history?.undo ?? 0, redo: history?.redo ?? 0 };
    this.synced = true;
    return true;
  }

  // One server entry: 'applied', 'old' (already had it) or 'gap' (missed some before it).
  receive(entry, followHistory = true) {
    if (entry.seq <= this.seq) return 'old';
    if (entry.seq !== this.seq + 1) return 'gap';
    applyEntry(this.objects, entry);
    this.seq = entry.seq;
    if (followHistory) this.follow(entry);
    if (entry.author === this.self) {
      const index = this.pending.findIndex((p) => sameOp(p.op, entry.op));
      if (index >= 0) this.pending.splice(index, 1);
    }
    return 'applied';
  }

  // My undo and redo steps after an entry: a clear (anyone's) forgets everyone's history;
  // my undo moves a step to redo and back; anything else I do is a new step and ends redo.
  follow(entry) {
    const h = this.history;
    if (entry.op.type === 'clear') {
      h.undo = 0;
      h.redo = 0;
    }
    if (entry.author !== this.self) return;
    if (entry.op.type === 'undo') {
      h.undo = Math.max(0, h.undo - 1);
      h.redo += 1;
    } else if (entry.op.type === 'redo') {
      h.redo = Math.max(0, h.redo - 1);
      h.undo += 1;
    } else {
      h.undo += 1;
      h.redo = 0;
    }
  }

  // -- optimistic overlay -------------------------------------------------------------

  addPending(op) {
    const token = this.nextToken++;
    this.pending.push({ token, op });
    return token;
  }

  dropPending(token) {
    const before = this.pending.length;
    this.pending = this.pending.filter((p) => p.token !== token);
    return this.pending.length !== before;
  }

  // What to draw: the server's state with my pending operations applied on top.
  visible() {
    if (!this.pending.length) return [...this.objects.values()].sort(byDrawingOrder);
    const shown = new Map(this.objects);
    let z = (this.seq + 1) * Z_STRIDE;
    for (const { op } of this.pending) {
      if (isShape(op)) {
        if (!shown.has(op.id)) shown.set(op.id, { id: op.id, author: this.self, shape: op, z: z++, dx: 0, dy: 0, pending: true });
      } else if (['erase', 'move', 'edit_text', 'recolor'].includes(op.type)) {
        applyEntry(shown, { op, author: this.self, seq: this.seq + 1 });
      }
    }
    return [...shown.values()].sort(byDrawingOrder);
  }

  get(id) {
    return this.visible().find((o) => o.id === id) || null;
  }

  // Plain data for tests and diagnostics.
  state() {
    const objects = {};
    for (const obj of [...this.objects.values()].sort(byDrawingOrder)) objects[obj.id] = obj;
    return { room_id: this.roomId, seq: this.seq, objects, pending: this.pending.length, history: { ...this.history } };
  }
}
