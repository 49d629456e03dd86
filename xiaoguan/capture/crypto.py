"""The message crypto WeCom (企业微信, WXBizMsgCrypt) and DingTalk (钉钉, DingCallbackCrypto) callbacks share.

- signature: SHA-1 of the sorted, concatenated [token, timestamp, nonce, encrypt], hex.
- key: base64-decode(EncodingAESKey + "="), 32 bytes (AES-256); IV: the key's first 16 bytes; CBC mode.
- plaintext: 16 random bytes + the message length (4 bytes, big-endian) + the message + the receive id (WeCom:
  the corp id; DingTalk: the app key or corp id); PKCS#7 padding to a 32-byte block; the whole base64-encoded.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 32


class CallbackCryptoError(Exception):
    """A callback that does not verify or decrypt: forged, corrupted, or meant for another app."""


def signature(*, token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    # SHA-1 is what both platforms specify for this signature; it is not our choice of hash.
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypt])).encode(), usedforsecurity=False).hexdigest()


def signature_check(*, token: str, timestamp: str, nonce: str, encrypt: str, given: str) -> None:
    expected = signature(token=token, timestamp=timestamp, nonce=nonce, encrypt=encrypt)
    if not hmac.compare_digest(expected, (given or "").strip().lower()):
        raise CallbackCryptoError("signature mismatch")


def aes_key(encoding_aes_key: str) -> bytes:
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CallbackCryptoError("EncodingAESKey is not base64") from exc
    if len(key) != 32:
        raise CallbackCryptoError("EncodingAESKey must be 43 characters (32 bytes)")
    return key


def encrypt(*, encoding_aes_key: str, message: bytes, receive_id: str, random16: bytes | None = None) -> str:
    """The `encrypt` field as a platform would send it (also our own encrypted replies)."""
    key = aes_key(encoding_aes_key)
    body = (random16 or secrets.token_bytes(16)) + struct.pack(">I", len(message)) + message + receive_id.encode()
    pad = BLOCK - len(body) % BLOCK
    body += bytes([pad]) * pad
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(body) + encryptor.finalize()).decode()


def decrypt(*, encoding_aes_key: str, encrypted: str, receive_id: str) -> bytes:
    """The message inside `encrypted`; refuses a wrong key, bad padding or another app's receive id."""
    key = aes_key(encoding_aes_key)
    try:
        data = base64.b64decode(encrypted, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CallbackCryptoError("not base64") from exc
    if not data or len(data) % 16:
        raise CallbackCryptoError("not a whole number of AES blocks")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = decryptor.update(data) + decryptor.finalize()
    pad = plain[-1]
    if not 1 <= pad <= BLOCK or plain[-pad:] != bytes([pad]) * pad:
        raise CallbackCryptoError("bad padding")
    plain = plain[:-pad]
    if len(plain) < 20:
        raise CallbackCryptoError("too short")
    (length,) = struct.unpack(">I", plain[16:20])
    message, tail = plain[20 : 20 + length], plain[20 + length :]
    if len(message) != length or not hmac.compare_digest(tail, receive_id.encode()):
        raise CallbackCryptoError("receive id mismatch")
    return message


def nonce_new() -> str:
    return secrets.token_hex(8)
