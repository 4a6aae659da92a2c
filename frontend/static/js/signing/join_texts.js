// The join page's "texts to sign": each text this link's holder signs, read and signed here,
// then the sealed PDF to download. The link's token goes as a bearer, never in a URL.
import { ApiError, csrfToken, ensureCsrf } from '../common/api.js';
import { h, mount } from '../common/dom.js';
import { formatDateTime, t } from '../common/i18n.js';
import { frozenText, hashLine, signingForm } from './form.js';

export async function call(token, method, path, body) {
  const headers = { Accept: 'application/json', Authorization: `Bearer ${token}` };
  if (method !== 'GET') {
    await ensureCsrf();
    headers['X-CSRF-Token'] = csrfToken();
  }
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  if (path.endsWith('/pdf') && response.ok) return response.blob();
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const error = (data && data.error) || {};
    throw new ApiError(response.status, error.code || 'unknown', error.message || '', error);
  }
  return data;
}

export async function download(token, text) {
  const blob = await call(token, 'GET', `/api/join/texts/${text.id}/pdf`);
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: `${text.kind}.pdf`, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function textCard(token, text, participantName, refresh) {
  const me = text.signers.find((s) => s.id === text.my_signer_id);
  const parts = [
    h('h3', {}, t(`signing.kind.${text.kind}`)),
    h('p', { class: 'muted' }, t('signing.frozenAt', { at: formatDateTime(text.frozen_at) })),
    hashLine(text),
  ];
  if (text.sealed) {
    parts.push(h('p', { class: 'notice', role: 'status' }, t('signing.allSigned')),
      h('p', {}, h('button', { type: 'button', class: 'primary download-pdf', onclick: () => download(token, text) }, t('signing.download'))));
  } else if (me && me.signed_at) {
    parts.push(h('p', { class: 'notice signed-by-me', role: 'status' }, t('signing.youSigned', { at: formatDateTime(me.signed_at) })));
  } else {
    parts.push(frozenText(text), signingForm(text, {
      name: participantName,
      askCode: () => call(token, 'POST', `/api/join/texts/${text.id}/code`),
      sign: (body) => call(token, 'POST', `/api/join/texts/${text.id}/sign`, body),
      onSigned: refresh,
    }));
  }
  parts.push(h('p', { class: 'muted' }, t('signing.whoSigned', {
    done: text.signers.filter((s) => s.signed_at).length, all: text.signers.length })));
  return h('article', { class: 'text-to-sign', id: `to-sign-${text.id}`, dataset: { state: text.state } }, ...parts);
}

// A section that fills itself; stays hidden when there is nothing to sign.
export function textsToSign(token, participantName) {
  const box = h('section', { class: 'card narrow', id: 'texts-to-sign', hidden: true });
  const refresh = async () => {
    let texts;
    try {
      ({ texts } = await call(token, 'GET', '/api/join/texts'));
    } catch {
      return;
    }
    if (!texts.length) return;
    mount(box, h('h2', {}, t('signing.toSign')), h('p', {}, t('signing.intro')),
      texts.map((text) => textCard(token, text, participantName, refresh)));
    box.hidden = false;
  };
  refresh();
  return box;
}
