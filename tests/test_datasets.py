"""mytorch.datasets (nbs/07a_datasets.ipynb): the IDX reader, MNIST/FashionMNIST, the search path and downloads.

What is tested, and against what:
- `read_idx` / `write_idx`: round trips for every IDX type, raw and gzip (told apart by content, not name), and every
  fault the reader must refuse with the file's name in the message: bad magic, unknown dtype code, 0 dimensions,
  short header, truncated data, extra bytes (raw and gzip), a cut gzip stream, a bad CRC, garbage deflate data, and a
  header whose size a gzip file of that size cannot hold (refused before any allocation).
- `MNIST` on IDX files the tests write (MNIST itself cannot be downloaded here): torchvision's layout and attributes,
  samples, transforms, index errors, the cross-checks of images against labels.
- The search order (`root`, `$MYTORCH_DATA`, `~/.cache/mytorch`, Debian's folder for FashionMNIST only) and the
  not-found error, with HOME and the environment pointed at temporary folders.
- `download=True` end to end against a local HTTP server on 127.0.0.1 (a thread, stopped after each test) serving
  good, truncated, cut-off, oversized and tampered files: a failure leaves no file (not even a temporary one) and an
  existing good file untouched; mirrors are tried in order. The real pinned Fashion-MNIST digests are checked by
  rebuilding the official files from Debian's (which differ only in the gzip header: the file name and time stamp)
  and downloading them through the server.
- The real Fashion-MNIST (Debian's dataset-fashion-mnist, installed by .ci/sysdeps): shapes, dtypes, 6,000 images
  per class in train, 1,000 in test, the first labels.
- `__getitems__` equals the per-sample path, and a DataLoader's batches equal torch.utils.data.DataLoader's on the
  same arrays.
"""
import functools
import gzip
import hashlib
import os
import re
import zlib
from pathlib import Path

import numpy as np
import pytest

from mytorch._tensor import Tensor
from mytorch.datasets import IDX_DTYPES, MNIST, FashionMNIST, read_idx, write_idx

DEBIAN = Path("/usr/share/datasets/fashion-mnist")
FILES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
# The gzip MTIME of Zalando's official files (the labels files are in github.com/zalandoresearch/fashion-mnist;
# the images' were found by matching torchvision's MD5). Debian's copies have the same deflate streams.
OFFICIAL_MTIME = {"train": 1504176606, "t10k": 1504176627}


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    "No test sees the user's $MYTORCH_DATA or ~/.cache/mytorch: HOME is a fresh folder."
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("MYTORCH_DATA", raising=False)
    return home


def fake_split(folder, n_train=30, n_test=10, seed=0, gz=True):
    "Write the four MNIST files (random images, labels i % 10) into folder; return (train_x, train_y)."
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    out = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        x = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        y = (np.arange(n) % 10).astype(np.uint8)
        suffix = ".gz" if gz else ""
        write_idx(folder / f"{split}-images-idx3-ubyte{suffix}", x)
        write_idx(folder / f"{split}-labels-idx1-ubyte{suffix}", y)
        out[split] = (x, y)
    return out


# ------------------------------------------------------------------------------------------------ read_idx
@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "float32", "float64"])
@pytest.mark.parametrize("name", ["a.idx", "a.idx.gz"])
def test_round_trip_every_idx_type(tmp_path, dtype, name):
    a = (np.random.default_rng(1).standard_normal((3, 4, 5)) * 100).astype(dtype)
    write_idx(tmp_path / name, a)
    b = read_idx(tmp_path / name)
    assert b.dtype == np.dtype(dtype) and b.dtype.isnative and b.shape == a.shape and b.flags.writeable
    np.testing.assert_array_equal(b, a)


def test_header_layout_is_the_idx_format(tmp_path):
    "The bytes are the published format: 00 00, type code, ndim, big-endian sizes, big-endian data."
    write_idx(tmp_path / "x", np.array([[1, 256]], dtype=np.int32))
    assert (tmp_path / "x").read_bytes() == bytes([0, 0, 0x0C, 2, 0, 0, 0, 1, 0, 0, 0, 2,
                                                    0, 0, 0, 1, 0, 0, 1, 0])
    assert {c: d.name for c, d in IDX_DTYPES.items()} == {8: "uint8", 9: "int8", 11: "int16", 12: "int32",
                                                          13: "float32", 14: "float64"}


