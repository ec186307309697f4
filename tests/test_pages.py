"""The furniture every chapter page carries, checked on the MyST sources (fast, no execution).

For every numbered chapter ``book/[0-9][0-9]_*.md``:

1. a "Before you start" admonition (``:class: tip``) with the prerequisites and the time to
   read and run, before the first section;
2. a "Deviations from the paper" admonition (``:class: note``);
3. a "Takeaways" admonition (``:class: important``) after the last code cell and result box;
4. a section "## Check your understanding" with at least three labelled ``{exercise}``
   directives, each with a ``{solution} <label>`` that has ``:class: dropdown``;
5. a section "## Further reading" that cites with {cite:t}/{cite:p};
6. every code cell that draws a figure is folded (``hide-input``) and has alt text.

For every ``book/*.md`` and ``exercises/source/*.md``: every code line fits the code box
(at most 88 characters), and display math has a blank line before its opening ``$$``.
The parser is tested on small examples at the end of this file, and against jupytext on
every source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import jupytext
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "book").glob("[0-9][0-9]_*.md"))
SOURCES = sorted((ROOT / "book").glob("*.md")) + sorted((ROOT / "exercises" / "source").glob("*.md"))
MAX_CODE_LINE = 88
DRAWS = ("plt.subplots(", "plt.figure(", ".imshow(", ".set_title(", "tk.plot.")
OPEN_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,}|:{3,})\s*"
                        r"(?:\{(?P<name>[^}\s]+)\})?\s*(?P<arg>.*?)\s*$")
OPTION = re.compile(r"^:(?P<key>[\w-]+):(?:\s+(?P<value>.*?))?\s*$")
HEADING = re.compile(r"^(?P<level>#{1,6})\s+(?P<title>.*?)\s*#*\s*$")


@dataclass
class Directive:
    """A fenced block: ```{name} arg, ::: {name} arg, or a plain ``` code fence (name "")."""

    name: str
    arg: str
    options: dict
    body: list[str]       # the lines after the options
    line: int             # 1-based line of the opening fence
    body_line: int        # 1-based line of body[0]
    end: int              # 1-based line of the closing fence (or the last line)
    children: list = field(default_factory=list)

    def text(self) -> str:
        return "\n".join(self.body)


@dataclass
class Page:
    path: Path
    lines: list[str]
    directives: list[Directive]      # every directive, nested ones included, in file order
    headings: list[tuple[int, int, str]]   # (line, level, title), outside every fence
    text_lines: list[tuple[int, str]]      # lines of Markdown text, outside code

    def top(self, name: str) -> list[Directive]:
        return [d for d in self.directives if d.name == name]

    def admonitions(self, title: str) -> list[Directive]:
        return [d for d in self.directives if d.name == "admonition" and d.arg == title]

    @property
    def code_cells(self) -> list[Directive]:
        return self.top("code-cell")


CODE_LIKE = {"", "code-cell", "code", "code-block", "sourcecode", "math", "raw", "eval-rst"}


def _closes(line: str, fence: str) -> bool:
    stripped = line.strip()
    return (len(stripped) >= len(fence) and set(stripped) == {fence[0]}
            and len(line) - len(line.lstrip(" ")) <= 3)


def _options(lines: list[str]) -> tuple[dict, int]:
    """Directive options at the top of a body: ``:key: value`` lines or a ``---`` YAML block."""
    if lines and lines[0].strip() == "---":
        for k in range(1, len(lines)):
            if lines[k].strip() == "---":
                return yaml.safe_load("\n".join(lines[1:k])) or {}, k + 1
        return {}, 0
    options, k = {}, 0
    while k < len(lines) and (m := OPTION.match(lines[k])):
        value = m.group("value")
        try:
            options[m.group("key")] = yaml.safe_load(value) if value else True
        except yaml.YAMLError:
            options[m.group("key")] = value
        k += 1
    return options, k


def _parse(lines: list[str], offset: int, page: Page) -> None:
    """Walk ``lines`` (file line ``offset + 1`` onwards), recording fences, headings, text."""
    i = 0
    while i < len(lines):
        line = lines[i]
        m = OPEN_FENCE.match(line)
        if m and not (m.group("fence")[0] == ":" and m.group("name") is None):
            fence, name = m.group("fence"), m.group("name") or ""
            j = i + 1
            while j < len(lines) and not _closes(lines[j], fence):
                j += 1
            inner = lines[i + 1:j]
            options, skip = _options(inner) if name else ({}, 0)
            d = Directive(name=name, arg=m.group("arg") if name else "", options=options,
                          body=inner[skip:], line=offset + i + 1,
                          body_line=offset + i + 2 + skip, end=offset + min(j, len(lines) - 1) + 1)
            page.directives.append(d)
            if name not in CODE_LIKE:
                _parse(d.body, d.body_line - 1, page)
            i = j + 1
            continue
        h = HEADING.match(line)
        if h:
            page.headings.append((offset + i + 1, len(h.group("level")), h.group("title")))
        page.text_lines.append((offset + i + 1, line))
        i += 1


def parse(path: Path, text: str | None = None) -> Page:
    text = path.read_text() if text is None else text
    lines = text.split("\n")
    start = 0
    if lines and lines[0].strip() == "---":  # front matter
        start = next((k + 1 for k in range(1, len(lines)) if lines[k].strip() == "---"), 0)
    page = Page(path, lines, [], [], [])
    _parse(lines[start:], start, page)
    page.directives.sort(key=lambda d: d.line)
    return page


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_absolute() and ROOT in path.parents else str(path)


# --- the conventions -------------------------------------------------------------------------

def furniture_problems(page: Page) -> list[str]:
    """What a numbered chapter lacks, one sentence each (empty when it has everything)."""
    name, problems = _name(page.path), []
    sections = [(line, title) for line, level, title in page.headings if level == 2]
    first_section = sections[0][0] if sections else len(page.lines) + 1

    def section(title: str) -> tuple[int, int] | None:
        for k, (line, t) in enumerate(sections):
            if t.strip().lower() == title.lower():
                end = sections[k + 1][0] if k + 1 < len(sections) else len(page.lines) + 1
                return line, end
        return None

    # 1. Before you start
    before = page.admonitions("Before you start")
    if not before:
        problems.append(f"{name}: no ```{{admonition}} Before you start``` box (convention 1)")
    for d in before:
        if d.options.get("class") != "tip":
            problems.append(f"{name}:{d.line}: 'Before you start' needs ':class: tip'")
        for word in ("Prerequisites", "Time"):
            if word not in d.text():
                problems.append(f"{name}:{d.line}: 'Before you start' does not say '{word}'")
        if d.line > first_section:
            problems.append(f"{name}:{d.line}: 'Before you start' must come before the first "
                            f"section (line {first_section}), after the learning objectives")
    # 2. Deviations from the paper
    deviations = page.admonitions("Deviations from the paper")
    if not deviations:
        problems.append(f"{name}: no ```{{admonition}} Deviations from the paper``` box "
                        "(convention 2)")
    for d in deviations:
        if d.options.get("class") != "note":
            problems.append(f"{name}:{d.line}: 'Deviations from the paper' needs ':class: note'")
        if not d.text().strip():
            problems.append(f"{name}:{d.line}: 'Deviations from the paper' is empty")
    # 3. Takeaways, after the lecture: after the last code cell and the last result box
    takeaways = page.admonitions("Takeaways")
    if not takeaways:
        problems.append(f"{name}: no ```{{admonition}} Takeaways``` box (convention 3)")
    for d in takeaways:
        if d.options.get("class") != "important":
            problems.append(f"{name}:{d.line}: 'Takeaways' needs ':class: important'")
        later = [x.line for x in page.directives
                 if x.line > d.line and (x.name == "code-cell" or x.name.startswith("prf:"))]
        if later:
            problems.append(f"{name}:{d.line}: 'Takeaways' must come near the end, after the "
                            f"last code cell and result box (one is at line {later[-1]})")
    # 4. Check your understanding: >= 3 labelled exercises, each with a dropdown solution
    check = section("Check your understanding")
    if check is None:
        problems.append(f"{name}: no section '## Check your understanding' (convention 4)")
    else:
        exercises = [d for d in page.directives if d.name in ("exercise", "exercise-start")
                     and check[0] < d.line < check[1]]
        if len(exercises) < 3:
            problems.append(f"{name}:{check[0]}: 'Check your understanding' has "
                            f"{len(exercises)} {{exercise}} directives, needs at least 3")
        solutions = {d.arg: d for d in page.directives if d.name in ("solution", "solution-start")}
        for d in exercises:
            label = d.options.get("label")
            if not label:
                problems.append(f"{name}:{d.line}: exercise without ':label:'")
            elif label not in solutions:
                problems.append(f"{name}:{d.line}: exercise '{label}' has no "
                                f"```{{solution}} {label}```")
            elif solutions[label].options.get("class") != "dropdown":
                problems.append(f"{name}:{solutions[label].line}: solution '{label}' needs "
                                "':class: dropdown'")
    # 5. Further reading, with citations
    reading = section("Further reading")
    if reading is None:
        problems.append(f"{name}: no section '## Further reading' (convention 5)")
    else:
        body = "\n".join(page.lines[reading[0]:reading[1] - 1])
        if not re.search(r"\{cite:[tp]\}`", body):
            problems.append(f"{name}:{reading[0]}: 'Further reading' cites nothing "
                            "({cite:t}`key` or {cite:p}`key`)")
    # 6. figure cells: folded, with alt text
    for cell in page.code_cells:
        code = cell.text()
        if not any(marker in code for marker in DRAWS):
            continue
        tags = cell.options.get("tags") or []
        if "hide-input" not in tags:
            problems.append(f"{name}:{cell.line}: a code cell that draws a figure needs "
                            ":tags: [hide-input] (convention 6)")
        alt = ((cell.options.get("mystnb") or {}).get("image") or {}).get("alt")
        if not (alt and str(alt).strip()) and not re.search(r"\balt\s*=", code):
            problems.append(f"{name}:{cell.line}: a code cell that draws a figure needs alt "
                            "text (mystnb: image: alt:, or alt= of tk.widgets.explore)")
    return problems


def long_code_lines(page: Page, limit: int = MAX_CODE_LINE) -> list[str]:
    return [f"{_name(page.path)}:{cell.body_line + k}: {len(line)} characters"
            for cell in page.code_cells for k, line in enumerate(cell.body) if len(line) > limit]


def glued_display_math(page: Page) -> list[str]:
    """Opening ``$$`` lines whose previous line is text: MyST then shows the TeX raw."""
    found, inside = [], False
    fence_lines = {d.line for d in page.directives} | {d.body_line - 1 for d in page.directives}
    text = dict(page.text_lines)
    for number, line in page.text_lines:
        stripped = line.strip()
        if not inside and stripped.startswith("$$"):
            previous = text.get(number - 1)
            if previous is not None and previous.strip() and number - 1 not in fence_lines:
                found.append(f"{_name(page.path)}:{number}: no blank line before '$$'")
            rest = stripped[2:]
            inside = not re.search(r"\$\$\s*(\([^)]*\))?\s*$", rest)
        elif inside and re.search(r"\$\$\s*(\([^)]*\))?\s*$", stripped):
            inside = False
    return found


# --- the tests on the course's sources -----------------------------------------------------

def test_there_are_chapters_and_sources():
    assert len(CHAPTERS) >= 4, CHAPTERS
    assert len(SOURCES) >= len(CHAPTERS) + 5, SOURCES


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_furniture(path):
    problems = furniture_problems(parse(path))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: _name(p))
def test_code_lines_fit_the_code_box(path):
    long = long_code_lines(parse(path))
    assert not long, f"code lines over {MAX_CODE_LINE} characters:\n" + "\n".join(long)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: _name(p))
def test_blank_line_before_display_math(path):
    glued = glued_display_math(parse(path))
    assert not glued, "\n".join(glued)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: _name(p))
def test_parser_finds_the_code_cells_jupytext_finds(path):
    page = parse(path)
    if not page.lines[0].strip() == "---":
        pytest.skip("not a notebook (no jupytext front matter)")
    cells = [c for c in jupytext.read(path, fmt="md:myst").cells if c.cell_type == "code"]
    ours = [c.text().strip("\n") for c in page.code_cells]
    assert ours == [c.source.strip("\n") for c in cells]
    assert [c.options.get("tags") or [] for c in page.code_cells] == \
        [c.metadata.get("tags", []) for c in cells]


# --- the parser and the checks on small examples -------------------------------------------

GOOD = '''---
jupytext:
  text_representation:
    format_name: myst
---

# 9. A chapter

Some opening words.

````{admonition} Before you start
:class: tip

**Prerequisites:** [Chapter 1](01_kernel.md), linear algebra.
**Time:** about 20 minutes to read; about 30 s to run on a 2-core CPU.
````

```{code-cell} ipython3
# not a heading
x = 1
```

## A section

```{prf:proposition} A result
:label: prop-x

Text and

$$
a = b
$$
```

```{code-cell} ipython3
---
mystnb:
  image:
    alt: A grey image.
tags: [hide-input]
---
fig, ax = plt.subplots()
```

:::{admonition} Deviations from the paper
:class: note

Smaller images (64 instead of 256), for speed.
:::

```{admonition} Takeaways
:class: important

* One.
```

## Check your understanding

```{exercise}
:label: q1

One?
```

```{solution} q1
:class: dropdown

Yes.
```

```{exercise}
:label: q2

Two?
```

```{solution} q2
:class: dropdown

Yes.
```

```{exercise}
:label: q3

Three?
```

```{solution} q3
:class: dropdown

Yes.
```

## Further reading

* {cite:t}`antun2020instabilities` finds the instabilities.
'''


def _page(text: str) -> Page:
    return parse(Path("book/99_example.md"), text)


def test_parser_on_a_good_example():
    page = _page(GOOD)
    assert [t for _, level, t in page.headings if level == 2] == \
        ["A section", "Check your understanding", "Further reading"]
    assert len(page.code_cells) == 2
    assert page.code_cells[0].text() == "# not a heading\nx = 1"
    assert page.code_cells[1].options["tags"] == ["hide-input"]
    assert page.code_cells[1].options["mystnb"]["image"]["alt"] == "A grey image."
    assert page.admonitions("Deviations from the paper")[0].options == {"class": "note"}
    assert furniture_problems(page) == []
    assert long_code_lines(page) == [] and glued_display_math(page) == []


@pytest.mark.parametrize("change, expected", [
    ("**Time:**", "does not say 'Time'"),
    (":class: tip", "needs ':class: tip'"),
    ("{admonition} Deviations from the paper", "no ```{admonition} Deviations from the paper"),
    (":class: important", "'Takeaways' needs ':class: important'"),
    ("## Check your understanding", "no section '## Check your understanding'"),
    (":label: q3", "exercise without ':label:'"),
    ("```{solution} q2", "exercise 'q2' has no"),
    ("## Further reading", "no section '## Further reading'"),
    ("{cite:t}`antun2020instabilities`", "'Further reading' cites nothing"),
    ("tags: [hide-input]", "needs :tags: [hide-input]"),
    ("    alt: A grey image.", "needs alt text"),
])
def test_each_convention_fails_when_broken(change, expected):
    broken = GOOD.replace(change, {"**Time:**": "**Duration:**", ":class: tip": ":class: note",
                                   "{admonition} Deviations from the paper":
                                       "{admonition} Differences",
                                   ":class: important": ":class: tip",
                                   "## Check your understanding": "## Questions",
                                   ":label: q3": "",
                                   "```{solution} q2": "```{solution} q9",
                                   "## Further reading": "## Reading",
                                   "{cite:t}`antun2020instabilities`": "Antun et al.",
                                   "tags: [hide-input]": "tags: []",
                                   "    alt: A grey image.": "    width: 50%",
                                   }[change], 1)
    assert broken != GOOD
    problems = furniture_problems(_page(broken))
    assert any(expected in p for p in problems), problems


def test_position_rules():
    # "Before you start" after the first section, "Takeaways" before a code cell
    late = GOOD.replace("## A section\n", "").replace(
        "# 9. A chapter\n", "# 9. A chapter\n\n## Early section\n")
    assert any("before the first section" in p for p in furniture_problems(_page(late)))
    early = GOOD.replace("## Check your understanding", "```{code-cell} ipython3\ny = 2\n```\n\n"
                         "## Check your understanding")
    assert any("'Takeaways' must come near the end" in p for p in furniture_problems(_page(early)))


def test_too_few_exercises():
    two = GOOD.replace("```{exercise}\n:label: q3\n\nThree?\n```\n", "")
    assert any("has 2 {exercise} directives" in p for p in furniture_problems(_page(two)))


def test_long_code_lines_and_glued_math_are_found_with_their_line():
    long = GOOD.replace("x = 1", "x = 1  # " + "y" * 80)
    assert long_code_lines(_page(long)) == ["book/99_example.md:20: 89 characters"]
    assert long_code_lines(_page(GOOD.replace("x = 1", "x = 1  # " + "y" * 79))) == []
    glued = GOOD.replace("Text and\n\n$$", "Text and\n$$")
    assert glued_display_math(_page(glued)) == ["book/99_example.md:29: no blank line before '$$'"]
    # a closing $$ and one-line display math are not openings; the alt text is no code line
    one_line = GOOD.replace("Text and\n\n$$\na = b\n$$", "Text and\n\n$$ a = b $$ (eq-x)\nmore text")
    assert glued_display_math(_page(one_line)) == []
    alt = GOOD.replace("A grey image.", "A grey image. " + "z" * 100)
    assert long_code_lines(_page(alt)) == []
