"""What a router sees of the host's files (`lab.network.host_view_script`): pure, no root.

The lab test that a hostile health check changes nothing is tests/lab/test_hostile_script.py.
"""

from __future__ import annotations

from pathlib import Path

from vrrplab.lab.network import host_view_script, mount_points

MOUNTINFO = """\
22 1 254:0 / / rw,relatime - ext4 /dev/vda rw
23 22 0:5 / /dev rw - devtmpfs udev rw
24 23 0:20 / /dev/pts rw - devpts devpts rw
25 22 0:21 / /sys rw - sysfs sysfs rw
26 25 0:22 / /sys/fs/cgroup rw - tmpfs tmpfs rw
27 22 0:23 / /proc rw - proc proc rw
28 22 0:24 / /run rw - tmpfs vrrplab rw
29 22 254:1 / /home/prof/Mes\\040TP rw - ext4 /dev/vdb rw
30 22 0:25 / /sys rw - sysfs sysfs rw
"""
RUN = Path("/tmp/reports/failover-basic/run-1")
PROJECT = Path("/home/prof/vrrplab")


def test_mount_points_read_octal_escapes():
    assert Path("/home/prof/Mes TP") in mount_points(MOUNTINFO)


def _script() -> list[str]:
    return host_view_script(mount_points(MOUNTINFO), (RUN,), (PROJECT,))


def test_every_visible_mount_is_read_only_but_proc_ptys_and_run():
    lines = _script()
    assert "mount -o remount,bind,ro '/home/prof/Mes TP'" in lines  # quoted for the shell
    ro = [line.rsplit(" ", 1)[1] for line in lines if "remount,bind,ro" in line]
    assert {"/", "/dev", "/sys", str(PROJECT)} <= set(ro)
    assert "/proc" not in ro and "/dev/pts" not in ro and "/run" not in ro
    # the first /sys is under the second (mnexec's): hidden, not remountable, left alone
    assert ro.count("/sys") == 1 and "/sys/fs/cgroup" not in ro


def test_homes_and_scratch_are_private_tmpfs():
    tmpfs = {line.rsplit(" ", 1)[1] for line in _script() if line.startswith("mount -t tmpfs")}
    assert tmpfs == {"/tmp", "/var/tmp", "/dev/shm", "/root", "/home"}


def test_the_run_folder_and_own_code_come_back_after_the_tmpfs_project_first():
    lines = _script()
    last_tmpfs = max(i for i, line in enumerate(lines) if line.startswith("mount -t tmpfs"))
    back = [line for line in lines[last_tmpfs:] if line.startswith("mount --bind")]
    assert back == [f"mount --bind /run/vrrplab-kept/0 {PROJECT}",
                    f"mount --bind /run/vrrplab-run {RUN}"]
    # the run folder stays writable (not remounted ro), the project is read-only again and
    # its stash unmounted: no read-write way to the host is left in the router's /run
    assert lines[-2:] == [f"mount -o remount,bind,ro {PROJECT}", "umount /run/vrrplab-kept/0"]
    assert f"mount -o remount,bind,ro {RUN}" not in lines
    assert lines[:2] == ["mkdir -p /run/vrrplab-run", f"mount --bind {RUN} /run/vrrplab-run"]


def test_a_single_file_is_bound_alone_not_its_folder(tmp_path):
    """A --config file in the teacher's home: the file is visible, the home is not."""
    given = tmp_path / "r1.conf"
    given.write_text("vrrp_instance V {}\n")
    lines = host_view_script(mount_points(MOUNTINFO), (RUN,), (given,))
    assert f"mkdir -p /run/vrrplab-kept && touch /run/vrrplab-kept/0" in lines
    assert f"mount --bind /run/vrrplab-kept/0 {given}" in lines
    assert lines[-2:] == [f"mount -o remount,bind,ro {given}", "umount /run/vrrplab-kept/0"]
    assert f"mount --bind {tmp_path} " not in " ".join(lines)


def test_long_setups_are_cut_under_a_ptys_line_limit():
    from vrrplab.lab.network import PTY_LINE_BYTES, run_lines

    class Node:
        name = "r1"
        sent: list[str] = []

        def cmd(self, text):
            self.sent.append(text)
            return "rc=0"

    node = Node()
    run_lines(node, [f"mount -o remount,bind,ro /mnt/point-{n:03d}" for n in range(200)])
    assert len(node.sent) > 1 and all(len(text) < 4095 for text in node.sent)
    assert max(len(text) for text in node.sent) <= PTY_LINE_BYTES + 100
