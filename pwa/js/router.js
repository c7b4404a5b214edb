// A tiny hash router: #/name/param… → the screen module registered under that name.
// A screen module exports render(container, params) and may return a cleanup function.

const routes = new Map();
let fallback = null;
let cleanup = null;
let container = null;
const listeners = new Set();

/** load: () => import('./screens/x.js') — screens are loaded on first visit. */
export function route(name, load, { isDefault = false } = {}) {
  routes.set(name, load);
  if (isDefault) fallback = name;
}

export function onNavigate(fn) {
  listeners.add(fn);
}

export function currentRoute() {
  const [name, ...params] = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  return routes.has(name) ? { name, params } : { name: fallback, params: [] };
}

export function go(name, ...params) {
  location.hash = `#/${[name, ...params].map(encodeURIComponent).join('/')}`;
}

/** Draw the current screen again (e.g. after the language changed). */
export async function refresh({ focus = false } = {}) {
  const { name, params } = currentRoute();
  const screen = await routes.get(name)();
  if (typeof cleanup === 'function') cleanup();
  container.replaceChildren();
  cleanup = await screen.render(container, params);
  listeners.forEach((fn) => fn(name));
  if (focus) container.focus();
}

export function startRouter(element) {
  container = element;
  window.addEventListener('hashchange', () => refresh({ focus: true }));
  return refresh();
}
