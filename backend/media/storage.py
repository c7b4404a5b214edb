"""Where photo bytes live: one interface, a local folder or an S3-protocol bucket.

Keys are relative paths ("ab/abcdef…-display.jpg"); each backend roots them
(LocalDiskStorage under its folder, S3Storage under its prefix), so the same
key names the same object in either. Keys are checked before any use: no
"..", no absolute paths, no backslashes, nothing outside a small alphabet.

Direct uploads (originals sent by the phone straight to storage, not yet processed)
live under "uploads/" at the root of the folder or bucket, outside the photo prefix:
``unprefixed()`` gives the view of the storage that reaches them.

boto3 is imported only when an S3 client has to be made, so the embedded
default (local folder) never loads it.
"""

import os
import re
import secrets
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from backend.errors import NotFound

if TYPE_CHECKING:  # storage works on bytes; it needs the pipeline's types only for hints
    from backend.media.pipeline import ProcessedPhoto

_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*")
_MAX_KEY_LENGTH = 512
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_VARIANT_NAME = re.compile(r"[a-z][a-z0-9]*")
UPLOAD_PREFIX = "uploads/"
_UPLOAD_KEY = re.compile(r"uploads/[A-Za-z0-9][A-Za-z0-9._-]{0,100}")


class InvalidStorageKey(ValueError):
    """A key that could escape its root or is not one this system makes (a bug, not input)."""


def photo_key(content_hash: str, variant: str, extension: str = "jpg") -> str:
    """Content-addressed key of one variant: "ab/<sha256>-<variant>.<ext>".

    The two-character fan-out keeps folders small on disk and spreads S3 keys.
    """
    if not _SHA256_HEX.fullmatch(content_hash) or not _VARIANT_NAME.fullmatch(variant):
        raise InvalidStorageKey(f"Not a photo key: {content_hash!r}, {variant!r}.")
    return f"{content_hash[:2]}/{content_hash}-{variant}.{extension}"


def put_variants(storage: "PhotoStorage", photo: "ProcessedPhoto") -> dict[str, str]:
    """Store every variant of ``photo`` under its content-addressed key: name → key.

    Same upload, same keys: storing it again overwrites identical bytes.
    """
    keys = {}
    for name, variant in photo.variants.items():
        keys[name] = photo_key(photo.content_hash, name, variant.extension)
        storage.put(keys[name], variant.data, variant.content_type)
    return keys


def new_upload_key() -> str:
    """A fresh, unguessable key for one direct upload: "uploads/<32 hex>"."""
    return UPLOAD_PREFIX + secrets.token_hex(16)


def is_upload_key(key: str) -> bool:
    """Whether ``key`` is a safe key under "uploads/" (any other is not one of ours)."""
    return bool(_UPLOAD_KEY.fullmatch(key)) and ".." not in key


def check_key(key: str) -> str:
    """``key`` itself if it is a safe relative key; InvalidStorageKey otherwise."""
    if len(key) > _MAX_KEY_LENGTH or ".." in key or not _KEY.fullmatch(key):
        raise InvalidStorageKey(f"Unsafe storage key: {key!r}.")
    return key


class PhotoStorage(ABC):
    """Bytes by key. put overwrites; get of a missing key raises NotFound; delete is idempotent."""

    @abstractmethod
    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    @abstractmethod
    def get(self, key: str) -> bytes: ...

    @abstractmethod
    def delete(self, key: str) -> None: ...

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def size(self, key: str) -> int:
        """Stored size in bytes, without fetching them; NotFound if missing."""

    def unprefixed(self) -> "PhotoStorage":
        """The same storage addressed from its root, where direct uploads land."""
        return self


def _missing(key: str) -> NotFound:
    return NotFound("photo_not_found", "That photo is not in storage.", key=key)


class LocalDiskStorage(PhotoStorage):
    """Photos as files under one folder; writes are atomic (temp file, then rename)."""

    def __init__(self, root: Path | str):
        self.root = Path(root).resolve()

    def path(self, key: str) -> Path:
        """The file for ``key``, guaranteed to be inside the root (symlinks included)."""
        path = self.root / check_key(key)
        if not path.resolve().is_relative_to(self.root):
            raise InvalidStorageKey(f"Storage key leaves the photo folder: {key!r}.")
        return path

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # A reader never sees half a file, and a crash leaves no half file behind.
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        try:
            return self.path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            raise _missing(key) from None

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def size(self, key: str) -> int:
        try:
            return self.path(key).stat().st_size
        except FileNotFoundError:
            raise _missing(key) from None


