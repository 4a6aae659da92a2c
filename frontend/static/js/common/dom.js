// Building DOM nodes without ever parsing a string as HTML.
// h('p', {class: 'x', onclick: fn}, 'text', child) — strings become text nodes.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (value === true) {
      el.setAttribute(key, '');
    } else {
      el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

export function mount(target, ...children) {
  target.replaceChildren();
  append(target, children);
}

// A page that replaces another (an end page, the waiting room): if the focus went with the
// old page, its heading takes it, so that a screen reader says where one is and the keyboard
// starts from there (a focus still in place, on the language switch say, is left alone).
export function focusHeading(root) {
  const heading = root.querySelector('h1');
  const current = document.activeElement;
  const kept = current && current !== document.body && current.isConnected && current.getClientRects().length > 0;
  if (!heading || kept) return;
  heading.setAttribute('tabindex', '-1');
  heading.focus({ preventScroll: true });
}
