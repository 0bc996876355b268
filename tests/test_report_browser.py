"""The report in headless Chromium: self-contained, timeline drawn, text escaped, filter works."""
from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from inference.report import load_review, render_report
from test_report import HOSTILE, TAXONOMY, example  # noqa: F401  (example is a fixture)

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium: apt-get install chromium")


def test_report_renders_offline_with_timeline_escaped_text_and_filter(example):
    review = load_review(example / "suggestions.jsonl", taxonomy=TAXONOMY, labels=example / "reconciled.jsonl")
    report = example / "report.html"
    report.write_text(render_report(review, TAXONOMY), encoding="utf-8")
    blocked: list[str] = []
    errors: list[str] = []

    def only_files(route):
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.route("**/*", only_files)
        page.goto(report.as_uri())

        shot = page.screenshot(path=str(example / "report.png"), full_page=True)
        timeline = page.locator("svg.timeline")
        box = timeline.bounding_box()
        assert box and box["width"] > 600 and box["height"] > 150
        assert len(timeline.screenshot()) > 5000 and len(shot) > 50_000
        assert timeline.locator(".mark").count() == timeline.locator(".mark:visible").count() > 10

        hostile = page.locator("article.para", has_text="Mr A said").locator("p")
        assert hostile.text_content() == HOSTILE          # markup shown as text, never run
        assert hostile.locator("*").count() == 0
        assert page.evaluate("window.pwned") is None

        page.select_option("#tag-filter", "physical_abuse")
        expect(page.locator("#shown")).to_have_text("showing 2 of 18 paragraphs")
        assert [a.get_attribute("id") for a in page.locator("article.para:visible").all()] == ["p-3.4", "p-3.8"]
        timeline.locator('a[href="#p-3.2"]').first.click()  # a mark of a paragraph the filter hides
        expect(page.locator("#p-3\\.2")).to_be_in_viewport()
        expect(page.locator("#shown")).to_have_text("showing 18 of 18 paragraphs")
        page.locator('.sheet a[data-filter="carer_status"]').click()  # the hostile paragraph, 2.1 and 3.2
        expect(page.locator("#shown")).to_have_text("showing 3 of 18 paragraphs")
        assert page.locator("article.para:visible", has_text="Mr A said").count() == 1
        browser.close()
    assert blocked == [] and errors == []
