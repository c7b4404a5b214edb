// The crew's day (#/crew): their jobs in the suggested visiting order or nearest first, the
// unassigned work nearby with distances, a map of both, and what still waits to be sent or
// needs their decision. Drawn from the phone's copy at once (so it works offline), then
// brought up to date when there is a connection: waiting actions are sent first, then the
// changes pulled, then distances and the route asked for where the crew member is now.

import { ApiError, NetworkError } from '../api.js';
import { appConfig } from '../config.js';
import { byDistance, cached, OPEN, pullChanges, refreshDay, sendPosition } from '../crew-jobs.js';
import { queued, sendActions } from '../crew-actions.js';
import { actionsByJob, attentionCard, clock, distanceWords, statusAfter, statusBadge }
  from '../crew-view.js';
import { distanceM } from '../distance.js';
import { el, uniqueId } from '../dom.js';
import { locate } from '../geolocation.js';
import { errorNode, onLanguageChange, t, text } from '../i18n.js';
import { onOutboxChange } from '../outbox.js';
import { go } from '../router.js';
import { staff } from '../staff.js';

const SORT_KEY = 'frontdoor.crewSort';
const RETRY_MS = 30_000;

/** My open jobs in the suggested order (the server's tour, then any it did not cover). */
function inRouteOrder(mine, tour = []) {
  const byId = new Map(mine.map((j) => [j.id, j]));
  const ordered = tour.filter((id) => byId.has(id)).map((id) => byId.get(id));
  const rest = mine.filter((j) => !ordered.includes(j));
  return [...ordered, ...rest];
}

function routeLength(from, stops) {
  const points = [from, ...stops].filter((p) => p && p.lat !== null && p.lon !== null);
  let metres = 0;
  for (let i = 1; i < points.length; i += 1) metres += distanceM(points[i - 1], points[i]);
  return metres;
}

function jobCard(job, { stop, actions }) {
  const waiting = actions?.waiting || [];
  const attention = actions?.attention || [];
  const status = statusAfter(job, waiting);
  return el('li', { class: `card job${waiting.length ? ' waiting' : ''}`,
    dataset: { jobId: job.id, distance: job.distance_m ?? '' } },
  el('h3', {}, el('a', { href: `#/job/${job.id}` }, job.service_name || job.tracking)),
  el('p', { class: 'job-where' }, job.address || `${job.lat?.toFixed(5)}, ${job.lon?.toFixed(5)}`),
  el('p', { class: 'job-facts' },
    stop ? el('span', { class: 'stop' }, t('crew.stop', { n: stop })) : null,
    el('span', { class: 'distance' }, distanceWords(job.distance_m)),
    statusBadge(status, { pending: waiting.length > 0 }),
    ['high', 'urgent'].includes(job.priority)
      ? el('span', { class: 'badge attention' }, t(`priority.${job.priority}`)) : null),
  waiting.length ? el('p', { class: 'hint' }, t('crew.waitingActions',
    { count: waiting.length })) : null,
  attention.length ? el('p', { class: 'attention-message' }, t('crew.seeAttention')) : null);
}

function sortChoice(current, onChange) {
  const name = uniqueId('sort');
  const option = (value, key) => {
    const input = el('input', { type: 'radio', name, value, id: uniqueId('sort'),
      checked: value === current });
    input.addEventListener('change', () => onChange(value));
    return el('label', { class: 'choice', for: input.id }, input, text(key));
  };
  return el('fieldset', { class: 'choices sort' }, el('legend', {}, text('crew.sortBy')),
    option('route', 'crew.sortRoute'), option('nearest', 'crew.sortNearest'));
}

