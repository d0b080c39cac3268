"""The MNIST loader (docs/appendix-mnist.md): what it returns, where the files
come from, and a clear error for each way they can be missing or damaged.

Every test uses its own empty cache (ZERODL_CACHE_DIR in a temp folder) and
never touches the network: downloads are simulated by replacing
``pooch.retrieve``. The original files come from ZERODL_DATA_DIR (the Makefile
and .ci/run point it at the shared copy).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from zerodl.datasets import mnist
from zerodl.datasets.mnist import FILES, load_mnist, read_idx

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("ZERODL_DATA_DIR") or ROOT.parent / "shared" / "data" / "mnist")
NAMES = {key: spec[0] for key, spec in FILES.items()}

pytestmark = pytest.mark.skipif(
    not (SHARED / "train-images-idx3-ubyte.gz").is_file(),
    reason=f"the original MNIST files are not in {SHARED}; set ZERODL_DATA_DIR to a folder that has them",
)

# Published facts about MNIST (LeCun et al.), not derived from this code.
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
SHA256 = {  # as listed beside the shared copy of the files
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty user cache; the files come from the shared folder."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("ZERODL_CACHE_DIR", str(folder))
    monkeypatch.setenv("ZERODL_DATA_DIR", str(SHARED))
    return folder


@pytest.fixture
def data_copy(tmp_path, monkeypatch, cache):
    """A private data folder (ZERODL_DATA_DIR) with links to the shared files, to damage one by one."""
    folder = tmp_path / "data"
    folder.mkdir()
    for name in NAMES.values():
        (folder / name).symlink_to(SHARED / name)
    monkeypatch.setenv("ZERODL_DATA_DIR", str(folder))
    return folder


def replace_with_copy(path: Path, data: bytes) -> None:
    path.unlink()
    path.write_bytes(data)


def raw_idx(name: str, header: int) -> np.ndarray:
    """Independent reading of an original file: skip the header, as the book does."""
    with gzip.open(SHARED / name, "rb") as handle:
        return np.frombuffer(handle.read(), np.uint8, offset=header)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.name.endswith(".tmp") or ".tmp" in p.name)


# --- what load_mnist returns -------------------------------------------------


def test_the_shared_files_are_the_originals():
    for name, digest in SHA256.items():
        assert hashlib.sha256((SHARED / name).read_bytes()).hexdigest() == digest, name
        assert FILES[next(k for k, v in NAMES.items() if v == name)][1] == digest


def test_default_load_matches_the_book(cache):
    (x_train, t_train), (x_test, t_test) = load_mnist()
    assert x_train.shape == (60000, 784) and x_test.shape == (10000, 784)
    assert x_train.dtype == np.float32 and x_test.dtype == np.float32
    assert x_train.min() == 0.0 and x_train.max() == 1.0
    assert t_train.shape == (60000,) and t_test.shape == (10000,)
    assert t_train.dtype == np.uint8
    assert t_train[0] == 5 and t_test[0] == 7
    assert np.bincount(t_train).tolist() == TRAIN_COUNTS
    assert np.bincount(t_test).tolist() == TEST_COUNTS


def test_pixels_and_labels_equal_an_independent_reading(cache):
    (x_train, t_train), (x_test, t_test) = load_mnist(normalize=False)
    assert x_train.dtype == np.uint8
    np.testing.assert_array_equal(x_train.ravel(), raw_idx(NAMES["train_img"], 16))
    np.testing.assert_array_equal(x_test.ravel(), raw_idx(NAMES["test_img"], 16))
    np.testing.assert_array_equal(t_train, raw_idx(NAMES["train_label"], 8))
    np.testing.assert_array_equal(t_test, raw_idx(NAMES["test_label"], 8))
    (x_norm, _), _ = load_mnist(normalize=True)
    np.testing.assert_array_equal(x_norm, x_train.astype(np.float32) / np.float32(255.0))


def test_flatten_false_and_one_hot(cache):
    (x_train, t_train), (x_test, t_test) = load_mnist(flatten=False, one_hot_label=True)
    assert x_train.shape == (60000, 1, 28, 28) and x_test.shape == (10000, 1, 28, 28)
    (x_flat, t_int), (_, t_test_int) = load_mnist()
    np.testing.assert_array_equal(x_train.reshape(60000, 784), x_flat)
    assert t_train.shape == (60000, 10) and t_test.shape == (10000, 10)
    assert set(np.unique(t_train)) == {0.0, 1.0}
    np.testing.assert_array_equal(t_train.sum(axis=1), 1)
    np.testing.assert_array_equal(t_train.argmax(axis=1), t_int)
    np.testing.assert_array_equal(t_test.argmax(axis=1), t_test_int)


def test_every_call_returns_fresh_arrays(cache):
    (x1, t1), _ = load_mnist(normalize=False)
    x1[0, 0] = 99
    t1[0] = 3
    (x2, t2), _ = load_mnist(normalize=False)
    assert x2[0, 0] == 0 and t2[0] == 5


@pytest.mark.parametrize("bad", [{"normalize": "yes"}, {"flatten": None}, {"one_hot_label": 1}])
def test_flags_must_be_booleans(cache, bad):
    with pytest.raises(TypeError, match=next(iter(bad))):
        load_mnist(**bad)


# --- the caches --------------------------------------------------------------


def test_second_load_reads_the_npz_cache_without_parsing(cache, monkeypatch):
    first = load_mnist(normalize=False)
    assert list(cache.glob("mnist-*.npz"))

    def no_parsing(*args, **kwargs):
        raise AssertionError("the gzip files were parsed again")

    monkeypatch.setattr(mnist, "read_idx", no_parsing)
    second = load_mnist(normalize=False)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])


def test_checksums_are_not_recomputed_for_unchanged_files(data_copy, monkeypatch):
    load_mnist()
    real_sha256 = mnist._sha256

    def no_hashing(path):
        raise AssertionError(f"{path} was hashed again")

    monkeypatch.setattr(mnist, "_sha256", no_hashing)
    load_mnist()  # same size and mtime: the recorded verification is used
    target = data_copy / NAMES["test_label"]
    replace_with_copy(target, (SHARED / NAMES["test_label"]).read_bytes())  # same bytes, new file
    with pytest.raises(AssertionError, match="hashed again"):
        load_mnist()
    monkeypatch.setattr(mnist, "_sha256", real_sha256)
    load_mnist()


def test_a_damaged_npz_cache_is_rebuilt(cache):
    load_mnist()
    (npz,) = cache.glob("mnist-*.npz")
    npz.write_bytes(npz.read_bytes()[:1000])
    (_, t_train), _ = load_mnist()
    assert t_train[0] == 5
    assert npz.stat().st_size > 50_000_000


def test_nothing_half_written_when_saving_fails(cache, monkeypatch):
    """The cache only makes loading faster: a failed save is a warning, and leaves nothing behind."""
    def failing_savez(handle, **arrays):
        handle.write(b"PK\x03\x04 partial")
        raise OSError("disk full")

    monkeypatch.setattr(mnist.np, "savez", failing_savez)
    with pytest.warns(RuntimeWarning, match="disk full"):
        (_, t_train), _ = load_mnist()
    assert t_train[0] == 5
    assert not list(cache.glob("mnist-*.npz"))
    assert leftovers(cache) == []


def test_an_unwritable_cache_does_not_stop_a_load_from_the_data_dir(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("ZERODL_CACHE_DIR", str(blocker / "cache"))
    monkeypatch.setenv("ZERODL_DATA_DIR", str(SHARED))
    with pytest.warns(RuntimeWarning, match="ZERODL_CACHE_DIR") as caught:
        (_, t_train), (_, t_test) = load_mnist()
    assert t_train[0] == 5 and t_test[0] == 7
    assert any(str(blocker / "cache") in str(w.message) for w in caught)


def test_a_download_into_an_unwritable_cache_is_an_error(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("ZERODL_CACHE_DIR", str(blocker / "cache"))
    monkeypatch.delenv("ZERODL_DATA_DIR", raising=False)
    with pytest.raises(PermissionError) as info:
        load_mnist()
    message = str(info.value)
    assert str(blocker / "cache") in message and "ZERODL_CACHE_DIR" in message


# --- faults in ZERODL_DATA_DIR -------------------------------------------------


def test_missing_files_in_the_data_dir(data_copy):
    (data_copy / NAMES["train_label"]).unlink()
    (data_copy / NAMES["test_img"]).unlink()
    with pytest.raises(FileNotFoundError) as info:
        load_mnist()
    message = str(info.value)
    assert NAMES["train_label"] in message and NAMES["test_img"] in message
    assert NAMES["train_img"] not in message
    assert str(data_copy) in message and "ZERODL_DATA_DIR" in message


def test_a_cached_npz_does_not_hide_a_broken_data_dir(data_copy):
    load_mnist()
    (data_copy / NAMES["test_label"]).unlink()
    with pytest.raises(FileNotFoundError, match=NAMES["test_label"]):
        load_mnist()


def test_checksum_mismatch_same_size(data_copy, cache):
    target = data_copy / NAMES["train_label"]
    data = bytearray((SHARED / NAMES["train_label"]).read_bytes())
    data[-100] ^= 0xFF
    replace_with_copy(target, bytes(data))
    with pytest.raises(ValueError) as info:
        load_mnist()
    message = str(info.value)
    assert str(target) in message and "SHA-256" in message and FILES["train_label"][1] in message
    assert not list(cache.glob("mnist-*.npz"))


def test_truncated_file(data_copy):
    target = data_copy / NAMES["test_img"]
    replace_with_copy(target, (SHARED / NAMES["test_img"]).read_bytes()[:500_000])
    with pytest.raises(ValueError, match=r"500000 bytes, the original has 1648877"):
        load_mnist()


# --- IDX parsing ----------------------------------------------------------------


def test_read_idx_checks_a_truncated_gzip(tmp_path):
    cut = tmp_path / NAMES["test_label"]
    cut.write_bytes((SHARED / NAMES["test_label"]).read_bytes()[:3000])
    with pytest.raises(ValueError, match="not a complete gzip file"):
        read_idx(cut, 2049, (10000,))


def test_read_idx_checks_a_corrupt_gzip(tmp_path):
    bad = tmp_path / "bad.gz"
    bad.write_bytes(b"this is not gzip data at all")
    with pytest.raises(ValueError, match="bad.gz: not a complete gzip file"):
        read_idx(bad, 2049, (10000,))


def test_read_idx_checks_magic_and_dimensions(tmp_path):
    labels = SHARED / NAMES["test_label"]
    with pytest.raises(ValueError, match="magic number 2049, expected 2051"):
        read_idx(labels, 2051, (10000,))
    with pytest.raises(ValueError, match=r"shape \(10000,\), MNIST has \(60000,\)"):
        read_idx(labels, 2049, (60000,))
    short = tmp_path / "short.gz"
    with gzip.open(short, "wb") as handle:  # a valid header, but 10 labels instead of 10000
        handle.write(gzip.decompress(labels.read_bytes())[:18])
    with pytest.raises(ValueError, match="18 bytes after decompression, the header needs 10008"):
        read_idx(short, 2049, (10000,))
    assert read_idx(labels, 2049, (10000,))[:3].tolist() == [7, 2, 1]


# --- the user cache and downloads (simulated) -----------------------------------------


@pytest.fixture
def no_data_dir(cache, monkeypatch):
    monkeypatch.delenv("ZERODL_DATA_DIR")
    return cache


def fake_retrieve(calls):
    """A pooch.retrieve that 'downloads' from the shared folder, as pooch would."""

    def retrieve(url, known_hash, fname, path, downloader):
        calls.append({"url": url, "known_hash": known_hash, "fname": fname, "downloader": downloader})
        Path(path).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SHARED / fname, Path(path) / fname)
        return str(Path(path) / fname)

    return retrieve


def test_download_into_the_cache_when_there_is_no_data_dir(no_data_dir, monkeypatch):
    pooch = pytest.importorskip("pooch")
    calls = []
    monkeypatch.setattr(pooch, "retrieve", fake_retrieve(calls))
    (_, t_train), (_, t_test) = load_mnist()
    assert t_train[0] == 5 and t_test[0] == 7
    assert sorted(c["fname"] for c in calls) == sorted(NAMES.values())
    for call in calls:
        assert call["known_hash"] == f"sha256:{SHA256[call['fname']]}"
        assert call["url"].endswith("/" + call["fname"]) and call["url"].startswith("https://")
        assert call["downloader"] is mnist._fetch  # the downloader with a deadline
    assert sorted(p.name for p in (no_data_dir / "mnist").iterdir()) == sorted(NAMES.values())
    # the downloaded files are used from now on; nothing is fetched again
    calls.clear()
    (no_data_dir / next(iter(no_data_dir.glob("mnist-*.npz")))).unlink()
    load_mnist()
    assert calls == []


def cache_with_a_damaged_file(no_data_dir, damaged):
    """The user cache folder holding the four files, the one named ``damaged`` overwritten with garbage."""
    folder = no_data_dir / "mnist"
    folder.mkdir(parents=True)
    for name in NAMES.values():
        shutil.copyfile(SHARED / name, folder / name)
    (folder / NAMES[damaged]).write_bytes(b"garbage")
    return folder


def test_a_damaged_file_in_the_cache_is_downloaded_again(no_data_dir, monkeypatch):
    pooch = pytest.importorskip("pooch")
    folder = cache_with_a_damaged_file(no_data_dir, "test_label")
    calls = []
    monkeypatch.setattr(pooch, "retrieve", fake_retrieve(calls))
    with pytest.warns(RuntimeWarning, match=f"{NAMES['test_label']}: deleted from the cache"):
        (_, _), (_, t_test) = load_mnist()
    assert [c["fname"] for c in calls] == [NAMES["test_label"]]
    assert t_test[0] == 7


def test_no_network_and_no_files(no_data_dir, monkeypatch):
    pooch = pytest.importorskip("pooch")

    def offline(url, known_hash, fname, path, downloader):
        raise ConnectionError(f"Failed to resolve host for {url}")

    monkeypatch.setattr(pooch, "retrieve", offline)
    with pytest.raises(FileNotFoundError) as info:
        load_mnist()
    message = str(info.value)
    for name in NAMES.values():
        assert name in message
    assert str(no_data_dir / "mnist") in message and "ZERODL_DATA_DIR" in message
    assert not list(no_data_dir.rglob("*.gz")) and not list(no_data_dir.glob("*.npz"))
    assert leftovers(no_data_dir) == []


def test_pooch_missing(no_data_dir, monkeypatch):
    monkeypatch.setitem(sys.modules, "pooch", None)  # import pooch -> ImportError
    with pytest.raises(ImportError, match="pip install pooch") as info:
        load_mnist()
    assert "ZERODL_DATA_DIR" in str(info.value)


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("ZERODL_CACHE_DIR", str(tmp_path / "a"))
    assert mnist.cache_dir() == tmp_path / "a"
    monkeypatch.delenv("ZERODL_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert mnist.cache_dir() == tmp_path / "xdg" / "zerodl"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert mnist.cache_dir() == tmp_path / "home" / ".cache" / "zerodl"


# --- hardening: killed loads, damaged records, slow mirrors, missing paths --------------------


def dead_pid() -> int:
    """The id of a process that has ended."""
    import subprocess

    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_temp_files_of_a_killed_load_are_removed_on_the_next_load(cache):
    import time as _time

    mnist_dir = cache / "mnist"
    mnist_dir.mkdir(parents=True)
    old = _time.time() - 2 * max(mnist.STALE_AFTER, mnist.DOWNLOAD_DEADLINE)
    dead = cache / f".mnist-{mnist.CACHE_KEY}.npz.{dead_pid()}.k1ll3d00.tmp"  # its writer was killed
    aged = cache / ".mnist-verified.json.abc123xy.tmp"  # no process id (an older version), long untouched
    partial = mnist_dir / "tmpa1b2c3d4"  # a download pooch never finished
    live = cache / f".mnist-{mnist.CACHE_KEY}.npz.{os.getpid()}.w0rk1ng0.tmp"  # being written right now
    fresh = mnist_dir / "tmpfresh000"  # a download under way
    for path in (dead, aged, partial, live, fresh):
        path.write_bytes(b"partial")
    for path in (aged, partial):
        os.utime(path, (old, old))
    load_mnist()
    assert not dead.exists() and not aged.exists() and not partial.exists()
    assert live.exists() and fresh.exists(), "temp files of a writer that may still be running stay"


@pytest.mark.parametrize(
    "record",
    [b"[]", b'"text"', b"42", b"null", b"{", b"\xff\xfe\x00", b"[" * 100_000 + b"]" * 100_000, b'{"x": {"y": []}}'],
    ids=["list", "string", "number", "null", "cut short", "not UTF-8", "deeply nested", "foreign entries"],
)
def test_a_damaged_verification_record_is_ignored_and_rewritten(data_copy, cache, record):
    cache.mkdir(parents=True, exist_ok=True)
    (cache / "mnist-verified.json").write_bytes(record)
    (_, t_train), _ = load_mnist()
    assert t_train[0] == 5
    import json

    written = json.loads((cache / "mnist-verified.json").read_text(encoding="utf-8"))
    assert isinstance(written, dict)
    assert {str((data_copy / name).resolve()) for name in NAMES.values()} <= set(written)


class Trickle:
    """An HTTP response that sends one byte every few milliseconds, forever."""

    headers = {"Content-Length": str(10**9)}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def read(self, n):
        import time as _time

        _time.sleep(0.01)
        return b"x"


def test_a_trickling_mirror_runs_into_the_deadline(tmp_path, monkeypatch):
    import time as _time
    import urllib.request

    opened = []
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: opened.append(timeout) or Trickle())
    monkeypatch.setattr(mnist, "DOWNLOAD_DEADLINE", 0.3)
    start = _time.monotonic()
    with pytest.raises(TimeoutError, match=r"not complete after 0\.3 s"):
        mnist._fetch("https://mirror.invalid/x.gz", tmp_path / "x.gz")
    assert _time.monotonic() - start < 5
    assert opened == [mnist.READ_TIMEOUT], "each read has its own timeout too"


def test_a_download_past_its_deadline_fails_the_load_and_leaves_nothing(no_data_dir, monkeypatch):
    pytest.importorskip("pooch")
    import urllib.request

    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: Trickle())
    monkeypatch.setattr(mnist, "DOWNLOAD_DEADLINE", 0.05)
    monkeypatch.setattr(mnist, "MIRRORS", mnist.MIRRORS[:1])
    with pytest.raises(FileNotFoundError, match="TimeoutError: not complete after") as info:
        load_mnist()
    assert "ZERODL_DATA_DIR" in str(info.value)
    assert not list((no_data_dir / "mnist").iterdir())


def test_a_file_deleted_for_a_bad_checksum_is_reported_when_the_download_fails(no_data_dir, monkeypatch):
    pooch = pytest.importorskip("pooch")
    folder = cache_with_a_damaged_file(no_data_dir, "train_label")

    def offline(url, known_hash, fname, path, downloader):
        raise ConnectionError(f"Failed to resolve host for {url}")

    monkeypatch.setattr(pooch, "retrieve", offline)
    with pytest.warns(RuntimeWarning, match="deleted from the cache"), pytest.raises(FileNotFoundError) as info:
        load_mnist()
    message = str(info.value)
    assert f"{NAMES['train_label']} (the copy in the cache was deleted: " in message
    assert "has 7 bytes, the original has 28881" in message
    assert not (folder / NAMES["train_label"]).exists()


def test_read_idx_on_a_missing_file_or_a_folder_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere.gz: no such file"):
        read_idx(tmp_path / "nowhere.gz", 2049, (10000,))
    with pytest.raises(IsADirectoryError, match="is a folder, not an IDX file"):
        read_idx(tmp_path, 2049, (10000,))
