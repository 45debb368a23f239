"""Uploads: replica memory growth and throughput for an upload over the limit and for the largest picture
the shop stores, on one replica of each tree, against boto3 putting the same bytes straight into S3."""

from __future__ import annotations

import io
import os
import re
import time
from pathlib import Path

from PIL import Image

from harness import BUCKET, Topology, Visitor


def memory_kib(pid: int, field: str) -> int:
    match = re.search(rf"^{field}:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text(), re.MULTILINE)
    return int(match.group(1))


def noise_png(size: int) -> bytes:
    """A PNG of random pixels, which does not compress: about `size` bytes of real image."""
    side = int((size / 3) ** 0.5)
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=1)
    return out.getvalue()


def uploads(topologies: list[Topology], *, rounds: int, megabytes: int) -> dict:
    """An upload of `megabytes` (50 MB in the full run), refused with 413 once received, and a 4.5 MB
    picture, stored; the last topology's S3 server takes both from boto3.

    Replica memory growth: the peak RSS (VmHWM, reset through /proc/<pid>/clear_refs) minus the RSS before.
    """
    files = {
        f"{megabytes} MB of random bytes": (os.urandom(megabytes * 1024 * 1024), 413),
        "4.5 MB picture": (noise_png(4_500_000), 302),
    }
    results: dict[str, dict[str, list[dict]]] = {}
    for topology in topologies:
        replica = topology.replica(0)
        pid = replica.pid
        staff = Visitor(replica.url)
        staff.log_in_as_staff()
        product_id, _ = staff.create_product(stock=1)
        for _ in range(rounds):
            for label, (data, wanted) in files.items():
                Path(f"/proc/{pid}/clear_refs").write_text("5")  # reset the peak RSS to the current RSS
                rss = memory_kib(pid, "VmRSS")
                start = time.perf_counter()
                response = staff.upload_picture(product_id, data, filename="upload.png")
                elapsed = time.perf_counter() - start
                if response.status_code != wanted:
                    raise RuntimeError(f"{topology.tree}/ upload {label}: {response.status_code}, not {wanted}")
                growth = (memory_kib(pid, "VmHWM") - rss) / 1024
                figures = {"mb_per_s": len(data) / elapsed / 1e6, "growth_mb": growth, "bytes": len(data)}
                answer = "413, over the limit" if wanted == 413 else "302, stored"
                results.setdefault(label, {}).setdefault(f"{topology.tree}/ replica: {answer}", []).append(figures)
                print(f"  {topology.tree:<9} {label:<24} {figures['mb_per_s']:7.1f} MB/s  RSS +{growth:.1f} MiB")
    s3 = topologies[-1].s3_client(request_checksum_calculation="when_required", s3={"addressing_style": "path"})
    for _ in range(rounds):
        for label, (data, _) in files.items():
            start = time.perf_counter()
            s3.put_object(Bucket=BUCKET, Key=f"bench/{len(data)}", Body=data)
            figures = {"mb_per_s": len(data) / (time.perf_counter() - start) / 1e6, "bytes": len(data)}
            results[label].setdefault("boto3 straight to S3: stored", []).append(figures)
            print(f"  boto3     {label:<24} {figures['mb_per_s']:7.1f} MB/s")
    return results
