"""Telemetry settings: gateway.yaml's ``telemetry`` section, the environment and ``fedgw serve``'s flags, and the
log formats."""

from __future__ import annotations

import argparse
import json
import logging

import pytest

from gateway.commands.serve import add_parser, settings_for
from gateway.config import ConfigError, parse_config
from gateway.server.settings import ServerSettings
from gateway.telemetry import TracingSettings, configure_tracing
from gateway.telemetry.access_log import JsonFormatter, RequestIdFilter, TextFormatter, log_access

SUBGRAPHS = "subgraphs:\n  - {name: users, url: http://127.0.0.1:4001/graphql}\n"


def _args(*flags: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers())
    return parser.parse_args(["serve", *flags])


def test_tracing_is_off_by_default():
    settings = ServerSettings().with_env({})
    assert not settings.tracing.enabled
    assert configure_tracing(settings.tracing) is None
    assert (settings.metrics, settings.access_log, settings.log_format) == (True, True, "text")


def test_the_config_file_turns_telemetry_on_and_the_environment_and_flags_win():
    config = parse_config(
        SUBGRAPHS
        + "telemetry:\n  otlp_endpoint: http://collector:4318\n  sampling_ratio: 0.25\n"
        + "  max_operation_names: 7\n  access_log: false\n  log_format: json\n"
    )
    settings = settings_for(_args(), config, environ={})
    assert settings.tracing == TracingSettings("http://collector:4318", 0.25, "gateway")
    assert (settings.metrics_max_operation_names, settings.access_log, settings.log_format) == (
        7,
        False,
        "json",
    )
    env = {"GATEWAY_TRACE_SAMPLING_RATIO": "0.5", "GATEWAY_LOG_FORMAT": "text", "OTEL_SERVICE_NAME": "edge"}
    settings = settings_for(_args(), config, environ=env)
    assert settings.tracing == TracingSettings("http://collector:4318", 0.5, "edge")
    assert settings.log_format == "text"
    flags = _args(
        "--otlp-endpoint", "http://other:4318", "--trace-sampling-ratio", "1", "--log-format", "json"
    )
    settings = settings_for(flags, config, environ=env)
    assert settings.tracing.otlp_endpoint == "http://other:4318" and settings.tracing.sampling_ratio == 1.0
    assert settings.log_format == "json"


def test_opentelemetrys_own_variables_are_read_and_none_turns_tracing_off():
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_TRACES_SAMPLER_ARG": "0.1"}
    settings = ServerSettings().with_env(env)
    assert (
        settings.tracing.otlp_endpoint == "http://collector:4318" and settings.tracing.sampling_ratio == 0.1
    )
    settings = ServerSettings().with_env({**env, "GATEWAY_OTLP_ENDPOINT": "none"})
    assert not settings.tracing.enabled
    assert not ServerSettings().with_env({"GATEWAY_METRICS": "false"}).metrics
    assert (
        ServerSettings().with_env({"GATEWAY_METRICS_MAX_OPERATION_NAMES": "3"}).metrics_max_operation_names
        == 3
    )


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("  sampling_ratio: 2\n", "telemetry.sampling_ratio: Input should be less than or equal to 1"),
        ("  log_format: xml\n", "telemetry.log_format: Input should be 'text' or 'json'"),
        ("  otlp_endpoint: collector:4318\n", "otlp_endpoint must be an http(s) URL"),
        ("  metrics: yes please\n", "telemetry.metrics"),
        ("  max_operation_names: -1\n", "telemetry.max_operation_names"),
        ("  tracing: true\n", "telemetry: unknown key(s) tracing"),
    ],
)
def test_a_bad_telemetry_setting_is_refused_with_its_key(section, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_config(SUBGRAPHS + "telemetry:\n" + section)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"GATEWAY_LOG_FORMAT": "xml"}, "GATEWAY_LOG_FORMAT: Input should be 'text' or 'json'"),
        (
            {"GATEWAY_TRACE_SAMPLING_RATIO": "half"},
            "GATEWAY_TRACE_SAMPLING_RATIO: Input should be a valid number",
        ),
        (
            {"GATEWAY_TRACE_SAMPLING_RATIO": "1.5"},
            "GATEWAY_TRACE_SAMPLING_RATIO: Input should be less than or equal to 1",
        ),
    ],
)
def test_a_bad_telemetry_variable_is_refused(env, message):
    with pytest.raises(ValueError, match=message):
        ServerSettings().with_env(env)


def _record(logger: str, message: str, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord(logger, logging.INFO, __file__, 1, message, None, None)
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_the_json_format_puts_fields_at_the_top_and_the_traceback_in_one_line():
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        import sys

        record = logging.LogRecord(
            "gateway.server", logging.ERROR, __file__, 1, "crashed %s", ("now",), sys.exc_info()
        )
    RequestIdFilter(lambda: "abc123").filter(record)
    line = JsonFormatter().format(record)
    assert "\n" not in line
    out = json.loads(line)
    assert (out["level"], out["logger"], out["message"], out["request_id"]) == (
        "ERROR",
        "gateway.server",
        "crashed now",
        "abc123",
    )
    assert "RuntimeError: boom" in out["exception"]


def test_the_text_format_names_the_request_id(caplog):
    record = _record("gateway.execution.errors", "subgraph failed")
    RequestIdFilter(lambda: None).filter(record)
    assert TextFormatter().format(record).endswith("gateway.execution.errors [-]: subgraph failed")
    caplog.set_level(logging.INFO, logger="gateway.access")
    log_access({"request_id": "r1", "operation_name": 'odd "name"', "cache_hit": True, "skipped": None})
    (access,) = caplog.records
    assert access.getMessage() == 'request_id=r1 operation_name="odd \\"name\\"" cache_hit=true'
    assert json.loads(JsonFormatter().format(access))["operation_name"] == 'odd "name"'
