// What a report is to the outbox: how it is queued, where its photos go, and what is
// remembered once the server has it. Used by the page and by the service worker alike.

import { enqueue, replay } from './outbox.js';
import { remember } from './my-reports.js';

export const QUEUE = 'reports';
export const SYNC_TAG = 'outbox-reports';
const REPORTS_URL = '/api/v1/requests';
const PHOTOS_URL = '/api/v1/photos';

/** Queue a report; key is the Idempotency-Key made when Send was pressed. */
export async function queueReport(report, photos, key, meta) {
  const item = await enqueue(QUEUE, {
    request: {
      url: REPORTS_URL,
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json',
        'Idempotency-Key': key },
      body: new TextEncoder().encode(JSON.stringify(report)).buffer,
    },
    photos,
    meta,
  });
  await askForBackgroundSync();
  return item;
}

export function replayReports() {
  return replay(QUEUE, {
    photoUrl: PHOTOS_URL,
    onSent: (item, body) => remember({
      tracking: body.tracking,
      key: item.request.headers['Idempotency-Key'],
      service_name: body.service_name,
      description: body.description,
      created_at: body.created_at,
      status: body.status,
    }),
  });
}

/** Ask the browser to wake the service worker when the connection returns (where it can). */
async function askForBackgroundSync() {
  const sw = globalThis.navigator?.serviceWorker;
  if (!sw || typeof window === 'undefined') return;
  try {
    const registration = await Promise.race([sw.ready, new Promise((r) => setTimeout(r, 1000))]);
    await registration?.sync?.register(SYNC_TAG);
  } catch {
    // No Background Sync here: the page replays on start-up and on the `online` event.
  }
}
