"""The building blocks every lungxray PDF is made of: reportlab platypus flowables.

Why reportlab's platypus: the reports used to be matplotlib pages with text placed at fixed
coordinates, and text ran into figures whenever it was longer than planned. Platypus is a
flowing layout: paragraphs wrap to the frame, tables wrap their cells and grow, and whatever
does not fit moves to the next page, so nothing can be drawn over anything else. It is the
long-maintained PDF library of the Python world (BSD, pure Python, wheels for every
platform, no system libraries, unlike HTML-to-PDF routes through cairo/pango), and it writes
the same bytes for the same input in its invariant mode (fixed dates and document id).

Figures are matplotlib (seaborn, used before for heatmaps only, is no longer needed) and are
embedded as vector graphics: matplotlib writes SVG (text as paths, ``svg.hashsalt`` and the date
fixed, so the same figure gives the same SVG) and svglib turns it into a reportlab drawing. Against
PNG at a fixed dpi: sharp at any zoom (a reviewer zooms into small tick labels and annotated counts),
about half the bytes in committed PDFs, and no anti-aliasing noise in diffs; svglib is pure Python
(with lxml) and adds no system library. Heatmaps stay raster inside the SVG, as matplotlib draws
them. Text is set in the DejaVu fonts that matplotlib ships, embedded as subsets, so figures and
text match and every character (±, ≥, Greek) prints. A run's gradcam.png is embedded as it is.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from reportlab.graphics.shapes import Drawing  # noqa: E402
from reportlab.lib import colors  # noqa: E402
from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.lib.styles import ParagraphStyle  # noqa: E402
from reportlab.lib.units import mm  # noqa: E402
from reportlab.pdfbase import pdfmetrics  # noqa: E402
from reportlab.pdfbase.ttfonts import TTFont  # noqa: E402
from reportlab.platypus import (  # noqa: E402
    Flowable,
    Image,
    Paragraph,
    Preformatted,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from lungxray.judge.printed import interval_decimals  # noqa: E402

MARGIN = 14 * mm
FRAME_WIDTH = A4[0] - 2 * MARGIN
FRAME_HEIGHT = A4[1] - 2 * MARGIN - 8 * mm  # the footer's line

# verdict -> (colour, short name); the seven verdicts of lungxray.judge.verdict
VERDICT_STYLE: dict[str, tuple[str, str]] = {
    "consistent": ("#2e7d32", "consistent"),
    "inconclusive": ("#b26a00", "inconclusive"),
    "not shown to differ": ("#8d6e63", "not shown to differ"),
    "not reproduced": ("#c62828", "not reproduced"),
    "published number inconsistent": ("#6a1b9a", "published inconsistent"),
    "not comparable (run not faithful)": ("#757575", "not comparable"),
    "not run": ("#bdbdbd", "not run"),
}
WARN = "#c62828"
STATED = "#1565c0"  # a faithful run's stated (minor) departures: information, not a warning
LOG_GREY = "#8a8a8a"  # training-log rows: information, never held, so drawn quieter than any verdict
SEVERITY_COLOURS = {"critical": "#c62828", "major": "#ef6c00", "minor": "#757575"}


def verdict_colour(verdict: str) -> str:
    return VERDICT_STYLE.get(verdict, ("#555555", verdict))[0]


def verdict_short(verdict: str) -> str:
    return VERDICT_STYLE.get(verdict, ("#555555", verdict))[1]


def verdict_cell(verdict: str, detail: str = "", informational: bool = False) -> Paragraph:
    """A table cell: the verdict in its colour (a training-log row's in grey, not bold, marked 'log': information
    is never louder than a headline), and its detail below."""
    text = (coloured(f"log: {verdict}", LOG_GREY, bold=False) if informational
            else coloured(verdict, verdict_colour(verdict)))
    return para(text + (f"<br/>{esc(detail)}" if detail else ""), "tiny", markup=True)


def _register_fonts() -> None:
    if "DejaVu" in pdfmetrics.getRegisteredFontNames():
        return
    from reportlab.lib.fonts import addMapping

    ttf = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    for name, file in (("DejaVu", "DejaVuSans.ttf"), ("DejaVu-Bold", "DejaVuSans-Bold.ttf"),
                       ("DejaVu-Oblique", "DejaVuSans-Oblique.ttf"),
                       ("DejaVu-BoldOblique", "DejaVuSans-BoldOblique.ttf"),
                       ("DejaVuMono", "DejaVuSansMono.ttf")):
        pdfmetrics.registerFont(TTFont(name, str(ttf / file)))
    addMapping("DejaVu", 0, 0, "DejaVu")
    addMapping("DejaVu", 1, 0, "DejaVu-Bold")
    addMapping("DejaVu", 0, 1, "DejaVu-Oblique")
    addMapping("DejaVu", 1, 1, "DejaVu-BoldOblique")


_register_fonts()


def _style(name: str, size: float, **kw: Any) -> ParagraphStyle:
    kw.setdefault("fontName", "DejaVu")
    return ParagraphStyle(name, fontSize=size, leading=kw.pop("leading", size * 1.25), **kw)


STYLES: dict[str, ParagraphStyle] = {
    "title": _style("title", 14, fontName="DejaVu-Bold", spaceAfter=4),
    "h1": _style("h1", 12, fontName="DejaVu-Bold", spaceBefore=8, spaceAfter=4),
    "h2": _style("h2", 10, fontName="DejaVu-Bold", spaceBefore=7, spaceAfter=3),
    "h3": _style("h3", 8.5, fontName="DejaVu-Bold", spaceBefore=5, spaceAfter=2),
    "body": _style("body", 8, spaceAfter=3),
    "small": _style("small", 7, spaceAfter=2),
    "cell": _style("cell", 7),
    "cellb": _style("cellb", 7, fontName="DejaVu-Bold"),
    "tiny": _style("tiny", 6.2),
    "mono": _style("mono", 6.2, fontName="DejaVuMono"),
    "citation": _style("citation", 7.5, fontName="DejaVu-Oblique", textColor=colors.HexColor("#333333"),
                       spaceAfter=4),
    "banner": _style("banner", 8, fontName="DejaVu-Bold", textColor=colors.white, borderPadding=(3, 4, 3, 4),
                     spaceBefore=3, spaceAfter=6),
}


def esc(text: Any) -> str:
    """Plain text made safe for a Paragraph (its markup is a small XML)."""
    return escape(str(text))


def para(text: str, style: str = "body", markup: bool = False, **kw: Any) -> Paragraph:
    """A paragraph of plain ``text`` (escaped) or, with ``markup``, of reportlab's inline markup."""
    st = STYLES[style] if not kw else ParagraphStyle(f"{style}+", parent=STYLES[style], **kw)
    return Paragraph(text if markup else esc(text), st)


