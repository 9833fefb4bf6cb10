# One image for every process of the system; compose.yaml picks the command per container.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY gateway ./gateway
COPY subgraphs ./subgraphs
COPY schema ./schema
COPY gateway.yaml ./
RUN pip install --no-cache-dir .
EXPOSE 4000 4001 4002 4003
