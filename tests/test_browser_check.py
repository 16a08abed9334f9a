"""The browser check must be able to fail: run it on a tiny site with one good page and one page with every fault."""
import shutil
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "browser_check.py"

GOOD = """<!doctype html><html><head><link rel="icon" href="data:,"><title>Good page</title></head>
<body><main><h1>Good</h1><p>See <a href="bad.html#there">the other page</a>.</p></main></body></html>"""

BAD = """<!doctype html><html><head><link rel="icon" href="data:,"><title></title></head>
<body><main><p id="there">No heading here.</p>
<pre>#| export
def f(): pass</pre>
<span class="math">\\(x^2\\)</span>
<img src="missing.png">
<a href="nowhere.html">dead link</a> <a href="index.html#no-such-anchor">dead anchor</a>
<script>console.error("boom")</script>
</main></body></html>"""


def run(tmp_path, pages):
    site = tmp_path / "html"
    site.mkdir()
    for name, text in pages.items():
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
