"""``explore``: one call that gives a live widget in a notebook and a working slider in the book.

A chapter writes ``tk.widgets.explore(draw, alt="...", rate=[0.1, 0.2], eta=[0, 0.01])``
where ``draw(**values)`` returns a matplotlib figure. The returned object carries two
representations of the same thing:

* a live ipywidgets ``interactive`` (one slider per parameter), which Jupyter,
  JupyterLab and Colab show when a kernel is attached; and
* a self-contained HTML slider over the whole parameter grid, pre-rendered as PNG
  frames with a few lines of inline JavaScript. The book (built HTML) shows this
  one: it needs neither a kernel nor the network.

The book's configuration tells myst-nb to prefer the HTML over the widget view.
"""

from __future__ import annotations

import base64
import html
import io
import itertools
import json
import sys
import uuid
from typing import Any, Callable, Sequence

from . import _validate

__all__ = ["Explorer", "explore"]

MAX_FRAMES = 48


class Explorer:
    """A parameter explorer; display it (last expression of a cell) to show it.

    Build it with :func:`explore`. Attributes: ``params`` (name -> list of values),
    ``frames`` (base64 PNGs in grid order, or ``None`` when not pre-rendered).
    """

    def __init__(self, fn: Callable[..., Any], params: dict[str, list], alt: str, *,
                 dpi: int, static: bool) -> None:
        self.fn = fn
        self.params = params
        self.alt = alt
        self.dpi = dpi
        self.frames = self._render_frames() if static else None
        self._widget = None

    # -- the static slider -------------------------------------------------------------------
    def _figure(self, values: dict[str, Any]):
        import matplotlib.pyplot as plt

        fig = self.fn(**values)
        if fig is None:  # the function drew into the current figure
            fig = plt.gcf()
        if not hasattr(fig, "savefig"):
            raise TypeError(f"fn must return a matplotlib Figure (or None), got {type(fig).__name__}")
        return fig

    def _render_frames(self) -> list[str]:
        import matplotlib.pyplot as plt

        frames = []
        for combo in itertools.product(*self.params.values()):
            fig = self._figure(dict(zip(self.params, combo)))
            buffer = io.BytesIO()
            fig.savefig(buffer, format="png", dpi=self.dpi, facecolor="white")
            plt.close(fig)
            frames.append(base64.b64encode(buffer.getvalue()).decode("ascii"))
        return frames

    def to_html(self) -> str:
        """The kernel-free slider: pre-rendered frames, one range input per parameter."""
        if self.frames is None:
            self.frames = self._render_frames()
        uid = "tk-explore-" + uuid.uuid4().hex[:10]
        controls = []
        for i, (name, values) in enumerate(self.params.items()):
            controls.append(
                f'<label style="display:block;margin:2px 0">'
                f'<code>{html.escape(name)}</code> '
                f'<input type="range" min="0" max="{len(values) - 1}" step="1" value="0" '
                f'data-index="{i}" aria-label="{html.escape(name)}" style="vertical-align:middle;width:14em"> '
                f'<span data-value="{i}">{html.escape(_label(values[0]))}</span></label>'
            )
        labels = [[_label(v) for v in values] for values in self.params.values()]
        names = list(self.params)
        script = f"""
<script>
(function() {{
  var root = document.getElementById({json.dumps(uid)});
  var frames = {json.dumps(self.frames)};
  var labels = {json.dumps(labels)};
  var names = {json.dumps(names)};
  var alt = {json.dumps(self.alt)};
  var inputs = root.querySelectorAll('input[type=range]');
  var img = root.querySelector('img');
  function update() {{
    var index = 0, parts = [];
    for (var i = 0; i < inputs.length; i++) {{
      var k = parseInt(inputs[i].value, 10);
      index = index * labels[i].length + k;
      root.querySelector('span[data-value="' + i + '"]').textContent = labels[i][k];
      parts.push(names[i] + ' = ' + labels[i][k]);
    }}
    img.src = 'data:image/png;base64,' + frames[index];
    img.alt = alt + ' (' + parts.join(', ') + ')';
  }}
  for (var i = 0; i < inputs.length; i++) {{ inputs[i].addEventListener('input', update); }}
  update();
}})();
</script>"""
        first_alt = self.alt + " (" + ", ".join(f"{n} = {lab[0]}" for n, lab in zip(names, labels)) + ")"
        return (
            f'<div class="tk-explore" id="{uid}" style="border:1px solid #ddd;padding:6px;border-radius:4px">'
            + "".join(controls)
            + f'<img src="data:image/png;base64,{self.frames[0]}" alt="{html.escape(first_alt)}" '
            f'style="max-width:100%;display:block;margin-top:4px">'
            + '<div style="font-size:80%;color:#555">Pre-rendered frames: move the sliders to see the '
            'other parameter values. Run the notebook for a live widget.</div>'
            + "</div>" + script
        )

    # -- the live widget ----------------------------------------------------------------------
    def widget(self):
        """The live ipywidgets ``interactive`` (created on first use)."""
        if self._widget is None:
            import ipywidgets
            import matplotlib.pyplot as plt
            from IPython.display import display

            def show(**values):
                fig = self._figure(values)
                display(fig)
                plt.close(fig)

            sliders = {
                name: ipywidgets.SelectionSlider(options=[(_label(v), v) for v in values], value=values[0],
                                                 description=name, continuous_update=False)
                for name, values in self.params.items()
            }
            self._widget = ipywidgets.interactive(show, **sliders)
        return self._widget

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, Any]:
        bundle: dict[str, Any] = {"text/plain": f"<Explorer over {', '.join(self.params)}>"}
        try:
            widget = self.widget()
        except ImportError:  # no ipywidgets: the HTML slider still works
            widget = None
        if widget is not None:
            bundle.update({k: v for k, v in _widget_view(widget).items() if k != "text/plain"})
        if self.frames is not None:
            bundle["text/html"] = self.to_html()
        return bundle


