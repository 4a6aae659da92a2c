// The document viewer: PDF pages drawn by PDF.js (served locally, loaded on first use),
// images as <img> from the blob, text as <pre> (textContent only). Page navigation and zoom.
// Zoom is relative to "fit the width", so the same zoom shows the same part of a page on a
// phone and on a laptop (what "follow me" needs).
import { h, mount } from '../../common/dom.js';
import { t } from '../../common/i18n.js';

const PDFJS = '/vendor/pdfjs/pdf.min.mjs';
const PDFJS_WORKER = '/vendor/pdfjs/pdf.worker.min.mjs';
export const ZOOMS = [0.5, 0.75, 1, 1.25, 1.5, 2, 3];
export const MIN_ZOOM = 0.1;
export const MAX_ZOOM = 10;

let pdfjs = null;

async function loadPdfJs() {
  if (!pdfjs) {
    pdfjs = await import(PDFJS);
    pdfjs.GlobalWorkerOptions.workerSrc = PDFJS_WORKER;
  }
  return pdfjs;
}

export function clampZoom(zoom) {
  const z = Number(zoom);
  return Number.isFinite(z) ? Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, z)) : 1;
}

export class DocViewer {
  // onNavigate(page, zoom): the person turned a page or zoomed (not called for goTo()).
  constructor(container, { onNavigate, onRendered } = {}) {
    this.el = container;
    this.onNavigate = onNavigate || (() => {});
    this.onRendered = onRendered || (() => {});
    this.doc = null; // { doc_id, title, kind: 'pdf'|'image'|'text' }
    this.page = 1;
    this.zoom = 1;
    this.pages = 1;
    this.locked = false; // following someone: the buttons are off
    this.pdf = null;
    this.url = null;
    this.task = null;
    this.wanted = 0;
    this.done = 0;
    this.busy = false;
    this.generation = 0;
    this.ready = false;
    this.lastWidth = 0;
    this.pageLabel = h('span', { class: 'doc-page', id: 'doc-page', 'aria-live': 'polite' });
    this.zoomLabel = h('span', { class: 'doc-zoom', id: 'doc-zoom' });
    this.prev = h('button', { type: 'button', class: 'secondary', id: 'doc-prev', onclick: () => this.step(-1) }, '‹');
    this.next = h('button', { type: 'button', class: 'secondary', id: 'doc-next', onclick: () => this.step(1) }, '›');
    this.out = h('button', { type: 'button', class: 'secondary', id: 'doc-zoom-out', onclick: () => this.scale(-1) }, '−');
    this.in = h('button', { type: 'button', class: 'secondary', id: 'doc-zoom-in', onclick: () => this.scale(1) }, '+');
    this.fit = h('button', { type: 'button', class: 'secondary', id: 'doc-zoom-fit', onclick: () => this.navigate(this.page, 1) });
    this.bar = h('div', { class: 'doc-nav', role: 'toolbar' },
      this.prev, this.pageLabel, this.next, h('span', { class: 'doc-gap' }), this.out, this.zoomLabel, this.in, this.fit);
    this.stage = h('div', { class: 'doc-stage', id: 'doc-stage', tabindex: '0', onkeydown: (e) => this.key(e) });
    mount(this.el, this.bar, this.stage);
    this.resize = new ResizeObserver(() => this.resized());
    this.resize.observe(this.stage);
    this.labels();
  }

  get current() {
    return this.doc ? { doc_id: this.doc.doc_id, page: this.page, zoom: this.zoom } : null;
  }

  labels() {
    this.prev.setAttribute('aria-label', t('docs.prev'));
    this.next.setAttribute('aria-label', t('docs.next'));
    this.out.setAttribute('aria-label', t('docs.zoomOut'));
    this.in.setAttribute('aria-label', t('docs.zoomIn'));
    this.fit.textContent = t('docs.zoomFit');
    this.pageLabel.textContent = this.doc ? t('docs.pageOf', { page: this.page, pages: this.pages }) : '';
    this.zoomLabel.textContent = `${Math.round(this.zoom * 100)} %`;
    const off = !this.doc || this.locked;
    this.prev.disabled = off || this.page <= 1;
    this.next.disabled = off || this.page >= this.pages;
    this.out.disabled = off || this.zoom <= MIN_ZOOM;
    this.in.disabled = off || this.zoom >= MAX_ZOOM;
    this.fit.disabled = off || this.zoom === 1;
  }

  setLocked(locked) {
    this.locked = locked;
    this.labels();
  }

  // Opens a document from its bytes; kind from the server's Content-Type.
  async open({ doc_id, title, blob, mime }, page = 1, zoom = 1) {
    this.clear();
    const kind = mime.startsWith('application/pdf') ? 'pdf' : mime.startsWith('image/') ? 'image' : 'text';
    this.doc = { doc_id, title, kind };
    this.stage.dataset.kind = kind;
    mount(this.stage, h('p', { class: 'muted' }, t('docs.loading')));
    try {
      if (kind === 'pdf') {
        const lib = await loadPdfJs();
        const data = new Uint8Array(await blob.arrayBuffer());
        const loading = lib.getDocument({ data, useWasm: false, enableXfa: false });
        this.loading = loading;
        const pdf = await loading.promise;
        if (this.loading !== loading) return; // closed or replaced meanwhile
        this.pdf = pdf;
        this.pages = pdf.numPages;
      } else if (kind === 'image') {
        this.pages = 1;
        this.url = URL.createObjectURL(blob);
        this.img = h('img', { class: 'doc-image', src: this.url, alt: title });
      } else {
        this.pages = 1;
        this.pre = h('pre', { class: 'doc-text' }, await blob.text());
      }
    } catch {
      this.failed();
      return;
    }
    if (this.doc?.doc_id !== doc_id) return;
    this.ready = true;
    await this.goTo(page, zoom);
  }

