// Practice statistics: my closed cases, counted with k-anonymity; tables and SVG bar charts.
import { api } from '../common/api.js';
import { h, mount } from '../common/dom.js';
import { t } from '../common/i18n.js';
import { MEDIATION_TYPES } from './cases.js';
import { errorBox, field, showError } from './form.js';

const SVG = 'http://www.w3.org/2000/svg';
const LABELLED = { mediation_type: 'type', outcome: 'outcome', referral: 'referral', duration: 'duration', recommend: 'stats.answer' };

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  for (const child of children) {
    if (typeof child === 'string') el.appendChild(document.createTextNode(child));
    else if (child) el.appendChild(child);
  }
  return el;
}

export function valueLabel(dimension, value) {
  if (value === 'other') return t('stats.other');
  const prefix = LABELLED[dimension];
  return prefix ? t(`${prefix}.${value}`) : value;
}

// Horizontal bars: one per published value; the longest bar spans the width.
export function barChart(dimension, counts) {
  const entries = Object.entries(counts);
  const width = 520;
  const labelWidth = 190;
  const bar = 22;
  const gap = 8;
  const height = Math.max(1, entries.length) * (bar + gap) + gap;
  const max = Math.max(1, ...entries.map(([, n]) => n));
  const room = width - labelWidth - 50;
  const chart = svg('svg', {
    class: 'chart', viewBox: `0 0 ${width} ${height}`, width, height, role: 'img',
    'aria-label': t('stats.chartOf', { name: t(`dimension.${dimension}`) }),
  });
  entries.forEach(([value, n], i) => {
    const y = gap + i * (bar + gap);
    const w = Math.max(n > 0 ? 2 : 0, Math.round((n / max) * room));
    chart.append(
      svg('text', { x: labelWidth - 8, y: y + bar * 0.7, 'text-anchor': 'end', class: 'chart-label' }, valueLabel(dimension, value)),
      svg('rect', { x: labelWidth, y, width: w, height: bar, rx: 3, class: value === 'other' ? 'bar other' : 'bar' },
        svg('title', {}, `${valueLabel(dimension, value)}: ${n}`)),
      svg('text', { x: labelWidth + w + 6, y: y + bar * 0.7, class: 'chart-value' }, String(n)),
    );
  });
  return chart;
}

// ``unit``: what is counted, 'cases' (closed cases) or 'answers' (the satisfaction survey)
function countTable(table, unit = 'cases') {
  const notes = [];
  const of = unit === 'cases' ? '' : 'Answers';
  if (table.suppressed) notes.push(h('p', { class: 'note suppressed' }, t(`stats.suppressedAll${of}`, { k: table.k })));
  if (table.merged_into_other.length && !table.suppressed) {
    notes.push(h('p', { class: 'note merged' }, t(`stats.merged${of}`, {
      k: table.k, values: table.merged_into_other.map((v) => valueLabel(table.dimension, v)).join(', '),
    })));
  }
  const share = (n) => (table.total ? `${Math.round((100 * n) / table.total)} %` : '');
  const rows = Object.entries(table.counts).map(([value, n]) =>
    h('tr', {}, h('td', {}, valueLabel(table.dimension, value)), h('td', { class: 'num' }, String(n)),
      h('td', { class: 'num muted' }, share(n))));
  return h('section', { class: 'card stat', dataset: unit === 'cases' ? { dimension: table.dimension } : { answers: table.dimension } },
    h('h2', {}, t(`dimension.${table.dimension}`)),
    rows.length ? h('div', { class: 'stat-body' },
      h('table', { class: 'list counts' },
        h('thead', {}, h('tr', {}, h('th', {}, t('stats.value')), h('th', { class: 'num' }, t(`stats.${unit}`)), h('th', { class: 'num' }, t('stats.share')))),
        h('tbody', {}, rows),
        table.total !== null ? h('tfoot', {}, h('tr', {}, h('th', {}, t('stats.total')), h('th', { class: 'num' }, String(table.total)), h('th', { class: 'num' }, '100 %'))) : null),
      barChart(table.dimension, table.counts)) : null,
    notes);
}

function crossTable(cross) {
  const cell = (r, c) => cross.cells.find((x) => x.row === r && x.column === c).count;
  const shown = (n) => (n === null ? '—' : String(n));
  return h('section', { class: 'card stat cross' },
    h('h2', {}, t('stats.crossTitle', { rows: t(`dimension.${cross.rows_dimension}`), columns: t(`dimension.${cross.columns_dimension}`) })),
    cross.total === null ? h('p', { class: 'note suppressed' }, t('stats.suppressedAll', { k: cross.k })) : h('table', { class: 'list' },
      h('thead', {}, h('tr', {}, h('th', {}), cross.columns.map((c) => h('th', { class: 'num' }, valueLabel(cross.columns_dimension, c))), h('th', { class: 'num' }, t('stats.total')))),
      h('tbody', {}, cross.rows.map((r) => h('tr', {}, h('th', {}, valueLabel(cross.rows_dimension, r)),
        cross.columns.map((c) => h('td', { class: 'num' }, shown(cell(r, c)))), h('td', { class: 'num' }, shown(cross.row_totals[r])))))),
    cross.suppressed.length ? h('p', { class: 'note suppressed' }, t('stats.cellsSuppressed', { n: cross.suppressed.length, k: cross.k })) : null);
}

