// A tiny promise wrapper over IndexedDB: one database, the stores the app needs.

const DB_NAME = 'frontdoor';
const DB_VERSION = 2;
let opening = null;

function upgrade(db) {
  if (!db.objectStoreNames.contains('outbox')) {
    const outbox = db.createObjectStore('outbox', { keyPath: 'id', autoIncrement: true });
    outbox.createIndex('queue', 'queue');
  }
  if (!db.objectStoreNames.contains('reports')) {
    const reports = db.createObjectStore('reports', { keyPath: 'tracking' });
    reports.createIndex('key', 'key');
  }
  // A crew's jobs, kept for working offline, and small named records (the sync cursor …).
  if (!db.objectStoreNames.contains('jobs')) db.createObjectStore('jobs', { keyPath: 'id' });
  if (!db.objectStoreNames.contains('meta')) db.createObjectStore('meta', { keyPath: 'name' });
}

export function openDb() {
  opening ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, DB_VERSION);
    request.onupgradeneeded = () => upgrade(request.result);
    request.onsuccess = () => {
      const db = request.result;
      // A newer version of the app (another tab, a new service worker) wants to upgrade.
      db.onversionchange = () => { db.close(); opening = null; };
      resolve(db);
    };
    request.onerror = () => reject(request.error);
  });
  return opening;
}

const done = (request) => new Promise((resolve, reject) => {
  request.onsuccess = () => resolve(request.result);
  request.onerror = () => reject(request.error);
});

async function store(name, mode) {
  const db = await openDb();
  return db.transaction(name, mode).objectStore(name);
}

export async function get(name, key) {
  return done((await store(name, 'readonly')).get(key));
}

export async function getAll(name, index, value) {
  const s = await store(name, 'readonly');
  return done(index ? s.index(index).getAll(value) : s.getAll());
}

/** Writes the record; resolves to its key (new for autoIncrement stores). */
export async function put(name, value) {
  return done((await store(name, 'readwrite')).put(value));
}

export async function remove(name, key) {
  return done((await store(name, 'readwrite')).delete(key));
}

const finished = (transaction) => new Promise((resolve, reject) => {
  transaction.oncomplete = () => resolve();
  transaction.onerror = () => reject(transaction.error);
  transaction.onabort = () => reject(transaction.error);
});

/**
 * Write several records and delete others (by key) in one transaction, so readers never
 * see it half done; clear: true empties the store first.
 */
export async function putMany(name, values, { removeKeys = [], clear = false } = {}) {
  const transaction = (await openDb()).transaction(name, 'readwrite');
  const s = transaction.objectStore(name);
  if (clear) s.clear();
  values.forEach((value) => s.put(value));
  removeKeys.forEach((key) => s.delete(key));
  return finished(transaction);
}
