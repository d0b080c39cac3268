# Generated from docs/appendix-mnist.md by tools/literate/tangle.py.
# Do not edit: change the chapter(s) and run `make tangle`.

__all__ = ["read_idx", "cache_dir", "mnist_files", "load_mnist"]


# --- from docs/appendix-mnist.md ---
import gzip
import hashlib
import json
import os
import tempfile
import time
import urllib.request
import warnings
import zipfile
import zlib
from pathlib import Path

import numpy as np

# key: (file name, SHA-256, size in bytes, IDX magic number, shape)
FILES = {
    "train_img": (
        "train-images-idx3-ubyte.gz",
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        9912422,
        2051,
        (60000, 28, 28),
    ),
    "train_label": (
        "train-labels-idx1-ubyte.gz",
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        28881,
        2049,
        (60000,),
    ),
    "test_img": (
        "t10k-images-idx3-ubyte.gz",
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        1648877,
        2051,
        (10000, 28, 28),
    ),
    "test_label": (
        "t10k-labels-idx1-ubyte.gz",
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        4542,
        2049,
        (10000,),
    ),
}
# Where the original files can be downloaded (tried in order).
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
# The parsed arrays are cached under a name derived from the four checksums.
CACHE_KEY = hashlib.sha256("".join(spec[1] for spec in FILES.values()).encode()).hexdigest()[:16]


def read_idx(path, magic, shape):
    """Read a gzip-compressed IDX file of uint8 data and check its header.

    ``magic`` is the expected IDX magic number (2051 for images, 2049 for
    labels) and ``shape`` the expected dimensions. Raises ``ValueError``
    naming the file if it is not a complete gzip file or its header or
    length is not what MNIST has. Defined in the MNIST appendix.
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder, not an IDX file; give the path of the .gz file itself")
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file (mnist_files() gives the paths of the four MNIST files)")
    try:
        with gzip.open(path, "rb") as handle:
            data = handle.read()
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(
            f"{path}: not a complete gzip file ({exc}); the file is damaged or was cut short. "
            "Delete it and load again (or replace it with the original file)."
        ) from exc
    header = 4 + 4 * len(shape)
    if len(data) < header:
        raise ValueError(f"{path}: only {len(data)} bytes after decompression, too short for an IDX header")
    found_magic = int.from_bytes(data[0:4], "big")
    if found_magic != magic:
        raise ValueError(
            f"{path}: IDX magic number {found_magic}, expected {magic} "
            f"({'images' if magic == 2051 else 'labels'}); is this the right file?"
        )
    found_shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(len(shape)))
    if found_shape != tuple(shape):
        raise ValueError(f"{path}: IDX header gives shape {found_shape}, MNIST has {tuple(shape)}")
    expected = header + int(np.prod(shape))
    if len(data) != expected:
        raise ValueError(f"{path}: {len(data)} bytes after decompression, the header needs {expected}")
    # copy: np.frombuffer over bytes is read-only, and callers may want to modify the arrays
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape).copy()


def cache_dir():
    """The user cache folder of zerodl (created when something is written).

    ``ZERODL_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/zerodl``, else
    ``~/.cache/zerodl``. Defined in the MNIST appendix.
    """
    if os.environ.get("ZERODL_CACHE_DIR"):
        return Path(os.environ["ZERODL_CACHE_DIR"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "zerodl"


def _writable(folder):
    """Create ``folder`` if needed and make sure files can be written in it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise PermissionError(
            f"cannot write to the zerodl cache folder {folder} ({exc}); "
            "set ZERODL_CACHE_DIR to a writable folder"
        ) from exc
    return folder


def _atomic_save(path, save):
    """Call ``save(file)`` on a temp file beside ``path``, then rename it to ``path``."""
    _writable(path.parent)
    # the writer's process id in the name tells a later load whether the writer is gone (_remove_stale)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            save(handle)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_files(paths, where):
    """Raise ValueError unless every file has its MNIST checksum (cached by size and mtime)."""
    record_path = cache_dir() / "mnist-verified.json"
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        record = None
    if not isinstance(record, dict):  # missing or damaged: verify again and write a new one
        record = {}
    changed = False
    for key, path in paths.items():
        name, sha256, size, _, _ = FILES[key]
        stat = path.stat()
        stamp = [sha256, stat.st_size, stat.st_mtime_ns]
        if record.get(str(path.resolve())) == stamp:
            continue
        if stat.st_size != size:
            problem = f"has {stat.st_size} bytes, the original has {size} (cut short or not the original?)"
        elif _sha256(path) != sha256:
            problem = "has the right size but the wrong SHA-256 checksum (damaged?)"
        else:
            record[str(path.resolve())] = stamp
            changed = True
            continue
        raise ValueError(f"{path}: {problem}. Expected SHA-256 {sha256}. {where}")
    if changed:
        _save_if_possible(record_path, lambda handle: handle.write(json.dumps(record, indent=1).encode()))


