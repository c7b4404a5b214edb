// Where a JPEG photo was taken, from its EXIF GPS tags, read on the phone (so the offer works
// offline, and nothing is uploaded before the resident presses Send). The same rules as the
// server's (backend/media/exif.py): degrees-minutes-seconds with N/S and E/W, and no place
// when the tags are missing, malformed, out of range or (0, 0). Other formats: no place here;
// the server still reads theirs.

const GPS_IFD_POINTER = 0x8825;
const TAGS = { latRef: 1, lat: 2, lonRef: 3, lon: 4 };
const TYPE_ASCII = 2;
const TYPE_RATIONAL = 5;
const TYPE_SRATIONAL = 10;

/** {lat, lon} from the photo's bytes (ArrayBuffer), or null. */
export function photoPlace(data) {
  try {
    const tiff = exifBlock(new DataView(data));
    return tiff ? gpsOf(tiff) : null;
  } catch {
    return null; // a damaged header means "no place", never an error for the resident
  }
}

/** The TIFF structure inside the JPEG's APP1 "Exif" segment, as {view, start, little}. */
function exifBlock(view) {
  if (view.getUint16(0) !== 0xffd8) return null;
  let at = 2;
  while (at + 4 <= view.byteLength) {
    const marker = view.getUint16(at);
    if ((marker & 0xff00) !== 0xff00 || marker === 0xffda) return null; // image data: no EXIF
    const length = view.getUint16(at + 2);
    if (marker === 0xffe1 && view.getUint32(at + 4) === 0x45786966) { // "Exif"
      const start = at + 10;
      const order = view.getUint16(start);
      if (order !== 0x4949 && order !== 0x4d4d) return null;
      return { view, start, little: order === 0x4949 };
    }
    at += 2 + length;
  }
  return null;
}

function entries(tiff, ifdOffset) {
  const { view, start, little } = tiff;
  const count = view.getUint16(start + ifdOffset, little);
  const found = new Map();
  for (let i = 0; i < count; i += 1) {
    const entry = start + ifdOffset + 2 + i * 12;
    found.set(view.getUint16(entry, little), {
      type: view.getUint16(entry + 2, little),
      count: view.getUint32(entry + 4, little),
      entry,
    });
  }
  return found;
}

function ascii(tiff, tag) {
  if (!tag || tag.type !== TYPE_ASCII) return '';
  const { view } = tiff;
  // Up to 4 bytes sit in the entry itself; a reference letter always does.
  return String.fromCharCode(view.getUint8(tag.entry + 8)).toUpperCase();
}

function degrees(tiff, tag) {
  if (!tag || (tag.type !== TYPE_RATIONAL && tag.type !== TYPE_SRATIONAL)) return null;
  if (tag.count < 1 || tag.count > 3) return null;
  const { view, start, little } = tiff;
  const at = start + view.getUint32(tag.entry + 8, little);
  const signed = tag.type === TYPE_SRATIONAL;
  let value = 0;
  for (let i = 0; i < tag.count; i += 1) {
    const num = signed ? view.getInt32(at + i * 8, little) : view.getUint32(at + i * 8, little);
    const den = signed ? view.getInt32(at + i * 8 + 4, little)
      : view.getUint32(at + i * 8 + 4, little);
    if (den === 0) return null;
    value += num / den / 60 ** i;
  }
  return Number.isFinite(value) ? value : null;
}

function gpsOf(tiff) {
  const { view, start, little } = tiff;
  const ifd0 = entries(tiff, view.getUint32(start + 4, little));
  const pointer = ifd0.get(GPS_IFD_POINTER);
  if (!pointer) return null;
  const gps = entries(tiff, view.getUint32(pointer.entry + 8, little));
  let lat = degrees(tiff, gps.get(TAGS.lat));
  let lon = degrees(tiff, gps.get(TAGS.lon));
  if (lat === null || lon === null) return null;
  if (ascii(tiff, gps.get(TAGS.latRef)) === 'S') lat = -lat;
  if (ascii(tiff, gps.get(TAGS.lonRef)) === 'W') lon = -lon;
  if (Math.abs(lat) > 90 || Math.abs(lon) > 180 || (lat === 0 && lon === 0)) return null;
  return { lat: Number(lat.toFixed(7)), lon: Number(lon.toFixed(7)) };
}
