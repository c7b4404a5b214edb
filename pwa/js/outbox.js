// A named outbox of writes that must reach the server: {request, timestamp} with the body as an
// ArrayBuffer and any photos as ArrayBuffers, kept in IndexedDB until the server acknowledges.
//
// Replay goes in order. A network failure, a 5xx or a 429 (too many requests: later will do)
// stops the replay and keeps the item queued; any other 4xx is the server saying no, so the
// item moves to "needs attention" with its message.
// Each photo is uploaded before its item and the returned id is saved on the item at once,
// so a resend never uploads a photo twice. Page and service worker share the outbox; a Web Lock
// makes sure only one of them replays at a time.

import * as idb from './idb.js';
import { ApiError, NetworkError, send } from './api.js';

export const WAITING = 'waiting';
export const ATTENTION = 'attention';
const STORE = 'outbox';

const local = new EventTarget();
const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel('frontdoor-outbox') : null;
channel?.addEventListener('message', (e) => local.dispatchEvent(new CustomEvent('change', { detail: e.data })));

function changed(queue) {
  local.dispatchEvent(new CustomEvent('change', { detail: { queue } }));
  channel?.postMessage({ queue });
}

/** Call fn whenever an outbox changes, here or in another tab or the service worker. */
export function onOutboxChange(fn) {
  const listener = (e) => fn(e.detail.queue);
  local.addEventListener('change', listener);
  return () => local.removeEventListener('change', listener);
}

/**
 * Queue a request. request: {url, method, headers, body: ArrayBuffer};
 * photos: [{data: ArrayBuffer, type, name}]; meta: whatever the screens need to show it.
 */
export async function enqueue(queue, { request, photos = [], meta = {} }) {
  const item = {
    queue,
    timestamp: Date.now(),
    state: WAITING,
    request,
    photos: photos.map((p) => ({ data: p.data, type: p.type, name: p.name, id: null })),
    meta,
    attention: null,
  };
  item.id = await idb.put(STORE, item);
  changed(queue);
  return item;
}

export async function list(queue) {
  const items = await idb.getAll(STORE, 'queue', queue);
  return items.sort((a, b) => a.timestamp - b.timestamp || a.id - b.id);
}

export function get(id) {
  return idb.get(STORE, id);
}

export async function discard(id) {
  const item = await idb.get(STORE, id);
  await idb.remove(STORE, id);
  if (item) changed(item.queue);
}

/** Put an item that needed attention back in line (e.g. after the city fixed the cause). */
export async function retry(id) {
  const item = await idb.get(STORE, id);
  if (!item) return;
  item.state = WAITING;
  item.attention = null;
  await idb.put(STORE, item);
  changed(item.queue);
}

let fallbackLock = Promise.resolve();

export function exclusively(name, fn) {
  if (globalThis.navigator?.locks) return navigator.locks.request(name, fn);
  const run = fallbackLock.then(fn, fn);
  fallbackLock = run.catch(() => {});
  return run;
}

/**
 * Send every waiting item of the queue, oldest first.
 * options: {photoUrl, photoField, photoListField, onSent(item, responseBody)}.
 * Resolves to [{id, state: 'sent'|'attention'|'waiting', body?, error?}].
 */
export function replay(queue, options) {
  return exclusively(`frontdoor-outbox:${queue}`, () => replayNow(queue, options));
}

async function replayNow(queue, options) {
  const results = [];
  for (const item of await list(queue)) {
    if (item.state !== WAITING) continue;
    try {
      const body = await deliver(item, options);
      await options.onSent?.(item, body);
      await idb.remove(STORE, item.id);
      results.push({ id: item.id, state: 'sent', body });
    } catch (error) {
      if (error instanceof ApiError && error.status < 500 && error.status !== 429) {
        item.state = ATTENTION;
        item.attention = { status: error.status, code: error.code, message: error.message,
          details: error.details };
        await idb.put(STORE, item);
        results.push({ id: item.id, state: ATTENTION, error });
        continue;
      }
      if (!(error instanceof ApiError) && !(error instanceof NetworkError)) throw error;
      results.push({ id: item.id, state: WAITING, error });
      break; // keep the order: nothing later goes before this one
    } finally {
      changed(queue);
    }
  }
  return results;
}

/**
 * Upload the item's photos not yet on the server, each under an Idempotency-Key made from
 * the item's key, and remember each returned id at once (a resend never uploads it twice).
 */
export async function uploadPhotos(item, { photoUrl, photoField = 'photo', headers = {} }) {
  const key = item.request.headers['Idempotency-Key'];
  for (const [index, photo] of item.photos.entries()) {
    if (photo.id) continue;
    const form = new FormData();
    form.append(photoField, new Blob([photo.data], { type: photo.type }), photo.name || 'photo');
    const keyed = key ? { ...headers, 'Idempotency-Key': `${key}-photo-${index}` } : headers;
    const uploaded = await (await send(photoUrl, { method: 'POST', body: form,
      headers: keyed })).json();
    photo.id = uploaded.id;
    await idb.put(STORE, item); // remembered before anything else can fail
  }
}

/** Write back an item the caller changed (its state, its attention message …). */
export async function save(item) {
  await idb.put(STORE, item);
  changed(item.queue);
}

async function deliver(item, { photoUrl, photoField = 'photo', photoListField = 'photos' }) {
  await uploadPhotos(item, { photoUrl, photoField });
  let { body } = item.request;
  if (item.photos.length) {
    const json = JSON.parse(new TextDecoder().decode(body));
    json[photoListField] = item.photos.map((p) => p.id);
    body = new TextEncoder().encode(JSON.stringify(json));
  }
  const { url, method, headers } = item.request;
  const response = await send(url, { method, headers, body });
  return response.status === 204 ? null : response.json();
}
