# One image for every process of the system; compose.yaml and deploy/k8s pick the command per container.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

# Dependencies first, at the versions of the lock, so a code change does not reinstall them.
COPY requirements.lock ./
RUN pip install --no-deps -r requirements.lock

COPY pyproject.toml README.md gateway.yaml ./
COPY gateway ./gateway
COPY subgraphs ./subgraphs
COPY schema ./schema
RUN pip install --no-deps .

# Never root: the processes read the code, talk to the network, and write nothing but their databases elsewhere.
RUN useradd --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin app
USER 10001:10001

EXPOSE 4000
CMD ["python", "-m", "gateway", "serve", "--supergraph", "schema/supergraph.graphql"]
