"""vrrplab export SCENARIO --containerlab DIR: the lab for containerlab and clabernetes.

No containerlab, no Docker here: the folder is checked as text. Its topology file against
vrrplab's own JSON Schema of the part of containerlab's format the export uses
(data/containerlab-export.schema.json, strict), for every scenario; its nodes' exec lines
against the lab's own (`Lab._configure`, its commands captured); its data plane against
any way out of the lab.
"""

from __future__ import annotations

import ipaddress
import json
import shlex
import shutil
import subprocess
from pathlib import Path

import jsonschema  # a test dependency ([test]): missing, the test fails rather than skips
import pytest
import yaml
from click.testing import CliRunner

from vrrplab.cli import main
from vrrplab.export import clab_frr, configs, containerlab
from vrrplab.export.clab_command import folder_files
from vrrplab.loader import find_scenario, list_scenarios, load_scenario
from vrrplab.speakers.frr_conf import render_frr_conf


SCHEMA = json.loads((Path(__file__).parent / "data" / "containerlab-export.schema.json")
                    .read_text())
SCENARIOS = list_scenarios()


def scenario(name: str = "failover-basic"):
    return load_scenario(find_scenario(name))


def errors(doc: dict) -> list[str]:
    validator = jsonschema.Draft7Validator(SCHEMA)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(doc)]


def export(*args: str):
    return CliRunner().invoke(main, ["export", *map(str, args)])


# -- the format -------------------------------------------------------------------------


def test_the_schema_is_a_valid_draft_7_schema():
    jsonschema.Draft7Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_scenario_s_export_fits_the_schema(path):
    loaded = load_scenario(path)
    text = containerlab.render(loaded)
    doc = yaml.safe_load(text)
    assert doc == containerlab.document(loaded)  # the comments hide nothing
    assert errors(doc) == []


@pytest.mark.parametrize("spoil, where", [
    (lambda d: d["topology"]["links"][0].update(endpoints=["r1-eth0", "s1:eth1"]),
     "topology/links/0/endpoints/0"),
    (lambda d: d["topology"]["links"][0].update(endpoints=["r1:eth0"]),
     "topology/links/0/endpoints"),
    (lambda d: d["topology"]["nodes"]["r1"].update(sysctls={"net.ipv4.ip_forward": 1}),
     "topology/nodes/r1"),
    (lambda d: d["topology"]["nodes"]["c1"].update({"network-mode": "bridge"}),
     "topology/nodes/c1/network-mode"),
    (lambda d: d["topology"]["nodes"]["c1"].update(kind="alpine"), "topology/nodes/c1/kind"),
    (lambda d: d["topology"]["nodes"]["r1"].update(
        binds=["/etc/passwd:/etc/keepalived/keepalived.conf:ro"]), "topology/nodes/r1/binds/0"),
    (lambda d: d["topology"]["links"].append({"type": "host", "endpoints": ["r1:eth9", "x:y"]}),
     "topology/links/6"),
    (lambda d: d.update(mgmt={"network": "outside"}), ""),
])
def test_a_wrong_field_is_refused(spoil, where):
    doc = containerlab.document(scenario())
    spoil(doc)
    found = errors(doc)
    assert found and any(e.startswith(f"{where}: ") for e in found), found


# -- the same lab as vrrplab's ----------------------------------------------------------


@pytest.mark.parametrize("name", ["failover-basic", "ipv6", "vmac", "three-routers",
                                  "load-sharing", "hostile-adverts"])
def test_each_node_s_lines_are_the_lab_s(name, monkeypatch):
    network = pytest.importorskip("vrrplab.lab.network", reason="Mininet (apt-get install mininet)")
    loaded = scenario(name)
    captured = {}
    monkeypatch.setattr(network, "run_lines", lambda host, lines: captured.update({host: lines}))
    monkeypatch.setattr(network.Lab, "host", lambda self, node: node)
    lab = network.Lab(loaded.topology)
    for node in loaded.topology.nodes:
        lab._configure(node)
        assert containerlab.node_lines(loaded.topology, node) == captured[node.name]


