// Distances as the server measures them (haversine on the IUGG mean radius), so a list
// sorted here offline is in the same order the server would give; and which points a drawn
// area holds. Points are {lat, lon}.

const EARTH_RADIUS_M = 6371008.8;
const rad = (degrees) => (degrees * Math.PI) / 180;

export function distanceM(a, b) {
  const halfDLat = (rad(b.lat) - rad(a.lat)) / 2;
  const halfDLon = (rad(b.lon) - rad(a.lon)) / 2;
  const h = Math.sin(halfDLat) ** 2
    + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(halfDLon) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Whether the point is inside the ring (even-odd rule on lon/lat, fine at city scale). */
export function insideRing(point, ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i, i += 1) {
    const a = ring[i];
    const b = ring[j];
    if ((a.lat > point.lat) !== (b.lat > point.lat)
      && point.lon < ((b.lon - a.lon) * (point.lat - a.lat)) / (b.lat - a.lat) + a.lon) {
      inside = !inside;
    }
  }
  return inside;
}
