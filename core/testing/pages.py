"""Checks of a page in a real browser, for any plugin's browser tests.

- ``assert_accessible(page)``: axe-core (vendored in ``core/testing/vendor``, see its
  README) run in the page; fails listing each violation's rule, help and targets.
- ``assert_no_sideways_scroll(page)``: the page is no wider than the window.
- ``assert_no_raw_codes(page, codes)``: no ISO timestamp and no stored code (``in_progress``)
  in the text a person sees (the in-process crawl of every page is
  ``tests/e2e/test_page_words.py``; this is its browser twin for pages after a script ran).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any, Iterable

AXE = Path(__file__).with_name("vendor") / "axe.min.js"

#: What a page must pass: WCAG 2.0/2.1 A and AA and axe's best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]

ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:")
#: A lower-case identifier with an underscore is a code wherever it stands.
SNAKE_CODE = re.compile(r"(?<![\w./{])[a-z]+(?:_[a-z]+)+(?![\w./}(])")


@cache
def _axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def axe_violations(page: Any, *, exclude: Iterable[str] = (), disable: Iterable[str] = ()) -> list[dict]:
    """axe-core's violations of the page as it is now (after its scripts ran)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, not a <script> tag: the app's Content
        # Security Policy (script-src 'self') rightly blocks inline scripts.
        page.evaluate(_axe_source() + "\n;0")
    # resultTypes: only violations are wanted, so axe need not collect every passing node.
    options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"],
               "rules": {rule: {"enabled": False} for rule in disable}}
    context = {"exclude": [[selector] for selector in exclude]} if exclude else None
    return page.evaluate(
        """async ([context, options]) => {
            const result = await axe.run(context || document, options);
            return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.map(n => n.target.join(' ')).slice(0, 6),
                summary: (v.nodes[0] && v.nodes[0].failureSummary || '').slice(0, 300)}));
        }""",
        [context, options],
    )


def format_violations(violations: list[dict]) -> str:
    return "\n".join(f"- {v['id']} ({v['impact']}): {v['help']}\n    at {', '.join(v['targets'])}\n    {v['summary']}"
                     for v in violations)


def assert_accessible(page: Any, *, exclude: Iterable[str] = (), disable: Iterable[str] = (), where: str = "") -> None:
    """0 axe-core violations on the page, else fail listing rule id, help and targets."""
    violations = axe_violations(page, exclude=exclude, disable=disable)
    if violations:
        raise AssertionError(f"{where or page.url}: {len(violations)} axe violations\n{format_violations(violations)}")


def sideways_overflow(page: Any) -> int:
    """How many pixels the page is wider than the window (0: no horizontal scroll)."""
    return page.evaluate("Math.max(0, document.documentElement.scrollWidth - window.innerWidth)")


def assert_no_sideways_scroll(page: Any, *, where: str = "") -> None:
    over = sideways_overflow(page)
    if over:
        widest = page.evaluate(
            """() => { const w = window.innerWidth; return [...document.querySelectorAll('body *')]
                 .filter(e => e.getBoundingClientRect().right > w + 1 && e.offsetParent !== null)
                 .slice(-3).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
                   (e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\\s+/).join('.') : '')
                   + ' ' + Math.round(e.getBoundingClientRect().right) + 'px'); }""")
        raise AssertionError(f"{where or page.url}: {over} px wider than the window; reaching out: {widest}")


def visible_texts(page: Any) -> list[tuple[str, str]]:
    """The text nodes a person sees (rendered, not script, style or code), each with its
    language (the nearest ``lang``)."""
    return page.evaluate(
        """() => {
            const out = [];
            const skip = new Set(['SCRIPT', 'STYLE', 'CODE', 'PRE', 'KBD', 'SAMP', 'TEMPLATE', 'NOSCRIPT', 'TEXTAREA']);
            const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
            while (walker.nextNode()) {
                const node = walker.currentNode, text = node.textContent.replace(/\\s+/g, ' ').trim();
                const el = node.parentElement;
                if (!text || !el || el.closest('script,style,code,pre,kbd,samp,template,noscript,textarea')) continue;
                if (skip.has(el.tagName) || !el.checkVisibility()) continue;
                const marked = el.closest('[lang]');
                out.push([text, marked ? marked.getAttribute('lang') : '']);
            }
            return out;
        }""")


def raw_code_findings(texts: Iterable[tuple[str, str]], codes: Iterable[str] = ()) -> list[str]:
    """ISO timestamps and codes (a stored value shown raw, any snake_case word)."""
    codes = set(codes)
    found = []
    for text, _language in texts:
        if ISO_TIME.search(text):
            found.append(f"ISO timestamp: {text!r}")
        if text in codes:
            found.append(f"raw code {text!r}")
        elif match := SNAKE_CODE.search(text):
            found.append(f"raw code {match.group(0)!r} in {text!r}")
    return sorted(set(found))


def assert_no_raw_codes(page: Any, codes: Iterable[str] = (), *, where: str = "") -> None:
    found = raw_code_findings(visible_texts(page), codes)
    if found:
        raise AssertionError(f"{where or page.url}: codes on the page\n" + "\n".join(found))
