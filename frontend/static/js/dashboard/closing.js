// Closing a case, the report to the judge, and the review of the anonymised summary.
import { api } from '../common/api.js';
import { h, mount } from '../common/dom.js';
import { formatDate, language, t } from '../common/i18n.js';
import { errorBox, field, showError } from './form.js';

export const OUTCOMES = ['full_agreement', 'partial_agreement', 'no_agreement', 'stopped_by_party', 'stopped_by_mediator'];
export const REFERRALS = ['voluntary', 'court_ordered', 'contractual_clause'];
export const PARTY_KINDS = ['individual', 'company', 'association', 'public_body'];

let places = null;

async function loadPlaces() {
  if (!places) places = (await api('GET', '/api/practice/places')).departements;
  return places;
}

// The "closing" card of a case page; fills itself once the data is in.
export function closingSection(kase) {
  const box = h('section', { class: 'card', id: 'closing' }, h('h2', {}, t('closing.title')));
  const body = h('div', {}, h('p', { class: 'muted' }, t('common.loading')));
  box.append(body);
  const refresh = async () => {
    const [closing, depts] = await Promise.all([
      api('GET', `/api/cases/${kase.id}/closing`), loadPlaces(),
    ]);
    mount(body, closingView(kase, closing, depts, refresh));
  };
  refresh();
  return box;
}

function closingView(kase, closing, depts, refresh) {
  const parts = [];
  if (closing.closed) {
    const o = closing.outcome;
    parts.push(h('dl', { class: 'facts', id: 'closing-facts' },
      h('dt', {}, t('closing.outcome')), h('dd', {}, t(`outcome.${o.outcome}`)),
      h('dt', {}, t('closing.referral')), h('dd', {}, t(`referral.${o.referral}`)),
      h('dt', {}, t('closing.partyKinds')), h('dd', {}, o.party_kinds.map((k) => t(`partyKind.${k}`)).join(', ')),
      h('dt', {}, t('closing.region')), h('dd', {}, `${o.region} (${o.departement})`),
      h('dt', {}, t('closing.sessions')),
      h('dd', {}, t('closing.sessionsValue', { n: o.session_minutes.length, minutes: o.session_minutes.join(' + ') || '0' })),
      h('dt', {}, t('closing.closedAt')), h('dd', {}, formatDate(o.closed_at)),
    ));
    if (o.judicial) parts.push(courtReport(kase));
    parts.push(reviewBox(kase));
  }
  const edit = closingForm(kase, closing, depts, refresh);
  if (closing.closed) parts.push(h('details', { id: 'closing-edit' }, h('summary', {}, t('closing.correct')), edit));
  else {
    // Closing is a rare, grave act: its own step, opened on purpose, nothing chosen in advance.
    edit.hidden = true;
    const start = h('button', { type: 'button', class: 'secondary', id: 'start-closing', onclick: () => {
      edit.hidden = false;
      start.hidden = true;
      edit.querySelector('select[name=outcome]').focus();
    } }, t('closing.start'));
    edit.append(h('button', { type: 'button', class: 'link', id: 'cancel-closing', onclick: () => {
      edit.hidden = true;
      start.hidden = false;
    } }, t('common.cancel')));
    parts.push(h('p', { class: 'hint' }, t('closing.notYet')), start, edit);
  }
  return parts;
}

function courtReport(kase) {
  const base = `/api/cases/${kase.id}/court-report`;
  return h('div', { class: 'court-report', id: 'court-report' },
    h('h3', {}, t('court.title')),
    h('p', { class: 'hint' }, t('court.hint')),
    h('a', { class: 'button secondary', href: `${base}?format=html&lang=${language()}`, target: '_blank', rel: 'noopener' }, t('court.print')),
    ' ',
    h('a', { class: 'button secondary', href: `${base}?format=text&lang=${language()}`, download: 'rapport-juge.txt' }, t('court.download')),
  );
}

