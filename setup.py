"""Packaging: installs the `algoitny-etl` command, and ships the code to Beam workers
(`--setup_file ./setup.py` on Dataflow, Flink or Spark)."""

import setuptools

setuptools.setup(
    name="algoitny-etl",
    version="0.1.0",
    description="AlgoItny MySQL -> DynamoDB single-table migration on Apache Beam",
    packages=setuptools.find_packages(include=["schema*", "connectors*", "transforms*", "pipelines*", "reports*",
                                               "sample_data*", "repositories*", "state*"]),
    python_requires=">=3.10",
    install_requires=[
        # Exactly the version whose Flink and Spark job servers Maven Central serves (the SDK and
        # the job server must match exactly; 2.63-2.77 have none there): README, "Runners".
        "apache-beam==2.62.0",
        "boto3>=1.34,<2",
        "SQLAlchemy>=2.0,<2.2",
        "PyMySQL>=1.1,<2",
        "mysql-replication>=1.0.9,<2",
        # Items' DynamoDB JSON and the answers (connectors/dynamodb/wire.py, transport.py); Beam needs it too.
        "orjson>=3.9.7,<4",
    ],
    extras_require={
        # pytest 9.2 keeps a node's id in Node._id; pytest-xdist 3.8's --dist loadgroup still sets
        # Node._nodeid, so on 9.2 every xdist_group is silently ignored (tests/conftest.py checks).
        "test": ["pytest>=8,<9.2", "pytest-xdist>=3.6,<4", "testcontainers[mysql]>=4.8,<5", "hypothesis>=6.100,<7"],
    },
    entry_points={"console_scripts": ["algoitny-etl=pipelines.cli:main"]},
)
