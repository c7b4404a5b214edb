// The dispatcher's map (Leaflet): request clusters, open work orders coloured by status, crew
// positions, and an area drawn by dragging, as a box or a free-hand lasso. With map.js, the
// only code that speaks Leaflet's [lat, lng]; callers pass and get {lat, lon}.

import { baseMap, fromLatLng, loadLeaflet, retire, toLatLng } from './map.js';

export const STATUS_COLOURS = { unassigned: '#a4000f', assigned: '#0b5394',
  accepted: '#5b2a86', in_progress: '#7a4b00' };
const MIN_STEP_PX = 4; // lasso points closer than this on screen add nothing but bytes

/** A crew's initials for its marker: letters and digits only (it becomes HTML). */
function initials(name = '') {
  const found = name.split(/\s+/).map((word) => word.replace(/[^\p{L}\p{N}]/gu, '')[0] || '')
    .join('').slice(0, 2);
  return found || '?';
}

function clusterMarker(L, feature) {
  const [lon, lat] = feature.geometry.coordinates;
  const count = feature.properties.count || 1;
  return L.circleMarker([lat, lon], { radius: Math.min(5 + Math.sqrt(count) * 2, 26),
    color: '#4a4a4a', weight: 1, fillColor: '#767676', fillOpacity: 0.25, interactive: true });
}

/**
 * settings: the city's map settings; labels: {map, cluster(props), crew(position)};
 * onPick(workOrderId) when a work order is clicked. Returns the controller below.
 */
export async function dispatchMap(element, settings, labels, onPick) {
  const L = await loadLeaflet();
  const map = baseMap(L, element, settings, labels.map);
  const clusters = L.layerGroup().addTo(map);
  const orders = L.layerGroup().addTo(map);
  const crews = L.layerGroup().addTo(map);
  const area = L.layerGroup().addTo(map);
  const zone = L.layerGroup().addTo(map);
  let stopDrawing = null;

  function drawArea(mode) {
    stopDrawing?.();
    const container = map.getContainer();
    const handlers = [map.dragging, map.doubleClickZoom, map.touchZoom, map.boxZoom];
    handlers.forEach((h) => h?.disable());
    container.classList.add('drawing');
    area.clearLayers();
    return new Promise((resolve) => {
      let points = [];
      let shape = null;
      const at = (event) => map.mouseEventToLatLng(event);
      const box = () => L.latLngBounds(points[0], points[points.length - 1]);
      const redraw = () => {
        shape?.remove();
        const style = { color: '#0b5394', weight: 2, dashArray: '4 4', fillOpacity: 0.1 };
        shape = (mode === 'box' ? L.rectangle(box(), style) : L.polygon(points, style))
          .addTo(area);
      };
      const down = (event) => {
        if (event.pointerType === 'mouse' && event.button !== 0) return;
        event.preventDefault();
        event.stopPropagation();
        container.setPointerCapture?.(event.pointerId);
        points = [at(event)];
      };
      const move = (event) => {
        if (!points.length) return;
        event.preventDefault();
        event.stopPropagation();
        const next = at(event);
        const last = map.latLngToContainerPoint(points[points.length - 1]);
        if (mode === 'box') points[1] = next;
        else if (map.latLngToContainerPoint(next).distanceTo(last) >= MIN_STEP_PX) {
          points.push(next);
        }
        redraw();
      };
      const finish = (ring) => {
        container.removeEventListener('pointerdown', down, true);
        container.removeEventListener('pointermove', move, true);
        container.removeEventListener('pointerup', up, true);
        document.removeEventListener('keydown', escape);
        container.classList.remove('drawing');
        handlers.forEach((h) => h?.enable());
        stopDrawing = null;
        if (!ring) area.clearLayers();
        resolve(ring);
      };
      const up = (event) => {
        if (!points.length) return;
        event.stopPropagation();
        if (mode === 'box') {
          const b = box();
          const ring = [b.getSouthWest(), b.getNorthWest(), b.getNorthEast(), b.getSouthEast()];
          finish(b.getSouthWest().equals(b.getNorthEast()) ? null : ring.map(fromLatLng));
        } else finish(points.length >= 3 ? points.map(fromLatLng) : null);
      };
      const escape = (event) => { if (event.key === 'Escape') finish(null); };
      container.addEventListener('pointerdown', down, true);
      container.addEventListener('pointermove', move, true);
      container.addEventListener('pointerup', up, true);
      document.addEventListener('keydown', escape);
      stopDrawing = () => finish(null);
    });
  }

  return {
    /** {bbox: [min_lon, min_lat, max_lon, max_lat], zoom} of what the map shows. */
    view() {
      const b = map.getBounds();
      return { bbox: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => +v.toFixed(6)),
        zoom: map.getZoom() };
    },
    // Not animated: the caller reads the new view (and loads what is in it) at once.
    setView(point, zoom) { map.setView(toLatLng(point), zoom, { animate: false }); },
    onMove(fn) { map.on('moveend', fn); },
    setClusters(features) {
      clusters.clearLayers();
      features.forEach((f) => clusterMarker(L, f).bindTooltip(labels.cluster(f.properties))
        .addTo(clusters));
    },
    setWorkOrders(list, selected) {
      orders.clearLayers();
      list.filter((w) => w.lat !== null && w.lon !== null).forEach((w) => {
        const picked = w.id === selected;
        L.circleMarker(toLatLng(w), { radius: picked ? 10 : 7, weight: picked ? 4 : 2,
          color: picked ? '#1a1a1a' : '#ffffff', fillColor: STATUS_COLOURS[w.status] || '#1a1a1a',
          fillOpacity: 0.9, className: `work-order wo-${w.id}` })
          .bindTooltip(w.label).on('click', () => onPick(w.id)).addTo(orders);
      });
    },
    setCrews(positions) {
      crews.clearLayers();
      positions.forEach((p) => L.marker(toLatLng(p), { keyboard: true, title: labels.crew(p),
        alt: labels.crew(p), icon: L.divIcon({ className: 'crew-icon', iconSize: [26, 26],
          html: initials(p.crew?.name) }) })
        .addTo(crews));
    },
    /** Let the dispatcher drag out an area; resolves to its ring [{lat, lon}] or null. */
    drawArea,
    showArea(ring) {
      area.clearLayers();
      if (ring) {
        L.polygon(ring.map(toLatLng), { color: '#0b5394', weight: 2, fillOpacity: 0.1 })
          .addTo(area);
      }
    },
    /** Outline a zone (GeoJSON geometry, lon/lat as GeoJSON has it) and show all of it. */
    showZone(geometry) {
      zone.clearLayers();
      if (!geometry) return;
      const outline = L.geoJSON(geometry, { interactive: false, style: { color: '#5b2a86',
        weight: 3, dashArray: '8 6', fill: false } }).addTo(zone);
      map.fitBounds(outline.getBounds(), { padding: [12, 12] });
    },
    cancelDrawing() { stopDrawing?.(); },
    destroy() { stopDrawing?.(); retire(map); },
  };
}
