"""`ai4mlops schedule` and `ai4mlops scheduler` from the command line."""

import json
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

from ..notebooks import TWO_STEPS, write_notebook
from .test_run_cli import ai4mlops


def test_create_list_show_next_switch_and_delete(tmp_path):
    (tmp_path / "pipelines").mkdir()
    write_notebook(tmp_path / "pipelines", "demo.ipynb", TWO_STEPS)
    created = ai4mlops(
        "schedule", "create", "nightly", "pipelines/demo.ipynb", "--cron", "0 3 * * *", "--tz", "Europe/Madrid",
        "--param", "scale=3", "--experiment", "nightly", "--max-concurrent", "2", "--json", cwd=tmp_path,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    record = json.loads(created.stdout)
    assert (record["notebook_path"], record["parameters"], record["max_concurrent"]) == (
        "pipelines/demo.ipynb",
        {"scale": "3"},
        2,
    )
    # from a subfolder, as from the root: the same workspace and notebook
    listed = ai4mlops("schedule", "list", cwd=tmp_path / "pipelines")
    assert "nightly  cron '0 3 * * *' Europe/Madrid  pipelines/demo.ipynb  on" in listed.stdout
    times = json.loads(ai4mlops("schedule", "next", "nightly", "--json", cwd=tmp_path).stdout)
    assert len(times) == 5 and times[0].endswith("T03:00:00+01:00")
    shown = ai4mlops("schedule", "show", "nightly", cwd=tmp_path)
    assert "trigger:        cron '0 3 * * *' Europe/Madrid" in shown.stdout and "scale=3" in shown.stdout
    disabled = ai4mlops("schedule", "disable", "nightly", "--json", cwd=tmp_path)
    assert json.loads(disabled.stdout)["enabled"] is False
    assert "enabled:        yes" in ai4mlops("schedule", "enable", "nightly", cwd=tmp_path).stdout
    assert ai4mlops("schedule", "delete", "nightly", cwd=tmp_path).stdout == "Schedule nightly deleted.\n"
    assert "No schedules yet" in ai4mlops("schedule", "list", cwd=tmp_path).stdout


def test_mistakes_are_usage_errors(tmp_path):
    write_notebook(tmp_path, "demo.ipynb", TWO_STEPS)
    bad_cron = ai4mlops("schedule", "create", "x", "demo.ipynb", "--cron", "0 25 * * *", cwd=tmp_path)
    assert bad_cron.returncode == 2 and "the 2nd field (hour) '25' is wrong" in bad_cron.stderr
    missing = ai4mlops("schedule", "create", "x", "nope.ipynb", "--every", "1h", cwd=tmp_path)
    assert missing.returncode == 2 and "There is no file 'nope.ipynb'" in missing.stderr
    both = ai4mlops("schedule", "create", "x", "demo.ipynb", "--every", "1h", "--cron", "@daily", cwd=tmp_path)
    assert both.returncode == 2 and "not allowed with argument" in both.stderr
    unknown = ai4mlops("schedule", "show", "nope", cwd=tmp_path)
    assert unknown.returncode == 2 and "No schedule called 'nope'" in unknown.stderr


def test_scheduler_once_fires_what_is_due_and_the_loop_stops_on_ctrl_c(tmp_path):
    write_notebook(tmp_path, "demo.ipynb", TWO_STEPS)
    # Far enough ahead that `schedule create` (a Python start, slow on a loaded machine) ends before it.
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=10)
    created = ai4mlops(
        "schedule", "create", "now", "demo.ipynb", "--every", "1h", "--start", start.isoformat(), cwd=tmp_path
    )
    assert created.returncode == 0, created.stderr
    (tmp_path / "demo.ipynb").unlink()  # a fire that fails, recorded with its reason: no run to wait for
    time.sleep(max(0.0, start.timestamp() - time.time()))
    once = ai4mlops("scheduler", "--once", "--json", cwd=tmp_path)
    assert once.returncode == 0, once.stderr
    [fired] = [json.loads(line) for line in once.stdout.splitlines()]
    assert (fired["schedule"], fired["due"], fired["outcome"]) == ("now", int(start.timestamp()), "failed")
    assert fired["reason"] == "There is no file 'demo.ipynb'."
    assert ai4mlops("scheduler", "--once", cwd=tmp_path).stdout == ""  # that due time is taken: never again

    loop = subprocess.Popen(
        [sys.executable, "-m", "ai4mlops_lab.cli", "scheduler", "--interval", "0.1"],
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while "Ctrl-C stops it" not in (line := loop.stderr.readline()) and time.monotonic() < deadline:
        assert line, "the scheduler exited before it started"
    loop.send_signal(signal.SIGINT)
    assert loop.wait(timeout=30) == 0
    assert "Scheduler stopped." in loop.stderr.read()


def test_a_pinned_schedule_shows_its_pin_and_pin_compiles_again(tmp_path):
    write_notebook(tmp_path, "demo.ipynb", TWO_STEPS)
    created = ai4mlops("schedule", "create", "nightly", "demo.ipynb", "--every", "1h", "--pin", "--json", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    pin = json.loads(created.stdout)["pin"]
    assert (tmp_path / ".ai4mlops" / "pinned" / pin).is_dir()
    shown = ai4mlops("schedule", "show", "nightly", cwd=tmp_path).stdout
    assert f"pinned:         {pin[:12]}" in shown and "target:         local" in shown

    write_notebook(
        tmp_path, "demo.ipynb", (*TWO_STEPS[:3], ("y = x + 1\ntotal = int(y.sum())", ["step:double"]), TWO_STEPS[4])
    )
    repinned = json.loads(ai4mlops("schedule", "pin", "nightly", "--json", cwd=tmp_path).stdout)["pin"]
    assert repinned != pin and [p.name for p in (tmp_path / ".ai4mlops" / "pinned").iterdir()] == [repinned]
