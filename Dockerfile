FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY tairproxy ./tairproxy
COPY modules ./modules
RUN pip install --no-cache-dir .
ENV TAIRPROXY_BIND=0.0.0.0 \
    TAIRPROXY_PORT=6380
EXPOSE 6380
CMD ["tairproxy"]
