// A crew member's jobs on this phone: the crew's work orders and unassigned ones nearby, kept
// in IndexedDB so the list, the map and the details work for hours without a connection.
//
// The cache holds the server's truth only. What the crew did offline lives in the outbox
// (crew-actions.js) and is laid over it when shown, so a pull from the server never undoes
// an action still waiting to be sent.
//
// Pulling: the sync feed (GET /api/v1/sync?since=cursor) brings every change to the crew's
// work orders, page by page; the cursor is saved after each page's changes are stored, so an
// interrupted pull resumes where it stopped (a page applied twice is harmless: each change
// carries the whole work order). The crew's day (GET /api/v1/crew/workorders?near=…) adds
// distances, the suggested visiting order and the unassigned work nearby.

import * as idb from './idb.js';
import { postJSON, send } from './api.js';
import { distanceM } from './distance.js';
import { authHeaders, staff } from './staff.js';

const JOBS = 'jobs';
const META = 'meta';
const META_KEY = 'crew';
const DAY_LIMIT = 100;
export const OPEN = new Set(['unassigned', 'assigned', 'accepted', 'in_progress']);

const authorised = (url) => send(url, { headers: { Accept: 'application/json',
  ...authHeaders() } }).then((response) => response.json());

/**
 * A job from a full work order (sync feed, a single GET, an action's answer); mine when it
 * is the signed-in member's crew's (the feed says so for all of its work orders).
 */
export function fromWorkOrder(w, mine = Boolean(w.crew && w.crew.name === staff()?.crew)) {
  const r = w.request || {};
  return { id: w.id, version: w.version, status: w.status, kind: w.kind, priority: w.priority,
    lat: w.lat, lon: w.lon, tracking: r.tracking, service_code: r.service_code,
    service_name: r.service_name, address: r.address || '', description: r.description || '',
    proof_required: Boolean(r.proof_required), instructions: w.instructions || '',
    due_at: w.due_at, updated_at: w.updated_at, crew: w.crew || null,
    mine };
}

/** A job from the crew's day list (shorter: no crew, no instructions). */
function fromLocated(x, mine) {
  return { id: x.id, version: x.version, status: x.status, kind: x.kind, priority: x.priority,
    lat: x.lat, lon: x.lon, tracking: x.tracking, service_code: x.service_code,
    service_name: x.service_name, address: x.address || '', description: x.description || '',
    proof_required: Boolean(x.proof_required), self_assign: Boolean(x.self_assign),
    due_at: x.due_at, mine };
}

async function meta() {
  return (await idb.get(META, META_KEY)) || { name: META_KEY };
}

function saveMeta(record) {
  return idb.put(META, { ...record, name: META_KEY });
}

/**
 * What this phone holds for the signed-in crew member: {jobs, meta}. Another person's jobs
 * (the phone changed hands) are dropped first.
 */
export async function cached() {
  const user = staff()?.username;
  let record = await meta();
  if (record.user !== user) {
    await idb.putMany(JOBS, [], { clear: true });
    record = { name: META_KEY, user };
    await saveMeta(record);
  }
  return { jobs: await idb.getAll(JOBS), meta: record };
}

export function job(id) {
  return idb.get(JOBS, Number(id));
}

/** Keep what the server said about jobs; a job never goes back to an older version. */
export async function storeWorkOrders(workOrders, { mine } = {}) {
  const fresh = [];
  for (const w of workOrders) {
    const earlier = await idb.get(JOBS, w.id);
    if (earlier && earlier.version > w.version) continue;
    fresh.push({ ...earlier, ...(mine === undefined ? fromWorkOrder(w) : fromWorkOrder(w, mine)) });
  }
  await idb.putMany(JOBS, fresh);
}

/** Fetch one work order from the server into the cache (for a job not on the phone yet). */
export async function fetchJob(id) {
  const w = await authorised(`/api/v1/workorders/${encodeURIComponent(id)}`);
  await storeWorkOrders([w]);
  return job(id);
}

/** Follow the sync feed to its end. Resolves to the number of changes applied. */
export async function pullChanges() {
  let record = await meta();
  let count = 0;
  for (;;) {
    const query = record.cursor ? `?since=${encodeURIComponent(record.cursor)}` : '';
    const page = await authorised(`/api/v1/sync${query}`);
    const keep = page.changes.filter((c) => c.work_order && OPEN.has(c.work_order.status));
    const drop = page.changes.filter((c) => !keep.includes(c)).map((c) => c.id);
    await storeWorkOrders(keep.map((c) => c.work_order), { mine: true });
    await idb.putMany(JOBS, [], { removeKeys: drop });
    record = { ...(await meta()), cursor: page.cursor, synced_at: new Date().toISOString() };
    await saveMeta(record);
    count += page.changes.length;
    if (!page.has_more) return count;
  }
}

/**
 * The crew's day from the server: distances, the suggested order and the unassigned work
 * near `position` ({lat, lon}; without it the server uses the last position it was sent).
 */
export async function refreshDay(position) {
  const near = position ? `&near=${position.lat},${position.lon}` : '';
  const day = await authorised(`/api/v1/crew/workorders?limit=${DAY_LIMIT}${near}`);
  const { jobs } = await cached();
  const byId = new Map(jobs.map((j) => [j.id, j]));
  const merged = (x, mine) => {
    const earlier = byId.get(x.id);
    if (earlier && earlier.version > x.version) return earlier;
    return { ...earlier, ...fromLocated(x, mine) };
  };
  const nearIds = new Set(day.unassigned.map((x) => x.id));
  const gone = jobs.filter((j) => !j.mine && !nearIds.has(j.id)).map((j) => j.id);
  await idb.putMany(JOBS, [...day.mine.map((x) => merged(x, true)),
    ...day.unassigned.map((x) => merged(x, false))], { removeKeys: gone });
  await saveMeta({ ...(await meta()), tour: day.tour, tour_m: day.tour_m,
    origin: day.origin, day_at: new Date().toISOString() });
  return day;
}

/** Tell dispatch where the crew member is (best effort: a missed ping is not worth queuing). */
export function sendPosition(position) {
  return postJSON('/api/v1/crew/position', { lat: position.lat, lon: position.lon,
    accuracy_m: position.accuracy ?? null, recorded_at: new Date().toISOString() },
  authHeaders()).catch(() => null);
}

/** Each job with its distance (metres) from `from`, nearest first; no location goes last. */
export function byDistance(jobs, from) {
  const measured = jobs.map((j) => ({ ...j, distance_m: from && j.lat !== null && j.lon !== null
    ? distanceM(from, j) : null }));
  return measured.sort((a, b) => (a.distance_m === null) - (b.distance_m === null)
    || (a.distance_m ?? 0) - (b.distance_m ?? 0) || a.id - b.id);
}
