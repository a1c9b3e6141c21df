"""The extension's URL table: the one place that maps API paths to handlers."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..errors import NotFoundError
from .base import ApiHandler
from .batch import BatchJobCancelHandler, BatchJobHandler, BatchJobsHandler
from .deployments import (
    DeploymentActionHandler,
    DeploymentHandler,
    DeploymentLogsHandler,
    DeploymentMonitorJobHandler,
    DeploymentPredictHandler,
    DeploymentsHandler,
)
from .drift import (
    AlertActionHandler,
    AlertsHandler,
    DriftCheckHandler,
    DriftHandler,
    DriftPolicyHandler,
    DriftReferenceHandler,
)
from .health import HealthHandler
from .ingest import IngestHandler
from .models import (
    AliasHandler,
    AliasHistoryHandler,
    ModelHandler,
    ModelsHandler,
    VersionDeployHandler,
    VersionHandler,
    VersionsHandler,
    VersionStateHandler,
)
from .openapi import OpenApiHandler
from .outcomes import LabelsHandler, PerformanceCheckHandler, PerformanceHandler, PerformancePolicyHandler
from .pipelines import AnalyzeHandler, CompileHandler
from .rollouts import GateDecisionsHandler, GatePolicyHandler, RolloutDecisionHandler, RolloutHandler
from .runs import (
    BestRunsHandler,
    ExperimentsHandler,
    RunCancelHandler,
    RunHandler,
    RunLogsHandler,
    RunsHandler,
    StepLogHandler,
)
from .schedules import (
    ScheduleFiresHandler,
    ScheduleHandler,
    SchedulePreviewHandler,
    SchedulesHandler,
    ScheduleSwitchHandler,
)
from .triggers import TriggerFilesHandler, TriggerHandler, TriggersHandler, TriggerSwitchHandler


class UnknownRouteHandler(ApiHandler):
    """Any other path under the API prefix: a JSON 404 instead of an HTML page."""

    def _unknown(self, *args):
        raise NotFoundError(
            f"There is no API route {self.request.method} {self.request.path}.",
            "Check the URL; the API's routes are listed in GET openapi.json.",
        )

    get = post = put = patch = delete = web.authenticated(authorized(_unknown))


def api_routes(prefix: str) -> list[tuple[str, type]]:
    """Every (pattern, handler) of the API, under `prefix`; tornado tries them in turn, so the route that
    deployments post every inference to comes first."""
    return [
        (f"{prefix}/ingest", IngestHandler),
        (f"{prefix}/health", HealthHandler),
        (f"{prefix}/openapi.json", OpenApiHandler),
        (f"{prefix}/analyze", AnalyzeHandler),
        (f"{prefix}/compile", CompileHandler),
        (f"{prefix}/runs", RunsHandler),
        (f"{prefix}/runs/best", BestRunsHandler),
        (f"{prefix}/runs/([0-9a-z]+)", RunHandler),
        (f"{prefix}/runs/([0-9a-z]+)/logs", RunLogsHandler),
        (f"{prefix}/runs/([0-9a-z]+)/steps/([_a-z][_a-z0-9]*)/log", StepLogHandler),
        (f"{prefix}/runs/([0-9a-z]+)/cancel", RunCancelHandler),
        (f"{prefix}/experiments", ExperimentsHandler),
        (f"{prefix}/deployments", DeploymentsHandler),
        (f"{prefix}/deployments/([a-z0-9-]+)", DeploymentHandler),
        (f"{prefix}/deployments/([a-z0-9-]+)/(stop|restart)", DeploymentActionHandler),
        (f"{prefix}/deployments/([a-z0-9-]+)/predict", DeploymentPredictHandler),
        (f"{prefix}/deployments/([a-z0-9-]+)/logs", DeploymentLogsHandler),
        (f"{prefix}/deployments/([a-z0-9-]+)/monitor-job", DeploymentMonitorJobHandler),
        (f"{prefix}/deployments/([a-z0-9-]+)/drift", DriftHandler),
        (f"{prefix}/deployments/([a-z0-9-]+)/drift/reference", DriftReferenceHandler),
        (f"{prefix}/deployments/([a-z0-9-]+)/drift/check", DriftCheckHandler),
        (f"{prefix}/deployments/([a-z0-9-]+)/drift/policy", DriftPolicyHandler),
        (f"{prefix}/deployments/([a-z0-9-]+)/labels", LabelsHandler),
        (f"{prefix}/deployments/([a-z0-9-]+)/performance", PerformanceHandler),
        (f"{prefix}/deployments/([a-z0-9-]+)/performance/check", PerformanceCheckHandler),
        (f"{prefix}/deployments/([a-z0-9-]+)/performance/policy", PerformancePolicyHandler),
        (f"{prefix}/deployments/([a-z0-9-]+)/rollout", RolloutHandler),
        (f"{prefix}/deployments/([a-z0-9-]+)/rollout/(promote|rollback|evaluate)", RolloutDecisionHandler),
        (f"{prefix}/models", ModelsHandler),
        (f"{prefix}/models/([^/]+)", ModelHandler),
        (f"{prefix}/models/([^/]+)/versions", VersionsHandler),
        (f"{prefix}/models/([^/]+)/versions/([^/]+)", VersionHandler),
        (f"{prefix}/models/([^/]+)/versions/([^/]+)/(archive|restore)", VersionStateHandler),
        (f"{prefix}/models/([^/]+)/versions/([^/]+)/deploy", VersionDeployHandler),
        (f"{prefix}/models/([^/]+)/policy", GatePolicyHandler),
        (f"{prefix}/models/([^/]+)/decisions", GateDecisionsHandler),
        (f"{prefix}/models/([^/]+)/aliases/history", AliasHistoryHandler),
        (f"{prefix}/models/([^/]+)/aliases/([^/]+)", AliasHandler),
        (f"{prefix}/schedules", SchedulesHandler),
        (f"{prefix}/schedules/preview", SchedulePreviewHandler),
        (f"{prefix}/schedules/([^/]+)", ScheduleHandler),
        (f"{prefix}/schedules/([^/]+)/(enable|disable)", ScheduleSwitchHandler),
        (f"{prefix}/schedules/([^/]+)/fires", ScheduleFiresHandler),
        (f"{prefix}/triggers", TriggersHandler),
        (f"{prefix}/triggers/([^/]+)", TriggerHandler),
        (f"{prefix}/triggers/([^/]+)/(enable|disable)", TriggerSwitchHandler),
        (f"{prefix}/triggers/([^/]+)/files", TriggerFilesHandler),
        (f"{prefix}/batch-jobs", BatchJobsHandler),
        (f"{prefix}/batch-jobs/([0-9a-f]+)", BatchJobHandler),
        (f"{prefix}/batch-jobs/([0-9a-f]+)/cancel", BatchJobCancelHandler),
        (f"{prefix}/alerts", AlertsHandler),
        (f"{prefix}/alerts/([0-9]+)/(retrain|dismiss)", AlertActionHandler),
        (f"{prefix}/(.*)", UnknownRouteHandler),
    ]