def test_gzip_is_told_by_content_not_by_name(tmp_path):
    a = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    write_idx(tmp_path / "raw.idx", a)
    (tmp_path / "raw-named.gz").write_bytes((tmp_path / "raw.idx").read_bytes())
    (tmp_path / "zipped-no-suffix").write_bytes(gzip.compress((tmp_path / "raw.idx").read_bytes()))
    np.testing.assert_array_equal(read_idx(tmp_path / "raw-named.gz"), a)
    np.testing.assert_array_equal(read_idx(tmp_path / "zipped-no-suffix"), a)


def test_write_idx_rejects_what_idx_cannot_hold(tmp_path):
    for bad in (np.zeros(3, np.int64), np.zeros(3, bool), np.float32(1.0)):
        with pytest.raises(ValueError, match="write_idx"):
            write_idx(tmp_path / "x", bad)


@pytest.fixture
def idx_bytes():
    "A small valid IDX file's bytes: int32, shape (3, 4) -> 4 + 8 header bytes and 48 data bytes."
    a = np.arange(12, dtype=">i4").reshape(3, 4)
    return bytes([0, 0, 0x0C, 2]) + (3).to_bytes(4, "big") + (4).to_bytes(4, "big") + a.tobytes()


RAW_FAULTS = {
    "empty": (lambda b: b"", "fewer than the 4 bytes"),
    "bad magic": (lambda b: b"<!DOCTYPE html>" + b[15:], "not an IDX file"),
    "zip magic": (lambda b: b"PK\x03\x04" + b[4:], "does not start with 00 00"),
    "dtype code": (lambda b: b[:2] + b"\x07" + b[3:], "unknown IDX dtype code 0x07"),
    "no dims": (lambda b: b[:3] + b"\x00" + b[4:], "0 dimensions"),
    "short header": (lambda b: b[:9], "truncated header"),
    "truncated data": (lambda b: b[:-1], "truncated"),
    "header only": (lambda b: b[:12], "truncated"),
    "extra bytes": (lambda b: b + b"\x00\x00", "2 extra bytes after the data"),
    "one extra byte": (lambda b: b + b"\x00", "1 extra byte after the data"),
}


@pytest.mark.parametrize("fault", list(RAW_FAULTS))
@pytest.mark.parametrize("compressed", [False, True])
def test_every_fault_raises_valueerror_naming_the_file(tmp_path, idx_bytes, fault, compressed):
    make, message = RAW_FAULTS[fault]
    blob = make(idx_bytes)
    path = tmp_path / f"broken-{fault.replace(' ', '_')}"
    path.write_bytes(gzip.compress(blob) if compressed else blob)
    if "extra" in fault and compressed:
        message = "at least [12] more"              # a gzip stream's length is known only by reading it
    with pytest.raises(ValueError, match=message) as e:
        read_idx(path)
    assert str(path) in str(e.value)


def test_truncated_message_gives_both_sizes(tmp_path, idx_bytes):
    (tmp_path / "t").write_bytes(idx_bytes[:-5])
    with pytest.raises(ValueError, match=r"\(3, 4\) of int32, 48 bytes of data, the file has 43"):
        read_idx(tmp_path / "t")


