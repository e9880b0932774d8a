"""vrrplab interop without a lab: the plan, the reasons from the evidence, the matrix and
its files, the exit codes, the option errors (runs replaced by synthetic results.json)."""

from __future__ import annotations

import json
import signal
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from vrrplab import i18n
from vrrplab.bench import launch
from vrrplab.bench.launch import Outcome
from vrrplab.cli import main
from vrrplab.errors import InputError
from vrrplab.interop import command, evidence, matrix, plan
from vrrplab.interop.plan import Cell

IPS = {"r1": "192.168.1.10", "r2": "192.168.1.20"}


def results(verdict="pass", speakers=None, takeover=0.6021, bound=0.609375, version=3,
            adverts=None, states=None, checks=(), errors=(), skipped_because=None,
            run_id="run-1", signal_name=None):
    speakers = speakers or {"r1": "keepalived", "r2": "frr"}
    versions = {"keepalived": "keepalived 2.2.7", "frr": "frr 8.4.4",
                "bundled": "vrrplab bundled 0.1.0"}
    if verdict == "skipped":
        return {"schema": 2, "scenario": "failover-basic", "verdict": "skipped",
                "speakers": speakers, "run_id": run_id, "skipped_because": skipped_because,
                "faults": [], "checks": [], "errors": []}
    return {
        "schema": 2, "scenario": "failover-basic", "run_id": run_id, "verdict": verdict,
        "speakers": speakers, "signal": signal_name,
        "speaker_versions": {r: versions[k] for r, k in speakers.items()},
        "adapted": [{"change": "use_vmac", "routers": ["r2"], "kind": "frr"}],
        "vrrp": {"version": version, "advert_int_s": 1.0, "vrid": 10,
                 "gateways": [{"instance": "VI_LAN", "vrid": 10}],
                 "routers": {r: {"ip": ip} for r, ip in IPS.items()}},
        "faults": [{"name": "stop-r1", "kind": "stop", "takeover_s": takeover,
                    "bound_s": bound, "new_master": "r2", "expected_master": "r2",
                    "timing": {"verdict": "ok"}, "error": None},
                   {"name": "restart-r1", "kind": "start", "takeover_s": 3.57, "bound_s": 3.53,
                    "timing": {"verdict": "ok"}}],
        "snapshots": [{"label": "converge", "states": states or {"r1": "MASTER",
                                                                  "r2": "BACKUP"},
                       "vips": {"r1": ["127.0.0.1", "192.168.1.10", "203.0.113.10"],
                                "r2": ["192.168.1.20", "203.0.113.20"]}}],
        "timeline": {"adverts": adverts if adverts is not None else [
            {"t": 3.0 + i, "router": "r1", "src": IPS["r1"], "vrid": 10, "priority": 120}
            for i in range(5)]},
        "checks": [{"name": n, "ok": False, "detail": "x"} for n in checks]
                  + [{"name": "fine", "ok": True, "detail": "y"}],
        "errors": list(errors),
    }


# -- the plan and the options ---------------------------------------------------------

def test_the_default_plan_is_every_ordered_pair_in_both_versions():
    cells = plan.plan(plan.parse_speakers(None), plan.parse_scenarios(None),
                      plan.parse_versions(None))
    assert len(cells) == 18
    assert [(c.version, c.r1, c.r2) for c in cells[:4]] == [
        (2, "bundled", "bundled"), (2, "bundled", "keepalived"), (2, "bundled", "frr"),
        (2, "keepalived", "bundled")]
    assert {(c.r1, c.r2) for c in cells} == {(a, b) for a in plan.DEFAULT_SPEAKERS
                                            for b in plan.DEFAULT_SPEAKERS}
    cell = cells[5]
    argv = plan.command_line(cell, Path("/o/runs"))
    assert argv[1:4] == ["-m", "vrrplab", "run"] and argv[4].endswith("failover-basic.yaml")
    assert argv[5:9] == ["--speaker", "r1=keepalived,r2=frr", "--vrrp-version", "2"]
    assert "--json" in argv and cell.label == "failover-basic.v2.keepalived-frr"


