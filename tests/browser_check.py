"""Open every page of the built book in headless Chromium (Debian's) and fail on what a reader would see as broken.

    python tests/browser_check.py _build/html [--screenshots DIR]

Per page it fails on: no title or no <h1>; a console error, an uncaught page error or a failed request; math left
as raw TeX (a math element MathJax did not typeset); an image that did not load; a visible `#|` directive line;
an internal link to a missing page or a missing #anchor; a figure (img or svg in the page content) shown at less
than two thirds of its natural width (unreadable labels); a display equation wider than its column (it would
scroll sideways); a book page whose sidebar does not show every page of the book. Failures name the page, the
element and the section it is in. Pages are served from a local HTTP server on 127.0.0.1, so the check sees what a
browser on a web server would. A screenshot of each page is saved for people to look at.
Then the search page (a book is read over HTTP: `make serve`): it runs a query (`--search backward`) and fails
unless the search finishes with results, every page result shows a snippet of the page's text (what a reader
opening the book through file:// does not get: the browser blocks the requests that fetch them) and the console
stays free of errors; and the general index (genindex.html) must list entries (the API reference fills it).
`--search ''` leaves search and index out (said in the output); `--file-urls` opens the pages through file://
instead of the server, to see what a reader who double-clicks index.html gets.
Exit status 1 if any page fails. This is a script, not a pytest file: CI runs it after `make book`.
"""
import argparse
import functools
import html.parser
import http.server
import os
import re
import shutil
import sys
import threading
import urllib.parse
from pathlib import Path

SKIP = {"genindex.html", "search.html", "py-modindex.html"}
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    sys.exit("browser check: no Chromium found. Install Debian's: apt-get install chromium chromium-driver")


def pages(root):
    "Every content page of the book (relative paths), leaving out Sphinx's generated index and search pages."
    out = []
    for p in sorted(root.rglob("*.html")):
        rel = p.relative_to(root)
        if rel.parts[0].startswith("_") or rel.name in SKIP:
            continue
        out.append(rel.as_posix())
    return out


class _Anchors(html.parser.HTMLParser):
    "Collects the ids (anchors) and the href targets of one HTML file."
    def __init__(self):
        super().__init__()
        self.ids, self.hrefs = set(), []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "a" and a.get("name"):
            self.ids.add(a["name"])
        if tag == "a" and a.get("href"):
            self.hrefs.append(a["href"])


@functools.lru_cache(maxsize=None)
def parse(path):
    p = _Anchors()
    p.feed(Path(path).read_text(encoding="utf-8", errors="replace"))
    return p


def broken_links(root, page):
    "Internal links of `page` whose target file or #anchor does not exist."
    bad = []
    here = (root / page).parent
    for href in parse(root / page).hrefs:
        url = urllib.parse.urlparse(href)
        if url.scheme or url.netloc or href.startswith(("mailto:", "javascript:")):
            continue
        target = (root / page) if not url.path else (here / urllib.parse.unquote(url.path)).resolve()
        if target.is_dir():
            target = target / "index.html"
        if not target.exists():
            bad.append(f"{href} (no file {target.relative_to(root.resolve()) if target.is_relative_to(root.resolve()) else target})")
        elif url.fragment and target.suffix == ".html" and url.fragment not in parse(target).ids:
            bad.append(f"{href} (no anchor #{url.fragment})")
    return bad


