"""Images of a chat message: data URLs checked, `https://` addresses passed on, and image files
read from disk into data URLs.

Only PNG, JPEG, WebP and GIF are sent: the image types every vision provider on OpenRouter
takes. A file's type is read from its first bytes, not its name. Each image is at most
`protocol.MAX_IMAGE_BYTES`, checked before a file is read.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import invalid
from ..protocol import MAX_IMAGE_BYTES

_DATA_URL = re.compile(r"data:(image/(?:png|jpeg|webp|gif));base64,", re.IGNORECASE)
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
_KINDS = "PNG, JPEG, WebP or GIF"


def media_type(head: bytes) -> str | None:
    """The image type of a file from its first bytes, or None when it is none of ours."""
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def check_image_url(url: str, path: str) -> None:
    """A data URL of a supported image within the size limit, or an `https://` address."""
    match = _DATA_URL.match(url)
    if match is not None:
        payload = url[match.end() :]
        if len(payload) // 4 * 3 > MAX_IMAGE_BYTES + 2:
            raise invalid(path, f"is an image of more than {_size(MAX_IMAGE_BYTES)}")
        try:
            binascii.a2b_base64(payload, strict_mode=True)
        except (binascii.Error, ValueError):
            raise invalid(path, "is a data URL whose base64 is malformed") from None
        return
    if url[:5].lower() == "data:":
        raise invalid(
            path, f"must be a base64 data URL of a {_KINDS} image (data:image/png;base64,…)"
        )
    parts = urlsplit(url)
    if parts.scheme.lower() != "https" or not parts.netloc or any(c.isspace() for c in url):
        raise invalid(path, "must be a data: URL or an https:// address")


async def image_file_url(file: str, path: str) -> str:
    """The data URL of the image file at `file` (an absolute path)."""
    return await asyncio.to_thread(_read_image, file, path)


def _read_image(file: str, path: str) -> str:
    location = Path(file)
    if not location.is_absolute():
        raise invalid(path, "must be an absolute path")
    try:
        if location.exists() and not location.is_file():  # a FIFO would block the read
            raise invalid(path, "is not a file")
        with location.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > MAX_IMAGE_BYTES:
                raise invalid(
                    path, f"is an image of {_size(size)}; the limit is {_size(MAX_IMAGE_BYTES)}"
                )
            data = handle.read(MAX_IMAGE_BYTES + 1)
    except FileNotFoundError:
        raise invalid(path, "names no file") from None
    except (IsADirectoryError, NotADirectoryError):
        raise invalid(path, "is not a file") from None
    except PermissionError:
        raise invalid(path, "cannot be read (permission denied)") from None
    except OSError as exc:
        raise invalid(path, f"cannot be read ({exc.strerror or type(exc).__name__})") from None
    if len(data) > MAX_IMAGE_BYTES:  # grew while being read
        raise invalid(path, f"is an image of more than {_size(MAX_IMAGE_BYTES)}")
    kind = media_type(data[:16])
    if kind is None:
        raise invalid(path, f"is not a {_KINDS} image")
    return f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"


def _size(count: int) -> str:
    return f"{count / (1024 * 1024):.3g} MiB"