def _download(name, sha256, folder):
    """Fetch one original file into ``folder`` with pooch (checksum verified)."""
    try:
        import pooch
    except ImportError as exc:
        raise ImportError(
            f"{name} is not in {folder} and downloading it needs pooch: "
            "pip install pooch (or pip install 'zerodl[data]'), "
            "or set ZERODL_DATA_DIR to a folder that holds the four MNIST files"
        ) from exc
    errors = []
    for base in MIRRORS:
        try:
            fetched = pooch.retrieve(
                base + name, known_hash=f"sha256:{sha256}", fname=name, path=folder, downloader=_fetch
            )
            return Path(fetched)
        except Exception as exc:  # network errors, the deadline (TimeoutError), checksum mismatches (ValueError)
            errors.append(f"{base + name}: {type(exc).__name__}: {exc}")
    raise ConnectionError("\n  ".join(errors))


def mnist_files():
    """Paths of the four original files, checked against their SHA-256.

    From the folder in ``ZERODL_DATA_DIR`` if it is set (all four must be
    there), otherwise from ``cache_dir() / "mnist"``, downloading what is
    missing or damaged. Returns ``{key: Path}`` with the keys of ``FILES``.
    Defined in the MNIST appendix.
    """
    data_dir = os.environ.get("ZERODL_DATA_DIR")
    if data_dir:
        folder = Path(data_dir).expanduser()
        paths = {key: folder / spec[0] for key, spec in FILES.items()}
        missing = [str(path.name) for path in paths.values() if not path.is_file()]
        if missing:
            raise FileNotFoundError(
                f"ZERODL_DATA_DIR is {folder}, but {', '.join(missing)} "
                f"{'is' if len(missing) == 1 else 'are'} not there. Put the four original MNIST files "
                "in that folder, or unset ZERODL_DATA_DIR to use the cache and download what is missing."
            )
        _check_files(paths, "Replace it with the original file from ZERODL_DATA_DIR's source.")
        return paths
    folder = cache_dir() / "mnist"
    paths, failed = {}, []
    for key, (name, sha256, size, _, _) in FILES.items():
        path = folder / name
        deleted = ""
        try:
            if path.is_file():
                _check_files({key: path}, "")
                paths[key] = path
                continue
        except ValueError as exc:
            path.unlink()  # a damaged file in our own cache: fetch it again
            deleted = f" (the copy in the cache was deleted: {exc})"
            warnings.warn(f"{name}: deleted from the cache, it is downloaded again: {exc}", RuntimeWarning)
        _writable(folder)
        try:
            paths[key] = _download(name, sha256, folder)
        except ConnectionError as exc:
            failed.append(f"{name}{deleted}\n  {exc}")
    if failed:
        raise FileNotFoundError(
            f"MNIST files missing from {folder} and the download failed:\n"
            + "\n".join(failed)
            + f"\nWithout network access, put the four files ({', '.join(s[0] for s in FILES.values())}) "
            "in a folder and set ZERODL_DATA_DIR to it."
        )
    _check_files(paths, "")
    return paths


DOWNLOAD_DEADLINE = 300.0  # seconds for one file from one mirror
READ_TIMEOUT = 30.0  # seconds one read from the network may wait
STALE_AFTER = 3600.0  # seconds after which a temp file no one writes to is left over


_warned = set()


def _save_if_possible(path, save):
    """``_atomic_save``, but a cache that cannot be written only gives a warning (once per file)."""
    try:
        _atomic_save(path, save)
    except OSError as exc:
        if path in _warned:
            return
        _warned.add(path)
        warnings.warn(
            f"could not write {path} ({exc}); MNIST is loaded anyway, without this cache. "
            "Set ZERODL_CACHE_DIR to a writable folder to make the next load faster.",
            RuntimeWarning,
        )


