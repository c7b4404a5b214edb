// The managers' dashboard: headline numbers, requests and backlog per day, time to close by
// service, compliance by neighbourhood (SVG charts drawn here), the hotspot map, and exports.
// Signed-in dispatchers and administrators only; anyone else is sent to sign in.

import { ApiError, send } from '../api.js';
import { el, uniqueId } from '../dom.js';
import { errorNode, language, onLanguageChange, t, text } from '../i18n.js';
import { appConfig } from '../config.js';
import { hotspotMap } from '../map.js';
import { go } from '../router.js';
import { authHeaders, isManager, setStaff } from '../staff.js';

const SVG = 'http://www.w3.org/2000/svg';
const INK = '#1a1a1a';
const BAR = '#0b5394';
const LATE = '#a4000f';
const DAY_MS = 86_400_000;

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  Object.entries(attrs).forEach(([name, value]) => node.setAttribute(name, value));
  node.append(...children);
  return node;
}

function number(value, digits = 0) {
  if (value === null || value === undefined) return '—';
  return new Intl.NumberFormat(language(), { maximumFractionDigits: digits }).format(value);
}

function percent(share) {
  if (share === null || share === undefined) return '—';
  return new Intl.NumberFormat(language(), { style: 'percent', maximumFractionDigits: 0 })
    .format(share);
}

function figure(titleKey, chart, summary) {
  const caption = el('figcaption', { id: uniqueId('chart') }, text(titleKey));
  if (!chart.childElementCount) {
    return el('figure', { class: 'chart' }, caption, text('dash.noData', {}, 'p'));
  }
  chart.setAttribute('role', 'img');
  chart.setAttribute('aria-label', `${t(titleKey)}. ${summary}`);
  return el('figure', { class: 'chart' }, caption, chart);
}

/** Vertical bars (one per day) or a line (backlog) over the days of the period. */
function dailyChart(days, field, { line = false } = {}) {
  const width = 360; const height = 150; const left = 34; const bottom = 20;
  const top = Math.max(1, ...days.map((d) => d[field]));
  const step = (width - left) / Math.max(days.length, 1);
  const y = (v) => height - bottom - (v / top) * (height - bottom - 8);
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart-svg' },
    svg('line', { x1: left, x2: width, y1: height - bottom, y2: height - bottom, stroke: INK }),
    svg('text', { x: left - 4, y: y(top) + 4, 'text-anchor': 'end', 'font-size': 10, fill: INK },
      number(top)),
    svg('text', { x: left - 4, y: height - bottom, 'text-anchor': 'end', 'font-size': 10,
      fill: INK }, '0'));
  if (line) {
    const points = days.map((d, i) => `${left + step * (i + 0.5)},${y(d[field])}`).join(' ');
    chart.append(svg('polyline', { points, fill: 'none', stroke: BAR, 'stroke-width': 2 }));
  } else {
    days.forEach((d, i) => chart.append(svg('rect', { x: left + step * i + step * 0.1,
      y: y(d[field]), width: Math.max(step * 0.8, 0.5), height: height - bottom - y(d[field]),
      fill: BAR })));
  }
  if (days.length) {
    const label = (i, anchor) => svg('text', { x: left + step * (i + 0.5), y: height - 6,
      'text-anchor': anchor, 'font-size': 10, fill: INK }, days[i].date.slice(5));
    chart.append(label(0, 'start'), label(days.length - 1, 'end'));
  }
  return chart;
}

/** Horizontal bars, one per row: [{label, value, text}], longest first. */
function barList(rows, { max, colour = BAR } = {}) {
  const width = 360; const rowHeight = 22; const labelWidth = 150;
  const top = max ?? Math.max(1e-9, ...rows.map((r) => r.value ?? 0));
  const chart = svg('svg', { viewBox: `0 0 ${width} ${Math.max(rows.length, 1) * rowHeight}`,
    class: 'chart-svg' });
  rows.forEach((row, i) => {
    const y = i * rowHeight;
    const length = ((row.value ?? 0) / top) * (width - labelWidth - 50);
    const name = row.label.length > 24 ? `${row.label.slice(0, 23)}…` : row.label;
    chart.append(
      svg('text', { x: 0, y: y + 15, 'font-size': 11, fill: INK }, name),
      svg('rect', { x: labelWidth, y: y + 4, width: Math.max(length, 1), height: 14,
        fill: colour }),
      svg('text', { x: labelWidth + length + 4, y: y + 15, 'font-size': 11, fill: INK },
        row.text));
  });
  return chart;
}

