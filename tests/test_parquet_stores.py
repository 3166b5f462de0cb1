"""Where the files go: an S3-compatible store on 127.0.0.1, and local roots that are full or read-only."""

from __future__ import annotations

import logging
import os
import subprocess
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import make_settings
from helpers import parse_samples, value
from test_parquet import DAY_START, assert_exactly_once, lines_and_classes, pass_at

from eocexporter.parquet.storage import ParquetStore


@pytest.fixture
def s3_endpoint(monkeypatch: pytest.MonkeyPatch):
    """An S3-compatible server (moto) on 127.0.0.1 with one bucket."""
    boto3 = pytest.importorskip("boto3")
    from moto.server import ThreadedMotoServer

    # Nothing may try AWS' instance metadata service for credentials or region.
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"{host}:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=f"http://{endpoint}",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket="analytics")
    yield endpoint
    server.stop()


async def test_s3_layout_round_trips(sim, clock, exporter_factory, s3_endpoint, tmp_path: Path) -> None:
    secret = tmp_path / "s3-secret"
    secret.write_text("test\n")
    parquet = {
        "root": "s3://analytics/eocortex",
        "grace": "1m",
        "s3": {
            "endpoint_override": s3_endpoint,
            "scheme": "http",
            "access_key": "test",
            "secret_key_file": str(secret),
        },
    }
    clock.set(DAY_START + timedelta(minutes=16))
    exporter = exporter_factory(make_settings(sim.main_url, parquet=parquet))
    assert await exporter.collect_once()
    await exporter.write_parquet_once()  # starts with 00:00-00:15
    await pass_at(exporter, clock, DAY_START + timedelta(hours=2, minutes=2))
    store = ParquetStore(exporter.settings.parquet)
    files = store.list("object_counts")
    assert len(files) == 8 * len(sim.installation.servers)
    assert all(f.path.startswith("analytics/eocortex/object_counts/date=") for f in files)
    # An analyst's read of the same layout through pyarrow's S3 filesystem (Spark and Trino read it alike).
    frame = pq.read_table("analytics/eocortex/object_counts", filesystem=store.fs).to_pandas()
    assert len(frame) == 8 * len(lines_and_classes(sim))
    assert (
        frame.duplicated(["interval_start", "server_id", "camera_id", "zone_id", "object_class"]).sum() == 0
    )
    # The checkpoints travel with the data: a new exporter on the same prefix carries on.
    second = exporter_factory(make_settings(sim.main_url, parquet=parquet))
    assert await second.collect_once()
    await pass_at(second, clock, DAY_START + timedelta(hours=2, minutes=17))
    assert len(store.list("object_counts")) == 9 * len(sim.installation.servers)


@pytest.fixture
def mounted_root(tmp_path: Path):
    """A tiny tmpfs of our own, so that a full or read-only disk is real (needs root, as in CI)."""
    root = tmp_path / "root"
    root.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=96k", "tmpfs", str(root)], capture_output=True, check=False
    )
    if result.returncode != 0:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"cannot mount a tmpfs for the full-disk test: {result.stderr.decode().strip()}")
        pytest.skip("mounting a tmpfs needs root")
    yield root
    subprocess.run(["umount", "-l", str(root)], check=False)


def remount(root: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(root)], check=True)


def visible_files_are_whole(root: Path) -> int:
    files = list(root.glob("*/date=*/*.parquet"))
    for path in files:
        pq.read_table(path)  # raises on half a file
    assert not list(root.rglob("*.tmp")), "a temporary file was left visible"
    return len(files)


async def test_a_full_disk_is_an_error_that_loses_nothing(
    sim, clock, exporter_factory, mounted_root: Path, caplog
) -> None:
    caplog.set_level(logging.INFO)
    clock.set(DAY_START + timedelta(minutes=16))
    exporter = exporter_factory(
        make_settings(sim.main_url, parquet={"root": str(mounted_root), "grace": "1m"})
    )
    assert await exporter.collect_once()
    await exporter.write_parquet_once()  # starts with 00:00-00:15
    await pass_at(exporter, clock, DAY_START + timedelta(hours=8, minutes=2))
    await exporter.publish_now()
    samples = parse_samples(exporter.exposition.body)
    assert value(samples, "eocortex_parquet_write_errors_total", dataset="object_counts") > 0
    assert value(samples, "eocortex_up") == 1  # the exporter itself carries on
    errors = [r.getMessage() for r in caplog.records if "No space left on device" in r.getMessage()]
    assert errors and all("\n" not in message for message in errors)
    # The message names the file with its root: where to look, whatever the working directory.
    assert all(message.startswith("parquet: cannot write ") for message in errors)
    assert all(f" {mounted_root}/" in message for message in errors)
    assert any(f"{mounted_root}/object_counts/date=" in message for message in errors)
    visible_files_are_whole(mounted_root)
    # Space again: the next pass writes every interval still missing, each once.
    remount(mounted_root, "size=64m")
    await pass_at(exporter, clock, DAY_START + timedelta(hours=8, minutes=3))
    assert assert_exactly_once(mounted_root, "object_counts") == 32 * len(lines_and_classes(sim))
    frame = pd.read_parquet(mounted_root / "visitor_reports", columns=["interval_start"])
    assert frame["interval_start"].nunique() == 32


async def test_a_read_only_root_is_an_error_and_metrics_keep_serving(
    sim, clock, exporter_factory, mounted_root: Path, caplog
) -> None:
    remount(mounted_root, "ro")
    clock.set(DAY_START + timedelta(minutes=16))
    exporter = exporter_factory(
        make_settings(sim.main_url, parquet={"root": str(mounted_root), "grace": "1m"})
    )
    assert await exporter.collect_once()
    await exporter.write_parquet_once()
    await exporter.publish_now()
    samples = parse_samples(exporter.exposition.body)
    for dataset in ("object_counts", "visitor_reports", "camera_status", "license_usage"):
        assert value(samples, "eocortex_parquet_write_errors_total", dataset=dataset) >= 1
    assert "Read-only file system" in caplog.text
    assert visible_files_are_whole(mounted_root) == 0
