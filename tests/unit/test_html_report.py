"""report.html: one self-contained page per run, from results.json and the run's own files.

Rendered from a real failover-basic run on keepalived (tests/unit/data/html_run/: its
results.json, gzipped, timeline.png, the routers' configs and logs), from the synthetic
run (no file but the capture and the probe log), and from every run of the golden file.
The slow test opens the page in headless Chromium (Debian's `chromium`).
"""

from __future__ import annotations

import base64
import copy
import gzip
import json
import os
import re
import shutil
import subprocess
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.unit import synthetic
from vrrplab import i18n
from vrrplab.analysis import html as report_html
from vrrplab.analysis.html import claims, render_html, shown_checks, write_html_report
from vrrplab.analysis.results import build_results

DATA = Path(__file__).parent / "data"
STORED = DATA / "html_run"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class Page(HTMLParser):
    """The parsed page: every tag with its attributes, and the text under each id."""

    VOID = {"meta", "img", "br", "hr", "input", "link", "source", "area", "base", "col",
            "embed", "param", "track", "wbr"}

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.stack: list[tuple[str, str | None]] = []
        self.by_id: dict[str, list[str]] = {}
        self.text: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag not in self.VOID:
            self.stack.append((tag, attrs.get("id")))
            if attrs.get("id"):
                assert attrs["id"] not in self.by_id, f"duplicate id {attrs['id']}"
                self.by_id[attrs["id"]] = []

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        assert self.stack and self.stack[-1][0] == tag, f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)
        for _tag, ident in self.stack:
            if ident:
                self.by_id[ident].append(data)

    def section(self, ident: str) -> str:
        """The text under the element with this id, whitespace folded."""
        return " ".join(" ".join(self.by_id[ident]).split())

    @property
    def all_text(self) -> str:
        return " ".join(" ".join(self.text).split())

    def find(self, tag: str) -> list[dict]:
        return [attrs for t, attrs in self.tags if t == tag]


