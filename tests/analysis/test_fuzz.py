"""No program makes the analysis fail: generated modules mixing vision calls with unary
operators, nested comprehensions, walrus, match statements, f-strings, decorators, lambdas
and deep nesting are analyzed without an internal error and within the time budget."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chameleonapi.analysis import analyze_report

HEADER = (
    "import re\nfrom google.cloud import vision\n"
    "client = vision.ImageAnnotatorClient()\nWORDS = ['Cat', 'Dog']\nMAP = {'Cat': 'pet', 'Car': 'vehicle'}\n"
)

EXPRESSIONS = [
    "-x",
    "~x",
    "+x",
    "not x",
    "-(-x)",
    "labels[-1]",
    "labels[::-1]",
    "labels[:-2]",
    "[[a for a in b] for b in labels]",
    "{l.description: -l.score for l in labels if -l.score < -0.5}",
    "(y := len(labels))",
    "f'{x!r:>{y}}'",
    "f'{labels[0].description}'",
    "lambda z: -z",
    "x if -x > 0 else -x",
    "any(w in l.description for l in labels for w in WORDS)",
    "next((l for l in labels if l.description in WORDS), None)",
    "MAP.get(labels[0].description) if labels else None",
    "[l.score for l in labels if l.description == 'Cat'][0]",
    "sorted(labels, key=lambda l: -l.score)",
    "re.search('cat|dog', ' '.join(l.description for l in labels))",
    "{*WORDS, *[l.description for l in labels]}",
    "1 < x < -2",
    "x ** -1 if x else 0",
]

STATEMENTS = [
    "x = {e}",
    "if {e}:\n    return 'a'",
    "if {e}:\n    print({e})\nelif -x:\n    y = -1\nelse:\n    pass",
    "for l in labels:\n    if l.description in WORDS and {e}:\n        return l.description",
    "while {e}:\n    break",
    "try:\n    x = {e}\nexcept Exception:\n    x = -1\nfinally:\n    pass",
    "with open('f') as fh:\n    x = {e}",
    "match x:\n    case -1:\n        return 'neg'\n    case [a, *rest]:\n        y = {e}\n    case {{'k': v}}:\n        pass\n    case _:\n        x = {e}",
    "hits = [l for l in labels if l.description in WORDS]\nif len(hits) > 0 and {e}:\n    return True",
    "assert {e}",
    "del x",
    "G = {e}",
    "async def inner():\n    await thing({e})",
    "@decorator(-1)\ndef inner(a=-1, *args, b={e}, **kw):\n    return -a",
    "class Local:\n    attr = {e}\n    def m(self):\n        return self.attr",
]


@st.composite
def bodies(draw: st.DrawFn, depth: int = 0) -> list[str]:
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 4))):
        template = draw(st.sampled_from(STATEMENTS))
        lines.extend(template.format(e=f"({draw(st.sampled_from(EXPRESSIONS))})").splitlines())
        if depth < 6 and draw(st.booleans()):
            inner = draw(bodies(depth + 1))
            head = draw(
                st.sampled_from(["if -x:", "for l in labels:", "with ctx:", "if (z := -x):", "while x:"])
            )
            lines.append(head)
            lines.extend("    " + line for line in inner)
    return lines


@st.composite
def programs(draw: st.DrawFn) -> str:
    body = draw(bodies())
    func = ["@decorator", "def decide(content, x=-1, y=2):"]
    func.append("    labels = client.label_detection(image=vision.Image(content=content)).label_annotations")
    func.extend("    " + line for line in body)
    func.append("    return None")
    return HEADER + "\n".join(func) + "\n"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_generated_programs_never_break_the_analysis(source: str) -> None:
    compile(source, "<generated>", "exec")  # the generator writes valid Python
    report = analyze_report(source, budget=1.0)
    internal = [e for e in report.errors if "analysis failed" in e or "nested too deeply" in e]
    assert internal == [], (internal, source)
    assert not any("time budget" in note for note in report.notes), source
