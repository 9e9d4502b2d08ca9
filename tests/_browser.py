"""A JupyterLab server on 127.0.0.1 and headless Debian chromium, for the browser tests.

Nothing here downloads anything: chromium is Debian's package (installed by
scripts/ensure_chromium.sh from `make test`), driven by playwright through
``executable_path``. Every request that leaves 127.0.0.1 is blocked and recorded.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def lab_server(root_dir: Path, home: Path):
    """Start ``jupyter lab`` serving ``root_dir``; yield its base URL; stop it."""
    port = free_port()
    settings = home / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True, exist_ok=True)
    # no "get Jupyter news?" pop-up: it would ask the network
    (settings / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))
    # pages opened one after another must not autosave over each other's notebooks
    docmanager = home / "settings" / "@jupyterlab" / "docmanager-extension"
    docmanager.mkdir(parents=True, exist_ok=True)
    (docmanager / "plugin.jupyterlab-settings").write_text(json.dumps({"autosave": False}))
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(home / "config"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"))
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           "--ServerApp.token=", "--ServerApp.password=", "--ServerApp.disable_check_xsrf=True",
           "--expose-app-in-browser", "--LabApp.news_url=", "--LabApp.extension_manager=readonly",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
           f"--ServerApp.root_dir={root_dir}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # CI runs as root
    log = open(home / "lab.log", "w")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 90
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError(f"jupyter lab did not start; see {home / 'lab.log'}:\n"
                                       + (home / "lab.log").read_text()[-3000:])
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


class OfflinePage:
    """A chromium page whose requests may only go to ``allowed`` prefixes; others are recorded."""

    def __init__(self, browser, allowed: tuple[str, ...], viewport: tuple[int, int] = (1300, 1000)):
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
        self.page.route("**/*", self._route)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.allowed = allowed + ("data:", "blob:")

    def _route(self, route):
        url = route.request.url
        if url.startswith(self.allowed):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()


# JavaScript run in the page: the open notebook's kernel state and its error outputs.
KERNEL_IDLE_JS = """() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.status === 'idle'; }"""
SHUTDOWN_JS = "() => window.jupyterapp.shell.currentWidget.sessionContext.shutdown()"
RUN_ALL_JS = "() => window.jupyterapp.commands.execute('notebook:run-all-cells')"
START_RUN_ALL_JS = "() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }"  # does not wait
SAVE_JS = "() => window.jupyterapp.commands.execute('docmanager:save')"
LAST_CELL_RUNNING_JS = """() => { const cells = window.jupyterapp.shell.currentWidget.content.model.cells;
  const code = []; for (let i = 0; i < cells.length; i++) if (cells.get(i).type === 'code') code.push(cells.get(i));
  const last = code[code.length - 1], prompts = document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt');
  return code.slice(0, -1).every(c => !!c.executionCount) && !last.executionCount
    && prompts[prompts.length - 1].textContent.includes('*'); }"""  # the others have run, the last shows [*]
DRAWN_OUTPUTS_JS = """() => Array.from(document.querySelectorAll('.jp-RenderedPlotly')).filter(n => {
  if (n.offsetParent === null) return false;                       // hidden
  const img = n.querySelector('img.plot-img');
  const picture = img && img.naturalWidth > 0 && getComputedStyle(img).display !== 'none';
  return picture || !!n.querySelector('.main-svg'); }).length"""  # plotly outputs showing a picture or a plot
SLIDER_ACTIVE_JS = "gd => gd._fullLayout.sliders[0].active"  # a plotly figure's time slider position
ERRORS_JS = """() => { const cells = window.jupyterapp.shell.currentWidget.content.model.cells; const errs = [];
  for (let i = 0; i < cells.length; i++) { const c = cells.get(i); if (c.type !== 'code') continue;
    for (let j = 0; j < c.outputs.length; j++) { const o = c.outputs.get(j).toJSON();
      if (o.output_type === 'error') errs.push(`cell ${i}: ${o.ename}: ${o.evalue}`); } }
  return errs; }"""
UNEXECUTED_JS = """() => { const cells = window.jupyterapp.shell.currentWidget.content.model.cells; let n = 0;
  for (let i = 0; i < cells.length; i++) { const c = cells.get(i);
    if (c.type === 'code' && c.sharedModel.getSource().trim() && !c.executionCount) n++; }
  return n; }"""

# A plotly figure's geometry, read in the page (``gd => ...``): its size, what lies outside it, and which labels
# overlap the slider, the Play buttons, the title or another panel. Boxes are client rects in px; a box touching
# another by under 1 px does not count. Names: "slider", "menu", "title", "plot xy" (a subplot's plot area),
# "xticks xy" (that subplot's x tick labels, one box), "xtitle"/"ytitle" (axis titles), "note k" (annotations),
# "colorbar k", "legend".
LAYOUT_JS = """gd => {
  const box = (el) => { const r = el.getBoundingClientRect(); return {l: r.left, t: r.top, r: r.right, b: r.bottom}; };
  const union = (bs) => bs.length ? {l: Math.min(...bs.map(b => b.l)), t: Math.min(...bs.map(b => b.t)),
                                     r: Math.max(...bs.map(b => b.r)), b: Math.max(...bs.map(b => b.b))} : null;
  const seen = (el) => { const r = el.getBoundingClientRect(); const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none' && el.textContent.trim() !== ''; };
  const items = [];
  const add = (name, kind, b) => { if (b) items.push({name, kind, ...b}); };
  gd.querySelectorAll('.slider-container').forEach((el, i) => add('slider', 'slider', box(el)));
  // each button and each dropdown's header on its own: plotly.js puts every menu in one container, whose box
  // would span the slider between Play (left) and a dropdown at the right
  gd.querySelectorAll('.updatemenu-container .updatemenu-button, .updatemenu-container .updatemenu-header-group')
    .forEach((el) => { if (seen(el)) add('menu', 'menu', box(el)); });
  gd.querySelectorAll('.g-gtitle text').forEach((el) => { if (seen(el)) add('title', 'title', box(el)); });
  gd.querySelectorAll('.draglayer > g').forEach((g) => {
    const d = g.querySelector('.nsewdrag'); if (d) add('plot ' + g.getAttribute('class'), 'plot', box(d)); });
  // tick groups are named after their axis (.xtick, .x2tick, .y3tick, ...): hence [class$="tick"]
  gd.querySelectorAll('.cartesianlayer > g.subplot').forEach((g) => {
    const id = Array.from(g.classList).find(c => c !== 'subplot');
    add('xticks ' + id, 'xticks', union(Array.from(g.querySelectorAll('.xaxislayer-above [class$="tick"] text')).filter(seen).map(box)));
  });
  gd.querySelectorAll('[class^="g-x"][class$="title"] text').forEach((el) => { if (seen(el)) add('xtitle ' + el.parentNode.getAttribute('class'), 'xtitle', box(el)); });
  gd.querySelectorAll('[class^="g-y"][class$="title"] text').forEach((el) => { if (seen(el)) add('ytitle ' + el.parentNode.getAttribute('class'), 'ytitle', box(el)); });
  gd.querySelectorAll('.annotation').forEach((el, i) => { if (seen(el)) add('note ' + i, 'note', box(el)); });
  gd.querySelectorAll('.colorbar').forEach((el, i) => add('colorbar ' + i, 'colorbar', box(el)));
  gd.querySelectorAll('.legend').forEach((el) => add('legend', 'legend', box(el)));
  const svg = gd.querySelector('.main-svg');
  const fig = box(svg || gd);                            // what plotly draws into: beyond it is cut off
  gd.querySelectorAll('.cartesianlayer > g.subplot').forEach((g) => {  // neighbouring tick labels on one axis
    const ticks = Array.from(g.querySelectorAll('.xaxislayer-above [class$="tick"] text'))
      .filter(el => seen(el) && !/rotate/.test(el.getAttribute('transform') || '')).map(box);   // flat labels
    ticks.sort((a, b) => a.l - b.l);
    for (let i = 1; i < ticks.length; i++)
      if (ticks[i].l < ticks[i - 1].r - 1 && Math.min(ticks[i].b, ticks[i - 1].b) - Math.max(ticks[i].t, ticks[i - 1].t) > 1) {
        items.push({name: 'colliding xticks', kind: 'collide', ...ticks[i]}); break; }
  });
  // y tick labels of stacked subplots (a gates view's rows): one row's bottom label must not touch the next row's top
  // label; a label box is its line height, so even boxes that only touch read as one run of digits
  // (labels of one axis, a heatmap's dense rows, are plotly's own spacing and are not compared)
  const yticks = [];
  gd.querySelectorAll('.cartesianlayer > g.subplot').forEach((g, k) =>
    g.querySelectorAll('.yaxislayer-above [class$="tick"] text').forEach((el) => { if (seen(el)) yticks.push({k, ...box(el)}); }));
  for (let i = 0; i < yticks.length; i++) for (let j = i + 1; j < yticks.length; j++) {
    const a = yticks[i], c = yticks[j];
    if (a.k === c.k) continue;
    if (Math.min(a.r, c.r) - Math.max(a.l, c.l) > 1 && Math.min(a.b, c.b) - Math.max(a.t, c.t) > -1) {
      items.push({name: 'colliding yticks', kind: 'collide', ...a}); i = yticks.length; break; }
  }
  const hit = (a, b) => Math.min(a.r, b.r) - Math.max(a.l, b.l) > 1 && Math.min(a.b, b.b) - Math.max(a.t, b.t) > 1;
  const pairs = {slider: ['menu', 'title', 'plot', 'xticks', 'xtitle', 'ytitle', 'note', 'colorbar', 'legend'],
                 menu: ['title', 'plot', 'xticks', 'xtitle', 'ytitle', 'note', 'colorbar', 'legend'],
                 title: ['plot', 'xticks', 'xtitle', 'note', 'colorbar', 'legend'],
                 note: ['note', 'xticks', 'xtitle'],
                 xticks: ['xtitle', 'xticks'], xtitle: ['plot']};
  const overlaps = [];
  for (let i = 0; i < items.length; i++) for (let j = 0; j < items.length; j++) {
    const a = items[i], b = items[j];
    if (i === j || !(pairs[a.kind] || []).includes(b.kind) || (a.kind === b.kind && j < i)) continue;
    if (hit(a, b)) overlaps.push(a.name + ' / ' + b.name);
  }
  // tick labels of one subplot on another subplot's plot area
  for (const a of items) for (const b of items)
    if (a.kind === 'xticks' && b.kind === 'plot' && a.name.slice(7) !== b.name.slice(5) && hit(a, b))
      overlaps.push(a.name + ' / ' + b.name);
  items.filter(b => b.kind === 'collide').forEach(b => overlaps.push(b.name));
  const outside = items.filter(b => b.l < fig.l - 1 || b.r > fig.r + 1 || b.t < fig.t - 1 || b.b > fig.b + 1)
                       .map(b => b.name);
  return {width: fig.r - fig.l, height: fig.b - fig.t, top: fig.t, overlaps, outside,
          kinds: items.map(b => b.kind)};
}"""

LAPTOP = (1366, 768)   # px: a laptop's browser window (the notebook area JupyterLab leaves is measured in the page)
# the notebook's visible area (below JupyterLab's menu, tabs and toolbar, above its status bar), in px
NOTEBOOK_AREA_JS = """() => { const w = window.jupyterapp.shell.currentWidget;
  const r = w.content.node.getBoundingClientRect(); return {width: r.width, height: r.height}; }"""
