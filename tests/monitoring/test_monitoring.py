"""The dashboards and alert rules under config/monitoring ask for what karmadad exports, and the rules hold.

A karmadad with its default simulated members (in this process, on loopback) is given the nginx quick-start
sample, left to converge, and its ``/metrics`` scraped. Every metric a dashboard panel or an alert rule
queries must be there, with every label the query names. ``promtool`` checks the rules and runs their unit
tests (it comes with Debian's ``prometheus`` package; CI installs it, and there its absence fails).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import anyio
import pytest
import yaml

from karmadad import metrics
from karmadad.config import DaemonConfig
from karmadad.daemon import Daemon
from tests.kube.cluster import free_ports
from tests.monitoring.promql import Query, read_query

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "config" / "monitoring"
RULES = MONITORING / "prometheus" / "karmadad-alerts.yaml"
RULE_TESTS = MONITORING / "prometheus" / "karmadad-alerts.test.yaml"
SAMPLE = ROOT / "config" / "samples" / "nginx"
TOKEN = "monitoring-test-token"
# series Prometheus makes itself for each scrape, not karmadad
PROMETHEUS_OWN = frozenset({"up", "scrape_duration_seconds", "scrape_samples_scraped"})
_SAMPLE_LINE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? ")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="(?:[^"\\]|\\.)*"')
HISTOGRAM_SUFFIXES = ("_bucket", "_count", "_sum")
PROPAGATED = re.compile(r"^karmadad_propagation_latency_seconds_count [1-9]", re.M)


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        message = "promtool not installed (apt-get install --no-install-recommends prometheus)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return found


def dashboard_queries() -> dict[str, str]:
    """Every panel target's expression, named ``dashboard: panel``."""
    found = {}
    for path in sorted((MONITORING / "grafana").glob("*.json")):
        board = json.loads(path.read_text())
        for panel in board["panels"]:
            for target in panel.get("targets") or ():
                found[f"{path.name}: {panel['title']} ({target['refId']})"] = target["expr"]
    return found


def rule_queries() -> dict[str, str]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return {f"alert {rule['alert']}": rule["expr"] for group in groups for rule in group["rules"]}


def exported_series(text: str) -> dict[str, set[str]]:
    """Series names in a scrape with the label names each carries. A family with no sample yet (a vector
    no label set was used of) counts with the labels it is declared with, as karmadad's registry says."""
    series: dict[str, set[str]] = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            names = [name + suffix for suffix in HISTOGRAM_SUFFIXES] if kind == "histogram" else [name]
            for each in names:
                series.setdefault(each, set())
        elif line and not line.startswith("#") and (match := _SAMPLE_LINE.match(line)):
            series.setdefault(match.group(1), set()).update(_LABEL.findall(match.group(2) or ""))
    for collector in list(metrics.REGISTRY._collector_to_names):  # declared labels of unused vectors
        declared = getattr(collector, "_labelnames", None) or getattr(collector, "labelnames", None)
        for name in metrics.REGISTRY._collector_to_names[collector]:
            if declared is not None and name in series:
                series[name].update(declared)
                if name.endswith("_bucket"):
                    series[name].add("le")
    return series


def missing_from(query: Query, series: dict[str, set[str]]) -> list[str]:
    """What ``query`` asks for that the scrape lacks: metrics, or labels none of its metrics carries."""
    problems = []
    for name, labels in query.metrics.items():
        if name in PROMETHEUS_OWN:
            continue
        if name not in series:
            problems.append(f"metric {name}")
        elif unknown := labels - series[name]:
            problems.append(f"labels {sorted(unknown)} of {name}")
    carried = set().union(*(series.get(name, set()) for name in query.metrics)) if query.metrics else set()
    own = set().union(*query.metrics.values()) if query.metrics else set()
    if unknown := query.grouping_labels - carried - own - {"instance", "job"}:
        problems.append(f"grouping labels {sorted(unknown)}")
    problems += [f"selector by __name__ {value}" for value in query.name_matchers]
    return problems


def test_the_query_reader_finds_metrics_and_labels():
    query = read_query(
        "histogram_quantile(0.99, sum by (le, verb) (rate(apiserver_request_duration_seconds_bucket"
        '{verb!~"WATCH|CONNECT", code="5.."}[5m]))) > 1 and on () cluster_ready_state == bool 0'
    )
    assert query.metrics == {
        "apiserver_request_duration_seconds_bucket": {"verb", "code"},
        "cluster_ready_state": set(),
    }
    assert query.grouping_labels == {"le", "verb"}
    series = {
        "apiserver_request_duration_seconds_bucket": {"verb", "le"},
        "cluster_ready_state": {"member_cluster"},
    }
    assert missing_from(query, series) == ["labels ['code'] of apiserver_request_duration_seconds_bucket"]
    assert missing_from(read_query("sum by (zone) (cluster_ready_state)"), series) == [
        "grouping labels ['zone']"
    ]
    assert missing_from(read_query("rate(karmada_nothing_total[5m])"), series) == [
        "metric karmada_nothing_total"
    ]


