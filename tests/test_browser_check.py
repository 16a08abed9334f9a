"""The browser check must be able to fail: run it on a tiny site with one good page and pages with every fault."""
import os
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
    return subprocess.run([sys.executable, str(SCRIPT), str(site), "--screenshots", str(tmp_path / "shots")],
                          capture_output=True, text=True, timeout=120)


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