def _writer_is_gone(name):
    """Whether the process that wrote the temp file ``name`` (``.x.PID.random.tmp``) has ended."""
    parts = name.split(".")
    if os.name != "posix" or len(parts) < 5 or not parts[-3].isdigit():
        return False  # no process id in the name: only its age tells
    try:
        os.kill(int(parts[-3]), 0)  # signal 0 only asks whether the process exists
    except ProcessLookupError:
        return True
    except OSError:
        return False  # it exists, owned by someone else
    return False


def _remove_stale():
    """Delete temp files that a killed load or download left in the cache."""
    now = time.time()
    for folder, pattern, limit in (
        (cache_dir(), ".mnist*.tmp", STALE_AFTER),
        (cache_dir() / "mnist", "tmp*", DOWNLOAD_DEADLINE),  # pooch's partial downloads
    ):
        if not folder.is_dir():
            continue
        for path in folder.glob(pattern):
            try:
                if path.is_file() and (_writer_is_gone(path.name) or now - path.stat().st_mtime > limit):
                    path.unlink()
            except OSError:
                pass  # gone already, or a read-only cache: nothing to do


def _fetch(url, output_file, pooch=None):
    """Download ``url`` into ``output_file`` (a pooch downloader) within ``DOWNLOAD_DEADLINE``."""
    deadline = time.monotonic() + DOWNLOAD_DEADLINE
    try:
        from tqdm import tqdm
    except ImportError:
        tqdm = None
    with urllib.request.urlopen(url, timeout=READ_TIMEOUT) as response, open(output_file, "wb") as out:
        total = int(response.headers.get("Content-Length") or 0) or None
        bar = tqdm(total=total, unit="B", unit_scale=True, desc=url.rsplit("/", 1)[-1]) if tqdm else None
        try:
            for chunk in iter(lambda: response.read(1 << 16), b""):
                out.write(chunk)
                if bar is not None:
                    bar.update(len(chunk))
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"not complete after {DOWNLOAD_DEADLINE:g} s ({out.tell()} bytes); "
                        "the mirror is too slow, try again later"
                    )
        finally:
            if bar is not None:
                bar.close()


def _read_cache(path):
    """The cached arrays, or None if the cache is missing or unusable."""
    try:
        with open(path, "rb") as handle, np.load(handle, allow_pickle=False) as cached:
            arrays = {key: cached[key] for key in FILES}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None
    for key, (_, _, _, _, shape) in FILES.items():
        if arrays[key].shape != shape or arrays[key].dtype != np.uint8:
            return None
    return arrays


def _load_arrays():
    """The four MNIST arrays as uint8: from the .npz cache, else parsed from the files."""
    cached = cache_dir() / f"mnist-{CACHE_KEY}.npz"
    _remove_stale()
    if os.environ.get("ZERODL_DATA_DIR"):
        mnist_files()  # the files named by ZERODL_DATA_DIR must exist and be the originals
    arrays = _read_cache(cached)
    if arrays is None:
        paths = mnist_files()
        arrays = {key: read_idx(paths[key], magic, shape) for key, (_, _, _, magic, shape) in FILES.items()}
        _save_if_possible(cached, lambda handle: np.savez(handle, **arrays))
    return arrays


def load_mnist(normalize=True, flatten=True, one_hot_label=False):
    """Load MNIST as ``(x_train, t_train), (x_test, t_test)``, like the book's loader.

    Images are uint8 (0-255), or float32 in [0, 1] with ``normalize``; of shape
    (N, 784), or (N, 1, 28, 28) with ``flatten=False``. Labels are uint8
    digits, or (N, 10) one-hot float64 arrays with ``one_hot_label``.
    Defined in the MNIST appendix.
    """
    for flag, value in (("normalize", normalize), ("flatten", flatten), ("one_hot_label", one_hot_label)):
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"load_mnist: {flag} must be True or False, got {value!r}")
    arrays = _load_arrays()
    result = []
    for part in ("train", "test"):
        x, t = arrays[f"{part}_img"], arrays[f"{part}_label"]
        if normalize:
            x = np.divide(x, np.float32(255.0), dtype=np.float32)
        x = x.reshape(len(x), 784) if flatten else x.reshape(len(x), 1, 28, 28)
        if one_hot_label:
            t = np.eye(10)[t]
        result.append((x, t))
    return tuple(result)
