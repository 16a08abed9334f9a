"""The browser check must be able to fail: run it on a tiny site with one good page and pages with every fault."""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(__file__).resolve().parent / "browser_check.py"

GOOD = """<!doctype html><html><head><link rel="icon" href="data:,"><title>Good page</title></head>
<body><main style="width: 600px"><h1>Good</h1><p>See <a href="bad.html#there">the other page</a>.</p>
<img src="narrow.svg" style="max-width: 100%">
<svg width="500" height="40" style="max-width: 100%"><title>a graph that fits</title></svg>
<div class="math"><mjx-container class="MathJax" jax="SVG" display="true" style="display: block">
<svg width="300px" height="20px"></svg></mjx-container></div>
</main></body></html>"""

BAD = """<!doctype html><html><head><link rel="icon" href="data:,"><title></title></head>
<body><main><p id="there">No heading here.</p>
<pre>#| export
def f(): pass</pre>
<span class="math">\\(x^2\\)</span>
<img src="missing.png">
<a href="nowhere.html">dead link</a> <a href="index.html#no-such-anchor">dead anchor</a>
<script>console.error("boom")</script>
</main></body></html>"""


# Figures and equations as the book has them: a matplotlib/graphviz image file, an inline svg, and a display
# equation as MathJax 3 (SVG output) leaves it: <div class="math"><mjx-container display="true"><svg ...>.
def svg_file(width):
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="80">'
            f'<rect width="{width}" height="80"/></svg>')


FILES = {"narrow.svg": svg_file(400), "wide.svg": svg_file(1500)}

OVERSIZED = """<!doctype html><html><head><link rel="icon" href="data:,"><title>Oversized</title></head>
<body><main style="width: 600px"><h1>Oversized</h1>
<section id="plots"><img src="wide.svg" style="max-width: 100%"></section>
<section id="graphs"><svg width="1200" height="60" style="max-width: 100%"><title>wide graph</title></svg></section>
<section id="derivation"><div class="math" style="overflow-x: auto"><mjx-container class="MathJax" jax="SVG"
 display="true" style="display: block"><svg width="900px" height="20px"></svg></mjx-container></div></section>
</main></body></html>"""


def run(tmp_path, pages):
    site = tmp_path / "html"
    site.mkdir()
    for name, text in {**FILES, **pages}.items():
        (site / name).write_text(text)
    return check(site, tmp_path, "--search", "")     # these hand-made sites have no search page


def check(site, tmp_path, *options):
    return subprocess.run([sys.executable, str(SCRIPT), str(site), "--screenshots", str(tmp_path / "shots"), *options],
                          capture_output=True, text=True, timeout=300)


def test_chromium_is_installed():
    assert shutil.which("chromium"), "the browser check needs Debian's chromium (make/CI install it)"


def test_a_good_page_passes(tmp_path):
    r = run(tmp_path, {"index.html": GOOD.replace("bad.html#there", "#")})
    assert r.returncode == 0, r.stdout + r.stderr
    assert "browser-check: 1 passed, 0 failed" in r.stdout


def test_every_fault_is_reported(tmp_path):
    r = run(tmp_path, {"index.html": GOOD, "bad.html": BAD})
    out = r.stdout
    assert r.returncode == 1, out + r.stderr
    assert "browser-check: 1 passed, 1 failed" in out
    for expected in ["no title or no <h1>", "visible nbdev directive", "left as raw TeX", "broken image",
                     "broken internal link: nowhere.html", "no anchor #no-such-anchor", "console error: boom"]:
        assert expected in out, f"missing {expected!r} in:\n{out}"


def test_a_downscaled_figure_and_an_overflowing_equation_are_reported(tmp_path):
    r = run(tmp_path, {"index.html": GOOD.replace("bad.html#there", "over.html"), "over.html": OVERSIZED})
    out = r.stdout
    assert r.returncode == 1, out + r.stderr
    assert "browser-check: 1 passed, 1 failed" in out, out
    assert "figure shown at 40% of its natural width (600 of 1500 px" in out and "img wide.svg in #plots" in out, out
    assert 'figure shown at 50% of its natural width (600 of 1200 px' in out and '"wide graph" in #graphs' in out, out
    assert "display equation wider than the page (900 of 600 px" in out and "in #derivation" in out, out


MATHJAX = ROOT / "nbs" / "_static" / "mathjax" / "tex-svg.js"


@pytest.mark.skipif(not MATHJAX.exists() and not os.environ.get("CI"),
                    reason="no local MathJax yet (.ci/mathjax fetches it; make test and make book run it)")
def test_a_real_mathjax_equation_too_wide_for_the_column_is_reported(tmp_path):
    long = " + ".join(f"x_{{{i}}}" for i in range(1, 80))
    page = ('<!doctype html><html><head><link rel="icon" href="data:,"><title>Math</title>'
            '<script src="tex-svg.js"></script></head><body><main style="width: 600px"><h1>Math</h1>'
            '<div class="math">\\[ a = b + c \\]</div>'
            f'<section id="long"><div class="math">\\[ s = {long} \\]</div></section></main></body></html>')
    site_js = {"tex-svg.js": MATHJAX.read_text(encoding="utf-8")}
    r = run(tmp_path, {"index.html": page, **site_js})
    out = r.stdout
    assert r.returncode == 1, out + r.stderr
    assert out.count("display equation wider than the page") == 1, out
    assert "s = x_{1} + x_{2}" in out and "in #long" in out, out


def book_page(title, sidebar):
    return (f'<!doctype html><html><head><link rel="icon" href="data:,"><title>{title}</title></head><body>'
            f'<nav class="bd-docs-nav">{sidebar}</nav><main><h1>{title}</h1></main></body></html>')


