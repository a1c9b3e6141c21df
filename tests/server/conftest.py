"""Every REST test's replies are checked against the OpenAPI document (`contract.py`)."""

from urllib.parse import urlparse

import pytest
from tornado.httpclient import HTTPClientError

from .contract import api_path, check_response


@pytest.fixture
def jp_fetch(jp_fetch):
    """`jp_fetch` whose API replies, successes and failures, must conform to the document."""

    async def fetch(*parts, **kwargs):
        try:
            response = await jp_fetch(*parts, **kwargs)
        except HTTPClientError as failure:
            if failure.response is not None:
                _check(failure.response)
            raise
        _check(response)
        return response

    return fetch


def _check(response) -> None:
    path = api_path(urlparse(response.effective_url).path)
    if path is not None:
        check_response(response.request.method, path, response.code, response.body or b"")