// ``blank``: a first empty choice, so that nothing is picked for the mediator.
function select(name, values, prefix, chosen, blank = false) {
  return h('select', { name, required: true },
    blank ? h('option', { value: '', selected: !chosen }, t('closing.choose')) : null,
    values.map((v) => h('option', { value: v, selected: v === chosen }, t(`${prefix}.${v}`))));
}

function closingForm(kase, closing, depts, done) {
  const o = closing.outcome;
  const error = errorBox();
  const minutes = (o ? o.session_minutes : closing.scheduled_minutes).join(', ');
  const regions = [...new Set(depts.map((d) => d.region))].sort((a, b) => a.localeCompare(b, 'fr'));
  const deptSelect = h('select', { name: 'departement', required: true },
    h('option', { value: '' }, t('closing.choose')),
    regions.map((region) => h('optgroup', { label: region },
      depts.filter((d) => d.region === region).map((d) =>
        h('option', { value: d.code, selected: o && o.departement === d.code }, `${d.code} — ${d.name}`)))));
  const defaultReferral = kase.mediation_type === 'judicial' ? 'court_ordered' : 'voluntary';
  const kinds = h('fieldset', { class: 'checks', id: 'party-kinds' },
    h('legend', {}, t('closing.partyKinds')),
    PARTY_KINDS.map((k) => h('label', {},
      h('input', { type: 'checkbox', name: 'party_kinds', value: k, checked: o ? o.party_kinds.includes(k) : k === 'individual' }),
      ` ${t(`partyKind.${k}`)}`)));
  const form = h('form', { class: 'inline-form', id: 'closing-form', onsubmit: submit },
    h('div', { class: 'row' },
      field('closing.outcome', select('outcome', OUTCOMES, 'outcome', o && o.outcome, true)),
      field('closing.referral', select('referral', REFERRALS, 'referral', o ? o.referral : defaultReferral)),
      field('closing.region', deptSelect, 'closing.regionHint'),
    ),
    kinds,
    h('div', { class: 'row' },
      field('closing.sessionMinutes', h('input', { name: 'session_minutes', value: minutes, pattern: '[0-9 ,]*' }), 'closing.sessionMinutesHint'),
      field('closing.courtReference', h('input', { name: 'court_reference', maxlength: 64, value: (o && o.court_reference) || '' }), 'closing.courtReferenceHint'),
      field('closing.language', h('select', { name: 'language' },
        ['fr', 'en'].map((l) => h('option', { value: l, selected: (o ? o.language : language()) === l }, t(`lang.${l}`))))),
    ),
    field('closing.summary', h('textarea', { name: 'summary', rows: 8, maxlength: 20000 }, closing.summary), 'closing.summaryHint'),
    field('closing.organisations', h('input', { name: 'organisations', value: closing.organisations.join(', ') }), 'closing.organisationsHint'),
    error,
    h('button', { type: 'submit', class: 'primary', id: 'close-case' }, t(closing.closed ? 'closing.update' : 'closing.submit')),
  );
  async function submit(event) {
    event.preventDefault();
    error.hidden = true;
    const data = new FormData(form);
    const confirmKey = closing.closed ? 'closing.confirmUpdate' : 'closing.confirm';
    if (!confirm(t(confirmKey, { outcome: t(`outcome.${data.get('outcome')}`) }))) return;
    const split = (value) => String(value || '').split(',').map((s) => s.trim()).filter(Boolean);
    try {
      await api('PUT', `/api/cases/${kase.id}/closing`, {
        outcome: data.get('outcome'),
        referral: data.get('referral'),
        party_kinds: data.getAll('party_kinds'),
        departement: data.get('departement'),
        session_minutes: split(data.get('session_minutes')).map(Number),
        court_reference: String(data.get('court_reference') || '').trim() || null,
        language: data.get('language'),
        summary: data.get('summary'),
        organisations: split(data.get('organisations')),
      });
      done();
    } catch (err) {
      showError(error, err);
    }
  }
  return form;
}

