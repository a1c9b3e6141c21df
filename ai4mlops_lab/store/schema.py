"""The store's schema as ordered migrations: migration N brings `PRAGMA user_version` from N-1 to N.

Never edit a released migration; append a new one (new tables, columns, indexes).
Each runs in one transaction. Times are text (see `times.py`), JSON columns hold JSON text.
"""

from __future__ import annotations

# `PRAGMA application_id` of an ai4mlops-lab store ("AI4M").
APPLICATION_ID = 0x4149344D

MIGRATIONS: list[str] = [
    # 1: experiments, runs and their steps and outputs; the change counter.
    f"""
    PRAGMA application_id = {APPLICATION_ID};

    CREATE TABLE store_meta (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        changes INTEGER NOT NULL
    );
    INSERT INTO store_meta (id, changes) VALUES (1, 0);

    CREATE TABLE experiments (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE CHECK (name <> ''),
        created_at TEXT NOT NULL
    );

    CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        experiment_id INTEGER NOT NULL REFERENCES experiments (id),
        notebook_path TEXT NOT NULL,
        notebook_hash TEXT NOT NULL,
        pipeline TEXT NOT NULL,
        pipeline_version TEXT,
        target TEXT NOT NULL CHECK (target IN ('local', 'kfp')),
        parameters TEXT NOT NULL,
        status TEXT NOT NULL CHECK (
            status IN ('pending', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted')
        ),
        error TEXT,
        worker_pid INTEGER,
        backend_run_id TEXT,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX runs_by_created ON runs (created_at);
    CREATE INDEX runs_by_experiment ON runs (experiment_id, created_at);
    CREATE INDEX runs_unfinished ON runs (status) WHERE status IN ('pending', 'running');

    CREATE TABLE steps (
        run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        name TEXT NOT NULL CHECK (name <> ''),
        position INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (
            status IN ('pending', 'running', 'succeeded', 'failed', 'skipped', 'cached', 'cancelled', 'interrupted')
        ),
        error TEXT,
        log_path TEXT,
        started_at TEXT,
        finished_at TEXT,
        PRIMARY KEY (run_id, name)
    );

    CREATE TABLE metrics (
        run_id TEXT NOT NULL,
        step TEXT NOT NULL,
        name TEXT NOT NULL,
        value REAL,
        PRIMARY KEY (run_id, step, name),
        FOREIGN KEY (run_id, step) REFERENCES steps (run_id, name) ON DELETE CASCADE
    );

    CREATE TABLE artifacts (
        run_id TEXT NOT NULL,
        step TEXT NOT NULL,
        name TEXT NOT NULL,
        uri TEXT NOT NULL,
        type TEXT NOT NULL,
        size INTEGER,
        metadata TEXT NOT NULL,
        PRIMARY KEY (run_id, step, name),
        FOREIGN KEY (run_id, step) REFERENCES steps (run_id, name) ON DELETE CASCADE
    );

    CREATE TABLE output_parameters (
        run_id TEXT NOT NULL,
        step TEXT NOT NULL,
        name TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (run_id, step, name),
        FOREIGN KEY (run_id, step) REFERENCES steps (run_id, name) ON DELETE CASCADE
    );
    """,
    # 2: model deployments (local model servers and KServe InferenceServices).
    """
    CREATE TABLE deployments (
        name TEXT PRIMARY KEY CHECK (name <> ''),
        run_id TEXT REFERENCES runs (id) ON DELETE SET NULL,
        model_name TEXT NOT NULL,
        model_uri TEXT NOT NULL,
        target TEXT NOT NULL CHECK (target IN ('local', 'kserve')),
        status TEXT NOT NULL CHECK (status IN ('starting', 'running', 'failed', 'stopped')),
        url TEXT,
        port INTEGER,
        pid INTEGER,
        config TEXT NOT NULL,
        error TEXT,
        request_count INTEGER NOT NULL DEFAULT 0,
        error_count INTEGER NOT NULL DEFAULT 0,
        latency_p50_ms REAL,
        latency_p99_ms REAL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX deployments_by_run ON deployments (run_id);
    """,
    # 3: logged inference events (KServe logger CloudEvents) and the count of refused ones.
    """
    CREATE TABLE inference_events (
        id INTEGER PRIMARY KEY,
        ce_id TEXT NOT NULL CHECK (ce_id <> ''),
        kind TEXT NOT NULL CHECK (kind IN ('request', 'response')),
        deployment TEXT NOT NULL,
        namespace TEXT NOT NULL,
        component TEXT NOT NULL,
        endpoint TEXT NOT NULL,
        source TEXT NOT NULL,
        event_time TEXT NOT NULL,
        received_at TEXT NOT NULL,
        content_type TEXT NOT NULL,
        body BLOB NOT NULL,
        UNIQUE (ce_id, kind)
    );
    CREATE INDEX inference_events_by_deployment ON inference_events (deployment, kind, id);

    CREATE TABLE ingest_rejections (
        reason TEXT PRIMARY KEY,
        count INTEGER NOT NULL,
        last_at TEXT NOT NULL
    );
    """,
    # 4: drift monitoring: event times as numbers, per-deployment monitor state, window results, alerts.
    """
    ALTER TABLE inference_events ADD COLUMN event_ts REAL;
    UPDATE inference_events
        SET event_ts = strftime('%s', received_at) + (strftime('%f', received_at) - strftime('%S', received_at));
    CREATE INDEX inference_events_by_time ON inference_events (deployment, kind, event_ts);

    CREATE TABLE drift_monitors (
        deployment TEXT PRIMARY KEY CHECK (deployment <> ''),
        policy TEXT NOT NULL,
        cursor_event INTEGER NOT NULL DEFAULT 0,
        cursor_row INTEGER NOT NULL DEFAULT 0,
        rows_seen INTEGER NOT NULL DEFAULT 0,
        last_event INTEGER NOT NULL DEFAULT 0,
        watermark REAL,
        consecutive INTEGER NOT NULL DEFAULT 0,
        undecodable INTEGER NOT NULL DEFAULT 0,
        undecodable_reason TEXT,
        updated_at TEXT NOT NULL
    );

    CREATE TABLE drift_windows (
        id INTEGER PRIMARY KEY,
        deployment TEXT NOT NULL,
        trigger TEXT NOT NULL CHECK (trigger IN ('auto', 'check')),
        kind TEXT NOT NULL CHECK (kind IN ('count', 'time')),
        start REAL NOT NULL,
        end REAL NOT NULL,
        first_at TEXT,
        last_at TEXT,
        n INTEGER NOT NULL,
        status TEXT NOT NULL,
        drift INTEGER NOT NULL,
        p_value REAL,
        result TEXT NOT NULL,
        histograms TEXT NOT NULL,
        alert_id INTEGER,
        checked_at TEXT NOT NULL
    );
    CREATE INDEX drift_windows_by_deployment ON drift_windows (deployment, id);
    CREATE UNIQUE INDEX drift_windows_auto_time ON drift_windows (deployment, kind, start)
        WHERE trigger = 'auto' AND kind = 'time';

    CREATE TABLE alerts (
        id INTEGER PRIMARY KEY,
        deployment TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('open', 'retraining', 'resolved', 'dismissed')),
        message TEXT NOT NULL,
        window_ids TEXT NOT NULL,
        evidence TEXT NOT NULL,
        retrain_run_id TEXT,
        retrain_parameters TEXT,
        redeploy INTEGER NOT NULL DEFAULT 1,
        redeployed_at TEXT,
        error TEXT,
        raised_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX alerts_by_deployment ON alerts (deployment, id);
    """,
    # 5: refused events counted per deployment ('' when the event named none).
    """
    CREATE TABLE ingest_rejections_by_deployment (
        deployment TEXT NOT NULL,
        reason TEXT NOT NULL,
        count INTEGER NOT NULL,
        last_at TEXT NOT NULL,
        PRIMARY KEY (deployment, reason)
    );
    INSERT INTO ingest_rejections_by_deployment (deployment, reason, count, last_at)
        SELECT '', reason, count, last_at FROM ingest_rejections;
    DROP TABLE ingest_rejections;
    ALTER TABLE ingest_rejections_by_deployment RENAME TO ingest_rejections;
    """,
    # 6: events are idempotent per deployment: (deployment, Ce-Id, kind) (the same Ce-Id may come from two
    # deployments). SQLite cannot change a UNIQUE constraint in place: the table is rebuilt, every row kept.
    """
    CREATE TABLE inference_events_by_deployment_id (
        id INTEGER PRIMARY KEY,
        ce_id TEXT NOT NULL CHECK (ce_id <> ''),
        kind TEXT NOT NULL CHECK (kind IN ('request', 'response')),
        deployment TEXT NOT NULL,
        namespace TEXT NOT NULL,
        component TEXT NOT NULL,
        endpoint TEXT NOT NULL,
        source TEXT NOT NULL,
        event_time TEXT NOT NULL,
        received_at TEXT NOT NULL,
        content_type TEXT NOT NULL,
        body BLOB NOT NULL,
        event_ts REAL,
        UNIQUE (deployment, ce_id, kind)
    );
    INSERT INTO inference_events_by_deployment_id (id, ce_id, kind, deployment, namespace, component, endpoint,
            source, event_time, received_at, content_type, body, event_ts)
        SELECT id, ce_id, kind, deployment, namespace, component, endpoint, source, event_time, received_at,
            content_type, body, event_ts FROM inference_events;
    DROP TABLE inference_events;
    ALTER TABLE inference_events_by_deployment_id RENAME TO inference_events;
    CREATE INDEX inference_events_by_deployment ON inference_events (deployment, kind, id);
    CREATE INDEX inference_events_by_time ON inference_events (deployment, kind, event_ts);
    """,
    # 7: the embedded model registry: registered models, their immutable versions (only `state` changes; nothing is
    # ever deleted), aliases that point at a version, and every move of an alias (append-only).
    """
    CREATE TABLE registered_models (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE CHECK (name <> ''),
        description TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );

    CREATE TABLE model_versions (
        model_id INTEGER NOT NULL REFERENCES registered_models (id),
        version INTEGER NOT NULL CHECK (version >= 1),
        state TEXT NOT NULL CHECK (state IN ('live', 'archived')),
        artifact_uri TEXT NOT NULL CHECK (artifact_uri <> ''),
        artifact_step TEXT,
        artifact_name TEXT,
        framework TEXT,
        framework_version TEXT,
        signature TEXT,
        run_id TEXT,
        notebook_path TEXT,
        notebook_hash TEXT,
        parameters TEXT NOT NULL,
        metrics TEXT NOT NULL,
        steps TEXT NOT NULL,
        reference TEXT,
        author TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (model_id, version)
    );
    CREATE INDEX model_versions_by_run ON model_versions (run_id, artifact_step, artifact_name);

    CREATE TRIGGER model_versions_immutable BEFORE UPDATE ON model_versions
    WHEN NEW.model_id IS NOT OLD.model_id OR NEW.version IS NOT OLD.version
        OR NEW.artifact_uri IS NOT OLD.artifact_uri OR NEW.artifact_step IS NOT OLD.artifact_step
        OR NEW.artifact_name IS NOT OLD.artifact_name OR NEW.framework IS NOT OLD.framework
        OR NEW.framework_version IS NOT OLD.framework_version OR NEW.signature IS NOT OLD.signature
        OR NEW.run_id IS NOT OLD.run_id OR NEW.notebook_path IS NOT OLD.notebook_path
        OR NEW.notebook_hash IS NOT OLD.notebook_hash OR NEW.parameters IS NOT OLD.parameters
        OR NEW.metrics IS NOT OLD.metrics OR NEW.steps IS NOT OLD.steps OR NEW.reference IS NOT OLD.reference
        OR NEW.author IS NOT OLD.author OR NEW.created_at IS NOT OLD.created_at
    BEGIN
        SELECT RAISE(ABORT, 'a model version is immutable: only its state changes');
    END;
    CREATE TRIGGER model_versions_kept BEFORE DELETE ON model_versions
    BEGIN
        SELECT RAISE(ABORT, 'a model version is never deleted: archive it');
    END;

    CREATE TABLE model_aliases (
        model_id INTEGER NOT NULL REFERENCES registered_models (id),
        alias TEXT NOT NULL CHECK (alias <> ''),
        version INTEGER NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (model_id, alias),
        FOREIGN KEY (model_id, version) REFERENCES model_versions (model_id, version)
    );

    CREATE TABLE model_alias_moves (
        id INTEGER PRIMARY KEY,
        model_id INTEGER NOT NULL REFERENCES registered_models (id),
        alias TEXT NOT NULL,
        from_version INTEGER,
        to_version INTEGER,
        at TEXT NOT NULL,
        by TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX model_alias_moves_by_model ON model_alias_moves (model_id, id);
    CREATE TRIGGER model_alias_moves_append_only BEFORE UPDATE ON model_alias_moves
    BEGIN
        SELECT RAISE(ABORT, 'the alias history is append-only');
    END;
    CREATE TRIGGER model_alias_moves_kept BEFORE DELETE ON model_alias_moves
    BEGIN
        SELECT RAISE(ABORT, 'the alias history is append-only');
    END;
    """,
    # 8: the promotion gate: a policy per registered model (by name, whichever registry holds it) and every
    # decision about a candidate version (started, refused, promoted, rolled back), append-only, with its evidence.
    """
    CREATE TABLE gate_policies (
        model TEXT PRIMARY KEY CHECK (model <> ''),
        policy TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        updated_by TEXT NOT NULL
    );

    CREATE TABLE gate_decisions (
        id INTEGER PRIMARY KEY,
        model TEXT NOT NULL CHECK (model <> ''),
        deployment TEXT,
        action TEXT NOT NULL CHECK (action IN ('started', 'refused', 'promoted', 'rolled_back')),
        candidate_version INTEGER NOT NULL,
        stable_version INTEGER,
        by TEXT NOT NULL,
        automatic INTEGER NOT NULL CHECK (automatic IN (0, 1)),
        reason TEXT NOT NULL,
        evidence TEXT NOT NULL,
        run_id TEXT,
        alert_id INTEGER,
        at TEXT NOT NULL
    );
    CREATE INDEX gate_decisions_by_model ON gate_decisions (model, id);
    CREATE TRIGGER gate_decisions_append_only BEFORE UPDATE ON gate_decisions
    BEGIN
        SELECT RAISE(ABORT, 'gate decisions are append-only');
    END;
    CREATE TRIGGER gate_decisions_kept BEFORE DELETE ON gate_decisions
    BEGIN
        SELECT RAISE(ABORT, 'gate decisions are append-only');
    END;
    """,
    # 9: the alias moves of models kept in a remote registry (a Kubeflow Model Registry, named by its URL), which has
    # no aliases of its own: every set, move and removal, append-only.
    """
    CREATE TABLE registry_alias_moves (
        id INTEGER PRIMARY KEY,
        registry TEXT NOT NULL CHECK (registry <> ''),
        model TEXT NOT NULL CHECK (model <> ''),
        alias TEXT NOT NULL CHECK (alias <> ''),
        from_version INTEGER,
        to_version INTEGER,
        at TEXT NOT NULL,
        by TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX registry_alias_moves_by_model ON registry_alias_moves (registry, model, id);
    CREATE TRIGGER registry_alias_moves_append_only BEFORE UPDATE ON registry_alias_moves
    BEGIN
        SELECT RAISE(ABORT, 'the alias history is append-only');
    END;
    CREATE TRIGGER registry_alias_moves_kept BEFORE DELETE ON registry_alias_moves
    BEGIN
        SELECT RAISE(ABORT, 'the alias history is append-only');
    END;
    """,
    # 10: outcomes: predictions read from logged responses (one per row, keyed by the id the client can label it
    # by), ground-truth labels (kept when their prediction is not in yet), their joins in the order they happened
    # (the stream concept-drift detectors read), each deployment's outcome monitor and its windows of predictions;
    # alerts get a kind.
    """
    ALTER TABLE alerts ADD COLUMN kind TEXT NOT NULL DEFAULT 'data_drift'
        CHECK (kind IN ('data_drift', 'performance', 'concept_drift'));

    CREATE TABLE predictions (
        id INTEGER PRIMARY KEY,
        deployment TEXT NOT NULL,
        key TEXT NOT NULL CHECK (key <> ''),
        endpoint TEXT NOT NULL,
        version TEXT,
        event_id INTEGER NOT NULL,
        row INTEGER NOT NULL,
        predicted_at REAL NOT NULL,
        value REAL NOT NULL,
        scores TEXT,
        UNIQUE (deployment, key, endpoint)
    );
    CREATE INDEX predictions_by_deployment ON predictions (deployment, endpoint, id);

    CREATE TABLE labels (
        deployment TEXT NOT NULL,
        key TEXT NOT NULL CHECK (key <> ''),
        label REAL NOT NULL,
        received_at REAL NOT NULL,
        PRIMARY KEY (deployment, key)
    );

    CREATE TABLE outcomes (
        id INTEGER PRIMARY KEY,
        deployment TEXT NOT NULL,
        prediction_id INTEGER NOT NULL UNIQUE,
        label REAL NOT NULL,
        joined_at REAL NOT NULL
    );
    CREATE INDEX outcomes_by_deployment ON outcomes (deployment, id);

    CREATE TABLE outcome_monitors (
        deployment TEXT PRIMARY KEY CHECK (deployment <> ''),
        policy TEXT NOT NULL,
        response_cursor INTEGER NOT NULL DEFAULT 0,
        outcome_cursor INTEGER NOT NULL DEFAULT 0,
        detector TEXT,
        estimator TEXT,
        reference_outputs TEXT,
        undecodable INTEGER NOT NULL DEFAULT 0,
        undecodable_reason TEXT,
        duplicates INTEGER NOT NULL DEFAULT 0,
        refused_labels INTEGER NOT NULL DEFAULT 0,
        refused_reason TEXT,
        updated_at TEXT NOT NULL
    );

    CREATE TABLE outcome_windows (
        deployment TEXT NOT NULL,
        idx INTEGER NOT NULL,
        first_prediction INTEGER NOT NULL,
        last_prediction INTEGER NOT NULL,
        n INTEGER NOT NULL,
        start_ts REAL NOT NULL,
        end_ts REAL NOT NULL,
        estimated TEXT,
        outputs TEXT,
        labelled INTEGER NOT NULL DEFAULT 0,
        realized TEXT,
        alert_id INTEGER,
        PRIMARY KEY (deployment, idx)
    );

    CREATE TABLE concept_detections (
        id INTEGER PRIMARY KEY,
        deployment TEXT NOT NULL,
        method TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('warning', 'drift')),
        outcome_id INTEGER NOT NULL,
        predicted_at REAL NOT NULL,
        error_rate_before REAL,
        error_rate_after REAL,
        alert_id INTEGER,
        at TEXT NOT NULL
    );
    CREATE INDEX concept_detections_by_deployment ON concept_detections (deployment, id);
    """,
    # 11: schedules (a notebook or a pinned pipeline version run by cron or interval; times of the trigger in epoch
    # seconds, `next_due` NULL when disabled or past its end) and what became of each due time: one row per
    # (schedule, due), so a due time is taken once however many schedulers share the store.
    """
    CREATE TABLE schedules (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE CHECK (name <> ''),
        notebook_path TEXT NOT NULL CHECK (notebook_path <> ''),
        pin TEXT,
        parameters TEXT NOT NULL,
        target TEXT NOT NULL CHECK (target IN ('local', 'kfp')),
        experiment TEXT CHECK (experiment <> ''),
        trigger TEXT NOT NULL CHECK (trigger IN ('cron', 'interval')),
        expression TEXT NOT NULL CHECK (expression <> ''),
        time_zone TEXT NOT NULL,
        start_at INTEGER,
        end_at INTEGER,
        max_concurrent INTEGER NOT NULL DEFAULT 1 CHECK (max_concurrent >= 1),
        catch_up INTEGER NOT NULL DEFAULT 0 CHECK (catch_up IN (0, 1)),
        enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
        next_due INTEGER,
        last_fired_due INTEGER,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX schedules_by_next_due ON schedules (next_due) WHERE next_due IS NOT NULL;

    CREATE TABLE schedule_fires (
        id INTEGER PRIMARY KEY,
        schedule_id INTEGER NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
        due INTEGER NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('claimed', 'started', 'skipped', 'failed')),
        reason TEXT,
        run_id TEXT,
        fired_at TEXT NOT NULL,
        UNIQUE (schedule_id, due)
    );
    CREATE INDEX schedule_fires_by_run ON schedule_fires (run_id) WHERE run_id IS NOT NULL;
    CREATE INDEX schedule_fires_claimed ON schedule_fires (schedule_id) WHERE outcome = 'claimed';
    """,
    # A schedule on Kubeflow Pipelines: its recurring run there and the pipeline and version that run references
    # (uploaded from the pinned compiled pipeline); NULL for local schedules.
    """
    ALTER TABLE schedules ADD COLUMN kfp_pipeline_id TEXT;
    ALTER TABLE schedules ADD COLUMN kfp_version_id TEXT;
    ALTER TABLE schedules ADD COLUMN kfp_recurring_run_id TEXT;
    """,
    # Data triggers: a notebook run when files matching a pattern arrive in a folder under the root or under an S3
    # prefix. `trigger_files` follows each listed file (its size and mtime, or its ETag, and since when they hold) until
    # it is settled and handled; `trigger_seen` holds each content handled, one row per (trigger, content hash), so the
    # same content starts at most one run however many watchers share the store, and links the run it started.
    """
    CREATE TABLE triggers (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE CHECK (name <> ''),
        notebook_path TEXT NOT NULL CHECK (notebook_path <> ''),
        source TEXT NOT NULL CHECK (source <> ''),
        pattern TEXT NOT NULL CHECK (pattern <> ''),
        parameter TEXT NOT NULL CHECK (parameter <> ''),
        parameters TEXT NOT NULL,
        experiment TEXT CHECK (experiment <> ''),
        settle_seconds INTEGER NOT NULL CHECK (settle_seconds >= 0),
        poll_seconds INTEGER NOT NULL CHECK (poll_seconds >= 1),
        batch INTEGER NOT NULL DEFAULT 0 CHECK (batch IN (0, 1)),
        include_existing INTEGER NOT NULL DEFAULT 0 CHECK (include_existing IN (0, 1)),
        max_concurrent INTEGER NOT NULL DEFAULT 1 CHECK (max_concurrent >= 1),
        enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
        baseline_at REAL,
        last_error TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );

    CREATE TABLE trigger_files (
        trigger_id INTEGER NOT NULL REFERENCES triggers (id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        size INTEGER NOT NULL,
        version TEXT NOT NULL,
        since REAL NOT NULL,
        content_hash TEXT,
        state TEXT NOT NULL CHECK (state IN ('settling', 'ready', 'existing', 'handled', 'duplicate')),
        PRIMARY KEY (trigger_id, path)
    );

    CREATE TABLE trigger_seen (
        id INTEGER PRIMARY KEY,
        trigger_id INTEGER NOT NULL REFERENCES triggers (id) ON DELETE CASCADE,
        content_hash TEXT NOT NULL,
        path TEXT NOT NULL,
        size INTEGER NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('claimed', 'started', 'failed')),
        reason TEXT,
        run_id TEXT,
        seen_at TEXT NOT NULL,
        UNIQUE (trigger_id, content_hash)
    );
    CREATE INDEX trigger_seen_by_run ON trigger_seen (run_id) WHERE run_id IS NOT NULL;
    CREATE INDEX trigger_seen_claimed ON trigger_seen (trigger_id) WHERE state = 'claimed';
    """,
    # batch prediction jobs: a model (as the user named it) over an input file under the root, written to an
    # output file, run by a worker process that records its progress; paths are relative to the root.
    """
    CREATE TABLE batch_jobs (
        id TEXT PRIMARY KEY,
        model TEXT NOT NULL CHECK (model <> ''),
        model_description TEXT,
        deployment TEXT,
        input_path TEXT NOT NULL CHECK (input_path <> ''),
        output_path TEXT NOT NULL CHECK (output_path <> ''),
        rejects_path TEXT NOT NULL,
        options TEXT NOT NULL,
        log INTEGER NOT NULL DEFAULT 0 CHECK (log IN (0, 1)),
        status TEXT NOT NULL CHECK (
            status IN ('pending', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted')
        ),
        rows_done INTEGER NOT NULL DEFAULT 0,
        rows_total INTEGER,
        rows_predicted INTEGER NOT NULL DEFAULT 0,
        rejected INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        worker_pid INTEGER,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX batch_jobs_by_created ON batch_jobs (created_at);
    CREATE INDEX batch_jobs_unfinished ON batch_jobs (status) WHERE status IN ('pending', 'running');
    """,
    # Batch jobs: the stage being done (downloading, predicting, uploading), where the job runs (local or kfp)
    # and, on Kubeflow, its run's id and page.
    """
    ALTER TABLE batch_jobs ADD COLUMN stage TEXT;
    ALTER TABLE batch_jobs ADD COLUMN target TEXT NOT NULL DEFAULT 'local' CHECK (target IN ('local', 'kfp'));
    ALTER TABLE batch_jobs ADD COLUMN kfp_run_id TEXT;
    ALTER TABLE batch_jobs ADD COLUMN kfp_url TEXT;
    """,
    # logger objects (batches KServe's logger wrote to object storage) read into inference_events, each once per
    # (uri, etag): the row is committed with the events it held.
    """
    CREATE TABLE log_objects (
        uri TEXT NOT NULL,
        etag TEXT NOT NULL,
        deployment TEXT NOT NULL,
        size INTEGER NOT NULL,
        events INTEGER NOT NULL,
        refused INTEGER NOT NULL,
        read_at TEXT NOT NULL,
        PRIMARY KEY (uri, etag)
    );
    CREATE INDEX log_objects_by_deployment ON log_objects (deployment);
    """,
    # Each logger prefix the bucket reader lists: the key up to which every object was read (the next listing's
    # StartAfter), whether its keys were seen arriving in key order, the passes since the last full listing, and the
    # last pass's failure.
    """
    CREATE TABLE log_prefixes (
        prefix TEXT PRIMARY KEY,
        deployment TEXT NOT NULL,
        read_through TEXT NOT NULL DEFAULT '',
        in_order INTEGER NOT NULL DEFAULT 0,
        since_full INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        last_error_at TEXT,
        updated_at TEXT NOT NULL
    );
    """,
    # Growth: reads that stay cheap however many rows the store holds. Counters kept by triggers for what lists and
    # reports count (an experiment's runs, a deployment's events by kind, its automatic drift windows and how many
    # drifted); indexes for the alerts lists (by status, by kind) and for a deployment's active alert.
    """
    ALTER TABLE experiments ADD COLUMN run_count INTEGER NOT NULL DEFAULT 0;
    UPDATE experiments SET run_count = (SELECT count(*) FROM runs WHERE runs.experiment_id = experiments.id);
    CREATE TRIGGER runs_counted AFTER INSERT ON runs
    BEGIN
        UPDATE experiments SET run_count = run_count + 1 WHERE id = NEW.experiment_id;
    END;
    CREATE TRIGGER runs_uncounted AFTER DELETE ON runs
    BEGIN
        UPDATE experiments SET run_count = run_count - 1 WHERE id = OLD.experiment_id;
    END;
    CREATE TRIGGER runs_recounted AFTER UPDATE OF experiment_id ON runs
    BEGIN
        UPDATE experiments SET run_count = run_count - 1 WHERE id = OLD.experiment_id;
        UPDATE experiments SET run_count = run_count + 1 WHERE id = NEW.experiment_id;
    END;

    CREATE TABLE event_counts (
        deployment TEXT NOT NULL,
        kind TEXT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (deployment, kind)
    ) WITHOUT ROWID;
    INSERT INTO event_counts (deployment, kind, count)
        SELECT deployment, kind, count(*) FROM inference_events GROUP BY deployment, kind;
    CREATE TRIGGER inference_events_counted AFTER INSERT ON inference_events
    BEGIN
        INSERT INTO event_counts (deployment, kind, count) VALUES (NEW.deployment, NEW.kind, 1)
            ON CONFLICT (deployment, kind) DO UPDATE SET count = count + 1;
    END;
    CREATE TRIGGER inference_events_uncounted AFTER DELETE ON inference_events
    BEGIN
        UPDATE event_counts SET count = count - 1 WHERE deployment = OLD.deployment AND kind = OLD.kind;
    END;

    CREATE TABLE drift_window_counts (
        deployment TEXT PRIMARY KEY,
        windows INTEGER NOT NULL,
        drifted INTEGER NOT NULL
    ) WITHOUT ROWID;
    INSERT INTO drift_window_counts (deployment, windows, drifted)
        SELECT deployment, count(*), sum(drift) FROM drift_windows WHERE trigger = 'auto' GROUP BY deployment;
    CREATE TRIGGER drift_windows_counted AFTER INSERT ON drift_windows WHEN NEW.trigger = 'auto'
    BEGIN
        INSERT INTO drift_window_counts (deployment, windows, drifted) VALUES (NEW.deployment, 1, NEW.drift)
            ON CONFLICT (deployment) DO UPDATE SET windows = windows + 1, drifted = drifted + NEW.drift;
    END;
    CREATE TRIGGER drift_windows_uncounted AFTER DELETE ON drift_windows WHEN OLD.trigger = 'auto'
    BEGIN
        UPDATE drift_window_counts SET windows = windows - 1, drifted = drifted - OLD.drift
            WHERE deployment = OLD.deployment;
    END;

    CREATE INDEX alerts_by_status ON alerts (status, id);
    CREATE INDEX alerts_by_kind ON alerts (deployment, kind, id);
    CREATE INDEX alerts_active ON alerts (deployment, kind, id) WHERE status IN ('open', 'retraining');
    """,
    # Results of a deployment's monitoring job on the cluster (`monitoring/cluster_job.py`) imported into this store,
    # each once: the job's window or alert id -> the local one; a window's alert in the job (`job_alert_id`), linked
    # when that alert is imported; `closed`: the job was told the alert was dealt with.
    """
    CREATE TABLE monitor_job_imports (
        deployment TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('window', 'alert')),
        job_id INTEGER NOT NULL,
        local_id INTEGER NOT NULL,
        job_alert_id INTEGER,
        closed INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (deployment, kind, job_id)
    ) WITHOUT ROWID;
    """,
    # Whether a deployment's monitoring job on the cluster is alive, as this store's imports saw it: when its results
    # were last checked (the bucket read) and imported, when its last pass committed and what it did (the cursor's
    # `pass`, JSON; NULL from an older job), and why the last check failed (NULL: it did not).
    """
    CREATE TABLE monitor_job_status (
        deployment TEXT PRIMARY KEY,
        last_checked_at TEXT NOT NULL,
        last_imported_at TEXT,
        last_pass_at TEXT,
        last_pass TEXT,
        error TEXT,
        error_hint TEXT
    ) WITHOUT ROWID;
    """,
    # A run's schedule and data trigger kept on the run: what started it is still recorded by `schedule_fires.run_id`
    # and `trigger_seen.run_id`, and SQL triggers copy every change there (and a link recorded before its run). The
    # runs of one schedule or data trigger are then read newest first along an index, a page at a time, and the
    # lists name each run's schedule and trigger without looking up what started it.
    """
    ALTER TABLE runs ADD COLUMN schedule_id INTEGER;
    ALTER TABLE runs ADD COLUMN trigger_id INTEGER;
    UPDATE runs SET schedule_id = (SELECT schedule_id FROM schedule_fires WHERE run_id = runs.id ORDER BY id LIMIT 1)
        WHERE id IN (SELECT run_id FROM schedule_fires WHERE run_id IS NOT NULL);
    UPDATE runs SET trigger_id = (SELECT trigger_id FROM trigger_seen WHERE run_id = runs.id ORDER BY id LIMIT 1)
        WHERE id IN (SELECT run_id FROM trigger_seen WHERE run_id IS NOT NULL);
    CREATE INDEX runs_by_schedule ON runs (schedule_id, created_at) WHERE schedule_id IS NOT NULL;
    CREATE INDEX runs_by_trigger ON runs (trigger_id, created_at) WHERE trigger_id IS NOT NULL;

    CREATE TRIGGER runs_origin AFTER INSERT ON runs
    WHEN EXISTS (SELECT 1 FROM schedule_fires WHERE run_id = NEW.id)
        OR EXISTS (SELECT 1 FROM trigger_seen WHERE run_id = NEW.id)
    BEGIN
        UPDATE runs SET
            schedule_id = (SELECT schedule_id FROM schedule_fires WHERE run_id = NEW.id ORDER BY id LIMIT 1),
            trigger_id = (SELECT trigger_id FROM trigger_seen WHERE run_id = NEW.id ORDER BY id LIMIT 1)
        WHERE id = NEW.id;
    END;

    CREATE TRIGGER schedule_fires_linked AFTER INSERT ON schedule_fires WHEN NEW.run_id IS NOT NULL
    BEGIN
        UPDATE runs
            SET schedule_id = (SELECT schedule_id FROM schedule_fires WHERE run_id = NEW.run_id ORDER BY id LIMIT 1)
            WHERE id = NEW.run_id;
    END;
    CREATE TRIGGER schedule_fires_relinked AFTER UPDATE OF run_id, schedule_id ON schedule_fires
    WHEN OLD.run_id IS NOT NEW.run_id OR OLD.schedule_id IS NOT NEW.schedule_id
    BEGIN
        UPDATE runs
            SET schedule_id = (SELECT schedule_id FROM schedule_fires WHERE run_id = OLD.run_id ORDER BY id LIMIT 1)
            WHERE id = OLD.run_id;
        UPDATE runs
            SET schedule_id = (SELECT schedule_id FROM schedule_fires WHERE run_id = NEW.run_id ORDER BY id LIMIT 1)
            WHERE id = NEW.run_id;
    END;
    CREATE TRIGGER schedule_fires_unlinked AFTER DELETE ON schedule_fires WHEN OLD.run_id IS NOT NULL
    BEGIN
        UPDATE runs
            SET schedule_id = (SELECT schedule_id FROM schedule_fires WHERE run_id = OLD.run_id ORDER BY id LIMIT 1)
            WHERE id = OLD.run_id;
    END;

    CREATE TRIGGER trigger_seen_linked AFTER INSERT ON trigger_seen WHEN NEW.run_id IS NOT NULL
    BEGIN
        UPDATE runs
            SET trigger_id = (SELECT trigger_id FROM trigger_seen WHERE run_id = NEW.run_id ORDER BY id LIMIT 1)
            WHERE id = NEW.run_id;
    END;
    CREATE TRIGGER trigger_seen_relinked AFTER UPDATE OF run_id, trigger_id ON trigger_seen
    WHEN OLD.run_id IS NOT NEW.run_id OR OLD.trigger_id IS NOT NEW.trigger_id
    BEGIN
        UPDATE runs
            SET trigger_id = (SELECT trigger_id FROM trigger_seen WHERE run_id = OLD.run_id ORDER BY id LIMIT 1)
            WHERE id = OLD.run_id;
        UPDATE runs
            SET trigger_id = (SELECT trigger_id FROM trigger_seen WHERE run_id = NEW.run_id ORDER BY id LIMIT 1)
            WHERE id = NEW.run_id;
    END;
    CREATE TRIGGER trigger_seen_unlinked AFTER DELETE ON trigger_seen WHEN OLD.run_id IS NOT NULL
    BEGIN
        UPDATE runs
            SET trigger_id = (SELECT trigger_id FROM trigger_seen WHERE run_id = OLD.run_id ORDER BY id LIMIT 1)
            WHERE id = OLD.run_id;
    END;
    """,
    # event counts: the events stored are counted by the code that stores them (`store.events.store_events`), one
    # statement a batch; the trigger that counted them one row at a time cost more than the insert itself
    """
    DROP TRIGGER inference_events_counted;
    """,
]
