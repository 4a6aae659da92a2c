// Drawing board objects on a 2D canvas context already set to board coordinates.
// Freehand strokes are smoothed with quadratic curves through the midpoints of their points.
import { bounds, STICKY_PAD, stickyLayout, textLayout } from './shapes.js';

export function smoothPath(g, points) {
  g.beginPath();
  g.moveTo(points[0][0], points[0][1]);
  if (points.length === 2) {
    g.lineTo(points[1][0], points[1][1]);
    return;
  }
  for (let i = 1; i < points.length - 1; i++) {
    const [x, y] = points[i];
    const [nx, ny] = points[i + 1];
    g.quadraticCurveTo(x, y, (x + nx) / 2, (y + ny) / 2);
  }
  const last = points[points.length - 1];
  g.lineTo(last[0], last[1]);
}

function drawStroke(g, s) {
  g.strokeStyle = s.color;
  g.lineWidth = s.width;
  if (s.points.length === 1) {
    g.fillStyle = s.color;
    g.beginPath();
    g.arc(s.points[0][0], s.points[0][1], s.width / 2, 0, 2 * Math.PI);
    g.fill();
    return;
  }
  smoothPath(g, s.points);
  g.stroke();
}

function drawLine(g, s) {
  g.strokeStyle = s.color;
  g.lineWidth = s.width;
  g.beginPath();
  g.moveTo(s.start[0], s.start[1]);
  g.lineTo(s.end[0], s.end[1]);
  g.stroke();
  if (s.type !== 'arrow') return;
  const angle = Math.atan2(s.end[1] - s.start[1], s.end[0] - s.start[0]);
  const head = Math.max(10, s.width * 3.5);
  g.fillStyle = s.color;
  g.beginPath();
  g.moveTo(s.end[0], s.end[1]);
  g.lineTo(s.end[0] - head * Math.cos(angle - 0.45), s.end[1] - head * Math.sin(angle - 0.45));
  g.lineTo(s.end[0] - head * Math.cos(angle + 0.45), s.end[1] - head * Math.sin(angle + 0.45));
  g.closePath();
  g.fill();
}

function drawBox(g, s) {
  g.beginPath();
  if (s.type === 'rect') g.rect(s.x, s.y, s.w, s.h);
  else g.ellipse(s.x + s.w / 2, s.y + s.h / 2, s.w / 2, s.h / 2, 0, 0, 2 * Math.PI);
  if (s.fill) {
    g.fillStyle = s.fill;
    g.fill();
  }
  g.strokeStyle = s.color;
  g.lineWidth = s.width;
  g.stroke();
}

function drawText(g, s) {
  const layout = textLayout(s);
  g.font = layout.font;
  g.fillStyle = s.color;
  g.textBaseline = 'top';
  layout.lines.forEach((line, i) => g.fillText(line, s.x, s.y + i * layout.lineHeight));
}

function drawSticky(g, s) {
  const layout = stickyLayout(s);
  g.save();
  g.shadowColor = 'rgba(0, 0, 0, 0.18)';
  g.shadowBlur = 6;
  g.shadowOffsetY = 2;
  g.fillStyle = s.color;
  g.fillRect(s.x, s.y, layout.w, layout.h);
  g.restore();
  g.font = layout.font;
  g.fillStyle = '#1d2733';
  g.textBaseline = 'top';
  layout.lines.forEach((line, i) => g.fillText(line, s.x + STICKY_PAD, s.y + STICKY_PAD + i * layout.lineHeight));
}

const DRAWERS = {
  stroke: drawStroke, line: drawLine, arrow: drawLine, rect: drawBox, ellipse: drawBox,
  text: drawText, sticky: drawSticky,
};

export function drawObject(g, obj) {
  const draw = DRAWERS[obj.shape.type];
  if (!draw) return;
  g.save();
  g.translate(obj.dx, obj.dy);
  g.lineCap = 'round';
  g.lineJoin = 'round';
  if (obj.pending) g.globalAlpha = 0.75;
  draw(g, obj.shape);
  g.restore();
}

// A dashed frame around a selected object; `scale` keeps it one screen pixel wide.
export function drawSelection(g, obj, scale) {
  const box = bounds(obj);
  const pad = 4 / scale;
  g.save();
  g.strokeStyle = '#24507a';
  g.lineWidth = 1.5 / scale;
  g.setLineDash([6 / scale, 4 / scale]);
  g.strokeRect(box.x - pad, box.y - pad, box.w + 2 * pad, box.h + 2 * pad);
  g.restore();
}

// The board's dotted grid, in board coordinates, for the visible area only.
export function drawGrid(g, area, scale) {
  let step = 50;
  while (step * scale < 24) step *= 2;
  g.save();
  g.fillStyle = '#c9d2dc';
  const r = 1.2 / scale;
  for (let x = Math.floor(area.x / step) * step; x <= area.x + area.w; x += step) {
    for (let y = Math.floor(area.y / step) * step; y <= area.y + area.h; y += step) {
      g.fillRect(x - r / 2, y - r / 2, r, r);
    }
  }
  g.restore();
}
