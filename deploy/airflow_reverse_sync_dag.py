"""Airflow DAG: `algoitny-etl reverse-sync` every minute from cut-over through the validation period.

Copy into the DAGs folder beside airflow_sync_dag.py (pause that one at cut-over: sync refuses
to write then anyway). Reverse sync runs no Beam pipeline (its volume is the application's own
writes), so this is a BashOperator running the project's command from its virtual environment;
the settings come from the worker's environment (MYSQL_URL, DYNAMODB_TABLE, AWS_DEFAULT_REGION).

max_active_runs=1 and catchup=False: one run at a time, no backlog (each run reads everything
after its checkpoints). Exit 3 (another reverse sync holds the lease) is a skipped overlap:
the task succeeds.
"""

from __future__ import annotations

import datetime as dt

from airflow import DAG
from airflow.operators.bash import BashOperator

PROJECT = "/opt/algoitny-etl"

with DAG(
    dag_id="algoitny_etl_reverse_sync",
    schedule=dt.timedelta(minutes=1),
    start_date=dt.datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 0},
    tags=["algoitny", "migration"],
) as dag:
    BashOperator(
        task_id="reverse_sync",
        bash_command=(f"{PROJECT}/.venv/bin/algoitny-etl reverse-sync "
                      "--report /var/lib/algoitny-etl/reverse-sync-report.json; code=$?; "
                      "[ $code -eq 3 ] && exit 0; exit $code"),
        cwd=PROJECT,
    )