def test_alert_rules_pass_promtool_check():
    result = subprocess.run(
        [promtool(), "check", "rules", str(RULES)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_alert_rules_pass_their_unit_tests():
    result = subprocess.run(
        [promtool(), "test", "rules", RULE_TESTS.name],
        cwd=RULE_TESTS.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_unit_test():
    tested = {
        case["alertname"]
        for test in yaml.safe_load(RULE_TESTS.read_text())["tests"]
        for case in test.get("alert_rule_test") or ()
        if case.get("exp_alerts")
    }
    assert {name.removeprefix("alert ") for name in rule_queries()} <= tested


def test_dashboards_are_grafana_dashboards_with_unique_uids():
    uids = []
    for path in sorted((MONITORING / "grafana").glob("*.json")):
        board = json.loads(path.read_text())
        uids.append(board["uid"])
        assert board["panels"], path.name
        ids = [panel["id"] for panel in board["panels"]]
        assert len(ids) == len(set(ids)), path.name
        for panel in board["panels"]:
            assert panel["targets"] and all(t["expr"] for t in panel["targets"]), (path.name, panel["title"])
    assert len(uids) == len(set(uids)) == 5


class Demo:
    """karmadad on its defaults (three simulated members), in this process, reached over loopback."""

    def __init__(self, tmp: Path):
        api_port, metrics_port = free_ports(2)
        token_file = tmp / "admin.token"
        token_file.write_text(TOKEN + "\n")
        token_file.chmod(0o600)
        self.api = f"https://127.0.0.1:{api_port}"
        self.metrics = f"http://127.0.0.1:{metrics_port}"
        self.config = DaemonConfig.model_validate(
            {
                "dataDir": str(tmp / "data"),
                "api": {
                    "listen": f"127.0.0.1:{api_port}",
                    "tokens": [{"user": "root", "groups": ["admin"], "tokenFile": str(token_file)}],
                },
                "metrics": {"listen": f"127.0.0.1:{metrics_port}"},
                "clusterStatus": {"intervalSeconds": 1},
            }
        )
        self.ca = tmp / "data" / "pki" / "ca.crt"  # generated as karmadad starts

    @property
    def tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca))

    async def wait_ready(self, session: aiohttp.ClientSession) -> None:
        with anyio.fail_after(60):
            while True:
                try:
                    async with session.get(self.metrics + "/readyz") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await anyio.sleep(0.1)

    async def apply_sample(self, session: aiohttp.ClientSession) -> None:
        paths = {
            "Deployment": "/apis/apps/v1/namespaces/default/deployments",
            "PropagationPolicy": "/apis/policy.karmada.io/v1alpha1/namespaces/default/propagationpolicies",
        }
        for path in sorted(SAMPLE.glob("*.yaml")):
            manifest = yaml.safe_load(path.read_text())
            async with session.post(
                self.api + paths[manifest["kind"]], json=manifest, ssl=self.tls, headers=self.auth
            ) as response:
                assert response.status == 201, await response.text()

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {TOKEN}"}

    async def scrape(self, session: aiohttp.ClientSession) -> str:
        async with session.get(self.metrics + "/metrics") as response:
            return await response.text()

    async def usable_clusters(self, session: aiohttp.ClientSession) -> int:
        """Clusters Ready with their APIs known: what the scheduler places on."""
        url = self.api + "/apis/cluster.karmada.io/v1alpha1/clusters"
        async with session.get(url, ssl=self.tls, headers=self.auth) as response:
            clusters = (await response.json()).get("items") or []
        return sum(
            1
            for cluster in clusters
            if (status := cluster.get("status") or {}).get("apiEnablements")
            and any(c["type"] == "Ready" and c["status"] == "True" for c in status.get("conditions") or ())
        )

    async def ready_replicas(self, session: aiohttp.ClientSession) -> int:
        url = self.api + "/apis/apps/v1/namespaces/default/deployments/nginx"
        async with session.get(url, ssl=self.tls, headers=self.auth) as response:
            return int(((await response.json()).get("status") or {}).get("readyReplicas") or 0)


@pytest.fixture
async def converged_scrape(tmp_path: Path) -> AsyncIterator[str]:
    """The ``/metrics`` of a demo karmadad once the nginx sample runs, 6/6, in its three members."""
    demo = Demo(tmp_path)
    async with anyio.create_task_group() as tasks, aiohttp.ClientSession() as session:
        tasks.start_soon(Daemon(demo.config).run)
        await demo.wait_ready(session)
        with anyio.fail_after(60):  # the sample spreads over the members that are Ready when it comes
            while True:
                if await demo.usable_clusters(session) == 3:
                    break
                await anyio.sleep(0.1)
        await demo.apply_sample(session)
        with anyio.fail_after(60):
            while True:
                if await demo.ready_replicas(session) == 6 and PROPAGATED.search(await demo.scrape(session)):
                    break
                await anyio.sleep(0.2)
        yield await demo.scrape(session)
        tasks.cancel_scope.cancel()


@pytest.mark.anyio
async def test_every_metric_a_dashboard_or_alert_queries_is_exported(converged_scrape: str):
    series = exported_series(converged_scrape)
    problems = {
        where: missing
        for where, expression in {**dashboard_queries(), **rule_queries()}.items()
        if (missing := missing_from(read_query(expression), series))
    }
    assert problems == {}
    # what the converged demo did is in the families Karmada's dashboards read
    for line in (
        'cluster_ready_state{member_cluster="member1"} 1.0',
        'karmada_scheduler_schedule_attempts_total{result="scheduled",schedule_type="ReconcileSchedule"}',
        'create_resource_to_cluster{apiversion="apps/v1",kind="Deployment",member_cluster="member3",recreate="false",result="success"} 1.0',
        'apiserver_request_total{code="201",component="apiserver",dry_run="",group="apps",resource="deployments",scope="resource",subresource="",verb="POST",version="v1"} 1.0',
    ):
        assert line in converged_scrape
