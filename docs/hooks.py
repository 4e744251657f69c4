"""MkDocs hooks: the notebooks and the figure gallery, added at build time.

- Every ``notebooks/*.ipynb`` at the repository root becomes a page (executed by
  mkdocs-jupyter) under a "Notebooks" section of the navigation, so a new notebook needs
  no change here or in ``mkdocs.yml``.
- Every ``python`` code block of the guide pages runs, in order, one namespace per page, in
  a temporary folder: an example that stops working fails the build. (Blocks tagged ``py``
  are shown, not run.)
- ``gallery.md`` is written from ``docs/gallery.py`` (every figure, drawn on bundled data),
  with plotly.js served once from ``assets/plotly.min.js``: the site works offline.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import io
import os
import re
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
PLOTLY_JS = "assets/plotly.min.js"


def _notebooks() -> list[Path]:
    return sorted(NOTEBOOKS.glob("*.ipynb"))


def _title(path: Path) -> str:
    """``01_iraq_syria_2023.ipynb`` -> ``01 iraq syria 2023``."""
    return path.stem.replace("_", " ")


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Append every notebook to the navigation; make the notebooks' figures HTML."""
    # The kernel inherits this: plotly then writes each figure as HTML (plotly.js once per
    # notebook, replaced by the site's copy in on_post_page) instead of a JSON mimetype
    # that nbconvert cannot render.
    os.environ["PLOTLY_RENDERER"] = "notebook"
    pages = [{_title(p): f"notebooks/{p.name}"} for p in _notebooks()]
    if pages:
        config.nav = [*(config.nav or []), {"Notebooks": pages}]
    return config


@functools.cache
def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def _gallery_module() -> Any:
    """Import ``docs/gallery.py`` (a script, not a package module)."""
    path = ROOT / "docs" / "gallery.py"
    spec = importlib.util.spec_from_file_location("_flashpoint_gallery", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@event_priority(100)  # before mkdocs-jupyter, which turns the notebook files into pages
def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add the notebooks, the gallery page and plotly.js to the site."""
    for path in _notebooks():
        # a plain File (not File.generated): mkdocs-jupyter reads abs_src_path from src_dir
        files.append(
            File(
                f"notebooks/{path.name}",
                src_dir=str(ROOT),
                dest_dir=config.site_dir,
                use_directory_urls=config.use_directory_urls,
            )
        )
    gallery = _gallery_module()
    # raw HTML is not rewritten by MkDocs: the path is relative to the page's own URL
    up = "../" if config.use_directory_urls else ""
    files.append(File.generated(config, "gallery.md", content=gallery.markdown(up + PLOTLY_JS)))
    files.append(File.generated(config, PLOTLY_JS, content=_plotly_js()))
    return files


_MATHJAX_CDN = re.compile(
    r'<script src="https://cdnjs\.cloudflare\.com/ajax/libs/mathjax/[^"]*"></script>'
)


_ROLE = re.compile(r":(?:func|class|meth|mod|data|attr|exc|obj|math):<code>~?([^<]+)</code>")


def on_page_content(html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Turn the docstrings' Sphinx roles into code, linked when the API page has the name."""
    if page.file.src_uri != "api.md":
        return html

    def link(match: re.Match[str]) -> str:
        target = match.group(1)
        name = target.removeprefix("flashpoint.")
        if "." not in name and f'id="flashpoint.{name}"' in html:
            return f'<a href="#flashpoint.{name}"><code>{target}</code></a>'
        return f"<code>{target}</code>"

    return _ROLE.sub(link, html)


def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    """Serve plotly.js to the notebook pages from the one local copy; drop the MathJax CDN."""
    if not page.file.src_uri.endswith(".ipynb"):
        return output
    plotly = _plotly_js()
    depth = page.url.count("/")  # e.g. "notebooks/01_x/" -> two levels below the site root
    local = f'</script><script src="{"../" * depth}{PLOTLY_JS}"></script><script>'
    return _MATHJAX_CDN.sub("", output.replace(plotly, local))


_CODE = re.compile(r"^```python\n(.*?)^```", flags=re.MULTILINE | re.DOTALL)
_RUN = re.compile(r"^(index|getting-started|guide/.*)\.md$")


def run_examples(markdown: str, name: str) -> None:
    """Run the page's ``python`` blocks in order, in a temporary folder."""
    namespace: dict[str, Any] = {"__name__": f"docs:{name}"}
    cwd = os.getcwd()
    with (
        tempfile.TemporaryDirectory() as tmp,
        warnings.catch_warnings(),
        contextlib.redirect_stdout(io.StringIO()),
    ):
        warnings.simplefilter("ignore")
        os.chdir(tmp)
        try:
            for number, block in enumerate(_CODE.findall(markdown), start=1):
                try:
                    exec(compile(block, f"{name}, block {number}", "exec"), namespace)
                except Exception as err:
                    raise PluginError(f"{name}: code block {number} fails: {err!r}") from err
        finally:
            os.chdir(cwd)


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Check that the page's examples run."""
    if _RUN.match(page.file.src_uri):
        run_examples(markdown, page.file.src_uri)
    return markdown


if __name__ == "__main__":  # python docs/hooks.py docs/guide/trend.md ...: run the examples
    for arg in sys.argv[1:]:
        run_examples(Path(arg).read_text(), arg)
        print(f"{arg}: ok")
