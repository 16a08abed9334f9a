"""Shared pytest setup and the helpers the test files share.

The warning filter: mytorch silences NumPy's floating-point RuntimeWarnings raised by its own code (PyTorch reports
inf and nan only through the results) with a warning filter installed when `mytorch` is imported. pytest discards
filters installed while it imports test modules, so the autouse fixture below puts the same filter back for every
test, as a user's program has it. tests/test_semantics_edges.py checks what a user sees in a fresh interpreter,
without this fixture.

The helpers: comparing mytorch with PyTorch needs the same few functions in many files (a dtype's name, a tensor's
NumPy array, a float64 leaf, tolerances per dtype, a close-enough assertion, central differences, running a
scenario on one library and keeping its error). They live here once; a test file imports them:

    from conftest import as_numpy, assert_close, dtype_name, m64, t64
    from conftest import error_of, same_error

(pytest puts tests/ on sys.path and imports this file as the module `conftest`, so the import finds it.)
torch is imported only inside the helpers that need it, so tests that do not compare with torch stay fast.
"""
import http.server
import threading
import warnings

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _mytorch_warning_filter():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*encountered in", category=RuntimeWarning,
                                module=r"mytorch(\.|$)")
        yield


# ------------------------------------------------------------------------------------------- names and arrays
def _is_torch(x):
    return type(x).__module__.split(".")[0] == "torch"


def dtype_name(x):
    """'float32' for a mytorch or torch tensor, a NumPy or torch dtype, a NumPy scalar type or a name, alike.
    (mytorch's dtypes are NumPy's: np.dtype('bool') is 'bool', as torch.bool.)"""
    dt = np.dtype(x) if isinstance(x, type) else getattr(x, "dtype", x)    # a type: np.float32, np.bool_
    return str(dt).split(".")[-1]


def as_numpy(x):
    "The values of a torch tensor, a mytorch tensor (its `.array`, no copy) or anything NumPy takes, as an array."
    if _is_torch(x):
        return x.detach().cpu().numpy()
    if hasattr(x, "array") and type(x).__module__.split(".")[0] == "mytorch":
        return x.array
    return np.asarray(x)


def lib_dtype(lib, name):
    "The dtype called `name` ('float32', 'bool', ...) in `lib` (mytorch or torch): mytorch's bool is `bool_`."
    return getattr(lib, name)


def m64(a, grad=True):
    "A float64 mytorch tensor of `a` (a leaf that requires grad unless grad=False)."
    import mytorch
    return mytorch.tensor(np.asarray(a, dtype=np.float64), dtype=mytorch.float64, requires_grad=grad)


def t64(a, grad=True):
    "The same as a torch tensor."
    import torch
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


# ------------------------------------------------------------------------------------------- tolerances
# Agreement with torch: float64 to near rounding; float32 (and lower) to what its 24-bit mantissa allows after a few
# operations. Gradients get looser bounds (they chain more operations).
TOL = {"float64": dict(rtol=1e-10, atol=1e-12), "float32": dict(rtol=2e-5, atol=2e-5),
       "float16": dict(rtol=2e-3, atol=2e-3)}
GRAD_TOL = {"float64": dict(rtol=1e-8, atol=1e-10), "float32": dict(rtol=1e-4, atol=1e-4),
            "float16": dict(rtol=1e-2, atol=1e-2)}


def tol(x, grad=False):
    "The tolerances for the dtype of `x` (a tensor, dtype or name); exact (0, 0) for integer and bool dtypes."
    return (GRAD_TOL if grad else TOL).get(dtype_name(x), dict(rtol=0, atol=0))