def coloured(text: str, colour: str, bold: bool = True) -> str:
    """Inline markup: ``text`` (escaped) in ``colour``."""
    inner = f"<b>{esc(text)}</b>" if bold else esc(text)
    return f'<font color="{colour}">{inner}</font>'


def banner(text: str, colour: str = WARN) -> Paragraph:
    return para(text, "banner", backColor=colors.HexColor(colour))


def fmt(v: Any, nd: int = 4) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.{nd}f}"
    return str(v)


def interval_text(lo: float | None, hi: float | None, nd: int = 3) -> str:
    return "-" if lo is None or hi is None else f"[{lo:.{nd}f}, {hi:.{nd}f}]"


def published_text(value: float, interval: Sequence[float] | None) -> str:
    """A published number as printed (0.84, not 0.8400) with its rounding interval at one decimal more than the
    value's (lungxray.judge.printed, the one place that reads how a number was printed)."""
    if not interval:
        return f"{value:g}"
    return f"{value:g} {interval_text(*interval, nd=interval_decimals(value))}"


def table(rows: Sequence[Sequence[Any]], widths: Sequence[float], header: bool = True,
          backgrounds: Sequence[tuple[int, int, str]] = (), style: str = "cell", padding: float = 3) -> Table:
    """A table whose cells wrap (strings become Paragraphs) and repeat their header on every page.

    ``widths`` are fractions of the frame width; ``backgrounds`` are (column, row, colour) cells; ``padding`` the
    cells' left and right padding in points (a table nested in a cell takes less)."""
    cells = [[c if isinstance(c, Flowable) else para(str(c), "cellb" if header and i == 0 else style)
              for c in row] for i, row in enumerate(rows)]
    t = Table(cells, colWidths=[w * FRAME_WIDTH for w in widths], repeatRows=1 if header else 0)
    vertical = min(padding, 2)
    cmds = [("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), padding),
            ("RIGHTPADDING", (0, 0), (-1, -1), padding), ("TOPPADDING", (0, 0), (-1, -1), vertical),
            ("BOTTOMPADDING", (0, 0), (-1, -1), vertical), ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#cccccc"))]
    if header:
        cmds += [("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                 ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.HexColor("#888888"))]
    cmds += [("BACKGROUND", (c, r), (c, r), colors.HexColor(col)) for c, r, col in backgrounds]
    t.setStyle(TableStyle(cmds))
    return t


def wrap_command(command: str, width: int = 110) -> str:
    """A shell command on lines of at most ``width`` characters, broken only between arguments and
    continued with a backslash, so the wrapped text pasted into a shell is the same command."""
    lines, cur = [], ""
    for word in command.split(" "):
        if cur and len(cur) + 1 + len(word) > width - 2:
            lines.append(cur + " \\")
            cur = "    " + word
        else:
            cur = f"{cur} {word}" if cur else word
    lines.append(cur)
    return "\n".join(lines)


def command_block(command: str, width: int = 110) -> Preformatted:
    """The recorded command, wrapped by :func:`wrap_command` at ``width`` characters: copyable as printed."""
    return Preformatted(wrap_command(command, width), STYLES["mono"])


def figure(fig: plt.Figure, width: float = 1.0) -> Drawing:
    """A matplotlib figure as a vector drawing ``width`` (fraction of the frame) wide, its aspect kept, never
    taller than the frame; the figure is closed."""
    from svglib.svglib import svg2rlg

    buf = io.BytesIO()
    with plt.rc_context({"svg.hashsalt": "lungxray", "svg.fonttype": "path"}):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": "lungxray"})
    plt.close(fig)
    buf.seek(0)
    drawing = svg2rlg(buf)
    s = min(width * FRAME_WIDTH / drawing.width, (FRAME_HEIGHT - 20) / drawing.height)
    drawing.width, drawing.height = drawing.width * s, drawing.height * s
    drawing.scale(s, s)
    return drawing


def png_file(path: Path, width: float = 1.0) -> Image:
    """A PNG file (e.g. a run's gradcam.png) ``width`` of the frame wide, aspect kept."""
    from reportlab.lib.utils import ImageReader

    data = io.BytesIO(Path(path).read_bytes())
    iw, ih = ImageReader(data).getSize()
    data.seek(0)
    w = width * FRAME_WIDTH
    h = w * ih / iw
    if h > FRAME_HEIGHT - 20:
        w, h = w * (FRAME_HEIGHT - 20) / h, FRAME_HEIGHT - 20
    return Image(data, width=w, height=h)


def gap(h: float = 4) -> Spacer:
    return Spacer(1, h)


def _footer(label: str) -> Callable[[Any, Any], None]:
    def draw(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont("DejaVu", 6.5)
        canvas.setFillColor(colors.HexColor("#666666"))
        canvas.drawString(MARGIN, MARGIN * 0.6, label)
        canvas.drawRightString(A4[0] - MARGIN, MARGIN * 0.6, f"page {doc.page}")
        canvas.restoreState()
    return draw


def build_pdf(story: list[Flowable], title: str, subject: str = "") -> bytes:
    """The PDF bytes of ``story``: A4, a footer naming the document and the page, fixed metadata and
    reportlab's invariant mode, so the same story gives the same bytes."""
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                            bottomMargin=MARGIN + 4 * mm, title=title, author="lungxray", creator="lungxray",
                            producer="lungxray", subject=subject, invariant=1)
    doc.build(story, onFirstPage=_footer(f"lungxray: {title}"), onLaterPages=_footer(f"lungxray: {title}"))
    return buf.getvalue()


def story_text(story: Sequence[Any]) -> str:
    """Every paragraph's and preformatted block's plain text in ``story`` (tables included), one a line:
    what tests read to check what a PDF says."""
    out: list[str] = []

    def walk(f: Any) -> None:
        if isinstance(f, Paragraph):
            out.append(f.getPlainText())
        elif isinstance(f, Preformatted):
            out.append("\n".join("".join(line) if isinstance(line, list) else str(line) for line in f.lines))
        elif isinstance(f, Table):
            for row in f._cellvalues:
                for c in row:
                    for x in c if isinstance(c, (list, tuple)) else [c]:
                        walk(x) if isinstance(x, Flowable) else out.append(str(x))
        elif hasattr(f, "_content"):  # KeepTogether and friends
            for x in f._content:
                walk(x)

    for f in story:
        walk(f)
    return "\n".join(out)
