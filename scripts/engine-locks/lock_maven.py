#!/usr/bin/env python3
"""Write the lock of a Beam job server's classpath: every runtime jar of one Maven artifact, with
its sha256, so scripts/engines.py fetches exactly these files and checks each one.

  scripts/engine-locks/lock_maven.py org.apache.beam:beam-runners-flink-1.19:2.62.0 \
      org.slf4j:slf4j-jdk14:1.7.30 > scripts/engine-locks/flink-1.19-job-server-2.62.0.lock

Needs Maven (mvn) and Maven Central; the engines themselves need neither. MAVEN_REPO_LOCAL
names a local repository to reuse (default: a temporary one).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile

POM = """<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>algoitny-etl</groupId><artifactId>job-server-lock</artifactId><version>1</version><packaging>pom</packaging>
<dependencies>{}</dependencies></project>"""
DEPENDENCY = "<dependency><groupId>{}</groupId><artifactId>{}</artifactId><version>{}</version></dependency>"


def main(coordinates: list[str]) -> None:
    with tempfile.TemporaryDirectory() as work:
        with open(os.path.join(work, "pom.xml"), "w") as pom:
            pom.write(POM.format("".join(DEPENDENCY.format(*c.split(":")) for c in coordinates)))
        repo = os.environ.get("MAVEN_REPO_LOCAL") or os.path.join(work, "m2")
        listing = os.path.join(work, "list.txt")
        subprocess.run(["mvn", "-B", "-q", f"-Dmaven.repo.local={repo}", "dependency:list", "-DincludeScope=runtime",
                        "-DoutputAbsoluteArtifactFilename=true", f"-DoutputFile={listing}"], cwd=work, check=True,
                       stdout=subprocess.DEVNULL)
        rows = []
        for line in open(listing):
            parts = line.strip().split(":")
            if len(parts) not in (6, 7) or parts[2] != "jar":
                continue
            group, artifact, _, *classifier, version, _, path = parts
            with open(path, "rb") as jar:
                digest = hashlib.sha256(jar.read()).hexdigest()
            rows.append(f"{group}:{artifact}:{version}:{''.join(classifier)} {digest} {os.path.getsize(path)}")
    print(f"# {' '.join(coordinates)}: runtime classpath, sha256 and size of each jar (lock_maven.py)")
    print("\n".join(sorted(rows)))


if __name__ == "__main__":
    main(sys.argv[1:])
