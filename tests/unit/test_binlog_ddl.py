"""Which synced tables a DDL statement names: DDL events come from every schema of the server."""

from connectors.mysql.binlog import ddl_targets

TABLES = frozenset({"users", "problems", "test_cases", "django_content_type"})


def test_an_unqualified_name_is_ours_only_when_the_statement_ran_in_our_database():
    assert ddl_targets("DROP TABLE IF EXISTS `django_content_type`", "algoitny", "algoitny", TABLES) == \
        ["django_content_type"]
    assert ddl_targets("DROP TABLE IF EXISTS `django_content_type`", "bench_db", "algoitny", TABLES) == []


def test_a_qualified_name_is_ours_only_with_our_database():
    assert ddl_targets("ALTER TABLE `algoitny`.`users` ADD nick INT", "", "algoitny", TABLES) == ["users"]
    assert ddl_targets("ALTER TABLE other.users ADD nick INT", "algoitny", "algoitny", TABLES) == []


def test_a_name_that_only_contains_a_table_name_is_not_it():
    assert ddl_targets("ALTER TABLE users_archive ADD x INT", "algoitny", "algoitny", TABLES) == []
