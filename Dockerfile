# eocexporter container image. Build from the repository root:
#   docker build -t eocexporter .
# Two stages on the same base image: the builder turns the sources into a wheel and installs it into a
# virtualenv in /opt/venv; the runtime stage gets only that virtualenv (no compilers, no sources, no pip
# caches) and runs it as an unprivileged user. tests/test_packaging.py runs the builder's RUN step and
# the HEALTHCHECK command outside Docker, so keep them plain shell with these absolute paths.

FROM python:3.11-slim-bookworm AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY eocexporter ./eocexporter
RUN python -m pip wheel --no-deps --wheel-dir /wheels . \
    && python -m venv /opt/venv \
    && /opt/venv/bin/python -m pip install --no-cache-dir /wheels/eocexporter-*.whl

FROM python:3.11-slim-bookworm
# The package version; tools/sync_chart.py keeps it equal to eocexporter.__version__.
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="eocexporter" \
      org.opencontainers.image.description="Prometheus exporter and Parquet analytics collector for the Eocortex video management system" \
      org.opencontainers.image.source="https://github.com/eocexporter/eocexporter" \
      org.opencontainers.image.url="https://github.com/eocexporter/eocexporter" \
      org.opencontainers.image.documentation="https://github.com/eocexporter/eocexporter/blob/main/docs/deployment.md" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}"
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
# --no-log-init (-l): a high UID would otherwise grow /var/log/faillog and lastlog to gigabytes.
RUN groupadd --system --gid 10001 eocexporter \
    && useradd --no-log-init --system --uid 10001 --gid 10001 --home-dir /var/lib/eocexporter \
        --no-create-home --shell /usr/sbin/nologin eocexporter \
    && mkdir -p /etc/eocexporter /var/lib/eocexporter \
    && chown 10001:10001 /var/lib/eocexporter
COPY --from=builder /opt/venv /opt/venv
USER 10001:10001
WORKDIR /var/lib/eocexporter
EXPOSE 10070
# The Parquet root lives here when parquet.root is local (EOCEXPORTER_PARQUET__ROOT=/var/lib/eocexporter/parquet).
VOLUME ["/var/lib/eocexporter"]
# No curl in slim images: python's urllib asks /healthz on the port of EOCEXPORTER_LISTEN (default 10070),
# over HTTPS when plain HTTP fails (a web config with tls_server_config; the certificate is not checked:
# this is the container asking itself). /healthz needs no credentials even with basic_auth_users.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import os, ssl, urllib.request as u\nport = os.environ.get('EOCEXPORTER_LISTEN', ':10070').rpartition(':')[2]\ntry:\n    u.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=2)\nexcept Exception:\n    u.urlopen(f'https://127.0.0.1:{port}/healthz', timeout=2, context=ssl._create_unverified_context())"]
ENTRYPOINT ["eocexporter"]
# Configuration from EOCEXPORTER_* variables alone; add `--config FILE` for a mounted YAML file:
#   docker run ... eocexporter run --config /etc/eocexporter/config.yml
CMD ["run"]
