"""Encryption of secret datastore values, in StackStorm's format.

The key file is StackStorm's (keyczar's JSON AES key): ``aesKeyString`` and
``hmacKey.hmacKeyString`` are URL-safe base64 without padding, ``mode`` is ``CBC`` and
``size`` 256. A value is encrypted with AES-256 in CBC mode (PKCS#7 padding, a random IV)
and authenticated with HMAC-SHA1, laid out as keyczar does: a 5-byte header, the IV, the
ciphertext, then the 20-byte HMAC of everything before it; stored as upper-case hex.

So a key file copied from a StackStorm install (``/etc/st2/keys/datastore_key.json``)
decrypts what that install encrypted, and values exported from it with
``st2 key list --json`` load here with ``encrypted: true``, and the other way round.

The key is created on first need at ``$WFOPS_HOME/keys/datastore_key.json``, readable by
its owner only (directory 0700, file 0600), atomically: of processes creating it at once,
one key wins and every process uses it.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, hmac, padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from wfops.datastore.naming import DatastoreError

KEY_SIZE = 256
_HEADER = b"00000"  # keyczar's version byte and key hash: present, never checked
_BLOCK = 16
_MAC_SIZE = 20


@dataclass(frozen=True)
class CryptoKey:
    aes_key: bytes
    hmac_key: bytes

    def __repr__(self) -> str:  # never print key material
        return "CryptoKey(size=%d)" % (len(self.aes_key) * 8)


def key_path(home: str) -> str:
    return os.path.join(home, "keys", "datastore_key.json")


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _b64decode(text: str) -> bytes:
    text = "".join(text.split())
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def generate_key() -> CryptoKey:
    return CryptoKey(os.urandom(KEY_SIZE // 8), os.urandom(KEY_SIZE // 8))


def key_to_json(key: CryptoKey) -> str:
    return json.dumps({
        "hmacKey": {"hmacKeyString": _b64encode(key.hmac_key), "size": len(key.hmac_key) * 8},
        "aesKeyString": _b64encode(key.aes_key),
        "mode": "CBC",
        "size": len(key.aes_key) * 8,
    })


def key_from_json(text: str, source: str) -> CryptoKey:
    """Parse a key file's text; DatastoreError naming ``source`` when it is malformed."""
    try:
        data = json.loads(text)
        if str(data.get("mode", "CBC")).upper() != "CBC":
            raise ValueError("mode %r is not CBC" % data.get("mode"))
        key = CryptoKey(_b64decode(data["aesKeyString"]), _b64decode(data["hmacKey"]["hmacKeyString"]))
        if len(key.aes_key) not in (16, 24, 32):
            raise ValueError("the AES key has %d bits" % (len(key.aes_key) * 8))
        return key
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error) as e:
        raise DatastoreError("The datastore key file %s is malformed (%s)." % (source, e)) from None


def read_key(home: str) -> CryptoKey | None:
    """The key under ``home``, or None when there is none yet."""
    path = key_path(home)
    try:
        with open(path, encoding="utf-8") as handle:
            return key_from_json(handle.read(), path)
    except FileNotFoundError:
        return None


def load_or_create_key(home: str) -> CryptoKey:
    """The key under ``home``, created now if there is none."""
    from wfops.key_files import read_or_create

    path = key_path(home)
    return key_from_json(read_or_create(path, lambda: key_to_json(generate_key())), path)


def _mac(key: CryptoKey, message: bytes) -> hmac.HMAC:
    signer = hmac.HMAC(key.hmac_key, hashes.SHA1())
    signer.update(message)
    return signer


def encrypt(key: CryptoKey, plaintext: str) -> str:
    """``plaintext`` encrypted and authenticated, as upper-case hex. O(len(plaintext))."""
    padder = padding.PKCS7(_BLOCK * 8).padder()
    padded = padder.update(plaintext.encode("utf-8")) + padder.finalize()
    iv = os.urandom(_BLOCK)
    encryptor = Cipher(algorithms.AES(key.aes_key), modes.CBC(iv)).encryptor()
    message = _HEADER + iv + encryptor.update(padded) + encryptor.finalize()
    return binascii.hexlify(message + _mac(key, message).finalize()).decode("ascii").upper()


def decrypt(key: CryptoKey, ciphertext: str, name: str = "") -> str:
    """The plaintext of :func:`encrypt`'s output. DatastoreError when the value is not
    hex, too short, or was not encrypted with this key (its HMAC does not verify)."""
    what = ' of key "%s"' % name if name else ""
    try:
        data = binascii.unhexlify(ciphertext)
    except (binascii.Error, TypeError, ValueError):
        raise DatastoreError("The value%s is not an encrypted datastore value (not hex)." % what) from None
    if len(data) < len(_HEADER) + 2 * _BLOCK + _MAC_SIZE or (len(data) - len(_HEADER) - _MAC_SIZE) % _BLOCK:
        raise DatastoreError("The value%s is not an encrypted datastore value (wrong length)." % what)
    message, signature = data[:-_MAC_SIZE], data[-_MAC_SIZE:]
    try:
        _mac(key, message).verify(signature)
    except InvalidSignature:
        raise DatastoreError(
            "The value%s was not encrypted with this datastore's key, or it is corrupted." % what
        ) from None
    iv, body = message[len(_HEADER):len(_HEADER) + _BLOCK], message[len(_HEADER) + _BLOCK:]
    decryptor = Cipher(algorithms.AES(key.aes_key), modes.CBC(iv)).decryptor()
    unpadder = padding.PKCS7(_BLOCK * 8).unpadder()
    try:
        plain = unpadder.update(decryptor.update(body) + decryptor.finalize()) + unpadder.finalize()
        return plain.decode("utf-8")
    except ValueError:
        raise DatastoreError("The value%s decrypts to no valid text." % what) from None
