// Geometry of board objects: bounds, hit testing, text layout, stroke simplification and
// the limits of the wire schema (sessions/wb_ops.py).

export const LIMIT = 10000; // board coordinates lie in [-LIMIT, LIMIT]
export const MAX_POINTS = 2000;
export const STICKY_WIDTH = 180;
export const STICKY_PAD = 10;
export const STICKY_FONT = 16;

export function clamp(value, low = -LIMIT, high = LIMIT) {
  return Math.min(high, Math.max(low, value));
}

// Rounded to a tenth (smaller payloads) and kept inside the board.
export function coord(value) {
  return clamp(Math.round(value * 10) / 10);
}

export function point(p) {
  return [coord(p[0]), coord(p[1])];
}

let measurer = null;
function measure(font, text) {
  if (!measurer) measurer = document.createElement('canvas').getContext('2d');
  measurer.font = font;
  return measurer.measureText(text).width;
}

export function fontOf(size) {
  return `${size}px system-ui, "Segoe UI", Roboto, sans-serif`;
}

// Text object: its lines and box (top-left anchored at x, y).
export function textLayout(shape) {
  const lines = shape.text.split('\n');
  const font = fontOf(shape.size);
  const width = Math.max(...lines.map((l) => measure(font, l)), shape.size / 2);
  return { lines, font, lineHeight: shape.size * 1.25, w: width, h: lines.length * shape.size * 1.25 };
}

// Sticky note: text wrapped to the note's width.
export function stickyLayout(shape) {
  const font = fontOf(STICKY_FONT);
  const inner = STICKY_WIDTH - 2 * STICKY_PAD;
  const lines = [];
  for (const paragraph of shape.text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(' ')) {
      const next = line ? `${line} ${word}` : word;
      if (line && measure(font, next) > inner) {
        lines.push(line);
        line = word;
      } else line = next;
    }
    lines.push(line);
  }
  const lineHeight = STICKY_FONT * 1.3;
  const h = Math.max(STICKY_WIDTH * 0.75, lines.length * lineHeight + 2 * STICKY_PAD);
  return { lines, font, lineHeight, w: STICKY_WIDTH, h };
}

// The box of an object in board coordinates, its translation included.
export function bounds(obj) {
  const s = obj.shape;
  let box;
  if (s.type === 'stroke') {
    const xs = s.points.map((p) => p[0]);
    const ys = s.points.map((p) => p[1]);
    box = { x: Math.min(...xs), y: Math.min(...ys), w: Math.max(...xs) - Math.min(...xs), h: Math.max(...ys) - Math.min(...ys) };
  } else if (s.type === 'line' || s.type === 'arrow') {
    const x = Math.min(s.start[0], s.end[0]);
    const y = Math.min(s.start[1], s.end[1]);
    box = { x, y, w: Math.abs(s.end[0] - s.start[0]), h: Math.abs(s.end[1] - s.start[1]) };
  } else if (s.type === 'text') {
    const layout = textLayout(s);
    box = { x: s.x, y: s.y, w: layout.w, h: layout.h };
  } else if (s.type === 'sticky') {
    const layout = stickyLayout(s);
    box = { x: s.x, y: s.y, w: layout.w, h: layout.h };
  } else {
    box = { x: s.x, y: s.y, w: s.w, h: s.h };
  }
  const pad = s.width ? s.width / 2 : 0;
  return { x: box.x + obj.dx - pad, y: box.y + obj.dy - pad, w: box.w + 2 * pad, h: box.h + 2 * pad };
}

export function union(boxes) {
  if (!boxes.length) return null;
  const x = Math.min(...boxes.map((b) => b.x));
  const y = Math.min(...boxes.map((b) => b.y));
  const right = Math.max(...boxes.map((b) => b.x + b.w));
  const bottom = Math.max(...boxes.map((b) => b.y + b.h));
  return { x, y, w: right - x, h: bottom - y };
}

function segmentDistance(p, a, b) {
  const vx = b[0] - a[0];
  const vy = b[1] - a[1];
  const len = vx * vx + vy * vy;
  let t = len ? ((p[0] - a[0]) * vx + (p[1] - a[1]) * vy) / len : 0;
  t = Math.max(0, Math.min(1, t));
  return Math.hypot(p[0] - (a[0] + t * vx), p[1] - (a[1] + t * vy));
}

// Does the board point p touch the object (within tolerance, in board units)?
export function hits(obj, p, tolerance) {
  const s = obj.shape;
  const q = [p[0] - obj.dx, p[1] - obj.dy];
  const reach = tolerance + (s.width || 0) / 2;
  if (s.type === 'stroke') {
    if (s.points.length === 1) return Math.hypot(q[0] - s.points[0][0], q[1] - s.points[0][1]) <= reach;
    for (let i = 1; i < s.points.length; i++) {
      if (segmentDistance(q, s.points[i - 1], s.points[i]) <= reach) return true;
    }
    return false;
  }
  if (s.type === 'line' || s.type === 'arrow') return segmentDistance(q, s.start, s.end) <= reach;
  if (s.type === 'rect') {
    const inside = q[0] >= s.x - reach && q[0] <= s.x + s.w + reach && q[1] >= s.y - reach && q[1] <= s.y + s.h + reach;
    if (!inside) return false;
    if (s.fill) return true;
    return q[0] <= s.x + reach || q[0] >= s.x + s.w - reach || q[1] <= s.y + reach || q[1] >= s.y + s.h - reach;
  }
  if (s.type === 'ellipse') {
    const rx = s.w / 2;
    const ry = s.h / 2;
    const dx = q[0] - (s.x + rx);
    const dy = q[1] - (s.y + ry);
    const outer = (dx * dx) / ((rx + reach) ** 2 || 1) + (dy * dy) / ((ry + reach) ** 2 || 1);
    if (outer > 1) return false;
    if (s.fill || rx <= reach || ry <= reach) return true;
    return (dx * dx) / ((rx - reach) ** 2) + (dy * dy) / ((ry - reach) ** 2) >= 1;
  }
  const box = bounds(obj);
  return p[0] >= box.x - tolerance && p[0] <= box.x + box.w + tolerance
    && p[1] >= box.y - tolerance && p[1] <= box.y + box.h + tolerance;
}

// Ramer-Douglas-Peucker: the fewest points within `tolerance` of the drawn line.
export function simplify(points, tolerance) {
  if (points.length < 3) return points.slice();
  const keep = new Uint8Array(points.length);
  keep[0] = 1;
  keep[points.length - 1] = 1;
  const stack = [[0, points.length - 1]];
  while (stack.length) {
    const [first, last] = stack.pop();
    let worst = 0;
    let index = -1;
    for (let i = first + 1; i < last; i++) {
      const d = segmentDistance(points[i], points[first], points[last]);
      if (d > worst) {
        worst = d;
        index = i;
      }
    }
    if (index >= 0 && worst > tolerance) {
      keep[index] = 1;
      stack.push([first, index], [index, last]);
    }
  }
  return points.filter((_, i) => keep[i]);
}

// A freehand stroke ready to send: simplified, far below the schema's point limit.
export function strokePoints(raw, tolerance) {
  let points = simplify(raw.map(point), tolerance);
  let tol = tolerance;
  while (points.length > MAX_POINTS / 2) {
    tol *= 2;
    points = simplify(points, tol);
  }
  return points;
}