class S3Storage(PhotoStorage):
    """Photos as objects in an S3-protocol bucket (AWS S3, MinIO, Ceph, R2...)."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        client: Any | None = None,
        *,
        endpoint_url: str | None = None,
        region_name: str | None = None,
    ):
        """Use ``client`` (a boto3 S3 client) or make one for ``endpoint_url``."""
        self.bucket = bucket
        self.prefix = prefix if not prefix or prefix.endswith("/") else prefix + "/"
        self.client = client if client is not None else s3_client(endpoint_url, region_name)

    def object_key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def unprefixed(self) -> "S3Storage":
        return self if not self.prefix else S3Storage(self.bucket, "", client=self.client)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(
            Bucket=self.bucket, Key=self.object_key(key), Body=data, ContentType=content_type
        )

    def get(self, key: str) -> bytes:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.object_key(key))
        except Exception as exc:
            if _is_missing(exc):
                raise _missing(key) from None
            raise
        return answer["Body"].read()

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.object_key(key))

    def exists(self, key: str) -> bool:
        try:
            self._head(key)
        except NotFound:
            return False
        return True

    def size(self, key: str) -> int:
        return self._head(key)["ContentLength"]

    def presign_upload(
        self, key: str, max_bytes: int, content_type: str, expires_in: int = 900
    ) -> dict:
        """A browser-usable presigned POST: {"url": ..., "fields": {...}}.

        The signed policy pins the key and Content-Type and carries a
        content-length-range of 1..max_bytes. Not every S3-protocol server
        enforces policy conditions, so check ``size(key)`` (and the pipeline's own
        byte limit) before trusting what was uploaded.
        """
        return self.client.generate_presigned_post(
            Bucket=self.bucket,
            Key=self.object_key(key),
            Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_bytes]],
            ExpiresIn=expires_in,
        )

    def presign_download(self, key: str, expires_in: int = 3600,
                         cache_control: str | None = None) -> str:
        """A presigned GET URL for one object; the answer carries ``cache_control``."""
        params = {"Bucket": self.bucket, "Key": self.object_key(key)}
        if cache_control:
            params["ResponseCacheControl"] = cache_control
        return self.client.generate_presigned_url("get_object", Params=params,
                                                  ExpiresIn=expires_in)

    def _head(self, key: str) -> dict:
        try:
            return self.client.head_object(Bucket=self.bucket, Key=self.object_key(key))
        except Exception as exc:
            if _is_missing(exc):
                raise _missing(key) from None
            raise


def storage_from_settings(settings: Mapping) -> PhotoStorage:
    """The photo storage the settings name: PHOTO_STORAGE "local" (PHOTO_DIR) or "s3"
    (S3_BUCKET, S3_PREFIX, S3_ENDPOINT_URL). One instance per distinct configuration, so
    an S3 client (tens of milliseconds to make) is made once per process."""
    if settings["PHOTO_STORAGE"] == "s3":
        return _s3_storage(settings["S3_BUCKET"], settings.get("S3_PREFIX", ""),
                           settings.get("S3_ENDPOINT_URL") or None)
    if settings["PHOTO_STORAGE"] != "local":
        raise ValueError(f"PHOTO_STORAGE must be local or s3, not {settings['PHOTO_STORAGE']!r}")
    return LocalDiskStorage(settings["PHOTO_DIR"])


@lru_cache(maxsize=8)
def _s3_storage(bucket: str, prefix: str, endpoint_url: str | None) -> S3Storage:
    return S3Storage(bucket, prefix, client=s3_client(endpoint_url))


def s3_client(endpoint_url: str | None = None, region_name: str | None = None) -> Any:
    """A boto3 S3 client; credentials come from boto3's usual chain (environment, role...).

    With an endpoint (MinIO, Ceph, moto...) path-style addressing is used, which
    every S3-protocol server understands.
    """
    import boto3
    from botocore.config import Config

    addressing = "path" if endpoint_url else "auto"
    return boto3.client(
        "s3",
        endpoint_url=endpoint_url or None,
        region_name=region_name,
        config=Config(signature_version="s3v4", s3={"addressing_style": addressing}),
    )


def _is_missing(exc: Exception) -> bool:
    # botocore's ClientError, recognised without importing botocore at module load.
    error = getattr(exc, "response", {}).get("Error", {})
    return str(error.get("Code")) in {"404", "NoSuchKey", "NotFound"}
