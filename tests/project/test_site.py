"""The documentation site: built once from the registry and the notebooks' stored outputs (nothing is run),
served on loopback, and opened in headless Chromium (Debian's, driven by Playwright).

Screenshots of the landing page and the pilot recipe (of every recipe page with COOKBOOK_SCREENSHOTS=all, as
`make screenshots` sets) are saved to build/test-artifacts/. Without Chromium
the browser tests skip, except in CI (``CI`` set), where they fail."""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import io
import json
import os
import re
import shutil
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin

import nbformat
import pytest

from cookbook_utils import colab, registry
from cookbook_utils.network import serve_in_background
from tools import site as site_tool

# The site is built whole here, and its pages read, some in Chromium: make test-e2e.
pytestmark = pytest.mark.end_to_end

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = registry.load(ROOT)
PILOT = "speaker-labels"
ARTIFACTS = ROOT / "build" / "test-artifacts"
CHROMIUM = Path(os.environ.get("COOKBOOK_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
IMAGE_TYPES = ("image/png", "image/jpeg", "image/svg+xml", "image/gif")


def _page_of(recipe: registry.Recipe) -> str:
    return f"{recipe.category}/{recipe.slug}.html"


def _image_outputs(notebook: Path) -> int:
    nb = json.loads(notebook.read_text())
    return sum(
        1
        for cell in nb["cells"]
        for output in cell.get("outputs", [])
        if any(kind in output.get("data", {}) for kind in IMAGE_TYPES)
    )


def _text(page_html: str) -> str:
    """The visible text of a page, roughly: tags dropped, entities decoded, spaces collapsed."""
    text = re.sub(r"<script\b.*?</script>|<style\b.*?</style>", " ", page_html, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", text)).split())


SITE_CACHE = ROOT / "build" / "test-site"


def _site_key() -> str:
    """A digest of what decides which pages exist and how every page is made: the registry and the site
    tool. Sphinx's own cache redoes the pages whose notebook changed; a new key starts from nothing."""
    inputs = [ROOT / "recipes.yml", ROOT / "recipes.schema.json", ROOT / "tools" / "site.py"]
    inputs += sorted(p for p in site_tool.CONF_DIR.rglob("*") if p.is_file())  # conf.py and _static/
    digest = hashlib.sha256()
    for path in inputs:
        digest.update(path.as_posix().encode() + path.read_bytes())
    return digest.hexdigest()[:16]


@pytest.fixture(scope="module")
def site() -> Path:
    """The real site, built into build/test-site/<key>/: from nothing when the registry or the site tool
    changed (older keys are removed), else with Sphinx's cache of the last test run (about half the time)."""
    key = _site_key()
    for old in SITE_CACHE.glob("*"):
        if old.name != key:
            shutil.rmtree(old, ignore_errors=True)
    folder = SITE_CACHE / key
    return site_tool.build(folder / "html", folder / "work", root=ROOT).parent


# --- the built files ----------------------------------------------------------------------------


def test_every_section_and_recipe_has_a_page(site):
    landing = (site / "index.html").read_text()
    for category in REGISTRY.used_categories():
        assert (site / category.slug / "index.html").is_file()
        assert f'href="{category.slug}/index.html"' in landing
    for recipe in REGISTRY.recipes:
        assert (site / _page_of(recipe)).is_file()
        assert f'href="{_page_of(recipe)}"' in landing, f"{recipe.slug} is missing from the landing page"
    unused = {c.slug for c in REGISTRY.categories} - {c.slug for c in REGISTRY.used_categories()}
    assert not any((site / slug).exists() for slug in unused), "a section without recipes got a page"


@pytest.mark.parametrize("recipe", REGISTRY.recipes, ids=lambda r: r.slug)
def test_recipe_pages_show_the_stored_outputs(site, recipe):
    text = _text((site / _page_of(recipe)).read_text())
    nb = nbformat.read(ROOT / recipe.notebook, as_version=4)
    lines = [
        line.strip()
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "stream"
        for line in output.text.splitlines()
        if line.strip()
    ]
    assert lines, "a recipe without printed output"
    missing = [line for line in lines if " ".join(line.split()) not in text]
    assert not missing, f"stored outputs not on the page: {missing[:3]}"
    assert "Mode: replay" in text


@pytest.mark.parametrize("recipe", REGISTRY.recipes, ids=lambda r: r.slug)
def test_recipe_pages_say_when_and_against_what_they_were_last_recorded(site, recipe):
    from cookbook_utils.recording import read_provenance

    provenance = read_provenance(ROOT / "data" / "cassettes" / f"{recipe.slug}.yaml")
    assert provenance.get("recorded_on") and provenance.get("source"), f"{recipe.slug}: a cassette without provenance"
    text = _text((site / _page_of(recipe)).read_text())
    where = "the cookbook's local emulator of the API" if provenance["source"] == "emulator" else provenance["source"]
    assert f"Last recorded: {provenance['recorded_on']}, against {where}" in text


def test_the_recording_line_names_the_source():
    assert site_tool.recording_line({"source": "api.assemblyai.com", "recorded_on": "2026-01-02"}) == (
        "2026-01-02, against the real API (api.assemblyai.com)"
    )
    assert site_tool.recording_line({}) == "not recorded yet"


@pytest.mark.parametrize("recipe", REGISTRY.recipes, ids=lambda r: r.slug)
def test_recipe_pages_link_to_colab_and_to_the_notebook(site, recipe):
    page = (site / _page_of(recipe)).read_text()
    url = colab.colab_url(recipe.notebook)  # None when the cookbook is unpublished: then no Colab link at all
    if url:
        assert f'class="colab-link" href="{html.escape(url)}"' in page
    else:
        assert 'class="colab-link"' not in page and "colab.research.google.com" not in page
    assert f'class="download-link" href="{recipe.slug}.ipynb" download' in page
    assert (site / recipe.category / f"{recipe.slug}.ipynb").read_bytes() == (ROOT / recipe.notebook).read_bytes()


@pytest.mark.parametrize("recipe", REGISTRY.recipes, ids=lambda r: r.slug)
def test_recipe_pages_say_how_to_run_them_and_link_the_provenance_page(site, recipe):
    page = (site / _page_of(recipe)).read_text()
    text = _text(page)
    assert f'href="../{site_tool.HOW_PAGE}.html"' in page, "the recording line links how these recipes run"
    assert "Run it: Clone the cookbook" in text and "make lab" in text, "the page says how to run the recipe"
    assert "The downloaded notebook alone does not run" in text, "the page says what the download alone needs"
    assert "What it needs:" not in text, "the needs are the notebook's own What you need section"


def test_no_page_shows_the_cookbooks_machinery(site):
    found = {}
    for path in sorted(site.rglob("*.html")):
        text = _text(path.read_text())
        hits = [m for m in ("tools/registry.py", "written by tools", "recipes.yml, written") if m in text]
        if hits:
            found[path.relative_to(site).as_posix()] = hits
    assert not found, f"pages that name the cookbook's own tools in a reader's view (run `make registry`): {found}"


def test_the_provenance_page_explains_the_emulator_reference_answers_and_voices(site):
    how = site / f"{site_tool.HOW_PAGE}.html"
    text = _text(how.read_text())
    for words in ("Replay", "Live", "local emulator", "Reference answers", "Synthetic voices", "make record NOTEBOOK="):
        assert words in text, f"{how.name} does not explain {words!r}"
    assert f'href="{site_tool.HOW_PAGE}.html"' in (site / "index.html").read_text(), "the landing page links it"


def test_no_page_links_another_repository_than_the_published_one(site):
    from tests.project.test_colab_links import foreign_links

    repo = colab.published_repo(ROOT)
    found = {}
    for path in sorted(site.rglob("*.html")):
        if links := foreign_links(path.read_text(), repo):
            found[path.relative_to(site).as_posix()] = links[:2]
    assert not found, f"links to another repository than {repo or 'none (unpublished)'}: {found}"


EXTERNAL_LOAD = re.compile(
    r"<(?:script|img|iframe|source|video|audio)\b[^>]*\bsrc=[\"']?(?:https?:)?//"
    r"|<link\b[^>]*\bhref=[\"']?(?:https?:)?//[^>]*>"
    r"|@import\s+(?:url\()?[\"']?(?:https?:)?//|url\([\"']?(?:https?:)?//",
    re.I,
)


def test_no_page_or_stylesheet_loads_anything_from_the_network(site):
    loads = []
    for path in sorted(site.rglob("*")):
        if path.suffix in {".html", ".css", ".js"}:
            loads += [f"{path.relative_to(site)}: {m.group(0)[:80]}" for m in EXTERNAL_LOAD.finditer(path.read_text())]
    assert not loads, "resources fetched from the internet:\n" + "\n".join(loads)
    assert EXTERNAL_LOAD.search('<script src="https://cdn.example/x.js">'), "the check itself must be able to fail"


def test_a_second_build_rewrites_nothing(site):
    work = site.parent / "work"
    before = {p: p.stat().st_mtime_ns for p in (work / "src").rglob("*") if p.is_file()}
    assert site_tool.stage(ROOT, work / "src") == 0
    assert {p: p.stat().st_mtime_ns for p in (work / "src").rglob("*") if p.is_file()} == before


# --- in the browser -----------------------------------------------------------------------------


def _browser_or_skip() -> None:
    reasons = []
    if not CHROMIUM.exists():
        reasons.append(f"{CHROMIUM} is absent (Debian package chromium; `make setup` installs it)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        reasons.append("playwright is not installed (the test extra; `make setup` installs it)")
    if reasons:
        if os.environ.get("CI"):
            pytest.fail("the browser test must run in CI: " + "; ".join(reasons))
        pytest.skip("; ".join(reasons))


@pytest.fixture(scope="module")
def browser():
    _browser_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output clean
        pass


@functools.cache
def _no_proxy_opener():
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _serve(folder: Path) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(folder)))
    serve_in_background(server)
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def server(site) -> Iterator[str]:
    yield from _serve(site)


def _status(url: str) -> int:
    try:
        with _no_proxy_opener().open(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


class Visit:
    """A browser page that records console errors, failed loads, and any request off the site."""

    def __init__(self, browser, base: str):
        self.base, self.errors, self.external = base, [], []
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(f"console: {m.text} {m.location}"))
        self.page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        # A request cancelled because the tour moved on to the next page (the favicon, fetched after the
        # load event) is not a failure; a missing file shows as an HTTP error below.
        self.page.on(
            "requestfailed",
            lambda r: r.failure != "net::ERR_ABORTED" and self.errors.append(f"failed: {r.url} {r.failure}"),
        )
        self.page.on("response", lambda r: r.status >= 400 and self.errors.append(f"HTTP {r.status}: {r.url}"))
        self.page.route("**/*", self._only_loopback)

    def _only_loopback(self, route):
        if route.request.url.startswith(self.base):
            route.continue_()
        else:
            self.external.append(route.request.url)
            route.abort()

    def open(self, url: str):
        """Open a page and wait for its load event (every stylesheet, script and image has arrived:
        the pages are static files, so nothing loads later)."""
        before = len(self.errors)
        response = self.page.goto(url, wait_until="load")
        assert response is not None and response.status == 200, f"{url}: {response and response.status}"
        return [f"{url}: {e}" for e in self.errors[before:]]


def _shown_images(page) -> list[int]:
    """The natural widths of the images in a page's cell outputs (0 for an image that did not load)."""
    return page.eval_on_selector_all(".cell_output img", "els => els.map(e => e.complete ? e.naturalWidth : 0)")


def _tables_and_figures(page) -> dict:
    """Tables and images in a page's cell outputs that are visible: laid out with a size."""
    return page.evaluate(
        """() => {
          const shown = sel => [...document.querySelectorAll(sel)].filter(e => {
            const r = e.getBoundingClientRect(); return r.width > 50 && r.height > 20; }).length;
          return {images: shown(".cell_output img"), tables: shown(".cell_output table")};
        }"""
    )


def _code_wider_than_its_column(page) -> list[str]:
    """The start of each code block that scrolls sideways (at the tour's 1280 px): its longest line."""
    return page.eval_on_selector_all(
        ".cell_input pre, div.highlight-python pre",
        """els => els.filter(e => e.scrollWidth > e.clientWidth + 1).map(e =>
             e.textContent.split("\\n").reduce((a, b) => b.length > a.length ? b : a, "").slice(0, 60))""",
    )


def _screenshot_recipes() -> list[registry.Recipe]:
    """The pilot's page, or every recipe's with COOKBOOK_SCREENSHOTS=all (`make screenshots`): a full-page
    screenshot costs about a second, so the suite takes two and a reviewer asks for the rest."""
    if os.environ.get("COOKBOOK_SCREENSHOTS") == "all":
        return list(REGISTRY.recipes)
    return [REGISTRY.recipe(PILOT)]


@dataclass
class Tour:
    """Every page of the site reached by following links from the landing page, each opened once."""

    errors: list[str] = field(default_factory=list)  # console errors, failed loads, HTTP errors
    external: list[str] = field(default_factory=list)  # requests off the site (aborted)
    statuses: dict[str, int] = field(default_factory=dict)  # every internal link target -> HTTP status
    anchors: list[tuple[str, str, str]] = field(default_factory=list)  # (page linking, page linked, fragment)
    ids: dict[str, set[str]] = field(default_factory=dict)  # page -> the ids in it
    images: dict[str, list[int]] = field(default_factory=dict)  # page -> natural widths of output images
    shown: dict[str, dict] = field(default_factory=dict)  # page -> visible tables and figures
    wide_code: dict[str, list[str]] = field(default_factory=dict)  # page -> code lines cut at the column's edge


@pytest.fixture(scope="module")
def tour(browser, server) -> Tour:
    """Open every page once (a breadth-first walk of the internal links), record what each shows, and
    screenshot the landing page and every recipe page into build/test-artifacts/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shots = {server + "index.html": "site-landing.png"}
    shots |= {server + _page_of(r): f"site-{r.slug}.png" for r in _screenshot_recipes()}
    visit, found, queue = Visit(browser, server), Tour(), [server + "index.html"]
    while queue and len(found.ids) < 200:
        url = queue.pop(0)
        if url in found.ids:
            continue
        found.errors += visit.open(url)
        page = visit.page
        found.ids[url] = set(page.eval_on_selector_all("[id]", "els => els.map(e => e.id)"))
        found.images[url] = _shown_images(page)
        found.shown[url] = _tables_and_figures(page)
        found.wide_code[url] = _code_wider_than_its_column(page)
        if url in shots:
            (ARTIFACTS / shots[url]).unlink(missing_ok=True)
            page.screenshot(path=str(ARTIFACTS / shots[url]), full_page=True)
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            target, fragment = urldefrag(href)
            if not target.startswith(server):
                continue
            if target not in found.statuses:
                found.statuses[target] = _status(target)
            if fragment and not fragment.startswith("tag="):  # #tag=<tag> is the card filter's state, not an anchor
                found.anchors.append((url, target, fragment))
            if found.statuses[target] == 200 and target.endswith((".html", "/")) and target not in found.ids:
                queue.append(target if target.endswith(".html") else urljoin(target, "index.html"))
    found.external = visit.external
    visit.page.close()
    return found


def test_every_page_loads_without_errors_and_every_internal_link_resolves(tour, server):
    expected = {server + "index.html"}
    expected |= {f"{server}{c.slug}/index.html" for c in REGISTRY.used_categories()}
    expected |= {server + _page_of(r) for r in REGISTRY.recipes}
    assert expected <= set(tour.ids), f"pages not reached by links: {sorted(expected - set(tour.ids))}"
    assert not tour.errors, "errors in the browser:\n" + "\n".join(tour.errors)
    assert not tour.external, f"requests off the site: {tour.external}"
    broken = {url: status for url, status in tour.statuses.items() if status != 200}
    assert not broken, f"internal links that do not resolve: {broken}"
    unanchored = [
        f"{page} -> {target}#{frag}" for page, target, frag in tour.anchors if frag not in tour.ids.get(target, ())
    ]
    assert not unanchored, "links to anchors that do not exist:\n" + "\n".join(unanchored)


@pytest.mark.parametrize("recipe", REGISTRY.recipes, ids=lambda r: r.slug)
def test_code_fits_its_column_at_1280_px(tour, server, recipe):
    wide = tour.wide_code[server + _page_of(recipe)]
    assert not wide, (
        f"{recipe.slug}: code blocks scroll sideways at 1280 px (lines over the notebooks' line length, "
        f"notebooks/ruff.toml): {wide}; run `ruff format notebooks` and wrap the strings and comments ruff reports"
    )


@pytest.mark.parametrize("recipe", REGISTRY.recipes, ids=lambda r: r.slug)
def test_every_stored_image_is_shown_on_its_page(tour, server, recipe):
    widths = tour.images[server + _page_of(recipe)]
    assert len(widths) == _image_outputs(ROOT / recipe.notebook)
    assert all(w > 0 for w in widths), f"images that did not load: {widths}"


def test_at_least_five_recipes_show_a_figure_or_a_table_on_their_page(tour, server):
    showing = {}
    for recipe in REGISTRY.recipes:
        found = tour.shown[server + _page_of(recipe)]
        if found["images"] or found["tables"]:
            showing[recipe.slug] = found
    assert len(showing) >= min(5, len(REGISTRY.recipes)), f"only these pages show a figure or a table: {showing}"


def test_screenshots_of_the_landing_page_and_the_pilot(tour):
    names = ["site-landing.png", *(f"site-{r.slug}.png" for r in _screenshot_recipes())]
    assert f"site-{PILOT}.png" in names
    for name in names:
        assert (ARTIFACTS / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        assert (ARTIFACTS / name).stat().st_size > 10_000, name


def test_code_cells_have_a_copy_button_and_outputs_wrap(browser, server):
    visit = Visit(browser, server)
    assert visit.open(server + _page_of(REGISTRY.recipe(PILOT))) == []
    page = visit.page
    cells = page.locator(".cell_input").count()
    buttons = page.locator(".cell_input button.copybtn").count()
    assert cells > 3 and buttons == cells, f"{buttons} copy buttons for {cells} code cells"
    wrapping = page.eval_on_selector_all(
        ".cell_output pre", "els => els.map(e => [getComputedStyle(e).whiteSpace, e.scrollWidth <= e.clientWidth + 1])"
    )
    assert wrapping and all(ws == "pre-wrap" and fits for ws, fits in wrapping), wrapping
    visit.page.close()


def test_the_table_of_contents_shows_beside_the_text_at_1280_px(browser, server):
    visit = Visit(browser, server)
    assert visit.open(server + _page_of(REGISTRY.recipe(PILOT))) == []
    box = visit.page.locator(".toc-drawer").bounding_box()
    content = visit.page.locator(".content").bounding_box()
    assert visit.page.locator(".toc-drawer .toc-tree a").count() > 3
    assert box is not None and box["width"] > 150 and box["x"] + box["width"] <= 1281, box
    assert content["x"] + content["width"] <= box["x"] + 1, "the text runs under the table of contents"
    assert visit.page.locator(".toc-drawer").is_visible()
    visit.page.close()


def test_module_names_are_not_underlined_in_dark_mode(browser, server):
    page = browser.new_page(viewport={"width": 1280, "height": 900}, color_scheme="dark")
    page.goto(server + _page_of(REGISTRY.recipe(PILOT)), wait_until="load")
    decorations = page.eval_on_selector_all(
        ".highlight .nn, code.literal", "els => els.map(e => getComputedStyle(e).textDecorationLine)"
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"site-{PILOT}-dark.png"))
    page.close()
    assert decorations and set(decorations) == {"none"}, set(decorations)


def test_the_pilot_page_offers_colab_or_the_download_under_its_title(browser, server):
    visit = Visit(browser, server)
    pilot = REGISTRY.recipe(PILOT)
    assert visit.open(server + _page_of(pilot)) == []
    if colab.published_repo():
        assert visit.page.locator("a.colab-link").inner_text() == "Open in Colab"
    else:  # unpublished: the download is the way out of the page
        assert visit.page.locator("a.colab-link").count() == 0
    assert visit.page.locator("a.download-link").inner_text() == "Download the notebook (.ipynb)"
    assert visit.page.locator("h1").first.inner_text().startswith(pilot.title)
    visit.page.close()


def test_the_landing_page_shows_a_card_per_recipe_and_its_tags_filter_them(browser, server):
    visit = Visit(browser, server)
    assert visit.open(server + "index.html") == []
    page = visit.page
    cards = page.locator(".recipe-card")
    assert cards.count() == len(REGISTRY.recipes)
    first = REGISTRY.recipes[0]
    card = page.locator(f'.recipe-card:has(a[href="{_page_of(first)}"])')
    assert first.description in card.inner_text(), "a card shows its recipe's purpose"
    assert "Recorded " in card.inner_text(), "a card shows its last recording"
    tag = page.locator("button.tag-filter[data-tag]:not([data-tag=''])").first
    name = tag.get_attribute("data-tag")
    tag.click()
    tagged = {r.slug for r in REGISTRY.recipes if name in r.tags}  # tags may hold spaces ("llm gateway")
    shown = page.eval_on_selector_all(
        ".recipe-card:not([hidden]) a.recipe-card-title", "els => els.map(e => e.getAttribute('href'))"
    )
    assert {href.rsplit("/", 1)[-1].removesuffix(".html") for href in shown} == tagged, (name, shown)
    assert page.locator(".recipe-card:not([hidden])").count() == len(tagged) < len(REGISTRY.recipes)
    assert "#tag=" in page.url
    page.locator("button.tag-filter[data-tag='']").click()
    assert page.locator(".recipe-card:not([hidden])").count() == len(REGISTRY.recipes)
    # A recipe page's tag link opens the landing page filtered by that tag.
    pilot = REGISTRY.recipe(PILOT)
    assert visit.open(server + _page_of(pilot)) == []
    page.locator(".recipe-facts a.tag").first.click()
    page.wait_for_load_state("load")
    chosen = page.locator("button.tag-filter[aria-pressed='true']")
    label = unquote(page.url.split("#tag=", 1)[1])
    assert page.locator(".recipe-card:not([hidden])").count() == sum(label in r.tags for r in REGISTRY.recipes)
    assert chosen.count() <= 1
    visit.page.close()


def _first_sentence(recipe: registry.Recipe) -> str:
    """The first sentence of the recipe's introduction: the text after its title in the first cell."""
    nb = nbformat.read(ROOT / recipe.notebook, as_version=4)
    intro = nb.cells[0].source.split("\n", 1)[1].strip()
    text = " ".join(re.sub(r"[`*_]|\[([^]]*)\]\([^)]*\)", r"\1", intro).split())
    return re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]


def test_search_ranks_recipes_by_title_and_snippets_start_with_their_own_text(browser, server):
    pilot = REGISTRY.recipe(PILOT)
    visit = Visit(browser, server)
    assert visit.open(server + "search.html?q=speaker+labels") == []
    page = visit.page
    page.wait_for_selector("#search-results ul.search li p.context", timeout=30_000)
    results = page.locator("#search-results ul.search li")
    hrefs = [results.nth(i).locator("a").first.get_attribute("href").split("?")[0] for i in range(results.count())]
    titles = [results.nth(i).locator("a").first.inner_text() for i in range(min(3, results.count()))]
    assert not any(h.endswith(("index.html", "/")) for h in hrefs), f"landing or section pages in the results: {hrefs}"
    assert all("speaker labels" in t.lower() for t in titles[:2]), f"recipes titled with the words come first: {titles}"
    mine = next(i for i, h in enumerate(hrefs) if h.endswith(_page_of(pilot)))
    assert mine < 3, f"{pilot.title!r} is result {mine + 1}: {titles}"
    snippet = " ".join(results.nth(mine).locator("p.context").inner_text().split())
    assert snippet.startswith(_first_sentence(pilot)[:40]), (snippet[:120], _first_sentence(pilot))
    assert "Download the notebook" not in snippet and "Section:" not in snippet
    visit.page.close()


@pytest.mark.parametrize(
    ("query", "slug"),
    [("EU region", "eu-data-residency"), ("pyannote", "pyannote-speaker-labels"), ("presigned", "s3-presigned-url")],
)
def test_search_puts_the_recipe_a_query_names_first(browser, server, query, slug):
    """Other readers' queries: a word of one recipe's title (or its tool) finds that recipe first."""
    visit = Visit(browser, server)
    assert visit.open(server + "search.html?q=" + query.replace(" ", "+")) == []
    visit.page.wait_for_selector("#search-results ul.search li p.context", timeout=30_000)
    first = visit.page.locator("#search-results ul.search li a").first.get_attribute("href").split("?")[0]
    assert first.endswith(_page_of(REGISTRY.recipe(slug))), f"{query!r}: first result {first}"
    visit.page.close()


def _screenshot_pages() -> dict[str, str]:
    """The landing page and three recipes (the pilot, a table-heavy one, a streaming one)."""
    pages = {"landing": "index.html"}
    for slug in (PILOT, "google-drive-links", "streaming-transcription"):
        if slug in {r.slug for r in REGISTRY.recipes}:
            pages[slug] = _page_of(REGISTRY.recipe(slug))
    return pages


@pytest.mark.parametrize(("width", "scheme"), [(1280, "light"), (390, "light"), (1280, "dark")])
def test_screenshots_at_desktop_and_phone_width_and_in_dark_mode(browser, server, width, scheme):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": width, "height": 900}, color_scheme=scheme)
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    for name, address in _screenshot_pages().items():
        page.goto(server + address, wait_until="load")
        overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"{name} at {width} px is {overflow} px wider than the screen"
        shot = ARTIFACTS / f"site-{name}-{width}-{scheme}.png"
        page.screenshot(path=str(shot))
        assert shot.stat().st_size > 10_000, shot
    page.close()
    assert not problems, problems


# --- a plot in a stored output, on a throwaway project ------------------------------------------


def _plot_png() -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(4, 2))
    axes.barh(["A", "B"], [62, 38])
    axes.set_xlabel("talk time (%)")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def plot_site(tmp_path_factory) -> Path:
    """A one-recipe project whose notebook stored a plot and a printed line, and whose code would fail if
    the build ran it."""
    project = tmp_path_factory.mktemp("plot-project")
    (project / "data").mkdir()
    (project / "recipes.yml").write_text(
        "categories:\n  - {slug: speakers, title: Speakers, description: Who spoke when.}\n"
        "recipes:\n  - {slug: plot-demo, title: Plot demo, category: speakers, description: A stored chart.}\n"
    )
    cell = nbformat.v4.new_code_cell('raise RuntimeError("the site build must not run notebooks")', execution_count=1)
    png = base64.b64encode(_plot_png()).decode()
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="stored output 42\n"),
        nbformat.v4.new_output("display_data", data={"image/png": png, "text/plain": "<Figure>"}),
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Plot demo\n\nA chart."), cell])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    (project / "notebooks" / "speakers").mkdir(parents=True)
    nbformat.write(nb, project / "notebooks" / "speakers" / "plot-demo.ipynb")
    return site_tool.build(project / "site", project / "work", root=project).parent


def test_a_stored_plot_is_shown_as_an_image_without_running_the_notebook(browser, plot_site):
    assert _image_outputs(next(plot_site.parent.rglob("plot-demo.ipynb"))) == 1
    for base in _serve(plot_site):
        visit = Visit(browser, base)
        assert visit.open(base + "speakers/plot-demo.html") == []
        widths = _shown_images(visit.page)
        text = visit.page.locator("article").inner_text()
        visit.page.close()
    assert widths == [400], "the 4-inch-wide plot at 100 dpi"
    assert "stored output 42" in text and "must not run" in text


def test_the_build_refuses_a_registry_that_disagrees_with_the_notebooks(tmp_path):
    shutil.copy(ROOT / "recipes.yml", tmp_path)
    shutil.copy(ROOT / "recipes.schema.json", tmp_path)
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    (tmp_path / "data").mkdir()
    shutil.copy(tmp_path / REGISTRY.recipe(PILOT).notebook, tmp_path / "notebooks" / "speakers" / "extra.ipynb")
    with pytest.raises(site_tool.SiteBuildError, match="extra.ipynb has no entry in recipes.yml"):
        site_tool.build(tmp_path / "site", tmp_path / "work", root=tmp_path)
    assert not (tmp_path / "site").exists()
