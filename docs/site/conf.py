"""Sphinx configuration of the documentation site. Built by `make docs` (tools/site.py), which writes
the pages from recipes.yml and the notebooks into a staging folder and runs Sphinx on it with this file.

Sphinx with myst-nb renders each notebook's stored outputs (text, tables, images) without running it;
Furo is the theme. Nothing is fetched from the network, at build time or when a page is shown."""

project = "AssemblyAI cookbook"
html_title = "AssemblyAI cookbook"
copyright = "the cookbook's authors"

extensions = ["myst_nb", "sphinx_copybutton"]

# A copy button on code cells (sphinx-copybutton, shipped with its own script: nothing from a CDN);
# outputs are not copied with the code.
copybutton_selector = "div.cell_input div.highlight pre, div.highlight-python pre, div.highlight-bash pre"
copybutton_exclude = ".linenos, .gp, .go"

# Notebooks are shown with the outputs they carry (the replay run stored by tools/record.py); never run.
nb_execution_mode = "off"
nb_merge_streams = True
# No widget, require.js or MathJax scripts from a CDN: the site must work on a closed network.
nb_ipywidgets_js = {}
myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 2

exclude_patterns = ["_extra", "_static", "**/.ipynb_checkpoints"]
html_extra_path = ["_extra"]  # the original .ipynb files, for the download links

html_theme = "furo"
html_static_path = ["_static"]
html_css_files = ["cookbook.css"]
html_js_files = ["cookbook.js"]  # the tag filter and search snippets (docs/site/_static/cookbook.js)
html_copy_source = False
html_show_sourcelink = False
html_last_updated_fmt = None
html_theme_options = {"navigation_with_keys": True}
html_favicon = "_static/favicon.svg"