def test_ipv6_adds_its_scenario_in_vrrpv3_only():
    cells = plan.plan(["bundled", "frr"], ["failover-basic"], [2, 3], ipv6=True)
    assert [(c.scenario, c.version) for c in cells[-4:]] == [("ipv6", 3)] * 4
    assert len(cells) == 4 * 2 + 4


@pytest.mark.parametrize("args, said", [
    (["--speakers", "bundled,quagga"],
     "--speakers: expected speaker kinds among keepalived, bundled, frr, got quagga"),
    (["--speakers", "bundled,,frr"], "--speakers: expected a comma-separated list"),
    (["--versions", "2,4"], "--versions: expected VRRP versions among 2, 3, got 4"),
    (["--scenarios", "no-such"], "no-such: no such scenario (known: "),
    (["--scenarios", "three-routers"], "expected a lab of two routers, r1 and r2"),
    (["--scenarios", "ipv6", "--versions", "2"], "VRRPv2 (RFC 3768) is IPv4 only"),
])
def test_bad_input_is_exit_2_before_anything_runs(args, said, monkeypatch):
    started = []
    monkeypatch.setattr(launch, "run_to_end", lambda *a, **k: started.append(a))
    got = CliRunner().invoke(main, ["interop", *args])
    assert got.exit_code == 2, got.output
    assert said in got.output and not started


def test_option_errors_in_french():
    got = CliRunner().invoke(main, ["interop", "--versions", "1", "--lang", "fr"])
    assert got.exit_code == 2
    assert "--versions\u00a0: versions de VRRP attendues parmi 2, 3, reçu 1" in got.output


def test_not_root_is_exit_3(monkeypatch, tmp_path):
    monkeypatch.setattr("vrrplab.lab.sandbox.os.geteuid", lambda: 1000)
    got = CliRunner().invoke(main, ["interop", "--out", str(tmp_path / "o")])
    assert got.exit_code == 3, got.output


# -- the reasons, from the evidence ----------------------------------------------------

def bundled_log(src: str, reason: str = "bad_checksum", counted: int = 9) -> str:
    lines = [{"t": 1.0, "event": "start", "router": "r2"},
             {"t": 2.0, "event": "drop", "instance": "VI_LAN", "reason": reason, "src": src,
              "count": 1, "msg": f"(VI_LAN) dropped an advert from {src}: {reason}"},
             {"t": 3.0, "event": "drop", "instance": "VI_LAN", "reason": "own_advert",
              "src": "192.168.1.20", "count": 4},
             {"t": 9.0, "event": "stop", "counters": {"VI_LAN": {"drops": {reason: counted}}}}]
    return "\n".join(json.dumps(line) for line in lines) + "\n"


def test_a_bundled_router_that_dropped_every_advert_says_why():
    res = results("fail", speakers={"r1": "keepalived", "r2": "bundled"},
                  checks=["stop-r1: r2 takes over"])
    found = evidence.drops(res, {"r2": bundled_log("192.168.1.10")})
    assert [(d.router, d.sender, d.reason, d.count) for d in found] == [
        ("r2", "r1", "checksum", 9)]
    said = str(evidence.reason(res, {"r2": bundled_log("192.168.1.10")}))
    assert said.startswith("r2 (bundled) dropped every advert from r1 (keepalived): checksum")
    assert said.endswith("; failed checks: stop-r1: r2 takes over")


def test_fewer_drops_than_adverts_are_counted_not_every():
    res = results("fail", speakers={"r1": "keepalived", "r2": "bundled"})
    said = str(evidence.reason(res, {"r2": bundled_log("192.168.1.10", "bad_ttl", 2)}))
    assert said.startswith("r2 (bundled) dropped 2 adverts from r1 (keepalived): TTL or "
                           "hop limit not 255")