PAGE_JS = r"""
async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) { await MathJax.startup.promise; }
  const problems = [];
  const math = Array.from(document.querySelectorAll('.math, span.math, div.math'));
  const raw = math.filter(el => !el.querySelector('mjx-container'));
  if (raw.length) problems.push(`${raw.length} of ${math.length} math elements left as raw TeX, e.g. ${raw[0].textContent.slice(0, 60)}`);
  const text = document.querySelector('main, article, body').innerText;
  for (const pat of ['$$', '\\begin{', '\\frac{']) {
    if (text.includes(pat)) problems.push(`raw TeX visible in the page text: ${pat}`);
  }
  const lines = text.split('\n').filter(l => l.trim().startsWith('#|'));
  if (lines.length) problems.push(`visible nbdev directive line(s): ${lines.slice(0, 3).join(' | ')}`);
  const imgs = Array.from(document.images);
  const broken = imgs.filter(i => !(i.complete && i.naturalWidth > 0));
  if (broken.length) problems.push(`broken image(s): ${broken.map(i => i.getAttribute('src')).slice(0, 3).join(', ')}`);
  const h1 = document.querySelector('h1');
  if (!document.title.trim() || !h1 || !h1.innerText.trim()) problems.push('page has no title or no <h1>');

  // Where an element is, for the report: the id of the section it is in.
  const where = el => { const s = el.closest('section[id]'); return s ? ` in #${s.id}` : ''; };

  // Figures (img or svg in the page content, not icons, not MathJax's own svg) shown below MIN_SCALE of their natural
  // width: the theme shrinks a wide figure to the column (max-width: 100%) and its labels become unreadable.
  const content = document.querySelector('article.bd-article, article, main') || document.body;
  const chrome = 'mjx-container, button, .btn, nav, header, footer, .prev-next-area, .headerlink, .svg-inline--fa';
  const figures = [];
  for (const img of content.querySelectorAll('img')) {
    if (img.closest(chrome)) continue;
    const shown = img.getBoundingClientRect().width;
    if (img.naturalWidth >= MIN_FIGURE && shown > 0)
      figures.push({name: `img ${(img.getAttribute('src') || '').split('/').pop()}`, natural: img.naturalWidth,
                    shown, el: img});
  }
  for (const svg of content.querySelectorAll('svg')) {
    if (svg.closest(chrome) || svg.parentElement.closest('svg')) continue;
    let natural = 0;
    if (svg.hasAttribute('width') && !/%/.test(svg.getAttribute('width'))) natural = svg.width.baseVal.value;
    else if (svg.viewBox && svg.viewBox.baseVal && svg.viewBox.baseVal.width) natural = svg.viewBox.baseVal.width;
    const shown = svg.getBoundingClientRect().width;
    if (natural >= MIN_FIGURE && shown > 0) {
      const title = svg.querySelector('title');
      const label = (svg.id ? '#' + svg.id : '') + (title ? ' "' + title.textContent.trim().slice(0, 40) + '"' : '');
      figures.push({name: `svg${label}`, natural, shown, el: svg});
    }
  }
  for (const f of figures) {
    if (f.shown < MIN_SCALE * f.natural - 0.5)
      problems.push(`figure shown at ${Math.round(100 * f.shown / f.natural)}% of its natural width ` +
                    `(${Math.round(f.shown)} of ${Math.round(f.natural)} px; at least ${Math.round(100 * MIN_SCALE)}% ` +
                    `keeps it legible: make it narrower or turn it top-to-bottom): ${f.name}${where(f.el)}`);
  }

  // Display equations wider than their container: the reader would have to scroll sideways.
  const tex = new Map();
  try { for (const item of MathJax.startup.document.math) tex.set(item.typesetRoot, item.math); } catch (e) {}
  const displays = Array.from(content.querySelectorAll('mjx-container[display="true"]'));
  for (const mjx of displays) {
    const box = mjx.parentElement && mjx.parentElement.matches('.math, div.math') ? mjx.parentElement : mjx;
    const inner = mjx.querySelector(':scope > svg') || mjx.firstElementChild || mjx;
    const need = Math.max(inner.getBoundingClientRect().width, mjx.scrollWidth);
    const have = Math.min(box.clientWidth, mjx.clientWidth || box.clientWidth);
    if (have > 0 && need > have + 1) {
      const source = (tex.get(mjx) || box.textContent || '').replace(/\s+/g, ' ').trim();
      problems.push(`display equation wider than the page (${Math.round(need)} of ${Math.round(have)} px: it scrolls ` +
                    `sideways; split it over lines): ${source.slice(0, 80)}${where(mjx)}`);
    }
  }

  // The book's sidebar (Jupyter Book's primary navigation): the pages it shows, so a reader can reach every chapter.
  const sidebar = document.querySelector('nav.bd-docs-nav');
  const nav = sidebar ? Array.from(sidebar.querySelectorAll('a[href]'))
    .filter(a => !a.closest('details:not([open])') &&
                 (a.checkVisibility ? a.checkVisibility({visibilityProperty: true}) : a.getClientRects().length))
    .map(a => a.href.split('#')[0]) : null;
  return {problems, math: math.length, images: imgs.length, figures: figures.length, displays: displays.length,
          title: document.title, url: location.href.split('#')[0], nav};
}
"""
MIN_SCALE = 2 / 3    # a figure may be shown at no less than this fraction of its natural width
MIN_FIGURE = 50      # narrower images and svgs are icons, not figures


SEARCH_JS = r"""
async () => {
  const results = Array.from(document.querySelectorAll('#search-results ul.search > li'));
  // A page result (no description span) gets a snippet (p.context) fetched from the page; object results
  // (API entries: "Python method, in ...") show their description instead.
  const pagesFound = results.filter(li => !li.querySelector(':scope > span'));
  const withSnippet = pagesFound.filter(li => {
    const p = li.querySelector('p.context'); return p && p.textContent.trim().length > 0; });
  const status = document.querySelector('#search-results p, #search-results .search-summary');
  return {results: results.length, pages: pagesFound.length, snippets: withSnippet.length,
          missing: pagesFound.filter(li => !withSnippet.includes(li)).map(li => li.querySelector('a').getAttribute('href')),
          status: status ? status.innerText.trim() : ''};
}
"""


