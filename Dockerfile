# monitor: the news-monitoring daemon in a container.
#
#   docker build -t monitor .
#   docker run --rm -p 8080:8080 -v monitor-data:/data --env-file .env monitor
#
# rules/ and seeds/ are baked in at /app/rules and /app/seeds; mount your own
# over them (read-only is fine) to change feeds or rules without a rebuild.
# tests/test_container.py replays the build stage's RUN lines in a fresh
# virtualenv, so keep them plain shell that works outside Docker too.

# ---- build: dependencies in their own layer, then the project as a wheel ----
FROM python:3.11-slim-bookworm AS build

ENV VIRTUAL_ENV=/opt/venv \
    PIP_DISABLE_PIP_VERSION_CHECK=1
ENV PATH="$VIRTUAL_ENV/bin:$PATH"
WORKDIR /src

RUN python -m venv "$VIRTUAL_ENV"

# Only pyproject.toml: this layer is rebuilt when the dependencies change, not the code.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > requirements.txt \
    && python -m pip install --no-cache-dir -r requirements.txt

COPY README.md ./
COPY monitor ./monitor
RUN python -m pip install --no-cache-dir --no-deps .

# ---- runtime: the virtualenv, the rules and seeds, a non-root user ----
FROM python:3.11-slim-bookworm

ENV VIRTUAL_ENV=/opt/venv \
    PATH="/opt/venv/bin:$PATH" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MONITOR_DATA_DIR=/data \
    MONITOR_RULES_DIR=/app/rules \
    MONITOR_SEEDS_DIR=/app/seeds \
    MONITOR_HEALTH_HOST=0.0.0.0 \
    MONITOR_HEALTH_PORT=8080

RUN groupadd --system --gid 10001 monitor \
    && useradd --system --uid 10001 --gid monitor --home-dir /app --shell /usr/sbin/nologin monitor \
    && mkdir -p /data \
    && chown monitor:monitor /data

COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY rules ./rules
COPY seeds ./seeds

USER 10001:10001
VOLUME ["/data"]
EXPOSE 8080

# No curl in slim images: ask /livez with Python; HTTP 503 or no answer exits 1.
# /livez, not /healthz: a database outage must not mark the container for a
# restart (Swarm, autoheal); /healthz and /readyz say whether it is working.
# The start period covers the start's wait for PostgreSQL (MONITOR_DATABASE_WAIT_S).
HEALTHCHECK --interval=30s --timeout=5s --start-period=330s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/livez' % os.environ.get('MONITOR_HEALTH_PORT', '8080'), timeout=4)"]

CMD ["monitor", "run"]
