// Start-up: the city's settings, the language, the screens, the service worker, and sending
// whatever the outbox still holds (on start-up and whenever the connection comes back).

import { loadConfig } from './config.js';
import { languages, language, onLanguageChange, setLanguage, startI18n, t } from './i18n.js';
import { replayReports } from './report-queue.js';
import { currentRoute, onNavigate, route, startRouter } from './router.js';
import { isCrew, isManager, onStaffChange } from './staff.js';

// Each language named in itself, as people look for it in a list.
const LANGUAGE_NAMES = { en: 'English', es: 'Español', fr: 'Français', zh: '中文', ko: '한국어',
  vi: 'Tiếng Việt', tl: 'Tagalog', hy: 'Հայերեն', ru: 'Русский', fa: 'فارسی', ar: 'العربية' };

route('report', () => import('./screens/report.js'), { isDefault: true });
route('mine', () => import('./screens/mine.js'));
route('track', () => import('./screens/track.js'));
route('dashboard', () => import('./screens/dashboard.js'));
route('signin', () => import('./screens/signin.js'));
route('crew', () => import('./screens/crew.js'));
route('job', () => import('./screens/job.js'));
route('dispatch', () => import('./screens/dispatch.js'));
route('call', () => import('./screens/call.js'));

function brand(config) {
  document.getElementById('city-name').textContent = config.city_name;
  document.querySelector('meta[name="theme-color"]').content = config.theme_color;
}

function titleFor(name) {
  document.title = `${t(`nav.${name}`)} — ${document.getElementById('city-name').textContent}`;
}

function languageSwitch() {
  const select = document.getElementById('language');
  select.replaceChildren(...languages().map((code) => {
    const option = new Option(LANGUAGE_NAMES[code] || code, code, false, code === language());
    option.lang = code;
    return option;
  }));
  select.addEventListener('change', () => setLanguage(select.value));
  onLanguageChange((code) => { select.value = code; titleFor(currentRoute().name); });
}

function markCurrentTab(name) {
  document.querySelectorAll('nav.tabs a').forEach((a) => {
    if (a.dataset.route === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  });
  titleFor(name);
}

// The dashboard's and dispatch tabs show only to signed-in dispatchers and administrators,
// the jobs tab only to crew members.
function showStaffTabs() {
  const show = () => {
    document.querySelectorAll('nav.tabs [data-staff]').forEach((a) => { a.hidden = !isManager(); });
    document.querySelectorAll('nav.tabs [data-crew]').forEach((a) => { a.hidden = !isCrew(); });
  };
  onStaffChange(show);
  show();
}

// A crew member's queued actions go out whichever screen is open (they need the sign-in,
// which only the page has, so the service worker cannot send them).
function sendCrewActions() {
  if (isCrew()) import('./crew-actions.js').then((m) => m.sendActions()).catch(() => {});
}

function watchConnection() {
  const banner = document.getElementById('net');
  const show = () => { banner.hidden = navigator.onLine; };
  window.addEventListener('offline', show);
  window.addEventListener('online', () => {
    show();
    replayReports().catch(() => {});
    sendCrewActions();
  });
  show();
}

async function registerServiceWorker() {
  if (!('serviceWorker' in navigator)) return;
  let registration;
  try {
    registration = await navigator.serviceWorker.register('/sw.js', { type: 'module', scope: '/' });
  } catch {
    return; // the app works without it, only not offline
  }
  const banner = document.getElementById('update');
  let asked = false;
  const offer = (worker) => {
    banner.hidden = false;
    document.getElementById('update-reload').onclick = () => {
      asked = true;
      worker.postMessage({ type: 'skip-waiting' });
    };
  };
  if (registration.waiting && navigator.serviceWorker.controller) offer(registration.waiting);
  registration.addEventListener('updatefound', () => {
    const worker = registration.installing;
    worker?.addEventListener('statechange', () => {
      if (worker.state === 'installed' && navigator.serviceWorker.controller) offer(worker);
    });
  });
  // A notification was tapped while this page was open but not under the worker's control.
  navigator.serviceWorker.addEventListener('message', (event) => {
    const url = event.data?.type === 'open' && new URL(event.data.url, location.href);
    if (url && url.origin === location.origin) location.assign(url.href);
  });
  // The first install takes control quietly; a new version only when the person asked.
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (asked) location.reload();
  });
}

async function start() {
  const config = await loadConfig();
  brand(config);
  await startI18n(config.languages);
  languageSwitch();
  onNavigate(markCurrentTab);
  showStaffTabs();
  watchConnection();
  await startRouter(document.getElementById('view'));
  onLanguageChange(() => markCurrentTab(currentRoute().name));
  registerServiceWorker();
  replayReports().catch(() => {});
  sendCrewActions();
  document.documentElement.dataset.ready = 'true';
}

start();

