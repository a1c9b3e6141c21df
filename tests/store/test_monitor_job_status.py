"""Whether a deployment's monitoring job is alive (`JobStatusStore`): each check one row, written in one transaction;
a check that changed nothing is written once a minute (each write moves the store's change counter, the runs list's
ETag), a failure or its end at once; the results of a pass count as imported once, however often its cursor is read;
removing the deployment's monitor drops the row."""

from ai4mlops_lab.errors import UserError
from ai4mlops_lab.store.drift import DriftStore
from ai4mlops_lab.store.monitor_jobs import JobStatusStore

AT = "2026-01-01T12:{}.000Z"  # minutes:seconds
PASS = ("2026-01-01T11:59:00.000Z", {"started_at": "2026-01-01T11:58:59.000Z", "windows": 2})


def test_a_check_that_changed_nothing_is_written_once_a_minute_a_failure_at_once(store_path):
    store = JobStatusStore(store_path)
    assert store.status("iris") == {
        "last_pass_at": None,
        "last_pass": None,
        "last_checked_at": None,
        "last_imported_at": None,
        "windows_imported": 0,
        "alerts_imported": 0,
        "error": None,
        "error_hint": None,
    }
    store.record("iris", now=AT.format("00:00"))
    written = store.version()
    store.record("iris", now=AT.format("00:59"))
    assert store.version() == written and store.status("iris")["last_checked_at"] == AT.format("00:00")
    store.record("iris", now=AT.format("01:00"))
    assert store.version() > written and store.status("iris")["last_checked_at"] == AT.format("01:00")

    unreachable = UserError("Cannot reach the S3 endpoint.", "Check AWS_ENDPOINT_URL.")
    store.record("iris", error=unreachable, now=AT.format("01:02"))
    failed = store.status("iris")
    assert (failed["error"], failed["error_hint"]) == ("Cannot reach the S3 endpoint.", "Check AWS_ENDPOINT_URL.")
    assert failed["last_checked_at"] == AT.format("01:02")
    store.record("iris", now=AT.format("01:04"))
    assert store.status("iris")["error"] is None and store.status("iris")["last_checked_at"] == AT.format("01:04")


def test_the_results_of_a_pass_count_as_imported_once(store_path):
    store = JobStatusStore(store_path)
    store.record("iris", cursor_pass=PASS, now=AT.format("00:00"))
    status = store.status("iris")
    assert (status["last_pass_at"], status["last_pass"]) == PASS and status["last_imported_at"] == AT.format("00:00")
    store.record("iris", cursor_pass=PASS, now=AT.format("02:00"))  # the same cursor read again (a new server)
    status = store.status("iris")
    assert status["last_imported_at"] == AT.format("00:00") and status["last_checked_at"] == AT.format("02:00")
    store.record("iris", cursor_pass=PASS, imported=1, now=AT.format("02:10"))  # a window left before, imported now
    assert store.status("iris")["last_imported_at"] == AT.format("02:10")
    older = ("2026-01-01T12:03:00.000Z", None)  # a cursor of an older job: its time, no counts
    store.record("iris", cursor_pass=older, now=AT.format("03:05"))
    status = store.status("iris")
    assert (status["last_pass_at"], status["last_pass"], status["last_imported_at"]) == (*older, AT.format("03:05"))

    DriftStore(store_path).forget("iris")
    assert store.status("iris")["last_checked_at"] is None
