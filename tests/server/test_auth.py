"""Every route of the extension refuses unauthenticated and unauthorised requests."""

import json

import pytest
from jupyter_server.auth.authorizer import Authorizer
from tornado.httpclient import HTTPClientError

from ai4mlops_lab.server.base import AUTH_RESOURCE

from .routes import every_route

ROUTES = every_route()


def test_route_table_is_not_empty():
    assert ("GET", "/ai4mlops-lab/api/health") in ROUTES


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_unauthenticated_request_is_refused(jp_fetch, method, path):
    body = b"{}" if method in ("POST", "PUT", "PATCH") else None
    with pytest.raises(HTTPClientError) as failure:
        await jp_fetch(path, method=method, body=body, headers={"Authorization": ""})
    assert failure.value.code in (401, 403)
    assert b"Traceback" not in (failure.value.response.body or b"")


class DenyOurResource(Authorizer):
    """Allows everything except this extension's resource."""

    def is_authorized(self, handler, user, action, resource):
        return resource != AUTH_RESOURCE


class TestAuthorization:
    @pytest.fixture
    def jp_server_config(self):
        return {
            "ServerApp": {
                "jpserver_extensions": {"ai4mlops_lab": True},
                "authorizer_class": DenyOurResource,
            }
        }

    @pytest.mark.parametrize(("method", "path"), ROUTES)
    async def test_authenticated_but_unauthorised_request_is_refused(self, jp_fetch, method, path):
        body = b"{}" if method in ("POST", "PUT", "PATCH") else None
        with pytest.raises(HTTPClientError) as failure:
            await jp_fetch(path, method=method, body=body)
        assert failure.value.code == 403
        reply = json.loads(failure.value.response.body)
        assert reply["error"] == "forbidden"