export async function render(container) {
  const member = staff();
  if (!member || member.role !== 'crew') {
    go('signin', 'crew');
    return undefined;
  }
  let sort = sessionStorage.getItem(SORT_KEY) === 'nearest' ? 'nearest' : 'route';
  let position = null;
  let state = { jobs: [], meta: {}, items: [] };
  let map = null;
  let syncing = null;
  let alive = true;

  const status = el('div', { role: 'status', 'aria-live': 'polite', id: 'crew-status',
    class: 'status' });
  const refresh = el('button', { type: 'button', class: 'button small' }, text('crew.refresh'));
  const attentionBox = el('section', { id: 'crew-attention', 'aria-labelledby': 'attention-title',
    hidden: true });
  const sortBox = sortChoice(sort, (value) => {
    sort = value;
    sessionStorage.setItem(SORT_KEY, value);
    draw();
  });
  const route = el('p', { class: 'hint', id: 'crew-route' });
  const mineList = el('ol', { class: 'cards', id: 'my-jobs' });
  const nearList = el('ol', { class: 'cards', id: 'near-jobs' });
  const mapBox = el('div', { class: 'map', id: 'crew-map', hidden: true });
  const mapToggle = el('button', { type: 'button', class: 'button small',
    'aria-controls': 'crew-map', 'aria-expanded': 'false' }, text('crew.showMap'));
  container.append(
    el('h1', {}, text('crew.title')),
    el('p', { class: 'hint' }, t('crew.signedInAs', { name: member.name || member.username,
      crew: member.crew || '—' }), ' ', el('a', { href: '#/signin/crew' }, t('crew.notYou'))),
    el('div', { class: 'row' }, refresh, mapToggle), status, mapBox, attentionBox,
    el('h2', { id: 'mine-title' }, text('crew.mine')), sortBox, route, mineList,
    el('h2', { id: 'near-title' }, text('crew.near')), text('crew.nearHint', {}, 'p'), nearList);
  mineList.setAttribute('aria-labelledby', 'mine-title');
  nearList.setAttribute('aria-labelledby', 'near-title');

  const say = (...nodes) => status.replaceChildren(...nodes);
  const from = () => position || state.meta.origin || null;

  function lists() {
    const open = byDistance(state.jobs.filter((j) => OPEN.has(j.status)), from());
    const mine = open.filter((j) => j.mine);
    const near = open.filter((j) => !j.mine && j.status === 'unassigned');
    const routeOrder = inRouteOrder(mine, state.meta.tour);
    const stops = new Map(routeOrder.map((j, i) => [j.id, i + 1]));
    return { mine: sort === 'route' ? routeOrder : mine, near, routeOrder, stops };
  }

  function draw() {
    const { mine, near, routeOrder, stops } = lists();
    const actions = actionsByJob(state.items);
    mineList.replaceChildren(...mine.map((j) => jobCard(j, { stop: stops.get(j.id),
      actions: actions.get(j.id) })));
    if (!mine.length) mineList.append(el('li', { class: 'hint' }, t('crew.noJobs')));
    nearList.replaceChildren(...near.map((j) => jobCard(j, { actions: actions.get(j.id) })));
    if (!near.length) nearList.append(el('li', { class: 'hint' }, t('crew.noNear')));
    route.textContent = routeOrder.length ? t('crew.routeSummary', { stops: routeOrder.length,
      distance: distanceWords(routeLength(from(), routeOrder)) }) : '';
    const attention = state.items.filter((i) => i.state === 'attention');
    attentionBox.hidden = !attention.length;
    attentionBox.replaceChildren(
      el('h2', { id: 'attention-title' }, t('crew.attentionTitle', { count: attention.length })),
      el('ul', { class: 'cards' }, ...attention.map((item) => attentionCard(item, state.items,
        (how) => { say(text(how === 'again' ? 'crew.queuedAgain' : 'crew.discarded', {}, 'p'));
          reload().then(() => sync()); }))));
    map?.update(mapData(routeOrder, near, stops));
  }

  function mapData(routeOrder, near, stops) {
    const located = (j) => j.lat !== null && j.lon !== null;
    const label = (j) => `${j.service_name} — ${j.address || ''} (${distanceWords(j.distance_m)})`;
    return {
      me: from(),
      jobs: [...routeOrder.filter(located).map((j) => ({ ...j, mine: true, stop: stops.get(j.id),
        label: `${t('crew.stop', { n: stops.get(j.id) })}: ${label(j)}` })),
      ...near.filter(located).map((j) => ({ ...j, mine: false, label: label(j) }))],
      route: [from(), ...routeOrder.filter(located)].filter(Boolean),
    };
  }

  async function reload() {
    const [{ jobs, meta }, items] = await Promise.all([cached(), queued()]);
    state = { jobs, meta, items };
    if (alive) draw();
  }

  function offlineNote() {
    const when = state.meta.synced_at ? clock(state.meta.synced_at) : '—';
    const waiting = state.items.filter((i) => i.state === 'waiting').length;
    return el('p', {}, t('crew.offline', { at: when }),
      waiting ? ` ${t('crew.waitingToSend', { count: waiting })}` : '');
  }

  async function syncNow() {
    if (!navigator.onLine) {
      say(offlineNote());
      return;
    }
    say(text('crew.updating', {}, 'p'));
    const where = locate({ timeout: 8000 }).catch(() => null);
    const sent = await sendActions();
    await reload();
    if (sent.signIn) {
      say(el('p', { class: 'field-error' }, t('crew.signInAgain'), ' ',
        el('a', { href: '#/signin/crew' }, t('crew.signIn'))));
      return;
    }
    if (sent.offline) {
      say(offlineNote());
      return;
    }
    try {
      await pullChanges();
      position = (await where) || position;
      await refreshDay(position);
      if (position) sendPosition(position);
    } catch (error) {
      await reload();
      if (error instanceof NetworkError) say(offlineNote());
      else if (error instanceof ApiError && error.status === 401) {
        say(el('p', { class: 'field-error' }, t('crew.signInAgain'), ' ',
          el('a', { href: '#/signin/crew' }, t('crew.signIn'))));
      } else say(errorNode(error, 'p'));
      return;
    }
    await reload();
    const parts = [t('crew.updated', { at: clock(new Date().toISOString()) })];
    if (sent.applied.length) parts.push(t('crew.sentCount', { count: sent.applied.length }));
    const refusedCount = sent.conflicts.length + sent.rejected.length;
    if (refusedCount) parts.push(t('crew.refusedCount', { count: refusedCount }));
    say(el('p', {}, parts.join(' ')));
  }

  function sync() {
    syncing ??= syncNow().finally(() => { syncing = null; });
    return syncing;
  }

  mapToggle.addEventListener('click', async () => {
    const show = mapBox.hidden;
    mapBox.hidden = !show;
    mapToggle.setAttribute('aria-expanded', String(show));
    mapToggle.replaceChildren(text(show ? 'crew.hideMap' : 'crew.showMap'));
    if (!show) return;
    if (map) {
      map.resize();
      return;
    }
    const { routeOrder, near, stops } = lists();
    try {
      map = await jobsMapFor(mapBox, mapData(routeOrder, near, stops));
    } catch {
      mapBox.replaceChildren(text('crew.noMap', {}, 'p'));
    }
  });
  refresh.addEventListener('click', () => sync());

  await reload();
  locate({ timeout: 8000 }).then((found) => { position = found; if (alive) draw(); })
    .catch(() => {});
  const onOnline = () => sync();
  const onOffline = () => say(offlineNote());
  window.addEventListener('online', onOnline);
  window.addEventListener('offline', onOffline);
  const timer = setInterval(() => {
    if (navigator.onLine && state.items.some((i) => i.state === 'waiting')) sync();
  }, RETRY_MS);
  const stops = [onOutboxChange(() => reload()), onLanguageChange(() => draw())];
  sync();
  return () => {
    alive = false;
    clearInterval(timer);
    window.removeEventListener('online', onOnline);
    window.removeEventListener('offline', onOffline);
    stops.forEach((stop) => stop());
    map?.destroy();
  };
}

async function jobsMapFor(element, data) {
  const { jobsMap } = await import('../map.js');
  return jobsMap(element, appConfig().map, data, { map: t('crew.mapLabel'), me: t('crew.me') },
    (id) => go('job', id));
}
