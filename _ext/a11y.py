"""A Sphinx extension of the course: accessible "Show code" toggles.

MyST-NB folds a `hide-input` cell into ``<details><summary aria-label="Toggle hidden content">``
whose visible text is "Show code cell source". A name that leaves out the visible text fails
WCAG 2.5.3 (axe-core: label-content-name-mismatch) and confuses speech-input users, who say
what they see. MyST-NB has no option for that label, so this extension re-registers the same
HTML writer without the aria-label: the summary is then named by its visible text.
"""
from html import escape

from myst_nb.sphinx_ import HideCodeCellNode, depart_HideCellInput


def visit_hide_cell_input(self, node):
    classes = " ".join(node["classes"])
    self.body.append(f'<details class="admonition hide {classes}">\n')
    self.body.append("<summary>\n")
    self.body.append(f'<p class="collapsed admonition-title">{escape(node["prompt_show"])}</p>\n')
    self.body.append(f'<p class="expanded admonition-title">{escape(node["prompt_hide"])}</p>\n')
    self.body.append("</summary>\n")


def setup(app):
    app.setup_extension("myst_nb")
    app.add_node(HideCodeCellNode, override=True, html=(visit_hide_cell_input, depart_HideCellInput))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