def test_the_links_are_the_lesson_s_interfaces_each_on_its_segment_s_bridge():
    loaded = scenario("load-sharing")
    doc = containerlab.document(loaded)
    bridges = containerlab.bridges(loaded.topology)
    ends = [tuple(link["endpoints"]) for link in doc["topology"]["links"]]
    wanted = {f"{n.name}:{i.name}": bridges[i.segment]
              for n in loaded.topology.nodes for i in n.interfaces}
    assert sorted(a for a, _b in ends) == sorted(wanted)
    assert all(b.split(":")[0] == wanted[a] for a, b in ends)
    assert len({b for _a, b in ends}) == len(ends)  # a port of a bridge carries one link
    for segment, bridge in bridges.items():  # each bridge enslaves exactly its ports
        ports = sorted(b.split(":")[1] for a, b in ends if b.startswith(f"{bridge}:"))
        lines = doc["topology"]["nodes"][bridge]["exec"]
        assert sorted(line.split()[4] for line in lines if " master " in line) == ports


def test_the_routers_run_the_lab_s_keepalived_conf_and_install_its_track_scripts():
    loaded = scenario("healthcheck-fail")
    files = folder_files(loaded)
    for router, text in configs.rendered(loaded.topology).items():
        assert files[f"{router}.keepalived.conf"].decode() == text
        node = containerlab.document(loaded)["topology"]["nodes"][router]
        assert node["binds"][0] == f"{router}.keepalived.conf:/etc/keepalived/keepalived.conf:ro"
        script = f"{router}.chk_gateway.sh"
        assert script in files and f"{script}:/vrrplab/{script}:ro" in node["binds"]
        assert f"/etc/keepalived/{script}" in text  # where keepalived.conf runs it from
        install = f"install -m 0755 /vrrplab/{script} /etc/keepalived/{script}"
        assert node["exec"][-2:] == [install, f"touch {containerlab.READY}"]


def test_the_client_pings_the_vip_then_the_upstream_host():
    doc = containerlab.document(scenario())
    assert doc["topology"]["nodes"]["c1"]["exec"][-2:] == [
        "ping -c 3 -w 30 192.168.1.1", "ping -c 3 -w 30 203.0.113.100"]


# -- nothing leaves the lab -------------------------------------------------------------


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_no_node_is_on_the_management_network_and_no_route_leads_out(path):
    loaded = load_scenario(path)
    topology = loaded.topology
    doc = containerlab.document(loaded)
    assert set(doc) == {"name", "topology"}  # no mgmt section
    subnets = [ipaddress.ip_network(s) for s in topology.segments.values()]
    vips = {v.ip for i in topology.vrrp.instances for v in i.vips}
    inside = {a for n in topology.nodes for a in n.answers_for}
    for name, node in doc["topology"]["nodes"].items():
        assert node["network-mode"] == "none", name
        for line in node["exec"]:
            words = shlex.split(line)
            if words[:1] != ["ip"] or "route" not in words:
                continue
            to, hop = words[words.index("replace") + 1], ipaddress.ip_address(
                words[words.index("via") + 1])
            assert hop.is_link_local or any(hop in s for s in subnets), line
            if to == "default":  # only a client's, through its gateway: a VIP of the lab
                assert topology.node(name).role == "client" and hop in vips, line
            else:
                net = ipaddress.ip_network(to)
                assert any(net.subnet_of(s) for s in subnets if s.version == net.version) \
                    or net.num_addresses == 1 and net.network_address in inside, line
    for link in doc["topology"]["links"]:
        assert all(e.split(":")[0] in doc["topology"]["nodes"] for e in link["endpoints"])


# -- the folder and the command ---------------------------------------------------------