  // Shows a page (programmatic: "follow me" or the presenter's own state).
  async goTo(page, zoom = this.zoom) {
    if (!this.doc) return;
    this.page = Math.min(this.pages, Math.max(1, Math.round(Number(page) || 1)));
    this.zoom = clampZoom(zoom);
    this.labels();
    await this.render();
  }

  navigate(page, zoom) {
    if (!this.doc || this.locked) return;
    const before = `${this.page}/${this.zoom}`;
    this.goTo(page, zoom);
    if (`${this.page}/${this.zoom}` !== before) this.onNavigate(this.page, this.zoom);
  }

  step(delta) {
    this.navigate(this.page + delta, this.zoom);
  }

  scale(direction) {
    const zooms = direction > 0 ? ZOOMS.filter((z) => z > this.zoom + 1e-6) : ZOOMS.filter((z) => z < this.zoom - 1e-6);
    const zoom = direction > 0 ? (zooms[0] ?? MAX_ZOOM) : (zooms.at(-1) ?? MIN_ZOOM);
    this.navigate(this.page, clampZoom(zoom));
  }

  key(event) {
    const moves = { ArrowRight: 1, PageDown: 1, ArrowLeft: -1, PageUp: -1 };
    if (moves[event.key]) {
      event.preventDefault();
      this.step(moves[event.key]);
    }
  }

  resized() {
    const width = this.stage.clientWidth;
    if (this.doc && width > 0 && Math.abs(width - this.lastWidth) > 8) this.render();
  }

  // Renders the wanted state; a newer request cancels the one in progress. clear() starts a
  // new generation: a draw left hanging by a destroyed document can never block the next one.
  async render() {
    this.wanted += 1;
    if (this.busy) {
      if (this.task) this.task.cancel();
      return;
    }
    this.busy = true;
    const generation = this.generation;
    try {
      while (generation === this.generation && this.done !== this.wanted && this.doc) {
        const ticket = this.wanted;
        const ok = await this.draw();
        if (generation !== this.generation) return;
        if (ok || ticket === this.wanted) this.done = ticket;
      }
    } finally {
      if (generation === this.generation) this.busy = false;
    }
  }

  async draw() {
    const { doc, page, zoom } = this;
    if (!this.ready) return true; // still loading: open() asks again when it is
    this.lastWidth = this.stage.clientWidth;
    if (doc.kind === 'image') {
      this.img.style.width = `${zoom * 100}%`;
      if (this.img.parentNode !== this.stage) mount(this.stage, this.img);
    } else if (doc.kind === 'text') {
      this.pre.style.fontSize = `${zoom}rem`;
      if (this.pre.parentNode !== this.stage) mount(this.stage, this.pre);
    } else if (!(await this.drawPdf(page, zoom))) {
      return false;
    }
    this.stage.dataset.page = String(page);
    this.onRendered({ doc_id: doc.doc_id, page, zoom });
    return true;
  }

  async drawPdf(page, zoom) {
    const pdf = this.pdf;
    let pdfPage;
    try {
      pdfPage = await pdf.getPage(page);
    } catch {
      return this.pdf !== pdf ? false : this.failed();
    }
    if (this.pdf !== pdf) return false;
    const base = pdfPage.getViewport({ scale: 1 });
    const width = (this.stage.clientWidth || 800) - 24;
    const dpr = window.devicePixelRatio || 1;
    const scale = Math.max(0.05, (width / base.width) * zoom);
    const viewport = pdfPage.getViewport({ scale: scale * dpr });
    const canvas = h('canvas', { class: 'doc-canvas', id: 'doc-canvas', role: 'img',
      'aria-label': t('docs.pageOf', { page, pages: this.pages }) });
    canvas.width = Math.floor(viewport.width);
    canvas.height = Math.floor(viewport.height);
    canvas.style.width = `${Math.floor(viewport.width / dpr)}px`;
    canvas.style.height = `${Math.floor(viewport.height / dpr)}px`;
    this.task = pdfPage.render({ canvas, viewport });
    try {
      await this.task.promise;
    } catch (error) {
      if (error && error.name === 'RenderingCancelledException') return false;
      return this.failed();
    } finally {
      this.task = null;
    }
    if (this.pdf !== pdf) return false;
    mount(this.stage, canvas);
    return true;
  }

  failed() {
    mount(this.stage, h('p', { class: 'error', id: 'doc-error' }, t('docs.error.view')));
    return true;
  }

  clear() {
    this.generation += 1;
    this.busy = false;
    if (this.task) this.task.cancel();
    if (this.loading) this.loading.destroy(); // the document and its worker
    this.loading = null;
    if (this.url) URL.revokeObjectURL(this.url);
    this.ready = false;
    this.pdf = null;
    this.url = null;
    this.img = null;
    this.pre = null;
    this.doc = null;
    this.page = 1;
    this.pages = 1;
    this.zoom = 1;
    this.done = this.wanted;
    delete this.stage.dataset.page;
    mount(this.stage);
    this.labels();
  }

  destroy() {
    this.resize.disconnect();
    this.clear();
    mount(this.el);
  }
}
