"""`GET /health`: versions and configured backends."""

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..environment import health_facts
from .base import ApiHandler


class HealthHandler(ApiHandler):
    """Report the installed versions and which backends are configured."""

    @web.authenticated
    @authorized
    def get(self):
        self.reply(health_facts(self.extension.workspace.settings.kfp_host))
