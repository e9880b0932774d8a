"""The loader's input errors in the reader's language (docs/i18n.md).

`FILE: FIELD: expected ..., got ...`: the words are the catalogue's, the file, the field's
path and the value the file gave are the same in both languages, and the English is the
exact message it always was (InputError.problems, str(), what results and logs keep).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from vrrplab import i18n
from vrrplab.cli import main
from vrrplab.errors import InputError
from vrrplab.loader import load_scenario, load_topology, read_yaml

ROOT = Path(__file__).resolve().parents[2]
BAD = Path(__file__).resolve().parent / "bad"
NB = "\u00a0"  # French: a non-breaking space before : ; ! ?


def _refused(path: Path) -> InputError:
    """As `vrrplab validate` loads it: a scenario if it has steps, else a topology."""
    with pytest.raises(InputError) as caught:
        data = read_yaml(path)
        (load_scenario if isinstance(data, dict) and "steps" in data else load_topology)(path)
    return caught.value


def _both(exc: InputError) -> tuple[list[str], list[str]]:
    with i18n.using("en"):
        english = exc.localized().splitlines()
    with i18n.using("fr"):
        french = exc.localized().splitlines()
    return english, french


# (case, the English line as it always was, its French); {f} is the file, {textbook} the
# topology a scenario's vrrp settings are merged into
CASES = [
    ("topo-priority-string",
     "{f}: vrrp.routers.r1.priority: expected an integer from 1 to 255, got '120'",
     "{f}~: vrrp.routers.r1.priority~: attendu un entier de 1 à 255, trouvé '120'"),
    ("topo-v3-advert-too-long",
     "{f}: vrrp.advert_int: expected a number from 0.01 to 40.95, got 41",
     "{f}~: vrrp.advert_int~: attendu un nombre de 0,01 à 40,95, trouvé 41"),
    ("topo-unknown-key",
     "{f}: hosts.c1.gatway: unknown key (did you mean 'gateway'? expected one of: role, "
     "interfaces, gateway, routes, answers_for)",
     "{f}~: hosts.c1.gatway~: clé inconnue (vouliez-vous dire 'gateway'~? attendu l'une de "
     "celles-ci~: role, interfaces, gateway, routes, answers_for)"),
    ("yaml-empty",
     "{f}: top level: expected a mapping with name, segments, routers, vrrp, got an empty file",
     "{f}~: racine du fichier~: attendu un dictionnaire avec name, segments, routers, vrrp, "
     "trouvé un fichier vide"),
    ("topo-duplicate-key",
     "{f}: line 13, column 3: invalid YAML: duplicate key 'r1'",
     "{f}~: ligne 13, colonne 3~: YAML invalide~: clé 'r1' en double"),
    ("yaml-not-utf8",
     "{f}: line 3: expected UTF-8 text, got the byte 0xe9",
     "{f}~: ligne 3~: attendu du texte UTF-8, trouvé l'octet 0xe9"),
    ("yaml-python-tag",
     "{f}: line 3, column 7: invalid YAML: could not determine a constructor for the tag "
     "'tag:yaml.org,2002:python/object/apply:os.system' (vrrplab reads plain YAML: no tags "
     "such as !!python)",
     # PyYAML's own words stay as PyYAML says them
     "{f}~: ligne 3, colonne 7~: YAML invalide~: could not determine a constructor for the tag "
     "'tag:yaml.org,2002:python/object/apply:os.system' (vrrplab lit du YAML simple~: pas "
     "d'étiquettes comme !!python)"),
    ("scen-wait-master-instance-missing",
     "{f}: steps[0].wait_master: expected every instance under one router, got "
     "'VI_UP_B under none'",
     "{f}~: steps[0].wait_master~: attendu chaque instance sous un routeur, trouvé "
     "'VI_UP_B sous aucun routeur'"),
    ("topo-ipv6-link-local-vip-taken",
     "{f}: vrrp.instances.VI_LAN.vips[0]: expected an address no node has (r1.eth0 (its "
     "link-local) has it), got 'fe80::10/64'",
     "{f}~: vrrp.instances.VI_LAN.vips[0]~: attendu une adresse qu'aucun nœud n'a (r1.eth0 "
     "(son adresse lien-local) l'a), trouvé 'fe80::10/64'"),
    ("scen-auth-mismatch-unexpected",
     "{f}: vrrp.routers.r2.auth_pass: expected the password of r1 ('Lab2pass', in its first 8 "
     "characters): routers whose passwords differ drop each other's adverts and all become "
     "MASTER (a scenario that shows this split brain says so with a wait_masters step or a "
     "fault with two vip_holders), got 'Other123'",
     "{f}~: vrrp.routers.r2.auth_pass~: attendu le mot de passe de r1 ('Lab2pass', sur ses "
     "8~premiers caractères)~: des routeurs dont les mots de passe diffèrent rejettent les "
     "annonces VRRP les uns des autres et deviennent tous MASTER (un scénario qui montre ce "
     "double maître le dit par une étape wait_masters ou une panne avec deux vip_holders), "
     "trouvé 'Other123'"),
]


@pytest.mark.parametrize("case, english, french", CASES, ids=[c[0] for c in CASES])
def test_a_bad_input_in_french_and_in_its_old_english(case, english, french):
    path = BAD / f"{case}.yaml"
    exc = _refused(path)
    english = english.format(f=path)
    french = french.replace("~", NB).format(f=path)
    shown_en, shown_fr = _both(exc)
    assert exc.problems == [english]  # what results, logs and the bench keep
    assert str(exc) == english
    assert shown_en == [english]
    assert shown_fr == [french]
    assert i18n.language() == "en"


def test_a_topology_merged_with_a_scenario_names_both_in_french():
    path = BAD / "scen-override-unknown-router.yaml"
    textbook = ROOT / "topologies/textbook.yaml"
    exc = _refused(path)
    shown_en, shown_fr = _both(exc)
    assert shown_en == exc.problems == [
        f"{textbook} (+ vrrp from {path}): vrrp.routers.r3: unknown key (expected one of: r1, r2)",
        f"{path}: topology: expected a topology that validates with the scenario's vrrp "
        f"settings (its problems are above), got 'textbook'",
    ]
    assert shown_fr == [
        f"{textbook} (+ vrrp de {path}){NB}: vrrp.routers.r3{NB}: clé inconnue (attendu l'une "
        f"de celles-ci{NB}: r1, r2)",
        f"{path}{NB}: topology{NB}: attendu une topologie valide avec les réglages vrrp du "
        f"scénario (ses problèmes sont indiqués ci-dessus), trouvé 'textbook'",
    ]


@pytest.mark.parametrize("path", sorted(BAD.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_bad_input_keeps_its_file_field_and_value_in_french(path):
    """Each French line: the same file, the same field, the same value after `got`."""
    shown_en, shown_fr = _both(_refused(path))
    assert len(shown_fr) == len(shown_en)
    for english, french in zip(shown_en, shown_fr):
        assert french != english
        if english.count(": ") < 2:  # about the whole file: no field ("and 3 more problems")
            assert french.startswith(english.split(": ", 1)[0] + f"{NB}: "), french
            continue
        file, field, _rest = english.split(": ", 2)
        file = file.replace(" (+ vrrp from ", " (+ vrrp de ")  # a topology a scenario changes
        field = "racine du fichier" if field == "top level" else field  # the only words there
        if field.startswith("line "):  # a YAML error: where it is, not a field
            assert french.startswith(f"{file}{NB}: ligne "), french
        elif field == "invalid YAML":
            assert french.startswith(f"{file}{NB}: YAML invalide{NB}: "), french
        else:
            assert french.startswith(f"{file}{NB}: {field}{NB}: "), french
        value = english.rsplit(", got ", 1)[-1]
        if ", got " in english and "invalid YAML" not in english and not value.endswith(
                ("an empty file", " under none'")) and not value.startswith("the byte "):
            assert french.endswith(f", trouvé {value}"), (english, french)


def test_a_field_from_the_file_stays_one_printable_line_in_french(tmp_path):
    """What the file gave is escaped as in English; the French spaces stay what they are."""
    path = tmp_path / "topo.yaml"
    path.write_text('"a\\nb": 1\nname: x\n')
    shown_en, shown_fr = _both(_refused(path))
    assert shown_en[0] == (f"{path}: a\\nb: unknown key (expected one of: name, segments, "
                           f"routers, vrrp, description, hosts)")
    assert shown_fr[0] == (f"{path}{NB}: a\\nb{NB}: clé inconnue (attendu l'une de "
                           f"celles-ci{NB}: name, segments, routers, vrrp, description, hosts)")


def test_validate_prints_the_problems_in_french(monkeypatch):
    monkeypatch.chdir(ROOT)
    relative = (BAD / "topo-vrid-256.yaml").relative_to(ROOT)
    french = CliRunner().invoke(main, ["validate", "--lang", "fr", str(relative)])
    english = CliRunner().invoke(main, ["validate", "--lang", "en", str(relative)])
    assert french.exit_code == english.exit_code == 2
    assert french.stderr == (f"{relative}{NB}: vrrp.instances.VI_UP.vrid{NB}: attendu un entier "
                             f"de 1 à 255, trouvé 256\n")
    assert english.stderr == (f"{relative}: vrrp.instances.VI_UP.vrid: expected an integer "
                              f"from 1 to 255, got 256\n")