function tiles(summary) {
  const tile = (key, value) => el('div', { class: 'tile' },
    el('span', { class: 'tile-value' }, value), text(key, {}, 'span'));
  return el('div', { class: 'tiles' },
    tile('dash.volume', number(summary.volume)),
    tile('dash.open', number(summary.open)),
    tile('dash.overdue', number(summary.overdue)),
    tile('dash.median', summary.median_hours === null ? '—'
      : t('dash.hours', { hours: number(summary.median_hours, 1) })),
    tile('dash.p90', summary.p90_hours === null ? '—'
      : t('dash.hours', { hours: number(summary.p90_hours, 1) })),
    tile('dash.withinTarget', percent(summary.within_target_share)),
    tile('dash.reopenRate', percent(summary.reopen_rate)),
    tile('dash.firstTimeFix', percent(summary.first_time_fix)));
}

function isoDate(date) {
  return date.toISOString().slice(0, 10);
}

async function getJSONAs(path, params) {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v));
  const response = await send(`${path}?${query}`, { headers: { Accept: 'application/json',
    ...authHeaders() } });
  return response.json();
}

async function download(kind, params) {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v));
  const response = await send(`/api/v1/exports/requests.${kind}?${query}`,
    { headers: authHeaders() });
  const link = el('a', { href: URL.createObjectURL(await response.blob()),
    download: `requests.${kind}` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

export async function render(container) {
  if (!isManager()) {
    go('signin', 'dashboard');
    return undefined;
  }
  const today = new Date();
  const since = el('input', { id: uniqueId('since'), type: 'date',
    value: isoDate(new Date(today - 30 * DAY_MS)) });
  const until = el('input', { id: uniqueId('until'), type: 'date', value: isoDate(today) });
  const service = el('select', { id: uniqueId('service') },
    el('option', { value: '' }, t('dash.allServices')));
  const form = el('form', { class: 'filters' },
    el('div', { class: 'field' }, el('label', { for: since.id }, text('dash.since')), since),
    el('div', { class: 'field' }, el('label', { for: until.id }, text('dash.until')), until),
    el('div', { class: 'field' }, el('label', { for: service.id }, text('dash.service')),
      service),
    el('button', { type: 'submit', class: 'button primary' }, text('dash.show')));
  const status = el('div', { role: 'status', 'aria-live': 'polite' });
  const body = el('div', { class: 'dashboard' });
  const exportsRow = el('div', { class: 'row' },
    el('button', { type: 'button', class: 'button', 'data-export': 'csv' },
      text('dash.exportCsv')),
    el('button', { type: 'button', class: 'button', 'data-export': 'geojson' },
      text('dash.exportGeojson')));
  container.append(el('h1', {}, text('dash.title')), form, status, body,
    el('h2', {}, text('dash.exports')), exportsRow);

  let map = null;
  let firstLoad = true;
  const filters = () => ({ since: since.value, until: isoDate(new Date(
    new Date(until.value).getTime() + DAY_MS)), service: service.value });

  async function show() {
    status.replaceChildren(text('dash.loading', {}, 'p'));
    try {
      const params = filters();
      const [summary, daily, byService, byPlace, hotspots] = await Promise.all([
        getJSONAs('/api/v1/metrics/summary', params),
        getJSONAs('/api/v1/metrics/daily', params),
        getJSONAs('/api/v1/metrics/breakdown', { ...params, by: 'service' }),
        getJSONAs('/api/v1/metrics/breakdown', { ...params, by: 'neighbourhood' }),
        getJSONAs('/api/v1/metrics/hotspots', { ...params, limit: 50 })]);
      if (firstLoad && summary.summary.volume === 0 && summary.period.data_last) {
        // Nothing in the last 30 days: show the 30 days up to the latest request instead.
        firstLoad = false;
        const last = new Date(summary.period.data_last);
        until.value = isoDate(last);
        since.value = isoDate(new Date(last - 29 * DAY_MS));
        await show();
        return;
      }
      firstLoad = false;
      if (service.options.length === 1) {
        byService.groups.forEach((g) => service.append(new Option(g.name, g.key)));
      }
      draw(summary.summary, daily.days, byService.groups, byPlace.groups, hotspots);
      status.replaceChildren(text('dash.updated', {}, 'p'));
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        setStaff(null);
        go('signin', 'dashboard');
        return;
      }
      const node = errorNode(error, 'p');
      node.className = 'field-error';
      status.replaceChildren(node);
    }
  }

  function draw(summary, days, services, places, hotspots) {
    map?.destroy();
    map = null;
    const timed = services.filter((g) => g.median_hours !== null)
      .sort((a, b) => b.median_hours - a.median_hours);
    const busiest = places.filter((g) => g.within_target_share !== null).slice(0, 12);
    const totalCreated = days.reduce((sum, d) => sum + d.created, 0);
    const lastBacklog = days.length ? days[days.length - 1].backlog : 0;
    const mapBox = el('div', { class: 'map', id: 'hotspot-map' });
    const hotspotList = el('ol', { class: 'hotspots' });
    hotspots.neighbourhoods.slice(0, 10).forEach((place) => place.hotspots.forEach((h) => {
      hotspotList.append(el('li', {}, t('dash.hotspotItem', { count: h.count,
        service: h.service_name, place: place.neighbourhood?.name || t('dash.noPlace') })));
    }));
    body.replaceChildren(
      tiles(summary),
      figure('dash.volumeChart', dailyChart(days, 'created'),
        t('dash.volumeSummary', { count: number(totalCreated) })),
      figure('dash.backlogChart', dailyChart(days, 'backlog', { line: true }),
        t('dash.backlogSummary', { count: number(lastBacklog) })),
      figure('dash.closeChart', barList(timed.map((g) => ({ label: g.name,
        value: g.median_hours, text: t('dash.hours', { hours: number(g.median_hours, 1) }) }))),
      timed.map((g) => `${g.name}: ${number(g.median_hours, 1)}`).join('; ')),
      figure('dash.complianceChart', barList(busiest.map((g) => ({ label: g.name,
        value: g.within_target_share, text: percent(g.within_target_share) })),
      { max: 1, colour: LATE }),
      busiest.map((g) => `${g.name}: ${percent(g.within_target_share)}`).join('; ')),
      el('h2', {}, text('dash.hotspots')),
      el('p', { class: 'hint' }, t('dash.hotspotRule', { count: hotspots.min_count,
        metres: number(hotspots.radius_m), found: number(hotspots.hotspot_count) })),
      mapBox, hotspotList);
    const points = hotspots.neighbourhoods.flatMap((place) => place.hotspots.map((h) => ({
      lat: h.lat, lon: h.lon, count: h.count,
      label: t('dash.hotspotItem', { count: h.count, service: h.service_name,
        place: place.neighbourhood?.name || t('dash.noPlace') }) })));
    hotspotMap(mapBox, appConfig().map, points, { map: t('dash.mapLabel') })
      .then((made) => { map = made; })
      .catch(() => mapBox.replaceChildren(text('dash.noMap', {}, 'p')));
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    show();
  });
  exportsRow.addEventListener('click', (event) => {
    const kind = event.target.closest('[data-export]')?.dataset.export;
    if (kind) download(kind, filters()).catch((error) => status.replaceChildren(errorNode(error, 'p')));
  });
  await show();
  const stop = onLanguageChange(() => show());
  return () => { stop(); map?.destroy(); };
}
