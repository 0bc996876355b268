"""Read review documents (.txt, .docx, .pdf) into clean text blocks for segmentation.

A block is one logical line of the source: a Word paragraph, a line of a text file, or the
lines of a PDF paragraph joined back together. Footnotes, bookmarks and page furniture are
removed here; tables are kept as table blocks so the segmenter can leave them out.
"""
from __future__ import annotations

import re
import statistics
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

SUPPORTED = (".txt", ".docx", ".pdf")


class DocumentError(Exception):
    """A document that cannot be read; str() names the file, the problem and the way out."""

    def __init__(self, path: Path, problem: str):
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


@dataclass
class Block:
    text: str
    heading: int = 0  # 0 body text, 1 a main heading, 2 a minor heading (as the source marks it)
    table: bool = False  # a table row: never prose
    gap: bool = False  # blank space before it


@dataclass
class Document:
    path: Path
    doc_id: str
    blocks: list[Block]
    warnings: list[str] = field(default_factory=list)


def doc_id_for(path: Path) -> str:
    """A stable id from the file name: lower case, runs of other characters as '-'."""
    return re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-") or "doc"


def read_document(path: Path | str, *, doc_id: str | None = None) -> Document:
    """Read one review document into blocks; raise DocumentError with a clear message."""
    path = Path(path)
    if not path.exists():
        raise DocumentError(path, "no such file")
    if path.is_dir():
        raise DocumentError(path, "is a folder; pass the documents inside it")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        hint = " - save it as .docx or .pdf" if suffix in (".doc", ".rtf", ".odt") else ""
        raise DocumentError(path, f"unsupported file type '{suffix or path.name}' "
                                  f"(casetag reads {', '.join(SUPPORTED)}){hint}")
    if path.stat().st_size == 0:
        raise DocumentError(path, "empty file")
    reader = {".txt": _read_txt, ".docx": _read_docx, ".pdf": _read_pdf}[suffix]
    doc = Document(path=path, doc_id=doc_id or doc_id_for(path), blocks=[])
    doc.blocks = [b for b in reader(path, doc.warnings) if b.text.strip()]
    if not any(not b.table for b in doc.blocks):
        raise DocumentError(path, "no text found")
    return doc


# --- cleaning shared by all formats -------------------------------------------------------

_FOOTNOTE_BODY_START = re.compile(r"\[(\d+):\s")
_MARKUP = re.compile(r"\[(?:footnoteRef|endnoteRef):\s*\d+\]|\[bookmark:[^\]]*\]")
_SPACE_BEFORE_PUNCT = re.compile(r"[ \t]+(?=[.,;:)](?:[\s.,;:)]|$))")
_SUPERSCRIPT_LINE = re.compile(r"^[ \t]*[⁰¹²³⁴⁵⁶⁷⁸⁹]+\s.*$", re.M)
_SUPERSCRIPTS = re.compile(r"[⁰¹²³⁴⁵⁶⁷⁸⁹]+")


def _drop_footnote_bodies(text: str) -> str:
    """Remove inline footnote bodies `[12: ...]`, which may hold brackets and span lines."""
    out, pos = [], 0
    while m := _FOOTNOTE_BODY_START.search(text, pos):
        out.append(text[pos:m.start()])
        depth, i = 0, m.start()
        while i < len(text):
            depth += {"[": 1, "]": -1}.get(text[i], 0)
            i += 1
            if depth == 0:
                break
        pos = i
    out.append(text[pos:])
    return "".join(out)


def clean_text(text: str) -> str:
    """Strip footnote markers and bodies, bookmarks and superscript note numbers."""
    text = _drop_footnote_bodies(_MARKUP.sub(" ", text))
    text = _SUPERSCRIPTS.sub("", _SUPERSCRIPT_LINE.sub("", text))
    return _SPACE_BEFORE_PUNCT.sub("", text)


def _normalise(line: str) -> str:
    return re.sub(r"[ \u00a0\u2002\u2003\u2009]+", " ", line).strip()


# --- plain text ---------------------------------------------------------------------------

