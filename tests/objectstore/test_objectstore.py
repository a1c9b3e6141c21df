"""The object store against a real S3-compatible server (rclone serve s3 on 127.0.0.1): URIs, listing with
pagination, reading and writing, and the errors a user can fix."""

import pytest

from ai4mlops_lab.errors import FieldError, NotFoundError, UserError
from ai4mlops_lab.objectstore import ObjectStore, S3Settings, S3Uri, parse_uri
from ai4mlops_lab.objectstore.client import ENDPOINT_ENV

from ..s3server import free_port


@pytest.fixture
def store(s3_server, monkeypatch):
    for name, value in s3_server.env.items():
        monkeypatch.setenv(name, value)
    return ObjectStore(S3Settings.from_environment())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("s3://incoming/daily/", S3Uri("incoming", "daily/")),
        ("s3://incoming", S3Uri("incoming", "")),
        (" S3://my.bucket-1/a/b.csv ", S3Uri("my.bucket-1", "a/b.csv")),
    ],
)
def test_uris_parse_into_bucket_and_key(text, expected):
    assert parse_uri(text) == expected
    assert str(expected).startswith("s3://")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "empty"),
        ("/data/x.csv", "not an s3:// URI"),
        ("https://bucket/x", "not an s3:// URI"),
        ("s3:///key", "names no bucket"),
        ("s3://Upper/key", "not a valid bucket name"),
        ("s3://ab/key", "not a valid bucket name"),
    ],
)
def test_bad_uris_are_field_errors_saying_what_is_wrong(text, words):
    with pytest.raises(FieldError) as caught:
        parse_uri(text, field="source")
    assert caught.value.field == "source" and words in caught.value.message
    assert "s3://BUCKET/PREFIX" in caught.value.hint or "Bucket names have" in caught.value.hint


def test_settings_read_the_endpoint_and_region_from_the_environment():
    settings = S3Settings.from_environment({"S3_ENDPOINT_URL": "http://127.0.0.1:9000", "AWS_DEFAULT_REGION": "eu-1"})
    assert (settings.endpoint_url, settings.region) == ("http://127.0.0.1:9000", "eu-1")
    assert S3Settings.from_environment({}).endpoint_url == ""
    with pytest.raises(UserError, match="not an http"):
        S3Settings("ftp://x").checked_endpoint()


def test_list_read_and_write_objects_with_pagination(store, s3_server, tmp_path):
    bucket = s3_server.bucket("listing")
    (bucket / "in").mkdir()
    for i in range(1005):  # over one page of 1000
        (bucket / "in" / f"f{i:04d}.csv").write_text(f"x\n{i}\n")
    (bucket / "in" / "sub").mkdir()
    (bucket / "in" / "sub" / "deep.csv").write_text("deep")
    listed = list(store.list(S3Uri("listing", "in/")))
    assert len(listed) == 1006
    first = listed[0]
    assert (first.key, first.size) == ("in/f0000.csv", 4)
    assert len(first.etag) == 32 and first.modified > 0
    top = [info.key for info in store.list(S3Uri("listing", "in/"), recursive=False)]
    assert "in/sub/deep.csv" not in top and len(top) == 1005

    source = tmp_path / "up.bin"
    source.write_bytes(b"payload " * 1000)
    store.upload(source, S3Uri("listing", "out/up.bin"))
    assert (bucket / "out" / "up.bin").read_bytes() == source.read_bytes()
    copy = store.download(S3Uri("listing", "out/up.bin"), tmp_path / "copy.bin")
    assert copy.read_bytes() == source.read_bytes()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_missing_bucket_and_key_are_not_found_errors(store, s3_server, tmp_path):
    with pytest.raises(NotFoundError, match="no bucket 'nothere'"):
        list(store.list(S3Uri("nothere", "")))
    s3_server.bucket("some")
    with pytest.raises(NotFoundError, match="no object s3://some/missing.csv"):
        store.download(S3Uri("some", "missing.csv"), tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_wrong_or_missing_credentials_say_what_to_set_without_the_secret(s3_server, monkeypatch):
    s3_server.bucket("guarded")
    wrong = s3_server.secret_key[::-1]
    refused = ObjectStore(S3Settings(s3_server.endpoint))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3_server.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", wrong)
    with pytest.raises(UserError) as caught:
        list(refused.list(S3Uri("guarded", "")))
    assert caught.value.status == 403 and "AWS_SECRET_ACCESS_KEY" in caught.value.hint
    assert wrong not in caught.value.message + caught.value.hint

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(UserError) as caught:
        list(ObjectStore(S3Settings(s3_server.endpoint)).list(S3Uri("guarded", "")))
    assert "No credentials" in caught.value.message and "AWS_ACCESS_KEY_ID" in caught.value.hint


def test_an_unreachable_endpoint_is_a_user_error_naming_the_setting(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEEXAMPLE12")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x" * 40)
    endpoint = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(UserError) as caught:
        list(ObjectStore(S3Settings(endpoint)).list(S3Uri("any", "")))
    assert caught.value.status == 502 and endpoint in caught.value.message
    assert ENDPOINT_ENV[1] in caught.value.hint