// ---------------------------------------------------------------- review

function reviewBox(kase) {
  const box = h('div', { class: 'review', id: 'review' }, h('h3', {}, t('review.title')));
  const body = h('div', {});
  box.append(h('p', { class: 'hint' }, t('review.hint')), body);
  const url = `/api/cases/${kase.id}/summary/review`;
  const show = (state) => mount(body, reviewView(kase, state, save, decide));
  const error = errorBox();
  async function save(edits, confirm = false) {
    try {
      show(await api('PUT', url, { edits, confirm }));
    } catch (err) {
      showError(error, err);
      body.append(error);
    }
  }
  // Accept or reject a suggestion; a rejection is remembered for the case.
  async function decide(suggestion, decision) {
    try {
      show(await api('PUT', `/api/cases/${kase.id}/summary/suggestions/${suggestion.id}`, { decision }));
    } catch (err) {
      showError(error, err);
      body.append(error);
    }
  }
  api('GET', url).then(show);
  return box;
}

// Plain spans carry their offset in the original text, so a selection maps back to it.
function anonymisedText(state) {
  const out = [];
  let out0 = 0;
  let orig0 = 0;
  const sorted = [...state.replacements].sort((a, b) => a.output_start - b.output_start);
  for (const r of sorted) {
    if (r.output_start > out0) {
      out.push(h('span', { class: 'seg', dataset: { orig: orig0 } }, state.text.slice(out0, r.output_start)));
    }
    const why = r.reason ? ` — ${t(`reason.${r.reason}`)}` : '';
    out.push(h('mark', {
      class: `kind-${r.kind.toLowerCase()} ${r.source}${r.reason ? ' suggestion' : ''}`,
      title: `${t(`kind.${r.kind}`)} — ${r.original}${why}`,
      dataset: { kind: r.kind, id: r.id, start: r.start, end: r.end, reason: r.reason || '' },
    }, r.replacement));
    out0 = r.output_end;
    orig0 = r.end;
  }
  if (out0 < state.text.length) out.push(h('span', { class: 'seg', dataset: { orig: orig0 } }, state.text.slice(out0)));
  return h('div', { class: 'anonymised', id: 'anonymised-text' }, out);
}

function originalOffset(node, offset, edge) {
  const el = node.nodeType === Node.TEXT_NODE ? node.parentElement : node;
  if (!el) return null;
  const mark = el.closest('mark');
  if (mark) return Number(edge === 'start' ? mark.dataset.start : mark.dataset.end);
  const seg = el.closest('.seg');
  if (!seg) return null;
  return Number(seg.dataset.orig) + (node.nodeType === Node.TEXT_NODE ? offset : 0);
}

function selectionSpan(container) {
  const sel = window.getSelection();
  if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return null;
  const range = sel.getRangeAt(0);
  if (!container.contains(range.startContainer) || !container.contains(range.endContainer)) return null;
  const start = originalOffset(range.startContainer, range.startOffset, 'start');
  const end = originalOffset(range.endContainer, range.endOffset, 'end');
  if (start === null || end === null || end <= start) return null;
  return { start, end };
}