def assert_close(m, t, what="result", rtol=None, atol=None):
    """mytorch's `m` matches torch's `t`: both None, or same shape, same dtype name and values within the dtype's
    tolerance (`tol`), NaN where NaN and the same infinities."""
    if t is None or m is None:
        assert m is None and t is None, f"{what}: mytorch {m!r}, torch {t!r}"
        return
    assert tuple(m.shape) == tuple(t.shape), f"{what}: shape {tuple(m.shape)} vs torch {tuple(t.shape)}"
    assert dtype_name(m) == dtype_name(t), f"{what}: dtype {dtype_name(m)} vs torch {dtype_name(t)}"
    bounds = tol(t)
    bounds = dict(rtol=bounds["rtol"] if rtol is None else rtol, atol=bounds["atol"] if atol is None else atol)
    a, b = as_numpy(m), as_numpy(t)
    if a.dtype.kind in "fc" or b.dtype.kind in "fc":
        np.testing.assert_allclose(a.astype(np.complex128 if a.dtype.kind == "c" else np.float64),
                                   b.astype(np.complex128 if b.dtype.kind == "c" else np.float64),
                                   err_msg=what, equal_nan=True, **bounds)
    else:
        np.testing.assert_array_equal(a, b, err_msg=what)


# ------------------------------------------------------------------------------------------- finite differences
def numerical_grad(f, arrays, eps=1e-6):
    """Central differences of a scalar function: for f(*arrays) -> float (NumPy in, number out), the gradient with
    respect to each array, (f(x + eps e_i) - f(x - eps e_i)) / (2 eps) per element, computed in float64."""
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    grads = []
    for a in arrays:
        g = np.zeros_like(a)
        flat, gflat = a.reshape(-1), g.reshape(-1)   # views: writing flat[i] changes a
        for i in range(flat.size):
            keep = flat[i]
            flat[i] = keep + eps
            up = float(f(*arrays))
            flat[i] = keep - eps
            down = float(f(*arrays))
            flat[i] = keep
            gflat[i] = (up - down) / (2 * eps)
        grads.append(g)
    return grads


# ------------------------------------------------------------------------------------------- running scenarios
def attempt(fn, *args):
    "(result, None) or (None, exception): run `fn` on one library, warnings silenced, the error kept to compare."
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")       # torch warns when .grad of a non-leaf is read
            return fn(*args), None
    except Exception as e:                        # noqa: BLE001 - compared between the libraries
        return None, e


def error_of(fn):
    "The exception `fn()` raises (None if it returns); warnings are left alone, unlike `attempt`."
    try:
        fn()
    except Exception as e:                        # noqa: BLE001 - the caller compares what was raised
        return e
    return None


def same_error(mine, theirs, exact=False, message=True):
    """mytorch's `mine()` raises the exception type torch's `theirs()` raises, and its message starts with
    torch's (a hint may follow), or equals it with exact=True, or is not compared with message=False. A KeyError's
    message is the repr of its key, so only its type is compared. Returns mytorch's exception."""
    e_m, e_t = error_of(mine), error_of(theirs)
    assert e_t is not None, "torch raised nothing: the scenario is wrong"
    assert e_m is not None, f"mytorch raised nothing; torch raised {type(e_t).__name__}: {e_t}"
    assert type(e_m) is type(e_t), f"{type(e_m).__name__}: {e_m}  vs torch {type(e_t).__name__}: {e_t}"
    if not message or isinstance(e_m, KeyError):
        return e_m
    m, t = str(e_m), str(e_t)
    assert (m == t) if exact else m.startswith(t), f"\n mine:  {m}\n torch: {t}"
    return e_m


def outcome(scenario, lib):
    "('ok', what `scenario(lib)` returns) or ('error', exception type name, message)."
    result, error = attempt(scenario, lib)
    return ("ok", result) if error is None else ("error", type(error).__name__, str(error))


# A local web server for the download tests (tests/test_datasets.py, tests/test_shakespeare.py): never the internet.
class Server:
    """A web server on 127.0.0.1 in a thread. `files` maps a URL path to bytes; `mode` per path: 'cut' sends a
    Content-Length for all the bytes but only half of them, then closes. `requests` records the paths asked for."""

    def __init__(self):
        self.files, self.mode, self.requests = {}, {}, []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(self.path)
                body = server.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if server.mode.get(self.path) == "cut":
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@pytest.fixture
def server():
    s = Server()
    yield s
    s.close()