def test_the_folder(tmp_path):
    out = tmp_path / "clab lab"
    result = export("failover-basic", "--containerlab", out)
    assert result.exit_code == 0, result.output
    names = ["failover-basic.clab.yml", "Dockerfile", "keepalived-start.sh",
             "r1.keepalived.conf", "r2.keepalived.conf", "README.md"]
    assert sorted(p.name for p in out.iterdir()) == sorted(names)
    dockerfile = (out / "Dockerfile").read_text()
    assert "FROM debian:bookworm-slim" in dockerfile
    assert "keepalived iputils-ping iproute2 psmisc procps" in dockerfile
    assert "docker build -t vrrplab/keepalived:2.2.7 ." in dockerfile
    clab = (out / "failover-basic.clab.yml").read_text()
    assert "image: \"vrrplab/keepalived:2.2.7\"" in clab
    assert "management network" in clab and "network-mode: none" in clab
    assert (out / "keepalived-start.sh").stat().st_mode & 0o111  # COPY keeps it executable
    readme = (out / "README.md").read_text()
    assert "sudo containerlab deploy -t failover-basic.clab.yml" in readme
    assert "docker exec clab-failover-basic-c1 ping -c 5 192.168.1.1" in readme
    for name in names:
        assert name in result.output


def test_the_router_image_option(tmp_path):
    image = "registry.example:5000/vrrplab/keepalived:2.2.7"
    result = export("failover-basic", "--containerlab", tmp_path / "k", "--router-image", image)
    assert result.exit_code == 0, result.output
    doc = yaml.safe_load((tmp_path / "k" / "failover-basic.clab.yml").read_text())
    images = {n["image"] for n in doc["topology"]["nodes"].values()}
    assert images == {image, containerlab.HOST_IMAGE}
    assert f"docker build -t {image} ." in (tmp_path / "k" / "Dockerfile").read_text()


@pytest.mark.skipif(shutil.which("sh") is None, reason="no POSIX shell")
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_start_script_is_sound_shell(tmp_path, lang):
    from vrrplab import i18n

    with i18n.using(lang):
        text = containerlab.start_script()
    script = tmp_path / "start.sh"
    script.write_text(text)
    assert subprocess.run(["sh", "-n", str(script)], capture_output=True).returncode == 0
    said = next(line for line in text.splitlines() if line.startswith("printf "))
    out = subprocess.run(["sh", "-c", said.replace('"$code"', "3")], capture_output=True,
                         text=True)
    assert out.returncode == 0 and " 3" in out.stdout and "%" not in out.stdout


def test_french(tmp_path):
    result = CliRunner().invoke(main, ["export", "failover-basic", "--containerlab",
                                       tmp_path / "fr", "--lang", "fr"])
    assert result.exit_code == 0, result.output
    assert "écrit" in result.output or "dossier" in result.output
    clab = (tmp_path / "fr" / "failover-basic.clab.yml").read_text()
    assert "réseau de gestion" in clab
    assert yaml.safe_load(clab) == containerlab.document(scenario())


# -- exit 2, nothing written -----------------------------------------------------------


@pytest.mark.parametrize("args, said", [
    (["DIR", "--containerlab", "CLAB"], "not both"),
    ([], "expected a folder"),
    (["--containerlab", "CLAB", "--blanks", "--teacher"], "--blanks, --teacher: options of the "
                                                         "lab sheet"),
    (["--containerlab", "CLAB", "--no-run"], "--no-run"),
    (["DIR", "--router-image", "x/y:1"], "--router-image: only with --containerlab"),
])
def test_the_folders_and_options_a_user_mixes_up(tmp_path, args, said):
    args = [str(tmp_path / a) if a in ("DIR", "CLAB") else a for a in args]
    result = export("failover-basic", *args)
    assert result.exit_code == 2, result.output
    assert said in result.output and result.output.startswith("vrrplab: export")
    assert list(tmp_path.iterdir()) == []


