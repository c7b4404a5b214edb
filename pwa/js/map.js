// The map (Leaflet). This and map-draw.js are the only code that speaks Leaflet's [lat, lng];
// everything else passes {lat, lon}. Leaflet is loaded on first use so the app shell stays
// small.

const LEAFLET = '/vendor/leaflet/leaflet.js';
const LEAFLET_CSS = '/vendor/leaflet/leaflet.css';
let loading = null;

export function loadLeaflet() {
  loading ??= new Promise((resolve, reject) => {
    const css = document.createElement('link');
    css.rel = 'stylesheet';
    css.href = LEAFLET_CSS;
    document.head.append(css);
    const script = document.createElement('script');
    script.src = LEAFLET;
    script.onload = () => resolve(window.L);
    script.onerror = () => { loading = null; reject(new Error('map library not loaded')); };
    document.head.append(script);
  });
  return loading;
}

export const toLatLng = ({ lat, lon }) => [lat, lon];
export const fromLatLng = ({ lat, lng }) => ({ lat, lon: lng });

/** A map in `element` at the city's starting view, with its tiles when it has a source. */
export function baseMap(L, element, settings, label) {
  const map = L.map(element, { zoomControl: true, keyboard: true })
    .setView(toLatLng(settings.center), settings.zoom);
  if (settings.tile_url) {
    L.tileLayer(settings.tile_url, { attribution: settings.attribution, maxZoom: 19 }).addTo(map);
  }
  element.setAttribute('aria-label', label);
  return map;
}

const retired = new WeakSet();

/** Take a map down once; a second call (a screen left twice) does nothing. */
export function retire(map) {
  if (retired.has(map)) return;
  retired.add(map);
  map.remove();
}

/**
 * A map in `element` with one draggable pin.
 * settings: {tile_url, attribution, center: {lat, lon}, zoom}; labels: {pin, map} (translated).
 * Returns {setPin(point), pin(), centre(), onPinMove(fn), destroy()}.
 */
export async function pinMap(element, settings, labels) {
  const L = await loadLeaflet();
  const map = baseMap(L, element, settings, labels.map);
  let gone = false;
  const marker = L.marker(toLatLng(settings.center), { draggable: true, keyboard: true,
    title: labels.pin, alt: labels.pin }).addTo(map);
  const listeners = new Set();
  const moved = () => listeners.forEach((fn) => fn(fromLatLng(marker.getLatLng())));
  marker.on('dragend', moved);
  map.on('click', (e) => { marker.setLatLng(e.latlng); moved(); });
  return {
    setPin(point, { zoom } = {}) {
      if (gone) return; // a late answer (geolocation, a photo's place) after the screen left
      marker.setLatLng(toLatLng(point));
      map.setView(toLatLng(point), zoom ?? Math.max(map.getZoom(), 16), { animate: false });
      moved();
    },
    pinToCentre() {
      marker.setLatLng(map.getCenter());
      moved();
    },
    pin: () => fromLatLng(marker.getLatLng()),
    onPinMove(fn) { listeners.add(fn); },
    relabel(next) {
      element.setAttribute('aria-label', next.map);
      marker.getElement()?.setAttribute('title', next.pin);
      marker.getElement()?.setAttribute('alt', next.pin);
    },
    destroy() { gone = true; retire(map); },
  };
}

/**
 * A map of hotspots (dashboard): one circle marker per hotspot, sized by its count, its label
 * as tooltip, the view fitted to all of them. points: [{lat, lon, count, label}].
 * Returns {destroy()}.
 */
export async function hotspotMap(element, settings, points, labels) {
  const L = await loadLeaflet();
  const map = baseMap(L, element, settings, labels.map);
  const markers = points.map((p) => L.circleMarker(toLatLng(p), {
    radius: Math.min(6 + Math.sqrt(p.count) * 2, 22), color: '#a4000f', weight: 2,
    fillOpacity: 0.35 }).bindTooltip(p.label));
  const layer = L.featureGroup(markers).addTo(map);
  if (markers.length) map.fitBounds(layer.getBounds(), { maxZoom: 15, padding: [24, 24] });
  return { destroy() { retire(map); } };
}

/**
 * The crew's map: their jobs as numbered stops (the suggested visiting order), unassigned
 * work nearby as grey rings, where they are, and the route between the stops.
 * data: {me: {lat, lon} | null, jobs: [{id, lat, lon, label, stop, mine}], route: [{lat, lon}]};
 * labels: {map, me}; onPick(id) when a job is clicked. Returns {update(data), resize(), destroy()}.
 */
export async function jobsMap(element, settings, data, labels, onPick) {
  const L = await loadLeaflet();
  const map = baseMap(L, element, settings, labels.map);
  const layer = L.featureGroup().addTo(map);
  const draw = (next) => {
    layer.clearLayers();
    if (next.route.length > 1) {
      L.polyline(next.route.map(toLatLng), { color: '#0b5394', weight: 3, dashArray: '6 6',
        interactive: false }).addTo(layer);
    }
    next.jobs.forEach((job) => {
      const marker = job.mine
        ? L.marker(toLatLng(job), { keyboard: true, title: job.label, alt: job.label,
          icon: L.divIcon({ className: 'stop-icon', html: String(job.stop ?? '•'),
            iconSize: [30, 30] }) })
        : L.circleMarker(toLatLng(job), { radius: 9, color: '#4a4a4a', weight: 3,
          fillOpacity: 0.15 }).bindTooltip(job.label);
      marker.on('click', () => onPick(job.id));
      marker.addTo(layer);
    });
    if (next.me) {
      L.circleMarker(toLatLng(next.me), { radius: 8, color: '#ffffff', weight: 3,
        fillColor: '#1a56c4', fillOpacity: 1 }).bindTooltip(labels.me).addTo(layer);
    }
    if (layer.getLayers().length) {
      map.fitBounds(layer.getBounds(), { maxZoom: 16, padding: [28, 28] });
    }
  };
  draw(data);
  return { update: draw, resize: () => map.invalidateSize(), destroy: () => retire(map) };
}