def _widget_view(widget: Any) -> dict[str, Any]:
    """The MIME bundle that shows a live widget, under ipywidgets 8 and 7.

    ipywidgets 8 widgets have ``_repr_mimebundle_``. Version 7, which Colab keeps because its
    front end renders 7's widgets without extra set-up, displays a widget through
    ``_ipython_display_`` only; its view is the same ``widget-view+json`` reference to the
    widget's model, built here.
    """
    if hasattr(widget, "_repr_mimebundle_"):
        data = widget._repr_mimebundle_()
        return data[0] if isinstance(data, tuple) else data
    return {"application/vnd.jupyter.widget-view+json":
            {"version_major": 2, "version_minor": 0, "model_id": widget.model_id}}


def _label(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def explore(fn: Callable[..., Any], *, alt: str, dpi: int = 72, max_frames: int = MAX_FRAMES,
            static: bool | None = None, **params: Sequence[Any]) -> Explorer:
    """Explore how a figure changes with its parameters.

    Parameters
    ----------
    fn : callable
        ``fn(**values)`` draws one figure for one value of each parameter and
        returns it (a ``matplotlib.figure.Figure``).
    alt : str
        Alt text describing the figure (the current parameter values are appended).
    dpi : int
        Resolution of the pre-rendered frames.
    max_frames : int
        Largest allowed grid (the product of the numbers of values); frames make the page heavier.
    static : bool, optional
        Pre-render the kernel-free HTML slider. Default: yes, except on Google Colab,
        where only the live widget is shown.
    **params : sequence
        One list of values per parameter, e.g. ``rate=[0.1, 0.2, 0.4]``. The first value is the initial one.

    Returns
    -------
    Explorer
        Display it (make it the last expression of a cell).

    Examples
    --------
    >>> import matplotlib.pyplot as plt, tk_lessons as tk
    >>> def draw(k):
    ...     fig, ax = plt.subplots()
    ...     ax.plot([x ** k for x in range(5)])
    ...     return fig
    >>> ex = tk.widgets.explore(draw, alt="powers of x", k=[1, 2])
    >>> len(ex.frames)
    2
    """
    _validate.function("fn", fn, "a callable fn(**values) that returns a matplotlib Figure")
    dpi = _validate.positive_int("dpi", dpi)
    max_frames = _validate.positive_int("max_frames", max_frames)
    if not isinstance(alt, str) or not alt.strip():
        raise ValueError("alt must be a non-empty description of the figure (alt text)")
    if not params:
        raise ValueError("explore needs at least one parameter, e.g. rate=[0.1, 0.2]")
    grid: dict[str, list] = {}
    for name, values in params.items():
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
            raise TypeError(f"{name} must be a list of values, got {type(values).__name__}")
        if len(values) == 0:
            raise ValueError(f"{name} must list at least one value, got an empty sequence")
        grid[name] = list(values)
    n_frames = 1
    for values in grid.values():
        n_frames *= len(values)
    if n_frames > max_frames:
        raise ValueError(f"the parameter grid has {n_frames} combinations, more than max_frames={max_frames}; "
                         "use fewer values (or raise max_frames)")
    static = "google.colab" not in sys.modules if static is None else _validate.flag("static", static)
    return Explorer(fn, grid, alt.strip(), dpi=dpi, static=static)
