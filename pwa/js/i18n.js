// Every string the app shows, in the chosen language. Dictionaries live in /i18n/<lang>.json.
// Elements with data-i18n="key" (or data-i18n-attr="attr:key;attr:key") are translated in place.

const STORAGE_KEY = 'frontdoor.language';
const listeners = new Set();
let dictionary = {};
let fallback = {};
let current = 'en';
let available = ['en'];

async function load(lang) {
  const response = await fetch(`/i18n/${lang}.json`);
  if (!response.ok) throw new Error(`no dictionary for ${lang}`);
  return response.json();
}

export function languages() {
  return available;
}

export function language() {
  return current;
}

/** Pick the saved language, else the browser's, else the city's first. */
export async function startI18n(cityLanguages) {
  available = cityLanguages && cityLanguages.length ? cityLanguages : ['en'];
  fallback = await load(available[0]);
  const saved = localStorage.getItem(STORAGE_KEY);
  const browser = (navigator.languages || [navigator.language || ''])
    .map((l) => l.slice(0, 2).toLowerCase())
    .find((l) => available.includes(l));
  await setLanguage(available.includes(saved) ? saved : browser || available[0]);
}

export async function setLanguage(lang) {
  dictionary = lang === available[0] ? fallback : await load(lang);
  current = lang;
  localStorage.setItem(STORAGE_KEY, lang);
  document.documentElement.lang = lang;
  translateTree(document);
  listeners.forEach((fn) => fn(lang));
}

export function onLanguageChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** t('report.send') or t('mine.sentAt', {when}) — {name} placeholders are filled in. */
export function t(key, vars = {}) {
  const text = dictionary[key] ?? fallback[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}

export function has(key) {
  return key in dictionary || key in fallback;
}

/** The server's error in the user's language when its machine code is known. */
export function errorText(error) {
  const key = `error.${error.code}`;
  if (error.code && has(key)) return t(key, error.details || {});
  return error.message || t('error.unknown');
}

export function translateTree(root) {
  root.querySelectorAll('[data-i18n]').forEach((el) => {
    el.textContent = t(el.dataset.i18n, el.dataset.i18nVars ? JSON.parse(el.dataset.i18nVars) : {});
  });
  root.querySelectorAll('[data-i18n-attr]').forEach((el) => {
    el.dataset.i18nAttr.split(';').forEach((pair) => {
      const [attr, key] = pair.split(':');
      el.setAttribute(attr, t(key));
    });
  });
}

/** A node whose text follows the language: text('mine.sentAt', {when}) → <span>. */
export function text(key, vars, tag = 'span') {
  const node = document.createElement(tag);
  node.dataset.i18n = key;
  if (vars && Object.keys(vars).length) node.dataset.i18nVars = JSON.stringify(vars);
  node.textContent = t(key, vars);
  return node;
}

/** Like text(), for a server error: translated by its machine code where known. */
export function errorNode(error, tag = 'span') {
  const key = `error.${error.code}`;
  if (error.code && has(key)) return text(key, error.details, tag);
  const node = document.createElement(tag);
  node.textContent = error.message || t('error.unknown');
  return node;
}

/** Dates and numbers the local way. */
export function formatDate(iso) {
  if (!iso) return '';
  return new Intl.DateTimeFormat(current, { dateStyle: 'medium', timeStyle: 'short' })
    .format(new Date(iso));
}
