"""Report bundles signed, so that a kernel unpickles only what its own review wrote.

A bundle (``quarter.write_bundle``) is pickled data handed from a review to the notebooks it
runs, and pickle runs code as it loads. A saved report re-executed later would otherwise
unpickle whatever sits at the temporary path its parameters name: anyone who can write
there could run code. So each bundle file starts with ``BUNDLE_MAGIC`` and an HMAC-SHA256
of the rest under a key that lives only in the environment of the process that signs and
of the kernels it starts (``MATURITY_BUNDLE_KEY``, never in a file, log or notebook), and
``payload`` checks it before anything is unpickled.

Kept apart from ``quarter`` so a worker signs without importing pandas.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets

from maturity.errors import InputFileError

#: A bundle file's first bytes; an HMAC-SHA256 of the rest follows, then the pickles.
BUNDLE_MAGIC = b"maturity-report-bundle/2\n"
#: The environment variable holding the bundle key (hex).
BUNDLE_KEY_VARIABLE = "MATURITY_BUNDLE_KEY"
_MAC_BYTES = hashlib.sha256().digest_size


def bundle_key() -> bytes:
    """This process's bundle key, made on first use and put in the environment, so the
    kernels this process starts afterwards can check what it signs."""
    value = os.environ.get(BUNDLE_KEY_VARIABLE)
    if not value:
        value = os.environ[BUNDLE_KEY_VARIABLE] = secrets.token_hex(32)
    return bytes.fromhex(value)


def sign_bundle(payload: bytes) -> bytes:
    """A bundle file's bytes: the magic, the HMAC of ``payload`` under ``bundle_key()``,
    then ``payload``."""
    return BUNDLE_MAGIC + hmac.new(bundle_key(), payload, hashlib.sha256).digest() + payload


def payload(data: bytes, label: str) -> bytes:
    """The pickles of a bundle file's bytes, once its signature is checked against the key
    in this process's environment; an InputFileError (nothing unpickled) otherwise."""
    if not data.startswith(BUNDLE_MAGIC):
        raise InputFileError(f"{label}: not a maturity report bundle")
    start = len(BUNDLE_MAGIC)
    mac, body = data[start : start + _MAC_BYTES], data[start + _MAC_BYTES :]
    key = os.environ.get(BUNDLE_KEY_VARIABLE, "")
    if not key:
        raise InputFileError(
            f"{label}: a report bundle is read only by the review that wrote it (this kernel "
            'has none of its key); set bundle to "" to read the assessment folder'
        )
    try:
        expected = hmac.new(bytes.fromhex(key), body, hashlib.sha256).digest()
    except ValueError:
        expected = b""
    if not hmac.compare_digest(mac, expected):
        raise InputFileError(
            f"{label}: not signed by this review; refusing to read it (pickle runs code)"
        )
    return body