def _decode(path: Path, data: bytes, warnings: list[str]) -> str:
    if b"\x00" in data[:65536]:
        raise DocumentError(path, "binary data, not text (is it another format renamed .txt?)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
        warnings.append(f"{path}: not UTF-8; read as Windows-1252 (cp1252) - check accented characters")
    controls = sum(1 for c in text[:65536] if ord(c) < 32 and c not in "\t\n\r\f")
    if controls > 0.05 * min(len(text), 65536) or text.count("\ufffd") > 0.05 * len(text):
        raise DocumentError(path, "binary data, not text (is it another format renamed .txt?)")
    return text


def _read_txt(path: Path, warnings: list[str]) -> list[Block]:
    text = clean_text(_decode(path, path.read_bytes(), warnings))
    if not text.strip():
        raise DocumentError(path, "empty file (only whitespace)")
    blocks, gap = [], False
    for raw in text.splitlines():
        raw = _LEADING_LABEL_TAB.sub(r"\1 ", raw)
        line = _normalise(raw.replace("\t", " "))
        if not line or line == "]":
            gap = True
            continue
        blocks.append(Block(line, table="\t" in raw, gap=gap))
        gap = False
    return blocks


# "3.1.12<tab>On the ..." and "·<tab>item" are not table rows.
_LEADING_LABEL_TAB = re.compile(r"^[ ]*(\d{1,3}(?:\.\d{1,3})*\.?|[·•▪●◦‣∙\-–—*o])\t")


# --- Word -----------------------------------------------------------------------------------

def _read_docx(path: Path, warnings: list[str]) -> list[Block]:
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.oxml.ns import qn
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as e:
        raise DocumentError(path, f"not a readable .docx ({e.__class__.__name__}); "
                                  "open and re-save it in Word, or export it as .pdf") from e
    numbering = _ListNumbering(document)
    blocks: list[Block] = []
    for child in document.element.body.iterchildren():
        if child.tag == qn("w:tbl"):
            for row in Table(child, document).rows:
                cells = [_normalise(c.text) for c in row.cells]
                blocks.append(Block("\t".join(cells), table=True))
        elif child.tag == qn("w:p"):
            para = Paragraph(child, document)
            text = _normalise(clean_text(para.text))
            if not text:
                continue
            style = (para.style.name if para.style is not None else "") or ""
            level = 0
            if style == "Title" or style.startswith("Heading"):
                digits = re.findall(r"\d+", style)
                level = 1 if style == "Title" or not digits or int(digits[0]) <= 2 else 2
            label = numbering.label(child, para.style)
            blocks.append(Block(f"{label} {text}" if label else text, heading=level))
    return blocks


class _ListNumbering:
    """Word's automatic list numbers ("3.1.12", bullets) rebuilt from numbering.xml."""

    def __init__(self, document):
        from docx.oxml.ns import qn

        self._qn = qn
        self._levels: dict[str, dict[int, tuple[str, str, int]]] = {}
        self._abstract_of: dict[str, str] = {}
        self._counters: dict[str, list[int]] = {}
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return
        for absn in root.findall(qn("w:abstractNum")):
            levels = {}
            for lvl in absn.findall(qn("w:lvl")):
                fmt = lvl.find(qn("w:numFmt"))
                text = lvl.find(qn("w:lvlText"))
                start = lvl.find(qn("w:start"))
                levels[int(lvl.get(qn("w:ilvl")))] = (
                    fmt.get(qn("w:val")) if fmt is not None else "decimal",
                    text.get(qn("w:val")) if text is not None else "",
                    int(start.get(qn("w:val"))) if start is not None else 1,
                )
            self._levels[absn.get(qn("w:abstractNumId"))] = levels
        for num in root.findall(qn("w:num")):
            ref = num.find(qn("w:abstractNumId"))
            if ref is not None:
                self._abstract_of[num.get(qn("w:numId"))] = ref.get(qn("w:val"))

    def label(self, p, style) -> str:
        """The number or bullet Word shows before paragraph `p` (numbering set on it or its style)."""
        qn = self._qn
        path = f"{qn('w:pPr')}/{qn('w:numPr')}"
        num_pr = p.find(path)
        while num_pr is None and style is not None:
            num_pr, style = style.element.find(path), style.base_style
        if num_pr is None or num_pr.find(qn("w:numId")) is None:
            return ""
        abstract = self._abstract_of.get(num_pr.find(qn("w:numId")).get(qn("w:val")))
        levels = self._levels.get(abstract or "", {})
        ilvl_el = num_pr.find(qn("w:ilvl"))
        ilvl = int(ilvl_el.get(qn("w:val"))) if ilvl_el is not None else 0
        if ilvl not in levels:
            return ""
        fmt, text, _ = levels[ilvl]
        if fmt == "bullet":
            return "·"
        counters = self._counters.setdefault(abstract, [])
        while len(counters) <= ilvl:
            counters.append(levels.get(len(counters), ("", "", 1))[2] - 1)
        counters[ilvl] += 1
        del counters[ilvl + 1:]
        return re.sub(r"%(\d)", lambda m: str(counters[int(m.group(1)) - 1])
                      if int(m.group(1)) - 1 < len(counters) else "", text)


# --- PDF --------------------------------------------------------------------------------------

_PAGE_NUMBER = re.compile(r"^(page\s*)?\d{1,4}(\s*(of|/)\s*\d{1,4})?$", re.I)
_STARTS_NEW = re.compile(r"^(\d{1,2}(\.\d{1,3})+\.?\s|\d{1,3}\.\s|[·•▪●◦‣∙\-–—*]\s)")


def _read_pdf(path: Path, warnings: list[str]) -> list[Block]:
    import pypdfium2 as pdfium
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentError(path, "encrypted PDF (needs a password) - remove the password "
                                      "(print to PDF) or pass a .txt")
    except PdfReadError as e:
        raise DocumentError(path, f"not a readable PDF ({e})") from e
    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as e:
        raise DocumentError(path, f"not a readable PDF ({e})") from e
    try:
        pages = [_PdfPage.read(page) for page in pdf]
    finally:
        pdf.close()
    sizes = [round(g.size, 1) for page in pages for run in page.runs for g in run if not g.space]
    if len(sizes) < 20:
        raise DocumentError(path, "no text layer (scanned PDF?) - run OCR first "
                                  "(e.g. ocrmypdf) or pass a .txt")
    body = statistics.median(sizes)
    lines_of = [page.lines(body) for page in pages]
    furniture = _repeated_furniture(lines_of)
    blocks: list[Block] = []
    for lines in lines_of:
        for i, line in enumerate(lines):
            edge = i < 2 or i >= len(lines) - 2
            if edge and (_PAGE_NUMBER.match(line.text) or _furniture_key(line.text) in furniture):
                continue
            blocks.append(line)
    return _join_pdf_lines(blocks)


@dataclass
class _PdfLine(Block):
    top: float = 0.0
    bottom: float = 0.0


@dataclass
class _Glyph:
    """One character as pdfium lays it out; y grows down the page."""

    char: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    bold: bool
    space: bool = False


@dataclass
class _PdfPage:
    """A page's text as pdfium reads it (runs of glyphs between its line breaks) and the boxes
    of its ruled tables."""

    width: float
    runs: list[list[_Glyph]]
    tables: list[tuple[float, float, float, float]]  # x0, top, x1, bottom

    @classmethod
    def read(cls, page) -> "_PdfPage":
        import ctypes

        import pypdfium2.raw as raw

        height = page.get_height()
        text = page.get_textpage()
        # The text object of a character as a plain address, to look its font up once.
        object_at = ctypes.cast(raw.FPDFText_GetTextObject,
                                ctypes.CFUNCTYPE(ctypes.c_void_p, raw.FPDF_TEXTPAGE, ctypes.c_int))
        box = raw.FS_RECTF()
        bold_of: dict[int | None, bool] = {}
        runs, run = [], []
        for i in range(text.count_chars()):
            char = chr(raw.FPDFText_GetUnicode(text.raw, i))
            if char == "\x02":  # pdfium's mark for a hyphen ending a line
                char = "-"
            if char in "\r\n\x00\ufffe":
                if run:
                    runs.append(run)
                run = []
                continue
            raw.FPDFText_GetLooseCharBox(text.raw, i, box)
            key = object_at(text.raw, i)
            if key not in bold_of:
                name = ctypes.create_string_buffer(256)
                font = raw.FPDFTextObj_GetFont(raw.FPDFText_GetTextObject(text.raw, i))
                raw.FPDFFont_GetBaseFontName(font, name, 256)
                bold_of[key] = b"bold" in name.value.lower()
            run.append(_Glyph(char, box.left, box.right, height - box.top, height - box.bottom,
                              raw.FPDFText_GetFontSize(text.raw, i), bold_of[key], not char.strip()))
        if run:
            runs.append(run)
        text.close()
        return cls(page.get_width(), runs, _table_boxes(page, height))

    def lines(self, body: float) -> list[_PdfLine]:
        """Body-sized text lines in reading order (left column before right), smaller print
        (footnote markers and bodies) left out."""
        small = 0.85 * body
        gutter = _gutter([g for run in self.runs for g in run if not g.space and g.size >= small], self.width)
        pieces = []  # (column, glyphs) of one line of one column
        for run in self.runs:
            for piece in _split_run([g for g in run if g.space or g.size >= small]):
                column = 1 if gutter is not None and piece[0].x0 >= gutter else 0
                pieces.append((column, piece))
        rows: list[tuple[int, list[_Glyph]]] = []
        for column, piece in sorted(pieces, key=lambda p: (p[0], p[1][0].top, p[1][0].x0)):
            head = piece[0]
            if rows and rows[-1][0] == column and abs(rows[-1][1][0].top - head.top) < 0.3 * head.size:
                rows[-1][1].extend([_Glyph(" ", head.x0, head.x0, head.top, head.bottom, head.size, False, True), *piece])
            else:
                rows.append((column, list(piece)))
        return [self._line(glyphs, body) for _, glyphs in rows]

    def _line(self, glyphs: list[_Glyph], body: float) -> _PdfLine:
        solid = [g for g in glyphs if not g.space]
        x0, x1 = min(g.x0 for g in solid), max(g.x1 for g in solid)
        top, bottom = min(g.top for g in solid), max(g.bottom for g in solid)
        in_table = any(tx0 <= x0 + 1 and x1 <= tx1 + 1 and ttop - 1 <= top and bottom <= tbottom + 1
                       for tx0, ttop, tx1, tbottom in self.tables)
        big = statistics.median(g.size for g in solid) >= 1.15 * body
        bold = all(g.bold for g in solid)
        text = re.sub(r"\s+", " ", "".join(g.char for g in glyphs))
        return _PdfLine(_normalise(clean_text(text)), heading=1 if big else 2 if bold else 0,
                        table=in_table, top=top, bottom=bottom)


def _split_run(run: list[_Glyph]) -> list[list[_Glyph]]:
    """A run of glyphs cut where pdfium joined text that is far apart: another baseline, or
    a jump of more than two ems along the line (the other column)."""
    pieces, piece, last = [], [], None
    for g in run:
        if not g.space and last is not None and (abs(g.top - last.top) > 0.5 * g.size
                                                 or g.x0 - last.x1 > 2 * g.size or g.x1 < last.x0):
            pieces.append(piece)
            piece = []
        piece.append(g)
        if not g.space:
            last = g
    pieces.append(piece)
    return [_strip(p) for p in pieces if any(not g.space for g in p)]


def _strip(glyphs: list[_Glyph]) -> list[_Glyph]:
    """Without leading and trailing spaces, so the first and last glyphs are solid."""
    start = next(i for i, g in enumerate(glyphs) if not g.space)
    end = max(i for i, g in enumerate(glyphs) if not g.space)
    return glyphs[start:end + 1]


def _gutter(glyphs: list[_Glyph], width: float) -> float | None:
    """The x of an empty vertical strip splitting the text into two columns, if there is one."""
    if len(glyphs) < 200:
        return None
    left, right = min(g.x0 for g in glyphs), max(g.x1 for g in glyphs)
    covered = [False] * (int(width) + 2)
    for g in glyphs:
        for x in range(max(int(g.x0), 0), min(int(g.x1) + 1, len(covered))):
            covered[x] = True
    lo, hi = int(left + 0.3 * (right - left)), int(left + 0.7 * (right - left))
    run, best = 0, None
    for x in range(lo, hi):
        run = 0 if covered[x] else run + 1
        if run >= 8:
            best = x - run // 2
    if best is None:
        return None
    share_left = sum(1 for g in glyphs if g.x0 < best) / len(glyphs)
    return best if 0.2 < share_left < 0.8 else None


def _table_boxes(page, height: float) -> list[tuple[float, float, float, float]]:
    """Boxes (x0, top, x1, bottom) of ruled tables: groups of touching rules and cell borders
    with at least three horizontal and three vertical edges (two rows, two columns)."""
    import pypdfium2.raw as raw

    edges = []  # (x0, top, x1, bottom, horizontal, vertical)
    for obj in page.get_objects(filter=[raw.FPDF_PAGEOBJ_PATH]):
        left, bottom, right, top = obj.get_bounds()
        w, h = right - left, top - bottom
        if w < 3 and h < 3:
            continue
        edges.append((left, height - top, right, height - bottom, h < 3 or w >= 3, w < 3 or h >= 3))
    if len(edges) < 4 or len(edges) > 5000:
        return []
    group = list(range(len(edges)))

    def find(i: int) -> int:
        while group[i] != i:
            group[i] = group[group[i]]
            i = group[i]
        return i

    for i, a in enumerate(edges):
        for j in range(i + 1, len(edges)):
            b = edges[j]
            if a[0] <= b[2] + 2 and b[0] <= a[2] + 2 and a[1] <= b[3] + 2 and b[1] <= a[3] + 2:
                group[find(i)] = find(j)
    members: dict[int, list[tuple]] = {}
    for i, e in enumerate(edges):
        members.setdefault(find(i), []).append(e)
    boxes = []
    for es in members.values():
        ys = {round(y) for e in es if e[4] for y in (e[1], e[3])}
        xs = {round(x) for e in es if e[5] for x in (e[0], e[2])}
        if len(ys) >= 3 and len(xs) >= 3:
            boxes.append((min(e[0] for e in es), min(e[1] for e in es), max(e[2] for e in es), max(e[3] for e in es)))
    return boxes


def _furniture_key(text: str) -> str:
    return re.sub(r"\d+", "#", text.lower())


def _repeated_furniture(pages: list[list[_PdfLine]]) -> set[str]:
    """Header and footer lines that recur (digits aside) on at least half of the pages."""
    if len(pages) < 3:
        return set()
    counts: Counter[str] = Counter()
    for lines in pages:
        counts.update({_furniture_key(l.text) for l in lines[:2] + lines[-2:]})
    return {k for k, n in counts.items() if n >= max(2, len(pages) // 2)}


def _join_pdf_lines(lines: list[Block]) -> list[Block]:
    """Join wrapped lines into paragraphs: break at headings, tables, numbers, bullets, gaps."""
    typical = statistics.median([b.top - a.bottom for a, b in zip(lines, lines[1:])
                                 if isinstance(a, _PdfLine) and 0 <= b.top - a.bottom < 30] or [3.0])
    blocks: list[Block] = []
    prev = None
    for line in lines:
        gap = prev is not None and not (0 <= line.top - prev.bottom <= typical * 1.8 + 1)
        starts = (prev is None or gap or line.heading or prev.heading or line.table != prev.table
                  or _STARTS_NEW.match(line.text))
        if starts:
            blocks.append(Block(line.text, heading=line.heading, table=line.table, gap=gap))
        else:
            last = blocks[-1]
            joiner = "" if last.text.endswith("-") and line.text[:1].islower() else " "
            last.text += joiner + line.text
        prev = line
    return blocks
