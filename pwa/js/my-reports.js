// "My reports": the reports this device sent, kept in IndexedDB so the resident can find them.

import * as idb from './idb.js';

const STORE = 'reports';

/** Remember a sent report: {tracking, key, service_name, description, created_at, status}. */
export async function remember(report) {
  const earlier = await idb.get(STORE, report.tracking);
  await idb.put(STORE, { ...earlier, ...report });
}

export async function list() {
  const reports = await idb.getAll(STORE);
  return reports.sort((a, b) => (b.created_at || '').localeCompare(a.created_at || ''));
}

export async function byKey(key) {
  const found = await idb.getAll(STORE, 'key', key);
  return found[0] || null;
}

export function forget(tracking) {
  return idb.remove(STORE, tracking);
}
