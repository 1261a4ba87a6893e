// The operator's page (operators only; stats.getRole says who): monthly active users per country
// over the last 13 months as an SVG line chart drawn here, and the growth table of a month
// (stats.getReport: MAU, a year earlier, growth, DAU, DAU/MAU, sign-ups, the headline sentence),
// then messages per day by chat kind. No chart library: a few SVG elements built by hand.

import { describe } from '../actions.js';
import { h, icon, iconButton, replace } from '../dom.js';

const SVG = 'http://www.w3.org/2000/svg';
const COLORS = ['#3390ec', '#e17076', '#4fae4e', '#eda86c', '#a695e7', '#6ec9cb', '#ee7aae', '#8c979f'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const SERIES_MAX = 7;

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) if (c) el.append(c);
  return el;
}

function svgText(x, y, text, attrs = {}) {
  const el = svg('text', { x, y, ...attrs });
  el.textContent = text;
  return el;
}

export function currentMonth(now = new Date()) {
  return `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
}

function shiftMonth(month, delta) {
  const [y, m] = month.split('-').map(Number);
  const n = y * 12 + (m - 1) + delta;
  return `${Math.floor(n / 12)}-${String((n % 12) + 1).padStart(2, '0')}`;
}

function monthLabel(month) {
  const [y, m] = month.split('-');
  return `${MONTHS[Number(m) - 1]} ${y.slice(2)}`;
}

/** 12500000 -> 12.5M: short numbers for the axis. */
export function compact(n) {
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e8 ? 0 : 1).replace(/\.0$/, '')}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(n >= 1e4 ? 0 : 1).replace(/\.0$/, '')}K`;
  return String(n);
}

/** The axis: a round step (1, 2, 2.5 or 5 times a power of ten) and the top, a whole number of steps. */
function niceAxis(v) {
  const raw = Math.max(v, 4) / 4;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((k) => k * p).find((x) => x >= raw);
  return { step, top: Math.max(1, Math.ceil(v / step)) * step };
}

/**
 * MAU per country as lines: `history` is stats.getMauHistory's answer ({months, countries:
 * {CC: [..]}, names}). The largest countries get a line each; a legend under it toggles them.
 */
export function mauChart(history, hidden = new Set(), onToggle = () => {}) {
  const W = 820;
  const H = 260;
  const L = 56;
  const R = 18;
  const T = 16;
  const B = 34;
  const months = history.months;
  const codes = Object.keys(history.countries).slice(0, SERIES_MAX);
  const shown = codes.filter((c) => !hidden.has(c));
  const { step, top } = niceAxis(Math.max(1, ...shown.flatMap((c) => history.countries[c])));
  const x = (i) => L + (months.length > 1 ? (i * (W - L - R)) / (months.length - 1) : (W - L - R) / 2);
  const y = (v) => T + (H - T - B) * (1 - v / top);
  const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'mau-chart', role: 'img', 'aria-label': 'Monthly active users per country' });
  for (let v = 0; v <= top + step / 2; v += step) {
    chart.append(svg('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), class: v ? 'grid' : 'axis' }),
      svgText(L - 8, y(v) + 4, compact(Math.round(v)), { class: 'tick', 'text-anchor': 'end' }));
  }
  const every = Math.ceil(months.length / 7);
  months.forEach((m, i) => {
    if (i % every && i !== months.length - 1) return;
    chart.append(svgText(x(i), H - 10, monthLabel(m), { class: 'tick', 'text-anchor': 'middle' }));
  });
  codes.forEach((code, n) => {
    if (hidden.has(code)) return;
    const values = history.countries[code];
    const color = COLORS[n % COLORS.length];
    const points = values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    chart.append(svg('polyline', { points, class: 'series', stroke: color, 'data-country': code }));
    values.forEach((v, i) => {
      const tip = svg('title');
      tip.textContent = `${history.names[code] || code}, ${monthLabel(months[i])}: ${v.toLocaleString()}`;
      chart.append(svg('circle', { cx: x(i).toFixed(1), cy: y(v).toFixed(1), r: 3.5, fill: color, class: 'dot' }, tip));
    });
  });
  const legend = h('div', { class: 'legend' }, codes.map((code, n) => {
    const swatch = h('span', { class: 'swatch-dot' });
    swatch.style.background = COLORS[n % COLORS.length];
    const last = history.countries[code][months.length - 1] || 0;
    return h('button', { type: 'button', class: `legend-item ${hidden.has(code) ? 'off' : ''}`.trim(), 'aria-pressed': String(!hidden.has(code)),
      onclick: () => onToggle(code) }, swatch, h('span', { text: `${history.names[code] || code} · ${compact(last)}` }));
  }));
  return h('div', { class: 'chart-wrap' }, chart, legend);
}