def test_gzip_faults_raise_oserror_naming_the_file(tmp_path, idx_bytes):
    gz = gzip.compress(idx_bytes, mtime=0)
    cases = {
        "cut": gz[: len(gz) // 2],                                        # a download cut short
        "crc": gz[:-8] + bytes([gz[-8] ^ 1]) + gz[-7:],                   # CRC32 in the trailer
        "garbage": gz[:10] + b"\xff" * (len(gz) - 18) + gz[-8:],          # the deflate data itself
        "method": gz[:2] + b"\x07" + gz[3:],                              # not deflate
    }
    for name, blob in cases.items():
        (tmp_path / name).write_bytes(blob)
        with pytest.raises(OSError, match="corrupt gzip data") as e:
            read_idx(tmp_path / name)
        assert str(tmp_path / name) in str(e.value), name
        assert isinstance(e.value.__cause__, (OSError, EOFError, zlib.error)), name


def test_a_header_no_gzip_file_could_hold_is_refused_before_allocating(tmp_path):
    head = bytes([0, 0, 0x0E, 3]) + b"".join(n.to_bytes(4, "big") for n in (2 ** 31, 2 ** 16, 2 ** 16))
    (tmp_path / "bomb.gz").write_bytes(gzip.compress(head + b"\0" * 64))
    with pytest.raises(ValueError, match="corrupt header"):
        read_idx(tmp_path / "bomb.gz")
    (tmp_path / "bomb").write_bytes(head)                                 # raw: the file size tells at once
    with pytest.raises(ValueError, match="truncated"):
        read_idx(tmp_path / "bomb")


# ------------------------------------------------------------------------------------------------ MNIST on written files
def test_mnist_reads_torchvisions_layout(tmp_path):
    data = fake_split(tmp_path / "MNIST" / "raw")
    ds = MNIST(root=tmp_path)
    x, y = data["train"]
    assert isinstance(ds.data, Tensor) and ds.data.dtype == np.uint8 and ds.data.shape == (30, 28, 28)
    assert isinstance(ds.targets, Tensor) and ds.targets.dtype == np.int64 and ds.targets.shape == (30,)
    np.testing.assert_array_equal(ds.data.array, x)
    np.testing.assert_array_equal(ds.targets.array, y)
    assert len(ds) == 30 and ds.train is True and ds.root == tmp_path
    test = MNIST(str(tmp_path), train=False)                     # root as a str, positionally, as torchvision
    assert len(test) == 10 and test.train is False
    np.testing.assert_array_equal(test.data.array, data["t10k"][0])


def test_uncompressed_files_are_read_and_preferred(tmp_path):
    folder = tmp_path / "MNIST" / "raw"
    fake_split(folder, seed=1, gz=False)
    fake_split(folder, seed=2, gz=True)                          # both present: the raw files win, as torchvision
    ref = fake_split(tmp_path / "ref", seed=1)
    np.testing.assert_array_equal(MNIST(root=tmp_path).data.array, ref["train"][0])


def test_classes_and_class_to_idx_are_torchvisions():
    assert MNIST.classes == ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six",
                             "7 - seven", "8 - eight", "9 - nine"]
    assert FashionMNIST.classes == ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                                    "Sneaker", "Bag", "Ankle boot"]
    assert issubclass(FashionMNIST, MNIST)


def test_getitem_returns_a_copy_and_an_int(tmp_path):
    x, y = fake_split(tmp_path / "MNIST" / "raw")["train"]
    ds = MNIST(root=tmp_path)
    assert ds.class_to_idx == {c: i for i, c in enumerate(MNIST.classes)}
    for index in (7, -1, np.int64(3), Tensor._make(np.array(4))):
        img, target = ds[index]
        i = int(index) % 30
        assert type(img) is Tensor and img.dtype == np.uint8 and img.shape == (28, 28)
        np.testing.assert_array_equal(img.array, x[i])
        assert type(target) is int and target == int(y[i])
    img, _ = ds[0]
    img.array[:] = 0
    np.testing.assert_array_equal(ds.data.array[0], x[0])        # the sample was a copy
    for bad in (30, -31):
        with pytest.raises(IndexError, match=f"index {bad} is out of bounds for dimension 0 with size 30"):
            ds[bad]
    with pytest.raises(TypeError):
        ds[1.5]


def test_transforms(tmp_path):
    x, y = fake_split(tmp_path / "MNIST" / "raw")["train"]
    calls = []
    def transform(t):
        calls.append(t.shape)
        return t.float() / 255
    ds = MNIST(root=tmp_path, transform=transform, target_transform=lambda c: c + 100)
    img, target = ds[5]
    assert img.dtype == np.float32 and target == int(y[5]) + 100 and calls == [(28, 28)]
    np.testing.assert_allclose(img.array, x[5] / 255, rtol=1e-6)
    batch = ds.__getitems__([1, 2, 3])                            # a transform runs once per sample
    assert len(calls) == 4 and [t for _, t in batch] == [101, 102, 103]
    assert "Transform:" in repr(ds) and "Target transform:" in repr(ds)