// The satisfaction survey: the organisation's answers (they name no case, so they are
// nobody's in particular), counted with the same k; the comments only in aggregate.
async function surveySection(query) {
  let data;
  try {
    data = await api('GET', `/api/practice/survey?${query}`);
  } catch {
    return null;
  }
  return h('section', { id: 'survey-stats' },
    h('h2', {}, t('stats.surveyTitle')),
    h('p', { class: 'hint' }, t('stats.surveyIntro', { k: data.k })),
    h('p', { class: 'summary-line', id: 'survey-count' },
      data.answers === null ? t('stats.surveyTooFew', { k: data.k }) : t('stats.surveyCount', { n: data.answers })),
    h('div', { class: 'stats-grid' }, data.tables.map((table) => countTable(table, 'answers'))),
    data.comments.length ? h('section', { class: 'card stat', id: 'survey-comments' },
      h('h2', {}, t('stats.surveyComments')), h('ul', {}, data.comments.map((c) => h('li', {}, c)))) : null);
}

export async function showStats(main, params = new URLSearchParams(location.search)) {
  const query = new URLSearchParams();
  for (const key of ['year', 'type', 'k']) if (params.get(key)) query.set(key, params.get(key));
  const error = errorBox();
  let data;
  try {
    data = await api('GET', `/api/practice/stats?${query}`);
  } catch (err) {
    showError(error, err);
    error.hidden = false;
    mount(main, h('h1', {}, t('stats.title')), error);
    return;
  }
  const form = h('form', { class: 'inline-form', id: 'stats-filter', onsubmit: (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const [key, value] of new FormData(form).entries()) if (value) next.set(key, value);
    history.replaceState({}, '', `/statistics?${next}`);
    showStats(main, next);
  } },
  h('div', { class: 'row' },
    field('stats.year', h('select', { name: 'year' }, h('option', { value: '' }, t('stats.allYears')),
      data.years.map((y) => h('option', { value: y, selected: String(y) === params.get('year') }, String(y))))),
    field('stats.type', h('select', { name: 'type' }, h('option', { value: '' }, t('stats.allTypes')),
      MEDIATION_TYPES.map((ty) => h('option', { value: ty, selected: ty === params.get('type') }, t(`type.${ty}`))))),
    field('stats.k', h('input', { name: 'k', type: 'number', min: 2, max: 100, value: data.k }), 'stats.kHint'),
  ),
  h('button', { type: 'submit', class: 'primary' }, t('stats.show')));
  const exportQuery = new URLSearchParams(query);
  exportQuery.set('download', '1');
  const csvQuery = new URLSearchParams(exportQuery);
  csvQuery.set('format', 'csv');
  const summariesQuery = new URLSearchParams(query);
  summariesQuery.delete('k');
  const summariesCsv = new URLSearchParams(summariesQuery);
  summariesCsv.set('format', 'csv');
  mount(main,
    h('p', {}, h('a', { href: '/cases', 'data-nav': true }, `← ${t('cases.title')}`)),
    h('div', { class: 'page-head' }, h('h1', {}, t('stats.title'))),
    h('p', { class: 'hint' }, t('stats.intro', { k: data.k })),
    form,
    h('p', { class: 'summary-line', id: 'stats-count' },
      data.cases === null ? t('stats.tooFew', { k: data.k }) : t('stats.count', { n: data.cases })),
    h('p', { class: 'exports' },
      h('a', { class: 'button secondary', id: 'stats-csv', href: `/api/practice/stats?${csvQuery}`, download: 'palabre-statistics.csv' }, t('stats.exportCsv')), ' ',
      h('a', { class: 'button secondary', id: 'stats-json', href: `/api/practice/stats?${exportQuery}`, download: 'palabre-statistics.json' }, t('stats.exportJson')), ' ',
      h('a', { class: 'button secondary', id: 'summaries-json', href: `/api/practice/summaries?${summariesQuery}`, download: 'palabre-summaries.json' }, t('stats.summariesJson')), ' ',
      h('a', { class: 'button secondary', id: 'summaries-csv', href: `/api/practice/summaries?${summariesCsv}`, download: 'palabre-summaries.csv' }, t('stats.summariesCsv'))),
    h('p', { class: 'hint' }, t('stats.summariesHint')),
    h('div', { class: 'stats-grid', id: 'stats' }, data.tables.map((table) => countTable(table))),
    data.cross_tables.map(crossTable),
    await surveySection(query),
  );
}