def folded(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def stored(tmp_path) -> tuple[Path, dict]:
    """The real run, copied to a run directory of its own (results.json as written)."""
    run = tmp_path / "run"
    shutil.copytree(STORED, run)
    results_gz = run / "results.json.gz"
    (run / "results.json").write_bytes(gzip.decompress(results_gz.read_bytes()))
    results_gz.unlink()
    return run, json.loads((run / "results.json").read_text())


@pytest.fixture
def synthetic_run(tmp_path) -> tuple[Path, dict]:
    return tmp_path, build_results(synthetic.record(tmp_path))


def test_the_stored_run_is_small_and_real():
    size = sum(p.stat().st_size for p in STORED.iterdir())
    assert size < 300_000
    results = json.loads(gzip.decompress((STORED / "results.json.gz").read_bytes()))
    assert results["scenario"] == "failover-basic" and results["speaker"] == "keepalived"


def test_the_page_parses_and_leads_with_the_verdict(stored):
    run, results = stored
    page = Page(render_html(results, run))
    assert page.find("html") == [{"lang": "en"}]
    assert page.stack == []  # every element closed
    verdict = page.section("verdict")
    assert verdict.startswith("PASS") and "18 of 18 verification steps passed" in verdict
    # the verdict is the first section
    ids = [attrs["id"] for _t, attrs in page.tags if attrs.get("id")]
    assert ids[0] == "verdict"


def test_every_check_is_listed_under_its_phase_with_its_evidence(stored):
    run, results = stored
    page = Page(render_html(results, run))
    faults = [f["name"] for f in results["faults"]]
    assert len(results["checks"]) == 18
    for check in results["checks"]:
        phase = next((f for f in faults if check["name"].startswith(f"{f}: ")), "converge")
        short = check["name"][len(phase) + 2:] if phase != "converge" else check["name"]
        text = page.section(f"step-{phase}")
        assert folded(short) in text, check["name"]
        assert folded(check["detail"]) in text, check["name"]
    # the log lines quoted come from each phase's own bytes: r2's takeover under stop-r1
    stop = page.section("step-stop-r1")
    assert "(VI_LAN) Entering MASTER STATE" in stop and "r2.keepalived.log" in stop
    assert "(VI_LAN) Backup received priority 0 advertisement" in stop
    assert "Entering BACKUP STATE (init)" not in stop  # that is the converge phase's
    # the snapshot: who held the VIP, and the client's ARP entry
    assert "192.168.1.1 is at b2:a1:06:e7:57:7a, the MAC of r2" in stop


def test_each_fault_shows_its_takeover_against_the_rfc_window(stored):
    run, results = stored
    page = Page(render_html(results, run))
    for i, fault in enumerate(results["faults"], start=1):
        text = page.section(f"fault-{i}")
        timing = fault["timing"]
        assert fault["name"] in text
        assert f"{timing['measured_s']:.3f} s" in text
        assert (f"Accepted window: {timing['lower_s']:.3f} s to {timing['upper_s']:.3f} s"
                in text)
        assert "IN THE WINDOW" in text
        for part in timing["upper_parts"]:
            assert part["why"] in text
    first = page.section("fault-1")
    assert "Skew_Time = (256 − 100) / 256 = 0.609 s" in first
    second = page.section("fault-2")
    assert "Master_Down_Interval = 3 × 1 + (256 − 120) / 256 = 3.531 s" in second


def test_the_configs_each_router_ran_are_shown_whole(stored):
    run, results = stored
    page = Page(render_html(results, run))
    configs = page.section("configs")
    for router in ("r1", "r2"):
        conf = (run / f"{router}.keepalived.conf").read_text()
        assert folded(conf) in configs
    assert "priority 120" in configs and "priority 100" in configs


def test_nothing_is_fetched_from_anywhere(stored):
    run, results = stored
    text = render_html(results, run)
    page = Page(text)
    assert not re.search(r"https?:", text)  # not in src, href, CSS or text
    assert page.find("script") == [] and page.find("link") == [] and page.find("iframe") == []
    images = page.find("img")
    assert images, "the timeline is an <img>"
    for attrs in images:
        assert attrs["src"].startswith("data:image/png;base64,")
        assert base64.b64decode(attrs["src"].split(",", 1)[1]).startswith(PNG_MAGIC)
    for attrs in page.find("a"):
        assert attrs["href"].startswith("#")
    timeline = next(a for a in images if a.get("id") == "timeline-img")
    assert base64.b64decode(timeline["src"].split(",", 1)[1]) == (run / "timeline.png").read_bytes()


def test_text_from_results_is_escaped(stored):
    run, results = stored
    results = copy.deepcopy(results)
    results["checks"][0]["detail"] = '<script>alert("x")</script> & <b>bold</b>'
    results["description"] = "<img src=x onerror=alert(1)>"
    results["faults"][0]["name"] = "<i>stop</i>"
    text = render_html(results, run)
    page = Page(text)
    assert page.find("script") == [] and page.find("b") == [] and page.find("i") == []
    assert all(a.get("src", "").startswith("data:") for a in page.find("img"))
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;" in text
    assert '<script>alert("x")</script>' in page.all_text  # shown as text


def test_the_lesson_s_claims_meet_the_measurements(stored):
    run, results = stored
    found = {c["kind"]: c for c in claims(results)}
    pings = found["pings"]
    # a clean stop: Skew_Time 0.609 s, the old master forwarded meanwhile: nothing lost
    assert pings["status"] == "differs" and pings["pings"] == (0, 0) and pings["lost"] == 0
    assert found["arp"]["status"] == "differs" and found["arp"]["owner"] == "r1"
    assert found["password"]["password"] == "Lab2pass"
    lesson = Page(render_html(results, run)).section("lesson")
    assert "“1-2 ping packets lost”" in lesson
    assert "went 0.625 s without a reply: 0 pings lost, 105 answered late" in lesson
    assert "would have lost 0 replies here" in lesson
    assert "Skew_Time = (256 − 100) / 256 = 0.609 s" in lesson
    assert "12:95:0c:ab:54:09, the own MAC of r1, not 00:00:5e:00:01:0a" in lesson


def test_a_silent_failure_loses_pings_at_one_a_second(synthetic_run):
    _run, results = synthetic_run
    # the synthetic client goes 0.615 s without replies at 10 ms probes: one 1 s ping at most
    pings = next(c for c in claims(results) if c["kind"] == "pings")
    assert pings["pings"] == (0, 1) and pings["lost"] >= 61


def test_a_run_without_files_draws_its_timeline(synthetic_run):
    run, results = synthetic_run
    assert not (run / "timeline.png").exists() and not (run / "r1.keepalived.conf").exists()
    page = Page(render_html(results, run))
    timeline, = [a for a in page.find("img") if a.get("id") == "timeline-img"]
    assert base64.b64decode(timeline["src"].split(",", 1)[1]).startswith(PNG_MAGIC)
    assert page.section("verdict").startswith("PASS")
    assert "Its configuration file is not in this run's folder." in page.section("configs")
    for check in results["checks"]:
        assert folded(check["detail"]) in page.all_text


def test_every_golden_run_renders(monkeypatch):
    """One real run of every scenario on both speakers (no files: no timeline drawn here)."""
    monkeypatch.setattr(report_html, "timeline_uri", lambda results, files: None)
    golden = json.loads(gzip.decompress((DATA / "analysis.json.gz").read_bytes()))
    for name, run in golden.items():
        results = copy.deepcopy(run["input"])
        for fault, derived in zip(results["faults"], run["expected"]["faults"], strict=True):
            fault.update(derived)
        results["checks"] = run["expected"]["checks"]
        results["verdict"] = "pass" if all(c["ok"] for c in results["checks"]) else "fail"
        page = Page(render_html(results, None))
        assert page.section("verdict").startswith(results["verdict"].upper()), name
        for check in results["checks"]:
            assert folded(check["detail"]) in page.all_text, (name, check["name"])
        assert "No timeline" in page.section("timeline")


def test_french_sets_the_language_and_the_decimal_comma(stored):
    run, results = stored
    with i18n.using("fr"):
        page = Page(render_html(results, run))
    assert page.find("html") == [{"lang": "fr"}]
    assert "0,619 s" in page.section("fault-1")  # (a no-break space, folded)
    assert "Skew_Time = (256 − 100) / 256 = 0,609 s" in page.section("fault-1")


def test_french_shows_the_checks_in_french_under_their_phases(synthetic_run):
    run, results = synthetic_run
    with i18n.using("fr"):
        checks, translated = shown_checks(results)
        page = Page(render_html(results, run))
    assert translated
    english = {c["name"] for c in results["checks"]}
    assert all(c["name"] not in english for c in checks)  # every one in French
    for check, stored in zip(checks, results["checks"], strict=True):
        phase = "stop-r1" if stored["name"].startswith("stop-r1: ") else "converge"
        assert check["phase"] == phase
        assert folded(check["short"]) in page.section(f"step-{phase}")
        assert not check["short"].startswith("stop-r1")
    assert "another version of vrrplab" not in page.all_text


def test_checks_another_version_wrote_stay_in_english_and_say_so(stored):
    run, results = stored
    results = copy.deepcopy(results)
    results["checks"][4]["detail"] = "as another version of vrrplab worded it"
    with i18n.using("fr"):
        checks, translated = shown_checks(results)
        page = Page(render_html(results, run))
    assert not translated and [c["name"] for c in checks] == [c["name"] for c in results["checks"]]
    assert "r2 becomes master" in page.section("step-stop-r1")


def test_the_report_is_written_beside_results_json(stored):
    run, results = stored
    path = write_html_report(run, results)
    assert path == run / "report.html" and path.is_file() and not path.is_symlink()
    assert path.read_text(encoding="utf-8") == render_html(results, run)
    assert oct(path.stat().st_mode & 0o777) == "0o644"
    assert not [p for p in run.iterdir() if p.name.startswith(".report.")]


def test_a_link_at_report_html_is_replaced_not_followed(stored, tmp_path):
    run, results = stored
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (run / "report.html").symlink_to(victim)
    path = write_html_report(run, results)
    assert victim.read_text() == "keep me"
    assert not path.is_symlink() and "failover-basic" in path.read_text()


def test_files_are_read_by_name_without_following_links(stored, tmp_path):
    run, results = stored
    secret = tmp_path / "secret.conf"
    secret.write_text("auth_pass TOPSECRET")
    (run / "r1.keepalived.conf").unlink()
    (run / "r1.keepalived.conf").symlink_to(secret)
    (run / "r2.keepalived.log").unlink()
    os.mkfifo(run / "r2.keepalived.log")  # a FIFO must not hang the report
    results = copy.deepcopy(results)
    results["artifacts"].append("../secret.conf")
    text = render_html(results, run)
    assert "TOPSECRET" not in text
    assert "r1.keepalived.conf" in Page(text).section("configs")  # named as missing


# -- in a browser -----------------------------------------------------------------------


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _run_chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess:
    browser = _chromium()
    return subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                           "--hide-scrollbars", "--force-device-scale-factor=1",
                           f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=120)


