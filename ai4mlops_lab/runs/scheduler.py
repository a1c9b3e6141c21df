"""Run a pipeline DAG's independent tasks at the same time.

A drop-in for kfp.local's sequential `dag_orchestrator.run_dag` (same arguments, same result): every
task goes through kfp.local's own `task_executor.execute_single_task` (cache, retries, dispatch to
the runner), in a small thread pool, as soon as the tasks it depends on have succeeded. After a
failure no new task starts; the running ones finish. DAGs with nested DAGs go to kfp's own run_dag.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

#: Tasks at once: this machine's cores, at least 2 (steps often wait on I/O), at most 4.
MAX_PARALLEL = min(4, max(2, os.cpu_count() or 1))


def parallel_run_dag(sequential: Callable) -> Callable:
    """A run_dag that runs ready tasks in parallel, falling back to `sequential` for nested DAGs."""
    from kfp.local import graph_utils, io, status
    from kfp.local.orchestrator import task_executor
    from kfp.local.orchestrator.orchestrator_utils import OrchestratorUtils

    def run_dag(
        pipeline_resource_name,
        dag_component_spec,
        executors,
        components,
        dag_arguments,
        pipeline_root,
        runner,
        unique_pipeline_id,
        fail_stack,
        parent_io_store=None,
    ):
        tasks = dag_component_spec.dag.tasks
        if any(components[t.component_ref.name].WhichOneof("implementation") == "dag" for t in tasks.values()):
            return sequential(
                pipeline_resource_name,
                dag_component_spec,
                executors,
                components,
                dag_arguments,
                pipeline_root,
                runner,
                unique_pipeline_id,
                fail_stack,
                parent_io_store,
            )
        io_store = io.IOStore(parent=parent_io_store)
        for key, value in OrchestratorUtils.join_user_inputs_and_defaults(
            dag_arguments=dag_arguments, dag_inputs_spec=dag_component_spec.input_definitions
        ).items():
            io_store.put_parent_input(key, value)
        order = graph_utils.topological_sort_tasks(tasks)[::-1]  # kfp's own (sequential) order
        waiting = {name: set(tasks[name].dependent_tasks) & set(tasks) for name in order}
        running: dict[Future, str] = {}
        failed: str | None = None

        def execute(name: str) -> tuple[dict[str, Any], Any]:
            return task_executor.execute_single_task(
                task_name=name,
                task_spec=tasks[name],
                pipeline_resource_name=pipeline_resource_name,
                components=components,
                executors=executors,
                io_store=io_store,
                pipeline_root=pipeline_root,
                runner=runner,
                unique_pipeline_id=unique_pipeline_id,
                fail_stack=fail_stack,
            )

        with ThreadPoolExecutor(MAX_PARALLEL, thread_name_prefix="task") as pool:
            while running or (waiting and failed is None):
                ready = [name for name in order if name in waiting and not waiting[name]]
                for name in ready[: MAX_PARALLEL - len(running)] if failed is None else []:
                    del waiting[name]
                    running[pool.submit(execute, name)] = name
                if not running:
                    raise RuntimeError(f"tasks {sorted(waiting)} wait on each other")
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    name = running.pop(future)
                    outputs, task_status = future.result()
                    if task_status == status.Status.FAILURE:
                        if failed is None:
                            failed = name
                            fail_stack.append(name)
                    elif task_status == status.Status.SUCCESS:
                        for key, output in outputs.items():
                            io_store.put_task_output(name, key, output)
                        for upstream in waiting.values():
                            upstream.discard(name)
                    else:
                        raise ValueError(f"Got unknown task status: {task_status.name}")
        if failed is not None:
            return {}, status.Status.FAILURE
        return OrchestratorUtils.get_dag_outputs(
            dag_outputs_spec=dag_component_spec.dag.outputs, io_store=io_store
        ), status.Status.SUCCESS

    return run_dag
