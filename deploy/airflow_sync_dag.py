"""Airflow DAG: `algoitny-etl sync` every 5 minutes until cut-over.

Copy into the DAGs folder of an Airflow with apache-airflow-providers-apache-beam, and the
project installed in /opt/algoitny-etl/.venv. The connection settings come from the worker's
environment (MYSQL_URL, DYNAMODB_TABLE, AWS_DEFAULT_REGION; AWS credentials from its role),
never from pipeline options, which Airflow shows in its UI.

max_active_runs=1 and catchup=False: one run at a time, and no backlog of missed runs (each
run reads everything since the last checkpoint anyway). Exit 3 (another sync, from another
scheduler, holds the lease) fails that try; the next run goes on from the checkpoint.
"""

from __future__ import annotations

import datetime as dt

from airflow import DAG
from airflow.providers.apache.beam.operators.beam import BeamRunPythonPipelineOperator

PROJECT = "/opt/algoitny-etl"

with DAG(
    dag_id="algoitny_etl_sync",
    schedule=dt.timedelta(minutes=5),
    start_date=dt.datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 0},
    tags=["algoitny", "migration"],
) as dag:
    # Runs: algoitny-etl sync --report /var/lib/algoitny-etl/sync-report.json (the README's command),
    # through the sync driver's own entry point.
    BeamRunPythonPipelineOperator(
        task_id="sync",
        py_file=f"{PROJECT}/pipelines/sync.py",
        py_interpreter=f"{PROJECT}/.venv/bin/python",
        py_system_site_packages=False,
        runner="DirectRunner",
        pipeline_options={"report": "/var/lib/algoitny-etl/sync-report.json"},
    )