def test_keepalived_and_frr_lines_are_read():
    res = results("fail", speakers={"r1": "frr", "r2": "keepalived"})
    logs = {"r2": "Sat Dec  5 15:06:03 2026: (VI_LAN) received an invalid passwd!\n" * 3,
            "r1": "2026/12/05 15:06:03 VRRP: [CORE] [VRID 10] [IPv4] Datagram invalid: "
                  "Bad VRRP checksum 2e4c; should be 2d4c\n"
                  "2026/12/05 15:06:04 VRRP: [CORE] [VRID 10] [IPv4] Datagram invalid: "
                  "Received advertisement with advertisement interval 1 unequal to our "
                  "configured value 100\n"}
    found = {(d.router, d.reason): d for d in evidence.drops(res, logs)}
    assert set(found) == {("r2", "auth"), ("r1", "checksum"), ("r1", "interval")}
    assert found["r2", "auth"].count == 3 and found["r2", "auth"].sender == "r1"
    assert found["r1", "checksum"].sender == "r2" and "Bad VRRP checksum" in found[
        "r1", "checksum"].line
    said = str(evidence.reason(res, logs))
    assert said.startswith("r2 (keepalived) dropped 3 adverts from r1 (frr): authentication")


def test_drops_of_another_instance_are_not_the_gateway_s_story():
    res = results("fail", speakers={"r1": "keepalived", "r2": "frr"})
    logs = {"r1": "(VI_UP) received an invalid passwd!\n(VI_LAN) wrong version. Received 2 "
                  "and expect 3\n",
            "r2": "[VRID 20] [IPv4] Datagram invalid: Bad version 2\n"}
    assert [(d.router, d.reason, d.count) for d in evidence.drops(res, logs)] == [
        ("r1", "version", 1)]
    bundled = bundled_log("192.168.1.10").replace('"VI_LAN"', '"VI_UP"')
    res["speakers"] = {"r1": "keepalived", "r2": "bundled"}
    assert evidence.drops(res, {"r2": bundled}) == []


def frr_view(received: int, vrid: int = 10) -> list:
    return [{"vrid": vrid, "v4": {"status": "Master", "stats": {"adverTx": 9,
                                                               "adverRx": received}},
             "v6": {"stats": {"adverRx": 0}}}]


def test_an_frr_router_that_counted_no_advert_is_evidence_without_debug(tmp_path):
    res = results("fail", speakers={"r1": "keepalived", "r2": "frr"})
    said = str(evidence.reason(res, {"r2": "no Datagram lines here\n"}, {"r2": frr_view(0)}))
    assert said.startswith("r2 (frr) dropped every advert from r1 (keepalived): none counted "
                           "as received (vrrpd's adverRx 0; its reason needs debug vrrp "
                           "packets)")
    assert evidence.drops(res, {}, {"r2": frr_view(5)}) == []  # it heard r1
    assert evidence.drops(res, {}, {"r2": frr_view(0, vrid=20)}) == []  # another VRID
    (tmp_path / "r2.frr-show-vrrp.json").write_text(json.dumps(frr_view(0)))
    assert evidence.read_views(tmp_path, {"r1": "keepalived", "r2": "frr"}) == {
        "r2": frr_view(0)}


def test_an_unknown_frr_complaint_is_quoted():
    res = results("fail", speakers={"r1": "frr", "r2": "frr"})
    logs = {"r1": "[VRID 10] [IPv4] Datagram invalid: Something new\n"}
    assert [d.reason for d in evidence.drops(res, logs)] == ["Something new"]


def test_two_masters_at_once_are_a_disagreement():
    res = results("fail", states={"r1": "MASTER", "r2": "MASTER"})
    assert str(evidence.reason(res, {})) == (
        "r1 (keepalived), r2 (frr) were MASTER at the same time (converge): they do not "
        "agree on a master")


def test_both_advertising_on_the_wire_is_a_disagreement():
    adverts = [{"t": 3.0 + i / 2, "router": "r1" if i % 2 else "r2", "vrid": 10,
                "priority": 100} for i in range(8)]
    res = results("fail", adverts=adverts)
    said = str(evidence.disagreement(res))
    assert said == ("r1 (keepalived), r2 (frr) both advertised as master from 3.0 s: they "
                    "do not agree on a master")
    # one after the other (a takeover) is no disagreement
    swap = [{"t": 1.0 + i, "router": "r1" if i < 4 else "r2", "vrid": 10, "priority": 100}
            for i in range(8)]
    assert evidence.disagreement(results("fail", adverts=swap)) is None