def test_repr_is_torchvisions_layout(tmp_path):
    fake_split(tmp_path / "MNIST" / "raw")
    assert repr(MNIST(root=tmp_path, train=False)).splitlines() == [
        "Dataset MNIST", "    Number of datapoints: 10", f"    Root location: {tmp_path}", "    Split: Test"]


@pytest.mark.parametrize("fault, message", [
    ("count", "30 images but .* has 29 labels"),
    ("label", "label 10 at index 29 is not a class of MNIST"),
    ("image dtype", "expected uint8 images of shape \\(N, H, W\\), the file holds int32"),
    ("image ndim", "expected uint8 images .* shape \\(30, 784\\)"),
    ("label ndim", "expected uint8 labels of shape \\(N,\\), the file holds uint8 of shape \\(30, 1\\)"),
])
def test_images_and_labels_are_cross_checked(tmp_path, fault, message):
    folder = tmp_path / "MNIST" / "raw"
    x, y = fake_split(folder)["train"]
    if fault == "count": write_idx(folder / "train-labels-idx1-ubyte.gz", y[:-1])
    if fault == "label": write_idx(folder / "train-labels-idx1-ubyte.gz", np.r_[y[:-1], 10].astype(np.uint8))
    if fault == "image dtype": write_idx(folder / "train-images-idx3-ubyte.gz", x.astype(np.int32))
    if fault == "image ndim": write_idx(folder / "train-images-idx3-ubyte.gz", x.reshape(30, 784))
    if fault == "label ndim": write_idx(folder / "train-labels-idx1-ubyte.gz", y.reshape(30, 1))
    with pytest.raises(ValueError, match=message):
        MNIST(root=tmp_path)