def test_a_folder_not_empty_or_an_unknown_scenario(tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("mine")
    result = export("failover-basic", "--containerlab", tmp_path / "full")
    assert result.exit_code == 2 and "not empty" in result.output
    assert [p.name for p in (tmp_path / "full").iterdir()] == ["notes.txt"]
    result = export("no-such-lesson", "--containerlab", tmp_path / "new")
    assert result.exit_code == 2 and not (tmp_path / "new").exists()


# -- --speaker frr ----------------------------------------------------------------------


def frr_scenarios():
    from vrrplab.speakers import fit

    for path in SCENARIOS:
        loaded = load_scenario(path)
        if not fit.missing(loaded, {r.name: "frr" for r in loaded.topology.routers}):
            yield path


@pytest.mark.parametrize("path", list(frr_scenarios()), ids=lambda p: p.stem)
def test_every_scenario_frr_runs_fits_the_schema_on_frr(path):
    loaded, _adapted = clab_frr.fitted(load_scenario(path))
    doc = containerlab.document(loaded, clab_frr.FRR_IMAGE, "frr")
    assert yaml.safe_load(containerlab.render(loaded, clab_frr.FRR_IMAGE, "frr")) == doc
    assert errors(doc) == []


def test_frr_routers_run_the_lab_s_frr_conf_and_make_their_macvlans_first(tmp_path):
    result = export("failover-basic", "--containerlab", tmp_path / "f", "--speaker", "frr")
    assert result.exit_code == 0, result.output
    out = tmp_path / "f"
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["failover-basic.clab.yml", "daemons", "r1.frr.conf", "r2.frr.conf", "README.md"])
    loaded, adapted = clab_frr.fitted(scenario())
    assert loaded.topology.vrrp.use_vmac and not loaded.topology.vrrp.auth_pass
    assert len(adapted) == 3 and "virtual MAC" in result.output  # said, as `run` says it
    doc = yaml.safe_load((out / "failover-basic.clab.yml").read_text())
    r1 = doc["topology"]["nodes"]["r1"]
    assert r1["image"] == "quay.io/frrouting/frr:8.4.2"
    assert r1["binds"] == ["r1.frr.conf:/etc/frr/frr.conf:ro", "daemons:/etc/frr/daemons:ro"]
    assert (out / "r1.frr.conf").read_text() == render_frr_conf(loaded.topology, "r1")
    assert "vrrpd=yes" in (out / "daemons").read_text().splitlines()
    macvlan = r1["exec"][r1["exec"].index("ip link add vrrp4-10 link eth0 type macvlan mode "
                                          "bridge"):][:4]
    assert macvlan == ["ip link add vrrp4-10 link eth0 type macvlan mode bridge",
                       "ip link set dev vrrp4-10 addrgenmode random",  # a command of its own
                       "ip link set dev vrrp4-10 address 00:00:5e:00:01:0a",
                       "ip addr add 192.168.1.1/24 dev vrrp4-10"]
    assert r1["exec"].index("ip link set dev vrrp4-10 up") > r1["exec"].index(macvlan[-1])
    for sysctl in ("net.ipv4.conf.all.arp_ignore=1", "net.ipv4.conf.all.arp_announce=2",
                   "net.ipv4.conf.all.ignore_routes_with_linkdown=1",
                   "net.ipv6.conf.all.ignore_routes_with_linkdown=1"):
        assert r1["exec"].count(f"sysctl -qw {sysctl}") == 1
    assert r1["exec"][-1] == f"touch {containerlab.READY}"
    assert containerlab.READY in r1["cmd"] and r1["cmd"].endswith("/usr/lib/frr/docker-start'")
    assert "Dockerfile" not in result.output and "docker build" not in result.output
    assert "vrrp 10 shutdown" in (out / "README.md").read_text()


def test_a_scenario_frr_cannot_run_is_refused_with_what_it_lacks(tmp_path):
    result = export("healthcheck-fail", "--containerlab", tmp_path / "f", "--speaker", "frr")
    assert result.exit_code == 2
    assert "export --speaker frr: r1, r2 (frr): no health-check scripts" in result.output
    assert not (tmp_path / "f").exists()


def test_speaker_is_an_option_of_the_containerlab_lab_only(tmp_path):
    result = export("failover-basic", tmp_path / "sheet", "--speaker", "frr")
    assert result.exit_code == 2 and "--speaker: only with --containerlab DIR" in result.output