def test_a_failure_without_evidence_says_the_run_s_error_and_checks():
    res = results("fail", errors=["timed out waiting for r2 to be MASTER"],
                  checks=["a", "b", "c"])
    assert str(evidence.reason(res, {})) == ("timed out waiting for r2 to be MASTER; failed "
                                             "checks: a, b and 1 more")
    assert evidence.reason(results("pass"), {}) is None


def test_a_failure_with_a_known_finding_says_it_after_the_checks():
    res = results("fail", speakers={"r1": "frr", "r2": "frr"},
                  checks=["stop-r1: takeover within the RFC window"])
    res["adapted"].append({"change": "known", "feature": "ipv6", "kind": "frr",
                           "routers": ["r1", "r2"]})
    said = str(evidence.reason(res, {}))
    assert said.startswith("failed checks: stop-r1: takeover within the RFC window; r1, r2 "
                           "(frr): over IPv6 a router that becomes master sends its first "
                           "advert one advertisement interval late"), said
    # no change of configuration: not listed with the adaptations
    cell = matrix.entry(CELL, Outcome(1, res, "/r/results.json", "/l"), {})
    assert matrix.adaptations([cell]) == [
        "every router answers with the virtual MAC (use_vmac), as frr always does (1 cells)"]


def test_logs_are_read_from_the_run_folder(tmp_path):
    (tmp_path / "r2.frr.log").write_text("hello")
    assert evidence.read_logs(tmp_path, {"r1": "keepalived", "r2": "frr"}) == {"r2": "hello"}
    assert evidence.read_logs(None, {"r1": "frr"}) == {}


# -- the cells --------------------------------------------------------------------------

CELL = Cell("failover-basic", "/x/failover-basic.yaml", 3, "keepalived", "frr")


def test_a_passed_cell_gives_its_takeover_against_the_bound():
    cell = matrix.entry(CELL, Outcome(0, results(), "/r/results.json", "/l"), {}, 17.2)
    assert cell["verdict"] == "pass" and cell["reason"] is None
    assert cell["takeover"] == {"fault": "stop-r1", "kind": "stop", "takeover_s": 0.6021,
                                "bound_s": 0.609375, "ratio": 0.988}
    assert matrix.cell_text(cell) == "pass 0.602 / 0.609 s"
    assert cell["speaker_versions"] == {"r1": "keepalived 2.2.7", "r2": "frr 8.4.4"}
    assert cell["adapted"] == [{"change": "use_vmac", "routers": ["r2"], "kind": "frr"}]
    assert matrix.adaptations([cell, cell]) == [
        "every router answers with the virtual MAC (use_vmac), as frr always does (2 cells)"]


def test_a_skipped_cell_says_why():
    res = results("skipped", skipped_because=[{"feature": "scripts", "routers": ["r2"],
                                               "kind": "frr"}])
    cell = matrix.entry(CELL, Outcome(0, res, None, None))
    assert cell["verdict"] == "skipped" and cell["takeover"] is None
    assert cell["reason"] == ("r2 (frr): no health-check scripts (vrrp_script, track_script), "
                              "which the scenario needs")


def test_a_run_without_results_is_an_error_and_one_not_started_is_not_run():
    cell = matrix.entry(CELL, Outcome(1, None, None, "/l", "Traceback: boom"))
    assert (cell["verdict"], cell["reason"]) == ("error", "Traceback: boom")
    cell = matrix.entry(CELL, Outcome(130, None, None, "/l", "x"))
    assert cell["verdict"] == "interrupted"
    assert matrix.entry(CELL, None)["verdict"] == "not run"


