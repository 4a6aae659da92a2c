// Pointer handling per tool (Pointer Events: mouse, touch and pen alike). Drawing tools
// preview locally and send one operation on release; the eraser sends one erase for
// everything it went over; select drags an object live and sends one move on release.
// Two fingers, the hand tool, the middle button or a held space bar pan; wheel and pinch zoom.
import { smoothPath } from './draw.js';
import { hasWords } from './model.js';
import { bounds, clamp, coord, hits, LIMIT, point, strokePoints } from './shapes.js';

export const TOOLS = ['select', 'hand', 'pen', 'line', 'arrow', 'rect', 'ellipse', 'text', 'sticky', 'eraser'];
const MAX_ERASE = 200;

export function randomId() {
  const bytes = crypto.getRandomValues(new Uint8Array(9));
  return `o${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

export class ToolHandler {
  // board: { canvas, tool(), style(), visible(), mayEdit(obj), send(op), select(id), selected(),
  //          editText(kind, point, existing?), readOnly() }
  constructor(canvasEl, board) {
    this.el = canvasEl;
    this.board = board;
    this.pointers = new Map(); // pointerId -> [clientX, clientY]
    this.action = null; // what the primary pointer is doing
    this.pinch = null;
    this.space = false;
    this.listeners = {
      pointerdown: (e) => this.down(e),
      pointermove: (e) => this.move(e),
      pointerup: (e) => this.up(e, true),
      pointercancel: (e) => this.up(e, false),
      wheel: (e) => this.wheel(e),
      contextmenu: (e) => e.preventDefault(),
      dblclick: (e) => this.doubleClick(e),
    };
    for (const [name, fn] of Object.entries(this.listeners)) this.el.addEventListener(name, fn, { passive: false });
  }

  get view() {
    return this.board.canvas;
  }

  // -- what the canvas shows while a tool works ---------------------------------------

  // The objects as the tool currently shows them (erased ones hidden, the dragged one moved).
  transform(objects) {
    const a = this.action;
    if (!a) return objects;
    if (a.kind === 'eraser') return objects.filter((o) => !a.targets.has(o.id));
    if (a.kind === 'drag' && (a.dx || a.dy)) {
      return objects.map((o) => (o.id === a.obj.id ? { ...o, dx: o.dx + a.dx, dy: o.dy + a.dy } : o));
    }
    return objects;
  }

  overlay(g) {
    const a = this.action;
    if (!a || !a.shape) return;
    const s = a.shape;
    g.save();
    g.strokeStyle = s.color;
    g.fillStyle = s.color;
    g.lineWidth = s.width;
    g.lineCap = 'round';
    g.lineJoin = 'round';
    g.beginPath();
    if (s.type === 'stroke') {
      if (s.points.length > 1) smoothPath(g, s.points);
      else g.arc(s.points[0][0], s.points[0][1], s.width / 2, 0, 2 * Math.PI);
    } else if (s.type === 'line' || s.type === 'arrow') {
      g.moveTo(...s.start);
      g.lineTo(...s.end);
    } else if (s.type === 'rect') g.rect(s.x, s.y, s.w, s.h);
    else if (s.type === 'ellipse') g.ellipse(s.x + s.w / 2, s.y + s.h / 2, s.w / 2, s.h / 2, 0, 0, 2 * Math.PI);
    g.stroke();
    g.restore();
  }

  // -- pointers -------------------------------------------------------------------------

  down(e) {
    e.preventDefault();
    this.el.focus({ preventScroll: true });
    this.pointers.set(e.pointerId, [e.clientX, e.clientY]);
    try {
      this.el.setPointerCapture(e.pointerId);
    } catch {
      // a pointer the browser no longer tracks: its moves still reach the canvas
    }
    if (this.pointers.size === 2) {
      this.action = null; // a second finger: the gesture is a pinch, not a drawing
      this.startPinch();
      this.view.invalidate();
      return;
    }
    if (this.pointers.size > 2 || this.action) return;
    const p = this.view.toBoard(e.clientX, e.clientY);
    const tool = this.board.tool();
    if (tool === 'hand' || e.button === 1 || this.space || (this.board.readOnly() && tool !== 'select')) {
      this.action = { kind: 'pan', id: e.pointerId, last: [e.clientX, e.clientY] };
    } else if (e.button !== 0) {
      return;
    } else if (tool === 'select') {
      this.startSelect(e, p);
    } else if (tool === 'eraser') {
      this.action = { kind: 'eraser', id: e.pointerId, targets: new Set(), last: p };
      this.erase(p);
    } else if (tool === 'text' || tool === 'sticky') {
      // on a text (or note) of one's own: edit its words; elsewhere: a new one
      const words = this.editable(p, tool);
      this.action = { kind: 'place', id: e.pointerId, tool, start: p, words };
    } else {
      this.startShape(e, tool, p);
    }
    this.view.invalidate();
  }

  startSelect(e, p) {
    const hit = this.topmost(p, false) || this.within(p);
    this.board.select(hit ? hit.id : null);
    if (hit && this.board.mayEdit(hit) && !this.board.readOnly()) {
      this.action = { kind: 'drag', id: e.pointerId, obj: hit, start: p, dx: 0, dy: 0, box: bounds(hit) };
    } else if (!hit) {
      this.action = { kind: 'pan', id: e.pointerId, last: [e.clientX, e.clientY] };
    }
  }

  startShape(e, tool, p) {
    const { color, width } = this.board.style();
    const q = point(p);
    let shape;
    if (tool === 'pen') shape = { type: 'stroke', points: [q], color, width };
    else if (tool === 'line' || tool === 'arrow') shape = { type: tool, start: q, end: q, color, width };
    else shape = { type: tool, x: q[0], y: q[1], w: 0, h: 0, color, width };
    this.action = { kind: 'shape', id: e.pointerId, tool, start: q, raw: [p], shape };
  }

  move(e) {
    if (!this.pointers.has(e.pointerId)) return;
    this.pointers.set(e.pointerId, [e.clientX, e.clientY]);
    if (this.pinch) {
      this.movePinch();
      return;
    }
    const a = this.action;
    if (!a || a.id !== e.pointerId) return;
    e.preventDefault();
    if (a.kind === 'pan') {
      this.view.panBy(e.clientX - a.last[0], e.clientY - a.last[1]);
      a.last = [e.clientX, e.clientY];
      return;
    }
    const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [];
    const points = (events.length ? events : [e]).map((c) => this.view.toBoard(c.clientX, c.clientY));
    const p = points[points.length - 1];
    if (a.kind === 'eraser') points.forEach((q) => this.eraseTo(q));
    else if (a.kind === 'drag') {
      a.dx = clamp(p[0] - a.start[0], -LIMIT - a.box.x, LIMIT - a.box.x - a.box.w);
      a.dy = clamp(p[1] - a.start[1], -LIMIT - a.box.y, LIMIT - a.box.y - a.box.h);
    } else if (a.kind === 'shape') this.extend(a, points, e.shiftKey);
    this.view.invalidate();
  }

  extend(a, points, square) {
    const s = a.shape;
    const p = point(points[points.length - 1]);
    if (a.tool === 'pen') {
      const minStep = 1.5 / this.view.scale;
      for (const q of points) {
        const last = a.raw[a.raw.length - 1];
        if (Math.hypot(q[0] - last[0], q[1] - last[1]) < minStep) continue;
        a.raw.push(q);
        s.points.push(point(q));
      }
    } else if (a.tool === 'line' || a.tool === 'arrow') {
      s.end = p;
    } else {
      let w = p[0] - a.start[0];
      let h = p[1] - a.start[1];
      if (square) {
        const side = Math.max(Math.abs(w), Math.abs(h));
        w = Math.sign(w || 1) * side;
        h = Math.sign(h || 1) * side;
      }
      s.x = coord(Math.min(a.start[0], a.start[0] + w));
      s.y = coord(Math.min(a.start[1], a.start[1] + h));
      s.w = Math.min(Math.abs(w), LIMIT - s.x);
      s.h = Math.min(Math.abs(h), LIMIT - s.y);
    }
  }

  up(e, finished) {
    this.pointers.delete(e.pointerId);
    if (this.pinch) {
      if (this.pointers.size < 2) this.pinch = null;
      return;
    }
    const a = this.action;
    if (!a || a.id !== e.pointerId) return;
    this.action = null;
    if (finished) this.finish(a);
    this.view.invalidate();
  }

  finish(a) {
    const tiny = 3 / this.view.scale;
    if (a.kind === 'eraser' && a.targets.size) {
      this.board.send({ type: 'erase', targets: [...a.targets].slice(0, MAX_ERASE) });
    } else if (a.kind === 'drag' && Math.hypot(a.dx, a.dy) > 0.5 / this.view.scale) {
      this.board.send({ type: 'move', target: a.obj.id, dx: coord(a.dx), dy: coord(a.dy) });
    } else if (a.kind === 'place') {
      this.board.editText(a.tool, a.start, a.words);
    } else if (a.kind === 'shape') {
      const s = a.shape;
      if (s.type === 'stroke') s.points = strokePoints(a.raw, 0.5 / this.view.scale);
      else if ((s.type === 'line' || s.type === 'arrow') && Math.hypot(s.end[0] - s.start[0], s.end[1] - s.start[1]) < tiny) return;
      else if ((s.type === 'rect' || s.type === 'ellipse') && (s.w < tiny || s.h < tiny)) return;
      if (s.w !== undefined) {
        s.w = Math.round(s.w * 10) / 10;
        s.h = Math.round(s.h * 10) / 10;
      }
      this.board.send({ ...s, id: randomId() });
    }
  }

  // -- eraser and selection ---------------------------------------------------------------

  topmost(p, editableOnly) {
    const tolerance = 6 / this.view.scale;
    const objects = this.board.visible();
    for (let i = objects.length - 1; i >= 0; i--) {
      const obj = objects[i];
      if (editableOnly && !this.board.mayEdit(obj)) continue;
      if (hits(obj, p, tolerance)) return obj;
    }
    return null;
  }

  // The text or sticky note under p whose words this person may change (of one kind, if given).
  editable(p, kind = null) {
    if (this.board.readOnly()) return null;
    const hit = this.topmost(p, true) || this.within(p);
    if (!hit || hit.pending || !hasWords(hit) || !this.board.mayEdit(hit)) return null;
    return kind === null || hit.shape.type === kind ? hit : null;
  }

  doubleClick(e) {
    if (this.board.tool() !== 'select') return;
    const words = this.editable(this.view.toBoard(e.clientX, e.clientY));
    if (words) {
      e.preventDefault();
      this.action = null;
      this.board.editText(words.shape.type, null, words);
    }
  }

  // Everything along the way from the last position, however fast the pointer went.
  eraseTo(p) {
    const a = this.action;
    const [x, y] = a.last;
    const steps = Math.min(200, Math.ceil(Math.hypot(p[0] - x, p[1] - y) / (4 / this.view.scale)));
    for (let i = 1; i <= steps; i++) this.erase([x + ((p[0] - x) * i) / steps, y + ((p[1] - y) * i) / steps]);
    a.last = p;
  }

  // The smallest object whose box holds p (clicking inside an outlined shape selects it).
  within(p) {
    let best = null;
    for (const obj of this.board.visible()) {
      const box = bounds(obj);
      if (p[0] < box.x || p[0] > box.x + box.w || p[1] < box.y || p[1] > box.y + box.h) continue;
      if (!best || box.w * box.h < best.area) best = { obj, area: box.w * box.h };
    }
    return best ? best.obj : null;
  }

  erase(p) {
    const a = this.action;
    if (a.targets.size >= MAX_ERASE) return;
    const hit = this.topmost(p, true);
    if (hit && !hit.pending) a.targets.add(hit.id);
  }

  // -- pinch, wheel -------------------------------------------------------------------------

  startPinch() {
    const [a, b] = [...this.pointers.values()];
    this.pinch = { distance: Math.hypot(b[0] - a[0], b[1] - a[1]) || 1, center: [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2] };
  }

  movePinch() {
    const [a, b] = [...this.pointers.values()];
    const distance = Math.hypot(b[0] - a[0], b[1] - a[1]) || 1;
    const center = [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
    const rect = this.el.getBoundingClientRect();
    this.view.panBy(center[0] - this.pinch.center[0], center[1] - this.pinch.center[1]);
    this.view.zoomAt(distance / this.pinch.distance, center[0] - rect.left, center[1] - rect.top);
    this.pinch = { distance, center };
  }

  wheel(e) {
    e.preventDefault();
    const rect = this.el.getBoundingClientRect();
    const delta = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaY;
    this.view.zoomAt(Math.exp(-delta * (e.ctrlKey ? 0.01 : 0.0015)), e.clientX - rect.left, e.clientY - rect.top);
  }

  cancel() {
    this.action = null;
    this.pinch = null;
    this.pointers.clear();
    this.view.invalidate();
  }

  destroy() {
    for (const [name, fn] of Object.entries(this.listeners)) this.el.removeEventListener(name, fn);
  }
}