def test_a_sidebar_that_hides_a_chapter_is_reported(tmp_path):
    top = '<a href="index.html">Home</a><a href="one.html">1. One</a>'
    everything = top + '<details open><a href="two.html">2. Two</a></details>'
    collapsed = top + '<details><a href="two.html">2. Two</a></details>'      # "2. Two" is there but folded away
    r = run(tmp_path, {"index.html": book_page("Home", everything), "one.html": book_page("One", collapsed),
                       "two.html": book_page("Two", '<a href="index.html">Home</a><a href="two.html">2. Two</a>')})
    out = r.stdout
    assert r.returncode == 1, out + r.stderr
    assert "browser-check: 1 passed, 2 failed" in out, out
    assert "one.html:\n  - the sidebar does not show 1 page(s) of the book: two.html" in out, out
    assert "two.html:\n  - the sidebar does not show 1 page(s) of the book: one.html" in out, out


# The search page and the general index, on a real (tiny) Sphinx site: Sphinx's own search code, its index.
SPHINX_PAGES = {
    "conf.py": "project = 'tiny'\nhtml_theme = 'basic'\nhtml_favicon = 'favicon.ico'\n",
    "index.rst": "Home\n====\n\nHow ``backward`` walks the graph.\n\n.. toctree::\n\n   engine\n",
    "engine.rst": ("The engine\n==========\n\nCalling backward on a scalar loss fills each leaf's grad.\n\n"
                   ".. py:function:: backward(tensor)\n\n   Compute the gradients.\n"),
}


@pytest.fixture(scope="module")
def sphinx_site(tmp_path_factory):
    "A two-page Sphinx site (built once): its search answers 'backward' from both pages and one API entry."
    src, out = tmp_path_factory.mktemp("src"), tmp_path_factory.mktemp("site") / "html"
    for name, text in SPHINX_PAGES.items():
        (src / name).write_text(text)
    (src / "favicon.ico").write_bytes(b"")
    sphinx = Path(sys.executable).parent / "sphinx-build"
    r = subprocess.run([str(sphinx), "-q", "-W", "-b", "html", str(src), str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    return out


def copy_site(site, tmp_path):
    dest = tmp_path / "html"
    shutil.copytree(site, dest)
    return dest


def test_search_with_snippets_and_a_filled_index_pass_over_http(sphinx_site, tmp_path):
    r = check(sphinx_site, tmp_path)
    out = r.stdout
    assert r.returncode == 0, out + r.stderr
    m = re.search(r"ok   search.html\?q=backward: (\d+) results, (\d+) pages, (\d+) with a snippet; "
                  r"genindex.html: (\d+) entries", out)
    assert m and int(m[2]) >= 2 and m[3] == m[2] and int(m[4]) >= 1, out


def test_search_opened_through_file_urls_is_reported(sphinx_site, tmp_path):
    "What a reader double-clicking index.html gets: results without snippets, CORS errors in the console."
    r = check(sphinx_site, tmp_path, "--file-urls")
    out = r.stdout
    assert r.returncode == 1, out + r.stderr
    m = re.search(r"FAIL search.html\?q=backward: \d+ results, (\d+) pages, 0 with a snippet", out)
    assert m and int(m[1]) >= 2, out
    assert f"{m[1]} of {m[1]} page results without a snippet" in out and "console error: Access to fetch" in out, out


def test_a_query_without_results_is_reported(sphinx_site, tmp_path):
    r = check(sphinx_site, tmp_path, "--search", "zyxwvut")
    assert r.returncode == 1 and "no results for 'zyxwvut'" in r.stdout, r.stdout + r.stderr


def test_a_search_that_never_finishes_is_reported(sphinx_site, tmp_path):
    site = copy_site(sphinx_site, tmp_path)
    (site / "searchindex.js").unlink()               # the page waits for an index that never comes
    r = check(site, tmp_path, "--search-timeout", "5")
    out = r.stdout
    assert r.returncode == 1, out + r.stderr
    assert "the search did not finish within 5 s" in out and "HTTP 404" not in out.split("search.html:")[0], out


def test_an_empty_general_index_is_reported(sphinx_site, tmp_path):
    site = copy_site(sphinx_site, tmp_path)
    text = (site / "genindex.html").read_text()
    (site / "genindex.html").write_text(re.sub(r'(<table[^>]*class="indextable.*?</table>)', "", text, flags=re.S))
    r = check(site, tmp_path)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "the general index (genindex.html) is missing or lists no entries" in r.stdout, r.stdout


def test_make_serve_serves_the_built_book_over_http(tmp_path):
    "`make serve` (what `make book` ends by printing) serves _build/html on 127.0.0.1, so search works."
    import socket
    import time
    import urllib.request
    make = ["make", "-s", "-f", str(ROOT / "Makefile"), f"BIN={Path(sys.executable).parent}"]
    dry = subprocess.run(make + ["-n", "book"], cwd=tmp_path, capture_output=True, text=True).stdout
    assert "make serve" in dry.strip().splitlines()[-1], dry     # make book's last line says how to read it
    r = subprocess.run(make + ["serve"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "run make book first" in r.stdout + r.stderr   # no book yet: says what to do
    (tmp_path / "_build" / "html").mkdir(parents=True)
    (tmp_path / "_build" / "html" / "index.html").write_text("<title>the book</title>")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(make + ["serve", f"PORT={port}"], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=2) as resp:
                    assert b"the book" in resp.read()
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise AssertionError(f"nothing served on port {port}")
    finally:
        os.killpg(proc.pid, 15)                      # make and the server it started (their own session)
        proc.wait(timeout=10)
