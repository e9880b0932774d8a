#!/usr/bin/env bash
# Set vrrplab up on Debian 12, as root: the system packages a lab needs, a venv
# that sees Debian's Mininet, and the `vrrplab` command on root's PATH.
#   ./setup.sh          what `vrrplab run` needs
#   ./setup.sh --dev    the same, plus the test tools (pytest, hypothesis, Babel, chromium)
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"

extras=""
case "${1:-}" in
  "") ;;
  --dev) extras="[test]" ;;
  *) echo "usage: $0 [--dev]" >&2; exit 2 ;;
esac
if [ "$(id -u)" != 0 ]; then
  echo "setup.sh: run it as root (sudo ./setup.sh): it installs Debian packages" >&2
  exit 3
fi

# --no-install-recommends: Mininet recommends Open vSwitch, which vrrplab does
# not use (its bridges are plain Linux bridges). net-tools: the lesson's `arp -a`
# in `vrrplab shell`. psmisc: the lesson's health check `/usr/bin/killall -0
# keepalived` (procps only recommends it, so --no-install-recommends leaves it out).
# frr: `--speaker frr` runs its zebra and vrrpd inside each router; the system's FRR
# service must not start in the host (a policy-rc.d refusing every service start while
# apt installs, unless the machine has its own; removed after).
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
frr_before=$(dpkg-query -W -f='${Status}' frr 2>/dev/null || true)
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# setup.sh of vrrplab: no service starts while it installs\nexit 101\n' > "$policy"
  chmod 755 "$policy"
  trap 'rm -f "$policy"' EXIT
fi
apt-get install -y -q --no-install-recommends \
  mininet keepalived iproute2 iputils-ping tcpdump nftables procps util-linux mount \
  net-tools psmisc frr python3 python3-venv python3-pip
# the package also enables frr.service for the next boot: not on a machine where this
# script installed it (one that had FRR before keeps it as it was)
if [ "$frr_before" != "install ok installed" ] && command -v systemctl >/dev/null; then
  systemctl disable frr.service >/dev/null 2>&1 || true
fi
if [ -n "$extras" ]; then
  # the headless browser that opens report.html in its test (tests/unit/test_html_report.py)
  apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core
fi

# Debian's mininet is built for /usr/bin/python3: the venv must be made by that
# interpreter and see its site-packages; everything else comes from PyPI.
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import mininet' 2>/dev/null; then
  rm -rf .venv
  /usr/bin/python3 -m venv --system-site-packages .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".${extras}"
# an editable install leaves vrrplab's own modules uncompiled, and where no bytecode may be
# written (PYTHONDONTWRITEBYTECODE, as on the CI machine) each of a run's two Python starts
# compiled them again: ~0.1 s a run
.venv/bin/python -m compileall -q vrrplab
ln -sf "$PWD/.venv/bin/vrrplab" /usr/local/bin/vrrplab
echo "setup.sh: vrrplab $(.venv/bin/vrrplab --version | awk '{print $NF}') is ready: vrrplab list"