// People and places the case does not list, found by rules: the mediator decides each.
function suggestionList(state, decide) {
  if (!state.suggestions.length) return null;
  const rows = state.suggestions.map((r) => h('li', {
    class: `suggestion decision-${r.decision}`, dataset: { id: r.id, decision: r.decision, reason: r.reason },
  },
  h('span', { class: 'tag suggestion-kind' }, t(`suggestion.${r.kind}`)), ' ',
  r.decision === 'reject' ? h('span', { class: 'original' }, r.original) : h('s', {}, r.original),
  r.decision === 'reject' ? null : ` → ${r.replacement}`, ' ',
  h('span', { class: 'reason' }, t(`reason.${r.reason}`)), ' ',
  h('span', { class: 'decision' }, t(`suggestion.${r.decision}`)), ' ',
  r.decision === 'accept' ? null
    : h('button', { type: 'button', class: 'link accept', onclick: () => decide(r, 'accept') }, t('suggestion.doAccept')),
  r.decision === 'reject' ? null
    : h('button', { type: 'button', class: 'link reject', onclick: () => decide(r, 'reject') }, t('suggestion.doReject'))));
  const pending = state.suggestions.filter((r) => r.decision === 'pending').length;
  return h('div', { class: 'suggestions', id: 'suggestions' },
    h('h4', {}, t('suggestion.title', { n: pending })),
    h('p', { class: 'hint' }, t('suggestion.hint')),
    h('ul', { id: 'suggestion-list' }, rows));
}

function reviewView(kase, state, save, decide) {
  const text = anonymisedText(state);
  const hint = h('p', { class: 'feedback', role: 'status' });
  const redact = () => {
    const span = selectionSpan(text);
    if (!span) {
      hint.textContent = t('review.selectFirst');
      return;
    }
    save([...state.edits, { op: 'redact', start: span.start, end: span.end }]);
  };
  const rows = [...state.replacements].sort((a, b) => a.start - b.start).map((r) =>
    h('li', { dataset: { id: r.id } },
      h('span', { class: `tag kind-${r.kind.toLowerCase()}` }, t(`kind.${r.kind}`)), ' ',
      h('s', {}, r.original), ' → ', r.replacement, ' ',
      h('button', { type: 'button', class: 'link undo', onclick: () => save([...state.edits, { op: 'revert', id: r.id }]) },
        t('review.undo'))));
  const reverted = state.reverted.filter((r) => r.decision !== 'reject').map((r) =>
    h('li', { dataset: { id: r.id } },
      h('span', { class: 'tag' }, t(`kind.${r.kind}`)), ' ', r.original, ' ',
      h('button', { type: 'button', class: 'link restore', onclick: () => save([...state.edits, { op: 'restore', id: r.id }]) },
        t('review.restore'))));
  const base = `/api/cases/${kase.id}/summary/export`;
  const exports = state.confirmed
    ? h('p', { class: 'exports', id: 'exports' },
      h('span', { class: 'ok' }, t('review.confirmed')), ' ',
      h('a', { class: 'button secondary', id: 'export-json', href: `${base}?format=json`, download: 'summary.json' }, t('review.exportJson')), ' ',
      h('a', { class: 'button secondary', id: 'export-csv', href: `${base}?format=csv`, download: 'summary.csv' }, t('review.exportCsv')), ' ',
      h('a', { class: 'button secondary', id: 'export-html', href: `${base}?format=html`, target: '_blank', rel: 'noopener' }, t('review.exportHtml')))
    : h('p', { class: 'muted' }, t('review.notConfirmed'));
  return [
    text,
    h('p', { class: 'actions' },
      h('button', { type: 'button', class: 'secondary', id: 'redact', onmousedown: (e) => e.preventDefault(), onclick: redact }, t('review.redact')),
      ' ',
      h('button', { type: 'button', class: 'secondary', id: 'review-reset', disabled: state.edits.length === 0, onclick: () => save([]) }, t('review.reset')),
      ' ',
      h('button', { type: 'button', class: 'primary', id: 'confirm-review', onclick: () => save(state.edits, true) }, t('review.confirm')),
    ),
    hint,
    exports,
    suggestionList(state, decide),
    h('details', { class: 'replacements' },
      h('summary', {}, t('review.list', { n: state.replacements.length })),
      h('ul', { id: 'replacement-list' }, rows),
      reverted.length ? h('h4', {}, t('review.reverted')) : null,
      reverted.length ? h('ul', { id: 'reverted-list' }, reverted) : null),
  ];
}
