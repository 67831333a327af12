"""The encryption key ring: where it is kept, whether encryption is on, init and rotation.

The ring is kept in the OS keyring (``keyring``: Secret Service, macOS Keychain, Windows
Credential Locker; service ``lorchestra``, user ``data-key``) or, where no keyring backend
exists or ``LORCHESTRA_KEY_FILE`` is set, in that file (0600; keep it outside the data home and
out of its backups). Its text is one key per line, ``lorc-key-1:<id>:<base64 key>``, the first
line the current key. Encryption is on when ``LORCHESTRA_ENCRYPT=1`` (setting ``encrypt``) or
the home was made with ``lorchestra init --encrypt`` (a file ``<home>/ENCRYPTED``).

Rotation adds a new current key while keeping the old one, re-encrypts every sealed file (and
seals any clear backup or quarantine file) under it, and only then drops the old key, so a
rotation interrupted at any point leaves every file readable.
"""

from __future__ import annotations

import base64
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from lorchestra import sealed
from lorchestra.errors import ConfigError
from lorchestra.home import write_private
from lorchestra.sealed import KeyRing, key_id

if TYPE_CHECKING:
    from lorchestra.config import Settings

MARKER = "ENCRYPTED"
SEALED_DIRS = ("backup", "extract", "quarantine")
SERVICE, USER = "lorchestra", "data-key"
_PREFIX = "lorc-key-1"


def encryption_on(settings: Settings) -> bool:
    return settings.encrypt or (settings.home / MARKER).exists()


def ring_for(settings: Settings) -> KeyRing | None:
    """The key ring when encryption is on (raising if no key exists), else None."""
    if not encryption_on(settings):
        return None
    ring = load_ring(settings)
    if ring is None:
        raise ConfigError(
            "Encryption is on but no key exists yet; run `lorchestra key init` first."
        )
    return ring


def load_ring(settings: Settings) -> KeyRing | None:
    """The stored ring, or None when no key was ever made."""
    text = _store(settings).read()
    if not text:
        return None
    keys = [_parse(line) for line in text.splitlines() if line.strip()]
    return KeyRing(keys[0], tuple(keys[1:])) if keys else None


def init_key(settings: Settings) -> tuple[KeyRing, bool]:
    """The ring, making a first key if none exists; the flag says whether one was made."""
    existing = load_ring(settings)
    if existing is not None:
        return existing, False
    ring = KeyRing(secrets.token_bytes(32))
    save_ring(settings, ring)
    return ring, True


def rotate(settings: Settings) -> tuple[int, int]:
    """Make a new current key and re-encrypt under it; return (files resealed, files sealed).

    Sealed files in backup/, extract/ and quarantine/ are re-encrypted; with encryption on,
    clear backup and quarantine files are sealed too. The old key is dropped last.
    """
    old = load_ring(settings)
    if old is None:
        raise ConfigError("No key to rotate; run `lorchestra key init` first.")
    new = KeyRing(secrets.token_bytes(32))
    both = KeyRing(new.current, (old.current, *old.older))
    save_ring(settings, both)
    resealed = newly = 0
    for path in _data_files(settings.home):
        if sealed.is_sealed(path):
            sealed.reseal(path, both, new)
            resealed += 1
        elif encryption_on(settings) and path.name.endswith(".jsonl"):
            if path.relative_to(settings.home).parts[0] != "extract":
                sealed.seal_file(path, new)
                path.unlink()
                newly += 1
    save_ring(settings, new)
    return resealed, newly


def _data_files(home: Path) -> list[Path]:
    return sorted(
        path
        for folder in SEALED_DIRS
        for path in (home / folder).rglob("*")
        if path.is_file() and not path.is_symlink()
    )


def save_ring(settings: Settings, ring: KeyRing) -> None:
    _store(settings).write("".join(_line(key) for key in (ring.current, *ring.older)))


def where(settings: Settings) -> str:
    return _store(settings).describe()


class _FileStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> str:
        try:
            return self.path.read_text(encoding="ascii")
        except FileNotFoundError:
            return ""

    def write(self, text: str) -> None:
        write_private(self.path, text.encode("ascii"))

    def describe(self) -> str:
        return f"key file {self.path}"


class _KeyringStore:
    def read(self) -> str:
        import keyring

        return keyring.get_password(SERVICE, USER) or ""

    def write(self, text: str) -> None:
        import keyring

        keyring.set_password(SERVICE, USER, text)

    def describe(self) -> str:
        import keyring

        return f"OS keyring ({type(keyring.get_keyring()).__name__}, service {SERVICE})"


def _store(settings: Settings) -> _FileStore | _KeyringStore:
    if settings.key_file is not None:
        return _FileStore(settings.key_file)
    if _keyring_usable():
        return _KeyringStore()
    raise ConfigError(
        "No OS keyring backend is available here; set LORCHESTRA_KEY_FILE to a file outside "
        "the data home to keep the encryption key in."
    )


def _keyring_usable() -> bool:
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:
        return False
    backend = keyring.get_keyring()
    # keyrings.alt's backends keep secrets in plain or weakly protected files: not a keyring.
    if type(backend).__module__.startswith("keyrings.alt"):
        return False
    return not isinstance(backend, fail.Keyring) and getattr(backend, "priority", 0) > 0


def _line(key: bytes) -> str:
    return f"{_PREFIX}:{key_id(key).hex()}:{base64.b64encode(key).decode('ascii')}\n"


def _parse(line: str) -> bytes:
    try:
        prefix, ident, encoded = line.strip().split(":")
        key = base64.b64decode(encoded, validate=True)
    except ValueError:
        raise ConfigError("The encryption key store holds a line that is not a key.") from None
    if prefix != _PREFIX or len(key) != 32 or key_id(key).hex() != ident:
        raise ConfigError("The encryption key store holds a damaged key.")
    return key