PROBE = """<script>
addEventListener("load", () => {
  const img = document.getElementById("timeline-img"), box = img.getBoundingClientRect();
  document.body.dataset.probe = JSON.stringify({complete: img.complete, width: img.naturalWidth,
    height: img.naturalHeight, top: box.top + scrollY, left: box.left + scrollX,
    shownWidth: box.width, shownHeight: box.height});
});
</script>"""


def _screenshot(page: Path, out: Path, profile: Path) -> tuple[object, dict]:
    """The page at 1280x2400 as pixels, and where the timeline sits and whether it decoded
    (read by a script added to a copy of the page: the report itself has none)."""
    import numpy as np
    from PIL import Image

    done = _run_chromium([f"--screenshot={out}", "--window-size=1280,2400",
                          page.as_uri()], profile)
    assert out.exists(), done.stderr[-2000:]
    probed = page.with_name("probed.html")
    probed.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"),
                      encoding="utf-8")
    dom = _run_chromium(["--window-size=1280,2400", "--dump-dom", probed.as_uri()], profile)
    found = re.search(r'data-probe="([^"]*)"', dom.stdout)
    assert found, dom.stderr[-2000:]
    return np.asarray(Image.open(out).convert("RGB")).astype(float), json.loads(unescape(found[1]))


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.skipif(_chromium() is None, reason="headless Chromium test: no `chromium` on PATH "
                                                "(Debian: apt-get install chromium)")
