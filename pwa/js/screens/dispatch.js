// The dispatcher's map (#/dispatch[/lat/lon/zoom]): open requests in clusters, open work
// orders coloured by status, where the crews are; filters (status, service, priority, age,
// zone); an area drawn as a box or a lasso (or the whole view) assigned to a crew in one
// call, with what was left alone and why; for one work order, the nearest crews; the overdue
// list, the longest late first; and the way to the call-taker's form. Dispatchers and
// administrators only.

import { ApiError, send } from '../api.js';
import { appConfig } from '../config.js';
import { insideRing } from '../distance.js';
import { el, uniqueId } from '../dom.js';
import { errorNode, formatDate, onLanguageChange, t, text } from '../i18n.js';
import { STATUS_COLOURS, dispatchMap } from '../map-draw.js';
import { go } from '../router.js';
import { authHeaders, isManager, setStaff } from '../staff.js';
import { clock, distanceWords } from '../crew-view.js';

const OPEN_WORK = ['unassigned', 'assigned', 'accepted', 'in_progress'];
const WORK_LIMIT = 500;
const LIST_LIMIT = 50;
const HOUR_MS = 3_600_000;
const OVERDUE_LIMIT = 50;
const ZONE_KINDS = ['neighbourhood', 'district']; // what a dispatcher filters by
const FOCUS_ZOOM = 17;

async function call(path, { method = 'GET', body } = {}) {
  const response = await send(path, { method, headers: { Accept: 'application/json',
    ...(body ? { 'Content-Type': 'application/json' } : {}), ...authHeaders() },
  body: body ? JSON.stringify(body) : undefined });
  return response.json();
}

const query = (params) => new URLSearchParams(Object.entries(params)
  .flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => [k, x]) : [[k, v]]))
  .filter(([, v]) => v !== '' && v !== null && v !== undefined)).toString();

function select(labelKey, options, attrs = {}) {
  const input = el('select', { id: uniqueId('filter'), ...attrs },
    ...options.map(([value, label]) => el('option', { value }, label)));
  return [el('div', { class: 'field' }, el('label', { for: input.id }, text(labelKey)), input),
    input];
}

function workLabel(w) {
  return `${w.request?.service_name || ''} ${w.request?.tracking || ''} — ${t(`work.${w.status}`)}`
    + (w.crew ? ` (${w.crew.name})` : '');
}

function isOverdue(w) {
  return Boolean(w.due_at) && new Date(w.due_at) < new Date();
}

/** "3 d 4 h late" — how long ago a deadline passed, in the largest units that say it. */
function lateWords(seconds) {
  const minutes = Math.floor(seconds / 60);
  const hours = Math.floor(minutes / 60);
  const days = Math.floor(hours / 24);
  if (days >= 1) return t('dispatch.lateDays', { days, hours: hours % 24 });
  if (hours >= 1) return t('dispatch.lateHours', { hours, minutes: minutes % 60 });
  return t('dispatch.lateMinutes', { minutes: Math.max(1, minutes) });
}

function zoneOptions(zones) {
  return ZONE_KINDS.map((kind) => el('optgroup', { label: t(`zones.${kind}`) },
    ...zones.filter((z) => z.kind === kind).map((z) => el('option', { value: z.id }, z.name))));
}