def test_exit_codes_and_the_baseline():
    ok = matrix.entry(CELL, Outcome(0, results(), None, None))
    bad = matrix.entry(CELL, Outcome(1, results("fail"), None, None))
    assert matrix.exit_code([ok], False, False, None) == 0
    assert matrix.exit_code([ok, bad], False, False, None) == 1
    assert matrix.exit_code([ok, bad], True, False, None) == 130
    assert matrix.exit_code([ok], False, True, None) == 3
    known = {"cells": [{**bad}]}  # the same pair failed in the baseline: a known finding
    assert matrix.exit_code([ok, bad], False, False, known) == 0
    fixed = {"cells": [{**bad, "verdict": "pass"}]}
    assert matrix.exit_code([ok, bad], False, False, fixed) == 1
    assert matrix.problems({"schema": 1, "cells": [{"scenario": "s"}]})
    assert matrix.problems({"schema": 1, "cells": []}) == []


# -- the command, its files -------------------------------------------------------------

class FakeRuns:
    """launch.run_to_end replaced: each cell's results.json and speaker logs written as a
    run would, by the pair (r1's kind, r2's kind, version)."""

    def __init__(self):
        self.calls: list[list[str]] = []
        self.hook = None

    def __call__(self, argv, log, children, overrun=""):
        self.calls.append(argv)
        speaker, version = argv[argv.index("--speaker") + 1], int(argv[argv.index(
            "--vrrp-version") + 1])
        runs = Path(argv[argv.index("--out") + 1])
        kinds = dict(part.split("=") for part in speaker.split(","))
        if self.hook is not None:
            got = self.hook(kinds, version)
            if got is not None:
                return got
        run_id = f"run-{len(self.calls)}"
        folder = runs / "failover-basic" / run_id
        folder.mkdir(parents=True)
        if kinds == {"r1": "keepalived", "r2": "bundled"} and version == 2:
            res = results("fail", speakers=kinds, version=2, run_id=run_id,
                          checks=["stop-r1: r2 takes over"])
            (folder / "r2.bundled.log").write_text(bundled_log("192.168.1.10"))
        elif "frr" in kinds.values() and version == 2:
            res = results("skipped", speakers=kinds, run_id=run_id, skipped_because=[
                {"feature": "auth", "routers": [r for r, k in kinds.items() if k == "frr"],
                 "kind": "frr"}])
        else:
            res = results("pass", speakers=kinds, version=version, run_id=run_id)
        log.write_text("report: " + str(folder) + "\n")
        return Outcome(0 if res["verdict"] != "fail" else 1, res, str(folder / "results.json"),
                       str(log))


@pytest.fixture
def fake(monkeypatch):
    runs = FakeRuns()
    monkeypatch.setattr(launch, "run_to_end", runs)
    monkeypatch.setattr(command, "check_machine", lambda kinds: None)
    return runs


def run_interop(out, said, **kw):
    args = dict(speakers=None, scenarios=None, versions=None, ipv6=False, out=out,
                baseline=None)
    args.update(kw)
    return command.interop(**args, say=said.append, argv=["--out", str(out)])


def test_the_matrix_files(tmp_path, fake):
    out, said = tmp_path / "out", []
    assert run_interop(out, said) == 1  # keepalived -> bundled fails in v2
    assert len(fake.calls) == 18
    doc = json.loads((out / "interop.json").read_text())
    assert doc["schema"] == 1 and doc["verdict"] == "fail" and doc["exit_code"] == 1
    assert doc["command"] == f"vrrplab interop --out {out}"
    assert doc["params"]["speakers"] == ["bundled", "keepalived", "frr"]
    assert doc["counts"] == {"pass": 12, "fail": 1, "skipped": 5, "error": 0,
                             "interrupted": 0, "not run": 0}
    failed = [c for c in doc["cells"] if c["verdict"] == "fail"]
    assert [(c["r1"], c["r2"], c["version"]) for c in failed] == [("keepalived", "bundled", 2)]
    assert failed[0]["reason"].startswith("r2 (bundled) dropped every advert from r1 "
                                          "(keepalived): checksum")
    assert failed[0]["evidence"][0]["from"] == "r1"
    assert failed[0]["run_dir"] == "runs/failover-basic/run-4"
    assert all("reason_localized" not in c for c in doc["cells"])
    md = (out / "interop.md").read_text()
    assert "## failover-basic, VRRPv2" in md and "## failover-basic, VRRPv3" in md
    assert "| r1 \\\\ r2 | bundled | keepalived | frr |" in md
    row = next(line for line in md.splitlines() if line.startswith("| **keepalived**"))
    assert row.split(" | ")[1] == "**FAIL 0.602 / 0.609 s** [2]"
    assert "2. r1 keepalived, r2 bundled: r2 (bundled) dropped every advert from r1 " \
           "(keepalived): checksum" in md
    assert "skipped [1]" in md and "no VRRPv2 PASS authentication (auth_pass)" in md
    assert "pass 0.602 / 0.609 s" in md and "`vrrplab interop --out " in md
    progress = [line for line in said if line.startswith("run ")]
    assert len(progress) == 18
    assert progress[0] == "run 1 of 18: failover-basic VRRPv2 r1=bundled r2=bundled: pass " \
                          "0.602 / 0.609 s [0.0 s]"
    assert said[-1] == f"matrix: {out.resolve()}/interop.md (and {out.resolve()}/interop.json)"