def check_search(browser, base, query, timeout=60):
    "Problems of the search page for `query` (see the module docstring)."
    problems = []
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.on("console", lambda m: m.type == "error" and problems.append(f"console error: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.goto(base + "search.html?q=" + urllib.parse.quote(query), wait_until="load")
    try:
        page.wait_for_function("() => /Search finished|did not match/.test("
                               "(document.querySelector('#search-results') || {}).innerText || '')", timeout=timeout * 1000)
    except Exception:                                # noqa: BLE001 - playwright's TimeoutError: reported below
        problems.append(f"the search did not finish within {timeout:g} s (no 'Search finished' message)")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)                       # the last snippet's fetch has landed; let it be drawn
    info = page.evaluate(SEARCH_JS)
    page.close()
    if not info["results"]:
        problems.append(f"no results for {query!r} ({info['status'] or 'no status message'})")
    elif not info["pages"]:
        problems.append(f"no page among the {info['results']} results for {query!r}")
    if info["missing"]:
        problems.append(f"{len(info['missing'])} of {info['pages']} page results without a snippet of the page's "
                        f"text (is the book opened through file://?), e.g. {', '.join(info['missing'][:3])}")
    return problems, info


def index_entries(root):
    "How many entries the general index (genindex.html) links to."
    path = root / "genindex.html"
    if not path.exists():
        return 0
    text = path.read_text(encoding="utf-8", errors="replace")
    tables = re.findall(r'<table[^>]*class="indextable[^"]*"[^>]*>(.*?)</table>', text, re.S)
    return sum(len(re.findall(r"<a href=", t)) for t in tables)


def serve(root):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("html_dir")
    ap.add_argument("--screenshots", default="_build/browser-check")
    ap.add_argument("--search", default="backward", metavar="QUERY",
                    help="the query the search page must answer with snippets ('' leaves search and index out)")
    ap.add_argument("--search-timeout", type=float, default=60, metavar="SECONDS",
                    help="how long the search may take to finish (60)")
    ap.add_argument("--file-urls", action="store_true", help="open pages through file:// instead of a local server")
    args = ap.parse_args()
    root = Path(args.html_dir).resolve()
    if not (root / "index.html").exists():
        sys.exit(f"browser check: {root}/index.html not found; build the book first (make book)")
    shots = Path(args.screenshots)
    shots.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    server = serve(root)
    base = root.as_uri() + "/" if args.file_urls else f"http://127.0.0.1:{server.server_address[1]}/"
    failures = {}
    todo = pages(root)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_ARGS)
        for page_path in todo:
            problems = [f"broken internal link: {b}" for b in broken_links(root, page_path)]
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m, p=problems: m.type == "error" and p.append(f"console error: {m.text}"))
            page.on("pageerror", lambda e, p=problems: p.append(f"page error: {e}"))
            page.on("requestfailed", lambda r, p=problems: p.append(f"request failed: {r.url} ({r.failure})"))
            page.on("response", lambda r, p=problems: r.status >= 400 and p.append(f"HTTP {r.status}: {r.url}"))
            page.goto(base + page_path, wait_until="load")
            page.wait_for_load_state("networkidle")
            js = PAGE_JS.replace("MIN_SCALE", repr(MIN_SCALE)).replace("MIN_FIGURE", repr(MIN_FIGURE))
            info = page.evaluate(js)
            problems += info["problems"]
            if info["nav"] is not None:       # a book page: its sidebar must show every page of the book
                shown = {urllib.parse.urljoin(base, u)[len(base):] for u in info["nav"] + [info["url"]]}
                hidden = [p for p in todo if p != "index.html" and p not in shown]
                if hidden:
                    problems.append(f"the sidebar does not show {len(hidden)} page(s) of the book: "
                                    + ", ".join(hidden[:5]))
            page.screenshot(path=str(shots / (page_path.replace("/", "__") + ".png")), full_page=False)
            page.close()
            status = "ok  " if not problems else "FAIL"
            print(f"{status} {page_path}: '{info['title']}', {info['math']} math ({info['displays']} display), "
                  f"{info['images']} images, {info['figures']} figures")
            if problems:
                failures[page_path] = problems
        if args.search:
            problems, info = check_search(browser, base, args.search, args.search_timeout)
            entries = index_entries(root)
            if not entries:
                problems.append("the general index (genindex.html) is missing or lists no entries")
            status = "ok  " if not problems else "FAIL"
            print(f"{status} search.html?q={args.search}: {info['results']} results, {info['pages']} pages, "
                  f"{info['snippets']} with a snippet; genindex.html: {entries} entries")
            if problems:
                failures["search.html"] = problems
            todo = todo + ["search.html"]
        else:
            print("search and general index: not checked (--search '')")
        browser.close()
    server.shutdown()
    for page_path, problems in failures.items():
        print(f"\n{page_path}:")
        for p in problems:
            print(f"  - {p}")
    print(f"\n{len(todo)} pages checked; screenshots in {shots}")
    print(f"browser-check: {len(todo) - len(failures)} passed, {len(failures)} failed")
    return 1 if failures or not todo else 0


if __name__ == "__main__":
    sys.exit(main())