def test_a_corrupt_file_in_the_search_path_is_reported_not_skipped(tmp_path):
    folder = tmp_path / "MNIST" / "raw"
    fake_split(folder)
    blob = (folder / "train-images-idx3-ubyte.gz").read_bytes()
    (folder / "train-images-idx3-ubyte.gz").write_bytes(blob[: len(blob) // 2])
    with pytest.raises(OSError, match="train-images-idx3-ubyte.gz: corrupt gzip data"):
        MNIST(root=tmp_path)


# ------------------------------------------------------------------------------------------------ search path
def test_search_order(tmp_path, monkeypatch, isolated_home):
    env, debian = tmp_path / "env", tmp_path / "debian"
    monkeypatch.setattr(FashionMNIST, "debian_folder", str(debian))
    cache = isolated_home / ".cache" / "mytorch"
    assert FashionMNIST.search_path() == [(cache / "FashionMNIST" / "raw", "user cache"),
                                          (debian, "Debian's dataset-fashion-mnist")]
    assert MNIST.search_path() == [(cache / "MNIST" / "raw", "user cache")]        # no Debian folder for MNIST
    monkeypatch.setenv("MYTORCH_DATA", str(env))
    assert [p for p, _ in FashionMNIST.search_path()] == [env / "FashionMNIST" / "raw",
                                                          cache / "FashionMNIST" / "raw", debian]
    assert FashionMNIST.search_path(tmp_path / "r") == [(tmp_path / "r" / "FashionMNIST" / "raw", "root")]

    fake_split(debian, seed=3)
    assert FashionMNIST().raw_folder == debian
    fake_split(cache / "FashionMNIST" / "raw", seed=4)
    assert FashionMNIST().raw_folder == cache / "FashionMNIST" / "raw"
    fake_split(env / "FashionMNIST" / "raw", seed=5)
    ds = FashionMNIST()
    assert ds.raw_folder == env / "FashionMNIST" / "raw" and repr(ds).splitlines()[2].endswith(str(ds.raw_folder))
    np.testing.assert_array_equal(ds.data.array, fake_split(tmp_path / "ref", seed=5)["train"][0])
    with pytest.raises(RuntimeError, match="Dataset not found"):
        FashionMNIST(root=tmp_path / "elsewhere")                 # with a root, only the root is searched


def test_a_folder_with_half_a_split_is_passed_over(tmp_path, monkeypatch, isolated_home):
    monkeypatch.setenv("MYTORCH_DATA", str(tmp_path / "env"))
    half = tmp_path / "env" / "MNIST" / "raw"
    half.mkdir(parents=True)
    write_idx(half / "train-images-idx3-ubyte.gz", np.zeros((2, 28, 28), np.uint8))
    fake_split(isolated_home / ".cache" / "mytorch" / "MNIST" / "raw")
    assert MNIST().raw_folder == isolated_home / ".cache" / "mytorch" / "MNIST" / "raw"


def test_not_found_lists_every_place_and_how_to_get_the_data(tmp_path, monkeypatch, isolated_home):
    monkeypatch.setenv("MYTORCH_DATA", str(tmp_path / "env"))
    monkeypatch.setattr(FashionMNIST, "debian_folder", str(tmp_path / "no-debian"))
    with pytest.raises(RuntimeError) as e:
        FashionMNIST(train=False)
    msg = str(e.value)
    for place in (tmp_path / "env" / "FashionMNIST" / "raw", isolated_home / ".cache" / "mytorch" / "FashionMNIST"
                  / "raw", tmp_path / "no-debian"):
        assert str(place) in msg
    for text in ("Dataset not found", "test split", "t10k-images-idx3-ubyte[.gz]", "t10k-labels-idx1-ubyte[.gz]",
                 "$MYTORCH_DATA", "apt-get install dataset-fashion-mnist", "download=True"):
        assert text in msg, text
    with pytest.raises(RuntimeError) as e:
        MNIST()
    assert "apt-get" not in str(e.value) and "download=True" in str(e.value)


# ------------------------------------------------------------------------------------------------ downloads
def serve_fake(server, monkeypatch, tmp_path, prefix="/m/", cls=MNIST):
    "Serve a fake MNIST (as .gz files) under prefix and point cls's mirrors and pinned resources at it."
    site = tmp_path / "site"
    data = fake_split(site)
    resources = []
    for name in FILES:
        body = (site / (name + ".gz")).read_bytes()
        server.files[prefix + name + ".gz"] = body
        resources.append((name + ".gz", len(body), hashlib.sha256(body).hexdigest()))
    monkeypatch.setattr(cls, "mirrors", [server.url + prefix])
    monkeypatch.setattr(cls, "resources", resources)
    return data


def listing(folder):
    return sorted(p.name for p in folder.iterdir())


def test_download_end_to_end(tmp_path, server, monkeypatch, capsys):
    data = serve_fake(server, monkeypatch, tmp_path)
    ds = MNIST(root=tmp_path / "root", download=True)
    np.testing.assert_array_equal(ds.data.array, data["train"][0])
    np.testing.assert_array_equal(MNIST(root=tmp_path / "root", train=False).targets.array, data["t10k"][1])
    folder = tmp_path / "root" / "MNIST" / "raw"
    assert listing(folder) == sorted(n + ".gz" for n in FILES)             # no temporary file left
    for name in FILES:
        assert (folder / (name + ".gz")).read_bytes() == server.files["/m/" + name + ".gz"]
    assert sorted(server.requests) == sorted("/m/" + n + ".gz" for n in FILES)
    assert "Downloading " + server.url in capsys.readouterr().out
    MNIST(root=tmp_path / "root", download=True)                             # present: nothing is fetched again
    assert len(server.requests) == 4


def test_downloaded_files_get_the_mode_open_would_give(tmp_path, server, monkeypatch):
    "atomic_write's temporary file is 0o600 (mkstemp); the downloaded file must not stay private."
    serve_fake(server, monkeypatch, tmp_path)
    old = os.umask(0o022)
    try:
        MNIST(root=tmp_path / "root", download=True)
    finally:
        os.umask(old)
    for p in (tmp_path / "root" / "MNIST" / "raw").iterdir():
        assert p.stat().st_mode & 0o777 == 0o644, p.name


def test_download_without_root_goes_to_mytorch_data_or_the_cache(tmp_path, server, monkeypatch, isolated_home):
    serve_fake(server, monkeypatch, tmp_path)
    cache = isolated_home / ".cache" / "mytorch" / "MNIST" / "raw"
    assert MNIST(download=True).raw_folder == cache
    assert listing(cache) == sorted(n + ".gz" for n in FILES) and len(server.requests) == 4
    monkeypatch.setenv("MYTORCH_DATA", str(tmp_path / "env"))
    assert MNIST(download=True).raw_folder == cache and len(server.requests) == 4   # found: no download
    monkeypatch.setenv("HOME", str(tmp_path / "other-home"))
    assert MNIST(download=True).raw_folder == tmp_path / "env" / "MNIST" / "raw"
    assert len(server.requests) == 8


def test_download_true_uses_data_found_on_the_search_path_without_the_network(tmp_path, server, monkeypatch):
    serve_fake(server, monkeypatch, tmp_path, cls=FashionMNIST)
    monkeypatch.setattr(FashionMNIST, "debian_folder", str(tmp_path / "debian"))
    fake_split(tmp_path / "debian", seed=7)
    assert FashionMNIST(download=True).raw_folder == tmp_path / "debian" and server.requests == []
    ds = FashionMNIST(root=tmp_path / "r", download=True)        # with a root, only the root counts
    assert ds.raw_folder == tmp_path / "r" / "FashionMNIST" / "raw" and len(server.requests) == 4


def test_download_skips_files_present_raw_or_compressed(tmp_path, server, monkeypatch):
    serve_fake(server, monkeypatch, tmp_path)
    folder = tmp_path / "root" / "MNIST" / "raw"
    fake_split(folder, gz=False, n_train=5)
    ds = MNIST(root=tmp_path / "root", download=True)
    assert server.requests == [] and len(ds) == 5


@pytest.mark.parametrize("fault, message", [
    ("tampered", "SHA-256 mismatch"),
    ("truncated", "truncated: got"),
    ("oversized", "more than the expected"),
    ("cut", "IncompleteRead|truncated"),
    ("missing", "HTTP Error 404"),
])
def test_a_bad_download_leaves_nothing_behind_and_good_files_untouched(tmp_path, server, monkeypatch, fault,
                                                                         message):
    serve_fake(server, monkeypatch, tmp_path)
    folder = tmp_path / "root" / "MNIST" / "raw"
    folder.mkdir(parents=True)
    good = server.files["/m/train-images-idx3-ubyte.gz"]
    (folder / "train-images-idx3-ubyte.gz").write_bytes(good)                 # an existing good file
    os.utime(folder / "train-images-idx3-ubyte.gz", (1_000_000_000, 1_000_000_000))
    path = "/m/t10k-images-idx3-ubyte.gz"
    body = server.files[path]
    if fault == "tampered": server.files[path] = body[:100] + bytes([body[100] ^ 1]) + body[101:]
    if fault == "truncated": server.files[path] = body[:-10]
    if fault == "oversized": server.files[path] = body + b"\0" * 10
    if fault == "cut": server.mode[path] = "cut"
    if fault == "missing": del server.files[path]
    with pytest.raises(RuntimeError, match="Error downloading t10k-images-idx3-ubyte.gz") as e:
        MNIST(root=tmp_path / "root", download=True)
    assert re.search(message, str(e.value)), str(e.value)
    assert server.url + path in str(e.value)
    # the two files before it in the resources list were fetched; nothing of the failed one, not even a temp file
    assert listing(folder) == ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]
    assert (folder / "train-images-idx3-ubyte.gz").read_bytes() == good
    assert (folder / "train-images-idx3-ubyte.gz").stat().st_mtime == 1_000_000_000
    assert "/m/train-images-idx3-ubyte.gz" not in server.requests


def test_mirrors_are_tried_in_order_and_every_failure_is_reported(tmp_path, server, monkeypatch):
    serve_fake(server, monkeypatch, tmp_path, prefix="/good/")
    monkeypatch.setattr(MNIST, "mirrors", [server.url + "/gone/", server.url + "/good/"])
    MNIST(root=tmp_path / "a", download=True)
    assert server.requests[:2] == ["/gone/train-images-idx3-ubyte.gz", "/good/train-images-idx3-ubyte.gz"]
    monkeypatch.setattr(MNIST, "mirrors", [server.url + "/gone/", server.url + "/also-gone/"])
    with pytest.raises(RuntimeError) as e:
        MNIST(root=tmp_path / "b", download=True)
    assert "/gone/train-images" in str(e.value) and "/also-gone/train-images" in str(e.value)
    assert listing(tmp_path / "b" / "MNIST" / "raw") == []


def official_from_debian(name):
    "Zalando's official .gz file, rebuilt from Debian's copy by restoring the gzip header's FNAME and MTIME."
    deb = (DEBIAN / (name + ".gz")).read_bytes()
    assert deb[:3] == b"\x1f\x8b\x08" and deb[3] == 0, "Debian's file has no optional gzip header fields"
    mtime = OFFICIAL_MTIME[name.split("-")[0]].to_bytes(4, "little")
    return deb[:3] + bytes([0x08]) + mtime + deb[8:10] + name.encode() + b"\0" + deb[10:]


def test_the_pinned_fashion_mnist_digests_are_the_official_files(tmp_path, server, monkeypatch):
    """The real pins, end to end: the official files (rebuilt from Debian's, and matching torchvision's MD5s too)
    served locally are accepted by FashionMNIST(download=True) and read to the same arrays as Debian's."""
    md5 = {"train-images-idx3-ubyte": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
           "train-labels-idx1-ubyte": "25c81989df183df01b3e8a0aad5dffbe",
           "t10k-images-idx3-ubyte": "bef4ecab320f06d8554ea6380940ec79",
           "t10k-labels-idx1-ubyte": "bb300cfdad3c16e7a12a480ee83cd310"}     # torchvision's mnist.py
    for name in FILES:
        body = official_from_debian(name)
        assert hashlib.md5(body).hexdigest() == md5[name]
        server.files["/fm/" + name + ".gz"] = body
    monkeypatch.setattr(FashionMNIST, "mirrors", [server.url + "/fm/"])
    ds = FashionMNIST(root=tmp_path, download=True, train=False)
    assert ds.raw_folder == tmp_path / "FashionMNIST" / "raw" and len(server.requests) == 4
    monkeypatch.setattr(FashionMNIST, "debian_folder", str(DEBIAN))
    deb = FashionMNIST(train=False)
    assert deb.raw_folder == DEBIAN
    np.testing.assert_array_equal(ds.data.array, deb.data.array)
    np.testing.assert_array_equal(ds.targets.array, deb.targets.array)


# ------------------------------------------------------------------------------------------------ real Fashion-MNIST
@pytest.fixture(scope="module")
def real():
    assert DEBIAN.is_dir(), ("Fashion-MNIST is missing: sudo apt-get install dataset-fashion-mnist "
                             "(.ci/sysdeps installs it)")
    class Debian(FashionMNIST):                   # Debian's folder only, whatever HOME and $MYTORCH_DATA hold
        search_path = classmethod(lambda cls, root=None: [(DEBIAN, "dataset-fashion-mnist")])
    return Debian(), Debian(train=False)


def test_real_fashion_mnist(real):
    train, test = real
    assert (train.data.shape, train.data.dtype, train.targets.shape, train.targets.dtype) == \
        ((60000, 28, 28), np.uint8, (60000,), np.int64)
    assert (test.data.shape, test.targets.shape) == ((10000, 28, 28), (10000,))
    assert np.bincount(train.targets.array).tolist() == [6000] * 10
    assert np.bincount(test.targets.array).tolist() == [1000] * 10
    assert train.targets.array[:10].tolist() == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]
    assert test.targets.array[:10].tolist() == [9, 2, 1, 1, 6, 1, 4, 6, 5, 7]
    img, target = train[0]
    assert target == 9 and train.classes[target] == "Ankle boot" and img.array.max() == 255
    x = train.data.array
    assert abs(x.mean() / 255 - 0.2860) < 1e-4


