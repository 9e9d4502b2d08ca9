"""The views in a real browser: JupyterLab on 127.0.0.1, headless chromium, no network.

1. A small notebook that shows an rnnviz view is run in JupyterLab: the plotly
   figure and the ipywidgets render, the time slider moves the figure, nothing
   is fetched from outside 127.0.0.1 and no requirejs is loaded.
2. Every course notebook in notebooks/ runs top to bottom in JupyterLab with
   no error and its views render.
3. A view exported to HTML draws and scrubs with every network request blocked.
Screenshots land in tests/artifacts/.
"""
from __future__ import annotations

import re
import shutil
import time
from contextlib import contextmanager
from pathlib import Path

import nbformat
import pytest
from playwright.sync_api import sync_playwright

from _browser import (ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, ERRORS_JS, KERNEL_IDLE_JS, RUN_ALL_JS,
                      SHUTDOWN_JS, UNEXECUTED_JS, OfflinePage, lab_server)
from conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

VIEW_CELL = """\
import torch, rnnviz
torch.manual_seed(0)
lstm = torch.nn.LSTM(3, 8, num_layers=2)
tokens = "the cat sat on the mat and then it ran off".split()
rnnviz.unroll_view(lstm, torch.randn(len(tokens), 3), tokens=tokens)"""


@pytest.fixture(scope="module")
def browser():
    """Headless Debian chromium, one for the whole module (playwright allows one sync loop)."""
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory, browser):
    """A copy of the course notebooks plus a view notebook, served by JupyterLab."""
    root = tmp_path_factory.mktemp("lab_root")
    for nb in NOTEBOOKS:
        shutil.copy(nb, root / nb.name)
    view_nb = nbformat.v4.new_notebook()
    view_nb.cells = [nbformat.v4.new_code_cell(VIEW_CELL)]
    view_nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(view_nb, root / "view_check.ipynb")
    with lab_server(root, tmp_path_factory.mktemp("lab_home")) as url:
        yield url, browser


@contextmanager
def notebook_page(url: str, browser, name: str, timeout_s: float):
    """Open ``name`` in JupyterLab, run all its cells, yield the page; then shut its
    kernel down and close the page, so the next notebook starts clean."""
    op = OfflinePage(browser, allowed=(url,))
    page = op.page
    try:
        # a workspace of its own per notebook, so no page restores another's open tabs
        page.goto(f"{url}/lab/workspaces/{Path(name).stem}/tree/{name}?reset")
        page.wait_for_function(KERNEL_IDLE_JS, timeout=90_000)
        page.evaluate(RUN_ALL_JS)  # resolves when the last cell has run (or one failed)
        deadline = time.time() + timeout_s
        while page.evaluate(UNEXECUTED_JS) and not page.evaluate(ERRORS_JS) and time.time() < deadline:
            time.sleep(0.5)
        page.wait_for_function(KERNEL_IDLE_JS, timeout=int(timeout_s * 1000))
        yield op
    finally:
        try:
            page.evaluate(SHUTDOWN_JS)
        finally:
            page.close()


def assert_offline(op: OfflinePage):
    assert op.blocked == [], f"the page tried to reach the network: {op.blocked[:5]}"
    assert op.page.evaluate("typeof window.requirejs") == "undefined", "requirejs was loaded"
    scripts = op.page.evaluate("Array.from(document.scripts).map(s => s.src).filter(Boolean)")
    assert not [s for s in scripts if "cdn" in s or "require" in s], scripts


def test_view_renders_and_slider_scrubs_time(served):
    url, browser = served
    with notebook_page(url, browser, "view_check.ipynb", timeout_s=120) as op:
        check_view_page(op)


def check_view_page(op: OfflinePage):
    page = op.page
    assert page.evaluate(ERRORS_JS) == []
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
    assert page.locator(".jupyter-widgets").count() >= 1, "no ipywidget rendered"
    heatmaps = page.locator(".js-plotly-plot .heatmaplayer .hm").count()
    assert heatmaps >= 2, f"expected one heatmap per layer, saw {heatmaps}"
    plot = page.locator(".js-plotly-plot").first
    time.sleep(1)
    before = plot.screenshot(path=str(ARTIFACTS / "view_before.png"))
    rail = page.locator(".slider-rail-rect").first.bounding_box()
    page.mouse.click(rail["x"] + rail["width"] * 0.9, rail["y"] + rail["height"] / 2)
    time.sleep(1.5)
    after = plot.screenshot(path=str(ARTIFACTS / "view_after.png"))
    assert before != after, "moving the time slider did not change the figure"
    page.screenshot(path=str(ARTIFACTS / "view_check_page.png"), full_page=True)
    assert_offline(op)
    assert op.errors == [], op.errors


def test_course_notebooks_exist():
    assert len(NOTEBOOKS) >= 1, "notebooks/ holds no course notebook"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_course_notebook_runs_in_jupyterlab(served, notebook: Path):
    url, browser = served
    with notebook_page(url, browser, notebook.name, timeout_s=300) as op:
        page = op.page
        errors = page.evaluate(ERRORS_JS)
        page.screenshot(path=str(ARTIFACTS / f"{notebook.stem}.png"), full_page=True)
        assert errors == [], errors
        assert page.evaluate(UNEXECUTED_JS) == 0, "some cells did not run"
        if "_view(" in notebook.read_text():
            page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
        assert_offline(op)


def test_exported_html_draws_offline(tmp_path, browser):
    import torch

    import rnnviz

    torch.manual_seed(0)
    gru = torch.nn.GRU(4, 16)
    fig = rnnviz.unroll_view(gru, torch.randn(20, 4))  # outside Jupyter: a plain figure
    path = tmp_path / "unroll.html"
    rnnviz.export_html(fig, path)
    page_html = path.read_text()
    assert not re.search(r"<script[^>]+src=[\"']?https?:", page_html), "the page loads a remote script"
    assert "plotly" in page_html.lower() and len(page_html) > 1_000_000, "plotly.js is not inlined"
    op = OfflinePage(browser, allowed=("file://",))
    try:
        op.page.goto(path.as_uri())
        op.page.wait_for_selector(".js-plotly-plot .main-svg", timeout=30_000)
        plot = op.page.locator(".js-plotly-plot").first
        before = plot.screenshot(path=str(ARTIFACTS / "export_before.png"))
        rail = op.page.locator(".slider-rail-rect").first.bounding_box()
        op.page.mouse.click(rail["x"] + rail["width"] * 0.9, rail["y"] + rail["height"] / 2)
        time.sleep(1)
        after = plot.screenshot(path=str(ARTIFACTS / "export_after.png"))
        assert before != after, "the exported page's slider did not change the figure"
        assert op.blocked == [] and op.errors == [], (op.blocked, op.errors)
    finally:
        op.page.close()