def test_chromium_shows_the_page_and_its_timeline(stored, tmp_path):
    pytest.importorskip("numpy")
    pytest.importorskip("PIL", reason="PIL reads the screenshot")
    run, results = stored
    page = write_html_report(run, results)
    pixels, probe = _screenshot(page, tmp_path / "report.png", tmp_path / "profile")
    assert pixels.shape[:2] == (2400, 1280)
    assert pixels.std() > 20, "the screenshot is blank"
    # the verdict banner: a wide block of the PASS green (#146c2e) near the top
    green = (abs(pixels[..., 0] - 0x14) < 8) & (abs(pixels[..., 1] - 0x6c) < 8) & \
            (abs(pixels[..., 2] - 0x2e) < 8)
    assert green[:600].sum() > 100_000, "no PASS banner at the top"
    # the timeline decoded at its full size, and shows within the first screen
    assert probe["complete"] and (probe["width"], probe["height"]) == (1540, 660)
    top, left = round(probe["top"]), round(probe["left"])
    height, width = round(probe["shownHeight"]), round(probe["shownWidth"])
    assert width > 1000 and top + height <= 2400, probe
    crop = pixels[top + 5:top + height - 5, left + 5:left + width - 5]
    # a plot: mostly white, with its red fault bands and blue/orange advert dots
    assert 0.5 < (crop.min(axis=2) > 240).mean() < 0.99
    reddish = (crop[..., 0] > 200) & (crop[..., 1] < 230) & (crop[..., 2] < 230) & \
              (crop[..., 0] - crop[..., 2] > 20)
    assert reddish.mean() > 0.01, "no fault band: the timeline did not load"

    # the same check fails on a page whose timeline is broken: it can tell
    broken = page.with_name("broken.html")
    text = page.read_text(encoding="utf-8")
    broken.write_text(re.sub(r'(id="timeline-img" src="data:image/png;base64,)[^"]*',
                             r"\1AAAA", text), encoding="utf-8")
    pixels, probe = _screenshot(broken, tmp_path / "broken.png", tmp_path / "profile")
    assert probe["width"] == 0
    top, left = round(probe["top"]), round(probe["left"])
    crop = pixels[top:top + 300, left:left + 1000]
    reddish = (crop[..., 0] > 200) & (crop[..., 1] < 230) & (crop[..., 2] < 230) & \
              (crop[..., 0] - crop[..., 2] > 20)
    assert reddish.mean() < 0.001
