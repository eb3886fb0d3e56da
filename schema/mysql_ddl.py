"""The AlgoItny MySQL schema (DESIGN.md §1) as Django creates it; `algoitny-etl seed` runs it.

Written to run unchanged on MySQL 8 and MariaDB 10.x (where JSON is LONGTEXT with a
JSON_VALID check). Tables are listed parents first; drop them in reverse.
"""

from __future__ import annotations

TABLE_OPTIONS = "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"

CREATE_TABLES: dict[str, str] = {
    "django_content_type": """
        CREATE TABLE django_content_type (
          id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
          app_label VARCHAR(100) NOT NULL,
          model VARCHAR(100) NOT NULL,
          UNIQUE KEY django_content_type_app_label_model (app_label, model)
        )""",
    "subscription_plans": """
        CREATE TABLE subscription_plans (
          id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
          name VARCHAR(100) NOT NULL UNIQUE,
          description LONGTEXT NOT NULL,
          max_hints_per_day INT NOT NULL,
          max_executions_per_day INT NOT NULL,
          max_problems INT NOT NULL,
          can_view_all_problems BOOL NOT NULL,
          can_register_problems BOOL NOT NULL,
          is_active BOOL NOT NULL,
          created_at DATETIME(6) NOT NULL,
          updated_at DATETIME(6) NOT NULL
        )""",
    "users": """
        CREATE TABLE users (
          id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
          password VARCHAR(128) NOT NULL,
          last_login DATETIME(6) NULL,
          is_superuser BOOL NOT NULL,
          email VARCHAR(254) NOT NULL UNIQUE,
          name VARCHAR(255) NOT NULL,
          picture VARCHAR(200) NOT NULL,
          google_id VARCHAR(255) NULL UNIQUE,
          is_active BOOL NOT NULL,
          is_staff BOOL NOT NULL,
          created_at DATETIME(6) NOT NULL,
          updated_at DATETIME(6) NOT NULL,
          subscription_plan_id BIGINT NULL,
          subscription_plan_id_dynamodb INT NULL,
          CONSTRAINT users_plan_fk FOREIGN KEY (subscription_plan_id) REFERENCES subscription_plans (id)
        )""",
    "problems": """
        CREATE TABLE problems (
          id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
          platform VARCHAR(50) NOT NULL,
          problem_id VARCHAR(50) NOT NULL,
          title VARCHAR(255) NOT NULL,
          problem_url VARCHAR(200) NULL,
          tags JSON NOT NULL,
          solution_code LONGTEXT NULL,
          language VARCHAR(50) NULL,
          constraints LONGTEXT NULL,
          is_completed BOOL NOT NULL,
          is_deleted BOOL NOT NULL,
          deleted_at DATETIME(6) NULL,
          deleted_reason LONGTEXT NULL,
          metadata JSON NOT NULL,
          needs_review BOOL NOT NULL,
          review_notes LONGTEXT NULL,
          verified_by_admin BOOL NOT NULL,
          reviewed_at DATETIME(6) NULL,
          created_at DATETIME(6) NOT NULL,
          UNIQUE KEY problems_platform_problem_id (platform, problem_id)
        )""",
    "test_cases": """
        CREATE TABLE test_cases (
          id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
          problem_id BIGINT NOT NULL,
          input LONGTEXT NOT NULL,
          output LONGTEXT NOT NULL,
          created_at DATETIME(6) NOT NULL,
          CONSTRAINT test_cases_problem_fk FOREIGN KEY (problem_id) REFERENCES problems (id)
        )""",
    "search_history": """
        CREATE TABLE search_history (
          id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
          user_id BIGINT NULL,
          user_identifier VARCHAR(100) NOT NULL,
          problem_id BIGINT NOT NULL,
          platform VARCHAR(50) NOT NULL,
          problem_number VARCHAR(50) NOT NULL,
          problem_title VARCHAR(255) NOT NULL,
          language VARCHAR(50) NOT NULL,
          code LONGTEXT NOT NULL,
          result_summary JSON NOT NULL,
          passed_count INT NOT NULL,
          failed_count INT NOT NULL,
          total_count INT NOT NULL,
          is_code_public BOOL NOT NULL,
          test_results JSON NULL,
          hints JSON NULL,
          metadata JSON NOT NULL,
          created_at DATETIME(6) NOT NULL,
          KEY search_history_user_created (user_id, created_at),
          CONSTRAINT search_history_user_fk FOREIGN KEY (user_id) REFERENCES users (id),
          CONSTRAINT search_history_problem_fk FOREIGN KEY (problem_id) REFERENCES problems (id)
        )""",
    "usage_logs": """
        CREATE TABLE usage_logs (
          id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
          user_id BIGINT NOT NULL,
          action VARCHAR(20) NOT NULL,
          problem_id BIGINT NULL,
          metadata JSON NOT NULL,
          created_at DATETIME(6) NOT NULL,
          KEY usage_logs_user_action_created (user_id, action, created_at),
          CONSTRAINT usage_logs_user_fk FOREIGN KEY (user_id) REFERENCES users (id),
          CONSTRAINT usage_logs_problem_fk FOREIGN KEY (problem_id) REFERENCES problems (id)
        )""",
    "script_generation_jobs": """
        CREATE TABLE script_generation_jobs (
          id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
          platform VARCHAR(50) NOT NULL,
          problem_id VARCHAR(50) NOT NULL,
          title VARCHAR(255) NOT NULL,
          problem_url VARCHAR(200) NULL,
          tags JSON NOT NULL,
          solution_code LONGTEXT NULL,
          language VARCHAR(50) NOT NULL,
          constraints LONGTEXT NOT NULL,
          generator_code LONGTEXT NULL,
          status VARCHAR(20) NOT NULL,
          celery_task_id VARCHAR(255) NULL,
          error_message LONGTEXT NULL,
          created_at DATETIME(6) NOT NULL,
          updated_at DATETIME(6) NOT NULL
        )""",
    "problem_extraction_jobs": """
        CREATE TABLE problem_extraction_jobs (
          id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
          platform VARCHAR(50) NOT NULL,
          problem_id VARCHAR(50) NOT NULL,
          problem_url VARCHAR(200) NOT NULL,
          problem_identifier VARCHAR(255) NOT NULL,
          status VARCHAR(20) NOT NULL,
          celery_task_id VARCHAR(255) NULL,
          error_message LONGTEXT NULL,
          created_at DATETIME(6) NOT NULL,
          updated_at DATETIME(6) NOT NULL
        )""",
    "job_progress_history": """
        CREATE TABLE job_progress_history (
          id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
          content_type_id INT NOT NULL,
          object_id INT UNSIGNED NOT NULL,
          step VARCHAR(100) NOT NULL,
          message LONGTEXT NOT NULL,
          status VARCHAR(20) NOT NULL,
          created_at DATETIME(6) NOT NULL,
          KEY job_progress_object (content_type_id, object_id),
          CONSTRAINT job_progress_content_type_fk FOREIGN KEY (content_type_id) REFERENCES django_content_type (id)
        )""",
    "task_results": """
        CREATE TABLE task_results (
          task_id VARCHAR(255) NOT NULL PRIMARY KEY,
          status VARCHAR(50) NOT NULL,
          result JSON NULL,
          traceback LONGTEXT NULL,
          created_at DATETIME(6) NOT NULL,
          updated_at DATETIME(6) NOT NULL
        )""",
}


def create_statements() -> list[str]:
    return [f"{body.strip()} {TABLE_OPTIONS}" for body in CREATE_TABLES.values()]


def drop_order() -> list[str]:
    return list(reversed(CREATE_TABLES))
