"""`vrrplab export SCENARIO --containerlab DIR`: the lab for containerlab, written.

Order as the sheet's (`export/command.py`, whose checks and writer it shares): the
scenario loads, DIR is new or an empty folder (never a file or a link) vrrplab can
write in, else one line, exit 2, nothing written; everything is rendered in memory, then
each file created new in DIR, and on a failure what was written is removed. No root, no
run, no network: the folder is text (`containerlab`, `clab_readme`).

DIR: `<scenario>.clab.yml`, `Dockerfile` and `keepalived-start.sh` (the routers' image),
`<router>.keepalived.conf`, the track scripts they run, `README.md`. With `--speaker frr`:
`<scenario>.clab.yml`, `daemons`, `<router>.frr.conf`, `README.md` (FRR's image is public),
the scenario as vrrplab runs it on FRR (`clab_frr.fitted`: exit 2 if vrrpd lacks what it
needs; what it changes is said, and written on top of the topology file).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from vrrplab.errors import EXIT_PASS
from vrrplab.export import clab_frr, containerlab
from vrrplab.export import configs as config_files
from vrrplab.export.clab_readme import readme
from vrrplab.export.command import check_folder, write_folder
from vrrplab.i18n import N_, Message, _
from vrrplab.loader import find_scenario, load_scenario
from vrrplab.loader.model import Scenario

CANNOT_WRITE = N_("{folder}: cannot write the lab there: {reason}")


def folder_files(scenario: Scenario, router_image: str | None = None,
                 speaker: str = "keepalived", adapted: tuple[str, ...] = ()
                 ) -> dict[str, bytes]:
    """Every file of the folder, by name, in the order they are written and listed; with
    frr, `scenario` is `clab_frr.fitted`'s and `adapted` its changes in words."""
    topology = scenario.topology
    image = router_image or containerlab.IMAGES[speaker]
    texts = {containerlab.clab_file(scenario):
             containerlab.render(scenario, image, speaker, adapted)}
    if speaker == "frr":
        texts[clab_frr.DAEMONS] = clab_frr.daemons_file()
        texts.update(clab_frr.frr_confs(topology))
    else:
        texts["Dockerfile"] = containerlab.dockerfile(scenario, image)
        texts[containerlab.START_SCRIPT] = containerlab.start_script()
        for router, text in config_files.rendered(topology).items():
            texts[config_files.config_name(router)] = text
        texts.update(config_files.scripts(topology))
    texts["README.md"] = readme(scenario, image, [*texts, "README.md"], speaker)
    return {name: text.encode("utf-8") for name, text in texts.items()}


def export_containerlab(target: str, folder: Path, router_image: str | None = None,
                        speaker: str = "keepalived",
                        say: Callable[[str], None] = print) -> int:
    """The command; returns its exit code (InputError: the caller's one line, exit 2)."""
    scenario = load_scenario(find_scenario(target))
    adapted: list[Message] = []
    if speaker == "frr":
        scenario, adapted = clab_frr.fitted(scenario)
    folder = Path(folder)
    check_folder(folder)
    image = router_image or containerlab.IMAGES[speaker]
    files = folder_files(scenario, image, speaker, tuple(a.localized() for a in adapted))
    write_folder(folder, files, refusal=CANNOT_WRITE)
    say(_("wrote {folder}:").format(folder=folder))
    width = max(len(name) for name in files)
    for name in files:
        say(f"  {name:<{width}}  {_describe(scenario, name)}")
    for change in adapted:  # as `vrrplab run --speaker frr` says it
        say(_("note: {change}").format(change=change.localized()))
    say(_("on a host with Docker and containerlab, in {folder}:").format(folder=folder))
    if speaker != "frr":
        say(f"  docker build -t {image} .")
    say(f"  sudo containerlab deploy -t {containerlab.clab_file(scenario)}")
    say(_("on a Kubernetes cluster (clabernetes): {readme}").format(readme="README.md"))
    return EXIT_PASS


def _describe(scenario: Scenario, name: str) -> str:
    if name == containerlab.clab_file(scenario):
        return _("the lab for containerlab: nodes, links, addresses, routes")
    if name == "Dockerfile":
        return _("the routers' image (keepalived {version}): build it first").format(
            version=containerlab.KEEPALIVED_VERSION)
    if name == containerlab.START_SCRIPT:
        return _("the image's command: keepalived, once the addresses are set")
    if name == "README.md":
        return _("how to run it on one host or a cluster, and the faults by hand")
    if name.endswith(".keepalived.conf"):
        return _("a router's keepalived.conf")
    if name.endswith(".frr.conf"):
        return _("a router's frr.conf (vrrpd's part), as vrrplab's lab runs it")
    if name == clab_frr.DAEMONS:
        return _("FRR's daemons file: vrrpd beside zebra")
    return _("a track script the configurations name")
