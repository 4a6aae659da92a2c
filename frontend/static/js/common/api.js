// JSON calls to Palabre's REST API, with the CSRF double-submit header.

export class ApiError extends Error {
  constructor(status, code, message, detail = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.detail = detail;
  }
}

export function csrfToken() {
  const match = document.cookie.split('; ').find((c) => c.startsWith('palabre_csrf='));
  return match ? decodeURIComponent(match.slice('palabre_csrf='.length)) : '';
}

export async function ensureCsrf() {
  if (!csrfToken()) await fetch('/healthz', { credentials: 'same-origin' });
}

// The random id this browser keeps: a reload or a second tab is the same device and keeps
// its seat; the same link opened on another device waits for the mediator to decide. It goes
// with the link on the socket and on the session's own routes.
export function deviceId() {
  const name = 'palabre.device';
  let id = null;
  try {
    id = localStorage.getItem(name);
  } catch { /* storage refused: a new id each time, so the mediator is asked again */ }
  if (!id || !/^[A-Za-z0-9_-]{16,64}$/.test(id)) {
    id = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
    try {
      localStorage.setItem(name, id);
    } catch { /* as above */ }
  }
  return id;
}

// Headers for the session's own routes (documents, board exports): a party's link token as a
// bearer with the browser's device id (only the device holding the seat is served), the
// mediator's session cookie travels by itself; writes add the CSRF header.
export async function sessionHeaders(credentials, { write = false } = {}) {
  const headers = {};
  if (credentials?.token) {
    headers.Authorization = `Bearer ${credentials.token}`;
    headers['X-Palabre-Device'] = deviceId();
  }
  if (write) {
    await ensureCsrf();
    headers['X-CSRF-Token'] = csrfToken();
  }
  return headers;
}

export async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin' };
  if (method !== 'GET') {
    await ensureCsrf();
    headers['X-CSRF-Token'] = csrfToken();
  }
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, 'network', 'network error');
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const error = (data && data.error) || {};
    throw new ApiError(response.status, error.code || 'unknown', error.message || '', error);
  }
  return data;
}