def test_real_fashion_mnist_is_found_through_the_search_path(monkeypatch):
    assert FashionMNIST.debian_folder == str(DEBIAN)
    ds = FashionMNIST(train=False)                              # HOME is empty and MYTORCH_DATA unset: Debian's
    assert ds.raw_folder == DEBIAN and len(ds) == 10000


# ------------------------------------------------------------------------------------------------ batches
def test_getitems_equals_the_per_sample_path(real):
    train, _ = real
    idx = [0, 59999, -1, 17, 17, 30000]
    batch = train.__getitems__(idx)
    assert isinstance(batch, list) and len(batch) == len(idx)
    for (img, y), i in zip(batch, idx):
        ref_img, ref_y = train[i]
        assert img.dtype == np.uint8 and type(y) is int and y == ref_y
        np.testing.assert_array_equal(img.array, ref_img.array)
    assert train.__getitems__([]) == []
    with pytest.raises(IndexError, match="index 60000 is out of bounds for dimension 0 with size 60000"):
        train.__getitems__([3, 60000])
    with pytest.raises(IndexError, match="index -60001 is out of bounds"):
        train.__getitems__([-60001])


def test_dataloader_batches_equal_torchs(real):
    import torch
    from mytorch.utils.data.dataloader import DataLoader
    train, _ = real
    x, y = train.data.array[:1000], train.targets.array[:1000]
    ours = DataLoader(train, batch_size=128, sampler=list(range(1000)))
    theirs = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)),
                                         batch_size=128)
    n = 0
    for (xb, yb), (tx, ty) in zip(ours, theirs, strict=True):
        assert xb.dtype == np.uint8 and yb.dtype == np.int64 and str(tx.dtype) == "torch.uint8"
        np.testing.assert_array_equal(xb.array, tx.numpy())
        np.testing.assert_array_equal(yb.array, ty.numpy())
        n += len(yb)
    assert n == 1000