def test_a_baseline_with_the_same_failure_is_exit_0(tmp_path, fake):
    first, said = tmp_path / "a", []
    assert run_interop(first, said, speakers="keepalived,bundled", versions="2") == 1
    second = tmp_path / "b"
    assert run_interop(second, said, speakers="keepalived,bundled", versions="2",
                       baseline=first / "interop.json") == 0
    doc = json.loads((second / "interop.json").read_text())
    assert doc["baseline"]["new_failures"] == [] and doc["verdict"] == "fail"
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(InputError, match="schema"):
        run_interop(tmp_path / "c", said, baseline=tmp_path / "bad.json")


def test_an_out_that_holds_an_interop_is_refused(tmp_path, fake):
    out = tmp_path / "o"
    out.mkdir()
    (out / "interop.json").write_text("{}")
    with pytest.raises(InputError, match="already holds an interop.json"):
        run_interop(out, [])
    assert not fake.calls


def test_the_default_out_is_under_reports_interop(tmp_path, fake, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run_interop(None, [], speakers="bundled", versions="3") == 0
    made = list((tmp_path / "reports" / "interop").iterdir())
    assert len(made) == 1 and (made[0] / "interop.md").is_file()


def test_a_run_that_found_the_machine_unfit_is_exit_3(tmp_path, fake):
    fake.hook = lambda kinds, version: Outcome(3, None, None, None, "vrrplab: missing: tcpdump")
    said = []
    assert run_interop(tmp_path / "o", said, speakers="bundled", versions="3") == 3
    assert any("machine unfit" in line for line in said)


def test_interrupted_keeps_the_cells_done(tmp_path, fake):
    def hook(kinds, version):
        if kinds == {"r1": "bundled", "r2": "keepalived"}:
            signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
            time.sleep(0.3)
            return Outcome(130, None, None, None, "interrupted")
        return None

    fake.hook = hook
    out, said = tmp_path / "o", []
    assert run_interop(out, said, speakers="bundled,keepalived", versions="3") == 130
    assert len(fake.calls) == 2  # nothing new started
    doc = json.loads((out / "interop.json").read_text())
    assert doc["interrupted"] and doc["exit_code"] == 130
    assert [c["verdict"] for c in doc["cells"]] == ["pass", "interrupted", "not run",
                                                    "not run"]
    assert any(line.startswith("interrupted (SIGINT)") for line in said)
    assert "Interrupted" in (out / "interop.md").read_text()


def test_the_matrix_in_french(tmp_path, fake):
    out = tmp_path / "o"
    with i18n.using("fr"):
        run_interop(out, [], speakers="keepalived,bundled", versions="2")
    md = (out / "interop.md").read_text()
    assert "## failover-basic, VRRPv2" in md
    assert "a rejeté toutes les annonces de r1 (keepalived)\u00a0: somme de contrôle" in md
    assert "réussi 0,602 / 0,609 s" in md
    doc = json.loads((out / "interop.json").read_text())  # the data stays in English
    assert any(c["reason"] and "dropped every advert" in c["reason"] for c in doc["cells"])


def test_escape_keeps_a_cell_one_cell():
    assert matrix.escape("a|b\nc") == "a\\|b c"
