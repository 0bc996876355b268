"""A coder reviews paragraphs by keyboard only in a real browser (Debian's chromium)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from labels.store import Store
from test_review import serving
from test_store import SAMPLE, suggestion

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
HOSTILE = ('Mr A said <script>window.pwned = 1</script> and <b>shouted</b> '
           '<img src=x onerror="window.pwned = 2"> at the carer he relied on.')

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium: apt-get install chromium")


@pytest.fixture
def page():
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1360, "height": 860})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        yield page
        browser.close()
        assert errors == [], f"the page raised: {errors}"


def test_coder_reviews_by_keyboard_and_store_holds_exactly_that(page, tmp_path):
    store = Store(tmp_path / "labels.db")
    store.import_suggestions([SAMPLE[0], suggestion("dhr-a", 2, [], text=HOSTILE), *SAMPLE[2:]])
    store.assign(["alice", "bob"], overlap=2)
    with serving(store.url) as (base, _):
        page.goto(f"{base}/#coder=alice")
        para = page.locator("#m-para")
        expect(para).to_have_text("1")
        for key in ["1", "2", "2", "Enter"]:          # accept, accept, then reject the 2nd; next
            page.keyboard.press(key)
        expect(para).to_have_text("2")
        assert page.text_content("#text") == HOSTILE   # markup shown as text, never run
        assert page.evaluate("window.pwned") is None
        assert page.locator("#text *").count() == 0
        page.keyboard.press("t")                       # add a tag by type-ahead
        page.keyboard.type("carer")
        page.keyboard.press("Enter")
        page.keyboard.press("Enter")
        expect(para).to_have_text("3")
        for key in ["x", "u", "a", "Enter"]:           # reject all, undo, accept all; next
            page.keyboard.press(key)
        expect(para).to_have_text("1")                 # dhr-b:1
        page.keyboard.press("1")
        expect(page.locator("#status")).to_have_text("All decisions saved.")
        expect(page.locator("#progress-text")).to_have_text("3 / 4 coded")
        page.reload()                                  # resumes where the coder was
        expect(page.locator("#m-doc")).to_have_text("dhr-b")
        expect(page.locator(".tag.accept")).to_have_count(1)
        page.keyboard.press("ArrowLeft")
        expect(para).to_have_text("3")
        page.locator(".tag").first.focus()
        expect(page.locator("#d-name")).to_have_text("Alcohol misuse")
        shots = Path(os.environ.get("CASETAG_SCREENSHOTS", tmp_path))
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=shots / "review-page.png")
    assert [(d.paragraph_id, d.tag, d.action) for d in store.decisions()] == [
        ("dhr-a:1", "substance_misuse", "accept"), ("dhr-a:1", "mental_health", "accept"),
        ("dhr-a:1", "mental_health", "reject"), ("dhr-a:1", "", "done"),
        ("dhr-a:2", "carer_status", "add"), ("dhr-a:2", "", "done"),
        ("dhr-a:3", "alcohol_misuse", "reject"), ("dhr-a:3", "alcohol_misuse", "clear"),
        ("dhr-a:3", "alcohol_misuse", "accept"), ("dhr-a:3", "", "done"),
        ("dhr-b:1", "housing_instability", "accept")]
    assert {d.coder for d in store.decisions()} == {"alice"}
    assert (shots / "review-page.png").stat().st_size > 10_000
    store.close()


def test_adjudicator_decides_disagreements_by_keyboard(page, tmp_path):
    from test_store import TAXONOMY, code

    store = Store(tmp_path / "labels.db")
    store.import_suggestions(SAMPLE)
    store.assign(["alice", "bob"], overlap=2)
    code(store, "alice", "dhr-a:1", ["substance_misuse"])
    code(store, "bob", "dhr-a:1", ["substance_misuse", "mental_health", "carer_status"])
    code(store, "alice", "dhr-a:2", [])
    code(store, "bob", "dhr-a:2", [])                      # agreed: not shown
    code(store, "alice", "dhr-a:3", ["alcohol_misuse"])
    code(store, "bob", "dhr-a:3", [])
    store.add_adjudicators(["carol"])
    with serving(store.url) as (base, _):
        page.goto(f"{base}/adjudicate#adjudicator=carol")
        para = page.locator("#m-para")
        expect(para).to_have_text("1")
        expect(page.locator("#rows tr")).to_have_count(3)  # carer_status, mental_health, then agreed substance_misuse
        expect(page.locator("#rows tr.disputed td:nth-child(2)")).to_have_text(["Carer status", "Mental health"])
        for key in ["1", "2", "2", "Enter"]:               # carer yes; mental health yes, then no; next
            page.keyboard.press(key)
        expect(para).to_have_text("3")
        page.keyboard.press("Enter")                       # nothing decided: stays open, last in the queue
        expect(page.locator("#status")).to_contain_text("dhr-a:3 not adjudicated yet: decide alcohol_misuse")
        expect(para).to_have_text("3")
        page.keyboard.press("1")
        page.keyboard.press("Enter")
        expect(page.locator("#progress-text")).to_have_text("2 / 2 adjudicated")
        expect(page.locator("#status")).to_contain_text("End of the disagreements")  # not overwritten by saves
    final = store.adjudications()
    assert final["dhr-a:1"] == {"carer_status": ("add", "carol"), "mental_health": ("reject", "carol"),
                                "": ("done", "carol")}
    assert final["dhr-a:3"] == {"alcohol_misuse": ("accept", "carol"), "": ("done", "carol")}
    assert all(d.adjudicated == (d.coder == "carol") for d in store.decisions())
    store.close()