def test_dataloader_with_a_transform_collates_the_transformed_samples(tmp_path):
    from mytorch.utils.data.dataloader import DataLoader
    x, y = fake_split(tmp_path / "MNIST" / "raw")["train"]
    ds = MNIST(root=tmp_path, transform=lambda t: t.float() / 255)
    xb, yb = next(iter(DataLoader(ds, batch_size=8)))
    assert xb.dtype == np.float32 and xb.shape == (8, 28, 28) and yb.dtype == np.int64
    np.testing.assert_allclose(xb.array, x[:8] / 255, rtol=1e-6)
    np.testing.assert_array_equal(yb.array, y[:8])


def test_the_default_path_builds_no_sample_per_image(real, monkeypatch):
    "Without transforms a DataLoader's batches come from one fancy index: __getitem__ is never called."
    from mytorch.utils.data.dataloader import DataLoader, default_collate
    train, _ = real
    calls = []
    original = type(train).__getitem__
    monkeypatch.setattr(type(train), "__getitem__", lambda self, i: calls.append(i) or original(self, i))
    batches = list(DataLoader(train, batch_size=500, sampler=list(range(2000))))
    assert calls == [] and [len(yb) for _, yb in batches] == [500] * 4
    batch = train.__getitems__([3, 1])
    assert calls == []
    assert [y for _, y in batch] == train.targets.array[[3, 1]].tolist() and calls == [3, 1]   # read: built
    xb, yb = default_collate(batch)
    np.testing.assert_array_equal(xb.array, train.data.array[[3, 1]])


def test_public_names_and_torchvisions_signature():
    "The names this chapter adds, and the constructor's parameters as torchvision's (root optional here)."
    import inspect
    import mytorch.datasets.mnist as d
    assert sorted(d.__all__) == ["FashionMNIST", "IDX_DTYPES", "MNIST", "atomic_write", "data_folders",
                                 "fetch_from_mirrors", "fetch_verified", "read_idx", "write_idx"]
    import mytorch.datasets as package                 # the package re-exports the module's names
    assert all(getattr(package, name) is getattr(d, name) for name in d.__all__)
    params = inspect.signature(FashionMNIST).parameters
    assert [(p.name, p.default) for p in params.values()] == [
        ("root", None), ("train", True), ("transform", None), ("target_transform", None), ("download", False)]
    for name in ("data", "targets", "classes", "class_to_idx", "train", "root", "transform", "target_transform"):
        assert hasattr(FashionMNIST(train=False), name), name
    assert callable(FashionMNIST.download) and callable(MNIST.search_path)
