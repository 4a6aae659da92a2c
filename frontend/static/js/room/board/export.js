// Mediators: the board exported into the case file (SVG and PNG, stored encrypted by the
// server), then downloaded on demand. POST .../board/export {room_id} answers 201
// {seq, files: [{format, file_id, name, size}]}; GET .../board/exports/{file_id} is the file.
import { sessionHeaders } from '../../common/api.js';
import { h } from '../../common/dom.js';

function base(sessionId) {
  return `/api/sessions/${encodeURIComponent(sessionId)}/board`;
}

// { ok: true, seq, files } or { ok: false, code }
export async function exportBoard(ctx, roomId) {
  const headers = { ...(await sessionHeaders(ctx.credentials, { write: true })), 'Content-Type': 'application/json', Accept: 'application/json' };
  let response;
  try {
    response = await fetch(`${base(ctx.sessionId)}/export`, {
      method: 'POST', headers, credentials: 'same-origin', body: JSON.stringify({ room_id: roomId }),
    });
  } catch {
    return { ok: false, code: 'network' };
  }
  const body = await response.json().catch(() => null);
  if (response.status !== 201 || !body || !Array.isArray(body.files)) {
    return { ok: false, code: body?.error?.code || (response.status === 404 ? 'not_found' : 'generic') };
  }
  return { ok: true, seq: body.seq, files: body.files };
}

export async function downloadExport(ctx, file) {
  let response;
  try {
    response = await fetch(`${base(ctx.sessionId)}/exports/${encodeURIComponent(file.file_id)}`, {
      headers: await sessionHeaders(ctx.credentials), credentials: 'same-origin',
    });
  } catch {
    return { ok: false, code: 'network' };
  }
  if (!response.ok) {
    const body = await response.json().catch(() => null);
    return { ok: false, code: body?.error?.code || 'generic' };
  }
  const url = URL.createObjectURL(await response.blob());
  const link = h('a', { href: url, download: file.name || `tableau.${file.format}`, hidden: true });
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  return { ok: true };
}