export async function render(container, params) {
  if (!isManager()) {
    go('signin', 'dispatch');
    return undefined;
  }
  const [lat, lon, zoom] = params.map(Number);
  const [statusField, statusFilter] = select('dispatch.show', [
    ['open', t('dispatch.allOpen')], ['unassigned', t('work.unassigned')]]);
  const [serviceField, serviceFilter] = select('dispatch.service',
    [['', t('dispatch.anyService')]]);
  const [priorityField, priorityFilter] = select('dispatch.priority', [
    ['', t('dispatch.anyPriority')],
    ...['urgent', 'high', 'normal', 'low'].map((p) => [p, t(`priority.${p}`)])]);
  const [ageField, ageFilter] = select('dispatch.age', [['', t('dispatch.anyAge')],
    ['24', t('dispatch.olderThanDay')], ['72', t('dispatch.olderThan3Days')],
    ['168', t('dispatch.olderThanWeek')]]);
  const [zoneField, zoneFilter] = select('dispatch.zone', [['', t('dispatch.anyZone')]],
    { id: 'zone-filter' });
  const filters = el('form', { class: 'filters' }, statusField, serviceField, priorityField,
    ageField, zoneField);
  const mapBox = el('div', { class: 'map dispatch-map', id: 'dispatch-map' });
  const legend = el('p', { class: 'legend hint' }, ...OPEN_WORK.map((s) => el('span', {},
    swatch(STATUS_COLOURS[s]), t(`work.${s}`))),
  el('span', {}, el('span', { class: 'swatch cluster' }), t('dispatch.requests')),
  el('span', {}, el('span', { class: 'swatch crew' }), t('dispatch.crewLegend')));
  const boxButton = el('button', { type: 'button', class: 'button small',
    'aria-pressed': 'false' }, text('dispatch.drawBox'));
  const lassoButton = el('button', { type: 'button', class: 'button small',
    'aria-pressed': 'false' }, text('dispatch.drawLasso'));
  const viewButton = el('button', { type: 'button', class: 'button small' },
    text('dispatch.useView'));
  const hint = el('p', { role: 'status', 'aria-live': 'polite', class: 'status',
    id: 'dispatch-hint' });
  const crewSelect = el('select', { id: uniqueId('crew'), required: true });
  const includeAssigned = el('input', { type: 'checkbox', id: uniqueId('include') });
  const assignButton = el('button', { type: 'submit', class: 'button primary' },
    text('dispatch.assign'));
  const clearButton = el('button', { type: 'button', class: 'button' }, text('dispatch.clear'));
  const selectionCount = el('p', { id: 'selection-count' });
  const selection = el('form', { class: 'selection', id: 'selection', hidden: true },
    el('h2', {}, text('dispatch.selection')), selectionCount,
    el('div', { class: 'field' }, el('label', { for: crewSelect.id }, text('dispatch.crew')),
      crewSelect),
    el('p', { class: 'check' }, includeAssigned,
      el('label', { for: includeAssigned.id }, text('dispatch.includeAssigned'))),
    el('div', { class: 'row' }, assignButton, clearButton));
  const result = el('div', { role: 'status', 'aria-live': 'polite', id: 'dispatch-result' });
  const picked = el('section', { id: 'picked', 'aria-live': 'polite' });
  const crewList = el('ul', { class: 'cards', id: 'crew-positions' });
  const orderList = el('ul', { class: 'cards', id: 'orders-in-view' });
  const overdueList = el('ul', { class: 'cards', id: 'overdue-list' });
  const overdueNote = el('p', { class: 'hint', role: 'status', 'aria-live': 'polite' });
  container.append(el('h1', {}, text('dispatch.title')),
    el('p', {}, el('a', { href: '#/call', class: 'button primary', id: 'take-call' },
      text('dispatch.takeCall'))),
    filters, mapBox, legend,
    el('div', { class: 'row tools' }, boxButton, lassoButton, viewButton), hint, selection,
    result, picked,
    el('section', { 'aria-labelledby': 'overdue-title' },
      el('h2', { id: 'overdue-title' }, text('dispatch.overdueTitle')),
      text('dispatch.overdueHint', {}, 'p'), overdueNote, overdueList),
    el('h2', {}, text('dispatch.inView')), orderList,
    el('h2', {}, text('dispatch.crews')), crewList);

  let map = null;
  let orders = [];
  let overdue = [];
  let positions = [];
  let area = null; // {ring: [{lat, lon}]} or {bbox: [...]} with its ring
  let pickedId = null;
  let loadTimer = null;
  let alive = true;

  const failed = (error, where) => {
    if (error instanceof ApiError && error.status === 401) {
      setStaff(null);
      go('signin', 'dispatch');
      return;
    }
    const node = errorNode(error, 'p');
    node.className = 'field-error';
    where.replaceChildren(node);
  };

  function matching() {
    const hours = Number(ageFilter.value || 0);
    return orders.filter((w) => (statusFilter.value !== 'unassigned' || w.status === 'unassigned')
      && (!serviceFilter.value || w.request?.service_code === serviceFilter.value)
      && (!priorityFilter.value || w.priority === priorityFilter.value)
      && (!hours || Date.now() - new Date(w.created_at).getTime() >= hours * HOUR_MS));
  }

  function inArea(list) {
    if (!area) return [];
    return list.filter((w) => w.lat !== null && insideRing(w, area.ring));
  }

  function drawOrders() {
    const shown = matching();
    map?.setWorkOrders(shown.map((w) => ({ ...w, label: workLabel(w) })), pickedId);
    const listed = [...shown].sort((a, b) => isOverdue(b) - isOverdue(a) || a.id - b.id)
      .slice(0, LIST_LIMIT);
    orderList.replaceChildren(...listed.map((w) => el('li', { class: 'card',
      dataset: { workOrderId: w.id } },
    el('p', {}, el('strong', {}, w.request?.service_name || ''), ' ', w.request?.tracking || ''),
    el('p', { class: 'hint' }, t(`work.${w.status}`), w.crew ? ` — ${w.crew.name}` : '',
      isOverdue(w) ? ` — ${t('dispatch.overdue')}` : ''),
    el('button', { type: 'button', class: 'button small', onclick: () => pick(w.id) },
      text('dispatch.details')))));
    if (!listed.length) orderList.append(el('li', { class: 'hint' }, t('dispatch.noneInView')));
    if (shown.length > listed.length) {
      orderList.append(el('li', { class: 'hint' }, t('dispatch.more',
        { count: shown.length - listed.length })));
    }
    if (area) {
      selectionCount.textContent = t('dispatch.selectionCount',
        { count: inArea(shown).length });
    }
  }

  async function loadOrders() {
    if (!map) return;
    const { bbox, zoom: z } = map.view();
    try {
      const [found, clusters] = await Promise.all([
        call(`/api/v1/workorders?${query({ bbox: bbox.join(','), status: OPEN_WORK,
          limit: WORK_LIMIT, zone: zoneFilter.value })}`),
        call(`/api/v1/map/clusters?${query({ bbox: bbox.join(','), zoom: z, status: 'open',
          service: serviceFilter.value, priority: priorityFilter.value,
          zone: zoneFilter.value })}`)
          .catch(() => ({ features: [] })), // a view too wide for clusters: work orders only
      ]);
      if (!alive) return;
      orders = found;
      map.setClusters(clusters.features);
      drawOrders();
    } catch (error) {
      failed(error, hint);
    }
  }

  function drawOverdue() {
    overdueList.replaceChildren(...overdue.map((item) => el('li', { class: 'card',
      dataset: { tracking: item.tracking } },
    el('p', {}, el('strong', {}, item.service_name), ' ', item.tracking),
    el('p', { class: 'attention-message' }, lateWords(item.late_seconds), ' — ',
      t(item.reason === 'work_order_due' ? 'dispatch.workWasDue' : 'dispatch.wasExpected',
        { at: formatDate(item.due_at) })),
    el('p', { class: 'hint' }, item.work_order
      ? t('dispatch.overdueWork', { id: item.work_order.id,
        status: t(`work.${item.work_order.status}`),
        crew: item.work_order.crew?.name || t('dispatch.noCrew') })
      : t('dispatch.noWorkOrder'), item.address ? ` — ${item.address}` : ''),
    el('button', { type: 'button', class: 'button small', onclick: () => showOverdue(item) },
      t('dispatch.showOnMap', { tracking: item.tracking })))));
    overdueNote.replaceChildren(overdue.length ? '' : t('dispatch.noneOverdue'));
  }

  async function loadOverdue() {
    try {
      const page = await call(`/api/v1/service-levels/overdue?${query({ limit: OVERDUE_LIMIT,
        zone: zoneFilter.value })}`);
      if (!alive) return;
      overdue = page.items;
      drawOverdue();
    } catch (error) {
      failed(error, overdueNote);
    }
  }

  // Select a late item: its work order on the map when it has one, else the request itself.
  async function showOverdue(item) {
    if (map && item.lat !== null && item.lon !== null) {
      map.setView(item, Math.max(map.view().zoom, FOCUS_ZOOM));
      await loadOrders();
    }
    const w = item.work_order;
    if (w && orders.some((o) => o.id === w.id)) {
      await pick(w.id);
      return;
    }
    pickedId = null;
    drawOrders();
    picked.replaceChildren(el('h2', { tabindex: '-1', id: 'picked-title' },
      t('dispatch.request', { tracking: item.tracking })),
    el('p', {}, el('strong', {}, item.service_name), ' — ', t(`status.${item.status}`), ' · ',
      t(`priority.${item.priority}`)),
    item.address ? el('p', {}, item.address) : null,
    el('p', { class: 'attention-message' }, lateWords(item.late_seconds)),
    el('p', {}, el('a', { href: `#/track/${encodeURIComponent(item.tracking)}` },
      t('dispatch.openTracking'))));
    document.getElementById('picked-title').focus();
  }

  async function loadCrews() {
    try {
      const [crews, found] = await Promise.all([call('/api/v1/dispatch/crews'),
        call('/api/v1/dispatch/positions')]);
      if (!alive) return;
      const chosen = crewSelect.value;
      crewSelect.replaceChildren(el('option', { value: '' }, t('dispatch.chooseCrew')),
        ...crews.map((c) => el('option', { value: c.id }, c.name)));
      crewSelect.value = chosen;
      positions = found;
      map?.setCrews(positions);
      crewList.replaceChildren(...positions.map((p) => el('li', { class: 'card' },
        el('p', {}, el('strong', {}, p.crew?.name || t('dispatch.noCrew')), ' — ',
          p.user.display_name),
        el('p', { class: 'hint' }, t('dispatch.seenAt', { at: formatDate(p.recorded_at) })))));
      if (!positions.length) crewList.append(el('li', { class: 'hint' }, t('dispatch.noPositions')));
    } catch (error) {
      failed(error, hint);
    }
  }

  async function pick(id) {
    pickedId = id;
    drawOrders();
    const w = orders.find((o) => o.id === id);
    if (!w) return;
    const suggest = el('button', { type: 'button', class: 'button small' },
      text('dispatch.suggest'));
    const suggestions = el('ul', { class: 'cards', id: 'suggestions' });
    const outcome = el('div', { role: 'status', 'aria-live': 'polite' });
    picked.replaceChildren(el('h2', { tabindex: '-1', id: 'picked-title' },
      t('dispatch.workOrder', { id: w.id })),
    el('p', {}, el('strong', {}, w.request?.service_name || ''), ' ', w.request?.tracking || ''),
    el('p', {}, `${t(`work.${w.status}`)}${w.crew ? ` — ${w.crew.name}` : ''} · `
      + `${t(`priority.${w.priority}`)}`),
    w.request?.address ? el('p', {}, w.request.address) : null,
    w.due_at ? el('p', { class: isOverdue(w) ? 'attention-message' : 'hint' },
      t('dispatch.due', { at: formatDate(w.due_at) })) : null,
    suggest, suggestions, outcome);
    document.getElementById('picked-title').focus();
    suggest.addEventListener('click', async () => {
      try {
        const found = await call(`/api/v1/dispatch/workorders/${w.id}/suggested-crews`);
        suggestions.replaceChildren(...found.map((s) => el('li', { class: 'card' },
          el('p', {}, el('strong', {}, s.crew.name), ' — ', t('dispatch.away', {
            distance: distanceWords(s.distance_m) })),
          el('p', { class: 'hint' }, t('dispatch.suggestionFacts', { name: s.member.display_name,
            at: clock(s.position_at), count: s.open_work_orders })),
          el('button', { type: 'button', class: 'button small primary',
            onclick: () => assignOne(w, s.crew, outcome) },
          t('dispatch.assignTo', { crew: s.crew.name })))));
        if (!found.length) suggestions.append(el('li', { class: 'hint' }, t('dispatch.noSuggestion')));
      } catch (error) {
        failed(error, outcome);
      }
    });
  }

  function describe(report, crewName) {
    const tracking = (id) => orders.find((o) => o.id === id)?.request?.tracking;
    const reasons = report.skipped.map((s) => el('li', {}, t('dispatch.skippedItem', {
      id: tracking(s.id) ? `${s.id} (${tracking(s.id)})` : s.id,
      reason: t(`skip.${s.reason}`) })));
    return [el('p', {}, t('dispatch.assigned', { count: report.assigned_count, crew: crewName })),
      report.skipped_count ? el('p', {}, t('dispatch.skipped', { count: report.skipped_count }))
        : null,
      reasons.length ? el('ul', {}, ...reasons) : null].filter(Boolean);
  }

  async function assignOne(w, crew, where) {
    try {
      const report = await call('/api/v1/dispatch/assign', { method: 'POST', body: {
        work_orders: [w.id], crew_id: crew.id, versions: { [w.id]: w.version } } });
      where.replaceChildren(...describe(report, crew.name));
      await Promise.all([loadOrders(), loadOverdue()]);
    } catch (error) {
      failed(error, where);
    }
  }

  function setArea(next) {
    area = next;
    map?.showArea(area?.ring || null);
    selection.hidden = !area;
    result.replaceChildren();
    drawOrders();
    if (area) crewSelect.focus();
  }

  async function draw(mode, button) {
    if (!map) return;
    if (button.getAttribute('aria-pressed') === 'true') {
      map.cancelDrawing();
      return;
    }
    [boxButton, lassoButton].forEach((b) => b.setAttribute('aria-pressed', String(b === button)));
    hint.replaceChildren(text(mode === 'box' ? 'dispatch.drawBoxHint' : 'dispatch.drawLassoHint',
      {}, 'p'));
    const ring = await map.drawArea(mode);
    [boxButton, lassoButton].forEach((b) => b.setAttribute('aria-pressed', 'false'));
    hint.replaceChildren(ring ? '' : text('dispatch.drawCancelled', {}, 'p'));
    if (!ring) return;
    const lons = ring.map((p) => p.lon);
    const lats = ring.map((p) => p.lat);
    setArea(mode === 'box' ? { ring, bbox: [Math.min(...lons), Math.min(...lats),
      Math.max(...lons), Math.max(...lats)] } : { ring });
  }

  boxButton.addEventListener('click', () => draw('box', boxButton));
  lassoButton.addEventListener('click', () => draw('lasso', lassoButton));
  viewButton.addEventListener('click', () => {
    if (!map) return;
    const [w, s, e, n] = map.view().bbox;
    setArea({ bbox: [w, s, e, n], ring: [{ lat: s, lon: w }, { lat: n, lon: w },
      { lat: n, lon: e }, { lat: s, lon: e }] });
  });
  clearButton.addEventListener('click', () => setArea(null));
  filters.addEventListener('change', () => { drawOrders(); loadOrders(); });
  zoneFilter.addEventListener('change', async () => {
    loadOverdue();
    let outline = null;
    if (zoneFilter.value) {
      try {
        outline = (await call(`/api/v1/zones/${zoneFilter.value}`)).geometry;
      } catch (error) {
        failed(error, hint);
      }
    }
    map?.showZone(outline); // showing the whole zone moves the map, which loads what is there
  });
  filters.addEventListener('submit', (event) => event.preventDefault());

  selection.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!crewSelect.value) {
      result.replaceChildren(el('p', { class: 'field-error' }, t('dispatch.chooseCrewFirst')));
      crewSelect.focus();
      return;
    }
    const crewName = crewSelect.selectedOptions[0].textContent;
    const ring = area.ring.map((p) => [p.lon, p.lat]);
    const body = {
      crew_id: Number(crewSelect.value),
      ...(area.bbox ? { bbox: area.bbox }
        : { polygon: { type: 'Polygon', coordinates: [[...ring, ring[0]]] } }),
      services: serviceFilter.value ? [serviceFilter.value] : [],
      priorities: priorityFilter.value ? [priorityFilter.value] : [],
      older_than_hours: ageFilter.value ? Number(ageFilter.value) : null,
      zone: zoneFilter.value ? Number(zoneFilter.value) : null,
      include_assigned: includeAssigned.checked,
    };
    assignButton.disabled = true;
    result.replaceChildren(text('dispatch.assigning', {}, 'p'));
    try {
      const report = await call('/api/v1/dispatch/assign-area', { method: 'POST', body });
      result.replaceChildren(...describe(report, crewName));
      await Promise.all([loadOrders(), loadOverdue()]);
    } catch (error) {
      failed(error, result);
    } finally {
      assignButton.disabled = false;
    }
  });

  call('/api/v1/services').then((services) => {
    services.forEach((s) => serviceFilter.append(el('option', { value: s.code }, s.name)));
  }).catch(() => {});
  call('/api/v1/zones').then((zones) => zoneFilter.append(...zoneOptions(zones)))
    .catch(() => {}); // without the list, no zone filter: the rest works
  try {
    const settings = appConfig().map;
    map = await dispatchMap(mapBox, settings, {
      map: t('dispatch.mapLabel'),
      cluster: (p) => (p.cluster ? t('dispatch.clusterLabel', { count: p.count })
        : `${p.tracking || ''} ${p.service_code || ''}`),
      crew: (p) => t('dispatch.crewAt', { crew: p.crew?.name || '', name: p.user.display_name,
        at: clock(p.recorded_at) }),
    }, pick);
    if (Number.isFinite(lat) && Number.isFinite(lon)) {
      map.setView({ lat, lon }, Number.isFinite(zoom) ? zoom : settings.zoom);
    }
    map.onMove(() => {
      clearTimeout(loadTimer);
      loadTimer = setTimeout(loadOrders, 250);
    });
  } catch {
    mapBox.replaceChildren(text('dispatch.noMap', {}, 'p'));
  }
  await Promise.all([loadOrders(), loadCrews(), loadOverdue()]);
  const stop = onLanguageChange(() => { drawOrders(); drawOverdue(); });
  return () => { alive = false; clearTimeout(loadTimer); stop(); map?.destroy(); };
}

/** A legend's colour chip, coloured through the CSSOM (the policy refuses style attributes). */
function swatch(colour) {
  const chip = el('span', { class: 'swatch' });
  chip.style.background = colour;
  return chip;
}
