// The city's settings for the app (GET /api/v1/config), remembered for offline start-ups.

import { getJSON } from './api.js';

const STORAGE_KEY = 'frontdoor.config';
const DEFAULTS = {
  city_name: 'Frontdoor', theme_color: '#0b5394', languages: ['en', 'es'],
  max_description_chars: 4000,
  map: { tile_url: '', attribution: '', center: { lat: 0, lon: 0 }, zoom: 2 },
};
let config = DEFAULTS;

export async function loadConfig() {
  try {
    config = await getJSON('/api/v1/config');
    localStorage.setItem(STORAGE_KEY, JSON.stringify(config));
  } catch {
    config = JSON.parse(localStorage.getItem(STORAGE_KEY) || 'null') || DEFAULTS;
  }
  return config;
}

export function appConfig() {
  return config;
}
