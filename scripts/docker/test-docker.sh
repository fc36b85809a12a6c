#!/usr/bin/env bash
# `make test-docker`: the Docker section of docs/local-development.md, run for real (SAM CLI + Docker), every payload checked.
#   1. Docker: installs Debian's docker.io when dockerd is missing and we are root; starts
#      `dockerd --iptables=false` when no daemon answers, and stops the one it started on exit.
#   2. Images: scripts/docker/images.sh pulls them, or builds stand-ins where no registry answers (loudly).
#   3. tests/docker: sam build, then every `sam local` command of that page, payloads checked.
# From this side the tests speak only to 127.0.0.1 (the containers' published ports). Only images.sh reaches
# out: to a registry (docker pull), and to Debian's and PyPI's (debootstrap, pip) when it builds a stand-in.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
started_at=$(date +%s)
mkdir -p .local
DOCKERD_PID=""
stop_dockerd() {
  if [ -n "$DOCKERD_PID" ]; then
    echo "test-docker: stopping the dockerd it started (pid $DOCKERD_PID)"
    kill "$DOCKERD_PID" 2>/dev/null || true
    for _ in $(seq 60); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$DOCKERD_PID" 2>/dev/null || true
  fi
  echo "test-docker: wall time $(( $(date +%s) - started_at )) s"
}
trap stop_dockerd EXIT

if ! docker info >/dev/null 2>&1; then
  if ! command -v dockerd >/dev/null || ! command -v docker >/dev/null; then
    if [ "$(id -u)" != 0 ]; then
      echo "test-docker: Docker is not installed (Debian: apt-get install docker.io; or Docker Desktop)" >&2
      exit 1
    fi
    echo "test-docker: installing Debian's docker.io"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
  fi
  if [ "$(id -u)" != 0 ]; then
    echo "test-docker: no Docker daemon answers and only root can start one here" >&2
    exit 1
  fi
  echo "test-docker: no Docker daemon answers; starting dockerd --iptables=false (log: .local/dockerd.log)"
  dockerd --iptables=false >.local/dockerd.log 2>&1 &
  DOCKERD_PID=$!
  for _ in $(seq 120); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 || { tail -20 .local/dockerd.log >&2; echo "test-docker: dockerd did not start" >&2; exit 1; }
fi

ARCH="$(uname -m | sed s/aarch64/arm64/)"
bash scripts/docker/images.sh "$ARCH"

# The Docker tests are collected only when this is set (tests/docker/conftest.py).
SAM_LOCAL_DOCKER_ARCH="$ARCH" PYTHONPATH=scripts .venv/bin/python -m pytest tests/docker -p no:cacheprovider ${PYTEST_ARGS:-}
