"""Reading a server's Prometheus metrics (`--metrics-port`), Tempo's or the real dev server's."""

from __future__ import annotations

import re
import urllib.request

_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} ([0-9.e+-]+)$")

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(port: int) -> Samples:
    """Every labelled sample on /metrics: (name, labels) -> value."""
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    samples = {}
    for line in text.splitlines():
        match = _SAMPLE.match(line)
        if match:
            name, labels, value = match.groups()
            pairs = frozenset(tuple(part.split("=", 1)) for part in re.findall(r'[a-zA-Z_]+="[^"]*"', labels))
            samples[(name, frozenset((k, v.strip('"')) for k, v in pairs))] = float(value)
    return samples


def requests_of(samples: Samples, operation: str, namespace: str = "default") -> float:
    """How many calls of ``operation`` the server counted (service_requests, frontend)."""
    labels = {"operation": operation, "namespace": namespace, "service_name": "frontend"}
    return sum(
        value
        for (name, sample_labels), value in samples.items()
        if name == "service_requests" and set(labels.items()) <= sample_labels
    )