function pct(v) {
  if (v === null || v === undefined) return '—';
  return `${v > 0 ? '+' : ''}${v.toFixed(1)} %`;
}

function ratio(v) {
  return v === null || v === undefined ? '—' : `${(v * 100).toFixed(1)} %`;
}

/** The growth table: a row per country and the total. */
export function growthTable(report) {
  const head = ['Country', 'MAU', 'MAU a year ago', 'Growth', 'DAU', 'DAU/MAU', 'Sign-ups'];
  const row = (r, total = false) => h('tr', { class: total ? 'total' : '', dataset: { country: r.country } },
    h('th', { scope: 'row' }, h('span', { class: 'cc', text: r.country === 'ALL' ? '' : r.country }), h('span', { text: r.name })),
    h('td', { text: r.mau.toLocaleString() }),
    h('td', { text: r.mau_year_ago.toLocaleString() }),
    h('td', { class: r.growth_pct === null ? '' : (r.growth_pct >= 0 ? 'up' : 'down'), text: pct(r.growth_pct) }),
    h('td', { text: r.dau.toLocaleString() }),
    h('td', { text: ratio(r.dau_mau) }),
    h('td', { text: r.signups.toLocaleString() }));
  return h('table', { class: 'growth-table' },
    h('thead', {}, h('tr', {}, head.map((t) => h('th', { scope: 'col', text: t })))),
    h('tbody', {}, report.countries.map((r) => row(r)), row(report.total, true)));
}

export class OperatorPage {
  constructor(ctx) {
    this.ctx = ctx;
    this.month = currentMonth();
    this.hidden = new Set();
    this.monthInput = h('input', { type: 'month', class: 'month-input', value: this.month, 'aria-label': 'Month',
      onchange: () => { if (/^\d{4}-\d{2}$/.test(this.monthInput.value)) { this.month = this.monthInput.value; this.load(); } } });
    this.body = h('div', { class: 'operator-body' });
    this.el = h('section', { class: 'operator', 'aria-label': 'Operator', hidden: true },
      h('header', { class: 'operator-head' }, iconButton('back', 'Close operator page', () => this.close()),
        h('h2', {}, icon('chart'), h('span', { text: 'Operator' })), h('label', { class: 'month-pick' }, h('span', { text: 'Month' }), this.monthInput)),
      this.body);
    addEventListener('keydown', (e) => { if (e.key === 'Escape' && !this.el.hidden && !document.querySelector('.overlay')) this.close(); });
  }

  open() {
    this.el.hidden = false;
    if (location.hash !== '#/operator') history.pushState(null, '', '#/operator');
    this.load();
  }

  close(push = true) {
    if (this.el.hidden) return;
    this.el.hidden = true;
    if (push && location.hash === '#/operator') history.pushState(null, '', location.pathname);
  }

  async load() {
    const { actions } = this.ctx;
    replace(this.body, h('div', { class: 'muted loading-note', text: 'Loading…' }));
    let report;
    let history;
    try {
      [report, history] = await Promise.all([
        actions.call('stats.getReport', { month: this.month }),
        actions.call('stats.getMauHistory', { from_month: shiftMonth(this.month, -12), to_month: this.month })]);
    } catch (err) {
      replace(this.body, h('div', { class: 'operator-card error-card', text: describe(err, 'The statistics cannot be shown') }));
      return;
    }
    this.report = report;
    this.history = history;
    this.draw();
  }

  draw() {
    const { report, history } = this;
    const toggle = (code) => {
      if (this.hidden.has(code)) this.hidden.delete(code); else this.hidden.add(code);
      this.draw();
    };
    const perDay = report.messages.per_day || {};
    replace(this.body,
      h('div', { class: 'operator-card headline-card' },
        h('div', { class: 'headline', text: report.headline || 'No activity recorded this month yet.' }),
        h('div', { class: 'headline-sub', text: `${report.month} against ${report.year_ago}: ${report.days} day${report.days === 1 ? '' : 's'} counted · query ${report.query_ms} ms` })),
      h('div', { class: 'operator-card' }, h('h3', { text: 'Monthly active users per country' }),
        Object.keys(history.countries).length ? mauChart(history, this.hidden, toggle) : h('div', { class: 'muted', text: 'No data for these months.' })),
      h('div', { class: 'operator-card' }, h('h3', { text: `Growth, ${report.month}` }), h('div', { class: 'table-wrap' }, growthTable(report))),
      h('div', { class: 'operator-card' }, h('h3', { text: 'Messages per day by chat kind' }),
        Object.keys(perDay).length ? h('div', { class: 'stat-cards' }, Object.entries(perDay).map(([kind, n]) => h('div', { class: 'stat-card' },
          h('b', { text: n.toLocaleString() }), h('span', { text: kind })))) : h('div', { class: 'muted', text: 'No messages this month yet.' })));
  }
}
