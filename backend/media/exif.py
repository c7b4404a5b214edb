"""What a photo's EXIF says about where, when and which way up it was taken.

Reads orientation, GPS position and direction, and the capture time from a
Pillow ``Image.Exif``. EXIF is untrusted and often malformed: every reader
here returns "unknown" rather than raising, because a resident's report is
worth more than its metadata.
"""

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from PIL import ExifTags, Image

log = logging.getLogger(__name__)

_ORIENTATION = ExifTags.Base.Orientation
_DATETIME_ORIGINAL = ExifTags.Base.DateTimeOriginal
_OFFSET_TIME_ORIGINAL = ExifTags.Base.OffsetTimeOriginal
_GPS = ExifTags.GPS

# How to turn stored pixels upright for each EXIF orientation (1 needs nothing).
UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


@dataclass(frozen=True)
class GeoTag:
    """Where the camera was (WGS84 degrees) and, if recorded, which way it faced."""

    lat: float
    lon: float
    direction: float | None = None  # degrees clockwise from north (true or magnetic)


def orientation(exif: Image.Exif) -> int:
    """The EXIF orientation 1-8; 1 (as stored) when absent or invalid."""
    value = exif.get(_ORIENTATION)
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def swaps_axes(orientation_value: int) -> bool:
    """Whether turning upright swaps width and height (the 90-degree cases)."""
    return orientation_value in (5, 6, 7, 8)


def geotag(exif: Image.Exif) -> GeoTag | None:
    """The GPS position, or None when absent, malformed, out of range or (0, 0)."""
    try:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        lat = _degrees(gps.get(_GPS.GPSLatitude), gps.get(_GPS.GPSLatitudeRef), "S")
        lon = _degrees(gps.get(_GPS.GPSLongitude), gps.get(_GPS.GPSLongitudeRef), "W")
        direction = _direction(gps.get(_GPS.GPSImgDirection))
    except Exception as exc:  # any parser failure means "no GPS"
        log.info("unreadable EXIF GPS: %s", type(exc).__name__)
        return None
    if lat is None or lon is None:
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        # (0, 0) is what many devices write when they have no fix.
        return None
    return GeoTag(lat=lat, lon=lon, direction=direction)


def taken_at(exif: Image.Exif) -> datetime | None:
    """DateTimeOriginal; timezone-aware when OffsetTimeOriginal is present, else naive."""
    try:
        ifd = exif.get_ifd(ExifTags.IFD.Exif)
        when = _text(ifd.get(_DATETIME_ORIGINAL))
        if not when:
            return None
        moment = datetime.strptime(when[:19], "%Y:%m:%d %H:%M:%S")
        offset = _utc_offset(_text(ifd.get(_OFFSET_TIME_ORIGINAL)))
    except Exception as exc:  # cameras write "0000:00:00 00:00:00" and worse
        log.info("unreadable EXIF DateTimeOriginal: %s", type(exc).__name__)
        return None
    return moment.replace(tzinfo=offset) if offset else moment


def _degrees(dms, ref, negative_ref: str) -> float | None:
    if dms is None:
        return None
    parts = [float(p) for p in (dms if isinstance(dms, tuple | list) else (dms,))]
    if not 1 <= len(parts) <= 3 or not all(math.isfinite(p) for p in parts):
        return None
    value = sum(p / 60**i for i, p in enumerate(parts))
    if _text(ref).upper().startswith(negative_ref):
        value = -value
    return round(value, 7)  # ~1 cm; more digits are noise


def _direction(value) -> float | None:
    if value is None:
        return None
    degrees = float(value)
    if not math.isfinite(degrees) or not 0 <= degrees <= 360:
        return None
    return round(degrees % 360, 2)


def _utc_offset(text: str) -> timezone | None:
    # "+02:00" / "-05:30"; anything else means the camera did not know its zone.
    if len(text) < 6 or text[0] not in "+-" or text[3] != ":":
        return None
    hours, minutes = int(text[1:3]), int(text[4:6])
    if hours > 14 or minutes > 59:
        return None
    sign = -1 if text[0] == "-" else 1
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _text(value) -> str:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    return str(value).strip("\x00 ") if value is not None else ""
