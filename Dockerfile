# leadpipe's Airflow image: the official Airflow 3.3.2 image plus exactly the dependencies locked in uv.lock.
# Built by `docker compose build` (see docker-compose.yml); dependencies are baked in at build time, never
# installed when a container starts (no _PIP_ADDITIONAL_REQUIREMENTS).

ARG AIRFLOW_IMAGE=apache/airflow:3.3.2-python3.11

# Stage 1: turn uv.lock into a pinned, hashed requirements file: runtime deps only, no dev/bench groups and
# no `demo` extra (Faker: `leadpipe demo` is for trying leadpipe out locally, not for the services).
FROM ${AIRFLOW_IMAGE} AS requirements
ARG UV_VERSION=0.13.9
RUN pip install --no-cache-dir "uv==${UV_VERSION}"
WORKDIR /tmp/lock
COPY --chown=airflow:root pyproject.toml uv.lock ./
RUN uv export --frozen --no-dev --no-emit-project --format requirements-txt -o requirements.txt

# Stage 2: the image the services run.
FROM ${AIRFLOW_IMAGE}
COPY --from=requirements /tmp/lock/requirements.txt /tmp/requirements.txt
RUN pip install --no-cache-dir --require-hashes -r /tmp/requirements.txt
COPY --chown=airflow:root pyproject.toml README.md /opt/leadpipe/
COPY --chown=airflow:root leadpipe /opt/leadpipe/leadpipe
COPY --chown=airflow:root connectors /opt/leadpipe/connectors
COPY --chown=airflow:root enrichment /opt/leadpipe/enrichment
COPY --chown=airflow:root expectations /opt/leadpipe/expectations
RUN pip install --no-cache-dir --no-deps /opt/leadpipe
COPY --chown=airflow:root dags /opt/airflow/dags
COPY --chown=airflow:root plugins /opt/airflow/plugins
COPY --chown=airflow:root config /opt/leadpipe/config
ENV LEADPIPE_CONFIG=/opt/leadpipe/config/leadpipe.yaml \
    LEADPIPE_HOME=/opt/airflow/leadpipe
