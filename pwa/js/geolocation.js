// Where the resident is. Failures come back as a GeoError with a code the screen can explain:
// denied, unavailable, timeout or unsupported.

export class GeoError extends Error {
  constructor(code) {
    super(code);
    this.name = 'GeoError';
    this.code = code;
  }
}

const CODES = { 1: 'denied', 2: 'unavailable', 3: 'timeout' };

/** Resolves to {lat, lon, accuracy} (metres). */
export function locate({ timeout = 15000 } = {}) {
  if (!('geolocation' in navigator)) return Promise.reject(new GeoError('unsupported'));
  return new Promise((resolve, reject) => {
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lat: p.coords.latitude, lon: p.coords.longitude,
        accuracy: p.coords.accuracy }),
      (e) => reject(new GeoError(CODES[e.code] || 'unavailable')),
      { enableHighAccuracy: true, timeout, maximumAge: 60000 },
    );
  });
}
