// The board's canvas: the view (zoom and pan), devicePixelRatio, redraw on resize and on
// demand (one frame at a time). screen = board * scale + offset, in CSS pixels.
import { drawGrid, drawObject, drawSelection } from './draw.js';
import { bounds, union } from './shapes.js';

export const MIN_SCALE = 0.05;
export const MAX_SCALE = 8;

export class BoardCanvas {
  // objects(): what to draw, in order; overlay(g, scale): the tool's preview, drawn on top.
  constructor(canvas, { objects, overlay, selected, onView }) {
    this.canvas = canvas;
    this.g = canvas.getContext('2d');
    this.objects = objects;
    this.overlay = overlay;
    this.selected = selected;
    this.onView = onView;
    this.scale = 1;
    this.offset = { x: 0, y: 0 };
    this.size = { w: 0, h: 0 };
    this.placed = false;
    this.frame = 0;
    this.observer = new ResizeObserver(() => this.resize());
    this.observer.observe(canvas);
  }

  resize() {
    const rect = this.canvas.getBoundingClientRect();
    if (!rect.width || !rect.height) return;
    const dpr = window.devicePixelRatio || 1;
    this.size = { w: rect.width, h: rect.height };
    this.canvas.width = Math.round(rect.width * dpr);
    this.canvas.height = Math.round(rect.height * dpr);
    if (!this.placed) {
      this.placed = true;
      this.home();
    }
    this.draw();
  }

  // The starting view: the board's origin near the top left at a round scale, 100 % on a
  // desktop, 75 % on a narrow window, 50 % on a phone (legibly, half of a desktop's width).
  home() {
    const scale = [1, 0.75].find((s) => this.size.w >= 800 * s) || 0.5;
    this.setView(scale, { x: 16, y: 16 });
  }

  setView(scale, offset) {
    this.scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale));
    this.offset = offset;
    this.invalidate();
    if (this.onView) this.onView(this.scale);
  }

  toBoard(clientX, clientY) {
    const rect = this.canvas.getBoundingClientRect();
    return [(clientX - rect.left - this.offset.x) / this.scale, (clientY - rect.top - this.offset.y) / this.scale];
  }

  toScreen(p) {
    return [p[0] * this.scale + this.offset.x, p[1] * this.scale + this.offset.y];
  }

  // Zoom by `factor` keeping the screen point (sx, sy) (CSS pixels in the canvas) in place.
  zoomAt(factor, sx = this.size.w / 2, sy = this.size.h / 2) {
    const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, this.scale * factor));
    const k = scale / this.scale;
    this.setView(scale, { x: sx - (sx - this.offset.x) * k, y: sy - (sy - this.offset.y) * k });
  }

  panBy(dx, dy) {
    this.setView(this.scale, { x: this.offset.x + dx, y: this.offset.y + dy });
  }

  // Everything on the board in view (or the starting view on an empty board).
  fit() {
    const box = union(this.objects().map(bounds));
    if (!box || !this.size.w) {
      this.home();
      return;
    }
    const margin = 24;
    const scale = Math.min(
      (this.size.w - 2 * margin) / Math.max(box.w, 1),
      (this.size.h - 2 * margin) / Math.max(box.h, 1),
      2,
    );
    const s = Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale));
    this.setView(s, {
      x: (this.size.w - box.w * s) / 2 - box.x * s,
      y: (this.size.h - box.h * s) / 2 - box.y * s,
    });
  }

  invalidate() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  draw() {
    const { g, scale } = this;
    const dpr = window.devicePixelRatio || 1;
    g.setTransform(1, 0, 0, 1, 0, 0);
    g.fillStyle = '#ffffff';
    g.fillRect(0, 0, this.canvas.width, this.canvas.height);
    g.setTransform(dpr * scale, 0, 0, dpr * scale, dpr * this.offset.x, dpr * this.offset.y);
    const area = { x: -this.offset.x / scale, y: -this.offset.y / scale, w: this.size.w / scale, h: this.size.h / scale };
    drawGrid(g, area, scale);
    const selected = this.selected();
    for (const obj of this.objects()) {
      drawObject(g, obj);
      if (obj.id === selected) drawSelection(g, obj, scale);
    }
    this.overlay(g, scale);
  }

  destroy() {
    this.observer.disconnect();
    if (this.frame) cancelAnimationFrame(this.frame);
  }
}
